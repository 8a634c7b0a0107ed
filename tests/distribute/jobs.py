"""Runs tests/distribute/worker.py in fresh interpreters (TensorFlow and JAX fix their devices at start-up)
and reads back what each process reported."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

WORKER = Path(__file__).with_name("worker.py")
TIMEOUT = 300


@dataclass
class Job:
    returncode: int
    output: str
    folder: Path

    def report(self, process: int = 0) -> dict:
        return json.loads((self.folder / f"process{process}.json").read_text())

    def weights(self, process: int = 0) -> list[np.ndarray]:
        with np.load(self.folder / f"process{process}.npz") as saved:
            return [saved[f"arr_{i}"] for i in range(len(saved.files))]


def run_job(
    kind: str,
    folder: Path,
    *,
    backend: str = "tensorflow",
    processes: int = 1,
    devices: int = 1,
    options: tuple[str, ...] = (),
) -> Job:
    """Trains worker.py's model with `kind`; `devices` > 1 splits the CPU into that many logical devices."""
    env = {**os.environ, "KERAS_BACKEND": backend, "PYTHONUNBUFFERED": "1"}
    for name in ("TF_CONFIG", "KERAS_DISTRIBUTION_JOB_ADDRESSES", "KERAS_DISTRIBUTION_NUM_PROCESSES"):
        env.pop(name, None)
    command = [sys.executable, str(WORKER), kind, str(folder), *options]
    if backend == "jax" and devices > 1:
        env["XLA_FLAGS"] = f"--xla_force_host_platform_device_count={devices}"
    elif devices > 1:
        command += ["--logical-cpus", str(devices)]
    if processes > 1:
        command = [sys.executable, "-m", "kerazoo.cli", "launch", "--processes", str(processes), "--", *command]
    run = subprocess.run(command, env=env, capture_output=True, text=True, timeout=TIMEOUT)
    return Job(run.returncode, run.stdout[-4000:] + run.stderr[-8000:], folder)


def max_difference(first: list[np.ndarray], second: list[np.ndarray]) -> float:
    assert len(first) == len(second)
    return max(
        float(np.max(np.abs(a.astype("float64") - b.astype("float64")))) for a, b in zip(first, second, strict=True)
    )
