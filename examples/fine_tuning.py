"""Transfer learning: reuse a trained base by layer name, freeze it, train a new head, fine-tune.

The classic Keras transfer-learning recipe on the scikit-learn digits. A convolutional network is
trained on the digits 0-4 and its weights are saved in Keras 2's HDF5 layout. A new model for
the digits 5-9 reuses the same base layers (same names) under a new head with other names:
`load_weights(path, by_name=True)` fills the base and leaves the head alone. The base is frozen
(`layer.trainable = False`, then `compile`) while the head trains; the script checks that the
frozen weights did not move, then unfreezes everything and fine-tunes with a small learning rate.
Nothing is downloaded.

    python examples/fine_tuning.py          # full run
    python examples/fine_tuning.py --smoke  # a few seconds
"""
import argparse
import os
import tempfile

import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

import jkeras as keras
from jkeras import layers

BASE_LAYERS = ("conv_1", "conv_2", "features")


def build_model(head_name, filters=16):
    """Conv base (layers named `BASE_LAYERS`) plus a 5-way softmax head named `head_name`."""
    return keras.Sequential([
        layers.Conv2D(filters, 3, activation="relu", padding="same", input_shape=(8, 8, 1), name="conv_1"),
        layers.MaxPooling2D(name="pool"),
        layers.Conv2D(2 * filters, 3, activation="relu", padding="same", name="conv_2"),
        layers.Flatten(name="flatten"),
        layers.Dense(64, activation="relu", name="features"),
        layers.Dense(5, activation="softmax", name=head_name),
    ])


def compile_model(model, learning_rate):
    model.compile(optimizer=keras.optimizers.Adam(learning_rate),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--verbose", type=int, default=1)
    parser.add_argument("--smoke", action="store_true", help="a smaller network, 2 epochs per stage")
    args = parser.parse_args(argv)

    keras.utils.set_random_seed(args.seed)
    digits = load_digits()
    x = (digits.images / 16.0).astype("float32")[..., None]
    y = digits.target
    lower, upper = y < 5, y >= 5
    epochs, filters = (2, 8) if args.smoke else (args.epochs, 16)

    # 1. Train the base on the digits 0-4 and save its weights (Keras 2 HDF5, layer names kept).
    base = build_model("head_0_to_4", filters)
    compile_model(base, 1e-3)
    base.fit(x[lower], y[lower], batch_size=args.batch_size, epochs=epochs, verbose=args.verbose)
    # 2. A model for the digits 5-9: same base names, a new head; load the base by name.
    model = build_model("head_5_to_9", filters)
    with tempfile.TemporaryDirectory() as tmp:
        weights_path = os.path.join(tmp, "base.h5")
        base.save_weights(weights_path)
        model.load_weights(weights_path, by_name=True)
    for name in BASE_LAYERS:
        for loaded, trained in zip(model.get_layer(name).get_weights(), base.get_layer(name).get_weights()):
            np.testing.assert_array_equal(loaded, trained)
    print(f"Loaded {len(BASE_LAYERS)} base layers by name from {os.path.basename(weights_path)}")

    x_train, x_test, y_train, y_test = train_test_split(
        x[upper], y[upper] - 5, test_size=0.3, random_state=args.seed, stratify=y[upper])

    # 3. Freeze the base, train only the head.
    for name in BASE_LAYERS:
        model.get_layer(name).trainable = False
    compile_model(model, 1e-3)
    frozen_before = [w.copy() for name in BASE_LAYERS for w in model.get_layer(name).get_weights()]
    model.fit(x_train, y_train, batch_size=args.batch_size, epochs=epochs, verbose=args.verbose)
    frozen_after = [w for name in BASE_LAYERS for w in model.get_layer(name).get_weights()]
    unchanged = all(np.array_equal(a, b) for a, b in zip(frozen_before, frozen_after))
    _, head_accuracy = model.evaluate(x_test, y_test, verbose=0)
    print(f"Frozen base unchanged by training: {unchanged}")
    print(f"Test accuracy on 5-9, head only: {head_accuracy:.4f}")

    # 4. Unfreeze and fine-tune everything with a small learning rate (compile again).
    for layer in model.layers:
        layer.trainable = True
    compile_model(model, 1e-4)
    model.fit(x_train, y_train, batch_size=args.batch_size, epochs=epochs, verbose=args.verbose)
    _, tuned_accuracy = model.evaluate(x_test, y_test, verbose=0)
    print(f"Test accuracy on 5-9, after fine-tuning: {tuned_accuracy:.4f}")
    return {"frozen_unchanged": unchanged, "head_accuracy": head_accuracy, "tuned_accuracy": tuned_accuracy}


if __name__ == "__main__":
    main()
