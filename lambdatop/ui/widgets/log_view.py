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
import json
import re
from collections import OrderedDict
from datetime import UTC, datetime
from typing import Any, Self

from rich.cells import cell_len
from rich.style import Style
from rich.text import Text
from textual.geometry import Region, Size
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from lambdatop.core.records import ErrorFamily, Level, LineKind, LogRecord, ParsedLine, Report
from lambdatop.core.sanitize import clean
from lambdatop.core.store import FunctionState
from lambdatop.diagnose.format import ms
from lambdatop.ui.widgets.readout import same_text

MAX_LINES_PER_RECORD = 40
CACHE_SIZE = 400
"""Rendered entries kept: ten screens of scrolling back and forth (each holds a dozen objects
the garbage collector walks)."""

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
    ErrorFamily.ENVIRONMENT_LIMIT: ("limit", "red"),
}
_DIM = Style(dim=True)
_GAP = Style(color="black", bgcolor="yellow", bold=True)
_MATCH = Style(bgcolor="dark_goldenrod", color="black", bold=True)
_CURRENT = Style(bgcolor="bright_yellow", color="black", bold=True, underline=True)
_REPORT = Style(color="cyan")
_FAILED_REPORT = Style(color="red", bold=True)
_FATAL = Style(color="bright_red", bold=True)
_PLAIN = Style()


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


# The runtimes' own prefix repeats what the view already shows: the time (first column) and the
# full request id (shortened to its first 8 characters, enough to tell invocations apart).
_RUNTIME_STAMP = re.compile(r"(^|\t| )\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:[.,]\d+)?Z?(\t| )")
_JSON_HIDDEN = frozenset(
    {
        "time",
        "timestamp",
        "level",
        "log_level",
        "requestId",
        "AWSRequestId",
        "message",
        "msg",
        "errorType",
        "errorMessage",
        "stackTrace",
        "stack",
    }
)
RID_SHOWN = 8


def _scalar(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _json_text(line: ParsedLine) -> str | None:
    """A JSON-format line as a person reads it: the platform event's type and record, or the
    application's level, request, message and other fields. None when it is not JSON."""
    try:
        data = json.loads(line.text)
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    kind = data.get("type")
    record = data.get("record")
    if isinstance(kind, str) and kind.startswith("platform.") and isinstance(record, dict):
        fields = " ".join(f"{key}={_scalar(value)}" for key, value in record.items())
        return clean(f"{kind} {fields}".rstrip())
    parts: list[str] = []
    level = data.get("level", data.get("log_level"))
    if isinstance(level, str):
        parts.append(f"[{level}]")
    if line.request_id:
        parts.append(line.request_id[:RID_SHOWN])
    message = data.get("message", data.get("msg"))
    if message is not None:
        parts.append(_scalar(message))
    # A runtime's error object (Python's JSON logger, Node's Invoke Error, Java): the type and
    # message read as one sentence, the stack trace as lines under it.
    error_type, error_message = data.get("errorType"), data.get("errorMessage")
    if error_type is not None or error_message is not None:
        parts.append(": ".join(_scalar(v) for v in (error_type, error_message) if v is not None))
    parts.extend(
        f"{key}={_scalar(value)}" for key, value in data.items() if key not in _JSON_HIDDEN
    )
    text = " ".join(parts)
    stack = data.get("stackTrace", data.get("stack"))
    if isinstance(stack, list):
        text += "".join(f"\n  {_scalar(frame).rstrip()}" for frame in stack)
    elif isinstance(stack, str):
        text += "\n" + stack
    return clean(text)


def display_text(line: ParsedLine) -> str:
    """What the log view prints for a line's body (the filter still searches `line.text`).

    Every string that comes out is sanitised: JSON can carry escape sequences as `\\u001b`, which
    only decoding reveals."""
    text = line.text
    if text.startswith("{"):
        decoded = _json_text(line)
        if decoded is not None:
            return decoded
    if line.kind in (LineKind.APP, LineKind.TIMEOUT):
        head = _RUNTIME_STAMP.sub(r"\1", text[:64], count=1)
        text = head + text[64:]
        if line.request_id and len(line.request_id) > RID_SHOWN:
            text = text.replace(line.request_id, line.request_id[:RID_SHOWN], 1)
    return text


Piece = tuple[str, Style]
_DIM_KINDS = frozenset(
    {
        LineKind.START,
        LineKind.END,
        LineKind.EXTENSION,
        LineKind.PLATFORM,
        LineKind.INIT_START,
        LineKind.RESTORE_START,
        LineKind.XRAY,
    }
)
_INDENT = "\n" + " " * 20
"""Continuation lines start under the message, past the time and stream columns."""


def record_pieces(record: LogRecord) -> tuple[list[Piece], int]:
    """One record as (text, style) pieces, from plain strings only, and how many of the leading
    pieces are lambdatop's own columns (time, stream, badge), which a search does not mark.

    The one layout of a record: rendering styles these pieces, and the log view measures a
    record's height and width from their plain text without rendering it."""
    line = record.line
    event = record.event
    if line.kind is LineKind.GAP:
        return [(f" ─── {line.text} ─── ", _GAP)], 1
    stamp = datetime.fromtimestamp(event.timestamp_ms / 1000, UTC).strftime("%H:%M:%S.%f")[:-3]
    pieces: list[Piece] = [
        (stamp + " ", _DIM),
        ((event.stream[-6:] if event.stream else "······") + " ", _DIM),
    ]
    if line.kind is LineKind.REPORT and line.report is not None:
        summary = compact_report(line.report)
        failed = bool(line.error_type) or "✖" in summary
        pieces.append((summary, _FAILED_REPORT if failed else _REPORT))
        return pieces, 2
    if line.kind in _DIM_KINDS:
        pieces.append((display_text(line).replace("\t", "  "), _DIM))
        return pieces, 2
    classification = line.classification
    if classification is not None:
        label, colour = FAMILY_BADGES[classification.family]
        pieces.append((f"[{label}] ", Style(color=colour, bold=True)))
    style = LEVEL_STYLES.get(line.level) if line.level is not None else None
    if line.unhandled or line.kind in (LineKind.TIMEOUT, LineKind.RUNTIME_EXIT):
        style = _FATAL
    columns = len(pieces)
    lines = display_text(line).replace("\t", "  ").split("\n")
    if len(lines) > MAX_LINES_PER_RECORD:
        hidden = len(lines) - MAX_LINES_PER_RECORD
        lines = [*lines[:MAX_LINES_PER_RECORD], f"… {hidden} more lines"]
    pieces.append((_INDENT.join(lines), style or _PLAIN))
    return pieces, columns


def record_lines(record: LogRecord) -> list[str]:
    """The record's plain lines, as the view shows them (unwrapped)."""
    pieces, _ = record_pieces(record)
    return "".join(text for text, _ in pieces).split("\n")


def render_record(
    record: LogRecord, pattern: re.Pattern[str] | None = None, current: bool = False
) -> Text:
    """One record as styled text (possibly several lines).

    `pattern` highlights the search term in the line's own text (not in lambdatop's time,
    stream and badge columns); `current` marks the match that n/N moved to."""
    pieces, columns = record_pieces(record)
    text = Text.assemble(*pieces, no_wrap=False, end="")
    if pattern is not None:
        start = sum(len(piece) for piece, _ in pieces[:columns])
        for match in pattern.finditer(text.plain, start):
            if match.end() > match.start():
                text.stylize(_CURRENT if current else _MATCH, match.start(), match.end())
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
        self.cells: list[tuple[int, ...]] = []
        """The cell width of each entry's lines, unwrapped: measured once, as it arrives (wrap,
        a filter and switching back lay out from these, not from 5,000 records again)."""
        self.shown: list[int] = []
        """Indexes into entries that are shown (all, or the filter's matches)."""
        self.offsets: list[int] = [0]
        """First virtual line of each visible entry, and the total at the end."""
        self.seen_total = 0
        self.seen_rebuilds = 0
        """The tail's `tail_rebuilds` when it was last taken whole."""
        self.waiting = 0
        """Lines that arrived while paused."""
        self.term: str | None = None
        self.hide_others = False
        self.matches: list[int] = []
        self.match_index = -1
        self._pattern: re.Pattern[str] | None = None
        self._cache: OrderedDict[tuple[int, int, bool], list[Strip]] = OrderedDict()
        """Rendered entries by their number since the last rebuild (`_dropped` + index)."""
        self._dropped = 0
        """Entries dropped from the front since the last rebuild."""
        self._width = 0
        self._paused: dict[str, tuple[list[LogRecord], list[tuple[int, ...]], int, float]] = {}
        """Per function left while paused: its lines as shown and their cells, the tail count
        they stop at, and where it was scrolled to."""
        self._measured: dict[str, tuple[int, int, list[tuple[int, ...]]]] = {}
        """Per function left while following: the tail count its first entry had, the tail's
        `tail_rebuilds`, and its entries' cells (a record is known by its place in the tail)."""
        self._widest = 0
        self._title: Text | None = None
        self._title_only = False
        """The border title is being set: repaint its row, not the log's lines."""

    # --- data ---

    def point_at(self, state: FunctionState | None) -> None:
        """Show another function's tail (re-using this widget). A paused log stays paused
        where it was read when its function is shown again (tab away and back)."""
        left = self.state
        if left is not None and not self.follow:
            self._paused[left.name] = (self.entries, self.cells, self.seen_total, self.scroll_y)
        elif left is not None:
            first = self.seen_total - len(self.entries)
            self._measured[left.name] = (first, self.seen_rebuilds, self.cells)
        self.state = state
        saved = self._paused.pop(state.name, None) if state is not None else None
        if saved is not None:
            self.entries, self.cells, self.seen_total, scroll_y = saved
            self.waiting = 0
            self.follow = False
            self._rebuild()
            self._update_subtitle()
            self.call_after_refresh(self.scroll_to, y=scroll_y, animate=False, immediate=True)
            self.poll()  # counts what arrived meanwhile
            return
        self._take_whole(state)
        self.waiting = 0
        self.follow = True
        self._rebuild()
        self._update_subtitle()
        self._to_end()

    def _to_end(self) -> None:
        """Show the newest line: now, and again once the layout knows this view's height."""
        self.scroll_end(animate=False, immediate=True)
        self.call_after_refresh(self.scroll_end, animate=False, immediate=True)

    def _take_whole(self, state: FunctionState | None) -> None:
        self.entries = list(state.tail) if state is not None else []
        self.seen_total = state.tail_total if state is not None else 0
        self.seen_rebuilds = state.tail_rebuilds if state is not None else 0
        measured = self._measured.pop(state.name, None) if state is not None else None
        cells: list[tuple[int, ...]] = []
        if measured is not None and measured[1] == self.seen_rebuilds:
            # Appended to since (never reordered): the entries still in it keep their cells.
            first, _, known = measured
            skip = self.seen_total - len(self.entries) - first
            cells = known[skip:] if skip >= 0 else []
        self.cells = cells + [self._measure(r) for r in self.entries[len(cells) :]]

    def poll(self) -> None:
        """Take what arrived in the tail since the last look (called at the frame rate)."""
        state = self.state
        if state is not None and state.tail_rebuilds != self.seen_rebuilds and self.follow:
            # The backfill's older minutes went before its newest: the tail is taken afresh.
            self._take_whole(state)
            self._rebuild()
            self.scroll_end(animate=False, immediate=True)
            self._update_subtitle()
            return
        if state is None or state.tail_total == self.seen_total:
            return
        arrived = state.tail_total - self.seen_total
        if not self.follow:
            if arrived != self.waiting:  # counted, not shown, until space follows again
                self.waiting = arrived
                self._update_subtitle()
            return
        self.seen_total = state.tail_total
        available = min(arrived, len(state.tail))
        new = list(state.tail)[-available:] if available else []
        limit = state.tail.maxlen or 5_000
        if arrived > available or len(new) >= limit:
            self.entries = new[-limit:]  # a burst bigger than the tail: start afresh
            self.cells = [self._measure(record) for record in self.entries]
            self._rebuild()
        else:
            overflow = len(self.entries) + len(new) - limit
            if overflow > 0:
                self._drop_front(overflow)
            start = len(self.entries)
            self.entries.extend(new)
            self.cells.extend(self._measure(record) for record in new)
            self._append_visible(range(start, len(self.entries)))
        self.scroll_end(animate=False, immediate=True)
        self._update_subtitle()

    def _drop_front(self, count: int) -> None:
        """Forget the oldest `count` entries without laying the rest out again: a full tail
        that takes 2,000 lines a second would otherwise re-render 5,000 lines ten times a
        second."""
        self.entries = self.entries[count:]
        self.cells = self.cells[count:]
        cut = bisect.bisect_left(self.shown, count)
        base = self.offsets[cut]
        self.shown = [index - count for index in self.shown[cut:]]
        self.offsets = [offset - base for offset in self.offsets[cut:]]
        dropped = bisect.bisect_left(self.matches, count)
        self.matches = [index - count for index in self.matches[dropped:]]
        if self.match_index >= 0:
            self.match_index = self.match_index - dropped if self.match_index >= dropped else -1
        self._dropped += count  # the lines still shown keep their rendering

    def resume(self) -> None:
        """Follow again: catch up with everything that arrived while paused (appended like any
        poll, so resuming costs what arrived, not a new layout of the whole tail)."""
        self.follow = True
        self.waiting = 0
        self.poll()
        self._to_end()
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
        self.refresh()  # the current match is drawn apart from the others
        self._update_subtitle()

    # --- layout ---

    def _rebuild(self) -> None:
        self._cache.clear()
        self._dropped = 0
        self.shown = []
        self.offsets = [0]
        self.matches = []
        self.match_index = -1
        self._widest = 0
        self._append_visible(range(len(self.entries)))

    @property
    def _fold_width(self) -> int:
        """Where wrapped lines fold: the width less the vertical scrollbar's columns, which a
        long log nearly always shows (else their characters hide behind it)."""
        width = self._width or self.size.width
        return max(width - self.styles.scrollbar_size_vertical, 20)

    def _append_visible(self, indexes: range) -> None:
        pattern = self._pattern
        width = self._width or self.size.width
        wrap_width = self._fold_width if self.wrap else 0
        for index in indexes:
            hit = pattern is not None and pattern.search(self.entries[index].line.text) is not None
            if hit:
                self.matches.append(index)
            if self.hide_others and not hit:
                continue
            self.shown.append(index)
            # A record's height and width need only its lines' cells: strips are rendered when
            # it scrolls into view, so a 5,000-line tail lays out in a few milliseconds.
            cells = self.cells[index]
            if wrap_width:
                height = sum(max(1, -(-cell // wrap_width)) for cell in cells)
            else:
                height = len(cells)
                self._widest = max(self._widest, *cells)
            self.offsets.append(self.offsets[-1] + height)
        self._resize_virtual(
            Size(width if self.wrap else max(width, self._widest), self.offsets[-1])
        )
        self.refresh()

    def _resize_virtual(self, size: Size) -> None:
        """A log that grew needs its scrollbars told, not the screen laid out again: assigning
        `virtual_size` (a reactive with `layout=True`) repaints every widget at each poll that
        brings lines. A scrollbar that appears or goes still lays out (Textual does it)."""
        if size == self.virtual_size:
            return
        if not self.is_mounted or not self.container_size:
            self.virtual_size = size
            return
        self.set_reactive(LogView.virtual_size, size)
        # Private, for want of a public one: what Textual runs when a layout hands a scrollable
        # widget its new virtual size (scrollbars shown or hidden, sized, the offset clamped).
        self._scroll_update(size)

    def on_resize(self) -> None:
        if self.size.width != self._width:
            self._width = self.size.width
            if self.wrap:
                self._rebuild()
        if self.follow:
            self._to_end()

    def watch_wrap(self) -> None:
        self._rebuild()
        self._update_subtitle()
        if self.follow:
            self.scroll_end(animate=False, immediate=True)

    def watch_follow(self, following: bool) -> None:
        self._update_subtitle()

    def show_title(self, title: Text) -> None:
        """The border's title (the log group, its source and age), set only when it changed:
        setting it repaints every line of the view."""
        if same_text(self._title, title):
            return
        self._title = title
        self._title_only = True
        try:
            # A str border title is markup (textual.markup.escape misses `[ERROR]`): use Text.
            self.border_title = title
        finally:
            self._title_only = False

    def refresh(
        self,
        *regions: Region,
        repaint: bool = True,
        layout: bool = False,
        recompose: bool = False,
    ) -> Self:
        if self._title_only and not regions:
            # Textual repaints the whole widget for a new border title: the top border row is
            # enough (regions are relative to the content, which starts inside the border).
            gutter = self.styles.gutter
            regions = (Region(-gutter.left, -gutter.top, self.outer_size.width, 1),)
        return super().refresh(*regions, repaint=repaint, layout=layout, recompose=recompose)

    def _update_subtitle(self) -> None:
        parts: list[str] = []
        if not self.follow:
            parts.append(f"paused · {self.waiting:,} new (space)" if self.waiting else "paused")
        if self.term:
            mode = "filter" if self.hide_others else "highlight"
            position = f"{self.match_index + 1}/" if self.match_index >= 0 else ""
            parts.append(f"{mode} “{self.term}”: {position}{len(self.matches):,} matches (n/N)")
        if self.wrap:
            parts.append("wrap")
        # A str subtitle is markup, and the term typed (`[ERROR]`) is data: always Text.
        subtitle = Text(" · ".join(parts))
        if not self.follow:
            subtitle.stylize("reverse bold", 0, len("paused"))
        self.border_subtitle = subtitle

    # --- rendering ---

    def _text(self, entry: int) -> Text:
        record = self.entries[entry]
        current = 0 <= self.match_index < len(self.matches) and (
            self.matches[self.match_index] == entry
        )
        try:
            return render_record(record, self._pattern, current)
        except Exception:  # noqa: BLE001 - a line that cannot be styled is shown plain
            return Text(record.line.text.replace("\t", "  "))

    @staticmethod
    def _measure(record: LogRecord) -> tuple[int, ...]:
        """The cell width of each of the record's lines as shown, unwrapped."""
        try:
            lines = record_lines(record)
        except Exception:  # noqa: BLE001 - as in _text: the plain line
            lines = record.line.text.replace("\t", "  ").split("\n")
        return tuple(cell_len(line) for line in lines)

    def _strips(self, entry: int) -> list[Strip]:
        width = self._fold_width
        current = 0 <= self.match_index < len(self.matches) and (
            self.matches[self.match_index] == entry
        )
        key = (self._dropped + entry, width if self.wrap else 0, current)
        cached = self._cache.get(key)
        if cached is not None:
            self._cache.move_to_end(key)
            return cached
        text = self._text(entry)
        console = self.app.console
        strips = [
            Strip(line.render(console), cell_len(line.plain))
            for line in text.split("\n", allow_blank=True)
        ] or [Strip.blank(0)]
        if self.wrap:
            # Folded at the width, cell-exact, so the layout can count rows without rendering.
            strips = [
                strip.crop(start, start + width)
                for strip in strips
                for start in range(0, max(strip.cell_length, 1), width)
            ]
        self._cache[key] = strips
        if len(self._cache) > CACHE_SIZE:
            self._cache.popitem(last=False)
        return strips

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        line = scroll_y + y
        width = self.size.width
        if not self.shown:
            if y == 0 and scroll_y == 0:
                return self._placeholder(width)
            return Strip.blank(width, self.rich_style)
        if line >= self.offsets[-1]:
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

    def _placeholder(self, width: int) -> Strip:
        """Say why the pane is empty rather than leave a blank box."""
        if self.entries and self.hide_others:
            message = f"no line matches “{self.term}” (/ and an empty search shows all)"
        elif self.state is not None and self.state.log_group_missing:
            message = "no log group yet: the function has not logged (or logs elsewhere)"
        else:
            message = "no log lines yet"
        text = Text(message, style="dim italic", end="")
        strip = Strip(text.render(self.app.console), cell_len(message))
        # Every segment styled: Textual's monochrome filter (NO_COLOR) fails on one without.
        return strip.crop_extend(0, width, self.rich_style).apply_style(self.rich_style)

    def plain_lines(self) -> list[str]:
        """The plain text of every shown line (what a person can scroll to)."""
        return [
            "".join(segment.text for segment in strip)
            for entry in self.shown
            for strip in self._strips(entry)
        ]
