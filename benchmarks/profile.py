"""What XLA made of each contender of a row: the optimized training step's top-level operations.

    python -m benchmarks.profile --suite cpu --row encoder_dropout0 [--quick]

Each contender is built and stepped in a process of its own with XLA dumping its optimized HLO; the
largest module (the training step) is summarised by opcode: every top-level instruction of its entry
computation is one kernel or one library call, so two contenders with the same counts run the same work
and a gap between them is the machine's noise, while a surplus of `copy`/`transpose` or unfused
elementwise work points at what to fix.
"""

from __future__ import annotations

import argparse
import collections
import re
import tempfile
from pathlib import Path

from benchmarks.__main__ import _child

INSTRUCTION = re.compile(r"^\s*(?:ROOT\s+)?%?[\w.\-]+\s*=\s*(?:\([^=]*?\)|\S+)\s+([a-z][\w\-]*)\(")
KERNELS = ("fusion", "dot", "convolution", "custom-call", "copy", "transpose", "all-reduce", "while", "scatter")


def entry_opcodes(hlo_text: str) -> collections.Counter:
    """Opcodes of the instructions of the ENTRY computation of one HLO module's text."""
    counts = collections.Counter()
    inside = False
    for line in hlo_text.splitlines():
        if line.startswith("ENTRY"):
            inside = True
            continue
        if inside and line.startswith("}"):
            break
        match = INSTRUCTION.match(line) if inside else None
        if match:
            counts[match.group(1)] += 1
    return counts


def training_step(dump: Path) -> tuple[str, collections.Counter]:
    """The module with the most entry instructions among the optimized ones: the training step."""
    modules = {path.name: entry_opcodes(path.read_text()) for path in dump.glob("*after_optimizations.txt")}
    if not modules:
        raise RuntimeError(f"XLA dumped no optimized module into {dump}")
    name = max(modules, key=lambda key: sum(modules[key].values()))
    return name, modules[name]


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.profile", description=__doc__.splitlines()[0])
    parser.add_argument("--suite", choices=("cpu", "gpu"), default="cpu")
    parser.add_argument("--row", required=True)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    info = _child(args.suite, ["info"], args.quick)
    (row,) = [row for row in info["rows"] if row["name"] == args.row]
    with tempfile.TemporaryDirectory() as folder:
        summaries = {}
        for contender in row["contenders"]:
            dump = Path(folder) / re.sub(r"\W+", "_", contender)
            flags = f"{row['environment'].get('XLA_FLAGS', '')} --xla_dump_to={dump} --xla_dump_hlo_as_text"
            probe = ["memory", "--row", args.row, "--contender", contender]
            _child(args.suite, probe, args.quick, {**row["environment"], "XLA_FLAGS": flags.strip()})
            summaries[contender] = training_step(dump)
    print(f"{args.row} on {info['device']} ({info['backend']}, {info['precision']}): training-step entry ops")
    opcodes = sorted({opcode for _, counts in summaries.values() for opcode in counts}, key=_kernel_first)
    print(f"{'opcode':<20}" + "".join(f"{name[:28]:>30}" for name in summaries))
    for opcode in opcodes:
        print(f"{opcode:<20}" + "".join(f"{counts[opcode]:>30}" for _, counts in summaries.values()))
    print(f"{'total':<20}" + "".join(f"{sum(counts.values()):>30}" for _, counts in summaries.values()))


def _kernel_first(opcode: str) -> tuple[int, str]:
    return (KERNELS.index(opcode) if opcode in KERNELS else len(KERNELS), opcode)


if __name__ == "__main__":
    main()
