"""Keras's small datasets. Each `load_data()` downloads its file once into the Keras cache
(`~/.keras/datasets`, or `$KERAS_HOME/datasets`), checks its hash, and returns NumPy arrays
`(x_train, y_train), (x_test, y_test)` exactly as Keras does.

    (x_train, y_train), (x_test, y_test) = jkeras.datasets.mnist.load_data()
"""
from jkeras.datasets import (boston_housing, california_housing, cifar10, cifar100, fashion_mnist, imdb, mnist,
                             reuters)

__all__ = ["boston_housing", "california_housing", "cifar10", "cifar100", "fashion_mnist", "imdb", "mnist",
           "reuters"]
