import os
import subprocess
import sys
from pathlib import Path

import keras
import pytest

TESTS = Path(__file__).parent


# What must work wherever Keras runs: blocks, layers, the registry, decoding, distribution's entry point.
SUITES = [
    TESTS / "blocks",
    TESTS / "layers",
    TESTS / "models" / "test_registry.py",
    TESTS / "distribute" / "test_any_backend.py",
    TESTS / "test_package.py",
    Path(__file__),
]


def run_suites(backend: str, suites, *, pythonpath=()) -> None:
    env = {
        **os.environ,
        "KERAS_BACKEND": backend,
        "PYTHONPATH": os.pathsep.join([*map(str, pythonpath), os.environ.get("PYTHONPATH", "")]),
    }
    run = subprocess.run(
        [sys.executable, "-m", "pytest", *map(str, suites), "-q", "-p", "no:cacheprovider", "-n", "2"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-3000:]
    assert " passed" in run.stdout.splitlines()[-1]


@pytest.mark.skipif(keras.backend.backend() != "tensorflow", reason="starts the JAX run from the main run")
def test_block_suite_passes_on_jax_without_tensorflow():
    pytest.importorskip("jax")
    run_suites("jax", SUITES, pythonpath=[TESTS / "without_tensorflow"])


@pytest.mark.slow  # three minutes, and PyPI's torch is gigabytes: CI installs it for the slow pass only
@pytest.mark.skipif(keras.backend.backend() != "tensorflow", reason="starts the PyTorch run from the main run")
def test_block_suite_and_generation_pass_on_pytorch():
    """TensorFlow stays installed but is never imported: PyTorch's Triton and TensorFlow each bring an LLVM,
    and one process cannot load both (hiding TensorFlow as the JAX run does breaks torch's own probing)."""
    pytest.importorskip("torch")
    run_suites("torch", [*SUITES, TESTS / "models" / "test_generation.py"])


@pytest.mark.skipif(keras.backend.backend() != "jax", reason="checks the JAX run's environment")
def test_tensorflow_cannot_be_imported_in_the_jax_run():
    with pytest.raises(ImportError):
        import tensorflow  # noqa: F401
