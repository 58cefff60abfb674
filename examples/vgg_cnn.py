"""A VGG-like convolutional network on the handwritten digits that ship with scikit-learn.

The classic Keras "VGG-like convnet" example: two blocks of two 3x3 convolutions and a max
pooling, then a dense head, trained with SGD with Nesterov momentum (Keras 2 spelling
`SGD(lr=0.01, decay=1e-6, momentum=0.9, nesterov=True)`). The 8x8 digit images are the input.

    python examples/vgg_cnn.py          # full run, prints the held-out test accuracy
    python examples/vgg_cnn.py --smoke  # a few seconds
"""
import argparse

import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

import jkeras as keras
from jkeras import layers


def build_model(filters=32):
    """Two conv blocks (conv-conv-pool-dropout) and a dense softmax head over 10 classes."""
    model = keras.Sequential([
        layers.Conv2D(filters, (3, 3), activation="relu", padding="same", input_shape=(8, 8, 1)),
        layers.Conv2D(filters, (3, 3), activation="relu", padding="same"),
        layers.MaxPooling2D(pool_size=(2, 2)),
        layers.Dropout(0.25),
        layers.Conv2D(2 * filters, (3, 3), activation="relu", padding="same"),
        layers.Conv2D(2 * filters, (3, 3), activation="relu", padding="same"),
        layers.MaxPooling2D(pool_size=(2, 2)),
        layers.Dropout(0.25),
        layers.Flatten(),
        layers.Dense(8 * filters, activation="relu"),
        layers.Dropout(0.5),
        layers.Dense(10, activation="softmax"),
    ])
    sgd = keras.optimizers.SGD(lr=0.01, decay=1e-6, momentum=0.9, nesterov=True)
    model.compile(loss="categorical_crossentropy", optimizer=sgd, metrics=["accuracy"])
    return model


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--verbose", type=int, default=1)
    parser.add_argument("--smoke", action="store_true", help="a small network, 3 epochs")
    args = parser.parse_args(argv)

    keras.utils.set_random_seed(args.seed)
    digits = load_digits()
    x = (digits.images / 16.0).astype("float32")[..., None]
    y = keras.utils.to_categorical(digits.target, 10)
    x_train, x_test, y_train, y_test = train_test_split(
        x, y, test_size=0.25, random_state=args.seed, stratify=digits.target
    )
    model = build_model(filters=8 if args.smoke else 32)
    model.summary()
    epochs = 3 if args.smoke else args.epochs
    model.fit(x_train, y_train, batch_size=args.batch_size, epochs=epochs,
              validation_split=0.1, verbose=args.verbose)
    loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
    print(f"Test loss: {loss:.4f}")
    print(f"Test accuracy: {accuracy:.4f}")
    return accuracy


if __name__ == "__main__":
    main()
