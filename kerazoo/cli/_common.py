"""What every command group shares: the user-error type and `--set KEY=VALUE` parsing."""

from __future__ import annotations

import ast


class UsageError(ValueError):
    """A mistake on the command line: reported as one line on stderr with exit status 2, no traceback."""


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
