#!/usr/bin/env python
"""Keras tutorial models, trained and run by jkeras and by Keras 3 side by side.

    python bench/tutorials.py                          # every model, CPU-sized (a few minutes)
    python bench/tutorials.py --models mnist_convnet,text_transformer --repeat 2
    python bench/tutorials.py --tiny                   # seconds: the smoke test

`compare.py` measures four fixed workloads against hand-written JAX; this script measures what a
Keras user meets: the models of keras.io examples (the architecture as the tutorial writes it,
`compile` / `fit` / `predict` with its loss, optimizer and batch size), on synthetic data of the
tutorial's shapes. Each (framework, model) runs in its own process; both frameworks draw the same
data, but not the same initial weights (the losses are printed to show both learn alike). Prints
the first epoch (compilation included), the best later epoch and the best `predict` of the data,
in seconds, and jkeras's speed as a ratio to Keras 3's (higher is better).
"""
import argparse
import json
import os
import subprocess
import sys
import time

# name: (keras.io example, samples, batch size)
MODELS = {
    "mnist_convnet": ("vision/mnist_convnet", 2048, 128),
    "conv_autoencoder": ("vision/autoencoder (image denoising)", 1024, 128),
    "vae_decoder": ("generative/vae (its decoder, trained alone)", 2048, 128),
    "resnet_block": ("a CIFAR-sized residual network with batch norm", 1024, 64),
    "text_conv1d": ("nlp/text_classification_from_scratch", 1024, 32),
    "text_transformer": ("nlp/text_classification_with_transformer", 1024, 32),
    "bidirectional_lstm": ("nlp/bidirectional_lstm_imdb", 512, 32),
    "timeseries_lstm": ("timeseries/timeseries_weather_forecasting", 2048, 256),
}


def _build(k, name, rng, samples):
    """`(model, x, y)` for `name` built with the Keras-compatible module `k`."""
    import numpy as np

    layers = k.layers

    def tokens(length, vocab):
        return (rng.integers(0, vocab, (samples, length)).astype("int32"),
                rng.integers(0, 2, (samples,)).astype("float32"))

    if name == "mnist_convnet":
        model = k.Sequential([
            k.Input((28, 28, 1)), layers.Conv2D(32, 3, activation="relu"), layers.MaxPooling2D(2),
            layers.Conv2D(64, 3, activation="relu"), layers.MaxPooling2D(2), layers.Flatten(),
            layers.Dropout(0.5), layers.Dense(10, activation="softmax")])
        model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
        return model, rng.random((samples, 28, 28, 1)).astype("float32"), \
            np.eye(10, dtype="float32")[rng.integers(0, 10, samples)]
    if name == "conv_autoencoder":
        inputs = k.Input((28, 28, 1))
        h = layers.Conv2D(32, (3, 3), activation="relu", padding="same")(inputs)
        h = layers.MaxPooling2D((2, 2), padding="same")(h)
        h = layers.Conv2D(32, (3, 3), activation="relu", padding="same")(h)
        h = layers.MaxPooling2D((2, 2), padding="same")(h)
        h = layers.Conv2DTranspose(32, (3, 3), strides=2, activation="relu", padding="same")(h)
        h = layers.Conv2DTranspose(32, (3, 3), strides=2, activation="relu", padding="same")(h)
        outputs = layers.Conv2D(1, (3, 3), activation="sigmoid", padding="same")(h)
        model = k.Model(inputs, outputs)
        model.compile(optimizer="adam", loss="binary_crossentropy")
        x = rng.random((samples, 28, 28, 1)).astype("float32")
        return model, x, x
    if name == "vae_decoder":
        inputs = k.Input((2,))
        h = layers.Dense(7 * 7 * 64, activation="relu")(inputs)
        h = layers.Reshape((7, 7, 64))(h)
        h = layers.Conv2DTranspose(64, 3, activation="relu", strides=2, padding="same")(h)
        h = layers.Conv2DTranspose(32, 3, activation="relu", strides=2, padding="same")(h)
        outputs = layers.Conv2DTranspose(1, 3, activation="sigmoid", padding="same")(h)
        model = k.Model(inputs, outputs)
        model.compile(optimizer="adam", loss="binary_crossentropy")
        return model, rng.random((samples, 2)).astype("float32"), rng.random((samples, 28, 28, 1)).astype("float32")
    if name == "resnet_block":
        inputs = k.Input((32, 32, 3))
        h = layers.Activation("relu")(layers.BatchNormalization()(layers.Conv2D(32, 3, padding="same")(inputs)))
        for filters in (32, 64):
            shortcut = h
            h = layers.Conv2D(filters, 3, padding="same", strides=2 if filters == 64 else 1)(h)
            h = layers.Activation("relu")(layers.BatchNormalization()(h))
            h = layers.BatchNormalization()(layers.Conv2D(filters, 3, padding="same")(h))
            if filters == 64:
                shortcut = layers.Conv2D(filters, 1, strides=2)(shortcut)
            h = layers.Activation("relu")(layers.add([h, shortcut]))
        outputs = layers.Dense(10)(layers.GlobalAveragePooling2D()(h))
        model = k.Model(inputs, outputs)
        model.compile("adam", k.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
        return model, rng.random((samples, 32, 32, 3)).astype("float32"), rng.integers(0, 10, samples)
    if name == "text_conv1d":
        inputs = k.Input((None,), dtype="int64")
        h = layers.Dropout(0.5)(layers.Embedding(20000, 128)(inputs))
        h = layers.Conv1D(128, 7, padding="valid", activation="relu", strides=3)(h)
        h = layers.Conv1D(128, 7, padding="valid", activation="relu", strides=3)(h)
        h = layers.Dropout(0.5)(layers.Dense(128, activation="relu")(layers.GlobalMaxPooling1D()(h)))
        model = k.Model(inputs, layers.Dense(1, activation="sigmoid", name="predictions")(h))
        model.compile(loss="binary_crossentropy", optimizer="adam", metrics=["accuracy"])
        return (model,) + tokens(500, 20000)
    if name == "text_transformer":
        class TransformerBlock(layers.Layer):
            def __init__(self, embed_dim, num_heads, ff_dim, rate=0.1, **kwargs):
                super().__init__(**kwargs)
                self.att = layers.MultiHeadAttention(num_heads=num_heads, key_dim=embed_dim)
                self.ffn = k.Sequential([layers.Dense(ff_dim, activation="relu"), layers.Dense(embed_dim)])
                self.layernorm1 = layers.LayerNormalization(epsilon=1e-6)
                self.layernorm2 = layers.LayerNormalization(epsilon=1e-6)
                self.dropout1, self.dropout2 = layers.Dropout(rate), layers.Dropout(rate)

            def call(self, inputs, training=False):
                attn_output = self.dropout1(self.att(inputs, inputs), training=training)
                out1 = self.layernorm1(inputs + attn_output)
                return self.layernorm2(out1 + self.dropout2(self.ffn(out1), training=training))

        class TokenAndPositionEmbedding(layers.Layer):
            def __init__(self, maxlen, vocab_size, embed_dim, **kwargs):
                super().__init__(**kwargs)
                self.token_emb = layers.Embedding(input_dim=vocab_size, output_dim=embed_dim)
                self.pos_emb = layers.Embedding(input_dim=maxlen, output_dim=embed_dim)

            def call(self, x):
                positions = self.pos_emb(k.ops.arange(start=0, stop=k.ops.shape(x)[-1], step=1))
                return self.token_emb(x) + positions

        inputs = layers.Input(shape=(200,))
        h = TransformerBlock(32, 2, 32)(TokenAndPositionEmbedding(200, 20000, 32)(inputs))
        h = layers.Dropout(0.1)(layers.GlobalAveragePooling1D()(h))
        h = layers.Dropout(0.1)(layers.Dense(20, activation="relu")(h))
        model = k.Model(inputs, layers.Dense(2, activation="softmax")(h))
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
        return (model,) + tokens(200, 20000)
    if name == "bidirectional_lstm":
        inputs = k.Input(shape=(None,), dtype="int32")
        h = layers.Embedding(20000, 128)(inputs)
        h = layers.Bidirectional(layers.LSTM(64, return_sequences=True))(h)
        h = layers.Bidirectional(layers.LSTM(64))(h)
        model = k.Model(inputs, layers.Dense(1, activation="sigmoid")(h))
        model.compile("adam", "binary_crossentropy", metrics=["accuracy"])
        return (model,) + tokens(100, 20000)
    if name == "timeseries_lstm":
        inputs = k.Input(shape=(120, 7))
        model = k.Model(inputs, layers.Dense(1)(layers.LSTM(32)(inputs)))
        model.compile(optimizer=k.optimizers.Adam(learning_rate=0.001), loss="mse")
        return model, rng.random((samples, 120, 7)).astype("float32"), rng.random((samples, 1)).astype("float32")
    raise ValueError(f"unknown model {name!r}; choose from {sorted(MODELS)}")


def _worker(framework, name, samples, repeat):
    if framework == "keras3":
        os.environ.setdefault("KERAS_BACKEND", "jax")
        import keras as k
    else:
        import jkeras as k
    import numpy as np

    k.utils.set_random_seed(0)
    model, x, y = _build(k, name, np.random.default_rng(0), samples)
    batch_size = MODELS[name][2]
    start = time.perf_counter()
    model.fit(x, y, batch_size=batch_size, epochs=1, verbose=0)
    first = time.perf_counter() - start
    epoch, loss = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        loss = model.fit(x, y, batch_size=batch_size, epochs=1, verbose=0).history["loss"][-1]
        epoch = min(epoch, time.perf_counter() - start)
    model.predict(x, batch_size=batch_size, verbose=0)
    predict = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        model.predict(x, batch_size=batch_size, verbose=0)
        predict = min(predict, time.perf_counter() - start)
    return {"first": first, "epoch": epoch, "predict": predict, "loss": float(loss)}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default=",".join(MODELS))
    parser.add_argument("--frameworks", default="jkeras,keras3")
    parser.add_argument("--repeat", type=int, default=2, help="timed epochs / predicts after the first (best kept)")
    parser.add_argument("--tiny", action="store_true", help="two batches of data, one timed epoch: the smoke test")
    parser.add_argument("--timeout", type=float, default=600)
    parser.add_argument("--worker", nargs=2, help=argparse.SUPPRESS)
    parser.add_argument("--samples", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        print(json.dumps(_worker(*args.worker, args.samples, args.repeat)))
        return
    names = args.models.split(",")
    frameworks = args.frameworks.split(",")
    repeat = 1 if args.tiny else args.repeat
    results = {}
    for name in names:
        samples = 2 * MODELS[name][2] if args.tiny else MODELS[name][1]
        for framework in frameworks:
            proc = subprocess.run([sys.executable, os.path.abspath(__file__), "--worker", framework, name,
                                   "--samples", str(samples), "--repeat", str(repeat)],
                                  capture_output=True, text=True, timeout=args.timeout)
            lines = proc.stdout.strip().splitlines()
            if proc.returncode != 0 or not lines:
                tail = proc.stderr.strip().splitlines()[-1:] or ["no output"]
                if framework == "keras3" and "No module named 'keras'" in proc.stderr:
                    tail = ["skipped: Keras 3 is not installed (pip install -e '.[bench]')"]
                results[name, framework] = tail[0]
            else:
                results[name, framework] = json.loads(lines[-1])
    print(f"seconds (best of {repeat}); x = jkeras's speed / Keras 3's (higher is better)")
    header = f"{'model':20s} {'framework':10s} {'1st epoch':>10s} {'epoch':>8s} {'predict':>8s} {'loss':>8s}"
    print(header)
    for name in names:
        for framework in frameworks:
            r = results[name, framework]
            if isinstance(r, str):
                print(f"{name:20s} {framework:10s} {r}")
                continue
            print(f"{name:20s} {framework:10s} {r['first']:10.2f} {r['epoch']:8.3f} {r['predict']:8.3f} {r['loss']:8.4f}")
        ours, ref = results.get((name, "jkeras")), results.get((name, "keras3"))
        if isinstance(ours, dict) and isinstance(ref, dict):
            print(f"{name:20s} {'x':10s} {ref['first'] / ours['first']:9.2f}x {ref['epoch'] / ours['epoch']:7.2f}x "
                  f"{ref['predict'] / ours['predict']:7.2f}x")


if __name__ == "__main__":
    main()
