"""A stacked LSTM classifier reading each handwritten digit row by row.

The classic Keras "Stacked LSTM for sequence classification" example: three LSTM layers, the
first two returning their whole output sequence so the next one reads it, the last returning
only its final output for a softmax over 10 classes. Each 8x8 scikit-learn digit is a sequence
of 8 time steps of 8 features (its pixel rows). Nothing is downloaded.

    python examples/stacked_lstm.py          # full run, prints the held-out test accuracy
    python examples/stacked_lstm.py --smoke  # a few seconds
"""
import argparse

from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

import jkeras as keras
from jkeras import layers

TIMESTEPS, DATA_DIM, NUM_CLASSES = 8, 8, 10


def build_model(units=32):
    """LSTM(return_sequences) -> LSTM(return_sequences) -> LSTM -> Dense(softmax)."""
    model = keras.Sequential([
        layers.LSTM(units, return_sequences=True, input_shape=(TIMESTEPS, DATA_DIM)),
        layers.LSTM(units, return_sequences=True),
        layers.LSTM(units),
        layers.Dense(NUM_CLASSES, activation="softmax"),
    ])
    model.compile(loss="categorical_crossentropy", optimizer=keras.optimizers.RMSprop(2e-3),
                  metrics=["accuracy"])
    return model


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=40)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--verbose", type=int, default=1)
    parser.add_argument("--smoke", action="store_true", help="smaller LSTMs, 4 epochs")
    args = parser.parse_args(argv)

    keras.utils.set_random_seed(args.seed)
    digits = load_digits()
    x = (digits.images / 16.0).astype("float32")      # (samples, 8 time steps, 8 features)
    y = keras.utils.to_categorical(digits.target, NUM_CLASSES)
    x_train, x_test, y_train, y_test = train_test_split(
        x, y, test_size=0.25, random_state=args.seed, stratify=digits.target
    )
    model = build_model(units=16 if args.smoke else 32)
    model.summary()
    epochs = 4 if args.smoke else args.epochs
    model.fit(x_train, y_train, batch_size=args.batch_size, epochs=epochs,
              validation_split=0.1, verbose=args.verbose)
    loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
    print(f"Test loss: {loss:.4f}")
    print(f"Test accuracy: {accuracy:.4f}")
    return accuracy


if __name__ == "__main__":
    main()
