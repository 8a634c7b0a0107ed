"""Datasets: `load` gives batched tf.data pipelines by name (offline, tensorflow-datasets, folders) for the
training job; the NumPy loaders and synthetic tasks underneath are there for quick experiments and tests."""

from kerazoo.data.offline import (
    CORPORA,
    corpus_words,
    load_digits,
    load_language_modeling,
    load_polarity,
    next_word_windows,
    word_vocabulary,
)
from kerazoo.data.pipelines import OFFLINE, TASKS, TaskData, default_dataset, load
from kerazoo.data.synthetic import copy_task, word_order_task

__all__ = [
    "CORPORA",
    "OFFLINE",
    "TASKS",
    "TaskData",
    "copy_task",
    "corpus_words",
    "default_dataset",
    "load",
    "load_digits",
    "load_language_modeling",
    "load_polarity",
    "next_word_windows",
    "word_order_task",
    "word_vocabulary",
]
