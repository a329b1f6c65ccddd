"""`--redact` on screen: every line any widget draws passes through a Textual line filter that
masks it (core.redact), so the screen and its screenshots (`s`) name no account, address or
host. Each segment keeps its cell width: the layout never moves."""

from __future__ import annotations

from rich.segment import Segment
from textual.color import Color
from textual.filter import LineFilter

from lambdatop.core.redact import redact


class RedactFilter(LineFilter):
    def apply(self, segments: list[Segment], background: Color) -> list[Segment]:
        out: list[Segment] = []
        for segment in segments:
            text = segment.text
            if segment.control or not text:
                out.append(segment)
                continue
            masked = redact(text)
            if masked != text:
                # Same width as drawn: a shorter mask is padded, a longer one cut at the end.
                masked = masked[: len(text)].ljust(len(text))
                segment = Segment(masked, segment.style, segment.control)
            out.append(segment)
        return out
