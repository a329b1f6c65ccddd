"""Read exported logs: what `aws logs filter-log-events` prints, JSON Lines of its events, and
plain text with one event per line (raw, or as `aws logs tail`, `sam logs`, the CLI's text
output and S3 exports prefix each line).

Bytes in, events out. Malformed input raises `ExportError` with a message fit for a person.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from operator import itemgetter
from typing import Any

from lambdatop.core.parse import parse
from lambdatop.core.records import LogEvent, ParsedLine
from lambdatop.core.sanitize import clean, decode
from lambdatop.core.timeutil import to_epoch_ms


class ExportError(ValueError):
    """The input cannot be read as logs; the message says why in one line."""


@dataclass(slots=True)
class EventColumns:
    """Events as columns, one list per field: what the reader of the AWS CLI's export keeps,
    so that no LogEvent is built for the hundreds of thousands of events of a big file."""

    timestamps: list[int]
    messages: list[str]
    streams: list[str]
    event_ids: list[str]
    ingestion: list[int]

    def __len__(self) -> int:
        return len(self.messages)

    def to_events(self) -> list[LogEvent]:
        return list(
            map(
                LogEvent,
                self.timestamps,
                self.messages,
                self.streams,
                self.event_ids,
                self.ingestion,
            )
        )

    def reorder(self, order: list[int]) -> None:
        for name in ("timestamps", "messages", "streams", "event_ids", "ingestion"):
            column = getattr(self, name)
            setattr(self, name, [column[i] for i in order])


class ExportedLogs:
    """The events of an export, in each stream's order, kept as LogEvents or as columns."""

    __slots__ = ("_events", "columns", "form", "has_time", "log_group", "parsed")

    def __init__(self, form: str = "text") -> None:
        self._events: list[LogEvent] | None = []
        self.columns: EventColumns | None = None
        """Set (and `events` built from it only when asked for) by the fast JSON reader."""
        self.parsed: list[ParsedLine | None] = []
        """The parse of each event where reading needed it already (plain text), else None."""
        self.has_time = True
        """False when the input carries no timestamps at all: no time window can be applied."""
        self.log_group: str | None = None
        self.form = form
        """`json`, `jsonl`, `subscription` or `text`, for messages."""

    @property
    def events(self) -> list[LogEvent]:
        if self._events is None:
            assert self.columns is not None
            self._events = self.columns.to_events()
        return self._events

    @events.setter
    def events(self, events: list[LogEvent]) -> None:
        self._events = events
        self.columns = None

    def use_columns(self, columns: EventColumns) -> None:
        """Hold these events as columns, none of them parsed yet."""
        self._events = None
        self.columns = columns
        self.parsed = [None] * len(columns)

    def __len__(self) -> int:
        if self._events is None and self.columns is not None:
            return len(self.columns)
        return len(self.events)

    def rows(self) -> Iterator[tuple[str, int, str, ParsedLine | None]]:
        """(stream, timestamp, message, parse or None) of each event, in order."""
        if self._events is None and self.columns is not None:
            columns = self.columns
            return zip(
                columns.streams, columns.timestamps, columns.messages, self.parsed, strict=True
            )
        return (
            (event.stream, event.timestamp_ms, event.message, parsed)
            for event, parsed in zip(self.events, self.parsed, strict=True)
        )

    def as_columns(self) -> tuple[list[str], list[int], list[str], list[ParsedLine | None]]:
        """The streams, timestamps, messages and parses (or None) of the events, in order."""
        if self._events is None and self.columns is not None:
            columns = self.columns
            return columns.streams, columns.timestamps, columns.messages, self.parsed
        events = self.events
        return (
            [event.stream for event in events],
            [event.timestamp_ms for event in events],
            [event.message for event in events],
            self.parsed,
        )

    @property
    def function_name(self) -> str | None:
        """The function a `/aws/lambda/<name>` log group belongs to."""
        if self.log_group and self.log_group.startswith("/aws/lambda/"):
            return self.log_group.removeprefix("/aws/lambda/") or None
        return None


_ISO = r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:[.,]\d+)?(?:Z|[+-]\d{2}:?\d{2})?"
_STREAM = r"\d{4}/\d{2}/\d{2}/\[[^\]\s]*\][0-9A-Za-z]+"
_PLATFORM_HEAD = re.compile(
    r"(?:START RequestId|END RequestId|REPORT RequestId|INIT_START|INIT_REPORT|RESTORE_START"
    r"|EXTENSION|TELEMETRY|\{\"time\")"
)
# Prefixes that tools put before each event's message; the first that fits a file is used.
_ENVELOPES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("aws logs tail", re.compile(rf"(?P<ts>{_ISO})\s+(?P<stream>{_STREAM})\s(?P<msg>.*)", re.S)),
    ("sam logs", re.compile(rf"(?P<stream>{_STREAM})\s+(?P<ts>{_ISO})\s(?P<msg>.*)", re.S)),
    ("timestamped", re.compile(rf"(?P<ts>{_ISO})[ \t](?P<msg>.*)", re.S)),
    (
        "bracketed",
        re.compile(rf"\[(?P<ts>{_ISO})\]\s+(?:\((?P<stream>[^)]*)\)\s+)?(?P<msg>.*)", re.S),
    ),
)


def read_export(data: bytes) -> ExportedLogs:
    """Events from an export, in each stream's order. Raises ExportError on malformed input."""
    try:
        return _read_export(data)
    except RecursionError:
        raise ExportError("JSON nested too deeply to be a log export") from None


def _read_export(data: bytes) -> ExportedLogs:
    data = _uncompressed(data)
    text = decode(data).lstrip("\ufeff")
    head = text.lstrip()
    if not head:
        return ExportedLogs(form="text")
    if _looks_binary(head):
        raise ExportError("binary data, not logs (an archive or another file?)")
    if _JSON_ARRAY.match(head):
        return _from_document(head, "json")
    if head[0] == "{":
        try:
            document = json.loads(head)
        except ValueError as error:
            documents = _concatenated(head)
            if documents is not None:
                return _from_parsed_document(documents, "json")
            first = head.split("\n", 1)[0].strip()
            if first in ("{", '{"events": [', '{"events":[') or not _is_json_object(first):
                raise ExportError(_json_error("malformed JSON", error)) from None
            return _from_lines(text)
        return _from_parsed_document(document, "json", raw=head)
    csv_rows = _csv_rows(head)
    if csv_rows is not None:
        return _from_parsed_document(csv_rows, "csv")
    return _from_lines(text)


_CSV_MESSAGE_COLUMNS = ("@message", "message")


def _csv_rows(text: str) -> list[dict[str, str]] | None:
    """A CSV download (the console's log events or Logs Insights table), when its header names
    a message column; else None."""
    header = text.split("\n", 1)[0].strip().lstrip("\ufeff")
    names = [name.strip().strip('"').lower() for name in header.split(",")]
    if len(names) < 2 or not any(column in names for column in _CSV_MESSAGE_COLUMNS):
        return None
    reader = csv.DictReader(io.StringIO(text))
    rows: list[dict[str, str]] = []
    for row in reader:
        fields = {str(key).strip().lower(): value for key, value in row.items() if key}
        message = fields.get("@message", fields.get("message"))
        if message is None:
            continue
        stamp = fields.get("@timestamp", fields.get("timestamp"))
        event: dict[str, str] = {"message": message}
        if stamp:
            event["timestamp"] = stamp
        stream = fields.get("@logstream", fields.get("logstreamname"))
        if stream:
            event["logStreamName"] = stream
        rows.append(event)
    return rows


# A JSON array, not a log line that starts with a bracket (`[ERROR]`, `[2026-03-02 ...]`).
_JSON_ARRAY = re.compile(r"\[\s*(?:[{\]\"]|$)")
_GZIP = b"\x1f\x8b"
_ZIP = b"PK\x03\x04"


def _uncompressed(data: bytes) -> bytes:
    """Subscription records delivered to S3 by Firehose stay gzipped: read them as they are."""
    if data[:4] == _ZIP:
        raise ExportError("a zip archive, not logs: unzip it first")
    if data[:2] != _GZIP:
        return data
    try:
        return gzip.decompress(data)
    except (OSError, EOFError, zlib.error) as error:
        raise ExportError(f"gzip data that cannot be read: {error}") from None


def _looks_binary(text: str) -> bool:
    """Mostly NULs, control bytes and undecodable bytes: not a log, whatever a line may hold."""
    sample = text[:4096]
    odd = sum(1 for ch in sample if ch == "\ufffd" or (ch < " " and ch not in "\t\n\r\x1b"))
    return odd > 0.3 * len(sample)


def _concatenated(text: str) -> list[Any] | None:
    """JSON documents one after another with nothing between them (Firehose writes
    subscription records that way), or None if the text is not that."""
    decoder = json.JSONDecoder()
    documents: list[Any] = []
    index = 0
    while index < len(text):
        try:
            document, index = decoder.raw_decode(text, index)
        except ValueError:
            return None
        if not isinstance(document, dict):
            return None
        documents.append(document)
        while index < len(text) and text[index] in " \t\r\n":
            index += 1
    if len(documents) < 2:
        return None
    merged: list[Any] = []
    for document in documents:
        if isinstance(document.get("events"), list):
            merged.extend(document["events"])
        elif isinstance(document.get("logEvents"), list) or _is_envelope(document):
            merged.append(document)
        else:
            return None
    return merged


def _is_json_object(line: str) -> bool:
    try:
        return isinstance(json.loads(line), dict)
    except ValueError:
        return False


def _json_error(what: str, error: ValueError) -> str:
    if isinstance(error, json.JSONDecodeError):
        return f"{what}: {error.msg} at line {error.lineno} column {error.colno}"
    return f"{what}: {error}"


def _from_document(text: str, form: str) -> ExportedLogs:
    try:
        document = json.loads(text)
    except ValueError as error:
        raise ExportError(_json_error("malformed JSON", error)) from None
    return _from_parsed_document(document, form)


def _from_parsed_document(document: Any, form: str, raw: str | None = None) -> ExportedLogs:
    out = ExportedLogs(form=form)
    if (
        isinstance(document, dict)
        and "events" in document
        and "message" not in document
        and not isinstance(document["events"], list)
    ):
        raise ExportError('"events" is not a list of events: neither an export nor events')
    document = _from_insights(document, out)
    if isinstance(document, dict) and isinstance(document.get("events"), list):
        items: list[Any] = document["events"]
    elif isinstance(document, dict) and isinstance(document.get("logEvents"), list):
        _add_subscription(out, document)
        return _finish(out)
    elif isinstance(document, list):
        items = document
    elif isinstance(document, dict) and _is_envelope(document):
        items = [document]
    elif isinstance(document, dict):
        # One JSON-format log line on its own: passed through untouched.
        raw = raw.strip() if raw is not None else None  # only here: a big export is not copied
        message = raw if raw is not None and "\n" not in raw else json.dumps(document)
        out.events.append(LogEvent(0, message))
        out.parsed.append(None)
        out.has_time = False
        return out
    else:
        raise ExportError('JSON input is neither an export ({"events": [...]}) nor events')
    columns = _plain_columns(items)
    if columns is not None:
        out.use_columns(columns)
        return _finish_columns(out, columns)
    for index, item in enumerate(items):
        if isinstance(item, dict) and isinstance(item.get("logEvents"), list):
            _add_subscription(out, item)
            continue
        if not isinstance(item, dict) or "message" not in item:
            raise ExportError(f"event {index + 1} has no message (not a CloudWatch Logs event)")
        _add_envelope(out, item)
    return _finish(out)


_INSIGHTS_KEYS = {
    "@message": "message",
    "@timestamp": "timestamp",
    "@logStream": "logStreamName",
    "@ingestionTime": "ingestionTime",
}


def _insights_row(item: Any, out: ExportedLogs) -> Any:
    """A Logs Insights result row (`@message`, `@timestamp`, `@logStream`, `@log`) as an event."""
    if not isinstance(item, dict) or "@message" not in item or "message" in item:
        return item
    row = {_INSIGHTS_KEYS[key]: value for key, value in item.items() if key in _INSIGHTS_KEYS}
    group = item.get("@log")
    if isinstance(group, str) and out.log_group is None:
        # `123456789012:/aws/lambda/name`: the account, then the log group
        out.log_group = clean(group.split(":", 1)[-1])
    return row


def _from_insights(document: Any, out: ExportedLogs) -> Any:
    """Logs Insights answers as plain events: the console's JSON download (a list of rows) and
    `aws logs get-query-results` (`{"results": [[{"field", "value"}, ...], ...]}`)."""
    if isinstance(document, dict) and isinstance(document.get("results"), list):
        rows = []
        for result in document["results"]:
            if isinstance(result, list):
                rows.append(
                    {
                        str(cell.get("field")): cell.get("value")
                        for cell in result
                        if isinstance(cell, dict)
                    }
                )
        document = rows
    if (
        isinstance(document, list)
        and document
        and isinstance(document[0], dict)
        and "@message" in document[0]
    ):
        out.form = "insights"
        return [_insights_row(item, out) for item in document]
    return document


_PLAIN_KEYS = frozenset({"logStreamName", "timestamp", "message", "ingestionTime", "eventId"})
_MIN_EPOCH_MS = 100_000_000_000
"""Below this `to_epoch_ms` reads a number as seconds."""
_EXACT_INTS = 2**53


def _plain_columns(items: list[Any]) -> EventColumns | None:
    """The events as columns when every one is exactly what `aws logs filter-log-events` prints
    (those five fields, of their JSON types), else None: `_add_envelope` reads the others one
    by one. Same result as `_add_envelope`, column by column."""
    if not items or set(map(type, items)) != {dict} or set(map(len, items)) != {len(_PLAIN_KEYS)}:
        return None
    try:
        messages = list(map(itemgetter("message"), items))
        timestamps = list(map(itemgetter("timestamp"), items))
        streams = list(map(itemgetter("logStreamName"), items))
        event_ids = list(map(itemgetter("eventId"), items))
        ingestion = list(map(itemgetter("ingestionTime"), items))
    except KeyError:
        return None
    for column, kind in (
        (messages, str),
        (timestamps, int),
        (streams, str),
        (event_ids, str),
        (ingestion, int),
    ):
        if set(map(type, column)) != {kind}:
            return None
    # One string per stream, cleaned once, shared by its events (JSON makes one per event).
    cleaned = {stream: clean(stream) for stream in set(streams)}
    streams = list(map(cleaned.__getitem__, streams))
    return EventColumns(
        _epoch_ms_column(timestamps), messages, streams, event_ids, _epoch_ms_column(ingestion)
    )


def _epoch_ms_column(values: list[int]) -> list[int]:
    """`to_epoch_ms` of each number; epoch milliseconds (the usual) come back unchanged."""
    if min(values) >= _MIN_EPOCH_MS and max(values) < _EXACT_INTS:
        return values
    converted: list[int] = []
    for value in values:
        stamp = to_epoch_ms(value)
        assert stamp is not None  # a number always converts
        converted.append(stamp)
    return converted


def _finish_columns(out: ExportedLogs, columns: EventColumns) -> ExportedLogs:
    """`_finish` for columns: events repeated by overlapping exports, or without a time, are
    left to it; otherwise only the sort by time remains, which is usually done already."""
    if len(set(columns.event_ids)) != len(columns) or min(columns.timestamps) < 0:
        out.events = columns.to_events()
        return _finish(out)
    stamps = columns.timestamps
    if stamps != sorted(stamps):
        columns.reorder(sorted(range(len(stamps)), key=stamps.__getitem__))
    return out


def _is_envelope(item: dict[str, Any]) -> bool:
    """A CloudWatch event, not a JSON-format log line that also has `message` and `timestamp`."""
    if "message" not in item:
        return False
    if "eventId" in item or "logStreamName" in item or "ingestionTime" in item:
        return True
    return isinstance(item.get("timestamp"), int | float) and not isinstance(
        item.get("timestamp"), bool
    )


def _add_envelope(out: ExportedLogs, item: dict[str, Any]) -> None:
    message = item.get("message")
    if not isinstance(message, str):
        message = json.dumps(message) if message is not None else ""
    stamp = to_epoch_ms(item.get("timestamp"))
    if stamp is None:
        stamp = to_epoch_ms(item.get("ingestionTime"))
    stream = item.get("logStreamName")
    event_id = item.get("eventId")
    out.events.append(
        LogEvent(
            timestamp_ms=stamp if stamp is not None else -1,
            message=message,
            stream=clean(str(stream)) if stream is not None else "",
            event_id=str(event_id) if event_id is not None else None,
            ingestion_ms=to_epoch_ms(item.get("ingestionTime")),
        )
    )
    out.parsed.append(None)


def _add_subscription(out: ExportedLogs, item: dict[str, Any]) -> None:
    """A CloudWatch Logs subscription record (Firehose, Kinesis): `logEvents` of one stream."""
    out.form = "subscription"
    group = item.get("logGroup")
    if isinstance(group, str):
        out.log_group = clean(group)
    stream = clean(str(item.get("logStream") or ""))
    for event in item.get("logEvents") or []:
        if isinstance(event, dict) and "message" in event:
            _add_envelope(
                out,
                {
                    "message": event.get("message"),
                    "timestamp": event.get("timestamp"),
                    "eventId": event.get("id"),
                    "logStreamName": stream,
                },
            )


def _finish(out: ExportedLogs) -> ExportedLogs:
    """Events repeated by overlapping exports dropped (by event id); missing timestamps filled
    from the message or a neighbour; events sorted by time."""
    _drop_repeats(out)
    missing = [i for i, e in enumerate(out.events) if e.timestamp_ms < 0]
    for index in missing:
        parsed = parse(out.events[index].message)
        out.parsed[index] = parsed
        if parsed.timestamp_ms is not None:
            out.events[index].timestamp_ms = parsed.timestamp_ms
    _fill_times(out)
    if out.has_time:
        order = sorted(range(len(out.events)), key=lambda i: out.events[i].timestamp_ms)
        out.events = [out.events[i] for i in order]
        out.parsed = [out.parsed[i] for i in order]
    return out


def _drop_repeats(out: ExportedLogs) -> None:
    seen: set[str] = set()
    keep: list[int] = []
    for index, event in enumerate(out.events):
        if event.event_id is not None:
            if event.event_id in seen:
                continue
            seen.add(event.event_id)
        keep.append(index)
    if len(keep) < len(out.events):
        out.events = [out.events[i] for i in keep]
        out.parsed = [out.parsed[i] for i in keep]


def _fill_times(out: ExportedLogs) -> None:
    known = [e.timestamp_ms for e in out.events if e.timestamp_ms >= 0]
    if not known:
        out.has_time = False
        for event in out.events:
            event.timestamp_ms = 0
        return
    last = known[0]
    for event in out.events:
        if event.timestamp_ms < 0:
            event.timestamp_ms = last
        else:
            last = event.timestamp_ms


def _split_lines(text: str) -> Iterator[str]:
    """Lines split on newlines only: a log line may hold other line-breaking characters."""
    for line in text.split("\n"):
        yield line[:-1] if line.endswith("\r") else line


def _from_lines(text: str) -> ExportedLogs:
    lines = [line for line in _split_lines(text) if line.strip()]
    if lines and lines[0].startswith("EVENTS\t"):
        return _from_cli_text(lines)
    envelope = _detect_envelope(lines)
    out = ExportedLogs(form="jsonl" if lines and lines[0].lstrip().startswith("{") else "text")
    messages: list[tuple[str, str, int | None]] = []
    for number, line in enumerate(lines, start=1):
        stripped = line.lstrip()
        if stripped.startswith("{"):
            item = _json_line(stripped, number)
            if item is not None:
                if isinstance(item.get("logEvents"), list):
                    _add_subscription(out, item)
                else:
                    _add_envelope(out, item)
                continue
        if envelope is not None:
            match = envelope.fullmatch(line)
            if match is None:
                if messages:
                    # An untagged line continues the previous event's message.
                    message, stream, stamp = messages[-1]
                    messages[-1] = (message + "\n" + line, stream, stamp)
                    continue
                messages.append((line, "", None))
                continue
            groups = match.groupdict()
            messages.append((groups["msg"], groups.get("stream") or "", to_epoch_ms(groups["ts"])))
        else:
            messages.append((line, "", None))
    for message, stream, stamp in messages:
        parsed = parse(message)
        if stamp is None:
            stamp = parsed.timestamp_ms
        out.events.append(
            LogEvent(
                timestamp_ms=stamp if stamp is not None else -1, message=message, stream=stream
            )
        )
        out.parsed.append(parsed)
    if any(p is None for p in out.parsed):
        return _finish(out)
    _fill_times(out)
    return out


def _json_line(line: str, number: int) -> dict[str, Any] | None:
    """An event envelope or subscription record on one line, else None (a JSON log line)."""
    try:
        item = json.loads(line)
    except ValueError as error:
        if '"eventId"' in line or '"logStreamName"' in line or '"logEvents"' in line:
            raise ExportError(_json_error(f"malformed JSON on line {number}", error)) from None
        return None
    if not isinstance(item, dict):
        return None
    if isinstance(item.get("logEvents"), list) or _is_envelope(item):
        return item
    return None


def _detect_envelope(lines: list[str]) -> re.Pattern[str] | None:
    """The prefix a tool put on every line, if one fits nearly all of a sample."""
    # Lines a tool prints without its prefix continue the event before: an indented stack
    # frame, a REPORT line's XRAY line, a traceback's first and last lines. Most lines fit.
    sample = [
        line for line in lines[:400] if not line[:1].isspace() and not line.startswith("XRAY ")
    ]
    if not sample:
        return None
    for _, pattern in _ENVELOPES:
        matches = [pattern.fullmatch(line) for line in sample]
        fitting = [match for match in matches if match is not None]
        if len(fitting) < 0.6 * len(sample):
            continue
        # A raw log whose lines carry their own timestamps (Node.js, Python) must not lose them:
        # a tool's prefix shows because Lambda's platform lines then follow it.
        platform = sum(1 for match in fitting if _PLATFORM_HEAD.match(match.group("msg")))
        raw_platform = sum(1 for line in sample if _PLATFORM_HEAD.match(line))
        if platform > 0 and raw_platform == 0:
            return pattern
    return None


def _from_cli_text(lines: list[str]) -> ExportedLogs:
    """`aws logs filter-log-events --output text`: EVENTS, id, ingestion, stream, message, time."""
    out = ExportedLogs(form="text")
    for line in lines:
        fields = line.split("\t")
        if fields[0] != "EVENTS" or len(fields) < 6:
            if out.events:
                out.events[-1].message += "\n" + line
            continue
        stamp = to_epoch_ms(fields[-1].strip())
        out.events.append(
            LogEvent(
                timestamp_ms=stamp if stamp is not None else -1,
                message="\t".join(fields[4:-1]),
                stream=fields[3],
                event_id=fields[1],
                ingestion_ms=to_epoch_ms(fields[2]),
            )
        )
        out.parsed.append(None)
    return _finish(out)
