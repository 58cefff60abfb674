"""Test-wide setup: Keras 3 (the reference) runs on its JAX backend."""
import os

os.environ.setdefault("KERAS_BACKEND", "jax")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
