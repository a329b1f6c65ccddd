"""`--redact` for the headless commands: everything they print, on stdout and stderr, masked by
core.redact line by line, so a report or a tail pasted into an incident channel names no
account, address or host."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TextIO, cast


class _Redacted:
    """A text stream whose complete lines are written masked (a mask never spans two writes)."""

    def __init__(self, stream: TextIO) -> None:
        # Loaded only when asked for: its expressions are not compiled for an unmasked report.
        from lambdatop.core.redact import redact

        self._redact = redact
        self._stream = stream
        self._pending = ""

    def write(self, text: str) -> int:
        self._pending += text
        done, newline, self._pending = self._pending.rpartition("\n")
        if newline:
            self._stream.write(self._redact(done + newline))
        return len(text)

    def flush(self) -> None:
        if self._pending:
            self._stream.write(self._redact(self._pending))
            self._pending = ""
        self._stream.flush()

    def __getattr__(self, name: str) -> object:
        return getattr(self._stream, name)


def redaction_wanted(args: argparse.Namespace) -> bool:
    """--redact, else the config file's `redact = true` (a config that does not load is said
    by the command's own settings read, not here)."""
    if getattr(args, "redact", False):
        return True
    from lambdatop.paths import settings_customised

    if not settings_customised():
        return False  # the default, without loading pydantic for the settings
    from lambdatop.config import load_settings

    try:
        return load_settings().redact
    except ValueError:
        return False


@contextmanager
def redacted_output(wanted: bool) -> Iterator[None]:
    """sys.stdout and sys.stderr masked while the block runs, when wanted."""
    if not wanted:
        yield
        return
    streams = (sys.stdout, sys.stderr)
    masked = [_Redacted(stream) if stream is not None else None for stream in streams]
    sys.stdout, sys.stderr = (cast(TextIO, m) if m is not None else None for m in masked)
    try:
        yield
    finally:
        for stream in masked:
            if stream is not None:
                stream.flush()
        sys.stdout, sys.stderr = streams
