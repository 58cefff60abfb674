"""The benchmark's workloads: synthetic data, the same model in each framework, and its loss.

Each workload builds one model four ways from ONE list of weights (Keras `get_weights()` order,
drawn by jkeras's initializers in the `init` worker):

* `build_jkeras(jkeras)` / `build_keras(keras)`: the Keras model (Sequential, logits out).
* `hand_apply(params, x)`: the same network as a flax.linen module (mlp, cnn) or plain JAX (lstm).
* `to_params(weights)`: the weight list -> the hand loop's parameter pytree.

Losses are computed from logits (`from_logits=True`) everywhere, so the hand loops use the
ordinary optax loss functions and nothing depends on how a framework clips probabilities.
"""
import dataclasses
from typing import Callable, Dict, Tuple

import numpy as np

# Samples and epochs per size: (num_samples, epochs). Sample counts are multiples of the batch size
# so every framework runs the same number of full batches (no partial last batch).
SIZES = ("tiny", "default", "large")


@dataclasses.dataclass(frozen=True)
class Workload:
    name: str
    batch_size: int
    sizes: Dict[str, Tuple[int, int]]
    make_data: Callable            # (num_samples, seed) -> (x, y)
    build_jkeras: Callable         # jkeras module -> uncompiled model
    build_keras: Callable          # keras module -> uncompiled model
    hand_apply: Callable           # (params, x) -> logits (pure JAX)
    to_params: Callable            # list of weight arrays -> params pytree
    kind: str                      # "sparse_ce" (int labels, logits) or "binary_ce" (0/1, one logit)
    matmul_flops: int = 0          # training FLOPs per sample of the matmuls (fwd + bwd), mlp only
    needs: str = ""                # jkeras layer that must be importable, else the workload is skipped

    def num_samples(self, size):
        return self.sizes[size][0]

    def epochs(self, size):
        return self.sizes[size][1]


# ------------------------------------------------------------------------------------------------
# Data: a fixed random "teacher" labels random inputs, so the task is learnable and the loss falls.


def _teacher_labels(features, classes, seed):
    rng = np.random.default_rng(seed + 1000)
    w = rng.standard_normal((features.shape[1], classes)).astype(np.float32)
    return np.argmax(features @ w, axis=-1).astype(np.int32)


def _dense_data(dim, classes):
    def make(n, seed):
        rng = np.random.default_rng(seed)
        x = rng.standard_normal((n, dim)).astype(np.float32)
        return x, _teacher_labels(x, classes, seed)

    return make


def _image_data(n, seed):
    rng = np.random.default_rng(seed)
    x = rng.random((n, 28, 28, 1), dtype=np.float32)
    return x, _teacher_labels(x.reshape(n, -1) - 0.5, 10, seed)


def _token_data(n, seed, length=64, vocab=1000):
    rng = np.random.default_rng(seed)
    tokens = rng.integers(0, vocab, size=(n, length), dtype=np.int32)
    # Label: does the sequence hold more "rare" tokens (id < 100) than usual (mean 6.4)?
    y = (np.sum(tokens < 100, axis=1) > 6).astype(np.float32)[:, None]
    return tokens, y


# ------------------------------------------------------------------------------------------------
# Losses (logits in): NumPy in float64 for the uniform evaluation, JAX for the hand loops.


def loss_np(kind, logits, y):
    logits = np.asarray(logits, np.float64)
    if kind == "sparse_ce":
        z = logits - logits.max(axis=-1, keepdims=True)
        log_probs = z - np.log(np.exp(z).sum(axis=-1, keepdims=True))
        return float(-np.mean(log_probs[np.arange(len(y)), np.asarray(y).reshape(-1)]))
    y = np.asarray(y, np.float64).reshape(logits.shape)
    return float(np.mean(np.maximum(logits, 0) - logits * y + np.log1p(np.exp(-np.abs(logits)))))


def loss_jax(kind, logits, y):
    import optax

    if kind == "sparse_ce":
        return optax.softmax_cross_entropy_with_integer_labels(logits, y).mean()
    return optax.sigmoid_binary_cross_entropy(logits, y).mean()


def jkeras_loss(jkeras, kind):
    if kind == "sparse_ce":
        return jkeras.losses.SparseCategoricalCrossentropy(from_logits=True)
    return jkeras.losses.BinaryCrossentropy(from_logits=True)


keras_loss = jkeras_loss  # Keras 3 spells the losses the same way


# ------------------------------------------------------------------------------------------------
# Models


def _mlp_builder(dim, hidden, classes):
    def build(k):
        layers = [k.Input(shape=(dim,))]
        layers += [k.layers.Dense(h, activation="relu") for h in hidden]
        layers += [k.layers.Dense(classes)]
        return k.Sequential(layers)

    return build


def _mlp_hand(hidden, classes):
    import flax.linen as nn

    class MLP(nn.Module):
        @nn.compact
        def __call__(self, x):
            for i, h in enumerate(hidden):
                x = nn.relu(nn.Dense(h, name=f"dense{i}")(x))
            return nn.Dense(classes, name=f"dense{len(hidden)}")(x)

    module = MLP()
    return lambda params, x: module.apply(params, x)


def _dense_params(weights, prefix="dense"):
    return {"params": {f"{prefix}{i}": {"kernel": weights[2 * i], "bias": weights[2 * i + 1]}
                       for i in range(len(weights) // 2)}}


def _cnn_builder(k):
    return k.Sequential([
        k.Input(shape=(28, 28, 1)),
        k.layers.Conv2D(32, (3, 3), activation="relu"),
        k.layers.Conv2D(64, (3, 3), activation="relu"),
        k.layers.MaxPooling2D((2, 2)),
        k.layers.Flatten(),
        k.layers.Dense(128, activation="relu"),
        k.layers.Dense(10),
    ])


def _cnn_hand():
    import flax.linen as nn

    class CNN(nn.Module):
        @nn.compact
        def __call__(self, x):
            x = nn.relu(nn.Conv(32, (3, 3), padding="VALID", name="conv0")(x))
            x = nn.relu(nn.Conv(64, (3, 3), padding="VALID", name="conv1")(x))
            x = nn.max_pool(x, (2, 2), strides=(2, 2), padding="VALID")
            x = x.reshape((x.shape[0], -1))
            x = nn.relu(nn.Dense(128, name="dense0")(x))
            return nn.Dense(10, name="dense1")(x)

    module = CNN()
    return lambda params, x: module.apply(params, x)


def _cnn_params(w):
    return {"params": {
        "conv0": {"kernel": w[0], "bias": w[1]}, "conv1": {"kernel": w[2], "bias": w[3]},
        "dense0": {"kernel": w[4], "bias": w[5]}, "dense1": {"kernel": w[6], "bias": w[7]},
    }}


def _lstm_builder(k):
    return k.Sequential([
        k.Input(shape=(64,), dtype="int32"),
        k.layers.Embedding(1000, 64),
        k.layers.LSTM(64),
        k.layers.Dense(1),
    ])


def _lstm_hand():
    """Embedding -> LSTM (Keras gate order i, f, c, o; sigmoid / tanh) -> Dense, in plain JAX."""
    import jax
    import jax.numpy as jnp

    def apply(p, tokens):
        emb = jnp.take(p["embeddings"], tokens, axis=0)                # (B, T, 64)
        xz = emb @ p["kernel"] + p["bias"]                             # input projections, all steps
        units = p["recurrent_kernel"].shape[0]
        zeros = jnp.zeros((tokens.shape[0], units), xz.dtype)

        def step(carry, z_t):
            h, c = carry
            i, f, g, o = jnp.split(z_t + h @ p["recurrent_kernel"], 4, axis=-1)
            c = jax.nn.sigmoid(f) * c + jax.nn.sigmoid(i) * jnp.tanh(g)
            h = jax.nn.sigmoid(o) * jnp.tanh(c)
            return (h, c), None

        (h, _), _ = jax.lax.scan(step, (zeros, zeros), jnp.swapaxes(xz, 0, 1))
        return h @ p["dense_kernel"] + p["dense_bias"]

    return apply


def _lstm_params(w):
    names = ["embeddings", "kernel", "recurrent_kernel", "bias", "dense_kernel", "dense_bias"]
    return dict(zip(names, w))


def _mlp_flops(dims):
    # forward 2*m*n per layer, backward twice that (input and weight gradients)
    return 6 * sum(a * b for a, b in zip(dims[:-1], dims[1:]))


class _Lazy:
    """Defers importing flax until a hand loop actually needs the module."""

    def __init__(self, factory):
        self._factory, self._fn = factory, None

    def __call__(self, *args):
        if self._fn is None:
            self._fn = self._factory()
        return self._fn(*args)


WORKLOADS = {
    "mlp": Workload(
        "mlp", 128,
        {"tiny": (256, 2), "default": (8192, 3), "large": (60_032, 5)},
        _dense_data(784, 10), _mlp_builder(784, (512, 512), 10), _mlp_builder(784, (512, 512), 10),
        _Lazy(lambda: _mlp_hand((512, 512), 10)), _dense_params, "sparse_ce",
        matmul_flops=_mlp_flops([784, 512, 512, 10]),
    ),
    "mlp-small": Workload(
        "mlp-small", 32,
        {"tiny": (256, 2), "default": (32_768, 3), "large": (262_144, 5)},
        _dense_data(32, 10), _mlp_builder(32, (64,), 10), _mlp_builder(32, (64,), 10),
        _Lazy(lambda: _mlp_hand((64,), 10)), _dense_params, "sparse_ce",
        matmul_flops=_mlp_flops([32, 64, 10]),
    ),
    "cnn": Workload(
        "cnn", 128,
        {"tiny": (256, 2), "default": (512, 3), "large": (60_032, 5)},
        _image_data, _cnn_builder, _cnn_builder, _Lazy(_cnn_hand), _cnn_params, "sparse_ce",
    ),
    "lstm": Workload(
        "lstm", 64,
        {"tiny": (128, 2), "default": (1024, 3), "large": (25_024, 5)},
        _token_data, _lstm_builder, _lstm_builder, _Lazy(_lstm_hand), _lstm_params, "binary_ce",
        needs="LSTM",
    ),
}

# Peak dense throughput (TFLOP/s) by device kind: (float32 on CUDA cores, TF32 tensor cores, bf16).
# XLA runs float32 matmuls on TF32 tensor cores by default on Ampere and later.
PEAK_TFLOPS = {
    "H200": (67.0, 494.7, 989.4),
    "H100": (67.0, 494.7, 989.4),   # SXM; the PCIe card is about 51 / 378 / 756
    "A100": (19.5, 156.0, 312.0),
    "L4": (30.3, 60.0, 121.0),
    "V100": (15.7, None, 125.0),
}


def peak_tflops(device_kind):
    for key, peaks in PEAK_TFLOPS.items():
        if key.lower() in device_kind.lower():
            if key == "H100" and "pcie" in device_kind.lower():
                return (51.2, 378.0, 756.0)
            return peaks
    return None
