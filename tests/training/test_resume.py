"""However a run stops (Ctrl-C, kill -9), started again it ends with the weights of an uninterrupted run."""

import subprocess
import sys
from pathlib import Path

import keras
import numpy as np
import pytest

from kerazoo import training

pytestmark = pytest.mark.skipif(keras.backend.backend() != "tensorflow", reason="tf.data pipelines")
# ResNet-18 for its batch norms, whose moving statistics must come back too; 21 steps an epoch.
RUN = ["train", "resnet18", "--epochs", "2", "--batch-size", "64", "--set", "width=4"]
STOPPER = Path(__file__).with_name("interrupted_run.py")


def _kerazoo(*arguments: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *arguments], capture_output=True, text=True, cwd=cwd)


def _weights(folder: Path) -> list:
    return keras.saving.load_model(folder / "model.keras").get_weights()


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory) -> list:
    folder = tmp_path_factory.mktemp("uninterrupted")
    done = _kerazoo("-m", "kerazoo.cli", *RUN, "--output", str(folder), cwd=folder)
    assert done.returncode == 0, done.stderr[-3000:]
    return _weights(folder)


@pytest.mark.slow  # three runs in fresh processes: about a minute
@pytest.mark.parametrize(("signal", "status"), [("INT", 130), ("KILL", -9)])
def test_a_run_stopped_mid_epoch_ends_where_an_uninterrupted_one_does(signal, status, uninterrupted, tmp_path):
    stopped = _kerazoo(str(STOPPER), signal, "1", "7", "--", *RUN, "--output", str(tmp_path), cwd=tmp_path)
    assert stopped.returncode == status, stopped.stderr[-3000:]
    resumed = _kerazoo("-m", "kerazoo.cli", *RUN, "--output", str(tmp_path), cwd=tmp_path)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert "Resuming from" in resumed.stderr and "after epoch 1" in resumed.stderr
    for expected, actual in zip(uninterrupted, _weights(tmp_path), strict=True):
        np.testing.assert_array_equal(actual, expected)


@pytest.mark.slow
def test_ctrl_c_ends_with_one_line_that_says_how_to_resume(tmp_path):
    stopped = _kerazoo(str(STOPPER), "INT", "0", "2", "--", *RUN, "--output", str(tmp_path), cwd=tmp_path)
    assert stopped.returncode == 130
    assert "Traceback" not in stopped.stderr
    assert stopped.stderr.strip().splitlines()[-1] == (
        f"kerazoo: interrupted; the same command resumes {tmp_path} from its last finished epoch"
    )


def test_ctrl_c_in_training_is_one_line_with_status_130(tmp_path, monkeypatch, capsys):
    from kerazoo import cli
    from kerazoo.training import fitting

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(fitting, "fit", interrupted)
    assert cli.main(["train", "lenet5", "--epochs", "1", "--output", str(tmp_path)]) == 130
    error = capsys.readouterr().err.strip()
    assert error == f"kerazoo: interrupted; the same command resumes {tmp_path} from its last finished epoch"


# Below the command line: training.fit on a dataset of single examples, with dropout.


def _dropout_model() -> keras.Model:
    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [keras.Input((4,)), keras.layers.Dense(16), keras.layers.Dropout(0.5), keras.layers.Dense(3)]
    )
    model.compile("adam", keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    return model


def _examples():
    import tensorflow as tf

    rng = np.random.default_rng(0)
    return tf.data.Dataset.from_tensor_slices((rng.normal(size=(50, 4)).astype("float32"), rng.integers(0, 3, 50)))


def test_a_dataset_of_examples_with_dropout_resumes_exactly(tmp_path):
    uninterrupted = _dropout_model()
    training.fit(uninterrupted, _examples(), batch_size=8, epochs=4, checkpoint_dir=tmp_path / "a", verbose=0)
    training.fit(_dropout_model(), _examples(), batch_size=8, epochs=2, checkpoint_dir=tmp_path / "b", verbose=0)
    resumed = _dropout_model()
    training.fit(resumed, _examples(), batch_size=8, epochs=4, checkpoint_dir=tmp_path / "b", verbose=0)
    for expected, actual in zip(uninterrupted.get_weights(), resumed.get_weights(), strict=True):
        np.testing.assert_array_equal(actual, expected)


def test_each_epoch_of_a_dataset_of_examples_is_ordered_by_the_seed_and_the_epoch_alone():
    from kerazoo.training.pipeline import examples_dataset

    def labels(initial_epoch: int, seed: int = 0) -> list:
        stream, _ = examples_dataset(_examples(), batch_size=50, epochs=3, initial_epoch=initial_epoch, seed=seed)
        return [batch[1].numpy().tolist() for batch in stream]

    whole = labels(0)
    assert labels(1) == whole[1:] and labels(2) == whole[2:]
    assert whole[0] != whole[1] and labels(0, seed=1)[0] != whole[0]
