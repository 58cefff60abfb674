"""A jit-compiled training script that uses only jkeras's pure API: `model.init` / `model.apply` + optax.

No `compile`, no `fit`: the Keras model is only a description of the network. `model.init(key)`
returns fresh variables `{"params", "state"}`; `model.apply(variables, x, training, rng)` is a pure
function, so the loss, its gradient (`jax.value_and_grad`), the optax update and a whole epoch
(`jax.lax.scan` over shuffled batches) compile into one XLA program with `jax.jit`. Dropout draws
its masks from the key passed to `apply`. Finally `model.set_variables` hands the trained weights
back to the Keras object, whose `predict` then agrees with the pure function. Data: the
scikit-learn digits, nothing is downloaded.

    python examples/jit_pure_api.py          # full run, prints the held-out test accuracy
    python examples/jit_pure_api.py --smoke  # a few seconds
"""
import argparse

import jax
import jax.numpy as jnp
import numpy as np
import optax
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

import jkeras as keras
from jkeras import layers


def build_model(units=128):
    """An MLP that outputs logits (the loss below applies the softmax)."""
    return keras.Sequential([
        layers.Dense(units, activation="relu", input_shape=(64,)),
        layers.Dropout(0.2),
        layers.Dense(10),
    ])


def make_train_epoch(model, optimizer, batch_size):
    """`epoch(params, state, opt_state, x, y, rng) -> (params, state, opt_state, mean_loss)`, jitted."""

    def loss_fn(params, state, x, y, rng):
        logits, new_state = model.apply({"params": params, "state": state}, x, training=True, rng=rng)
        loss = optax.softmax_cross_entropy_with_integer_labels(logits, y).mean()
        return loss, new_state

    def step(carry, batch):
        params, state, opt_state = carry
        x, y, rng = batch
        (loss, state), grads = jax.value_and_grad(loss_fn, has_aux=True)(params, state, x, y, rng)
        updates, opt_state = optimizer.update(grads, opt_state, params)
        return (optax.apply_updates(params, updates), state, opt_state), loss

    @jax.jit
    def epoch(params, state, opt_state, x, y, rng):
        shuffle_rng, dropout_rng = jax.random.split(rng)
        steps = x.shape[0] // batch_size
        order = jax.random.permutation(shuffle_rng, x.shape[0])[: steps * batch_size]
        xb = x[order].reshape(steps, batch_size, *x.shape[1:])
        yb = y[order].reshape(steps, batch_size)
        keys = jax.random.split(dropout_rng, steps)
        (params, state, opt_state), losses = jax.lax.scan(step, (params, state, opt_state), (xb, yb, keys))
        return params, state, opt_state, losses.mean()

    return epoch


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=40)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--smoke", action="store_true", help="a smaller network, 5 epochs")
    args = parser.parse_args(argv)

    digits = load_digits()
    x = (digits.data / 16.0).astype("float32")
    x_train, x_test, y_train, y_test = train_test_split(
        x, digits.target, test_size=0.25, random_state=args.seed, stratify=digits.target)
    x_train, y_train = jnp.asarray(x_train), jnp.asarray(y_train)

    model = build_model(units=32 if args.smoke else 128)
    init_rng, train_rng = jax.random.split(jax.random.PRNGKey(args.seed))
    variables = model.init(init_rng)
    params, state = variables["params"], variables["state"]
    optimizer = optax.adam(1e-3)
    opt_state = optimizer.init(params)
    train_epoch = make_train_epoch(model, optimizer, args.batch_size)

    epochs = 5 if args.smoke else args.epochs
    losses = []
    for epoch in range(epochs):
        params, state, opt_state, loss = train_epoch(
            params, state, opt_state, x_train, y_train, jax.random.fold_in(train_rng, epoch))
        losses.append(float(loss))
        print(f"Epoch {epoch + 1}/{epochs} - loss: {losses[-1]:.4f}")

    predict = jax.jit(lambda variables, x: model.apply(variables, x)[0])
    logits = predict({"params": params, "state": state}, x_test)
    accuracy = float(np.mean(np.argmax(np.asarray(logits), -1) == y_test))
    print(f"Test accuracy: {accuracy:.4f}")

    model.set_variables({"params": params, "state": state})
    agree = np.allclose(model.predict(x_test, verbose=0), np.asarray(logits), rtol=1e-5, atol=1e-5)
    print(f"model.predict agrees with the pure function: {agree}")
    return {"losses": losses, "accuracy": accuracy, "predict_agrees": agree}


if __name__ == "__main__":
    main()
