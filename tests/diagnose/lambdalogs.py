"""Realistic Lambda logs for tests: the lines Lambda and the runtimes write, invocation by
invocation, in the text or JSON log format, and the Evidence the real pipeline makes of them.

Shared by tests/diagnose and tests/cli (tests/conftest.py puts this folder on sys.path).
"""

from __future__ import annotations

import base64
import gzip
import json
import random
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from lambdatop.core.pipeline import LogPipeline
from lambdatop.core.records import LogEvent, MetricSeries
from lambdatop.diagnose.evidence import Evidence, from_pipeline

FUNCTION = "checkout-api"
REGION = "eu-west-1"
LOG_GROUP = f"/aws/lambda/{FUNCTION}"
T0 = 1_772_442_895_120
"""2026-03-02T09:14:55.120Z."""
ROLE_ARN = "arn:aws:iam::123456789012:role/checkout-api-role"


def iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, tz=UTC).isoformat(timespec="milliseconds")[:-6] + "Z"


@dataclass
class Logs:
    """A log group being written: streams (execution environments) and their events."""

    function: str = FUNCTION
    start_ms: int = T0
    json_format: bool = False
    """`LoggingConfig.LogFormat: JSON`: platform events as `platform.*` objects."""
    seed: int = 7
    version: str = "$LATEST"
    """The version START lines name (a deploy changes it between invocations)."""
    events: list[LogEvent] = field(default_factory=list)
    clock_ms: int = 0
    _rng: random.Random = field(init=False)
    _ids: int = 0

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)
        self.clock_ms = self.start_ms

    # --- identities -----------------------------------------------------------------------------

    def stream(self, version: str = "$LATEST") -> str:
        """A new execution environment's log stream."""
        day = datetime.fromtimestamp(self.clock_ms / 1000, tz=UTC).strftime("%Y/%m/%d")
        return f"{day}/[{version}]{self._rng.getrandbits(128):032x}"

    def request_id(self) -> str:
        value = f"{self._rng.getrandbits(128):032x}"
        return f"{value[:8]}-{value[8:12]}-4{value[13:16]}-a{value[17:20]}-{value[20:]}"

    def emit(self, stream: str, at_ms: int, message: str) -> None:
        self._ids += 1
        self.events.append(
            LogEvent(
                timestamp_ms=at_ms,
                message=message,
                stream=stream,
                event_id=f"{at_ms:020d}{self._ids:016d}",
                ingestion_ms=at_ms + 900,
            )
        )

    # --- one invocation -------------------------------------------------------------------------

    def invoke(
        self,
        stream: str,
        *,
        duration_ms: float = 85.0,
        memory_mb: int = 512,
        used_mb: int = 96,
        init_ms: float | None = None,
        restore_ms: float | None = None,
        app: Sequence[str] = (),
        timeout_s: float | None = None,
        status: str | None = None,
        error_type: str | None = None,
        gap_ms: int = 1_000,
        request_id: str | None = None,
        report: bool = True,
        legacy: bool = False,
        handler_ms: float | None = None,
    ) -> str:
        """One request in `stream`: (init), START, the application's lines, (timeout), END, REPORT.

        `app` lines may hold `{rid}` and `{ts}`, filled with this request's id and a timestamp.
        `timeout_s` writes Lambda's `Task timed out` line (the duration becomes the timeout).
        `status`/`error_type` go on the REPORT line as newer logs write them; `legacy` leaves
        them off, as older logs do.
        """
        rid = request_id or self.request_id()
        at = self.clock_ms
        if init_ms is not None:
            self._init(stream, at - int(init_ms) - 5, init_ms)
        if restore_ms is not None:
            self._restore(stream, at - int(restore_ms) - 5, restore_ms)
        if timeout_s is not None:
            duration_ms = timeout_s * 1000 + 30
            status = status or "timeout"
        if legacy:
            status = error_type = None
        self.emit(stream, at, self._start(rid))
        for index, template in enumerate(app, start=1):
            moment = at + min(int(duration_ms) - 1, index * 3)
            line = template.replace("{rid}", rid).replace("{ts}", iso(moment))
            self.emit(stream, moment, line)
        end = at + int(duration_ms)
        if timeout_s is not None:
            self.emit(stream, end, f"{iso(end)} {rid} Task timed out after {timeout_s:.2f} seconds")
        if report:
            self.emit(stream, end, self._end(rid, status, error_type, handler_ms))
            self.emit(
                stream,
                end,
                self._report(
                    rid, duration_ms, memory_mb, used_mb, init_ms, restore_ms, status, error_type
                ),
            )
        self.clock_ms = end + gap_ms
        return rid

    def _init(self, stream: str, at: int, init_ms: float) -> None:
        if self.json_format:
            self.emit(
                stream,
                at,
                json.dumps(
                    {
                        "time": iso(at),
                        "type": "platform.initStart",
                        "record": {
                            "initializationType": "on-demand",
                            "phase": "init",
                            "runtimeVersion": "python:3.12.v38",
                        },
                    }
                ),
            )
            return
        self.emit(
            stream,
            at,
            "INIT_START Runtime Version: python:3.12.v38\tRuntime Version ARN: "
            "arn:aws:lambda:eu-west-1::runtime:7b620fc2e66107a1046b140b9d320295811af3ad5d4c6a011fad1fa65127e9e6",
        )

    def _restore(self, stream: str, at: int, restore_ms: float) -> None:
        if self.json_format:
            self.emit(
                stream,
                at,
                json.dumps(
                    {
                        "time": iso(at),
                        "type": "platform.restoreStart",
                        "record": {"runtimeVersion": "java:21.v19"},
                    }
                ),
            )
            return
        self.emit(
            stream,
            at,
            "RESTORE_START Runtime Version: java:21.v19\tRuntime Version ARN: "
            "arn:aws:lambda:eu-west-1::runtime:1a2b3c",
        )
        self.emit(
            stream, at + int(restore_ms), f"RESTORE_REPORT Restore Duration: {restore_ms:.2f} ms"
        )

    def _start(self, rid: str) -> str:
        if self.json_format:
            return json.dumps(
                {
                    "time": iso(self.clock_ms),
                    "type": "platform.start",
                    "record": {"requestId": rid, "version": self.version},
                }
            )
        return f"START RequestId: {rid} Version: {self.version}"

    def _end(
        self, rid: str, status: str | None, error_type: str | None, handler_ms: float | None = None
    ) -> str:
        if self.json_format:
            # With `handler_ms`, the handler returned in that time; the invocation's status
            # (its REPORT's) came after it, from an extension.
            done = "success" if handler_ms is not None else status or "success"
            record: dict[str, object] = {"requestId": rid, "status": done}
            if error_type and handler_ms is None:
                record["errorType"] = error_type
            if handler_ms is not None:
                record["metrics"] = {"durationMs": handler_ms, "producedBytes": 120}
            return json.dumps(
                {"time": iso(self.clock_ms), "type": "platform.runtimeDone", "record": record}
            )
        return f"END RequestId: {rid}"

    def _report(
        self,
        rid: str,
        duration_ms: float,
        memory_mb: int,
        used_mb: int,
        init_ms: float | None,
        restore_ms: float | None,
        status: str | None,
        error_type: str | None,
    ) -> str:
        if self.json_format:
            metrics: dict[str, float | int] = {
                "durationMs": duration_ms,
                "billedDurationMs": int(duration_ms) + 1,
                "memorySizeMB": memory_mb,
                "maxMemoryUsedMB": used_mb,
            }
            if init_ms is not None:
                metrics["initDurationMs"] = init_ms
            if restore_ms is not None:
                metrics["restoreDurationMs"] = restore_ms
                metrics["billedRestoreDurationMs"] = int(restore_ms / 2)
            record: dict[str, object] = {
                "requestId": rid,
                "metrics": metrics,
                "status": status or "success",
            }
            if error_type:
                record["errorType"] = error_type
            return json.dumps(
                {"time": iso(self.clock_ms), "type": "platform.report", "record": record}
            )
        fields = [
            f"REPORT RequestId: {rid}",
            f"Duration: {duration_ms:.2f} ms",
            f"Billed Duration: {int(duration_ms) + 1} ms",
            f"Memory Size: {memory_mb} MB",
            f"Max Memory Used: {used_mb} MB",
        ]
        if init_ms is not None:
            fields.append(f"Init Duration: {init_ms:.2f} ms")
        if restore_ms is not None:
            fields.append(f"Restore Duration: {restore_ms:.2f} ms")
            fields.append(f"Billed Restore Duration: {int(restore_ms / 2)} ms")
        if status is not None:
            fields.append(f"Status: {status}")
        if error_type is not None:
            fields.append(f"Error Type: {error_type}")
        return "\t".join(fields) + "\t"

    # --- traffic --------------------------------------------------------------------------------

    def healthy(
        self,
        count: int = 300,
        *,
        streams: int = 4,
        memory_mb: int = 512,
        used_mb: tuple[int, int] = (150, 190),
        duration_ms: tuple[float, float] = (40.0, 400.0),
        init_ms: float = 420.0,
        gap_ms: int = 1_000,
    ) -> list[str]:
        """`count` ordinary invocations over `streams` environments, each cold once."""
        envs = [self.stream() for _ in range(streams)]
        used_once: set[str] = set()
        ids = []
        for index in range(count):
            env = envs[index % streams]
            cold = env not in used_once
            used_once.add(env)
            ids.append(
                self.invoke(
                    env,
                    duration_ms=round(self._rng.uniform(*duration_ms), 2),
                    memory_mb=memory_mb,
                    used_mb=self._rng.randint(*used_mb),
                    init_ms=init_ms + self._rng.uniform(-40, 40) if cold else None,
                    app=(
                        "[INFO]\t{ts}\t{rid}\torder accepted",
                        "[INFO]\t{ts}\t{rid}\tpayment captured",
                    ),
                    gap_ms=gap_ms,
                )
            )
        return ids

    @property
    def end_ms(self) -> int:
        return max((event.timestamp_ms for event in self.events), default=self.start_ms)

    def ordered(self) -> list[LogEvent]:
        """As an export returns them: interleaved, in time order (each stream keeps its order)."""
        return sorted(self.events, key=lambda event: event.timestamp_ms)

    # --- exports --------------------------------------------------------------------------------

    def filter_log_events(self, indent: int | None = None) -> str:
        """What `aws logs filter-log-events` prints."""
        return json.dumps(
            {
                "events": [_event_json(e) for e in self.ordered()],
                "searchedLogStreams": [],
            },
            indent=indent,
        )

    def jsonl(self) -> str:
        return "".join(json.dumps(_event_json(e)) + "\n" for e in self.ordered())

    def raw_text(self) -> str:
        return "".join(e.message + "\n" for e in self.ordered())

    def tail_text(self) -> str:
        """As `aws logs tail` prints: `<ISO time> <stream> <message>`."""
        return "".join(
            f"{iso_micro(e.timestamp_ms)} {e.stream} {e.message}\n" for e in self.ordered()
        )

    def sam_text(self) -> str:
        """As `sam logs` prints: `<stream> <ISO time> <message>`."""
        return "".join(
            f"{e.stream} {iso_micro(e.timestamp_ms)} {e.message}\n" for e in self.ordered()
        )

    def traced(self) -> Logs:
        """These logs as an actively traced function writes them: each REPORT line followed,
        in the same event, by its XRAY line."""
        for number, event in enumerate(self.events):
            if event.message.startswith("REPORT "):
                event.message += (
                    f"\nXRAY TraceId: 1-6b08e943-{number:024x}\tSegmentId: {number:016x}"
                    "\tSampled: true\t"
                )
        return self

    def cli_text(self) -> str:
        """`aws logs filter-log-events --output text`."""
        return "".join(
            f"EVENTS\t{e.event_id}\t{e.ingestion_ms}\t{e.stream}\t{e.message}\t{e.timestamp_ms}\n"
            for e in self.ordered()
        )

    def subscription(self) -> str:
        """One CloudWatch Logs subscription record per stream, as Firehose delivers them."""
        by_stream: dict[str, list[LogEvent]] = {}
        for event in self.ordered():
            by_stream.setdefault(event.stream, []).append(event)
        records = [
            {
                "messageType": "DATA_MESSAGE",
                "owner": "123456789012",
                "logGroup": f"/aws/lambda/{self.function}",
                "logStream": stream,
                "subscriptionFilters": ["to-firehose"],
                "logEvents": [
                    {"id": e.event_id, "timestamp": e.timestamp_ms, "message": e.message}
                    for e in events
                ],
            }
            for stream, events in by_stream.items()
        ]
        return "".join(json.dumps(record) + "\n" for record in records)

    # --- exports as other tools and services shape them -----------------------------------------

    def _packed_records(self) -> list[str]:
        """Each subscription record as Kinesis and Firehose carry it: base64 of gzip."""
        return [
            base64.b64encode(gzip.compress(line.encode())).decode()
            for line in self.subscription().splitlines()
        ]

    def awslogs_event(self) -> str:
        """The event a Lambda subscribed to the log group receives (one stream's record)."""
        (record,) = self._packed_records()
        return json.dumps({"awslogs": {"data": record}})

    def kinesis_event(self) -> str:
        """The event a Lambda reading the subscription's Kinesis stream receives."""
        records = [
            {"eventSource": "aws:kinesis", "kinesis": {"partitionKey": str(n), "data": data}}
            for n, data in enumerate(self._packed_records())
        ]
        return json.dumps({"Records": records}, indent=2)

    def kinesis_get_records(self) -> str:
        """What `aws kinesis get-records` prints for the subscription's stream."""
        records = [
            {"SequenceNumber": str(n), "PartitionKey": str(n), "Data": data}
            for n, data in enumerate(self._packed_records())
        ]
        return json.dumps({"Records": records, "MillisBehindLatest": 0}, indent=4)

    def firehose_transform_event(self) -> str:
        """The event a Firehose transformation Lambda receives."""
        records = [
            {"recordId": str(n), "approximateArrivalTimestamp": T0, "data": data}
            for n, data in enumerate(self._packed_records())
        ]
        return json.dumps({"invocationId": "i-1", "records": records}, indent=2)

    def base64_records(self) -> str:
        """One base64-gzipped subscription record a line, as saved from a stream."""
        return "".join(record + "\n" for record in self._packed_records())

    def filter_pages_array(self, pages: int = 3) -> str:
        """Several pages of filter-log-events gathered by `jq -s`."""
        events = [_event_json(e) for e in self.ordered()]
        size = len(events) // pages + 1
        answers = [
            {"events": events[i : i + size], "nextToken": f"t{i}", "searchedLogStreams": []}
            for i in range(0, len(events), size)
        ]
        return json.dumps(answers, indent=2)

    def awslogs_get_text(self, timestamp: bool = False) -> str:
        """As `awslogs get` prints: `<log group> <stream> <message>`, and with --timestamp
        the event's time before the message."""
        return "".join(
            f"/aws/lambda/{self.function} {e.stream} "
            + (f"{iso(e.timestamp_ms)} " if timestamp else "")
            + f"{e.message}\n"
            for e in self.ordered()
        )

    def tail_text_coloured(self) -> str:
        """`aws logs tail --color on`: the time in green, the stream in cyan."""
        return "".join(
            f"\x1b[32m{iso_micro(e.timestamp_ms)}\x1b[0m \x1b[36m{e.stream}\x1b[0m {e.message}\n"
            for e in self.ordered()
        )

    def tail_json_pretty(self, indent: int = 4) -> str:
        """`aws logs tail --format json`: JSON-format events pretty-printed after the prefix."""
        return "".join(
            f"{iso_micro(e.timestamp_ms)} {e.stream} {_pretty(e.message, indent)}\n"
            for e in self.ordered()
        )

    def sam_json_pretty(self) -> str:
        """`sam logs` indents JSON-format events by 2."""
        return "".join(
            f"{e.stream} {iso_micro(e.timestamp_ms)} {_pretty(e.message, 2)}\n"
            for e in self.ordered()
        )

    def cli_text_faithful(self) -> str:
        """`--output text` as the CLI writes Lambda's messages, each ending in a newline: the
        time lands on its own line."""
        return "".join(
            f"EVENTS\t{e.event_id}\t{e.ingestion_ms}\t{e.stream}\t{e.message.rstrip(chr(10))}\n"
            f"\t{e.timestamp_ms}\n"
            for e in self.ordered()
        )

    def insights_report_fields_csv(self) -> str:
        """A Logs Insights query of REPORT fields (no `@message`), memory in bytes as there."""
        rows = [
            "@timestamp,@requestId,@duration,@billedDuration,@maxMemoryUsed,@memorySize,"
            "@initDuration,@logStream"
        ]
        for e in self.ordered():
            found = _REPORT_FIELDS.match(e.message)
            if found is None:
                continue
            rid, duration, billed, size, used, init = found.groups()
            stamp = datetime.fromtimestamp(e.timestamp_ms / 1000, UTC)
            rows.append(
                f"{stamp.strftime('%Y-%m-%d %H:%M:%S.%f')[:-3]},{rid},{duration},{billed},"
                f"{int(used) * 1_000_000:.3E},{int(size) * 1_000_000:.3E},{init or ''},{e.stream}"
            )
        return "\n".join(rows) + "\n"


_REPORT_FIELDS = re.compile(
    r"REPORT RequestId: (\S+)\tDuration: ([\d.]+) ms\tBilled Duration: (\d+) ms\t"
    r"Memory Size: (\d+) MB\tMax Memory Used: (\d+) MB\t(?:Init Duration: ([\d.]+) ms)?"
)


def _pretty(message: str, indent: int) -> str:
    try:
        return json.dumps(json.loads(message), indent=indent)
    except ValueError:
        return message


# --- what runtimes write ---------------------------------------------------------------------


def py(level: str, message: str) -> str:
    """Python's runtime logger: `[LEVEL]\t<time>\t<request id>\t<message>`."""
    return f"[{level}]\t{{ts}}\t{{rid}}\t{message}"


def py_unhandled(error_type: str, message: str) -> str:
    """An unhandled Python exception, as the runtime prints it (one event, several lines)."""
    return (
        f"[ERROR] {error_type}: {message}\n"
        "Traceback (most recent call last):\n"
        '  File "/var/task/app.py", line 42, in handler\n'
        "    return process(event)\n"
    )


def node(level: str, message: str) -> str:
    """Node.js console: `<time>\t<request id>\t<LEVEL>\t<message>`."""
    return f"{{ts}}\t{{rid}}\t{level}\t{message}"


def node_invoke_error(error_type: str, message: str) -> str:
    body = json.dumps(
        {
            "errorType": error_type,
            "errorMessage": message,
            "stack": [
                f"{error_type}: {message}",
                "    at Runtime.handler (/var/task/index.js:9:11)",
            ],
        }
    )
    return f"{{ts}}\t{{rid}}\tERROR\tInvoke Error \t{body}"


def iso_micro(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, tz=UTC).isoformat(timespec="microseconds")


def _event_json(event: LogEvent) -> dict[str, object]:
    return {
        "logStreamName": event.stream,
        "timestamp": event.timestamp_ms,
        "message": event.message,
        "ingestionTime": event.ingestion_ms,
        "eventId": event.event_id,
    }


def evidence(
    logs: Logs,
    *,
    function: str | None = FUNCTION,
    region: str | None = REGION,
    start_ms: int | None = None,
    end_ms: int | None = None,
) -> Evidence:
    """The Evidence the real pipeline makes of these logs, windowed over all of them."""
    pipeline = LogPipeline()
    pipeline.ingest_all(logs.ordered())
    return from_pipeline(
        pipeline,
        function=function,
        region=region,
        start_ms=logs.start_ms - 60_000 if start_ms is None else start_ms,
        end_ms=logs.end_ms if end_ms is None else end_ms,
    )


def series(name: str, values: Iterable[float], start_ms: int = T0) -> MetricSeries:
    """A one-minute CloudWatch series starting at the window's first minute."""
    first = start_ms // 1000 // 60 * 60
    return MetricSeries(name, {first + 60 * i: float(v) for i, v in enumerate(values)})


def metrics(start_ms: int = T0, **named: Iterable[float]) -> dict[str, MetricSeries]:
    """`metrics(Invocations=[...], Throttles=[...])`; `Duration_Maximum` is `Duration:Maximum`."""
    out = {}
    for key, values in named.items():
        name = key.replace("_", ":", 1) if key.startswith("Duration_") else key
        out[name] = series(name, values, start_ms)
    return out
