"""`python -m benchmarks [--suite cpu|gpu|word2vec|all] [--quick]`: measure, record, regenerate the table.

Each row runs in a process of its own on its suite's backend (`benchmarks/_child.py`), and each contender's
peak memory in another. The figures go to `benchmarks/results/<device>.csv` (replacing the same rows of an
earlier run on that device) and `BENCHMARKS.md` is regenerated from every results file. A `--quick` run
shrinks sizes and repetitions to check that a suite works (the GPU suite on a CPU, say); it writes
`<device>-quick.csv`, which the table leaves out.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from benchmarks import report, suites

ROOT = Path(__file__).resolve().parent.parent
NOT_MEASURED = {
    "gpu": (
        "No figures yet: no GPU was available where this table was last generated. On a machine with one "
        "(JAX installed with CUDA, and keras-hub: `pip install --no-deps keras-hub`), run "
        "`python -m benchmarks --suite gpu` (JAX backend, mixed_bfloat16), then commit "
        "`benchmarks/results/<gpu>.csv`. The suite is smoke-tested on CPU at `--quick` sizes by the slow tests."
    ),
}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.splitlines()[0])
    parser.add_argument("--suite", choices=(*suites.SUITES, "all"), default="all")
    parser.add_argument("--quick", action="store_true", help="tiny sizes and few repetitions: a smoke run")
    parser.add_argument("--rows", nargs="+", metavar="ROW", help="only these rows of the suite")
    parser.add_argument("--no-memory", action="store_true", help="skip the per-contender peak memory runs")
    parser.add_argument("--results", type=Path, default=ROOT / "benchmarks" / "results")
    parser.add_argument("--markdown", type=Path, default=ROOT / "BENCHMARKS.md")
    args = parser.parse_args(argv)
    chosen = suites.SUITES if args.suite == "all" else (args.suite,)
    for suite in chosen:
        if args.suite == "all" and importlib.util.find_spec(suites.BACKENDS[suite]) is None:
            print(f"{suite} suite skipped: its Keras backend, {suites.BACKENDS[suite]}, is not installed")
            continue
        info = _child(suite, ["info"], args.quick)
        if suite == "gpu" and args.suite == "all" and info["device"].startswith("cpu-"):
            print("gpu suite skipped: JAX sees no GPU here")
            continue
        print(f"\n{suite} suite on {info['device']}: {info['machine']}; {info['backend']}, {info['precision']}")
        print(f"  {info['versions']}")
        path = args.results / f"{info['device']}{'-quick' if args.quick else ''}.csv"
        chosen_rows = [row for row in info["rows"] if not args.rows or row["name"] in args.rows]
        for row in chosen_rows:
            lines = measure_row(suite, row, args.quick, memory=not args.no_memory)
            run = {field: info[field] for field in report.RUN_FIELDS if field != "suite"}
            report.merge(path, [{"suite": suite, **run, **line} for line in lines])
        print(f"  {len(chosen_rows)} rows written to {path}")
    reasons = {
        suite: NOT_MEASURED.get(suite, f"No figures yet: run `python -m benchmarks --suite {suite}`.")
        for suite in suites.SUITES
    }
    report.write_markdown(args.results, args.markdown, reasons)
    print(f"\n{args.markdown} regenerated")


def measure_row(suite: str, row: dict, quick: bool, *, memory: bool) -> list[dict]:
    started = time.perf_counter()
    result = _child(suite, ["time", "--row", row["name"]], quick, row["environment"])
    lines = result["measurements"]
    if memory and row["contenders"]:
        peaks = {}
        for contender in row["contenders"]:
            probe = ["memory", "--row", row["name"], "--contender", contender]
            peaks[contender] = _child(suite, probe, quick, row["environment"])["peak_mb"]
        for line in lines:
            line["kerazoo_peak_mb"] = peaks.get(line["kerazoo_name"])
            line["reference_peak_mb"] = peaks.get(line["reference_name"])
    for line in lines:
        versus = f"{line['value']:.2f}x" if line["comparison"] == "ratio" else f"{line['value']:+.3g}"
        print(
            f"  {line['title']}: {line['kerazoo']:,.4g} vs {line['reference']:,.4g} {line['unit']}"
            f" ({line['reference_name']}) -> {versus} [{line['low']:.3g}, {line['high']:.3g}] {line['target']}",
            flush=True,
        )
    print(f"    ({time.perf_counter() - started:.0f} s)")
    return lines


def _child(suite: str, arguments: list[str], quick: bool, environment: dict | None = None) -> dict:
    command = [sys.executable, "-m", "benchmarks._child", arguments[0], suite, *arguments[1:]]
    if quick:
        command.append("--quick")
    env = {**os.environ, "KERAS_BACKEND": suites.BACKENDS[suite], **(environment or {})}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    run = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    if run.returncode:
        raise RuntimeError(f"{' '.join(command[2:])} failed (exit {run.returncode}):\n{run.stderr[-4000:]}")
    return json.loads(run.stdout.strip().splitlines()[-1])


if __name__ == "__main__":
    main()
