"""Saving, loading and exporting word vectors, never leaving a half-written file behind."""

from __future__ import annotations

import glob
import math
import os
import pickle
from collections.abc import Sequence
from pathlib import Path

from kerazoo._io import atomic_path
from kerazoo._validation import require_choice
from kerazoo.embeddings.keras_layers import require_keyed_vectors

# The formats `export` writes word vectors in (a whole model's export formats are `models.serving`'s).
VECTOR_FORMATS = ("word2vec", "word2vec-binary", "projector")
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
        format: one of `VECTOR_FORMATS`: "word2vec", "word2vec-binary" or "projector".
        words: limit the projector export to these words (default: the whole vocabulary).

    Returns:
        The paths written.
    """
    require_keyed_vectors(wv)
    require_choice("format", format, VECTOR_FORMATS)
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

    Each label goes to the first of a few spots around its point, nearest first, where it covers no other
    label and no point (the spot covering least when none is free); a label set further out is joined to
    its point by a thin line.

    Returns:
        The path written (atomically).
    """
    figure = _words_figure(wv, words, title=title)
    with atomic_path(path) as temporary:
        figure.savefig(temporary, dpi=figure.dpi)
    return str(path)


_LABEL_SIZE = 8  # points
# Where a label may go: rings around its point (offsets in points), each tried in eight directions,
# up-right first as labels usually sit; from the third ring on, a leader line joins label and point.
_LABEL_RINGS = (4, 10, 18, 28, 40)
_LABEL_DIRECTIONS = (45, -45, 135, -135, 0, 180, 90, -90)  # degrees
_DOT = 3  # pixels around a point that a label must not cover
_GAP = 1  # pixels kept free around a label


def _words_figure(wv, words: Sequence[str], *, title: str | None):
    """The figure `plot_words` writes: the PCA map with its labels placed."""
    import numpy as np

    words = list(words)
    missing = [word for word in words if word not in wv.key_to_index]
    if missing or len(words) < 3:
        raise ValueError(
            f"`words` needs at least 3 words of the vocabulary. Missing: {missing[:5]}; received {len(words)} words."
        )
    # A bare Figure draws to a file with no GUI and without touching the user's pyplot backend or state; its
    # own Agg canvas (the one a PNG is drawn with anyway) measures the labels.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    vectors = np.stack([wv[word] for word in words]).astype("float64")
    centred = vectors - vectors.mean(axis=0)
    _, _, axes = np.linalg.svd(centred, full_matrices=False)
    points = centred @ axes[:2].T  # (words, 2)
    figure = Figure(figsize=(7, 6), dpi=100)
    FigureCanvasAgg(figure)
    axis = figure.subplots()
    axis.scatter(points[:, 0], points[:, 1], s=12, zorder=2)
    low, high = points.min(axis=0), points.max(axis=0)
    pad = 0.12 * np.maximum(high - low, 1e-9)  # room for the labels of the outermost points
    axis.set(xlim=(low[0] - pad[0], high[0] + pad[0]), ylim=(low[1] - pad[1], high[1] + pad[1]))
    axis.set(title=title or f"{len(words)} words, PCA of their vectors", xlabel="PC 1", ylabel="PC 2")
    figure.tight_layout()  # the axes' final place: label positions measured from here on hold in the file
    _label_points(axis, points, words)
    return figure


def _label_points(axis, points, words: list[str]) -> None:
    """Annotates each point with its word, greedily, in order: each label at the nearest free spot."""
    from matplotlib.font_manager import FontProperties

    renderer = axis.figure.canvas.get_renderer()
    font = FontProperties(size=_LABEL_SIZE)
    pixels_per_point = axis.figure.dpi / 72
    frame = axis.get_window_extent(renderer).extents
    centres = axis.transData.transform(points)  # (words, 2), pixels
    taken = [(x - _DOT, y - _DOT, x + _DOT, y + _DOT) for x, y in centres]
    # Matplotlib gives a one-line label at least the height of "lp" (an ascender and a descender).
    _, line_height, _ = renderer.get_text_width_height_descent("lp", font, ismath=False)
    for word, point, (x, y) in zip(words, points, centres, strict=True):
        width, height, _ = renderer.get_text_width_height_descent(word, font, ismath=False)
        width, height = width + 2 * _GAP, max(height, line_height) + 2 * _GAP
        best = None
        for ring in _LABEL_RINGS:
            for angle in _LABEL_DIRECTIONS:
                dx, dy = ring * math.cos(math.radians(angle)), ring * math.sin(math.radians(angle))
                ha, va = _alignment(dx, dy)
                box = _label_box(x + dx * pixels_per_point, y + dy * pixels_per_point, width, height, ha, va)
                cost = sum(_overlap(box, other) for other in taken) + _outside(box, frame)
                if best is None or cost < best[0]:
                    best = (cost, ring, (dx, dy), ha, va, box)
            if best[0] == 0:
                break
        _, ring, offset, ha, va, box = best
        leader = {"arrowstyle": "-", "color": "0.55", "linewidth": 0.6, "shrinkA": 1, "shrinkB": _DOT}
        axis.annotate(
            word,
            point,
            xytext=offset,
            textcoords="offset points",
            ha=ha,
            va=va,
            fontsize=_LABEL_SIZE,
            arrowprops=leader if ring >= _LABEL_RINGS[2] else None,
        )
        taken.append(box)


def _alignment(dx: float, dy: float) -> tuple[str, str]:
    """The label's side of its anchor that faces away from the point."""
    ha = "left" if dx > 0.5 else "right" if dx < -0.5 else "center"
    va = "bottom" if dy > 0.5 else "top" if dy < -0.5 else "center"
    return ha, va


def _label_box(x: float, y: float, width: float, height: float, ha: str, va: str) -> tuple:
    left = {"left": x, "right": x - width, "center": x - width / 2}[ha]
    bottom = {"bottom": y, "top": y - height, "center": y - height / 2}[va]
    return left, bottom, left + width, bottom + height


def _overlap(a: tuple, b: tuple) -> float:
    return max(0.0, min(a[2], b[2]) - max(a[0], b[0])) * max(0.0, min(a[3], b[3]) - max(a[1], b[1]))


def _outside(box: tuple, frame) -> float:
    inside = _overlap(box, tuple(frame))
    return (box[2] - box[0]) * (box[3] - box[1]) - inside
