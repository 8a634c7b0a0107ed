"""Datasets: `load` gives batched tf.data pipelines by name (offline, tensorflow-datasets, folders) and
`load_for_model` the same in a registered model's terms, for the training job; the NumPy loaders and
synthetic tasks underneath are there for quick experiments and tests; `make_tokenizer` turns a
`--tokenizer` spec ("words", "bpe:4000", a path) into the tokenizer the text is read with."""

from kerazoo.data.loading import TaskData, check_data_for_model, load, load_for_model
from kerazoo.data.offline import (
    CORPORA,
    corpus_words,
    load_digits,
    load_language_modeling,
    load_polarity,
    next_token_windows,
    next_word_windows,
    word_vocabulary,
)
from kerazoo.data.sources import OFFLINE, TASKS, default_dataset
from kerazoo.data.synthetic import copy_task, word_order_task
from kerazoo.data.tokenization import make_tokenizer

__all__ = [
    "CORPORA",
    "OFFLINE",
    "TASKS",
    "TaskData",
    "check_data_for_model",
    "copy_task",
    "corpus_words",
    "default_dataset",
    "load",
    "load_digits",
    "load_for_model",
    "load_language_modeling",
    "load_polarity",
    "make_tokenizer",
    "next_token_windows",
    "next_word_windows",
    "word_order_task",
    "word_vocabulary",
]
