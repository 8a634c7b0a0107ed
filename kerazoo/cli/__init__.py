"""The `kerazoo` console script. Each command group is one module that adds its own subparsers; handlers only
turn arguments into library calls, so scripts and notebooks call the same functions.

User errors (a `ValueError`, `TypeError` or `FileNotFoundError` from the library, or a `UsageError`) print
one line on stderr and exit with status 2; `--debug` shows the traceback instead.
"""

from __future__ import annotations

import argparse
import sys

from kerazoo.cli import convert, export, info, launch, train, word2vec
from kerazoo.cli._common import UsageError

USER_ERRORS = (ValueError, TypeError, FileNotFoundError)


def _parser() -> argparse.ArgumentParser:
    from kerazoo import __version__

    parser = argparse.ArgumentParser(prog="kerazoo", description="Keras 3 model zoo, Word2Vec and distribution.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("--debug", action="store_true", help="show the full traceback of an error")
    commands = parser.add_subparsers(dest="command", required=True)
    for group in (info, train, convert, export, word2vec, launch):
        group.add_commands(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return args.run(args)
    except USER_ERRORS as error:
        if args.debug:
            raise
        message = " ".join(str(error).split()) or type(error).__name__
        print(f"kerazoo: {message} (--debug shows the traceback)", file=sys.stderr)
        return 2


__all__ = ["UsageError", "main"]
