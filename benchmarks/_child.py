"""One measurement in a process of its own; `python -m benchmarks` runs it and reads the JSON it prints last.

    python -m benchmarks._child info   SUITE [--quick]                  the machine and the suite's rows
    python -m benchmarks._child time   SUITE --row ROW [--quick]         the row's measurements
    python -m benchmarks._child memory SUITE --row ROW --contender NAME  one contender's peak memory (MB)

A process per row keeps rows from sharing compilation caches and allocator state, and lets a row choose
its backend and devices (the distributed row splits the CPU before JAX starts). A process per contender is
the only way to know each one's peak memory: a peak cannot be reset.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import re
from importlib import metadata

from benchmarks import suites
from benchmarks._harness import Row
from benchmarks._memory import peak_resident_mb, resident_mb

LIBRARIES = ("keras", "tensorflow", "tensorflow-cpu", "jax", "torch", "keras-hub", "gensim", "kerazoo")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=("info", "time", "memory"))
    parser.add_argument("suite", choices=suites.SUITES)
    parser.add_argument("--row")
    parser.add_argument("--contender")
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    _set_precision(args.suite)
    rows = {row.name: row for row in suites.rows(args.suite, args.quick)}
    if args.mode == "info":
        result = {
            **machine(),
            "rows": [
                {"name": name, "environment": row.environment, "contenders": _contenders(row)}
                for name, row in rows.items()
            ],
        }
    elif args.mode == "time":
        row = rows[args.row]
        measured = row.measure(peak_flops=lambda: peak_matmul_flops(args.quick))
        import keras

        # A row may run on another backend than its suite's (its environment names one): say which.
        result = {"measurements": [{**vars(line), "backend": keras.backend.backend()} for line in measured]}
    else:
        result = {"peak_mb": peak_memory_mb(rows[args.row], args.contender)}
    print(json.dumps(result))


def _contenders(row) -> list[str]:
    """The contenders whose peak memory can be taken one at a time (a `Custom` row measures its own)."""
    return list(row.contenders) if isinstance(row, Row) else []


def _set_precision(suite: str) -> None:
    if suites.PRECISIONS[suite] != "float32":
        import keras

        keras.config.set_dtype_policy(suites.PRECISIONS[suite])


def machine() -> dict:
    """What the table's header states: the device, the machine, the backend and the library versions."""
    import keras

    accelerator = None
    if keras.backend.backend() == "jax":
        import jax

        device = jax.devices()[0]
        accelerator = None if device.platform == "cpu" else f"{jax.device_count()} x {device.device_kind}"
    cores = os.cpu_count()
    cpu = _cpu_model()
    versions = {}
    for library in LIBRARIES:
        try:
            versions[library] = metadata.version(library)
        except metadata.PackageNotFoundError:
            continue
    return {
        "device": _slug(accelerator) if accelerator else f"cpu-{cores}-cores",
        "machine": f"{accelerator + '; ' if accelerator else ''}{cpu}, {cores} cores, {platform.system()}",
        "backend": keras.backend.backend(),
        "precision": keras.config.dtype_policy().name,
        "versions": " ".join(f"{name} {version}" for name, version in versions.items()),
        "python": platform.python_version(),
        "date": datetime.date.today().isoformat(),
    }


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as info:
            for line in info:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower().split(" x ", 1)[-1]).strip("-")


def peak_matmul_flops(quick: bool) -> float:
    """The best FLOP/s of a chain of square matmuls in the compute dtype: the roof that MFU divides by."""
    import time

    import keras

    from kerazoo.models._decoding import _compile

    size = 256 if quick else (8192 if _on_accelerator() else 2048)
    dtype = keras.config.dtype_policy().compute_dtype
    a = keras.random.normal((size, size), dtype=dtype)
    b = keras.random.normal((size, size), dtype=dtype) / size**0.5
    chain = 8

    def matmuls(a, b):
        for _ in range(chain):
            a = keras.ops.matmul(a, b)
        return a

    compiled = _compile(matmuls, variables=[])  # XLA on TensorFlow and JAX, as kerazoo's decoding compiles
    keras.ops.convert_to_numpy(compiled(a, b)[0, 0])
    best = float("inf")
    for _ in range(5):
        start = time.perf_counter()
        keras.ops.convert_to_numpy(compiled(a, b)[0, 0])
        best = min(best, time.perf_counter() - start)
    return chain * 2 * size**3 / best


def _on_accelerator() -> bool:
    import keras

    if keras.backend.backend() == "jax":
        import jax

        return jax.devices()[0].platform != "cpu"
    return False


def peak_memory_mb(row, contender: str) -> float:
    """The contender's peak memory over its build and a few steps, above what the process held before:
    device memory on an accelerator (JAX), resident memory otherwise."""
    import keras

    keras.ops.zeros((1,))  # the backend's runtime is up before the baseline is taken
    device = _device_stats()
    baseline = device["bytes_in_use"] if device else resident_mb()
    step = row.contenders[contender]()
    for _ in range(row.warmup + 3):
        step()
    if hasattr(step, "peak_mb"):  # a `benchmarks._remote.RemoteStep`: its memory is its own process's
        return step.peak_mb()
    if device:
        return (_device_stats()["peak_bytes_in_use"] - baseline) / 2**20
    return peak_resident_mb() - baseline


def _device_stats() -> dict | None:
    if not _on_accelerator():
        return None
    import jax

    return jax.local_devices()[0].memory_stats()


if __name__ == "__main__":
    main()
