"""Two processes on 127.0.0.1 through `kerazoo launch`: TensorFlow's multi-worker strategy (kerazoo's own
loop) and multi-process JAX (`model.fit`); a worker killed mid-epoch, and the job started again."""

import keras
import pytest
from jobs import max_difference, run_job

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(keras.backend.backend() != "tensorflow", reason="starts its own processes"),
]
BACKENDS = ["tensorflow", "jax"]


@pytest.fixture(scope="module")
def one_device(tmp_path_factory):
    jobs = {}
    for backend in BACKENDS:
        job = run_job("off", tmp_path_factory.mktemp(backend), backend=backend)
        assert job.returncode == 0, job.output
        jobs[backend] = job
    return jobs


@pytest.mark.parametrize("backend", BACKENDS)
def test_two_processes_train_numpy_input_to_the_single_device_weights(backend, one_device, tmp_path):
    pytest.importorskip(backend)
    job = run_job("auto", tmp_path, backend=backend, processes=2)
    assert job.returncode == 0, job.output
    assert job.report(0)["kind"] == ("multi_worker_mirrored" if backend == "tensorflow" else "data_parallel")
    assert max_difference(job.weights(0), job.weights(1)) == 0.0
    assert max_difference(job.weights(0), one_device[backend].weights()) < 1e-5
    assert job.report(0)["history"] == job.report(1)["history"]
    for metric in ("loss", "val_loss", "val_accuracy"):
        expected = one_device[backend].report()["history"][metric]
        assert job.report(0)["history"][metric] == pytest.approx(expected, rel=1e-5), metric


@pytest.mark.parametrize("backend", BACKENDS)
def test_each_example_is_fed_to_exactly_one_process_per_epoch(backend, tmp_path):
    pytest.importorskip(backend)
    job = run_job("auto", tmp_path, backend=backend, processes=2, options=("--epochs", "1"))
    assert job.returncode == 0, job.output
    first, second = job.report(0)["fed"], job.report(1)["fed"]
    assert len(first) == len(second) == 50 and sorted(first + second) == list(range(100))


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_job_whose_worker_is_killed_resumes_when_started_again_and_ends_as_an_uninterrupted_one(backend, tmp_path):
    pytest.importorskip(backend)
    uninterrupted = run_job(
        "auto", tmp_path / "whole", backend=backend, processes=2, options=("--checkpoint", str(tmp_path / "c1"))
    )
    assert uninterrupted.returncode == 0, uninterrupted.output
    options = ("--checkpoint", str(tmp_path / "c2"), "--kill-at", "1:2")
    killed = run_job("auto", tmp_path / "run", backend=backend, processes=2, options=options)
    assert killed.returncode == 137, killed.output  # process 1's SIGKILL, reported as a shell would
    assert "Start the job again" in killed.output  # the survivor said why it stopped, instead of hanging
    resumed = run_job("auto", tmp_path / "run", backend=backend, processes=2, options=options)
    assert resumed.returncode == 0, resumed.output
    assert max_difference(resumed.weights(0), uninterrupted.weights(0)) == 0.0
    assert max_difference(resumed.weights(1), uninterrupted.weights(0)) == 0.0
    assert len(resumed.report(0)["history"]["loss"]) == 3
