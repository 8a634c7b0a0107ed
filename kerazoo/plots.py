"""Training curves as PNGs, for people who would rather look than read.

`history_figure` lays out a Keras `History` as a grid of panels: one per metric with its validation curve,
perplexity for language models, a learning-rate panel where the rate changes, test results after the last
epoch, and labelled epochs (where early stopping stopped, which epoch it restored). `plot_history` writes it
to a PNG; `plot_word2vec_history` does the same for `train_word2vec`'s per-epoch record; `plot_comparison`
draws one metric of several runs per panel. Figures are bare `matplotlib.figure.Figure`s: no pyplot, and
the user's backend is left alone.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, NamedTuple

from kerazoo._io import atomic_path

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

# A loss or perplexity axis turns logarithmic when its largest value is more than this times its smallest:
# a first-epoch spike then no longer squashes the other epochs into a flat line.
LOG_SCALE_RATIO = 10.0
_COLUMNS = 2
_PANEL_SIZE = (4.8, 3.2)  # inches; at the 100 dpi the PNGs are written with, 480 x 320 pixels a panel
_LEARNING_RATE_KEYS = ("learning_rate", "lr")  # what LearningRateScheduler and ReduceLROnPlateau log
_TITLES = {
    "learning_rate": "learning rate",
    "lr": "learning rate",
    "words_per_second": "words per second",
    "analogy": "analogy accuracy",
    "wordsim353": "WordSim-353 (Spearman)",
    "simlex999": "SimLex-999 (Spearman)",
}
# Keys of `train_word2vec`'s epoch records that are not curves: the x axis, and what words/s shows better.
_WORD2VEC_NOT_PLOTTED = ("epoch", "seconds")
_MAX_PERPLEXITY_LOSS = 50.0  # exp(50) ~ 5e21; a diverged loss must not overflow


class _Series(NamedTuple):
    label: str
    x: Sequence[float]
    y: Sequence[float]
    markers: bool = True  # a marker at each epoch; none on a rate sampled at every step


class _Panel(NamedTuple):
    name: str  # the metric's key, which `test` results match
    series: list[_Series]


def history_figure(
    history,
    *,
    title: str | None = None,
    learning_rates: Sequence[float] | None = None,
    perplexity: bool = False,
    test: Mapping[str, float] | None = None,
    epoch_marks: Mapping[str, float] | None = None,
) -> Figure:
    """Every metric of a Keras `History` (or its `.history` dict) as a grid of panels, two a row.

    A metric's validation curve (`val_*`) shares its panel; the legend names "train", "validation" and
    "test" where a panel shows more than one of them (a panel's only curve is named by its title). The
    x axis counts whole epochs from 1. A loss or perplexity axis is logarithmic when its values span more
    than `LOG_SCALE_RATIO` times (all positive).

    Args:
        history: a `keras.callbacks.History` or a dict {metric: one value per epoch}.
        title: the figure's title.
        learning_rates: the learning rate at evenly spaced optimizer steps from the first step to the last
            (a schedule sampled over the run), drawn across the epochs in a "learning rate" panel. A
            per-epoch `learning_rate` (or `lr`) in the history, as Keras's `LearningRateScheduler` and
            `ReduceLROnPlateau` log it, is drawn there too. A rate that never changes gets no panel.
        perplexity: add a "perplexity" panel, exp(loss), for training and validation (language models).
        test: test results by metric name ({"loss": 0.3, "accuracy": 0.9, "perplexity": 1.35}), each a
            marker labelled "test" half an epoch after the last, on its metric's panel; names without a
            panel are left out.
        epoch_marks: {label: epoch} drawn as labelled vertical lines across every panel.

    Raises:
        ValueError: for an empty history, or `perplexity=True` without a "loss" curve.
    """
    curves: Mapping[str, Sequence[float]] = getattr(history, "history", history)
    if not curves:
        raise ValueError("`history` has no metrics to plot. Received an empty history.")
    panels = _metric_panels(curves, perplexity)
    rate = _learning_rate_panel(curves, learning_rates)
    if rate is not None:
        panels.append(rate)
    epochs = max(len(values) for values in curves.values())
    epoch_marks = epoch_marks or {}
    figure = _grid(panels, title=title, test=test or {}, test_epoch=epochs + 0.5, legend_rows=bool(epoch_marks))
    handles = []
    for index, epoch in enumerate(epoch_marks.values()):
        style = {"color": f"C{index + 3}", "linestyle": ("--", ":", "-.")[index % 3], "linewidth": 1.5}
        lines = [axis.axvline(epoch, **style) for axis in figure.axes]
        handles.append(lines[0])  # the legend shows one line for the mark on every panel
    if handles:
        figure.legend(handles, list(epoch_marks), loc="outside lower center", ncols=len(handles), frameon=False)
    return figure


def plot_history(history, path: str | os.PathLike, **options) -> str:
    """Writes `history_figure(history, **options)` (title, learning_rates, perplexity, test, epoch_marks) to a
    PNG at `path`, atomically.

    Returns:
        The path written, as a string.
    """
    return _save(history_figure(history, **options), path)


def word2vec_history_figure(report, *, title: str | None = None) -> Figure:
    """`train_word2vec`'s per-epoch record as panels (loss, words per second, learning rate, each score),
    with the epoch where early stopping stopped and the epoch whose vectors it restored marked.

    Args:
        report: the `embeddings.TrainingReport` of a run (or what else has `training_history` and
            `early_stopping`).
        title: the figure's title.
    """
    records = list(getattr(report, "training_history", None) or [])
    if not records:
        raise ValueError(
            "`report` has no `training_history` to plot: pass the `embeddings.TrainingReport` that was in the "
            "run's `callbacks`."
        )
    names = [name for name in records[0] if name not in _WORD2VEC_NOT_PLOTTED]
    curves = {name: [record.get(name, math.nan) for record in records] for name in names}
    return history_figure(
        curves,
        title=title or f"word2vec, {len(records)} epochs",
        epoch_marks=_early_stopping_marks(getattr(report, "early_stopping", None)),
    )


def plot_word2vec_history(report, path: str | os.PathLike, *, title: str | None = None) -> str:
    """Writes `word2vec_history_figure(report)` to a PNG at `path`, atomically; returns the path."""
    return _save(word2vec_history_figure(report, title=title), path)


def comparison_figure(histories: Mapping[str, object], *, metrics: Sequence[str], title: str | None = None) -> Figure:
    """One panel per metric, one line per run: `histories` maps a run's label to its `History` or dict.

    Args:
        histories: {label: Keras `History` or {metric: per-epoch values}}, in the order of the legend.
        metrics: the history keys to compare, e.g. ("val_accuracy", "val_loss"), or one key; every run
            must have them.
        title: the figure's title.
    """
    metrics = [metrics] if isinstance(metrics, str) else list(metrics)
    if not histories or not metrics:
        raise ValueError(
            f"`histories` and `metrics` must not be empty. Received: {len(histories)} runs, metrics={metrics!r}"
        )
    panels = []
    for metric in metrics:
        series = []
        for label, history in histories.items():
            curves = getattr(history, "history", history)
            if metric not in curves:
                raise ValueError(f"Run {label!r} has no {metric!r}; it has: {', '.join(curves)}.")
            series.append(_Series(label, _epochs(curves[metric]), list(curves[metric])))
        panels.append(_Panel(metric, series))
    # Every panel shows the same runs: one legend for the figure, and none over the curves.
    figure = _grid(panels, title=title, test={}, test_epoch=0, legend_rows=1, panel_legends=False)
    handles = figure.axes[0].get_lines()
    figure.legend(handles, list(histories), loc="outside lower center", ncols=len(handles), frameon=False)
    return figure


def plot_comparison(
    histories: Mapping[str, object], path: str | os.PathLike, *, metrics: Sequence[str], title: str | None = None
) -> str:
    """Writes `comparison_figure(histories, metrics=...)` to a PNG at `path`, atomically; returns the path."""
    return _save(comparison_figure(histories, metrics=metrics, title=title), path)


def _metric_panels(curves: Mapping[str, Sequence[float]], perplexity: bool) -> list[_Panel]:
    names = dict.fromkeys(name.removeprefix("val_") for name in curves if name not in _LEARNING_RATE_KEYS)
    panels = []
    for name in names:
        series = [
            _Series(label, _epochs(curves[key]), list(curves[key]))
            for label, key in (("train", name), ("validation", f"val_{name}"))
            if key in curves
        ]
        panels.append(_Panel(name, series))
        if perplexity and name == "loss":
            exp = [_Series(s.label, s.x, [math.exp(min(v, _MAX_PERPLEXITY_LOSS)) for v in s.y]) for s in series]
            panels.append(_Panel("perplexity", exp))
    if perplexity and "loss" not in names:
        raise ValueError(f"`perplexity=True` needs a 'loss' curve. Received: {', '.join(curves)}")
    return panels


def _learning_rate_panel(curves: Mapping[str, Sequence[float]], learning_rates) -> _Panel | None:
    """The rate per epoch (from the history) and per step (from `learning_rates`), where it changes."""
    series = []
    epochs = max(len(values) for values in curves.values())
    for key in _LEARNING_RATE_KEYS:
        if key in curves and _changes(curves[key]):
            series.append(_Series("end of epoch", _epochs(curves[key]), list(curves[key])))
    if learning_rates is not None and _changes(learning_rates):
        steps = len(learning_rates)
        x = [epochs * step / (steps - 1) for step in range(steps)]  # first step at 0, last at the last epoch
        series.append(_Series("each step", x, [float(rate) for rate in learning_rates], markers=False))
    return _Panel("learning_rate", series) if series else None


def _changes(values: Sequence[float]) -> bool:
    return any(not math.isclose(value, values[0], rel_tol=1e-6) for value in values)


def _epochs(values: Sequence[float]) -> list[int]:
    return list(range(1, len(values) + 1))


def _grid(
    panels: list[_Panel],
    *,
    title: str | None,
    test: Mapping[str, float],
    test_epoch: float,
    legend_rows: int,
    panel_legends: bool = True,
) -> Figure:
    """The panels two a row, with `legend_rows` of room below them for a figure legend."""
    # A bare Figure draws to a file with no GUI and without touching the user's pyplot backend or state.
    from matplotlib.figure import Figure

    columns = min(_COLUMNS, len(panels))
    rows = math.ceil(len(panels) / columns)
    size = (_PANEL_SIZE[0] * columns, _PANEL_SIZE[1] * rows + 0.3 * legend_rows)
    figure = Figure(figsize=size, layout="constrained")  # room for titles and the figure legend, no overlap
    grid = figure.subplots(rows, columns, squeeze=False)
    for axis in grid.flat[len(panels) :]:
        axis.remove()  # an odd number of panels leaves one cell empty
    for axis, panel in zip(grid.flat, panels, strict=False):
        _draw_panel(axis, panel, test.get(panel.name), test_epoch, legend=panel_legends)
    if title:
        figure.suptitle(title)
    return figure


def _draw_panel(axis: Axes, panel: _Panel, test_value: float | None, test_epoch: float, *, legend: bool) -> None:
    from matplotlib.ticker import EngFormatter, MaxNLocator

    for series in panel.series:
        axis.plot(series.x, series.y, marker="o" if series.markers else None, markersize=4, label=series.label)
    values = [value for series in panel.series for value in series.y]
    if test_value is not None:
        axis.plot([test_epoch], [test_value], marker="*", markersize=11, linestyle="none", color="black", label="test")
        axis.annotate(
            f"{test_value:.4g}", (test_epoch, test_value), xytext=(0, 7), textcoords="offset points", ha="center"
        )
        values.append(test_value)
    axis.set(title=_title(panel.name), xlabel="epoch")
    axis.xaxis.set_major_locator(MaxNLocator(integer=True))
    if _logarithmic(panel.name, values):
        axis.set_yscale("log")
    elif max((abs(value) for value in values if math.isfinite(value)), default=0) >= 1e4:
        axis.yaxis.set_major_formatter(EngFormatter(sep=""))  # 450k words/s, not 450000 or an offset
    axis.grid(alpha=0.3)
    if legend and len(axis.get_legend_handles_labels()[1]) > 1:
        axis.legend()


def _title(name: str) -> str:
    if name.startswith("val_"):
        return f"validation {_title(name.removeprefix('val_'))}"
    return _TITLES.get(name, name.replace("_", " "))


def _logarithmic(name: str, values: Sequence[float]) -> bool:
    if not (name.endswith("loss") or name == "perplexity"):
        return False
    finite = [value for value in values if math.isfinite(value)]
    return bool(finite) and min(finite) > 0 and max(finite) / min(finite) > LOG_SCALE_RATIO


def _early_stopping_marks(record: Mapping | None) -> dict[str, int]:
    """Labelled epochs from an `EarlyStopping` record: where training stopped, which epoch was restored."""
    if not record:
        return {}
    marks = {}
    if record.get("stopped_epoch"):
        marks[f"stopped after epoch {record['stopped_epoch']} ({record['monitor']})"] = record["stopped_epoch"]
    if record.get("restored_epoch"):
        marks[f"restored epoch {record['restored_epoch']} (best {record['monitor']})"] = record["restored_epoch"]
    return marks


def _save(figure: Figure, path: str | os.PathLike) -> str:
    with atomic_path(path) as temporary:
        figure.savefig(temporary, dpi=100)
    return str(path)
