"""The `kerazoo` console script. Each command group is one module that adds its own subparsers; handlers only
turn arguments into library calls, so scripts and notebooks call the same functions.

User errors (a `ValueError`, `TypeError`, `FileNotFoundError` or a missing optional package from the
library, or a `UsageError`) print one line on stderr, in the command's own terms (`--batch-size`,
`--set num_heads`), and exit with status 2; `--debug`, before or after the command, shows the traceback
instead. Ctrl-C ends with one line and status 130. Parsing and `--help` import neither Keras, TensorFlow nor
gensim: each command imports what it needs when it runs, and TensorFlow's start-up log lines are dropped
unless `--debug` is given.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import sys

from kerazoo import __version__
from kerazoo._optional import missing
from kerazoo.cli import convert, export, generate, info, launch, train, word2vec
from kerazoo.cli._common import Interrupted, UsageError, in_command_terms, native_start_up_lines_dropped

USER_ERRORS = (ValueError, TypeError, FileNotFoundError, ImportError)
# Exit status of a command stopped with Ctrl-C, as shells report SIGINT (128 + 2).
INTERRUPTED_EXIT = 130


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kerazoo", description="Keras 3 model zoo, Word2Vec and distribution.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("--debug", action="store_true", help="show the full traceback of an error")
    commands = parser.add_subparsers(dest="command", required=True)
    for group in (info, train, generate, convert, export, word2vec, launch):
        group.add_commands(commands)
    for command in _commands(parser):
        # Accepted after the command too; SUPPRESS keeps a --debug given before it.
        command.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
        command.set_defaults(spellings=_spellings(command))
    return parser


def _commands(parser: argparse.ArgumentParser):
    """The parsers that run something: the leaves of the command tree."""
    groups = [action for action in parser._actions if isinstance(action, argparse._SubParsersAction)]
    if not groups:
        yield parser
    for group in groups:
        for command in dict.fromkeys(group.choices.values()):  # aliases share a parser
            yield from _commands(command)


def _spellings(command: argparse.ArgumentParser) -> dict[str, str]:
    """Library argument name -> the option that sets it (`batch_size` -> `--batch-size`). Not the flags that
    turn an argument off (`--no-download` sets download=False): `--no-download=False` would say the opposite."""
    return {
        action.dest: max(action.option_strings, key=len)
        for action in command._actions
        if action.option_strings and action.dest not in ("help", "debug", "set") and action.const is not False
    }


def _builder_spellings(args) -> dict[str, str]:
    """`--set NAME` for each argument of the model the command builds, where the registry is loaded already."""
    name = getattr(args, "name", None)
    registry = sys.modules.get("kerazoo.models.registry")
    if registry is None or not hasattr(args, "set") or name not in registry.list_models():
        return {}
    return {argument: f"--set {argument}" for argument in registry.info(name).defaults}


class _LineFormatter(logging.Formatter):
    """`kerazoo: message`; a message that starts with a newline (to leave a progress bar's line) keeps it first."""

    def format(self, record: logging.LogRecord) -> str:
        message = super().format(record)
        text = message.lstrip("\n")
        return message[: len(message) - len(text)] + f"kerazoo: {text}"


class _StderrHandler(logging.StreamHandler):
    """Writes to whatever `sys.stderr` is at the time (a caller may redirect it between commands)."""

    def emit(self, record: logging.LogRecord) -> None:
        self.stream = sys.stderr
        super().emit(record)


@contextlib.contextmanager
def _library_messages_shown():
    """kerazoo's own log lines (what a run costs, a resume, a stop) on stderr as `kerazoo: ...` while a command
    runs; the loggers are as they were afterwards (main() may be called from a program or a test)."""
    logger, device = logging.getLogger("kerazoo"), logging.getLogger("kerazoo.distribute")
    saved = logger.level, logger.propagate, device.level
    handler = _StderrHandler()
    handler.setFormatter(_LineFormatter())
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    # The device line is for scripts; the command says what it trains, and stderr stays for what matters.
    device.setLevel(logging.WARNING)
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(saved[0])
        logger.propagate = saved[1]
        device.setLevel(saved[2])


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if not args.debug:
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # read when TensorFlow loads: none of its C++ log
    with _library_messages_shown():
        return _run(args)


def _run(args) -> int:
    try:
        if args.needs_keras and "keras" not in sys.modules:
            with contextlib.nullcontext() if args.debug else native_start_up_lines_dropped():
                import keras  # noqa: F401
        return args.run(args)
    except KeyboardInterrupt as interrupt:
        if args.debug:
            raise
        hint = str(interrupt) if isinstance(interrupt, Interrupted) else "interrupted"
        print(f"\nkerazoo: {hint}", file=sys.stderr)
        return INTERRUPTED_EXIT
    except USER_ERRORS as error:
        if args.debug:
            raise
        if isinstance(error, ModuleNotFoundError) and str(error).startswith("No module named"):
            error = missing(error.name)  # a plain import of an optional package: say how to install it
        message = " ".join(str(error).split()) or type(error).__name__
        message = in_command_terms(message, {**_builder_spellings(args), **args.spellings})
        print(f"kerazoo: {message} (--debug shows the traceback)", file=sys.stderr)
        return 2


__all__ = ["Interrupted", "UsageError", "main"]
