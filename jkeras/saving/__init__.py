"""Saving and loading models and weights (being written)."""
