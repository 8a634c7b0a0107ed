import pytest

from kerazoo.training import plot_history


def test_plot_history_writes_a_png_with_train_and_validation_curves(tmp_path):
    history = {"loss": [1.0, 0.5, 0.2], "val_loss": [1.1, 0.7, 0.4], "accuracy": [0.5, 0.8, 0.9]}
    path = plot_history(history, tmp_path / "curves.png", title="run")
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
