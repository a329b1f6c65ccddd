"""The log pipeline: parse, attribute to an invocation, and keep what the diagnosis needs.

Every line of a live tail and of an exported file goes through `LogPipeline.ingest`. It keeps
bounded memory: invocations, and for each error family the most recent lines that showed it.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace

from lambdatop.core.invocations import InvocationTracker
from lambdatop.core.parse import (
    API_ID_KEY,
    BATCH_RESPONSE,
    api_event,
    names_a_record,
    parse,
    record_keys,
)
from lambdatop.core.records import (
    Classification,
    ErrorFamily,
    Level,
    LineKind,
    LogEvent,
    LogRecord,
    ParsedLine,
)

# Read on every line: an enum member read from its class costs more than a global.
_ERROR = Level.ERROR
_FATAL = Level.FATAL
_LOGS_DROPPED = LineKind.LOGS_DROPPED
_REPORT = LineKind.REPORT
_APP = LineKind.APP
_EXTENSION = LineKind.EXTENSION
_RECORD_SCAN = 20_000
"""How far into a line record ids are looked for (a printed batch of 10 SQS messages)."""
_SQS_CONTEXT = re.compile(r"(?i)sqs|receive_?count|receipt_?handle|queue|batch")
"""Words by which a line naming a messageId shows it is about a queue's message."""
_MAX_RECORDS = 200_000
_MAX_NAMING = 100
_MAX_APIS = 20
"""APIs (and stages) kept of the API Gateway events lines quote: enough to name them."""


def _made_for(finding: Finding, made: dict[str, tuple[str, int | None]]) -> str | None:
    """The invocation `InvocationTracker.close` made for the failed init that logged it."""
    request_id, since = made.get(finding.stream, (None, None))
    if request_id is None or (since is not None and finding.timestamp_ms < since):
        return None
    return request_id


@dataclass(slots=True, frozen=True)
class Finding:
    """A line that matters to the diagnosis: an error family, an unhandled error, dropped logs."""

    timestamp_ms: int
    stream: str
    request_id: str | None
    line: ParsedLine

    @property
    def classification(self) -> Classification | None:
        return self.line.classification


class LogPipeline:
    """Parses and groups log events, keeping a bounded record of what went wrong."""

    def __init__(
        self, max_invocations: int = 50_000, max_findings: int = 5_000, max_streams: int = 5_000
    ) -> None:
        self.tracker = InvocationTracker(max_invocations=max_invocations, max_streams=max_streams)
        self.findings: dict[ErrorFamily, deque[Finding]] = {
            family: deque(maxlen=max_findings) for family in ErrorFamily
        }
        self.failures: deque[Finding] = deque(maxlen=max_findings)
        """Lines that report an invocation failed (unhandled errors, crashes, timeouts)."""
        self.dropped: deque[Finding] = deque(maxlen=max_findings)
        """`platform.logsDropped` events: Lambda could not ship every line."""
        self.extensions: deque[Finding] = deque(maxlen=max_findings)
        """Lambda's `EXTENSION Name: x State: y Events: [...]` lines: the extensions (layers)
        each environment started, by name, and how each one's init went."""
        self.batch_responses: deque[Finding] = deque(maxlen=max_findings)
        """Lines holding a partial batch response (`batchItemFailures`), at any level: the
        records the function handed back to its event source as failed."""
        self.errors: deque[Finding] = deque(maxlen=max_findings)
        """Lines at ERROR or FATAL level that no family claims and that did not end their
        invocation: errors the function logged, perhaps handled."""
        self.json_logs = False
        """A REPORT came as a JSON `platform.report` event: the function uses the JSON log
        format (searches for its REPORT fields are written differently)."""
        self.records: dict[str, set[str]] = {}
        """Event source records (SQS message ids, stream sequence numbers) named in lines, and
        the invocations that named each: one in many failed invocations is a poison message."""
        self.api_events: set[tuple[str, str | None]] = set()
        """The API Gateway APIs (id, stage) whose events lines quote (`parse.api_event`), at
        any level: an API invokes the function, and gives up on it at 29 s."""
        self.lines = 0
        self.error_lines = 0
        self.first_ms: int | None = None
        self.last_ms: int | None = None

    def ingest(self, event: LogEvent) -> LogRecord:
        line = parse(event.message)
        return self.ingest_parsed(event, line)

    def ingest_parsed(self, event: LogEvent, line: ParsedLine) -> LogRecord:
        request_id = self.ingest_line(event.stream, event.timestamp_ms, line)
        return LogRecord(event=event, line=line, request_id=request_id)

    def ingest_line(self, stream: str, timestamp: int, line: ParsedLine) -> str | None:
        """`ingest_parsed` for an event known by its stream and time alone (no record built);
        returns the request id the line was attributed to."""
        self.lines += 1
        first = self.first_ms
        if first is None or timestamp < first:
            self.first_ms = timestamp
        last = self.last_ms
        if last is None or timestamp > last:
            self.last_ms = timestamp
        request_id = self.tracker.add_line(stream, timestamp, line)
        if line.kind is _REPORT and not self.json_logs and line.text[:1] == "{":
            self.json_logs = True
        level = line.level
        error = level is _ERROR or level is _FATAL
        if error:
            self.error_lines += 1
        kind = line.kind
        if (
            error
            or line.classification is not None
            or line.unhandled
            or kind is _LOGS_DROPPED
            or kind is _EXTENSION
            or (kind is _APP and BATCH_RESPONSE in line.text)
        ):
            self.record(Finding(timestamp, stream, request_id, line))
        if kind is _APP:
            text = line.text
            if request_id is not None and names_a_record(text):
                self._note_records(text, request_id)
            if API_ID_KEY in text:
                self._note_api(text)
        return request_id

    def _note_api(self, text: str) -> None:
        seen = api_event(text, _RECORD_SCAN)
        if seen is not None and len(self.api_events) < _MAX_APIS:
            self.api_events.add(seen)

    def _note_records(self, text: str, request_id: str) -> None:
        records = self.records
        for key in record_keys(text, _RECORD_SCAN):
            if key.startswith("messageid=") and not _SQS_CONTEXT.search(text, 0, _RECORD_SCAN):
                continue  # a UUID named messageId (an idempotency key) is no queue's message
            named = records.get(key)
            if named is None:
                if len(records) >= _MAX_RECORDS:
                    continue
                named = records[key] = set()
            if len(named) < _MAX_NAMING:
                named.add(request_id)

    def record(self, finding: Finding) -> None:
        """Keep a line that matters to the diagnosis where the checks look for it."""
        line = finding.line
        if line.classification is not None:
            self.findings[line.classification.family].append(finding)
        if line.unhandled:
            self.failures.append(finding)
        kind = line.kind
        if kind is _EXTENSION:
            self.extensions.append(finding)
        elif kind is _APP and BATCH_RESPONSE in line.text:
            self.batch_responses.append(finding)
        if kind is _LOGS_DROPPED:
            self.dropped.append(finding)
        elif line.classification is None and not line.unhandled:
            level = line.level
            if level is _ERROR or level is _FATAL:
                self.errors.append(finding)

    def count_quiet(self, lines: int, first_ms: int, last_ms: int) -> None:
        """Count lines left unparsed because they could change nothing else: each one vouched
        for by `parse.quiet_request_id`, and of the request running in its stream (as
        `tracker.running` said when its turn came). `first_ms` and `last_ms` bound their times."""
        self.lines += lines
        if self.first_ms is None or first_ms < self.first_ms:
            self.first_ms = first_ms
        if self.last_ms is None or last_ms > self.last_ms:
            self.last_ms = last_ms

    def ingest_all(self, events: Iterable[LogEvent]) -> None:
        ingest = self.ingest
        for event in events:
            ingest(event)

    def close(self) -> None:
        """All the lines are in (an export read to its end): see `InvocationTracker.close`. The
        lines of an init that failed with no request after it are the invocation made for it."""
        made = self.tracker.close()
        if made:
            self.reattribute(lambda finding: _made_for(finding, made))

    def kept_lines(self) -> tuple[deque[Finding], ...]:
        """Every list of lines kept for the diagnosis, each in the log's order: what the store
        trims as its window slides, and what `reattribute` goes through."""
        return (
            *self.findings.values(),
            self.failures,
            self.dropped,
            self.errors,
            self.extensions,
            self.batch_responses,
        )

    def reattribute(self, owner: Callable[[Finding], str | None]) -> None:
        """Give each finding attributed to no invocation the one `owner` names, if any."""
        for found in self.kept_lines():
            for index, finding in enumerate(found):
                if finding.request_id is None and (request_id := owner(finding)) is not None:
                    found[index] = replace(finding, request_id=request_id)
