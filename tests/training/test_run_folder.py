"""A run folder belongs to one configuration: `kerazoo train` resumes its own runs and refuses other ones."""

import json

import keras
import pytest

from kerazoo import cli

pytestmark = pytest.mark.skipif(keras.backend.backend() != "tensorflow", reason="tf.data pipelines")
QUICK = ["train", "lenet5", "--epochs", "1", "--batch-size", "128"]


@pytest.fixture
def run(tmp_path):
    folder = tmp_path / "run"
    assert cli.main([*QUICK, "--output", str(folder)]) == 0
    return folder


def test_another_configuration_is_refused_in_one_line_naming_what_differs_and_the_ways_out(run, capsys):
    capsys.readouterr()
    assert cli.main([*QUICK, "--learning-rate", "0.01", "--set", "classes=10", "--output", str(run)]) == 2
    error = capsys.readouterr().err
    assert len(error.splitlines()) == 1
    assert "`--learning-rate` 0.001 -> 0.01" in error and "`--set classes` 'unset' -> 10" in error
    assert "`--output`" in error and "`--overwrite`" in error


def test_a_refused_run_rewrites_nothing_in_the_folder(run):
    before = {path.name: path.stat().st_mtime_ns for path in run.iterdir()}
    assert cli.main([*QUICK, "--seed", "1", "--output", str(run)]) == 2
    assert {path.name: path.stat().st_mtime_ns for path in run.iterdir()} == before


def test_overwrite_starts_afresh_with_the_new_configuration(run):
    assert cli.main([*QUICK, "--seed", "1", "--overwrite", "--output", str(run)]) == 0
    assert json.loads((run / "config.json").read_text())["seed"] == 1
    assert json.loads((run / "checkpoint" / "checkpoint.json").read_text())["epochs_completed"] == 1


def test_more_epochs_resume_the_same_configuration(run):
    assert cli.main([*QUICK[:2], "--epochs", "2", "--batch-size", "128", "--output", str(run)]) == 0
    assert len(json.loads((run / "metrics.json").read_text())["history"]["loss"]) == 2


def test_a_checkpoint_without_a_config_is_not_taken_for_this_run(run, capsys):
    (run / "config.json").unlink()
    capsys.readouterr()
    assert cli.main([*QUICK, "--output", str(run)]) == 2
    assert "holds a checkpoint of a run with no config.json" in capsys.readouterr().err


def test_an_invalid_setting_is_refused_before_the_folder_is_touched(tmp_path):
    assert cli.main([*QUICK, "--set", "input_shape=(16, 16)", "--output", str(tmp_path / "new")]) == 2
    assert not (tmp_path / "new" / "config.json").exists()


def test_run_files_get_the_mode_the_umask_gives(run):
    for name in ("config.json", "metrics.json", "model.keras", "curves.png"):
        assert (run / name).stat().st_mode & 0o777 == 0o666 & ~_umask(), name


def test_model_keras_leaves_the_optimizer_to_the_checkpoint(run):
    model = keras.saving.load_model(run / "model.keras")
    assert not model.compiled and getattr(model, "optimizer", None) is None
    assert (run / "model.keras").stat().st_size < (run / "checkpoint").joinpath(
        json.loads((run / "checkpoint" / "checkpoint.json").read_text())["weights"]
    ).stat().st_size


def _umask() -> int:
    import os

    mask = os.umask(0o022)
    os.umask(mask)
    return mask
