"""`kerazoo train` and `kerazoo.training.train`: the main job end to end on offline digits."""

import json
import os
import subprocess
import sys

import keras
import numpy as np
import pytest

from kerazoo import cli, training

pytestmark = pytest.mark.skipif(keras.backend.backend() != "tensorflow", reason="tf.data pipelines")
QUICK = ["--epochs", "1", "--batch-size", "128"]
KILL_DURING_EPOCH_2 = """
import os, signal, sys, keras
from kerazoo import training

class KillInEpoch2(keras.callbacks.Callback):
    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch
    def on_train_batch_end(self, batch, logs=None):
        if self.epoch == 1 and batch == 3:
            os.kill(os.getpid(), signal.SIGKILL)

training.train("lenet5", output=sys.argv[1], epochs=3, batch_size=128, callbacks=[KillInEpoch2()], verbose=0)
"""


def _run(*arguments, **kwargs):
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    return subprocess.run([sys.executable, *arguments], capture_output=True, text=True, env=env, **kwargs)


def test_train_runs_end_to_end_in_a_subprocess_and_writes_the_run(tmp_path):
    run = _run("-m", "kerazoo.cli", "train", "lenet5", *QUICK, "--output", str(tmp_path))
    assert run.returncode == 0, run.stderr[-3000:]
    assert "test accuracy:" in run.stdout
    assert {"config.json", "metrics.json", "curves.png", "model.keras", "checkpoint"} <= set(os.listdir(tmp_path))
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert len(metrics["history"]["val_accuracy"]) == 1 and 0.0 <= metrics["test"]["accuracy"] <= 1.0
    assert keras.saving.load_model(tmp_path / "model.keras").output_shape == (None, 10)


def test_config_json_repeats_a_run_and_the_command_line_overrides_it(tmp_path, capsys):
    assert cli.main(["train", "lenet5", *QUICK, "--set", "classes=10", "--output", str(tmp_path / "a")]) == 0
    again = ["train", "--config", str(tmp_path / "a" / "config.json"), "--output", str(tmp_path / "b"), "--seed", "3"]
    assert cli.main(again) == 0
    first, second = (json.loads((tmp_path / run / "config.json").read_text()) for run in ("a", "b"))
    assert {**first, "seed": 3} == second


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["lenet5", "--data", "mnist"], "`data` must be one of 'digits'. Received: data='mnist'"),
        (["gpt"], "'gpt' is a language-modeling model"),
        (["resnet19"], "Did you mean 'resnet18'"),
        (["lenet5", "--set", "clases=3"], "did you mean 'classes'"),
        (["lenet5", "--schedule", "cosine", "--learning-rate", "-1"], "`learning_rate` must be a positive number"),
    ],
)
def test_user_errors_are_one_line_with_status_2(arguments, message, tmp_path, capsys):
    assert cli.main(["train", *arguments, *QUICK, "--output", str(tmp_path)]) == 2
    error = capsys.readouterr().err
    assert message in error and len(error.splitlines()) == 1


def test_an_output_that_cannot_be_created_is_refused_before_training(tmp_path, capsys):
    (tmp_path / "file").write_text("")
    assert cli.main(["train", "lenet5", *QUICK, "--output", str(tmp_path / "file" / "run")]) == 2
    assert "`output` cannot be created" in capsys.readouterr().err


def test_a_run_killed_in_epoch_2_resumes_there_when_the_same_command_runs_again(tmp_path):
    killed = _run("-c", KILL_DURING_EPOCH_2, str(tmp_path))
    assert killed.returncode == -9
    assert json.loads((tmp_path / "checkpoint" / "checkpoint.json").read_text())["epochs_completed"] == 1
    resumed = _run(
        "-m", "kerazoo.cli", "train", "lenet5", "--epochs", "3", "--batch-size", "128", "--output", str(tmp_path)
    )
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert "Resuming from" in resumed.stderr and "after epoch 1" in resumed.stderr
    assert "Epoch 2/3" in resumed.stdout and "Epoch 1/3" not in resumed.stdout
    assert len(json.loads((tmp_path / "metrics.json").read_text())["history"]["loss"]) == 3
    keras.saving.load_model(tmp_path / "model.keras")
    assert not [name for name in os.listdir(tmp_path) + os.listdir(tmp_path / "checkpoint") if name.startswith(".")]


def test_cosine_warms_up_to_the_peak_then_decays_to_zero():
    schedule = training.learning_rate_schedule("cosine", 0.01, total_steps=100)
    rates = [float(schedule(step)) for step in (0, 10, 55, 100)]
    assert rates[0] == 0.0 and rates[1] == pytest.approx(0.01) and 0 < rates[2] < 0.01 and rates[3] == 0.0


def test_the_transformer_schedule_peaks_at_the_end_of_warm_up_and_survives_serialization():
    schedule = training.learning_rate_schedule("transformer", 0.01, total_steps=1000)
    rates = np.array([float(schedule(step)) for step in range(400)])
    assert int(rates.argmax()) == 99 and rates.max() == pytest.approx(0.01)
    revived = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(schedule))
    assert float(revived(250)) == pytest.approx(float(schedule(250)))
