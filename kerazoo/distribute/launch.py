"""A local launcher for development and tests: N processes on this machine, as one cluster (like torchrun).

Real clusters start the same command on every host with their own tools (a TPU pod's `gcloud ... --worker=all`,
SLURM, Kubernetes); each process then finds the others in `TF_CONFIG` or `KERAS_DISTRIBUTION_*`.
"""

from __future__ import annotations

import json
import os
import queue
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Sequence

from kerazoo._validation import require_positive_int

# How long stopped processes get to exit after SIGTERM before SIGKILL.
GRACE_SECONDS = 10
# Signals to the launcher that stop its processes too.
_FORWARDED = (signal.SIGINT, signal.SIGTERM)


def _free_ports(count: int) -> list[int]:
    sockets = [socket.socket() for _ in range(count)]
    try:
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def cluster_environment(processes: int, index: int, ports: Sequence[int]) -> dict[str, str]:
    """The variables that make process `index` one of `processes` on 127.0.0.1, for both backends.

    TensorFlow reads `TF_CONFIG` (one port per worker); JAX reads `KERAS_DISTRIBUTION_*` (the coordinator
    is process 0, on its own port).
    """
    workers = [f"127.0.0.1:{port}" for port in ports[:processes]]
    return {
        "TF_CONFIG": json.dumps({"cluster": {"worker": workers}, "task": {"type": "worker", "index": index}}),
        "KERAS_DISTRIBUTION_JOB_ADDRESSES": f"127.0.0.1:{ports[processes]}",
        "KERAS_DISTRIBUTION_NUM_PROCESSES": str(processes),
        "KERAS_DISTRIBUTION_PROCESS_ID": str(index),
    }


def launch(command: Sequence[str], processes: int) -> int:
    """Runs `command` as `processes` cooperating processes and supervises them.

    When one process fails, the others are stopped at once (SIGTERM, then SIGKILL after `GRACE_SECONDS`),
    so no survivor waits in a collective for a peer that is gone; run the same launch again to resume
    from the last checkpoint.

    Returns:
        0 when every process succeeded, else the exit status of the first that failed (128 + signal
        number for one killed by a signal, as shells report it).
    """
    require_positive_int(processes=processes)
    command = list(command)
    if not command:
        raise ValueError("`command` must name a program to run. Received: an empty command")
    ports = _free_ports(processes + 1)
    children = [
        subprocess.Popen(command, env={**os.environ, **cluster_environment(processes, index, ports)})
        for index in range(processes)
    ]
    forwarded = {sig: signal.signal(sig, lambda number, _frame: _stop(children, number)) for sig in _FORWARDED}
    try:
        return _supervise(children)
    finally:
        for sig, handler in forwarded.items():
            signal.signal(sig, handler)
        _stop(children, signal.SIGTERM)


def _supervise(children: list[subprocess.Popen]) -> int:
    # One waiting thread per child, not os.wait(): that would also reap the caller's other subprocesses.
    exited: queue.Queue[subprocess.Popen] = queue.Queue()
    for child in children:
        threading.Thread(target=lambda c=child: (c.wait(), exited.put(c)), daemon=True).start()
    for remaining in range(len(children) - 1, -1, -1):
        child = exited.get()
        if child.returncode != 0:
            code = child.returncode if child.returncode > 0 else 128 - child.returncode
            print(
                f"kerazoo launch: process {children.index(child)} exited with status {code}; stopping the other "
                f"{remaining} process(es).",
                file=sys.stderr,
                flush=True,
            )
            return code
    return 0


def _stop(children: list[subprocess.Popen], sig: int) -> None:
    alive = [child for child in children if child.poll() is None]
    for child in alive:
        child.send_signal(sig)
    for child in alive:
        try:
            child.wait(GRACE_SECONDS)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
