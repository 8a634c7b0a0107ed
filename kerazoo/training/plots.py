"""Training curves as a PNG, for people who would rather look than read."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence

from kerazoo._io import atomic_path


def plot_history(history, path: str | os.PathLike, *, title: str | None = None) -> str:
    """Plots every metric of a Keras `History` (or its `.history` dict), one panel per metric.

    Validation curves (`val_*`) share their metric's panel. The file is written atomically.

    Returns:
        The path written, as a string.
    """
    # A bare Figure draws to a file with no GUI and without touching the user's pyplot backend or state.
    from matplotlib.figure import Figure

    curves: Mapping[str, Sequence[float]] = getattr(history, "history", history)
    if not curves:
        raise ValueError("`history` has no metrics to plot. Received an empty history.")
    metrics = [name for name in curves if not name.startswith("val_")]
    figure = Figure(figsize=(4.5 * len(metrics), 3.5))
    axes = figure.subplots(1, len(metrics), squeeze=False)
    for axis, metric in zip(axes[0], metrics, strict=True):
        epochs = range(1, len(curves[metric]) + 1)
        axis.plot(epochs, curves[metric], marker="o", label="train")
        if f"val_{metric}" in curves:
            axis.plot(epochs, curves[f"val_{metric}"], marker="o", label="validation")
        axis.set(title=metric, xlabel="epoch")
        axis.grid(alpha=0.3)
        axis.legend()
    if title:
        figure.suptitle(title)
    figure.tight_layout()
    with atomic_path(path) as temporary:
        figure.savefig(temporary, dpi=100)
    return str(path)
