"""`load`: a dataset by name, as batched `tf.data` pipelines plus what a model needs to know of it.

    data = kerazoo.data.load("polarity", task="text-classification", batch_size=32, sequence_length=64)
    model = models.build("lstm_classifier", **data.model_settings(models.info("lstm_classifier").defaults))
    model.fit(data.train, validation_data=data.validation)

`load_for_model` does the same for a registered model, in the builder's own terms: the settings chosen
for the builder in (`input_shape`, `max_length` and `vocab_size` shape the data), the builder's arguments
out. TensorFlow (tf.data) and, for `tfds:` names, tensorflow-datasets are imported when a dataset is loaded.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from kerazoo._validation import require_choice, require_positive_int, require_seed
from kerazoo.data.sources import TASKS, ReadOptions, default_dataset, read, resolve_source
from kerazoo.data.splits import cardinality
from kerazoo.data.tokenization import check_tokenizer, default_tokenizer

# Builder arguments the data fixes: a different value chosen for one is refused (vocab_size is only a cap).
FIXED_BY_DATA = ("classes", "num_classes", "dim", "num_segments")


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
        vocabulary: for text tokenized into words, the id of each word ("" = 0 padding, "[UNK]" = 1), as
            TextVectorization's.
        tokenizer: for text tokenized into subwords, the `kerazoo.text.Tokenizer` (its id 0 is padding).
        sentence_pairs: each text example is a pair (GLUE's, SNLI's), fed as `{"tokens", "segment_ids"}`.
        text_sizes: for language modeling, `{split: {"words": ..., "characters": ...}}`: the size of the
            text each split's targets cover, for per-word perplexity and bits per character.
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
    tokenizer: object = field(default=None, repr=False)
    sentence_pairs: bool = False
    text_sizes: dict | None = None
    embedding_matrix: np.ndarray | None = field(default=None, repr=False)
    sequence_length: int | None = None
    image_shape: tuple | None = None

    @property
    def padding_id(self) -> int | None:
        """The id that pads text examples, which the loss and the scores leave out: 0, or None for the
        language-modeling windows of a tokenizer without padding (GPT-2's), which are never padded."""
        return self.tokenizer.pad_id if self.tokenizer is not None else 0

    def model_settings(self, accepted: Mapping) -> dict:
        """The builder arguments this data fixes, among those `accepted` (a `ModelInfo.defaults`)."""
        words = len(self.vocabulary) if self.vocabulary else None
        settings = {
            "input_shape": self.image_shape,
            "classes": self.num_classes,
            "num_classes": self.num_classes,
            "vocab_size": self.tokenizer.vocab_size if self.tokenizer is not None else words,
            "max_length": self.sequence_length,
            "embedding_matrix": self.embedding_matrix,
            "dim": None if self.embedding_matrix is None else int(self.embedding_matrix.shape[1]),
            "num_segments": 2 if self.sentence_pairs else None,  # BERT's segment embedding, first and second text
        }
        return {key: value for key, value in settings.items() if value is not None and key in accepted}


def load(
    data: str | os.PathLike | None = None,
    *,
    task: str,
    batch_size: int = 32,
    image_shape: tuple | None = None,
    sequence_length: int | None = None,
    vocab_size: int | None = None,
    embeddings: str | os.PathLike | None = None,
    tokenizer=None,
    seed: int = 0,
    drop_remainder: bool = False,
    data_dir: str | os.PathLike | None = None,
    download: bool = True,
) -> TaskData:
    """Loads `data` for `task` as train, validation and test pipelines.

    Args:
        data: an offline name ("digits", "polarity", "lee", "wiki", "copy"), "tfds:NAME" or
            "tfds:NAME:TRAIN_SPLIT" (tensorflow-datasets; the test split is "test", or "validation" where
            the test labels are withheld, as GLUE's are; two text features are a sentence pair), or a path: a folder in
            the `image_dataset_from_directory` / `text_dataset_from_directory` layout (one sub-folder per
            class, or `train/` and `test/` folders of them) for classification, a text file or folder for
            language modeling. None: the task's offline default.
        task: one of TASKS; it decides the preprocessing.
        batch_size: examples per batch; it may not exceed the training examples.
        image_shape: `(height, width, channels)` images are resized to; default the dataset's own.
        sequence_length: tokens per text example, padded or cut; default 64 (9 for "copy": 8 tokens and
            the start or end token).
        vocab_size: the most words kept (padding and "[UNK]" included); default 20,000. With a subword
            tokenizer, the most ids its vocabulary may have.
        embeddings: a Word2Vec run's folder (`kerazoo word2vec train --output`) or saved model: its
            vocabulary maps words to ids and `embedding_matrix` holds its vectors (text tasks; words only).
        tokenizer: how text becomes ids (text tasks): "words"; "bpe:N", "wordpiece:N" or "unigram:N", a
            subword tokenizer of N ids trained on the training split only; the path of a saved tokenizer;
            or a `kerazoo.text.Tokenizer`. None: byte-level BPE ("bpe:4000") for language modeling, words
            for classification and wherever `embeddings` are given.
        seed: seeds the splits and each epoch's order.
        drop_remainder: drop partial batches (static shapes; several replicas need it).
        data_dir, download: where tensorflow-datasets keeps its data, and whether it may download.

    Raises:
        ValueError: for an unknown or mismatched dataset (with the closest names), a folder without class
            sub-folders, a `tfds:` dataset not available offline, or a batch larger than the training set.
    """
    require_choice("task", task, TASKS)
    require_positive_int(batch_size=batch_size)
    require_seed(seed)
    _require_image_shape("image_shape", image_shape)
    if sequence_length is not None:
        require_positive_int(sequence_length=sequence_length)
    _require_vocab_size(vocab_size)
    if embeddings is not None and task in ("image-classification", "seq2seq"):
        raise ValueError(f"`embeddings` are word vectors, for text tasks. Received them for task={task!r}")
    check_tokenizer(tokenizer, task=task, embeddings=embeddings)
    name = _dataset_name(data, task)
    options = ReadOptions(
        task=task,
        image_shape=tuple(image_shape) if image_shape is not None else None,
        sequence_length=sequence_length,
        vocab_size=vocab_size,
        embeddings=embeddings,
        tokenizer=default_tokenizer(task, embeddings) if tokenizer is None else tokenizer,
        seed=seed,
        data_dir=data_dir,
        download=download,
    )
    return _batched(name, task, read(name, options), batch_size=batch_size, seed=seed, drop_remainder=drop_remainder)


def check_data_for_model(
    model,
    data: str | os.PathLike | None = None,
    settings: Mapping | None = None,
    *,
    tokenizer=None,
    embeddings: str | os.PathLike | None = None,
) -> None:
    """Refuses, before anything is read, data that `load_for_model` would refuse for these arguments: a dataset
    that does not exist or does not serve the model's task, a shaping setting out of range, a tokenizer spec
    that names nothing, or one the task or the `embeddings` cannot use.

    Args:
        model: the model's `ModelInfo` (`kerazoo.models.info(name)`).
        data, settings, tokenizer, embeddings: as `load_for_model` takes them.
    """
    settings = settings or {}
    check_tokenizer(tokenizer, task=model.task, embeddings=embeddings)
    resolve_source(_dataset_name(data, model.task), model.task)
    _require_image_shape("input_shape", settings.get("input_shape"))
    if settings.get("max_length") is not None:
        require_positive_int(max_length=settings["max_length"])
    _require_vocab_size(settings.get("vocab_size"))


def load_for_model(
    model,
    data: str | os.PathLike | None = None,
    *,
    settings: Mapping | None = None,
    batch_size: int = 32,
    embeddings: str | os.PathLike | None = None,
    tokenizer=None,
    seed: int = 0,
    drop_remainder: bool = False,
    data_dir: str | os.PathLike | None = None,
    download: bool = True,
) -> tuple[TaskData, dict]:
    """`load` for a registered model, in its builder's terms: its settings in, its builder's arguments out.

    Args:
        model: the model's `ModelInfo` (`kerazoo.models.info(name)`): its task decides the preprocessing,
            its defaults which arguments the builder takes.
        data: as `load` takes it; None: the task's offline default.
        settings: builder arguments chosen for the model. `input_shape`, `max_length` and `vocab_size` (a
            cap) shape the data, as `load`'s `image_shape`, `sequence_length` and `vocab_size`.
        batch_size, embeddings, tokenizer, seed, drop_remainder, data_dir, download: as `load` takes them.

    Returns:
        The data, and the builder's arguments: `settings` with the sizes the data fixes (classes, vocabulary
        size, input shape, sequence length, two segments for sentence pairs, and with `embeddings` the
        matrix and its `dim`).

    Raises:
        ValueError: as `load`, and for a setting in `FIXED_BY_DATA` that the data contradicts.
    """
    settings = dict(settings or {})
    check_data_for_model(model, data, settings, tokenizer=tokenizer, embeddings=embeddings)
    loaded = load(
        data,
        task=model.task,
        batch_size=batch_size,
        image_shape=settings.get("input_shape"),
        sequence_length=settings.get("max_length"),
        vocab_size=settings.get("vocab_size"),
        embeddings=embeddings,
        tokenizer=tokenizer,
        seed=seed,
        drop_remainder=drop_remainder,
        data_dir=data_dir,
        download=download,
    )
    fixed = loaded.model_settings(model.defaults)
    for key in FIXED_BY_DATA:
        if key in settings and key in fixed and settings[key] != fixed[key]:
            raise ValueError(
                f"`{key}` disagrees with the data: {loaded.name} fixes it at {fixed[key]!r}. Received: "
                f"{key}={settings[key]!r}"
            )
    return loaded, {**settings, **fixed}


def _dataset_name(data, task: str) -> str:
    return str(data) if data is not None else default_dataset(task)


def _require_image_shape(argument: str, shape) -> None:
    """The data needs a size to resize to: unlike a builder's `input_shape`, no None for height or width."""
    if shape is not None and not (
        isinstance(shape, (tuple, list)) and len(shape) == 3 and all(map(_is_positive_int, shape))
    ):
        raise ValueError(
            f"`{argument}` must be (height, width, channels), three positive integers. Received: {argument}={shape!r}"
        )


def _require_vocab_size(vocab_size) -> None:
    if vocab_size is not None and not (_is_positive_int(vocab_size) and vocab_size >= 3):
        raise ValueError(f"`vocab_size` must be an integer >= 3 (padding, [UNK], a word). Received: {vocab_size!r}")


def _is_positive_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


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
