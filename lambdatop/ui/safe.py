"""Text from outside lambdatop (AWS, an emulator, a diagnosis built from them) made safe to show.

Log lines are sanitised by the parser; everything else the UI prints (function names, runtimes,
trace ids and causes, the diagnosis's evidence and commands) passes through `safe` on its way to
the screen, and is always handed to Textual as plain data, never as markup.
"""

from __future__ import annotations

from lambdatop.core.sanitize import one_line


def safe(value: object, limit: int | None = None) -> str:
    """One display line: no escape sequence, no control character, at most `limit` long."""
    return one_line(str(value), limit)
