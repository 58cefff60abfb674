"""The functional API's two-input, two-output model from the Keras guide.

A model ranks support tickets: from the ticket's title (a word sequence) and its tags (a binary
vector) it predicts a priority score (sigmoid) and the department that should handle it
(softmax). The inputs and outputs are named, losses and loss weights are given per output as
dicts, and `fit` takes dicts of arrays. The data is synthetic, with labels that depend on both
inputs (priority on the title's words, department on the tags), so there is something to learn.
Nothing is downloaded.

    python examples/functional_multi_io.py          # full run
    python examples/functional_multi_io.py --smoke  # a few seconds
"""
import argparse

import numpy as np

import jkeras as keras
from jkeras import layers

NUM_WORDS, TITLE_LENGTH, NUM_TAGS, NUM_DEPARTMENTS = 200, 10, 12, 4
URGENT_WORDS = np.arange(1, 11)  # titles with several of these words are high priority


def make_data(n, seed):
    """`(inputs, targets)` dicts: title word ids, tag vectors; priority in {0, 1}, department."""
    rng = np.random.default_rng(seed)
    title = rng.integers(1, NUM_WORDS, (n, TITLE_LENGTH))
    tags = (rng.random((n, NUM_TAGS)) < 0.25).astype("float32")
    priority = (np.isin(title, URGENT_WORDS).sum(axis=1) >= 1).astype("float32")[:, None]
    # The department is the tag group (3 tags each) with the most tags set.
    department = tags.reshape(n, NUM_DEPARTMENTS, -1).sum(-1).argmax(-1)
    inputs = {"title": title, "tags": tags}
    targets = {"priority": priority, "department": keras.utils.to_categorical(department, NUM_DEPARTMENTS)}
    return inputs, targets


def build_model(units=32):
    """Title -> Embedding -> LSTM; concatenated with the tags; two named heads."""
    title_input = keras.Input(shape=(TITLE_LENGTH,), name="title")
    tags_input = keras.Input(shape=(NUM_TAGS,), name="tags")
    title_features = layers.Embedding(NUM_WORDS, units)(title_input)
    title_features = layers.LSTM(units)(title_features)
    x = layers.concatenate([title_features, tags_input])
    x = layers.Dense(units, activation="relu")(x)
    priority = layers.Dense(1, activation="sigmoid", name="priority")(x)
    department = layers.Dense(NUM_DEPARTMENTS, activation="softmax", name="department")(x)
    model = keras.Model(inputs=[title_input, tags_input], outputs=[priority, department])
    model.compile(
        optimizer=keras.optimizers.Adam(3e-3),
        loss={"priority": "binary_crossentropy", "department": "categorical_crossentropy"},
        loss_weights={"priority": 1.0, "department": 0.5},
        metrics={"priority": ["accuracy"], "department": ["accuracy"]},
    )
    return model


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--samples", type=int, default=4000)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--verbose", type=int, default=1)
    parser.add_argument("--smoke", action="store_true", help="fewer samples and epochs")
    args = parser.parse_args(argv)

    keras.utils.set_random_seed(args.seed)
    samples, epochs = (1000, 4) if args.smoke else (args.samples, args.epochs)
    x_train, y_train = make_data(samples, args.seed)
    x_test, y_test = make_data(samples // 4, args.seed + 1)
    model = build_model(units=16 if args.smoke else 32)
    model.summary()
    model.fit(x_train, y_train, batch_size=args.batch_size, epochs=epochs,
              validation_split=0.1, verbose=args.verbose)
    results = model.evaluate(x_test, y_test, verbose=0, return_dict=True)
    priority_base = max(y_test["priority"].mean(), 1 - y_test["priority"].mean())
    department_base = y_test["department"].mean(0).max()
    print(f"Test priority accuracy: {results['priority_accuracy']:.4f} "
          f"(majority class: {priority_base:.4f})")
    print(f"Test department accuracy: {results['department_accuracy']:.4f} "
          f"(majority class: {department_base:.4f})")
    return results, {"priority_accuracy": priority_base, "department_accuracy": department_base}


if __name__ == "__main__":
    main()
