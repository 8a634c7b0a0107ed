"""Step timing shared by the benchmarks: interleaved rounds, median of rounds, same inputs for everyone."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Mapping

import keras
import numpy as np


def train_step_timer(model: keras.Model, inputs, targets) -> Callable[[], None]:
    """One XLA-compiled forward+backward+update step of `model` on fixed data, compiled before timing."""
    model.compile(optimizer=keras.optimizers.SGD(1e-3), loss="mse", jit_compile=True)
    model.train_on_batch(inputs, targets)  # trace and compile outside the timed region

    def step():
        model.train_on_batch(inputs, targets)

    return step


def compare(steps: Mapping[str, Callable[[], None]], *, rounds: int = 7, steps_per_round: int = 10) -> dict:
    """Milliseconds per step for each entry, the median over `rounds` rounds run in turn.

    Interleaving the contenders round by round spreads slow drifts of the machine (thermal, other load)
    over all of them instead of penalising whichever ran last.
    """
    for step in steps.values():  # warm caches and allocator
        for _ in range(2):
            step()
    samples = {name: [] for name in steps}
    for _ in range(rounds):
        for name, step in steps.items():
            start = time.perf_counter()
            for _ in range(steps_per_round):
                step()
            samples[name].append((time.perf_counter() - start) / steps_per_round * 1e3)
    return {name: statistics.median(values) for name, values in samples.items()}


def random_like(shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype("float32")
