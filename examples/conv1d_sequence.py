"""Sequence classification with 1D convolutions on a synthetic signal task.

The classic Keras "Sequence classification with 1D convolutions" example. Each sequence is 64
steps of Gaussian noise; in the positive class a short zig-zag motif is hidden at a random
position. Convolutions find the motif wherever it is; global pooling makes the answer
position-independent. Nothing is downloaded.

    python examples/conv1d_sequence.py          # full run, prints the held-out test accuracy
    python examples/conv1d_sequence.py --smoke  # a few seconds
"""
import argparse

import numpy as np

import jkeras as keras
from jkeras import layers

MOTIF = np.array([1.0, -1.0, 1.0, -1.0, 1.0, -1.0], "float32")


def make_data(n, length=64, seed=0):
    """`n` noisy sequences `(n, length, 1)`; label 1 where the motif was added."""
    rng = np.random.default_rng(seed)
    x = rng.normal(0.0, 0.6, (n, length, 1)).astype("float32")
    y = rng.integers(0, 2, n)
    starts = rng.integers(0, length - len(MOTIF), n)
    for i in np.flatnonzero(y):
        x[i, starts[i]:starts[i] + len(MOTIF), 0] += MOTIF
    return x, y.astype("float32")


def build_model(length=64, filters=32):
    """Conv1D-Conv1D-MaxPooling1D-Conv1D-Conv1D-GlobalAveragePooling1D-Dropout-Dense(sigmoid)."""
    model = keras.Sequential([
        layers.Conv1D(filters, 3, activation="relu", input_shape=(length, 1)),
        layers.Conv1D(filters, 3, activation="relu"),
        layers.MaxPooling1D(3),
        layers.Conv1D(2 * filters, 3, activation="relu"),
        layers.Conv1D(2 * filters, 3, activation="relu"),
        layers.GlobalAveragePooling1D(),
        layers.Dropout(0.5),
        layers.Dense(1, activation="sigmoid"),
    ])
    model.compile(loss="binary_crossentropy", optimizer="rmsprop", metrics=["accuracy"])
    return model


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=15)
    parser.add_argument("--samples", type=int, default=4000)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--verbose", type=int, default=1)
    parser.add_argument("--smoke", action="store_true", help="fewer samples and epochs")
    args = parser.parse_args(argv)

    keras.utils.set_random_seed(args.seed)
    samples, epochs = (800, 4) if args.smoke else (args.samples, args.epochs)
    x_train, y_train = make_data(samples, seed=args.seed)
    x_test, y_test = make_data(samples // 4, seed=args.seed + 1)
    model = build_model(filters=16 if args.smoke else 32)
    model.summary()
    model.fit(x_train, y_train, batch_size=args.batch_size, epochs=epochs,
              validation_split=0.1, verbose=args.verbose)
    loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
    print(f"Test loss: {loss:.4f}")
    print(f"Test accuracy: {accuracy:.4f} (chance: 0.5)")
    return accuracy


if __name__ == "__main__":
    main()
