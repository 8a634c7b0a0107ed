"""Timing shared by every benchmark: contenders take turns round by round, the same inputs for all."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping

import keras
import numpy as np


def interleaved(
    steps: Mapping[str, Callable[[], object]], *, rounds: int, steps_per_round: int, warmup: int = 2
) -> dict[str, list[float]]:
    """Seconds per step of each contender in each of `rounds` rounds, the contenders taking turns.

    Taking turns spreads a machine's slow drifts (clock boost, other load) over every contender instead of
    penalising whichever runs last, and makes the ratio of one round a fair sample of the ratio.
    """
    for step in steps.values():  # compilation, caches and the allocator settle outside the timing
        for _ in range(warmup):
            step()
    seconds = {name: [] for name in steps}
    for _ in range(rounds):
        for name, step in steps.items():
            start = time.perf_counter()
            for _ in range(steps_per_round):
                step()
            seconds[name].append((time.perf_counter() - start) / steps_per_round)
    return seconds


def train_step(model: keras.Model, inputs, targets, loss) -> Callable[[], None]:
    """One XLA-compiled training step (Adam) of `model` on fixed data already converted to tensors."""
    model.compile(optimizer=keras.optimizers.Adam(1e-4), loss=loss, jit_compile=True)
    inputs = keras.tree.map_structure(keras.ops.convert_to_tensor, inputs)
    targets = keras.ops.convert_to_tensor(targets)

    def step():
        model.train_on_batch(inputs, targets)

    return step


def random_floats(shape, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal(shape).astype("float32")


def random_ints(shape, high: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(1, high, shape).astype("int32")
