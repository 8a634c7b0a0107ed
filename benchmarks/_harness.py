"""What a benchmark row is, how it is measured, and what a measurement records.

A `Row` races contenders (kerazoo first, then its references) step by step in one process: each step is a
training step, a `generate` call or a whole Word2Vec training, and `work` says how many units (tokens,
images, words) one step handles. A `Custom` row computes its measurements itself (memory growth,
similarity scores, import time). Peak memory is taken per contender, each in a fresh process, because a
process's peak cannot be reset between contenders.
"""

from __future__ import annotations

import dataclasses
import statistics
from collections.abc import Callable

from benchmarks._timing import interleaved

Step = Callable[[], object]


@dataclasses.dataclass
class Measurement:
    """One line of the table: kerazoo against one reference, as a ratio of throughputs (or a difference)."""

    row: str
    title: str
    unit: str
    kerazoo: float
    reference_name: str
    reference: float
    comparison: str  # "ratio" (kerazoo / reference, above 1 is better) or "difference" (kerazoo - reference)
    value: float  # the median over rounds of the per-round ratio (or difference)
    low: float  # the smallest and largest per-round value: the spread
    high: float
    target: str = ""
    met: str = ""  # see `verdict`; "" where the row has no target
    kerazoo_peak_mb: float | None = None
    reference_peak_mb: float | None = None
    notes: str = ""
    kerazoo_name: str = "kerazoo"  # which of kerazoo's contenders, where a row races several


@dataclasses.dataclass
class Comparison:
    """kerazoo's contender against one reference, with the ratio the issue asks for (None: no target)."""

    ours: str
    reference: str
    target: float | None = 1.0
    title: str = ""  # what this line compares, when not the row's title


@dataclasses.dataclass
class Row:
    name: str
    title: str
    unit: str
    work: float  # units of `unit` per step
    contenders: dict[str, Callable[[], Step]]  # builds a contender and returns its step
    comparisons: list[Comparison]
    rounds: int = 7
    steps_per_round: int = 5
    warmup: int = 2
    flops_per_unit: float | None = None  # model FLOPs per unit of work, for the utilisation figure
    notes: str = ""
    environment: dict[str, str] = dataclasses.field(default_factory=dict)  # what its process needs set

    def measure(self, peak_flops: Callable[[], float] | None = None) -> list[Measurement]:
        steps = {name: build() for name, build in self.contenders.items()}
        seconds = interleaved(steps, rounds=self.rounds, steps_per_round=self.steps_per_round, warmup=self.warmup)
        speed = {name: [self.work / s for s in values] for name, values in seconds.items()}
        median = {name: statistics.median(values) for name, values in speed.items()}
        notes = self.notes
        if self.flops_per_unit and peak_flops is not None:
            peak = peak_flops()
            utilisation = {name: median[name] * self.flops_per_unit / peak for name in median}
            notes = "; ".join(
                filter(None, [notes, "MFU " + ", ".join(f"{name} {u:.3f}" for name, u in utilisation.items())])
            )
            notes += f" (of a measured {peak / 1e12:.3g} TFLOP/s matmul peak)"
        measurements = []
        for comparison in self.comparisons:
            ratios = [a / b for a, b in zip(speed[comparison.ours], speed[comparison.reference], strict=True)]
            value = statistics.median(ratios)
            target = comparison.target
            measurements.append(
                Measurement(
                    row=self.name,
                    title=comparison.title or self.title,
                    unit=self.unit,
                    kerazoo=median[comparison.ours],
                    reference_name=comparison.reference,
                    reference=median[comparison.reference],
                    comparison="ratio",
                    value=value,
                    low=min(ratios),
                    high=max(ratios),
                    target="" if target is None else f">= {target:.2f}",
                    met=verdict(value, min(ratios), max(ratios), target),
                    notes=notes,
                    kerazoo_name=comparison.ours,
                )
            )
        return measurements


@dataclasses.dataclass
class Custom:
    """A row that is not a race of steps: it measures and returns its own lines."""

    name: str
    measure_lines: Callable[[], list[Measurement]]
    environment: dict[str, str] = dataclasses.field(default_factory=dict)

    def measure(self, peak_flops=None) -> list[Measurement]:
        return self.measure_lines()


def verdict(value: float, low: float, high: float, target: float | None) -> str:
    """ "yes" when the median ratio reaches the target, "no" when even the best round falls short, and
    "within spread" between: the rounds cannot tell the two apart (contenders that run the same kernels)."""
    if target is None:
        return ""
    if value >= target:
        return "yes"
    return "within spread" if high >= target else "no"
