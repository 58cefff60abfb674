"""A stateful LSTM that remembers across batches: a moving average longer than one batch's window.

The classic Keras stateful-LSTM example. The input is noise and the target at each step is the
mean of the last `--window` inputs. Long signals are cut into consecutive chunks of `--tsteps`
steps; batch `k` holds chunk `k` of every signal, so row `i` of each batch continues row `i` of
the batch before. With `window > tsteps`, a stateless LSTM (which starts every chunk from zeros)
sees only part of the window; a stateful one (`stateful=True`, a fixed `batch_input_shape`,
`shuffle=False`, states reset at the start of each epoch) carries the rest over. Both are trained
on the same data; the script prints each one's test mean squared error next to the error of the
best possible prediction from the current chunk alone. Nothing is downloaded.

    python examples/stateful_lstm.py          # full run
    python examples/stateful_lstm.py --smoke  # a few seconds
"""
import argparse

import numpy as np

import jkeras as keras
from jkeras import layers


def moving_average(x, window):
    """`y[:, t] = sum(x[:, t - window + 1 : t + 1]) / window` (missing steps count as zeros)."""
    csum = np.cumsum(x, axis=1)
    before = np.concatenate([np.zeros((x.shape[0], window), x.dtype), csum[:, :-window]], axis=1)
    return (csum - before) / window


def make_data(signals, length, tsteps, window, seed):
    """Chunks `(length // tsteps * signals, tsteps, 1)` ordered chunk-major, and their targets."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1.0, 1.0, (signals, length)).astype("float32")
    y = moving_average(x, window)
    chunks = length // tsteps

    def arrange(a):  # (signals, length) -> chunk 0 of every signal, chunk 1 of every signal, ...
        return a.reshape(signals, chunks, tsteps).transpose(1, 0, 2).reshape(-1, tsteps, 1)

    return arrange(x), arrange(y)


def build_model(batch_size, tsteps, units, stateful):
    """LSTM(return_sequences) -> LSTM(return_sequences) -> per-step Dense(1)."""
    model = keras.Sequential([
        layers.LSTM(units, return_sequences=True, stateful=stateful,
                    batch_input_shape=(batch_size, tsteps, 1)),
        layers.LSTM(units, return_sequences=True, stateful=stateful),
        layers.TimeDistributed(layers.Dense(1)),
    ])
    model.compile(loss="mse", optimizer=keras.optimizers.Adam(3e-3))
    return model


def train(stateful, args, data):
    """Trains one model on `data`; returns its test MSE, the states carried through predict."""
    (x_train, y_train), (x_test, y_test) = data
    model = build_model(args.signals, args.tsteps, args.units, stateful)
    reset = keras.callbacks.LambdaCallback(on_epoch_begin=lambda epoch, logs: model.reset_states())
    model.fit(x_train, y_train, batch_size=args.signals, epochs=args.epochs, shuffle=False,
              callbacks=[reset], verbose=args.verbose)
    model.reset_states()  # predict carries the states from batch to batch, as fit does
    pred = model.predict(x_test, batch_size=args.signals, verbose=0)
    return float(np.mean((pred - y_test) ** 2))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--signals", type=int, default=32, help="the batch size: signals in parallel")
    parser.add_argument("--length", type=int, default=200)
    parser.add_argument("--tsteps", type=int, default=2)
    parser.add_argument("--window", type=int, default=8)
    parser.add_argument("--units", type=int, default=32)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--verbose", type=int, default=1)
    parser.add_argument("--smoke", action="store_true", help="shorter signals, 3 epochs")
    args = parser.parse_args(argv)
    if args.smoke:
        args.length, args.epochs, args.units = 80, 3, 16

    keras.utils.set_random_seed(args.seed)
    data = (make_data(args.signals, args.length, args.tsteps, args.window, args.seed),
            make_data(args.signals, args.length, args.tsteps, args.window, args.seed + 1))
    results = {}
    for stateful in (True, False):
        name = "stateful" if stateful else "stateless"
        print(f"Training the {name} LSTM")
        results[name] = train(stateful, args, data)
    # Without memory, the unseen `window - tsteps` older inputs (uniform, variance 1/3) are
    # noise: the best chunk-local prediction leaves at least their variance.
    floor = (args.window - args.tsteps) / 3.0 / args.window ** 2
    print(f"Best MSE from the current chunk alone: {floor:.4f}")
    for name, mse in results.items():
        print(f"{name:>9} LSTM test MSE: {mse:.4f}")
    return results


if __name__ == "__main__":
    main()
