"""`kerazoo launch -n N -- COMMAND`: N cooperating local processes, for development and tests."""

from __future__ import annotations

import argparse

from kerazoo.cli._common import UsageError
from kerazoo.distribute import launch


def _launch(args) -> int:
    command = args.program[1:] if args.program[:1] == ["--"] else args.program
    if not command:
        raise UsageError("name the command after --, e.g. kerazoo launch -n 2 -- python train.py")
    return launch(command, args.processes)


def add_commands(commands) -> None:
    launcher = commands.add_parser(
        "launch",
        help="run a command as N cooperating local processes (TF_CONFIG and KERAS_DISTRIBUTION_* set)",
        description="Starts N copies of COMMAND on this machine as one cluster: each gets TF_CONFIG (TensorFlow) "
        "and KERAS_DISTRIBUTION_* (JAX) naming 127.0.0.1 ports, so distribute.scope('auto') trains across them. "
        "When one fails, the others are stopped; run the same launch again to resume from the last checkpoint.",
    )
    launcher.add_argument("-n", "--processes", type=int, required=True, help="how many processes to start")
    launcher.add_argument("program", nargs=argparse.REMAINDER, metavar="-- COMMAND ...")
    launcher.set_defaults(run=_launch, needs_keras=False)
