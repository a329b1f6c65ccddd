"""Whether a command's text output is coloured."""

from __future__ import annotations

import os
import sys


def colour_wanted(choice: str, stream: object = None) -> bool:
    """`always`/`never` as said; `auto`: on a terminal, unless NO_COLOR or a dumb terminal."""
    if choice == "always":
        return True
    if choice == "never" or os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb":
        return False
    target = stream if stream is not None else sys.stdout
    isatty = getattr(target, "isatty", None)
    return bool(isatty and isatty())
