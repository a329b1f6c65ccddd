"""Log content is hostile until sanitised: this is the one place that makes it safe to show."""

from __future__ import annotations

import re

# ESC-introduced sequences: CSI (`ESC [ ... final`), OSC/DCS/APC/PM/SOS strings (terminated by
# BEL or ST), and the two-byte escapes; and their 8-bit C1 forms (`\x9b` CSI, `\x9d` OSC...).
# An unterminated string ends at the line's end, so one stray OSC cannot swallow a traceback.
_ESCAPES = re.compile(
    r"""
    (?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]?                                # CSI
    | (?:\x1b[\]PX^_]|[\x90\x98\x9d\x9e\x9f])[^\x07\x1b\x9c\n]*(?:\x07|\x1b\\|\x9c)?  # strings
    | \x1b[ -/]*[0-~]?                # two-byte and nF escapes, or a lone ESC
    """,
    re.VERBOSE,
)
_ESCAPE_INTRODUCERS = re.compile("[\x1b\x90\x98\x9b\x9d\x9e\x9f]")
# C0 controls but tab and newline, DEL, C1 controls, and the Unicode format characters that
# reorder or hide text (bidi overrides and isolates, zero-width joiners are left alone).
_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ufeff]")
# Lone surrogates (a JSON `\ud83d` without its pair) cannot be written as UTF-8 at all.
_SURROGATES = re.compile("[\ud800-\udfff]")
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ufeff\ud800-\udfff]")


def clean(text: str) -> str:
    """Remove escape sequences and control characters; keep tabs and newlines. A lone
    surrogate becomes U+FFFD.

    A carriage return becomes a newline: Node.js writes the newlines inside one message as `\\r`.
    """
    if _UNSAFE.search(text) is None:
        return text
    if _SURROGATES.search(text) is not None:
        text = _SURROGATES.sub("\ufffd", text)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if _ESCAPE_INTRODUCERS.search(text) is not None:
        text = _ESCAPES.sub("", text)
    return _CONTROLS.sub("", text)


def one_line(text: str, limit: int | None = None) -> str:
    """A sanitised single display line: newlines shown as ` ⏎ `, tabs as spaces."""
    text = clean(text).rstrip("\n").replace("\n", " ⏎ ").replace("\t", "  ")
    if limit is not None and len(text) > limit:
        return text[: max(limit - 1, 0)] + "…"
    return text


def decode(data: bytes) -> str:
    """Bytes from a file, a pipe or the network as text: invalid UTF-8 never raises."""
    return data.decode("utf-8", errors="replace")
