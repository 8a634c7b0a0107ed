"""Saving, loading and exporting word vectors, never leaving a half-written file behind."""

from __future__ import annotations

import glob
import math
import os
import pickle
from collections.abc import Sequence
from pathlib import Path

from kerazoo._io import atomic_path

FORMATS = ("word2vec", "word2vec-binary", "projector")
# The model's file in a run's folder (`kerazoo word2vec train --output DIR`).
MODEL_FILE = "word2vec.model"


def save(model, path: str | os.PathLike) -> str:
    """Saves a gensim `Word2Vec` (or `KeyedVectors`) to `path` in one step: one file, written under a
    temporary name and renamed over `path`.

    gensim would write arrays over 10 MB to side files (`path.wv.vectors.npy`, ...), and no set of renames
    replaces several files at once: a kill between two renames left new arrays beside an old model, which
    loaded as one mixed model. Everything goes into the one file instead, so a crash or kill leaves the old
    model or the new one, whole. Side files of an earlier save are removed once the new file is in place.
    """
    path = Path(path)
    with atomic_path(path) as temporary:
        # pickle protocol 4 holds objects over 4 GB; an infinite sep_limit keeps every array inline.
        model.save(str(temporary), sep_limit=math.inf, pickle_protocol=4)
    for stale in path.parent.glob(glob.escape(path.name) + ".*.npy"):
        stale.unlink(missing_ok=True)
    return str(path)


def load(path: str | os.PathLike):
    """Loads what `save` wrote: a `gensim.models.Word2Vec` (or `KeyedVectors`), as gensim's own `load`.

    `path` is the saved file, or a run's folder holding `MODEL_FILE`.
    """
    from gensim.utils import SaveLoad

    path = Path(path)
    if path.is_dir():
        path = path / MODEL_FILE
    if not path.exists():
        raise FileNotFoundError(f"No saved model at {str(path)!r}")
    try:
        return SaveLoad.load(str(path))
    except (OSError, EOFError, pickle.UnpicklingError, ValueError, AttributeError, ImportError, IndexError) as error:
        raise ValueError(
            f"{path} is not a whole saved gensim model ({type(error).__name__}: {error}). It is damaged, or a "
            "side file of a multi-file gensim save is missing; kerazoo.embeddings.save writes one file."
        ) from error


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


def plot_words(wv, words: Sequence[str], path: str | os.PathLike, *, title: str | None = None) -> str:
    """A PNG of `words` projected to 2-D with PCA (their own two principal axes), each point labelled.

    Returns:
        The path written (atomically).
    """
    import numpy as np

    words = list(words)
    missing = [word for word in words if word not in wv.key_to_index]
    if missing or len(words) < 3:
        raise ValueError(
            f"`words` needs at least 3 words of the vocabulary. Missing: {missing[:5]}; received {len(words)} words."
        )
    # A bare Figure draws to a file with no GUI and without touching the user's pyplot backend or state.
    from matplotlib.figure import Figure

    vectors = np.stack([wv[word] for word in words]).astype("float64")
    centred = vectors - vectors.mean(axis=0)
    _, _, axes = np.linalg.svd(centred, full_matrices=False)
    points = centred @ axes[:2].T  # (words, 2)
    figure = Figure(figsize=(6, 5))
    axis = figure.subplots()
    axis.scatter(points[:, 0], points[:, 1], s=12)
    for word, (x, y) in zip(words, points, strict=True):
        axis.annotate(word, (x, y), fontsize=8, xytext=(3, 3), textcoords="offset points")
    axis.set(title=title or f"{len(words)} words, PCA of their vectors", xlabel="PC 1", ylabel="PC 2")
    figure.tight_layout()
    with atomic_path(path) as temporary:
        figure.savefig(temporary, dpi=100)
    return str(path)
