import math
from types import SimpleNamespace

import pytest

from kerazoo.plots import (
    LOG_SCALE_RATIO,
    comparison_figure,
    history_figure,
    plot_comparison,
    plot_history,
    plot_word2vec_history,
    word2vec_history_figure,
)

HISTORY = {"loss": [1.0, 0.5, 0.2], "val_loss": [1.1, 0.7, 0.4], "accuracy": [0.5, 0.8, 0.9]}


def _panel(figure, title):
    matches = [axis for axis in figure.axes if axis.get_title() == title]
    assert len(matches) == 1, [axis.get_title() for axis in figure.axes]
    return matches[0]


def _legend(axis) -> list[str]:
    legend = axis.get_legend()
    return [text.get_text() for text in legend.get_texts()] if legend else []


def _word2vec_model(early_stopping=None):
    scores = [0.20, 0.25, 0.22, 0.21]
    records = [
        {
            "epoch": epoch,
            "loss": 9e5 / epoch,
            "seconds": 1.0,
            "words_per_second": 4e5,
            "learning_rate": 0.025 - 0.005 * epoch,
            "simlex999": scores[epoch - 1],
        }
        for epoch in range(1, 5)
    ]
    return SimpleNamespace(training_history=records, early_stopping=early_stopping)


def test_plot_history_writes_a_png_with_train_and_validation_curves(tmp_path):
    path = plot_history(HISTORY, tmp_path / "curves.png", title="run")
    with open(path, "rb") as file:
        assert file.read(8) == b"\x89PNG\r\n\x1a\n"
    assert [p.name for p in tmp_path.iterdir()] == ["curves.png"]  # no temporary file left


def test_plot_history_rejects_an_empty_history(tmp_path):
    with pytest.raises(ValueError, match="`history` has no metrics to plot"):
        plot_history({}, tmp_path / "curves.png")


def test_plotting_keeps_the_users_matplotlib_backend(tmp_path):
    import matplotlib

    previous = matplotlib.get_backend()
    matplotlib.use("pdf")  # a user's choice that a library must not switch to Agg behind their back
    try:
        plot_history({"loss": [1.0, 0.5]}, tmp_path / "curves.png")
        assert matplotlib.get_backend() == "pdf"
    finally:
        matplotlib.use(previous)


def test_train_and_validation_share_a_panel_and_are_named_in_its_legend():
    assert _legend(_panel(history_figure(HISTORY), "loss")) == ["train", "validation"]


def test_a_panel_with_a_single_curve_has_no_legend_to_mislabel_it():
    assert _legend(_panel(history_figure(HISTORY), "accuracy")) == []


def test_panels_are_laid_out_two_a_row():
    figure = history_figure({"loss": [1.0, 0.5], "accuracy": [0.5, 0.6], "auc": [0.6, 0.7]})
    rows = {axis.get_subplotspec().rowspan.start for axis in figure.axes}
    columns = {axis.get_subplotspec().colspan.start for axis in figure.axes}
    assert len(figure.axes) == 3 and rows == {0, 1} and columns == {0, 1}


def test_a_schedule_sampled_over_the_run_gets_a_learning_rate_panel_across_the_epochs():
    rates = [0.001 * (1 + math.cos(math.pi * step / 99)) / 2 for step in range(100)]
    (line,) = _panel(history_figure(HISTORY, learning_rates=rates), "learning rate").get_lines()
    assert line.get_xdata()[0] == 0 and line.get_xdata()[-1] == 3 and list(line.get_ydata()) == rates


def test_a_constant_learning_rate_gets_no_panel():
    figure = history_figure({**HISTORY, "learning_rate": [1e-3] * 3}, learning_rates=[1e-3] * 10)
    assert "learning rate" not in [axis.get_title() for axis in figure.axes]


def test_a_per_epoch_learning_rate_in_the_history_gets_one_panel_without_a_train_label():
    figure = history_figure({**HISTORY, "learning_rate": [1e-3, 5e-4, 1e-4]})
    axis = _panel(figure, "learning rate")
    assert list(axis.get_lines()[0].get_ydata()) == [1e-3, 5e-4, 1e-4] and _legend(axis) == []


def test_a_loss_spanning_orders_of_magnitude_is_drawn_on_a_log_axis():
    spike = [10 * LOG_SCALE_RATIO, 1.2, 1.0]
    assert _panel(history_figure({"loss": spike}), "loss").get_yscale() == "log"


def test_a_loss_within_an_order_of_magnitude_stays_on_a_linear_axis():
    assert _panel(history_figure(HISTORY), "loss").get_yscale() == "linear"


def test_an_accuracy_is_never_drawn_on_a_log_axis():
    assert _panel(history_figure({"accuracy": [0.01, 0.5, 0.9]}), "accuracy").get_yscale() == "linear"


def test_epoch_ticks_are_whole_numbers_on_a_short_run():
    figure = history_figure(HISTORY)
    figure.draw_without_rendering()
    for axis in figure.axes:
        low, high = axis.get_xlim()
        ticks = [tick for tick in axis.get_xticks() if low <= tick <= high]
        assert ticks and all(float(tick).is_integer() for tick in ticks), ticks


def test_perplexity_is_the_exponential_of_the_train_and_validation_loss():
    axis = _panel(history_figure(HISTORY, perplexity=True), "perplexity")
    train, validation = (list(line.get_ydata()) for line in axis.get_lines())
    assert train == pytest.approx([math.exp(v) for v in HISTORY["loss"]])
    assert validation == pytest.approx([math.exp(v) for v in HISTORY["val_loss"]])
    assert _legend(axis) == ["train", "validation"]


def test_perplexity_without_a_loss_is_refused():
    with pytest.raises(ValueError, match="`perplexity=True` needs a 'loss' curve. Received: accuracy"):
        history_figure({"accuracy": [0.5, 0.6]}, perplexity=True)


def test_test_results_are_marked_after_the_last_epoch_on_their_own_panels():
    test = {"loss": 0.45, "perplexity": math.exp(0.45), "accuracy": 0.85}
    figure = history_figure(HISTORY, perplexity=True, test=test)
    for title in ("loss", "perplexity", "accuracy"):
        axis = _panel(figure, title)
        (marker,) = [line for line in axis.get_lines() if line.get_label() == "test"]
        assert list(marker.get_xdata()) == [3.5] and list(marker.get_ydata()) == [test[title]]
        assert "test" in _legend(axis) and f"{test[title]:.4g}" in [text.get_text() for text in axis.texts]


def test_epoch_marks_are_labelled_vertical_lines_on_every_panel():
    figure = history_figure(HISTORY, epoch_marks={"stopped": 3, "restored": 1})
    assert [text.get_text() for text in figure.legends[0].get_texts()] == ["stopped", "restored"]
    for axis in figure.axes:
        vertical = [list(line.get_xdata()) for line in axis.get_lines() if len(set(line.get_xdata())) == 1]
        assert vertical == [[3, 3], [1, 1]]


def test_word2vec_history_is_a_grid_of_panels_named_after_their_series():
    model = _word2vec_model()
    figure = word2vec_history_figure(model)
    titles = [axis.get_title() for axis in figure.axes]
    assert titles == ["loss", "words per second", "SimLex-999 (Spearman)", "learning rate"]
    for axis, series in zip(figure.axes, ("loss", "words_per_second", "simlex999", "learning_rate"), strict=True):
        (line,) = axis.get_lines()
        assert list(line.get_ydata()) == [record[series] for record in model.training_history], axis.get_title()
    assert len({axis.get_subplotspec().rowspan.start for axis in figure.axes}) == 2
    assert not any("train" in _legend(axis) for axis in figure.axes)  # no series is mislabelled "train"


def test_word2vec_history_marks_where_early_stopping_stopped_and_which_epoch_it_restored():
    record = {"monitor": "simlex999", "stopped_epoch": 4, "restored_epoch": 2}
    figure = word2vec_history_figure(_word2vec_model(early_stopping=record))
    labels = [text.get_text() for text in figure.legends[0].get_texts()]
    assert labels == ["stopped after epoch 4 (simlex999)", "restored epoch 2 (best simlex999)"]


def test_word2vec_history_without_early_stopping_has_no_marks():
    assert word2vec_history_figure(_word2vec_model()).legends == []


def test_word2vec_history_is_written_as_a_png(tmp_path):
    path = plot_word2vec_history(_word2vec_model(), tmp_path / "history.png")
    assert (tmp_path / "history.png").read_bytes().startswith(b"\x89PNG") and path == str(tmp_path / "history.png")


def test_a_comparison_draws_one_line_per_run_on_each_metrics_panel():
    runs = {
        name: {"val_accuracy": [0.5, 0.6 + step], "val_loss": [0.7, 0.6 - step]}
        for name, step in (("frozen", 0.0), ("fine-tuned", 0.1), ("random", 0.2))
    }
    figure = comparison_figure(runs, metrics=("val_accuracy", "val_loss"))
    assert [axis.get_title() for axis in figure.axes] == ["validation accuracy", "validation loss"]
    for axis, metric in zip(figure.axes, ("val_accuracy", "val_loss"), strict=True):
        assert [list(line.get_ydata()) for line in axis.get_lines()] == [run[metric] for run in runs.values()]
    assert [text.get_text() for text in figure.legends[0].get_texts()] == ["frozen", "fine-tuned", "random"]


def test_a_comparison_names_the_run_that_lacks_a_metric(tmp_path):
    with pytest.raises(ValueError, match="Run 'random' has no 'val_auc'; it has: val_loss"):
        plot_comparison({"random": {"val_loss": [1.0]}}, tmp_path / "curves.png", metrics=["val_auc"])
    assert list(tmp_path.iterdir()) == []
