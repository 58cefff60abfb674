"""Train a multilayer perceptron on the handwritten digits that ship with scikit-learn.

Nothing is downloaded: `sklearn.datasets.load_digits` reads 1,797 8x8 images bundled with
scikit-learn. The script is plain Keras code after `import jkeras as keras`.

    python examples/digits_mlp.py            # full run, prints the held-out test accuracy
    python examples/digits_mlp.py --smoke    # quick smoke run (3 epochs)
"""
import argparse

import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

import jkeras as keras
from jkeras import layers


def build_model():
    model = keras.Sequential([
        layers.Dense(128, activation="relu", input_shape=(64,)),
        layers.Dropout(0.2),
        layers.Dense(64, activation="relu"),
        layers.Dense(10, activation="softmax"),
    ])
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=1e-3),
        loss="categorical_crossentropy",
        metrics=["accuracy"],
    )
    return model


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=40)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--verbose", type=int, default=1)
    parser.add_argument("--smoke", action="store_true", help="3 epochs")
    args = parser.parse_args(argv)
    if args.smoke:
        args.epochs = 3

    keras.utils.set_random_seed(args.seed)
    digits = load_digits()
    x = (digits.data / 16.0).astype("float32")
    y = keras.utils.to_categorical(digits.target, 10)
    x_train, x_test, y_train, y_test = train_test_split(
        x, y, test_size=0.25, random_state=args.seed, stratify=digits.target
    )

    model = build_model()
    model.summary()
    model.fit(
        x_train, y_train,
        batch_size=args.batch_size, epochs=args.epochs,
        validation_split=0.1, verbose=args.verbose,
    )
    loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
    predicted = np.argmax(model.predict(x_test, verbose=0), axis=-1)
    print(f"Test loss: {loss:.4f}")
    print(f"Test accuracy: {accuracy:.4f} ({int((predicted == np.argmax(y_test, -1)).sum())}/{len(y_test)} digits)")
    return accuracy


if __name__ == "__main__":
    main()
