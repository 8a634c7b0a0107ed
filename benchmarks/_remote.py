"""A contender whose steps run in a process of its own, driven one step at a time over a pipe.

PyTorch's Triton (in PyPI's CUDA build of torch, which CI installs) and TensorFlow or JAX each load their
own LLVM, and one process cannot hold both: the first `generate` of a row that raced transformers against
kerazoo in one process crashed with SIGSEGV. A `RemoteStep` keeps the race interleaved (the harness still
times each step from its own process) while the reference lives elsewhere. A round trip over a pipe costs
tens of microseconds, against the milliseconds of a generation step; the bias, if any, is against kerazoo's
rival, whose step includes it, and it is stated in the rows that use it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from benchmarks._memory import peak_resident_mb

ROOT = Path(__file__).resolve().parent.parent
READY, STEP, DONE, PEAK = "ready", "step", "done", "peak"


class RemoteStep:
    """`python -m MODULE ARGS...` as a step: a line "step" in, a line "done" out. The worker prints "ready"
    once it is built and answers "peak" with its peak memory above its baseline, in MB (`serve` below)."""

    def __init__(self, module: str, *arguments: str):
        self._process = subprocess.Popen(
            [sys.executable, "-m", module, *arguments],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            cwd=ROOT,  # `-m` finds the benchmarks package there
        )  # its stderr is this process's, so its errors reach the suite's report
        self._expect(READY)

    def __call__(self) -> None:
        self._ask(STEP)
        self._expect(DONE)

    def peak_mb(self) -> float:
        self._ask(PEAK)
        return float(self._answer())

    def close(self) -> None:
        if self._process.poll() is None:
            self._process.stdin.close()  # the worker leaves at the end of its input
            self._process.wait()
        self._process.stdout.close()

    def __del__(self):
        if hasattr(self, "_process"):  # not when the worker could not even be started
            self.close()

    def _ask(self, request: str) -> None:
        self._process.stdin.write(request + "\n")
        self._process.stdin.flush()

    def _answer(self) -> str:
        line = self._process.stdout.readline()
        if not line:
            status = self._process.wait()
            raise RuntimeError(f"the worker {self._process.args[2]} ended (exit {status}); its stderr says why")
        return line.strip()

    def _expect(self, answer: str) -> None:
        got = self._answer()
        if got != answer:
            raise RuntimeError(f"the worker {self._process.args[2]} answered {got!r}, not {answer!r}")


def protocol_channel():
    """The worker's end of the conversation: its stdout as it was, while file descriptor 1 (whatever a
    library prints, from Python or C) goes to stderr, where no stray line can break the handshake. Called
    first thing in the worker, before the libraries load."""
    channel = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)
    return channel


def serve(step, baseline_mb: float, channel) -> None:
    """The worker's side: `step` for each "step" read from stdin, until its end, answering on `channel`
    (`protocol_channel`). `baseline_mb` is the resident memory before the contender was built, as
    `benchmarks._child` takes it for in-process contenders."""
    print(READY, file=channel, flush=True)
    for line in sys.stdin:
        if line.strip() == STEP:
            step()
            print(DONE, file=channel, flush=True)
        elif line.strip() == PEAK:
            print(peak_resident_mb() - baseline_mb, file=channel, flush=True)
        else:
            raise ValueError(f"unknown request {line.strip()!r}: {STEP} or {PEAK}")
