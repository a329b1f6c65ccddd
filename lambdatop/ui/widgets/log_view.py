"""The live log tail: the line API over a bounded copy of a function's tail.

Built for volume (like toolong's log view): nothing is a widget per line; only visible lines
are rendered, through an LRU cache. Follows by default; paused, it keeps its place and counts
what arrived. Filter (hide the rest) or highlight (with next/previous and a match count), wrap,
colour by level and by lambdatop's classification, REPORT lines compact.

Every character shown comes from `ParsedLine.text`, which the parser sanitised, and is turned
into a `Text` as plain data: no markup from a log line is ever interpreted.
"""

from __future__ import annotations

import bisect
import re
from collections import OrderedDict
from datetime import UTC, datetime

from rich.cells import cell_len
from rich.style import Style
from rich.text import Text
from textual.geometry import Size
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from lambdatop.core.records import ErrorFamily, Level, LineKind, LogRecord, Report
from lambdatop.core.store import FunctionState
from lambdatop.diagnose.format import ms

MAX_LINES_PER_RECORD = 40
CACHE_SIZE = 2_000

LEVEL_STYLES = {
    Level.ERROR: Style(color="red"),
    Level.FATAL: Style(color="bright_red", bold=True),
    Level.WARN: Style(color="yellow"),
    Level.DEBUG: Style(dim=True),
    Level.TRACE: Style(dim=True),
}
FAMILY_BADGES = {
    ErrorFamily.PERMISSION: ("denied", "green"),
    ErrorFamily.THROTTLING: ("throttled", "green"),
    ErrorFamily.CONNECTION_POOL: ("pool", "dark_orange"),
    ErrorFamily.DATABASE: ("db", "dark_orange"),
    ErrorFamily.NETWORK: ("net", "dark_orange"),
    ErrorFamily.INIT: ("init", "blue"),
    ErrorFamily.OUT_OF_MEMORY: ("oom", "red"),
    ErrorFamily.TIMEOUT: ("timeout", "red"),
}
_DIM = Style(dim=True)
_GAP = Style(color="black", bgcolor="yellow", bold=True)
_MATCH = Style(bgcolor="dark_goldenrod", color="black", bold=True)


def compact_report(report: Report) -> str:
    """`REPORT 41 ms · 88 / 256 MB · init 300 ms` (and the ending when it was not a success)."""
    parts = [f"REPORT {ms(report.duration_ms)}"]
    if report.max_memory_mb is not None and report.memory_size_mb is not None:
        parts.append(f"{report.max_memory_mb} / {report.memory_size_mb} MB")
    if report.init_ms is not None:
        parts.append(f"init {ms(report.init_ms)}")
    if report.restore_ms is not None:
        parts.append(f"restore {ms(report.restore_ms)}")
    if report.status and report.status != "success":
        parts.append(f"✖ {report.status}" + (f" {report.error_type}" if report.error_type else ""))
    elif (
        report.status is None
        and report.max_memory_mb is not None
        and report.memory_size_mb
        and report.max_memory_mb >= report.memory_size_mb
    ):
        parts.append("✖ out of memory")
    return " · ".join(parts)


def render_record(record: LogRecord) -> Text:
    """One record as styled text (possibly several lines), built from plain strings only."""
    line = record.line
    event = record.event
    stamp = datetime.fromtimestamp(event.timestamp_ms / 1000, UTC).strftime("%H:%M:%S.%f")[:-3]
    text = Text(no_wrap=False)
    if line.kind is LineKind.GAP:
        text.append(f" ─── {line.text} ─── ", _GAP)
        return text
    text.append(stamp + " ", _DIM)
    text.append((event.stream[-6:] if event.stream else "······") + " ", _DIM)
    if line.kind is LineKind.REPORT and line.report is not None:
        summary = compact_report(line.report)
        failed = bool(line.error_type) or "✖" in summary
        text.append(summary, Style(color="red", bold=True) if failed else Style(color="cyan"))
        return text
    if line.kind in (LineKind.START, LineKind.END, LineKind.EXTENSION, LineKind.PLATFORM):
        text.append(line.text.replace("\t", "  "), _DIM)
        return text
    classification = line.classification
    if classification is not None:
        label, colour = FAMILY_BADGES[classification.family]
        text.append(f"[{label}] ", Style(color=colour, bold=True))
    style = LEVEL_STYLES.get(line.level) if line.level is not None else None
    if line.unhandled or line.kind in (LineKind.TIMEOUT, LineKind.RUNTIME_EXIT):
        style = Style(color="bright_red", bold=True)
    body = line.text.replace("\t", "  ")
    lines = body.split("\n")
    if len(lines) > MAX_LINES_PER_RECORD:
        hidden = len(lines) - MAX_LINES_PER_RECORD
        lines = [*lines[:MAX_LINES_PER_RECORD], f"… {hidden} more lines"]
    text.append("\n                    ".join(lines), style or Style())
    return text


class LogView(ScrollView, can_focus=True):
    """A function's live tail."""

    DEFAULT_CSS = """
    LogView { background: $surface; }
    """

    follow: reactive[bool] = reactive(True)
    wrap: reactive[bool] = reactive(False)

    def __init__(self, *, name: str | None = None, id: str | None = None) -> None:
        super().__init__(name=name, id=id)
        self.state: FunctionState | None = None
        self.entries: list[LogRecord] = []
        self.shown: list[int] = []
        """Indexes into entries that are shown (all, or the filter's matches)."""
        self.offsets: list[int] = [0]
        """First virtual line of each visible entry, and the total at the end."""
        self.seen_total = 0
        self.waiting = 0
        """Lines that arrived while paused."""
        self.term: str | None = None
        self.hide_others = False
        self.matches: list[int] = []
        self.match_index = -1
        self._pattern: re.Pattern[str] | None = None
        self._cache: OrderedDict[tuple[int, int], list[Strip]] = OrderedDict()
        self._width = 0
        self._widest = 0

    # --- data ---

    def point_at(self, state: FunctionState | None) -> None:
        """Show another function's tail (re-using this widget)."""
        self.state = state
        self.entries = list(state.tail) if state is not None else []
        self.seen_total = state.tail_total if state is not None else 0
        self.waiting = 0
        self._rebuild()
        self.scroll_end(animate=False, immediate=True)

    def poll(self) -> None:
        """Take what arrived in the tail since the last look (called at the frame rate)."""
        state = self.state
        if state is None or state.tail_total == self.seen_total:
            return
        arrived = state.tail_total - self.seen_total
        if not self.follow:
            self.waiting += arrived
            self.seen_total = state.tail_total
            self._update_subtitle()
            return
        self.seen_total = state.tail_total
        available = min(arrived, len(state.tail))
        new = list(state.tail)[-available:] if available else []
        limit = state.tail.maxlen or 5_000
        overflow = len(self.entries) + len(new) - limit
        if overflow > 0 or arrived > available:
            self.entries = (self.entries + new)[-limit:]
            self._rebuild()
        else:
            start = len(self.entries)
            self.entries.extend(new)
            self._append_visible(range(start, len(self.entries)))
        self.scroll_end(animate=False, immediate=True)
        self._update_subtitle()

    def resume(self) -> None:
        """Follow again: catch up with everything that arrived while paused."""
        self.follow = True
        if self.state is not None:
            limit = self.state.tail.maxlen or 5_000
            self.entries = list(self.state.tail)[-limit:]
            self.seen_total = self.state.tail_total
        self.waiting = 0
        self._rebuild()
        self.scroll_end(animate=False, immediate=True)
        self._update_subtitle()

    def set_term(self, term: str | None, hide_others: bool) -> None:
        """Filter (hide non-matching lines) or highlight a term (case-insensitive, literal)."""
        self.term = term or None
        self.hide_others = hide_others and bool(term)
        self._pattern = re.compile(re.escape(term), re.IGNORECASE) if term else None
        self._rebuild()
        self._update_subtitle()

    def jump_match(self, step: int) -> None:
        """Scroll to the next (step 1) or previous (-1) highlighted match."""
        if not self.matches:
            return
        self.follow = False
        self.match_index = (self.match_index + step) % len(self.matches)
        entry = self.matches[self.match_index]
        position = bisect.bisect_left(self.shown, entry)
        if position < len(self.shown):
            self.scroll_to(y=max(0, self.offsets[position] - 3), animate=False)
        self._update_subtitle()

    # --- layout ---

    def _rebuild(self) -> None:
        self._cache.clear()
        self.shown = []
        self.offsets = [0]
        self.matches = []
        self.match_index = -1
        self._widest = 0
        self._append_visible(range(len(self.entries)))

    def _append_visible(self, indexes: range) -> None:
        pattern = self._pattern
        for index in indexes:
            hit = pattern is not None and pattern.search(self.entries[index].line.text) is not None
            if hit:
                self.matches.append(index)
            if self.hide_others and not hit:
                continue
            self.shown.append(index)
            strips = self._strips(index)
            self.offsets.append(self.offsets[-1] + len(strips))
            if not self.wrap:
                self._widest = max(self._widest, *(strip.cell_length for strip in strips))
        width = self._width or self.size.width
        self.virtual_size = Size(width if self.wrap else max(width, self._widest), self.offsets[-1])
        self.refresh()

    def on_resize(self) -> None:
        if self.size.width != self._width:
            self._width = self.size.width
            if self.wrap:
                self._rebuild()

    def watch_wrap(self) -> None:
        self._rebuild()
        if self.follow:
            self.scroll_end(animate=False, immediate=True)

    def watch_follow(self, following: bool) -> None:
        self._update_subtitle()

    def _update_subtitle(self) -> None:
        parts: list[str] = []
        if not self.follow:
            parts.append(f"⏸ paused · {self.waiting:,} new (space)" if self.waiting else "⏸ paused")
        if self.term:
            mode = "filter" if self.hide_others else "highlight"
            position = f"{self.match_index + 1}/" if self.match_index >= 0 else ""
            parts.append(f"{mode} “{self.term}”: {position}{len(self.matches):,} matches (n/N)")
        if self.wrap:
            parts.append("wrap")
        self.border_subtitle = " · ".join(parts)

    # --- rendering ---

    def _strips(self, entry: int) -> list[Strip]:
        width = max(self._width or self.size.width, 20)
        key = (entry, width if self.wrap else 0)
        cached = self._cache.get(key)
        if cached is not None:
            self._cache.move_to_end(key)
            return cached
        record = self.entries[entry]
        try:
            text = render_record(record)
        except Exception:  # noqa: BLE001 - a line that cannot be styled is shown plain
            text = Text(record.line.text.replace("\t", "  "))
        if self._pattern is not None:
            text.highlight_regex(self._pattern, _MATCH)
        console = self.app.console
        lines = text.wrap(console, width) if self.wrap else text.split("\n", allow_blank=True)
        strips = [Strip(line.render(console), cell_len(line.plain)) for line in lines] or [
            Strip.blank(0)
        ]
        self._cache[key] = strips
        if len(self._cache) > CACHE_SIZE:
            self._cache.popitem(last=False)
        return strips

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        line = scroll_y + y
        width = self.size.width
        if line >= self.offsets[-1] or not self.shown:
            return Strip.blank(width, self.rich_style)
        position = bisect.bisect_right(self.offsets, line) - 1
        entry = self.shown[position]
        strips = self._strips(entry)
        index = line - self.offsets[position]
        if index >= len(strips):
            return Strip.blank(width, self.rich_style)
        strip = strips[index]
        return strip.crop_extend(scroll_x, scroll_x + width, self.rich_style).apply_style(
            self.rich_style
        )

    def plain_lines(self) -> list[str]:
        """The plain text of every shown line (what a person can scroll to)."""
        return [
            "".join(segment.text for segment in strip)
            for entry in self.shown
            for strip in self._strips(entry)
        ]
