"""The `lambdatop` command's exit codes, and `fail`, which says why in one line.

A leaf: it imports nothing of lambdatop, so cli.py and every command import it without a circle.
"""

from __future__ import annotations

import sys

EXIT_OK = 0
"""All well: no check failed, or the command did what it was asked."""
EXIT_FAILED = 1
"""A check of the diagnosis failed."""
EXIT_USAGE = 2
"""Bad usage, unreadable or malformed input, AWS unreachable or no credentials."""
EXIT_INTERRUPTED = 130
"""Ctrl-C (128 + SIGINT, as a shell reports it)."""


def fail(message: str, code: int = EXIT_USAGE) -> int:
    """Print one clear line on stderr and return the exit code."""
    if sys.stderr is not None:  # started with `2>&-`: the exit code still says it
        sys.stderr.write(f"lambdatop: {message}\n")
    return code
