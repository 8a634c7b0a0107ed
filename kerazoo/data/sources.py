"""Where `load` reads from: the offline datasets, tensorflow-datasets and folders, as unbatched splits.

Each reader returns `Splits`: train, validation and test `tf.data` datasets of `(inputs, targets)` pairs,
preprocessed for the task (images as float32 in [0, 1] at the asked shape, text as token ids), and the
`TaskData` fields that describe them.
"""

from __future__ import annotations

import difflib
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from kerazoo._optional import require
from kerazoo.data import offline
from kerazoo.data.pipelines import (
    COPY_EXAMPLES,
    COPY_VOCAB_SIZE,
    DIGITS_SHAPE,
    FOLDER_IMAGE_SHAPE,
    HELD_OUT_FRACTION,
    SEQUENCE_LENGTH,
    TFDS_PREFIX,
    cardinality,
    resolve_source,
)

FOLDER_CHANNELS = (1, 3, 4)  # grayscale, RGB, RGBA
# The file types image_dataset_from_directory and text_dataset_from_directory read.
IMAGE_EXTENSIONS = (".bmp", ".gif", ".jpeg", ".jpg", ".png")
TEXT_EXTENSIONS = (".txt",)
COPY_LENGTH = 8


@dataclass(frozen=True)
class Splits:
    datasets: dict  # "train", "validation", "test": unbatched tf.data datasets
    metadata: dict  # TaskData fields: num_classes, class_names, vocabulary, ...


def read(name: str, options) -> Splits:
    source = resolve_source(name, options.task)
    reader = {
        "image-classification": _images,
        "text-classification": _texts,
        "language-modeling": _language_modeling,
        "seq2seq": _copy,
    }[options.task]
    return reader(name, source, options)


def _slices(*arrays):
    import tensorflow as tf

    return tf.data.Dataset.from_tensor_slices(arrays)


def _hold_out(x, y) -> dict:
    """Train and validation datasets from arrays: the first tenth is the validation split."""
    held = max(1, int(len(y) * HELD_OUT_FRACTION))
    return {"train": _slices(x[held:], y[held:]), "validation": _slices(x[:held], y[:held])}


def _images(name: str, source: str, options) -> Splits:
    if source == "offline":
        shape = options.image_shape or DIGITS_SHAPE
        (x, y), (x_test, y_test) = offline.load_digits(image_size=shape[:2], seed=options.seed)
        x, x_test = (np.repeat(images, shape[2], axis=-1) for images in (x, x_test))
        datasets = {**_hold_out(x, y), "test": _slices(x_test, y_test)}
        class_names = [str(digit) for digit in range(10)]
    elif source == "tfds":
        datasets, info, keys = _tfds(name, options)
        shape = options.image_shape or tuple(info.features[keys[0]].shape)
        if None in shape:
            raise ValueError(f"{name} images vary in size: give the model's input_shape (--set input_shape=(H, W, C)).")
        datasets = {split: ds.map(_image_to(shape)) for split, ds in datasets.items()}
        class_names = info.features[keys[1]].names
    else:
        shape = options.image_shape or FOLDER_IMAGE_SHAPE
        if shape[2] not in FOLDER_CHANNELS:
            raise ValueError(f"Folder images need 1, 3 or 4 channels. Received: input_shape={shape}")
        files, class_names = _folder_splits(Path(name), options.seed, IMAGE_EXTENSIONS)
        for paths, _ in files.values():
            _require_images(paths)
        datasets = {split: _slices(*split_files).map(_read_image(shape)) for split, split_files in files.items()}
        datasets = {split: ds.map(_image_to(shape)) for split, ds in datasets.items()}
    return Splits(datasets, {"num_classes": len(class_names), "class_names": tuple(class_names), "image_shape": shape})


# The first bytes of the formats image_dataset_from_directory reads (and tf.io.decode_image decodes).
IMAGE_SIGNATURES = {
    b"\xff\xd8\xff": "JPEG",
    b"\x89PNG\r\n\x1a\n": "PNG",
    b"GIF87a": "GIF",
    b"GIF89a": "GIF",
    b"BM": "BMP",
}


def _require_images(paths) -> None:
    """Refuses, by its path, a file that is no JPEG, PNG, GIF or BMP image, before TensorFlow fails on it
    mid-epoch with no file named. Reads a few bytes a file."""
    longest = max(map(len, IMAGE_SIGNATURES))
    for path in paths:
        with open(path, "rb") as file:
            start = file.read(longest)
        if not any(start.startswith(signature) for signature in IMAGE_SIGNATURES):
            raise ValueError(
                f"{path} is not an image that can be read (JPEG, PNG, GIF or BMP): it begins {start[:8]!r}. "
                "Remove it from the folder, or convert it."
            )


def _read_image(shape):
    """A map from `(path, label)` to the image at `shape[:2]` (float32 in [0, 255], as Keras's loader gives it)."""
    import tensorflow as tf

    def read(path, label):
        image = tf.io.decode_image(tf.io.read_file(path), channels=shape[2], expand_animations=False)
        image = tf.image.resize(image, shape[:2])
        image.set_shape((*shape[:2], shape[2]))
        return image, label

    return read


def _image_to(shape):
    """A map from `(image, label)` to float32 pixels in [0, 1] at `shape`, and an int32 label."""
    import tensorflow as tf

    def convert(image, label):
        if image.dtype == tf.uint8:
            image = tf.image.convert_image_dtype(image, tf.float32)
        else:  # image_dataset_from_directory yields float32 in [0, 255]
            image = tf.cast(image, tf.float32) / 255.0
        if image.shape[-1] == 1 and shape[2] == 3:
            image = tf.image.grayscale_to_rgb(image)
        elif image.shape[-1] == 3 and shape[2] == 1:
            image = tf.image.rgb_to_grayscale(image)
        if tuple(image.shape[:2]) != tuple(shape[:2]):
            image = tf.image.resize(image, shape[:2])
        return image, tf.cast(label, tf.int32)

    return convert


def _texts(name: str, source: str, options) -> Splits:
    import tensorflow as tf

    if source == "offline":
        (texts, y), (texts_test, y_test), class_names = offline.load_polarity(seed=options.seed)
        datasets = {**_hold_out(texts, y), "test": _slices(texts_test, y_test)}
    elif source == "tfds":
        datasets, info, keys = _tfds(name, options)
        class_names = info.features[keys[1]].names
    else:
        files, class_names = _folder_splits(Path(name), options.seed, TEXT_EXTENSIONS)
        datasets = {
            split: _slices(*split_files).map(lambda path, label: (tf.io.read_file(path), label))
            for split, split_files in files.items()
        }
    length = options.sequence_length or SEQUENCE_LENGTH
    vectorize, matrix = _vectorizer(options, length, datasets["train"].map(lambda text, _: text))

    def to_ids(text, label):
        return vectorize(tf.expand_dims(text, 0))[0], tf.cast(label, tf.int32)

    return Splits(
        {split: ds.map(to_ids) for split, ds in datasets.items()},
        {
            "num_classes": len(class_names),
            "class_names": tuple(class_names),
            "vocabulary": tuple(vectorize.get_vocabulary()),
            "embedding_matrix": matrix,
            "sequence_length": length,
        },
    )


def _vectorizer(options, length: int, train_texts):
    """A `TextVectorization`, from a Word2Vec run's vocabulary or adapted on the training texts only."""
    import keras

    from kerazoo.layers.text import standardize_words

    if options.embeddings is not None:
        from kerazoo.embeddings.keras_layers import text_vectorization_and_embedding

        vectorize, embedding = text_vectorization_and_embedding(
            _word_vectors(options.embeddings), max_tokens=options.vocab_size, output_sequence_length=length
        )
        return vectorize, keras.ops.convert_to_numpy(embedding.embeddings)
    vectorize = keras.layers.TextVectorization(
        max_tokens=options.vocab_size, output_sequence_length=length, standardize=standardize_words
    )
    vectorize.adapt(train_texts.batch(256))
    return vectorize, None


def _word_vectors(path):
    from kerazoo.embeddings.persistence import load

    model = load(path)
    return getattr(model, "wv", model)


def _language_modeling(name: str, source: str, options) -> Splits:
    from kerazoo.embeddings.keras_layers import embedding_matrix, vectors_vocabulary

    length = options.sequence_length or SEQUENCE_LENGTH
    words = offline.corpus_words(name)
    # The text in order: 80% to train on, then 10% each for validation and test.
    train_end, validation_end = int(len(words) * 0.8), int(len(words) * 0.9)
    parts = {"train": words[:train_end], "validation": words[train_end:validation_end], "test": words[validation_end:]}
    matrix = None
    if options.embeddings is not None:
        vectors = _word_vectors(options.embeddings)
        vocabulary = vectors_vocabulary(vectors, options.vocab_size)
        matrix = embedding_matrix(vectors, vocabulary)
    else:
        vocabulary = offline.word_vocabulary(parts["train"], options.vocab_size - 2)
    datasets = {}
    for split, part in parts.items():
        x, y = offline.next_word_windows(part, vocabulary, length)
        if not len(x):
            raise ValueError(
                f"The {split} part of {name!r} ({len(part)} words) is shorter than one example of "
                f"sequence_length={length}."
            )
        datasets[split] = _slices(x, y)
    return Splits(datasets, {"vocabulary": tuple(vocabulary), "embedding_matrix": matrix, "sequence_length": length})


def _copy(name: str, source: str, options) -> Splits:
    from kerazoo.data.synthetic import copy_task

    # The target is the copied tokens and one start or end token.
    length = options.sequence_length or COPY_LENGTH + 1
    if length < 2:
        raise ValueError(f"The copy task needs sequence_length >= 2. Received: sequence_length={length}")
    source_ids, target_in, target_out = copy_task(
        COPY_EXAMPLES, length=length - 1, vocab_size=COPY_VOCAB_SIZE, seed=options.seed
    )
    ends = np.cumsum([int(COPY_EXAMPLES * 0.8), int(COPY_EXAMPLES * 0.1)])
    datasets = {
        split: _slices({"source": source_ids[part], "target": target_in[part]}, target_out[part])
        for split, part in zip(
            ("train", "validation", "test"), (slice(0, ends[0]), slice(*ends), slice(ends[1], None)), strict=True
        )
    }
    vocabulary = ("", "[START]", "[END]", *(str(token) for token in range(3, COPY_VOCAB_SIZE)))
    return Splits(datasets, {"vocabulary": vocabulary, "sequence_length": length})


def _folder_splits(root: Path, seed: int, extensions: tuple[str, ...]):
    """`{split: (paths, labels)}` and the class names, from a folder of class sub-folders.

    The layout and file types are `image_dataset_from_directory`'s and `text_dataset_from_directory`'s.
    `root/train/` and `root/test/` are used as they are when both exist, a tenth of `train/` held out for
    validation; else a fifth of `root` is held out, half for validation, half for test. The files are
    shuffled with `seed` before a split and then keep that order: Keras's loaders reshuffle at every pass,
    by how often they have been read, which a resumed run could not repeat.
    """
    train_folder, test_folder = _class_folders(root)
    paths, labels, class_names = _class_files(train_folder, extensions)
    order = np.random.default_rng(seed).permutation(len(paths))
    paths, labels = paths[order], labels[order]
    if test_folder is not None:
        test_paths, test_labels, test_classes = _class_files(test_folder, extensions)
        if test_classes != class_names:
            raise ValueError(
                f"{test_folder} and {train_folder} hold different classes: {test_classes} vs {class_names}"
            )
        held = max(1, int(len(paths) * HELD_OUT_FRACTION))
        return {
            "train": (paths[held:], labels[held:]),
            "validation": (paths[:held], labels[:held]),
            "test": (test_paths, test_labels),
        }, class_names
    held = max(2, int(len(paths) * 2 * HELD_OUT_FRACTION))
    half = held // 2
    return {
        "train": (paths[held:], labels[held:]),
        "validation": (paths[:half], labels[:half]),
        "test": (paths[half:held], labels[half:held]),
    }, class_names


def _class_files(folder: Path, extensions: tuple[str, ...]):
    """Every file of a class sub-folder of `folder` (recursively, sorted) with a type in `extensions`, its class
    index (the sub-folders in sorted order), and the class names."""
    class_names = sorted(entry.name for entry in folder.iterdir() if entry.is_dir())
    paths, labels = [], []
    for label, class_name in enumerate(class_names):
        for directory, _, names in sorted(os.walk(folder / class_name)):
            chosen = sorted(name for name in names if name.lower().endswith(extensions))
            paths += [os.path.join(directory, name) for name in chosen]
            labels += [label] * len(chosen)
    if not paths:
        raise ValueError(f"Folder {folder} holds no files of the types read here ({', '.join(extensions)}).")
    return np.array(paths, dtype=str), np.array(labels, dtype="int32"), class_names


def _class_folders(root: Path):
    if not root.is_dir():
        raise ValueError(f"Classification reads a folder with one sub-folder per class. Received a file: {root}")
    if (root / "train").is_dir() and (root / "test").is_dir():
        return _require_classes(root / "train"), _require_classes(root / "test")
    return _require_classes(root), None


def _require_classes(folder: Path) -> Path:
    classes = [entry for entry in folder.iterdir() if entry.is_dir() and any(f.is_file() for f in entry.iterdir())]
    if len(classes) < 2:
        raise ValueError(
            f"Folder {folder} has no class sub-folders ({len(classes)} with files; 2 or more needed): put each "
            f"class's files in {folder}/<class name>/, the image_dataset_from_directory layout."
        )
    return folder


def _tfds(name: str, options):
    """The train (less a validation tenth), validation and test splits of a tensorflow-datasets dataset."""
    tfds = require("tensorflow_datasets", name)
    dataset, _, train_split = name.removeprefix(TFDS_PREFIX).partition(":")
    try:
        (train, test), info = tfds.load(
            dataset,
            split=[train_split or "train", "test"],
            as_supervised=True,
            with_info=True,
            data_dir=options.data_dir,
            download=options.download,
        )
    except tfds.core.registered.DatasetNotFoundError:
        close = difflib.get_close_matches(dataset, tfds.list_builders(), n=3)
        hint = f" Did you mean {', '.join(map(repr, close))}?" if close else ""
        raise ValueError(f"tensorflow-datasets has no dataset {dataset!r}.{hint}") from None
    except (AssertionError, OSError, ConnectionError) as error:
        where = options.data_dir or "~/tensorflow_datasets (the default data_dir)"
        raise ValueError(
            f"{name} is not available offline: no prepared copy in data_dir={where}"
            + ("" if options.download else " and download=False")
            + f" ({type(error).__name__}). Prepare it where there is network (tfds build {dataset} --data_dir DIR) "
            "and pass that DIR as data_dir (kerazoo train --data-dir DIR)."
        ) from None
    if info.supervised_keys is None:
        raise ValueError(f"{name} has no (input, label) pairs (supervised_keys) to classify.")
    held = max(1, cardinality(train) // 10)
    return {"train": train.skip(held), "validation": train.take(held), "test": test}, info, info.supervised_keys
