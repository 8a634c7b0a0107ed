"""Datasets as NumPy arrays: offline ones shipped by dependencies, and synthetic tasks with known answers."""

from kerazoo.data.offline import load_digits, load_lee_language_modeling
from kerazoo.data.synthetic import copy_task, word_order_task

__all__ = ["copy_task", "load_digits", "load_lee_language_modeling", "word_order_task"]
