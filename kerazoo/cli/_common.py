"""What every command group shares: user errors, `--set KEY=VALUE` parsing, messages in the command's own
terms, and a quiet start for TensorFlow."""

from __future__ import annotations

import ast
import contextlib
import os
import re
import sys
import tempfile
from collections.abc import Iterator, Mapping


class UsageError(ValueError):
    """A mistake on the command line: reported as one line on stderr with exit status 2, no traceback."""


class Interrupted(KeyboardInterrupt):
    """Ctrl-C, with what the user can do next (for `kerazoo train`: run the same command to resume)."""


def parse_settings(pairs: list[str]) -> dict:
    """KEY=VALUE pairs; values are Python literals where they parse (3, 0.1, (32, 32, 3), None), else text."""
    settings = {}
    for pair in pairs:
        key, separator, value = pair.partition("=")
        if not separator or not key:
            raise UsageError(f"--set takes KEY=VALUE. Received: {pair!r}")
        try:
            settings[key] = ast.literal_eval(value)
        except (ValueError, SyntaxError):
            settings[key] = value
    return settings


def in_command_terms(message: str, spellings: Mapping[str, str]) -> str:
    """`message` with the library's argument names as the command line spells them.

    The library names arguments in backticks and echoes them as `name=value` ("`num_heads` must divide
    `dim`. Received: num_heads=12, dim=128"); `spellings` maps each name to its option (`--set num_heads`,
    `--batch-size`).
    """
    for name, option in spellings.items():
        message = message.replace(f"`{name}`", f"`{option}`")
        message = re.sub(rf"(?<![\w.-]){re.escape(name)}=", f"{option}=", message)
    return message


# The C++ lines TensorFlow writes straight to file descriptor 2 while it loads, before TF_CPP_MIN_LOG_LEVEL
# is read (absl's pre-initialisation notice, oneDNN's and the CPU features' info lines).
_NATIVE_START_UP_LINE = re.compile(
    r"WARNING: All log messages before absl::InitializeLog\(\)|I\d{4} [\d:.]+ +\d+ \S+:\d+\]|"
    r"To enable the following instructions:"
)


@contextlib.contextmanager
def native_start_up_lines_dropped() -> Iterator[None]:
    """Runs the block with file descriptor 2 captured, then passes on all it got but TensorFlow's start-up
    info lines. Python's own `sys.stderr` is flushed on both sides, so nothing is reordered or lost."""
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as captured:
        os.dup2(captured.fileno(), 2)
        try:
            yield
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            captured.seek(0)
            kept = [
                line
                for line in captured.read().decode("utf8", "replace").splitlines(keepends=True)
                if not _NATIVE_START_UP_LINE.match(line)
            ]
            sys.stderr.write("".join(kept))
