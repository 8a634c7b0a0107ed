"""`load`: a dataset by name, as batched `tf.data` pipelines plus what a model needs to know of it.

    data = kerazoo.data.load("polarity", task="text-classification", batch_size=32, sequence_length=64)
    model = models.build("lstm_classifier", **data.model_settings(models.info("lstm_classifier").defaults))
    model.fit(data.train, validation_data=data.validation)

TensorFlow (tf.data) and, for `tfds:` names, tensorflow-datasets are imported when a dataset is loaded.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from kerazoo._validation import require_choice, require_positive_int

TASKS = ("image-classification", "text-classification", "language-modeling", "seq2seq")
# The datasets that ship inside dependencies, by the task they serve; the first of a task is its default.
OFFLINE = {
    "digits": "image-classification",
    "polarity": "text-classification",
    "lee": "language-modeling",
    "wiki": "language-modeling",
    "copy": "seq2seq",
}
TFDS_PREFIX = "tfds:"
# Digits are 8x8: upsampled to the smallest input every image model of the zoo takes.
DIGITS_SHAPE = (32, 32, 1)
# image_dataset_from_directory's own default size.
FOLDER_IMAGE_SHAPE = (256, 256, 3)
SEQUENCE_LENGTH = 64
VOCAB_SIZE = 20000
COPY_VOCAB_SIZE, COPY_EXAMPLES = 12, 3000
HELD_OUT_FRACTION = 0.1


@dataclass(frozen=True)
class TaskData:
    """Batched, prefetched `tf.data` splits of a dataset and what a model built for it must know.

    Attributes:
        name, task: the dataset as named to `load`, and the task it was prepared for.
        train, validation, test: `(inputs, targets)` batches; `train` is reshuffled every epoch from the seed,
            for `model.fit`.
        train_examples: the training split as single examples in a fixed order. `kerazoo.training.fit`
            batches it and orders each epoch from the seed and the epoch alone, so a resumed run sees the
            batches an uninterrupted one would (`train` reshuffles by how often it has been read).
        train_size: examples in `train`.
        num_classes, class_names: for classification.
        vocabulary: for text, the id of each word ("" = 0 padding, "[UNK]" = 1), as TextVectorization's.
        embedding_matrix: `(len(vocabulary), dim)` vectors when loaded with `embeddings`.
        sequence_length: tokens per example for text (the static length XLA wants).
        image_shape: `(height, width, channels)` for images.
    """

    name: str
    task: str
    train: object
    validation: object
    test: object
    train_examples: object
    train_size: int
    num_classes: int | None = None
    class_names: tuple | None = None
    vocabulary: tuple | None = None
    embedding_matrix: np.ndarray | None = field(default=None, repr=False)
    sequence_length: int | None = None
    image_shape: tuple | None = None

    def model_settings(self, accepted: Mapping) -> dict:
        """The builder arguments this data fixes, among those `accepted` (a `ModelInfo.defaults`)."""
        settings = {
            "input_shape": self.image_shape,
            "classes": self.num_classes,
            "num_classes": self.num_classes,
            "vocab_size": len(self.vocabulary) if self.vocabulary else None,
            "max_length": self.sequence_length,
            "embedding_matrix": self.embedding_matrix,
            "dim": None if self.embedding_matrix is None else int(self.embedding_matrix.shape[1]),
        }
        return {key: value for key, value in settings.items() if value is not None and key in accepted}


def default_dataset(task: str) -> str:
    require_choice("task", task, TASKS)
    return next(name for name, served in OFFLINE.items() if served == task)


def load(
    data: str | os.PathLike | None = None,
    *,
    task: str,
    batch_size: int = 32,
    image_shape: tuple | None = None,
    sequence_length: int | None = None,
    vocab_size: int | None = None,
    embeddings: str | os.PathLike | None = None,
    seed: int = 0,
    drop_remainder: bool = False,
    data_dir: str | os.PathLike | None = None,
    download: bool = True,
) -> TaskData:
    """Loads `data` for `task` as train, validation and test pipelines.

    Args:
        data: an offline name ("digits", "polarity", "lee", "wiki", "copy"), "tfds:NAME" or
            "tfds:NAME:TRAIN_SPLIT" (tensorflow-datasets; the test split is "test"), or a path: a folder in
            the `image_dataset_from_directory` / `text_dataset_from_directory` layout (one sub-folder per
            class, or `train/` and `test/` folders of them) for classification, a text file or folder for
            language modeling. None: the task's offline default.
        task: one of TASKS; it decides the preprocessing.
        batch_size: examples per batch; it may not exceed the training examples.
        image_shape: `(height, width, channels)` images are resized to; default the dataset's own.
        sequence_length: tokens per text example, padded or cut; default 64 (9 for "copy": 8 tokens and
            the start or end token).
        vocab_size: the most words kept (padding and "[UNK]" included); default 20,000.
        embeddings: a Word2Vec run's folder (`kerazoo word2vec train --output`) or saved model: its
            vocabulary maps words to ids and `embedding_matrix` holds its vectors (text tasks).
        seed: seeds the splits and each epoch's order.
        drop_remainder: drop partial batches (static shapes; several replicas need it).
        data_dir, download: where tensorflow-datasets keeps its data, and whether it may download.

    Raises:
        ValueError: for an unknown or mismatched dataset (with the closest names), a folder without class
            sub-folders, a `tfds:` dataset not available offline, or a batch larger than the training set.
    """
    require_choice("task", task, TASKS)
    require_positive_int(batch_size=batch_size)
    if sequence_length is not None:
        require_positive_int(sequence_length=sequence_length)
    if vocab_size is not None and (isinstance(vocab_size, bool) or not isinstance(vocab_size, int) or vocab_size < 3):
        raise ValueError(f"`vocab_size` must be an integer >= 3 (padding, [UNK], a word). Received: {vocab_size!r}")
    if embeddings is not None and task in ("image-classification", "seq2seq"):
        raise ValueError(f"`embeddings` are word vectors, for text tasks. Received them for task={task!r}")
    name = str(data) if data is not None else default_dataset(task)
    options = _Options(
        task=task,
        image_shape=tuple(image_shape) if image_shape is not None else None,
        sequence_length=sequence_length,
        vocab_size=vocab_size or VOCAB_SIZE,
        embeddings=embeddings,
        seed=seed,
        data_dir=data_dir,
        download=download,
    )
    from kerazoo.data import sources

    splits = sources.read(name, options)
    return _batched(name, task, splits, batch_size=batch_size, seed=seed, drop_remainder=drop_remainder)


@dataclass(frozen=True)
class _Options:
    """What `load` was asked for, handed to the sources."""

    task: str
    image_shape: tuple | None
    sequence_length: int | None
    vocab_size: int
    embeddings: str | os.PathLike | None
    seed: int
    data_dir: str | os.PathLike | None
    download: bool


def resolve_source(name: str, task: str) -> str:
    """ "offline", "tfds" or "path", after checking that `name` exists and serves `task`."""
    if name.startswith(TFDS_PREFIX):
        if task not in ("image-classification", "text-classification"):
            raise ValueError(f"tfds: datasets are read for image and text classification. Received task={task!r}")
        return "tfds"
    if name in OFFLINE:
        if OFFLINE[name] != task:
            served = [n for n, t in OFFLINE.items() if t == task]
            raise ValueError(
                f"Dataset {name!r} is a {OFFLINE[name]} dataset; the model is a {task} model. "
                f"Offline datasets for {task}: {', '.join(served)}"
            )
        return "offline"
    if Path(name).exists():
        if task == "seq2seq":
            raise ValueError(f"seq2seq models train on the synthetic 'copy' task only. Received: data={name!r}")
        return "path"
    close = difflib.get_close_matches(name, list(OFFLINE), n=2, cutoff=0.6)
    hint = f" Did you mean {' or '.join(map(repr, close))}?" if close else ""
    raise ValueError(
        f"Unknown dataset {name!r}: not an offline dataset, a tfds: name or an existing path.{hint} "
        f"Offline datasets: {', '.join(f'{n} ({t})' for n, t in OFFLINE.items())}"
    )


def _batched(name, task, splits, *, batch_size, seed, drop_remainder) -> TaskData:
    import tensorflow as tf

    sizes = {split: cardinality(dataset) for split, dataset in splits.datasets.items()}
    if batch_size > sizes["train"]:
        raise ValueError(
            f"`batch_size` ({batch_size}) is larger than the training set of {name!r} ({sizes['train']} examples)."
        )
    if drop_remainder:
        short = [split for split in ("validation", "test") if sizes[split] < batch_size]
        if short:
            raise ValueError(
                f"`batch_size` ({batch_size}) is larger than the {' and '.join(short)} split of {name!r} "
                f"({', '.join(str(sizes[s]) for s in short)} examples), and full batches are needed."
            )
    train = splits.datasets["train"].shuffle(min(sizes["train"], 10_000), seed=seed, reshuffle_each_iteration=True)
    batched = {
        split: dataset.batch(batch_size, drop_remainder=drop_remainder).prefetch(tf.data.AUTOTUNE)
        for split, dataset in {**splits.datasets, "train": train}.items()
    }
    return TaskData(
        name=name,
        task=task,
        train=batched["train"],
        validation=batched["validation"],
        test=batched["test"],
        train_examples=splits.datasets["train"],
        train_size=sizes["train"],
        **splits.metadata,
    )


def cardinality(dataset) -> int:
    """The number of elements (examples, or batches once batched); counted where tf.data does not know it."""
    size = int(dataset.cardinality())
    if size >= 0:
        return size
    return int(dataset.reduce(0, lambda count, _: count + 1))
