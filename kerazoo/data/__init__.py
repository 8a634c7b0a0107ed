"""Datasets as NumPy arrays: offline ones shipped by dependencies."""

from kerazoo.data.offline import load_digits, load_lee_language_modeling

__all__ = ["load_digits", "load_lee_language_modeling"]
