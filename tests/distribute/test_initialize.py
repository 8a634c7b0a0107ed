"""Joining the other processes of a job: by itself in a process started as one of several, by
`distribute.initialize()` elsewhere, and one clear error for a process that ran an operation first. Each case
runs in a fresh interpreter: a process joins once, before its runtime starts."""

import os
import subprocess
import sys

import keras
import pytest

from kerazoo.distribute.launch import cluster_environment

pytestmark = pytest.mark.skipif(keras.backend.backend() != "tensorflow", reason="starts its own processes")
# Process 0 of 2, as `kerazoo launch` starts it; nothing listens on these ports, and no test connects.
CLUSTER = cluster_environment(2, 0, (29611, 29612, 29613))
WAITS_TO_JOIN = (
    "import sys\n"
    "from kerazoo.distribute import processes\n"
    "def waits_to_join():\n"
    "    return any(getattr(f, 'callback', None) is processes._join_if_not_too_late for f in sys.meta_path)\n"
)


def _python(*arguments: str, cluster: bool = True, **variables: str) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if key not in CLUSTER}
    env.update({**(CLUSTER if cluster else {}), **variables, "TF_CPP_MIN_LOG_LEVEL": "3"})
    return subprocess.run([sys.executable, *arguments], env=env, capture_output=True, text=True, timeout=120)


def test_initialize_without_a_cluster_imports_neither_keras_nor_a_backend():
    code = (
        "import sys\nfrom kerazoo import distribute\ndistribute.initialize()\n"
        "print(sorted(m for m in ('keras', 'tensorflow', 'jax') if m in sys.modules))"
    )
    run = _python("-c", code, cluster=False)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "[]"


def test_a_launched_process_waits_for_keras_to_join_and_importing_distribute_loads_no_backend():
    code = (
        WAITS_TO_JOIN + "import kerazoo.distribute\n"
        "print(waits_to_join(), sorted(m for m in ('keras', 'tensorflow', 'jax') if m in sys.modules))"
    )
    run = _python("-c", code)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "True []"


def test_kerazoo_auto_initialize_0_turns_the_automatic_join_off():
    run = _python(
        "-c", WAITS_TO_JOIN + "import kerazoo.distribute\nprint(waits_to_join())", KERAZOO_AUTO_INITIALIZE="0"
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "False"


def test_a_process_that_multiprocessing_spawns_from_a_launched_one_does_not_join_again(tmp_path):
    # The spawned child imports the main module again, with its parent's cluster variables.
    script = tmp_path / "spawns.py"
    script.write_text(
        WAITS_TO_JOIN + "import multiprocessing\n"
        "import kerazoo.distribute\n"
        "if __name__ == '__main__':\n"
        "    with multiprocessing.get_context('spawn').Pool(1) as pool:\n"
        "        print(waits_to_join(), pool.apply(waits_to_join))\n"
    )
    run = _python(str(script))
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "True False"


@pytest.mark.parametrize("backend", ["tensorflow", "jax"])
def test_an_operation_before_joining_raises_one_error_that_says_to_call_initialize_first(backend):
    pytest.importorskip(backend)
    code = (
        "import keras\n"
        "keras.ops.add(keras.ops.ones(2), 1)  # the runtime starts: too late to join\n"
        "from kerazoo import distribute\n"
        "print('imported', flush=True)\n"
        "with distribute.scope('auto'):\n"
        "    pass\n"
    )
    run = _python("-c", code, KERAS_BACKEND=backend)
    assert run.returncode == 1
    assert run.stdout.strip() == "imported"  # the automatic join stays quiet; the scope that asks to join raises
    last = run.stderr.strip().splitlines()[-1]
    assert last.startswith("kerazoo.distribute.processes.TooLateToJoinError: This process is one of the 2 ")
    assert "kerazoo.distribute.initialize() at the top of the script" in last
    assert "Collective ops must be configured" not in run.stderr and "must be called before any JAX" not in run.stderr
    assert "During handling" not in run.stderr


@pytest.mark.parametrize("backend", ["tensorflow", "jax"])
def test_launched_processes_that_import_distribute_first_join_before_their_first_operation(backend, tmp_path):
    pytest.importorskip(backend)
    script = tmp_path / "imports_first.py"
    script.write_text(
        "import keras\n"
        "from kerazoo import distribute\n"
        "keras.ops.add(keras.ops.ones(2), 1)  # after the imports, which joined: not too late\n"
        "with distribute.scope('auto') as dist:\n"
        # One write per line: the two processes share the launcher's stdout.
        "    print(f'replicas {dist.num_replicas} processes {dist.num_processes}', flush=True)\n"
    )
    command = [sys.executable, "-m", "kerazoo.cli", "launch", "--processes", "2", "--", sys.executable, str(script)]
    env = {key: value for key, value in os.environ.items() if key not in CLUSTER}
    env.update(KERAS_BACKEND=backend, TF_CPP_MIN_LOG_LEVEL="3")
    run = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    assert run.stdout.splitlines().count("replicas 2 processes 2") == 2
