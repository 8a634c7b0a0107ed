"""`kerazoo train` and `kerazoo.training.train`: the main job end to end on offline data, for every task."""

import json
import math
import os
import subprocess
import sys

import keras
import numpy as np
import pytest

from kerazoo import cli, data, training

pytestmark = pytest.mark.skipif(keras.backend.backend() != "tensorflow", reason="tf.data pipelines")
QUICK = ["--epochs", "1", "--batch-size", "128"]
TINY_CLASSIFIER = ["--set", "dim=16", "--set", "num_heads=2", "--set", "ffn_dim=32", "--set", "num_layers=1"]
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
    assert {"config.json", "metrics.json", "curves.png", "model.keras", "checkpoint"} <= set(os.listdir(tmp_path))
    config = json.loads((tmp_path / "config.json").read_text())
    assert (config["model"], config["epochs"], config["batch_size"]) == ("lenet5", 1, 128)
    assert (tmp_path / "curves.png").read_bytes().startswith(b"\x89PNG")
    assert json.loads((tmp_path / "checkpoint" / "checkpoint.json").read_text())["epochs_completed"] == 1
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    test = metrics["test"]
    assert f"test accuracy: {test['accuracy']:.4f}, loss: {test['loss']:.4f}" in run.stdout  # printed as written
    assert len(metrics["history"]["val_accuracy"]) == 1
    # Chance on ten digits is 0.1 and a uniform guess's loss ln(10); one epoch reaches about 0.68 and 1.87.
    assert test["accuracy"] > 0.3 and test["loss"] < math.log(10)
    model = keras.saving.load_model(tmp_path / "model.keras")
    assert model.output_shape == (None, 10)
    # The accuracy written is the saved model's on the held-out split, recomputed here from the predictions.
    correct = total = 0
    for images, labels in data.load(task="image-classification", batch_size=128).test:
        predicted = np.argmax(model.predict(images, verbose=0), axis=-1)
        correct += int(np.sum(predicted == np.asarray(labels).reshape(-1)))
        total += len(predicted)
    assert correct / total == pytest.approx(test["accuracy"], abs=1e-6)


def test_config_json_repeats_a_run_and_the_command_line_overrides_it(tmp_path, capsys):
    assert cli.main(["train", "lenet5", *QUICK, "--set", "classes=10", "--output", str(tmp_path / "a")]) == 0
    again = ["train", "--config", str(tmp_path / "a" / "config.json"), "--output", str(tmp_path / "b"), "--seed", "3"]
    assert cli.main(again) == 0
    first, second = (json.loads((tmp_path / run / "config.json").read_text()) for run in ("a", "b"))
    assert {**first, "seed": 3} == second


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["lenet5", "--data", "digitz"], "Unknown dataset 'digitz'"),
        (["lenet5", "--data", "lee"], "'lee' is a language-modeling dataset"),
        (["resnet19"], "Did you mean 'resnet18'"),
        (["lenet5", "--set", "clases=3"], "did you mean 'classes'"),
        (["lenet5", "--set", "classes"], "--set takes KEY=VALUE. Received: 'classes'"),
        (
            ["lenet5", "--set", "classes=3"],
            "`--set classes` disagrees with the data: digits fixes it at 10. Received: --set classes=3",
        ),
        (["resnet18", "--set", "width=wide"], "`--set width` must be a positive integer. Received: --set width='wide'"),
        (["lenet5", "--schedule", "cosine", "--learning-rate", "-1"], "`--learning-rate` must be a finite number > 0"),
        (["lenet5", "--batch-size", "5000"], "`--batch-size` (5000) is larger than the training set of 'digits'"),
        (["lenet5", "--data", "tfds:mnist", "--no-download"], "tfds:mnist is not available offline"),
        (
            ["lstm_classifier", "--embeddings", "w2v", "--tokenizer", "bpe:300"],
            "`--embeddings` are Word2Vec vectors, one per word: they need `--tokenizer` words. Received: "
            "--tokenizer='bpe:300' with --embeddings='w2v'",
        ),
        (["gpt", "--tokenizer", "bpe"], "Give the vocabulary size, e.g. bpe:8000. Received: --tokenizer='bpe'"),
        (["lenet5", "--tokenizer", "bpe:300"], "`--tokenizer` is for text tasks"),
    ],
)
def test_user_errors_are_one_line_with_status_2(arguments, message, tmp_path, capsys):
    data_dir = ["--data-dir", str(tmp_path / "tfds")]
    assert cli.main(["train", *QUICK, *arguments, "--output", str(tmp_path), *data_dir]) == 2
    error = capsys.readouterr().err
    assert message in error and len(error.splitlines()) == 1


def test_a_folder_with_no_class_sub_folders_is_refused_in_one_line(tmp_path, capsys):
    (tmp_path / "images").mkdir()
    assert cli.main(["train", "lenet5", *QUICK, "--data", str(tmp_path / "images"), "--output", str(tmp_path)]) == 2
    error = capsys.readouterr().err
    assert "has no class sub-folders" in error and len(error.splitlines()) == 1


def test_debug_shows_the_traceback_of_a_user_error(tmp_path):
    with pytest.raises(ValueError, match="Unknown dataset"):
        cli.main(["--debug", "train", "lenet5", "--data", "digitz", "--output", str(tmp_path)])


TINY_TRANSFORMER = ["--set", "dim=16", "--set", "num_heads=2", "--set", "ffn_dim=32", "--set", "num_layers=1"]


@pytest.mark.parametrize(
    ("model", "settings", "metric"),
    [
        ("lstm_classifier", ["--set", "dim=8", "--set", "units=8", "--set", "max_length=24"], "accuracy"),
        ("transformer_seq2seq", TINY_TRANSFORMER, "accuracy"),
    ],
)
def test_text_and_seq2seq_models_train_on_their_offline_defaults(model, settings, metric, tmp_path, capsys):
    # Language models: tests/training/test_tokenized_runs.py.
    assert cli.main(["train", model, *QUICK, *settings, "--output", str(tmp_path)]) == 0
    test_line = capsys.readouterr().out.splitlines()[-1]
    test = json.loads((tmp_path / "metrics.json").read_text())["test"]
    assert test_line == "test " + ", ".join(f"{name}: {value:.4f}" for name, value in test.items())  # as written
    assert f"{metric}: " in test_line and math.isfinite(test["loss"])
    vocabulary = (tmp_path / "vocabulary.txt").read_text().splitlines()
    assert vocabulary[0] == ""  # id 0 is padding, ""
    assert (tmp_path / "logs" / "train").is_dir()
    keras.saving.load_model(tmp_path / "model.keras")


def test_a_text_classifier_starts_from_a_word2vec_run(tmp_path, capsys):
    word2vec = ["word2vec", "train", "--epochs", "1", "--vector-size", "8", "--output", str(tmp_path / "w2v")]
    assert cli.main(word2vec) == 0
    run = ["train", "lstm_classifier", *QUICK, "--set", "units=8", "--embeddings", str(tmp_path / "w2v")]
    assert cli.main([*run, "--output", str(tmp_path / "run")]) == 0
    model = keras.saving.load_model(tmp_path / "run" / "model.keras")
    # Found by kind, not name: kerazoo.names owns the embedding's name.
    (embedding,) = [layer for layer in model.layers if isinstance(layer, keras.layers.Embedding)]
    assert embedding.output_dim == 8
    assert json.loads((tmp_path / "run" / "config.json").read_text())["embeddings"] == str(tmp_path / "w2v")


def test_train_reads_a_tfds_dataset(tmp_path):
    # mock_data stands in for a prepared tensorflow-datasets copy: examples made from the builder's features,
    # no files and no network, through the same tfds.load call as a real run.
    import tensorflow_datasets as tfds

    run = ["train", "lenet5", "--data", "tfds:mnist", *QUICK, "--batch-size", "16", "--output", str(tmp_path)]
    with tfds.testing.mock_data(num_examples=64, policy=tfds.testing.MockPolicy.USE_CODE):
        assert cli.main(run) == 0
    assert {"model.keras", "metrics.json"} <= set(os.listdir(tmp_path))
    assert json.loads((tmp_path / "config.json").read_text())["data"] == "tfds:mnist"
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert len(metrics["history"]["loss"]) == 1 and math.isfinite(metrics["test"]["loss"])
    assert keras.saving.load_model(tmp_path / "model.keras").output_shape == (None, 10)  # mnist's ten classes


def test_train_builds_a_classifier_of_two_segments_for_sentence_pairs(tmp_path):
    import tensorflow_datasets as tfds

    run = [
        "train",
        "transformer_classifier",
        *TINY_CLASSIFIER,
        "--data",
        "tfds:glue/mrpc",
        "--tokenizer",
        "wordpiece:60",
    ]
    with tfds.testing.mock_data(num_examples=48):
        assert cli.main([*run, "--epochs", "1", "--batch-size", "16", "--output", str(tmp_path)]) == 0
    model = keras.saving.load_model(tmp_path / "model.keras")
    assert sorted(tensor.name for tensor in model.inputs) == ["segment_ids", "tokens"]


def test_sentence_pairs_for_a_model_without_segments_are_refused_naming_the_model_that_takes_them(tmp_path, capsys):
    import tensorflow_datasets as tfds

    run = ["train", "lstm_classifier", "--data", "tfds:glue/mrpc", "--tokenizer", "wordpiece:60", "--epochs", "1"]
    with tfds.testing.mock_data(num_examples=48):
        assert cli.main([*run, "--batch-size", "16", "--output", str(tmp_path)]) == 2
    assert "tfds:glue/mrpc holds sentence pairs" in capsys.readouterr().err


def test_a_run_that_stops_before_writing_leaves_no_folder_of_its_own_behind(tmp_path, capsys):
    run = ["train", "lenet5", "--data", "tfds:mnist", "--data-dir", str(tmp_path / "tfds"), "--no-download", *QUICK]
    assert cli.main([*run, "--output", str(tmp_path / "runs" / "lenet5")]) == 2
    error = capsys.readouterr().err
    assert "not available offline" in error and "--no-download=" not in error  # a flag, not an option with a value
    assert not (tmp_path / "runs").exists()


def test_an_output_that_cannot_be_created_is_refused_before_training(tmp_path, capsys):
    (tmp_path / "file").write_text("")
    assert cli.main(["train", "lenet5", *QUICK, "--output", str(tmp_path / "file" / "run")]) == 2
    assert "`--output` cannot be created" in capsys.readouterr().err


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
