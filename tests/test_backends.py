import os
import subprocess
import sys
from pathlib import Path

import keras
import pytest

TESTS = Path(__file__).parent


@pytest.mark.skipif(keras.backend.backend() != "tensorflow", reason="starts the JAX run from the main run")
def test_block_suite_passes_on_jax_without_tensorflow():
    pytest.importorskip("jax")
    env = {
        **os.environ,
        "KERAS_BACKEND": "jax",
        "PYTHONPATH": os.pathsep.join([str(TESTS / "without_tensorflow"), os.environ.get("PYTHONPATH", "")]),
    }
    suites = [
        str(TESTS / "blocks"),
        str(TESTS / "layers"),
        str(TESTS / "models" / "test_registry.py"),
        str(TESTS / "distribute" / "test_any_backend.py"),
        str(TESTS / "test_package.py"),
        __file__,
    ]
    run = subprocess.run(
        [sys.executable, "-m", "pytest", *suites, "-q", "-p", "no:cacheprovider", "-n", "2"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-3000:]
    assert " passed" in run.stdout.splitlines()[-1]


@pytest.mark.skipif(keras.backend.backend() == "tensorflow", reason="checks the JAX run's environment")
def test_tensorflow_cannot_be_imported_in_the_jax_run():
    with pytest.raises(ImportError):
        import tensorflow  # noqa: F401
