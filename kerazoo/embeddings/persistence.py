"""Saving, loading and exporting word vectors, never leaving a half-written file behind."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from kerazoo._io import atomic_path

FORMATS = ("word2vec", "word2vec-binary", "projector")


def save(model, path: str | os.PathLike) -> str:
    """Saves a gensim `Word2Vec` (or `KeyedVectors`) to `path` through a temporary name and a rename.

    gensim may write large arrays to side files (`path.wv.vectors.npy`, ...); they are renamed into place
    too, the main file last, so a crash never leaves a main file that points at missing arrays.
    """
    path = Path(path)
    with atomic_path(path) as temporary:
        model.save(str(temporary))
        sides = sorted(temporary.parent.glob(temporary.name + ".*"))
        for side in sides:
            os.replace(side, str(path) + side.name[len(temporary.name) :])
    return str(path)


def load(path: str | os.PathLike):
    """Loads what `save` wrote: a `gensim.models.Word2Vec` (or `KeyedVectors`), as gensim's own `load`."""
    from gensim.utils import SaveLoad

    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"No saved model at {str(path)!r}")
    return SaveLoad.load(str(path))


def export(wv, path: str | os.PathLike, *, format: str = "word2vec", words: Sequence[str] | None = None) -> list[str]:
    """Writes vectors for other tools; every file is written atomically.

    Args:
        wv: gensim `KeyedVectors` (`model.wv`).
        path: the file for "word2vec" (text) and "word2vec-binary"; the folder for "projector", which gets
            TensorBoard projector's `vectors.tsv` and `metadata.tsv`.
        format: "word2vec", "word2vec-binary" or "projector".
        words: limit the projector export to these words (default: the whole vocabulary).

    Returns:
        The paths written.
    """
    if format not in FORMATS:
        raise ValueError(f"`format` must be one of {', '.join(map(repr, FORMATS))}. Received: format={format!r}")
    path = Path(path)
    if format != "projector":
        with atomic_path(path) as temporary:
            wv.save_word2vec_format(str(temporary), binary=format == "word2vec-binary")
        return [str(path)]
    words = list(words) if words is not None else list(wv.index_to_key)
    missing = [word for word in words if word not in wv.key_to_index]
    if missing:
        raise KeyError(f"Not in the vocabulary: {', '.join(map(repr, missing[:5]))}")
    path.mkdir(parents=True, exist_ok=True)
    with atomic_path(path / "vectors.tsv") as temporary, open(temporary, "w", encoding="utf8") as out:
        for word in words:
            out.write("\t".join(f"{value:.6g}" for value in wv[word]) + "\n")
    with atomic_path(path / "metadata.tsv") as temporary, open(temporary, "w", encoding="utf8") as out:
        out.write("".join(f"{word}\n" for word in words))
    return [str(path / "vectors.tsv"), str(path / "metadata.tsv")]
