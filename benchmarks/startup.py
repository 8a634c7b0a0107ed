"""`import kerazoo` against `import keras`: each a fresh interpreter, taking turns, median of the rounds."""

from __future__ import annotations

import statistics
import subprocess
import sys
from functools import partial

from benchmarks._harness import Custom, Measurement
from benchmarks._timing import interleaved


def _import_in_a_fresh_interpreter(module: str) -> None:
    subprocess.run([sys.executable, "-c", f"import {module}"], check=True, capture_output=True)


def own_milliseconds() -> float:
    """The time `import kerazoo` spends in kerazoo's own modules, Keras and the rest left out."""
    run = subprocess.run([sys.executable, "-X", "importtime", "-c", "import kerazoo"], capture_output=True, text=True)
    microseconds = 0
    for line in run.stderr.splitlines():  # "import time: self [us] | cumulative | imported package"
        parts = line.split("|")
        if len(parts) == 3 and parts[2].strip().startswith("kerazoo"):
            microseconds += int(parts[0].split(":")[1])
    return microseconds / 1e3


def import_row(rounds: int) -> Custom:
    def measure() -> list[Measurement]:
        # The warm-up import fills the file system cache and writes the .pyc files.
        imports = {module: partial(_import_in_a_fresh_interpreter, module) for module in ("kerazoo", "keras")}
        seconds = interleaved(imports, rounds=rounds, steps_per_round=1, warmup=1)
        ratios = [theirs / ours for ours, theirs in zip(seconds["kerazoo"], seconds["keras"], strict=True)]
        ours, theirs = statistics.median(seconds["kerazoo"]), statistics.median(seconds["keras"])
        return [
            Measurement(
                row="import",
                title="import time, fresh interpreter (kerazoo imports keras)",
                unit="s",
                kerazoo=ours,
                reference_name="import keras",
                reference=theirs,
                comparison="ratio",
                value=statistics.median(ratios),
                low=min(ratios),
                high=max(ratios),
                notes=(
                    f"median difference {1e3 * (ours - theirs):+.0f} ms, of which kerazoo's own modules take "
                    f"{own_milliseconds():.0f} ms (python -X importtime); ratio is keras's time / kerazoo's"
                ),
            )
        ]

    return Custom("import", measure)
