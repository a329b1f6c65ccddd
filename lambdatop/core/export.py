"""Read exported logs: what `aws logs filter-log-events` prints, JSON Lines of its events,
subscription records (as Firehose stores them, or base64-gzipped in the Lambda, Kinesis and
Firehose events that carry them), Logs Insights results, and plain text with one event per line
(raw, or as `aws logs tail`, `sam logs`, `awslogs get`, `lambdatop tail`, the CLI's text output
and S3 exports prefix each line).

Bytes in, events out. Malformed input raises `ExportError` with a message fit for a person.
"""

from __future__ import annotations

import io
import json
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from operator import attrgetter, itemgetter
from typing import Any, BinaryIO

from lambdatop.core.apigateway_log import ExecutionLog, is_execution_log, read_execution_log
from lambdatop.core.lazy_pattern import LazyPattern
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

    __slots__ = (
        "_events",
        "api_log",
        "columns",
        "form",
        "has_time",
        "log_group",
        "log_groups",
        "only_group",
        "parsed",
        "read_elsewhere",
    )

    def __init__(self, form: str = "text", only_group: str | None = None) -> None:
        self._events: list[LogEvent] | None = []
        self.columns: EventColumns | None = None
        """Set (and `events` built from it only when asked for) by the fast JSON reader."""
        self.parsed: list[ParsedLine | None] = []
        """The parse of each event where reading needed it already (plain text), else None."""
        self.has_time = True
        """False when the input carries no timestamps at all: no time window can be applied."""
        self.log_group: str | None = None
        self.log_groups: Counter[str] = Counter()
        """Events per log group, where the export names it (Insights' `@log`, subscription
        records, `awslogs get`): more than one means several functions' logs."""
        self.form = form
        """`json`, `jsonl`, `subscription` or `text`, for messages."""
        self.only_group = only_group
        """The log group whose events are kept (`read_export(..., group=)`), or None for all."""
        self.api_log: ExecutionLog | None = None
        """API Gateway's execution log, when the file is one (form `apigateway`): its events
        are the error documents the function answered with."""
        self.read_elsewhere = 0
        """Events counted but not kept: read and fed to a pipeline by two processes, each
        decoding half the page (`bulk.read_and_ingest`)."""

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
            return len(self.columns) + self.read_elsewhere
        return len(self.events) + self.read_elsewhere

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

    def saw_group(self, group: str, events: int = 1) -> bool:
        """`events` events of this log group (the first group named and kept is the export's);
        whether they are kept."""
        group = clean(group).strip()
        if not group:
            return self.only_group is None
        self.log_groups[group] += events
        if self.only_group is not None and group != self.only_group:
            return False
        if self.log_group is None:
            self.log_group = group
        return True

    @property
    def function_name(self) -> str | None:
        """The function a `/aws/lambda/<name>` log group belongs to."""
        if self.log_group and self.log_group.startswith("/aws/lambda/"):
            return self.log_group.removeprefix("/aws/lambda/") or None
        return None


_ISO = r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:[.,]\d+)?(?:Z|[+-]\d{2}:?\d{2})?"
_STREAM = r"\d{4}/\d{2}/\d{2}/\[[^\]\s]*\][0-9A-Za-z]+"
_PLATFORM_HEAD = LazyPattern(
    r"(?:START RequestId|END RequestId|REPORT RequestId|INIT_START|INIT_REPORT|RESTORE_START"
    r"|EXTENSION|TELEMETRY|\{\"time\")"
)
# `lambdatop tail`'s text: `09:14:55.120 a1b2c3 message`, the time of day and the end of the
# stream's name; the message's further lines indented by 20 spaces, its tabs as two spaces.
_LAMBDATOP_TAIL = LazyPattern(
    r"(?P<tod>\d{2}:\d{2}:\d{2}\.\d{3}) (?P<stream>[0-9A-Za-z]{6}|-{6}) (?P<msg>.*)", re.S
)
_LAMBDATOP_TAIL_INDENT = " " * 20
# Prefixes that tools put before each event's message; the first that fits a file is used.
_ENVELOPES: tuple[tuple[str, LazyPattern], ...] = (
    ("aws logs tail", LazyPattern(rf"(?P<ts>{_ISO})\s+(?P<stream>{_STREAM})\s(?P<msg>.*)", re.S)),
    ("sam logs", LazyPattern(rf"(?P<stream>{_STREAM})\s+(?P<ts>{_ISO})\s(?P<msg>.*)", re.S)),
    (
        "awslogs get",
        # with --timestamp, the event's time after the stream
        LazyPattern(
            rf"(?P<group>/[^\s]+)\s+(?P<stream>{_STREAM})\s(?:(?P<ts>{_ISO})\s)?(?P<msg>.*)",
            re.S,
        ),
    ),
    ("lambdatop tail", _LAMBDATOP_TAIL),
    (
        # `cw tail -t` (its -n and -s add the group and the stream), `rdk logs`, sbt-sam's
        # `samLogs`: the time, then each field after " - "
        "dash-separated",
        LazyPattern(
            rf"(?:\[\w+\] )?(?P<ts>{_ISO}) - (?:(?P<group>/[^\s]+) - )?"
            rf"(?:(?P<stream>{_STREAM}) - )?(?P<msg>.*)",
            re.S,
        ),
    ),
    ("timestamped", LazyPattern(rf"(?P<ts>{_ISO})[ \t](?P<msg>.*)", re.S)),
    # `aws logs get-log-events` / `filter-log-events --query 'events[*].[timestamp,message]'
    # --output text`: the epoch milliseconds, a tab, the message
    ("epoch ms", LazyPattern(r"(?P<ts>\d{12,16})\t(?P<msg>.*)", re.S)),
    (
        "bracketed",
        LazyPattern(rf"\[(?P<ts>{_ISO})\]\s+(?:\((?P<stream>[^)]*)\)\s+)?(?P<msg>.*)", re.S),
    ),
)


MAX_INPUT_BYTES = 2 * 1024**3
"""The most an export may hold, read or after decompression: beyond it, a mistake or a bomb."""
TOO_LARGE = "too large: more than 2 GiB"


def read_input(stream: BinaryIO) -> bytes:
    """All of `stream` (a file, a pipe), refused past MAX_INPUT_BYTES: `/dev/zero` never ends."""
    data = stream.read(MAX_INPUT_BYTES + 1)
    if len(data) > MAX_INPUT_BYTES:
        raise ExportError(TOO_LARGE)
    return data


def read_export(data: bytes, *, group: str | None = None) -> ExportedLogs:
    """Events from an export, in each stream's order; of one log group only when `group` is
    given and the export names its events' groups (`log_groups` still counts every group's).
    Raises ExportError on malformed input."""
    try:
        out = _read_export(data, group)
        if out.form in _EVENT_FORMS and _holds_execution_log(out):
            messages, times = _messages_and_times(out)
            return _from_execution_log(messages, group, times)
        return out
    except RecursionError:
        raise ExportError("JSON nested too deeply to be a log export") from None


def _read_export(data: bytes, group: str | None) -> ExportedLogs:
    data = _uncompressed(data)
    if len(data) >= DECODER_MIN_BYTES:
        page = _plain_page(data, group)
        if page is not None:
            return page
    text = _text(data).lstrip("\ufeff")
    head = text.lstrip()
    if not head:
        return ExportedLogs("text", group)
    if _looks_binary(head):
        raise ExportError("binary data, not logs (an archive or another file?)")
    if head.startswith(_BASE64_GZIP):
        return _read_export(_base64_lines(head), group)
    if _JSON_ARRAY.match(head):
        if head[1:].lstrip().startswith("["):
            try:
                document = json.loads(head)
            except ValueError:
                return _from_lines(text, group)  # a log line that opens with `[[`
            return _from_parsed_document(document, "json", group)
        return _from_document(head, "json", group)
    if head[0] == "{":
        try:
            document = json.loads(head)
        except ValueError as error:
            documents = _concatenated(head)
            if documents is not None:
                return _from_parsed_document(documents, "json", group)
            first = head.split("\n", 1)[0].strip()
            if _EXPORT_KEYS.search(head, 0, _EXPORT_KEYS_SCAN) is None:
                # No export's field anywhere near the start: a pasted snippet that opens with
                # an error object (a runtime's error document, a driver's error printed by
                # `console.log`), cut short or not JSON at all. Its lines are the log.
                return _from_lines(text, group)
            if first in ("{", '{"events": [', '{"events":[') or not _is_json_object(first):
                raise ExportError(_json_error("malformed JSON", error)) from None
            return _from_lines(text, group)
        log_tail = _invoke_log_tail(document)
        if log_tail is not None:
            return _read_export(log_tail, group)
        return _from_parsed_document(document, "json", group, raw=head)
    if _BARE_BASE64.fullmatch(head.rstrip()):
        log_tail = _decoded_log_tail(head.rstrip())
        if log_tail is not None:
            return _read_export(log_tail, group)
    csv_rows = _csv_rows(head)
    if csv_rows is not None:
        return _from_parsed_document(csv_rows, "csv", group)
    return _from_lines(text, group)


# The fields only an export (not a log line) has: `filter-log-events`' and `get-log-events`'
# pages, their events, subscription records, Logs Insights results.
_EXPORT_KEYS = LazyPattern(
    r'"(?:events|logEvents|eventId|logStreamName|ingestionTime|results|nextForwardToken|'
    r'searchedLogStreams|messageType)"\s*:'
)
_EXPORT_KEYS_SCAN = 65_536


_CSV_MESSAGE_COLUMNS = ("@message", "message")


def _csv_rows(text: str) -> list[dict[str, str]] | None:
    """A CSV download (the console's log events or Logs Insights table), when its header names
    a message column; else None."""
    header = text.split("\n", 1)[0].strip().lstrip("\ufeff")
    delimiter = next((mark for mark in _CSV_DELIMITERS if _csv_header(header, mark)), None)
    if delimiter is None:
        return None
    import csv  # here: most exports are not CSV, and a small one's start-up counts

    reader = csv.DictReader(io.StringIO(text), delimiter=delimiter, restkey=_CSV_REST)
    last = (reader.fieldnames or [""])[-1].strip().strip('"').lower()
    rows: list[dict[str, str]] = []
    for row in reader:
        fields = {str(key).strip().lower(): value for key, value in row.items() if key}
        rest = fields.pop(_CSV_REST, None)
        if rest and last in fields:
            # A message unquoted in its last column that holds the delimiter (every line of
            # Lambda's holds tabs): the cells past the header's are the rest of it.
            fields[last] = delimiter.join([fields[last] or "", *map(str, rest)])
        event = _row_event(fields)
        if event is not None:
            rows.append(event)
    return rows


_CSV_REST = "\x00rest"
"""Where a row's cells beyond the header's columns go."""


def _row_event(fields: dict[str, str]) -> dict[str, str] | None:
    """The event a row of a table of events (lower-case column names: a CSV download, Logs
    Insights results copied as Markdown) stands for, or None for a row without a message."""
    message = fields.get("@message", fields.get("message")) or _report_line(fields)
    if message is None:
        return None
    stamp = fields.get("@timestamp", fields.get("timestamp"))
    event: dict[str, str] = {"message": message}
    if stamp:
        event["timestamp"] = stamp
    stream = fields.get("@logstream", fields.get("logstreamname"))
    if stream:
        event["logStreamName"] = stream
    group = fields.get("@log")
    if group:
        event["@log"] = group
    return event


# Logs Insights results copied as Markdown (`| @timestamp | @message |`, a `| --- |` rule, a
# row a line), the AWS CLI's `--output table` (`|| ingestionTime | message | timestamp ||`
# between `|+----+----+|` rules), and the console's table copied as `<timestamp> | <message>`.
_TABLE_RULE = LazyPattern(r"[|+]{0,2}(?:\s*:?-{3,}:?\s*[|+]{1,2})+\s*:?-*:?\s*")
_CONSOLE_ROW = LazyPattern(rf"(?P<ts>{_ISO})\s*\|\s?(?P<msg>.*)", re.S)
_NO_HEADER = ["@timestamp", "@message"]
"""A table's columns before any header row: a time, then the message."""


def _table_rows(lines: list[str]) -> list[dict[str, str]] | None:
    """The events of a table of log events (Markdown, or the console's `time | message`), or
    None if the lines are not one: most are its rows, or a header names `@message`."""
    sample = lines[:400]  # a table shows at once: the rest of a big file is not scanned twice
    markdown = [line for line in sample if line.lstrip().startswith("|")]
    console = [m for m in map(_CONSOLE_ROW.fullmatch, sample) if m is not None]
    headed = any(_is_table_header(_cells(line)) for line in markdown[:50])
    if len(markdown) >= max(1, 0.6 * len(sample)) or (headed and len(markdown) >= 2):
        return _markdown_rows([line for line in lines if line.lstrip().startswith("|")])
    fields = [m for m in map(_FIELD_ROW.fullmatch, sample) if m is not None]
    if len(fields) >= 0.6 * len(sample) and any(m["field"] == "@message" for m in fields):
        return _field_rows(lines)
    if len(console) >= 2 and len(console) >= 0.6 * len(sample):
        rows: list[dict[str, str]] = []
        for line in lines:
            match = _CONSOLE_ROW.fullmatch(line)
            if match is not None:
                rows.append({"timestamp": match["ts"], "message": match["msg"].rstrip()})
            elif rows:
                rows[-1]["message"] += "\n" + line  # a message's further lines
        return rows
    return None


# A Logs Insights result copied from the console's expanded row: a field a line,
# `@message | <message>`, `@timestamp | <time>`, each record's fields after the other's.
_FIELD_ROW = LazyPattern(r"(?P<field>@\w+) \| (?P<value>.*)", re.S)


def _field_rows(lines: list[str]) -> list[dict[str, str]]:
    """The events of records copied a field a line: a field seen again begins the next record;
    a line that is no field continues the value before it (a message's further lines)."""
    records: list[dict[str, str]] = []
    last = ""
    for line in lines:
        match = _FIELD_ROW.fullmatch(line)
        if match is None:
            if records and last:
                records[-1][last] += "\n" + line
            continue
        last = match["field"].lower()
        if not records or last in records[-1]:
            records.append({})
        records[-1][last] = match["value"].rstrip()
    return [event for event in map(_row_event, records) if event is not None]


def _cells(row: str) -> list[str]:
    body = row.strip()
    # The AWS CLI's table nests a list's rows in its title's box: `|| ... ||`.
    edge = 2 if body.startswith("||") and body.endswith("||") and len(body) > 4 else 1
    body = body[edge:] if body.startswith("|" * edge) else body
    body = body[:-edge] if body.endswith("|" * edge) else body
    return [cell.strip() for cell in body.split("|")]


def _is_table_header(cells: list[str]) -> bool:
    names = {cell.lower() for cell in cells}
    return (
        "@message" in names
        # The AWS CLI's table of get-log-events or filter-log-events: its keys, A to Z.
        or ("message" in names and "timestamp" in names)
        or _has_report_fields(names)
    )


def _markdown_rows(rows: list[str]) -> list[dict[str, str]]:
    columns = _NO_HEADER
    events: list[dict[str, str]] = []
    for row in rows:
        if _TABLE_RULE.fullmatch(row.strip()):
            continue
        cells = _cells(row)
        if _is_table_header(cells):
            columns = [cell.lower() for cell in cells]
            continue
        message = "@message" if "@message" in columns else "message"
        if len(cells) > len(columns) and message in columns:
            # A `|` inside a message: the cells left over are the message's.
            at = columns.index(message)
            extra = len(cells) - len(columns)
            cells[at : at + extra + 1] = [" | ".join(cells[at : at + extra + 1])]
        event = _row_event(dict(zip(columns, cells, strict=False)))
        if event is not None and to_epoch_ms(event.get("timestamp")) is not None:
            events.append(event)
    return events


_CSV_DELIMITERS = (",", ";", "\t")
"""A comma, or what a spreadsheet saves with in locales where the comma is the decimal mark."""


def _csv_header(header: str, delimiter: str) -> bool:
    """Whether `header` names the columns of log events or of Logs Insights' REPORT fields."""
    names = [name.strip().strip('"').lower() for name in header.split(delimiter)]
    return len(names) >= 2 and (
        any(column in names for column in _CSV_MESSAGE_COLUMNS) or _has_report_fields(names)
    )


# A JSON array, not a log line that starts with a bracket (`[ERROR]`, `[2026-03-02 ...]`).
# Or an array of arrays: what `--query 'events[*].[timestamp,message]'` leaves of the events.
_JSON_ARRAY = re.compile(r"\[\s*(?:[{\]\"]|\[\s*[-\d\"]|$)")
_GZIP = b"\x1f\x8b"
_ZIP = b"PK\x03\x04"


def _uncompressed(data: bytes) -> bytes:
    """Subscription records delivered to S3 by Firehose stay gzipped: read them as they are."""
    if data[:4] == _ZIP:
        raise ExportError("a zip archive, not logs: unzip it first")
    if data[:2] != _GZIP:
        return data
    return _gunzip(data)


_INFLATE_CHUNK = 16 * 1024 * 1024


def _gunzip(data: bytes, limit: int | None = None) -> bytes:
    """Every gzip member of `data`, inflated a chunk at a time so that a bomb is refused once
    it passes `limit` (MAX_INPUT_BYTES), before it has taken the memory it asks for."""
    import zlib  # here: few exports are compressed

    limit = MAX_INPUT_BYTES if limit is None else limit
    out = bytearray()
    rest = data
    while rest[:2] == _GZIP:
        inflater = zlib.decompressobj(wbits=31)
        pending = rest
        try:
            while not inflater.eof:
                chunk = inflater.decompress(pending, _INFLATE_CHUNK)
                pending = inflater.unconsumed_tail
                if not chunk and not pending:
                    raise ExportError("gzip data that cannot be read: it ends too soon")
                out += chunk
                if len(out) > limit:
                    raise ExportError(f"{TOO_LARGE} after decompression")
        except zlib.error as error:
            raise ExportError(f"gzip data that cannot be read: {error}") from None
        rest = inflater.unused_data
    return bytes(out)


_BOMS = (
    (b"\xff\xfe\x00\x00", "utf-32-le"),
    (b"\x00\x00\xfe\xff", "utf-32-be"),
    (b"\xff\xfe", "utf-16-le"),
    (b"\xfe\xff", "utf-16-be"),
)


def _text(data: bytes) -> str:
    """The bytes as text: UTF-8 unless a UTF-16 or UTF-32 byte order mark says otherwise (what
    Windows PowerShell's `>` writes)."""
    for bom, codec in _BOMS:
        if data.startswith(bom):
            return data[len(bom) :].decode(codec, errors="replace")
    bomless = _bomless_utf16(data)
    if bomless is not None:
        return data.decode(bomless, errors="replace")
    return decode(data)


_UTF16_SAMPLE = 4096


def _bomless_utf16(data: bytes) -> str | None:
    """UTF-16 that lost its byte order mark (a file cut from the middle of one PowerShell
    wrote, `Out-File -Encoding unicode` text joined to another): ASCII text then has a NUL in
    every other byte, which no UTF-8 log has."""
    sample = data[: _UTF16_SAMPLE - _UTF16_SAMPLE % 2]
    if len(sample) < 8:
        return None
    even, odd = sample[0::2], sample[1::2]
    if odd.count(0) > 0.9 * len(odd) and even.count(0) < 0.1 * len(even):
        return "utf-16-le"
    if even.count(0) > 0.9 * len(even) and odd.count(0) < 0.1 * len(odd):
        return "utf-16-be"
    return None


_BASE64_GZIP = "H4sI"
"""How base64 of gzip data begins."""


def _unpacked(data: str) -> bytes:
    """A subscription record as Kinesis and Firehose carry it: base64 of gzip (or of JSON)."""
    import base64  # here: few exports are subscription records
    import binascii

    try:
        raw = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        raise ExportError("a record's data is not base64 (a damaged event?)") from None
    return _gunzip(raw) if raw[:2] == _GZIP else raw


def _base64_lines(text: str) -> bytes:
    """One base64-gzipped subscription record a line (Kinesis or Firehose data saved as it
    came): the records, one after another, as Firehose would have written them."""
    unpacked = [_unpacked(line.strip()) for line in text.split("\n") if line.strip()]
    if sum(map(len, unpacked)) > MAX_INPUT_BYTES:
        raise ExportError(f"{TOO_LARGE} after decompression")
    return b"\n".join(unpacked)


# `aws lambda invoke --log-type Tail`'s answer: "LogResult: The last 4 KB of the execution log,
# which is base64-encoded" (Lambda API reference, Invoke, Response Syntax).
_LOG_RESULT = "LogResult"
# The same field printed alone (`--query LogResult --output text`) and not yet decoded.
_BARE_BASE64 = LazyPattern(r"[A-Za-z0-9+/]{16,}={0,2}")


def _invoke_log_tail(document: Any) -> bytes | None:
    """The log an `aws lambda invoke --log-type Tail` answer carries, decoded; None when the
    document is not that answer."""
    if not isinstance(document, dict) or not isinstance(document.get(_LOG_RESULT), str):
        return None
    if "events" in document or "logEvents" in document:
        return None
    encoded = document[_LOG_RESULT].strip()
    if not encoded:
        raise ExportError("an invoke's answer with an empty LogResult: no log was returned")
    log_tail = _decoded_log_tail(encoded)
    if log_tail is None:
        raise ExportError("an invoke's LogResult that is not base64 of a log (cut short?)")
    return log_tail


def _decoded_log_tail(encoded: str) -> bytes | None:
    """Base64 of a log's text decoded, or None when it is not base64 of text."""
    import base64  # here: few exports are an invoke's answer
    import binascii

    try:
        raw = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        return None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return raw if text.strip() and not _looks_binary(text) else None


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
    return _merged_pages(documents)


def _merged_pages(documents: list[Any]) -> list[Any] | None:
    """The events of several pages of `filter-log-events` (appended to one file, or gathered
    into an array by `jq -s`) and of subscription records, in order; None if one is neither."""
    merged: list[Any] = []
    for document in documents:
        if not isinstance(document, dict):
            return None
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
        # `error.msg` may end in "at" ("Unterminated string starting at"): the place follows.
        where = f"line {error.lineno} column {error.colno}"
        return (
            f"{what}: {error.msg} {where}"
            if error.msg.endswith(" at")
            else (f"{what}: {error.msg} at {where}")
        )
    return f"{what}: {error}"


def _from_document(text: str, form: str, group: str | None) -> ExportedLogs:
    try:
        document = json.loads(text)
    except ValueError as error:
        raise ExportError(_json_error("malformed JSON", error)) from None
    return _from_parsed_document(document, form, group)


def _from_parsed_document(
    document: Any, form: str, group: str | None, raw: str | None = None
) -> ExportedLogs:
    out = ExportedLogs(form, group)
    if (
        isinstance(document, dict)
        and "events" in document
        and "message" not in document
        and not isinstance(document["events"], list)
    ):
        raise ExportError('"events" is not a list of events: neither an export nor events')
    document = _from_insights(_delivered_records(document), out)
    if _is_pages(document):
        document = _merged_pages(document)
    if isinstance(document, dict) and isinstance(document.get("events"), list):
        items: list[Any] = document["events"]
    elif isinstance(document, dict) and isinstance(document.get("logEvents"), list):
        _add_subscription(out, document)
        return _finish(out)
    elif isinstance(document, list) and document and all(map(_is_queried_event, document)):
        # The fields a `--query` kept of each event, as the AWS CLI prints them:
        # `events[].message` (the messages alone) or `events[*].[timestamp,message]`.
        for queried in document:
            _add_envelope(out, _queried_event(queried))
        return _finish(out)
    elif isinstance(document, list):
        items = document
    elif isinstance(document, dict) and _is_envelope(document):
        items = [document]
    elif isinstance(document, dict):
        # One log line on its own: a JSON-format line, an application's record, or another
        # tool's event around a Lambda line.
        raw = raw.strip() if raw is not None else None  # only here: a big export is not copied
        if _wraps_lambda_lines([document]):
            _add_envelope(out, document)
        else:
            _add_json_line(out, document, raw if raw is not None and "\n" not in raw else None)
        return _finish(out)
    else:
        raise ExportError('JSON input is neither an export ({"events": [...]}) nor events')
    columns = _plain_columns(items)
    if columns is not None:
        out.use_columns(columns)
        return _finish_columns(out, columns)
    wrapped = _wraps_lambda_lines(items)
    for index, item in enumerate(items):
        if isinstance(item, dict) and isinstance(item.get("logEvents"), list):
            _add_subscription(out, item)
            continue
        if not isinstance(item, dict) or ("message" not in item and _is_envelope_time(item)):
            raise ExportError(f"event {index + 1} has no message (not a CloudWatch Logs event)")
        if (
            _is_envelope(item)
            or (wrapped and isinstance(item.get("message"), str))
            or form in _TABLE_FORMS  # a table's rows are events, `@log` and all
        ):
            _add_envelope(out, item)
        else:
            _add_json_line(out, item)
    return _finish(out)


_TABLE_FORMS = frozenset(("table", "csv"))
"""Forms read as rows of events (`_row_event`): a row is an event even when its message is no
Lambda line (an extension's)."""
_TIME_KEYS = ("timestamp", "time", "@timestamp", "ts", "date", "datetime", "eventTime")
"""Where tools that write JSON Lines put an event's time (ISO-8601, or epoch s or ms)."""
# A Lambda log line, as another tool's JSON events carry it in their `message`: a platform line,
# a runtime's `<time>\t<request id>\t` line, a JSON-format event, a timeout or runtime exit.
_LAMBDA_LINE = LazyPattern(
    r"(?:START|END|REPORT) RequestId: |INIT_(?:START|REPORT)|RESTORE_(?:START|REPORT)|"
    r"EXTENSION\t|Task timed out after|RequestId: \S+ Error: |\{\"time\":\"[^\"]*\",\"type\":\"|"
    r"\t[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\t"
)


def _wraps_lambda_lines(items: list[Any]) -> bool:
    """Another tool's JSON events (`up logs`, a log shipper's): objects with a time and a
    `message` string that holds Lambda's own lines. Then every such object is an event whose
    message is the line; otherwise each object is a log line itself."""
    return any(
        isinstance(item, dict)
        and isinstance(item.get("message"), str)
        and _LAMBDA_LINE.search(item["message"], 0, 400) is not None
        for item in items[:400]
    )


def _is_envelope_time(item: dict[str, Any]) -> bool:
    """A CloudWatch event's numeric `timestamp` (or its other fields): an event without its
    message, not a log line."""
    return _is_envelope({**item, "message": None})


def _item_time(item: dict[str, Any]) -> int | None:
    for key in _TIME_KEYS:
        if key in item:
            stamp = to_epoch_ms(item[key])
            if stamp is not None:
                return stamp
    return None


def _add_json_line(out: ExportedLogs, item: dict[str, Any], raw: str | None = None) -> None:
    """A log line given as a JSON object: Lambda's JSON log format (as CloudWatch stores it,
    or as the Telemetry and Logs APIs deliver it, `{"time", "type", "record"}`), an
    application's JSON record (Powertools', a structured logger's). The object is the line,
    and its time is the event's."""
    record = item.get("record")
    if item.get("type") == "function" and isinstance(record, str):
        message = record.rstrip("\n")  # the Logs API's line of the function: the text it wrote
    else:
        message = raw or json.dumps(item, ensure_ascii=False, separators=(",", ":"))
    stamp = _item_time(item)
    out.events.append(LogEvent(stamp if stamp is not None else -1, message))
    out.parsed.append(None)


def _is_pages(document: Any) -> bool:
    """A JSON array of `filter-log-events` answers, not of events."""
    return (
        isinstance(document, list)
        and bool(document)
        and isinstance(document[0], dict)
        and isinstance(document[0].get("events"), list)
        and "message" not in document[0]
    )


def _delivered_records(document: Any) -> Any:
    """The subscription records inside the event a subscribed Lambda receives
    (`{"awslogs": {"data": ...}}`), a Kinesis event (`Records[].kinesis.data`), the output of
    `aws kinesis get-records` (`Records[].Data`) or a Firehose
    transformation event (`records[].data`), each base64 of gzip; else `document` as it is."""
    if not isinstance(document, dict):
        return document
    awslogs = document.get("awslogs")
    if isinstance(awslogs, dict) and isinstance(awslogs.get("data"), str):
        payloads = [awslogs["data"]]
    elif isinstance(document.get("Records"), list):
        found = (_kinesis_data(record) for record in document["Records"])
        payloads = [data for data in found if data is not None]
    elif isinstance(document.get("records"), list):
        payloads = [
            record["data"]
            for record in document["records"]
            if isinstance(record, dict) and isinstance(record.get("data"), str)
        ]
    else:
        return document
    return _data_messages(payloads)


def _kinesis_data(record: Any) -> str | None:
    """A Kinesis event record's `kinesis.data`, or `aws kinesis get-records`' own `Data`."""
    if not isinstance(record, dict):
        return None
    kinesis = record.get("kinesis")
    data = kinesis.get("data") if isinstance(kinesis, dict) else record.get("Data")
    return data if isinstance(data, str) else None


def _data_messages(payloads: list[str]) -> list[Any]:
    """The DATA_MESSAGE records the payloads hold (a CONTROL_MESSAGE only checks that the
    destination is reachable)."""
    records: list[Any] = []
    size = 0
    for number, payload in enumerate(payloads, start=1):
        data = _unpacked(payload)
        size += len(data)
        if size > MAX_INPUT_BYTES:
            raise ExportError(f"{TOO_LARGE} after decompression")
        try:
            record = json.loads(_text(data))
        except ValueError as error:
            raise ExportError(_json_error(f"malformed JSON in record {number}", error)) from None
        if isinstance(record, dict) and record.get("messageType") != "CONTROL_MESSAGE":
            records.append(record)
    return records


_INSIGHTS_KEYS = {
    "@message": "message",
    "@timestamp": "timestamp",
    "@logStream": "logStreamName",
    "@ingestionTime": "ingestionTime",
}


# Logs Insights' fields of a REPORT line (lower case), its label there and its unit; Insights
# gives memory in bytes (`1.28E8` for 128 MB).
_REPORT_FIELDS = (
    ("@duration", "Duration", "ms"),
    ("@billedduration", "Billed Duration", "ms"),
    ("@memorysize", "Memory Size", "MB"),
    ("@maxmemoryused", "Max Memory Used", "MB"),
    ("@initduration", "Init Duration", "ms"),
)
_BYTES_PER_MB = 1_000_000
"""Insights' memory figures are the REPORT line's megabytes times a million."""


def _has_report_fields(names: Iterable[str]) -> bool:
    """A query's columns (lower case) that hold a REPORT line's request id and figures."""
    names = set(names)
    return "@requestid" in names and bool({"@duration", "@maxmemoryused"} & names)


def _report_line(fields: dict[str, Any]) -> str | None:
    """The REPORT line a Logs Insights row of parsed REPORT fields (lower-case names) stands
    for, so that a query without `@message` is read as the lines it summarises; else None."""
    if not _has_report_fields(fields) or not fields["@requestid"]:
        return None
    parts = [f"REPORT RequestId: {fields['@requestid']}"]
    for name, label, unit in _REPORT_FIELDS:
        try:
            number = float(fields.get(name) or "")
        except (TypeError, ValueError):
            continue
        if unit == "MB":
            megabytes = number / _BYTES_PER_MB if number >= _BYTES_PER_MB else number
            parts.append(f"{label}: {round(megabytes)} MB")
        else:
            parts.append(f"{label}: {number:.2f} ms")
    return "\t".join(parts) + "\t"


def _is_insights_row(item: Any) -> bool:
    return isinstance(item, dict) and (
        "@message" in item or _has_report_fields(key.lower() for key in item)
    )


def _insights_row(item: Any, out: ExportedLogs) -> Any:
    """A Logs Insights result row (`@message`, `@timestamp`, `@logStream`, `@log`) as an event;
    a row of parsed REPORT fields as its REPORT line; None for a row of a log group not kept."""
    group = item.get("@log") if isinstance(item, dict) else None
    # `123456789012:/aws/lambda/name`: the account, then the log group
    if isinstance(group, str) and group and not out.saw_group(group.split(":", 1)[-1]):
        return None
    if not _is_insights_row(item) or "message" in item:
        return item
    row = {_INSIGHTS_KEYS[key]: value for key, value in item.items() if key in _INSIGHTS_KEYS}
    if "message" not in row:
        row["message"] = _report_line({key.lower(): value for key, value in item.items()})
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
    if isinstance(document, list) and document and _is_insights_row(document[0]):
        out.form = "insights"
        kept = [_insights_row(item, out) for item in document]
        return [row for row in kept if row is not None]
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
    return _event_columns(messages, timestamps, streams, event_ids, ingestion)


def _event_columns(
    messages: list[str],
    timestamps: list[int],
    streams: list[str],
    event_ids: list[str],
    ingestion: list[int],
) -> EventColumns:
    """Columns of plain events' fields, read as `_add_envelope` reads each event's."""
    # One string per stream, cleaned once, shared by its events (JSON makes one per event).
    cleaned = {stream: clean(stream) for stream in set(streams)}
    streams = list(map(cleaned.__getitem__, streams))
    return EventColumns(
        _epoch_ms_column(timestamps),
        messages,
        streams,
        event_ids,
        _epoch_ms_column(ingestion) if ingestion else ingestion,
    )


DECODER_MIN_BYTES = 8_000_000
"""From this size on, a page of `filter-log-events` is decoded by msgspec: 0.2 s instead of
0.6 s for 300,000 events, but its import costs 10 ms, more than it saves on a small file."""


# A JSON object, found without copying the bytes as `lstrip` does when there is space to strip.
_OPENS_OBJECT = rb"[ \t\r\n]*\{"


@cache
def _bytes_pattern(pattern: bytes) -> re.Pattern[bytes]:
    """A pattern over the export's bytes, compiled at its first use (as `LazyPattern` does)."""
    return re.compile(pattern)


def _plain_page(data: bytes, group: str | None) -> ExportedLogs | None:
    """What `_read_export` makes of `data` when it is one page of `aws logs filter-log-events`
    whose every event is plain (see `_plain_columns`), decoded by msgspec straight into typed
    fields; None for anything else (another shape, a field more or of another type, invalid
    UTF-8, a lone surrogate, a byte order mark...), which the general reader then reads."""
    if _bytes_pattern(_OPENS_OBJECT).match(data) is None:
        return None
    import msgspec  # only here: its import costs more than it saves on a small export

    try:
        events = _page_decoder().decode(data).events
    except msgspec.DecodeError:
        return None
    if not events:
        return None
    columns = _event_columns(
        list(map(_EVENT_FIELDS[0], events)),
        list(map(_EVENT_FIELDS[1], events)),
        list(map(_EVENT_FIELDS[2], events)),
        list(map(_EVENT_FIELDS[3], events)),
        list(map(_EVENT_FIELDS[4], events)),
    )
    out = ExportedLogs("json", group)
    out.use_columns(columns)
    return _finish_columns(out, columns)


_EVENT_FIELDS = tuple(
    map(attrgetter, ("message", "timestamp", "logStreamName", "eventId", "ingestionTime"))
)


# Where one event of a page ends and the next begins: `}`, a comma, `{` and one of an event's
# keys. Valid JSON cannot hold this inside a string: the quote before the key would end the
# string, and a key's name may not follow a string. (It may match inside a nested object, which
# a plain page's events have none of: the half then fails to decode, and the page is read whole.)
_BETWEEN_EVENTS = (
    rb'\}\s*,\s*(\{)\s*"(?:logStreamName|timestamp|message|ingestionTime|eventId)"\s*:'
)
_FIRST_HALF = 0.52
"""Where a page is cut, as a share of its bytes: the second half is also scanned for a key
that would make the halves read otherwise than the page (`read_page_half`)."""
# A key that decodes to `events` spelt with escapes (`"\u0065vents"`).
_ESCAPED_LETTER = rb"\\u00(?:7[346]|6[5eE])"


def page_cut(data: bytes) -> tuple[int, int] | None:
    """Where to read `data`, a page of `filter-log-events`, in two halves: the end of an event
    past the middle and the start of the next one, or None when no such place is found."""
    match = _bytes_pattern(_BETWEEN_EVENTS).search(data, int(len(data) * _FIRST_HALF))
    return None if match is None else (match.start() + 1, match.start(1))


@dataclass(slots=True)
class PageHalf:
    """The events of one half of a page cut by `page_cut`, as `_plain_page` reads them: the
    columns `bulk` needs, in the page's order, which is their time order."""

    streams: list[str]
    timestamps: list[int]
    messages: list[str]
    id_hashes: list[int]
    """`hash` of each event id: the halves' are compared for an event repeated (a fork keeps
    the hash's seed, so the two processes' hashes of one id are the same)."""

    def __len__(self) -> int:
        return len(self.messages)

    def ids_unique(self) -> bool:
        """No event id twice in this half (or two ids' hashes alike: read whole, to be sure)."""
        return len(set(self.id_hashes)) == len(self)

    def joins(self, second_first_ms: int, second_hashes: Iterable[int], head: list[str]) -> bool:
        """Whether this half (the first) and the second, known by its first time, its event
        ids' hashes and its first messages, are the page as `_plain_page` reads it: no event
        repeated, the second's after the first's, and not an API Gateway execution log."""
        hashes = set(self.id_hashes)
        return (
            len(hashes) == len(self)  # as `ids_unique`, with the set kept
            and self.timestamps[-1] <= second_first_ms
            and hashes.isdisjoint(second_hashes)
            and not is_execution_log((self.messages[:400] + head)[:400])
        )


def read_page_half(data: bytes, cut: tuple[int, int], second: bool) -> PageHalf | None:
    """The first or `second` half of `data` cut at `cut` (`page_cut`), as `_plain_page` reads
    the events of the page there; None when the half would not read as that: not a plain page
    (`_plain_page`), events that `_finish_columns` would sort, repeat or date, the second half
    holding an `events` key (the last one is the page's), or none of them."""
    if _bytes_pattern(_OPENS_OBJECT).match(data) is None:
        return None
    import msgspec

    view = memoryview(data)
    try:
        if second:
            tail = view[cut[1] :]
            # The page's events are its last `events` key's: one past the cut would be them.
            escaped = _bytes_pattern(_ESCAPED_LETTER).search(data, cut[1])
            if escaped is not None or data.find(b'"events"', cut[1]) >= 0:
                return None
            events = _page_decoder().decode(b"".join((b'{"events":[', tail))).events
        else:
            events = _first_half_decoder().decode(b"".join((view[: cut[0]], b"]}"))).events
    except msgspec.DecodeError:
        return None
    if not events:
        return None
    messages, timestamps, streams, event_ids, _ = _EVENT_FIELDS
    columns = _event_columns(
        list(map(messages, events)),
        list(map(timestamps, events)),
        list(map(streams, events)),
        [],
        [],
    )
    stamps = columns.timestamps
    if stamps[0] < 0 or stamps != sorted(stamps):
        return None
    hashes = list(map(hash, map(event_ids, events)))
    return PageHalf(columns.streams, stamps, columns.messages, hashes)


@cache
def _first_half_decoder() -> Any:
    """The first half of a page, closed after its last event: `events` and nothing else (the
    page's other keys come after its events, in the second half)."""
    import msgspec

    page = msgspec.defstruct(
        "FirstHalf",
        [("events", list[_plain_event()])],  # type: ignore[misc]
        forbid_unknown_fields=True,
        gc=False,
    )
    return msgspec.json.Decoder(page)


@cache
def _plain_event() -> Any:
    """msgspec's type of an event with exactly `_PLAIN_KEYS`, of their JSON types (an integer
    that is not a boolean, a string): anything else fails to decode."""
    import msgspec

    # Not tracked by the cyclic collector: hundreds of thousands of them, none in a cycle.
    return msgspec.defstruct(
        "PlainEvent",
        [
            ("logStreamName", str),
            ("timestamp", int),
            ("message", str),
            ("ingestionTime", int),
            ("eventId", str),
        ],
        forbid_unknown_fields=True,
        gc=False,
    )


@cache
def _page_decoder() -> Any:
    """msgspec's decoder of a page whose events are all plain (`_plain_event`)."""
    import msgspec

    # What else `filter-log-events` prints beside its events is left undecoded; any other key
    # (`awslogs`, `records`, `results`...) makes another shape.
    page = msgspec.defstruct(
        "Page",
        [
            ("events", list[_plain_event()]),  # type: ignore[misc]
            ("searchedLogStreams", msgspec.Raw, msgspec.Raw()),
            ("nextToken", msgspec.Raw, msgspec.Raw()),
        ],
        forbid_unknown_fields=True,
        gc=False,
    )
    return msgspec.json.Decoder(page)


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


def _is_queried_event(item: Any) -> bool:
    """A message, or a list of one message and numbers (its time, its ingestion time)."""
    if isinstance(item, str):
        return True
    return (
        isinstance(item, list)
        and sum(isinstance(value, str) for value in item) == 1
        and all(isinstance(value, str | int) and not isinstance(value, bool) for value in item)
    )


def _queried_event(item: str | list[str | int]) -> dict[str, Any]:
    """The event a `--query`'s answer kept: its message, and the first number as its time."""
    if isinstance(item, str):
        return {"message": item}
    message = next(value for value in item if isinstance(value, str))
    stamp = next((value for value in item if isinstance(value, int)), None)
    return {"message": message, "timestamp": stamp}


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
    group = item.get("@log")  # a CSV download's `123456789012:/aws/lambda/name`
    if isinstance(group, str) and group and not out.saw_group(group.split(":", 1)[-1]):
        return
    message = item.get("message")
    if not isinstance(message, str):
        message = json.dumps(message) if message is not None else ""
    stamp = _item_time(item)
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
    if item.get("messageType") == "CONTROL_MESSAGE":
        return  # CloudWatch's check that the destination is reachable: no function's logs
    group = item.get("logGroup")
    events = item.get("logEvents") or []
    size = len(events) if isinstance(events, list) else 1
    if isinstance(group, str) and group and not out.saw_group(group, size):
        return
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


def _from_lines(text: str, group: str | None) -> ExportedLogs:
    lines = [_uncoloured(line) for line in _split_lines(text) if line.strip()]
    lines = _serverless_lines(lines)
    if lines and lines[0].startswith("EVENTS\t"):
        return _from_cli_text(lines, group)
    table = _table_rows(lines)
    if table is not None:
        return _from_parsed_document(table, "table", group)
    if _STAMP_LINE.fullmatch(lines[0] if lines else ""):
        return _from_console_copy(lines, group)
    if is_execution_log(lines):
        return _from_execution_log(lines, group)
    envelope = _detect_envelope(lines)
    out = ExportedLogs("jsonl" if lines and lines[0].lstrip().startswith("{") else "text", group)
    wrapped = _wraps_lambda_lines(_json_objects(lines))
    # Each event's lines, joined once at the end: a traceback of 40,000 frames is 40,000
    # continuation lines, and joining each to the growing message would copy it every time.
    messages: list[tuple[list[str], str, int | None]] = []
    skipping = False  # the lines of an event of a log group not kept
    depth = 0  # the braces still open of a pretty-printed document being gathered
    for number, line in enumerate(lines, start=1):
        stripped = line.lstrip()
        if depth > 0 and envelope is None:
            if _PLATFORM_HEAD.match(stripped) is None and len(messages[-1][0]) < _MAX_DOCUMENT:
                messages[-1][0].append(line)
                depth = max(0, depth + _brace_balance(line))
                continue
            depth = 0  # cut short: what follows is the log again
        if stripped.startswith("{"):
            item = _json_line(stripped, number, wrapped)
            if item is not None:
                if isinstance(item.get("logEvents"), list):
                    _add_subscription(out, item)
                else:
                    _add_envelope(out, item)
                continue
        if envelope is None and (balance := _opens_document(stripped)) > 0:
            # A document printed over lines (a runtime's error object, a driver's error): one
            # event, with the line before when that one ends where the document begins, or
            # when it opens on the last frame of that one's stack (an error's own properties).
            if messages and (
                _document_continues(stripped, messages[-1][0])
                or _continues(line.rstrip().removesuffix("{").rstrip(), messages[-1][0])
            ):
                messages[-1][0].append(line)
            else:
                messages.append(([line], "", None))
            depth = balance
            continue
        if envelope is not None:
            match = envelope.fullmatch(line) or _indented_match(envelope, line)
            if match is not None:
                enveloped = _enveloped(match, out)
                skipping = enveloped is None
                if enveloped is not None:
                    first, stream, stamp = enveloped
                    messages.append(([first], stream, stamp))
                continue
            if not skipping:
                if messages and _STANDALONE.match(line) is None:
                    # An untagged line continues the previous event's message (a traceback's
                    # frames); one of Lambda's own is an event that lost its prefix in a paste.
                    if envelope is _LAMBDATOP_TAIL:
                        line = line.removeprefix(_LAMBDATOP_TAIL_INDENT)
                    messages[-1][0].append(line)
                    continue
                # Of the environment the line before was from, as far as anything says.
                messages.append(([line], messages[-1][1] if messages else "", None))
        elif messages and _continues(line, messages[-1][0]):
            messages[-1][0].append(line)  # a stack frame the paste put on a line of its own
        else:
            messages.append(([line], "", None))
    for parts, stream, stamp in messages:
        message = _rejoined_json("\n".join(parts))
        parsed = parse(message)
        if stamp is None:
            stamp = parsed.timestamp_ms
        out.events.append(
            LogEvent(
                timestamp_ms=stamp if stamp is not None else -1, message=message, stream=stream
            )
        )
        out.parsed.append(parsed)
    if envelope is _LAMBDATOP_TAIL:
        _date_times_of_day(out)
    if any(p is None for p in out.parsed):
        return _finish(out)
    _fill_times(out)
    return out


# `serverless logs` (the Serverless Framework, v4) rewrites Lambda's lines: "RequestId:"
# becomes "-", REPORT's fields go to the next line, an application line's time (local, to the
# millisecond), request id and level go on a line before its text
# (lib/plugins/aws/utils/format-lambda-log-event.js).
_SLS_PLATFORM = LazyPattern(
    r"(?P<kind>START|END|REPORT) - (?P<rid>[0-9a-f]{8}(?:-[0-9a-f]{4}){3}-[0-9a-f]{12})"
    r"(?: - (?P<rest>Version: .*))?"
)
_SLS_APP_HEAD = LazyPattern(
    r"(?P<time>\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{3}) - "
    r"(?P<rid>[0-9a-f]{8}(?:-[0-9a-f]{4}){3}-[0-9a-f]{12}) - (?P<level>.*)"
)
_SLS_V3 = LazyPattern(r"END Duration: [\d.]+ ms\b.*")
_TAB = "\t"


def _serverless_lines(lines: list[str]) -> list[str]:
    """Lambda's own lines back from what `serverless logs` printed of them; refused when the
    Serverless Framework dropped the request ids (v3's `START`, `END Duration: ...`)."""
    if not any(_SLS_PLATFORM.fullmatch(line) for line in lines[:400]):
        if "START" in lines[:400] and any(_SLS_V3.fullmatch(line) for line in lines[:400]):
            raise ExportError(
                "`serverless logs` of Serverless Framework v3 drops the request ids: export "
                "with `aws logs filter-log-events --log-group-name /aws/lambda/NAME` instead"
            )
        return lines
    restored: list[str] = []
    for line in lines:
        platform = _SLS_PLATFORM.fullmatch(line)
        head = _SLS_APP_HEAD.fullmatch(line) if platform is None else None
        if platform is not None:
            kind, rid = platform["kind"], platform["rid"]
            if kind == "START":
                restored.append(f"START RequestId: {rid} {platform['rest'] or ''}".rstrip())
            else:
                restored.append(f"{kind} RequestId: {rid}")
        elif head is not None:
            level = head["level"].strip()
            time = head["time"].replace(" ", "T")
            restored.append("\t".join([time, head["rid"], *([level] if level else []), ""]))
        elif restored and _sls_continued(restored[-1], line):
            restored[-1] = f"{restored[-1].removesuffix(_TAB)}\t{line}"
        else:
            restored.append(line)
    return restored


def _sls_continued(before: str, line: str) -> bool:
    """Whether `line` is the rest of the line before: an application line's text after its
    head, REPORT's fields after its request id."""
    if before.endswith(_TAB):
        return True
    return before.startswith("REPORT RequestId: ") and line.startswith("Duration: ")


def _uncoloured(line: str) -> str:
    """A line without the colours `aws logs tail --color on` or `sam logs` put around its
    prefix (which would hide it), nor any other escape sequence."""
    return clean(line) if "\x1b" in line or "\x9b" in line else line


def _enveloped(match: re.Match[str], out: ExportedLogs) -> tuple[str, str, int | None] | None:
    """The message, stream and time (epoch ms, or ms of the day for `lambdatop tail`) of a
    prefixed line, or None for a log group not kept: `awslogs get` names the log group."""
    groups = match.groupdict()
    group = groups.get("group")
    if group is not None and not out.saw_group(group):
        return None
    if groups.get("tod") is not None:
        hours, minutes, seconds = groups["tod"].split(":")
        stamp: int | None = round((int(hours) * 3600 + int(minutes) * 60 + float(seconds)) * 1000)
    else:
        stamp = to_epoch_ms(groups["ts"]) if groups.get("ts") else None
    return groups["msg"], groups.get("stream") or "", stamp


_DAY_MS = 86_400_000


def _date_times_of_day(out: ExportedLogs) -> None:
    """`lambdatop tail` prints the time of day only: the date comes from the first message
    that carries its own timestamp (a runtime's line), and moves on at each midnight."""
    day = next(
        (
            round((parsed.timestamp_ms - event.timestamp_ms) / _DAY_MS) * _DAY_MS
            for event, parsed in zip(out.events, out.parsed, strict=True)
            if parsed is not None and parsed.timestamp_ms is not None and event.timestamp_ms >= 0
        ),
        0,
    )
    previous = None
    for event in out.events:
        if event.timestamp_ms < 0:
            continue
        stamp = day + event.timestamp_ms
        if previous is not None and stamp < previous - _DAY_MS // 2:
            day += _DAY_MS
            stamp += _DAY_MS
        event.timestamp_ms = previous = stamp


def _rejoined_json(message: str) -> str:
    """A JSON document pretty-printed over several lines back on one line, as Lambda wrote it:
    a JSON-format event the exporting tool spread out (`aws logs tail --format json`, `sam
    logs`), or an error object after its message (`ERROR\tInvoke Error \t{...}`,
    `Critical exception from handler {...}`); else the message as it is."""
    if "\n" not in message:
        return message
    start = message.find("{")
    if start < 0 or (start and message[start - 1] not in " \t\n"):
        return message
    try:
        document = json.loads(message[start:])
    except (ValueError, RecursionError):
        document = _shown_twice(message[start:]) if start == 0 else None
    if not isinstance(document, dict):
        return message
    compact = json.dumps(document, ensure_ascii=False, separators=(",", ":"))
    head = message[:start]
    kept = head.rstrip("\n")
    if kept and len(kept) < len(head) and kept[-1] not in " \t":
        kept += "\t"  # the line break parted the document from a request id: a field apart
    return kept + compact


def _shown_twice(text: str) -> Any:
    """The one document of an event the console copies twice (a JSON-format log's event
    pretty-printed, then as it was written, on one line), else None."""
    decoder = json.JSONDecoder()
    try:
        first, end = decoder.raw_decode(text)
        rest = text[end:].lstrip()
        second, after = decoder.raw_decode(rest)
    except (ValueError, RecursionError):
        return None
    return first if first == second and not rest[after:].strip() else None


def _json_line(line: str, number: int, wrapped: bool = False) -> dict[str, Any] | None:
    """An event envelope or subscription record on one line (or, in a file of another tool's
    events around Lambda's lines, such an event), else None (a JSON log line)."""
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
    if wrapped and isinstance(item.get("message"), str):
        return item
    return None


def _json_objects(lines: list[str]) -> list[Any]:
    """The JSON objects among the first lines (for a look at what kind of events they are)."""
    objects: list[Any] = []
    for line in lines[:400]:
        stripped = line.lstrip()
        if stripped.startswith("{"):
            try:
                objects.append(json.loads(stripped))
            except ValueError:
                continue
    return objects


_MAX_DOCUMENT = 10_000
"""The most lines a document printed over lines is gathered into one event."""


def _brace_balance(line: str) -> int:
    """Braces opened minus closed on a line, those inside JSON strings aside."""
    balance = 0
    quoted = escaped = False
    for char in line:
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = quoted
        elif char == '"':
            quoted = not quoted
        elif not quoted:
            if char == "{":
                balance += 1
            elif char == "}":
                balance -= 1
    return balance


def _opens_document(stripped: str) -> int:
    """How many braces a line leaves open when it begins a document printed over lines (`{`
    alone, or a message ending in `{`: `Critical exception from handler {`; or an error as
    Node.js's inspect prints it, its first line opening it: `{ Error: socket hang up`), else 0."""
    if not stripped.rstrip().endswith("{") and _INSPECTED_ERROR.match(stripped) is None:
        return 0
    return max(0, _brace_balance(stripped))


_INSPECTED_ERROR = LazyPattern(r"\{ (?:[A-Z][\w$.]*)?(?:Error|Exception)\b")


# The CloudWatch console's plain copy: each event's time on a line of its own (ISO-8601 with
# its offset, or the time of day), then the event's lines.
_STAMP_LINE = LazyPattern(rf"\s*(?:{_ISO}|\d{{1,2}}:\d{{2}}:\d{{2}}(?:\.\d+)?)\s*")


def _from_console_copy(lines: list[str], group: str | None) -> ExportedLogs:
    """Lines as the console copies them: a time line, then its event's lines. A time of day
    alone says no date: such events keep the time their messages carry, if any."""
    out = ExportedLogs("text", group)
    events: list[tuple[int | None, list[str]]] = []
    for line in lines:
        if _STAMP_LINE.fullmatch(line):
            events.append((to_epoch_ms(line.strip()), []))
        else:
            events[-1][1].append(line)
    for stamp, body in events:
        if not body:
            continue
        message = _rejoined_json("\n".join(body))
        parsed = parse(message)
        if stamp is None:
            stamp = parsed.timestamp_ms
        out.events.append(LogEvent(stamp if stamp is not None else -1, message))
        out.parsed.append(parsed)
    return _finish(out)


_EVENT_FORMS = frozenset(("json", "jsonl", "subscription", "csv", "table"))
"""Forms whose events' messages may be an execution log's lines (its log group exported)."""


def _holds_execution_log(out: ExportedLogs) -> bool:
    """Whether an export's events are API Gateway's execution log (a few hundred looked at)."""
    if out.log_group is not None and not out.log_group.startswith("API-Gateway-Execution-Logs"):
        return False
    if out.columns is not None:
        return is_execution_log(out.columns.messages[:400])
    return is_execution_log([event.message for event in out.events[:400]])


def _messages_and_times(out: ExportedLogs) -> tuple[list[str], list[int] | None]:
    _, times, messages, _ = out.as_columns()
    return list(messages), (list(times) if out.has_time else None)


def _from_execution_log(
    lines: list[str], group: str | None, times: list[int] | None = None
) -> ExportedLogs:
    """API Gateway's execution log: what it says of each request, and as the function's events
    the error documents it answered with (verbatim: the function's own words)."""
    out = ExportedLogs("apigateway", group)
    log = out.api_log = read_execution_log(lines, times)
    if log.function:
        out.saw_group(f"/aws/lambda/{log.function}")
    for request in log.requests:
        if request.body is not None and request.error_type is not None:
            at = request.started_ms
            out.events.append(LogEvent(timestamp_ms=-1 if at is None else at, message=request.body))
            out.parsed.append(None)
    return _finish(out)


# An event's prefix indented (a Markdown code block, a pasted block kept in a test's source):
# an ISO time opens the event still, where a continuation line opens with no time.
_INDENTED_STAMP = LazyPattern(rf"[ \t]+\[?{_ISO}[ \t]")


def _indented_match(envelope: LazyPattern, line: str) -> re.Match[str] | None:
    """The prefix of an indented line that opens with a time, or None."""
    if envelope is _LAMBDATOP_TAIL or _INDENTED_STAMP.match(line) is None:
        return None
    return envelope.fullmatch(line.lstrip())


def _detect_envelope(lines: list[str]) -> LazyPattern | None:
    """The prefix a tool put on every line, if one fits nearly all of a sample."""
    # Lines a tool prints without its prefix continue the event before: an indented stack
    # frame, a REPORT line's XRAY line, a traceback's first and last lines. Most lines fit.
    # So do the closing braces of a JSON event the tool pretty-printed.
    sample = [
        line.lstrip() if _INDENTED_STAMP.match(line) else line
        for line in lines[:400]
        if (not line[:1].isspace() or _INDENTED_STAMP.match(line))
        and not line.startswith(("XRAY ", "}"))
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
        platform = sum(1 for match in fitting if _is_platform_head(match.group("msg")))
        raw_platform = sum(1 for line in sample if _PLATFORM_HEAD.match(line))
        if platform > 0 and raw_platform == 0:
            return pattern
    return None


# Lines Lambda writes as events of their own: its platform lines, and what it says when the
# runtime dies or the invocation runs out of time.
_STANDALONE = LazyPattern(
    r"(?:START|END|REPORT) RequestId: |INIT_(?:START|REPORT) |RESTORE_(?:START|REPORT) "
    r"|(?:RequestId: \S+ )?(?:Error:? )?(?:Runtime exited with error|Process exited before "
    r"completing request|Task timed out after)|Unknown application error occurred"
)


# The lines of a stack trace, which never begin an event: an indented frame (Node.js's and
# Java's `at ...(File.java:12)`, .NET's `at ... in file:line 12`, Python's `File "...", line 3`,
# Ruby's `from app.rb:3:in`, Go's `\t/var/task/main.go:12 +0x1d`), Java's `... 9 more` and
# `Caused by:`, and Python's `Traceback (most recent call last):`.
_FRAME = LazyPattern(
    r"[ \t]+(?:at \S.*(?:\)|:(?:line )?\d+)|File \"[^\"]*\", line \d+.*|from \S+:\d+:in .*"
    r"|\.\.\. \d+ (?:more|common frames omitted))\s*|\t\S+\.go:\d+.*"
    r"|Caused by: .*|Traceback \(most recent call last\):\s*"
)
_TRACE_HEADS = ("Caused by: ", "Traceback (most recent call last):")
# A report of Lambda's wrapped over lines (by a note's author, or a console copy cutting it
# at its tabs): its head, and the lines after it that start with one of its own fields.
_REPORT_HEADS = frozenset("RIT")
_REPORT_HEAD = LazyPattern(r"(?:REPORT RequestId: \S+|(?:INIT|RESTORE)_REPORT )")
_REPORT_WRAPPED = LazyPattern(
    r"[ \t]*(?:Duration|Billed Duration|Memory Size|Max Memory Used|Init Duration"
    r"|Restore Duration|Billed Restore Duration|Status|Error Type|Phase|XRAY TraceId): "
)
_PYTHON_FRAME = LazyPattern(r"[ \t]+File \"")
# The exception a Python traceback ends with, after its frames: `KeyError: 'order_id'`.
_PYTHON_TRACE_END = LazyPattern(r"[\w.]*(?:Error|Exception|Exit|Interrupt|Warning)\b.*")


def _continues(line: str, parts: list[str]) -> bool:
    """Whether a line of a file without a tool's prefix continues the event before it (whose
    lines are `parts`): a stack frame printed on a line of its own, as a paste from the
    console or a runtime writing each line apart leaves it; a platform report's fields, when
    a note or a console copy wrapped it. A platform line takes nothing else."""
    last = parts[-1]
    if parts[0][:1] in _REPORT_HEADS and _REPORT_WRAPPED.match(line) is not None:
        return _REPORT_HEAD.match(parts[0]) is not None
    indented = line[:1] in " \t"
    if not indented and last[:1] not in " \t" and not line.startswith(_TRACE_HEADS):
        return False  # most lines: said here, before any pattern is tried
    if _STANDALONE.match(parts[0]) is not None or _PLATFORM_HEAD.match(parts[0]) is not None:
        return False
    if _FRAME.fullmatch(line) is not None:
        return True
    if indented:
        return _PYTHON_FRAME.match(last) is not None  # the source line Python prints under
    return _PYTHON_TRACE_END.fullmatch(line) is not None and any(
        _PYTHON_FRAME.match(part) is not None for part in parts[-2:]
    )


# Lambda's text layout of a function's line: `<time>\t<request id>` (Node.js and the runtimes
# that write as it does), `[LEVEL]\t<time>\t<request id>` (Python's logging).
_RID_PREFIXED = LazyPattern(
    rf"(?:\[[A-Z]+\]\t)?{_ISO}\t[0-9a-fA-F]{{8}}(?:-[0-9a-fA-F]{{4}}){{3}}-[0-9a-fA-F]{{12}}"
    r"(?:\t|$)"
)


def _document_continues(line: str, parts: list[str]) -> bool:
    """Whether a document printed over lines, which `line` begins, continues the event before
    it (whose lines are `parts`): a runtime's error document after the message it belongs to
    (`Invoke Error \t`, a line ending in a tab), or after a line of Lambda's `<time>\t<request
    id>` layout, which every event of it begins with, the document's lines without it."""
    if line == "{" and parts[-1].endswith("\t"):
        return True
    return _RID_PREFIXED.match(parts[0]) is not None and _RID_PREFIXED.match(line) is None


def _is_platform_head(message: str) -> bool:
    """Lambda's platform line, or the first line of a JSON event a tool pretty-printed."""
    return _PLATFORM_HEAD.match(message) is not None or message.rstrip() == "{"


# The timestamp that ends an EVENTS row: epoch milliseconds after a tab, or alone on its line
# when the message ended with a newline (as Lambda's do).
_CLI_ROW_END = LazyPattern(r"(?:^|\t)\d{12,16}$")
_CLI_TIME = LazyPattern(r"(?:\t|(?<=\n))(?P<ts>\d{12,16})\Z")


def _from_cli_text(lines: list[str], group: str | None) -> ExportedLogs:
    """`aws logs filter-log-events --output text`: EVENTS, id, ingestion, stream, message, time.
    A message's newlines are printed as they are, so a row runs over lines until its time."""
    out = ExportedLogs("text", group)
    row: list[str] = []
    for line in lines:
        if line.startswith("EVENTS\t"):
            if row:
                _add_cli_row(out, "\n".join(row))  # no time: a truncated row
            row = [line]
        elif not row:
            continue  # SEARCHEDLOGSTREAMS, NEXTTOKEN: not events
        else:
            row.append(line)
        if _CLI_ROW_END.search(line) and (len(row) > 1 or line.count("\t") >= 5):
            _add_cli_row(out, "\n".join(row))
            row = []
    if row:
        _add_cli_row(out, "\n".join(row))
    return _finish(out)


def _add_cli_row(out: ExportedLogs, row: str) -> None:
    fields = row.split("\t", 4)
    if len(fields) < 5:
        return  # not even a message: nothing to read
    _, event_id, ingestion, stream, rest = fields
    time = _CLI_TIME.search(rest)
    message = rest[: time.start()] if time is not None else rest
    out.events.append(
        LogEvent(
            timestamp_ms=int(time.group("ts")) if time is not None else -1,
            message=message,
            stream=stream,
            event_id=event_id,
            ingestion_ms=to_epoch_ms(ingestion),
        )
    )
    out.parsed.append(None)
