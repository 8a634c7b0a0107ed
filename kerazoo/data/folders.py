"""Folders in the `image_dataset_from_directory` / `text_dataset_from_directory` layout: one sub-folder per
class, or `train/` and `test/` folders of them. Lists their files in a seeded order and reads images."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

# The file types image_dataset_from_directory and text_dataset_from_directory read.
IMAGE_EXTENSIONS = (".bmp", ".gif", ".jpeg", ".jpg", ".png")
TEXT_EXTENSIONS = (".txt",)
# The first bytes of the formats image_dataset_from_directory reads (and tf.io.decode_image decodes).
IMAGE_SIGNATURES = {
    b"\xff\xd8\xff": "JPEG",
    b"\x89PNG\r\n\x1a\n": "PNG",
    b"GIF87a": "GIF",
    b"GIF89a": "GIF",
    b"BM": "BMP",
}


def class_files(root: Path, extensions: tuple[str, ...], seed: int):
    """`(paths, labels)` of the training files, those of `root/test/` (None without one), and the class names.

    `root/train/` and `root/test/` are used as they are when both exist; else every class sub-folder of
    `root` is read for training. The training files are shuffled with `seed` and then keep that order, so
    a split of them is the same at every run: Keras's loaders reshuffle at every pass, by how often they
    have been read, which a resumed run could not repeat.
    """
    train_folder, test_folder = _class_folders(root)
    paths, labels, class_names = _files_by_class(train_folder, extensions)
    order = np.random.default_rng(seed).permutation(len(paths))
    test_files = None
    if test_folder is not None:
        test_paths, test_labels, test_classes = _files_by_class(test_folder, extensions)
        if test_classes != class_names:
            raise ValueError(
                f"{test_folder} and {train_folder} hold different classes: {test_classes} vs {class_names}"
            )
        test_files = (test_paths, test_labels)
    return (paths[order], labels[order]), test_files, class_names


def _files_by_class(folder: Path, extensions: tuple[str, ...]):
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


def require_images(paths) -> None:
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


def read_image(shape):
    """A map from `(path, label)` to the image at `shape[:2]` (float32 in [0, 255], as Keras's loader gives it)."""
    import tensorflow as tf

    def read(path, label):
        image = tf.io.decode_image(tf.io.read_file(path), channels=shape[2], expand_animations=False)
        image = tf.image.resize(image, shape[:2])
        image.set_shape((*shape[:2], shape[2]))
        return image, label

    return read
