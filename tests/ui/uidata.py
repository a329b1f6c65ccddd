"""A deterministic account for the UI tests: a Store filled with what Lambda, CloudWatch and
X-Ray really write, for a handful of functions living the guide's incidents, at a fixed clock.

Everything is built from a seeded random generator and the fixed `NOW`, so a snapshot taken of
any screen is the same on every run and every machine.
"""

from __future__ import annotations

import json
import random
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime

from lambdatop.core import metrics as m
from lambdatop.core.fleetlogs import LogTroubleScan
from lambdatop.core.records import (
    ErrorFamily,
    FunctionConfig,
    LogEvent,
    TraceSegment,
    TraceSummary,
    VpcConfig,
)
from lambdatop.core.sources import FLEET_LOGS, INVENTORY, METRICS, SourceKey
from lambdatop.core.store import FunctionState, SourceHealth, Store

NOW = 1_772_443_800.0
"""2026-03-02T09:30:00Z: the tests' wall clock never moves unless a test moves it."""
ACCOUNT = "123456789012"
REGION = "eu-west-1"
MINUTE = 60

PAYMENTS = "payment-processor"
"""Timeouts waiting on an exhausted SQLAlchemy QueuePool against Postgres."""
ENCODER = "video-encoder"
"""A memory leak: each warm environment grows until it is killed at 1024 MB."""
EXPORTER = "report-exporter"
"""AccessDenied on s3:GetObject after a role change (JSON log format)."""
CATALOG = "catalog-search"
"""Healthy."""
NOTIFIER = "notification-sender"
"""Throttled at its reserved concurrency of 10."""
HOSTILE = "hostile-logger"
"""Writes escape sequences, OSC 8/52, Rich markup, NUL bytes and very long lines."""
HOSTILE_NAME = "evil-[bold red]x[/]-[link=http://x]y[/link]"
"""A function name (from a misbehaving emulator) that is Rich markup."""

HOSTILE_LINES = (
    "\x1b[31mred by ANSI\x1b[0m and \x1b[2J cleared",
    "\x1b]8;;http://evil.example\x1b\\click me\x1b]8;;\x1b\\ osc8 link",
    "\x1b]52;c;ZWNobyBwd25lZA==\x07 osc52 clipboard write",
    "[bold red]x[/] markup must stay literal",
    "[link=http://x]y[/link] link markup must stay literal",
    "NUL\x00byte and bell\x07 and backspace\x08 inside",
    "[/] closing tag alone",
    "x" * 5_000 + " END-OF-LONG-LINE",
    '{"level": "ERROR", "message": "\\u001b[31mjson red\\u001b[0m [bold]j[/] \\u0000nul"}',
)


def iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, tz=UTC).isoformat(timespec="milliseconds")[:-6] + "Z"


class LogGroup:
    """The events of one function's log group, written invocation by invocation the way Lambda
    and the Python / Node.js runtimes write them."""

    def __init__(
        self,
        function: str,
        seed: int,
        *,
        memory_mb: int,
        json_format: bool = False,
        runtime_version: str = "python:3.11.v41",
    ) -> None:
        self.function = function
        self.runtime_version = runtime_version
        self.memory_mb = memory_mb
        self.json_format = json_format
        self.rng = random.Random(seed)
        self.events: list[LogEvent] = []
        self._ids = 0

    def stream(self, at_ms: int) -> str:
        day = datetime.fromtimestamp(at_ms / 1000, tz=UTC).strftime("%Y/%m/%d")
        return f"{day}/[$LATEST]{self.rng.getrandbits(128):032x}"

    def request_id(self) -> str:
        value = f"{self.rng.getrandbits(128):032x}"
        return f"{value[:8]}-{value[8:12]}-4{value[13:16]}-a{value[17:20]}-{value[20:]}"

    def emit(self, stream: str, at_ms: int, message: str) -> None:
        self._ids += 1
        self.events.append(
            LogEvent(
                timestamp_ms=at_ms,
                message=message,
                stream=stream,
                event_id=f"{at_ms:020d}{self._ids:016d}",
                ingestion_ms=at_ms + 700,
            )
        )

    def invoke(
        self,
        stream: str,
        at_ms: int,
        *,
        duration_ms: float,
        used_mb: int,
        app: Sequence[str] = (),
        init_ms: float | None = None,
        timeout_s: float | None = None,
        status: str | None = None,
        error_type: str | None = None,
        trace_id: str | None = None,
    ) -> str:
        """One request: (INIT_START), START, the app's lines, (Task timed out), END, REPORT."""
        rid = self.request_id()
        if init_ms is not None:
            self.emit(stream, at_ms - int(init_ms) - 3, self._init_start(at_ms))
        self.emit(stream, at_ms, self._start(rid, at_ms))
        for index, template in enumerate(app, start=1):
            moment = at_ms + min(int(duration_ms) - 1, index * 7)
            self.emit(stream, moment, template.replace("{rid}", rid).replace("{ts}", iso(moment)))
        end = at_ms + int(duration_ms)
        if timeout_s is not None:
            self.emit(stream, end, f"{iso(end)} {rid} Task timed out after {timeout_s:.2f} seconds")
        self.emit(stream, end, self._end(rid, end, status, error_type))
        self.emit(
            stream,
            end,
            self._report(rid, end, duration_ms, used_mb, init_ms, status, error_type, trace_id),
        )
        return rid

    def _init_start(self, at_ms: int) -> str:
        if self.json_format:
            return json.dumps(
                {
                    "time": iso(at_ms),
                    "type": "platform.initStart",
                    "record": {
                        "initializationType": "on-demand",
                        "phase": "init",
                        "runtimeVersion": self.runtime_version,
                    },
                }
            )
        return (
            f"INIT_START Runtime Version: {self.runtime_version}\tRuntime Version ARN: "
            f"arn:aws:lambda:{REGION}::runtime:7b620fc2e66107a1046b140b9d320295811af3ad"
        )

    def _start(self, rid: str, at_ms: int) -> str:
        if self.json_format:
            return json.dumps(
                {
                    "time": iso(at_ms),
                    "type": "platform.start",
                    "record": {"requestId": rid, "version": "$LATEST"},
                }
            )
        return f"START RequestId: {rid} Version: $LATEST"

    def _end(self, rid: str, at_ms: int, status: str | None, error_type: str | None) -> str:
        if self.json_format:
            record: dict[str, object] = {"requestId": rid, "status": status or "success"}
            if error_type:
                record["errorType"] = error_type
            return json.dumps(
                {"time": iso(at_ms), "type": "platform.runtimeDone", "record": record}
            )
        return f"END RequestId: {rid}"

    def _report(
        self,
        rid: str,
        at_ms: int,
        duration_ms: float,
        used_mb: int,
        init_ms: float | None,
        status: str | None,
        error_type: str | None,
        trace_id: str | None,
    ) -> str:
        if self.json_format:
            metrics: dict[str, float | int] = {
                "durationMs": duration_ms,
                "billedDurationMs": int(duration_ms) + 1,
                "memorySizeMB": self.memory_mb,
                "maxMemoryUsedMB": used_mb,
            }
            if init_ms is not None:
                metrics["initDurationMs"] = init_ms
            record: dict[str, object] = {
                "requestId": rid,
                "metrics": metrics,
                "status": status or "success",
            }
            if error_type:
                record["errorType"] = error_type
            return json.dumps({"time": iso(at_ms), "type": "platform.report", "record": record})
        fields = [
            f"REPORT RequestId: {rid}",
            f"Duration: {duration_ms:.2f} ms",
            f"Billed Duration: {int(duration_ms) + 1} ms",
            f"Memory Size: {self.memory_mb} MB",
            f"Max Memory Used: {used_mb} MB",
        ]
        if init_ms is not None:
            fields.append(f"Init Duration: {init_ms:.2f} ms")
        if status is not None:
            fields.append(f"Status: {status}")
        if error_type is not None:
            fields.append(f"Error Type: {error_type}")
        line = "\t".join(fields) + "\t"
        if trace_id is not None:
            line += f"\nXRAY TraceId: {trace_id}\tSegmentId: 5f1b2c3d4e5f6a7b\tSampled: true\t"
        return line


def py(level: str, message: str) -> str:
    """Python's runtime logger: `[LEVEL]\\t<time>\\t<request id>\\t<message>`."""
    return f"[{level}]\t{{ts}}\t{{rid}}\t{message}"


def node(level: str, message: str) -> str:
    """Node.js console: `<time>\\t<request id>\\t<LEVEL>\\t<message>`."""
    return f"{{ts}}\t{{rid}}\t{level}\t{message}"


def trace_id(rng: random.Random, at_s: float) -> str:
    return f"1-{int(at_s):08x}-{rng.getrandbits(96):024x}"


def minutes(count: int = 60) -> list[int]:
    """The minute stamps of the last `count` complete minutes, oldest first: CloudWatch's
    newest datapoint is the minute before NOW's (the minute under way is incomplete)."""
    last = int(NOW) - int(NOW) % MINUTE - MINUTE
    return [last - MINUTE * (count - 1 - i) for i in range(count)]


def set_series(state: FunctionState, key: str, values: Sequence[float]) -> None:
    state.set_metric(key, dict(zip(minutes(len(values)), values, strict=True)))


def ramp(rng: random.Random, base: float, peak: float, spread: float = 0.1) -> list[float]:
    """An hour that is quiet, then climbs into the incident over its last 20 minutes."""
    out = []
    for i in range(60):
        level = base if i < 40 else base + (peak - base) * min(1.0, (i - 39) / 8)
        out.append(round(max(0.0, level * rng.uniform(1 - spread, 1 + spread)), 1))
    return out


def config(
    name: str,
    runtime: str,
    memory_mb: int,
    timeout_s: float,
    *,
    vpc: bool = False,
    reserved: int | None = None,
    log_format: str = "Text",
    tracing: str | None = None,
) -> FunctionConfig:
    return FunctionConfig(
        name=name,
        arn=f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}",
        runtime=runtime,
        memory_mb=memory_mb,
        timeout_s=timeout_s,
        log_format=log_format,
        vpc=(
            VpcConfig(("subnet-0a1b2c3d", "subnet-4e5f6a7b"), ("sg-0123abcd",), "vpc-0f1e2d3c")
            if vpc
            else None
        ),
        reserved_concurrency=reserved,
        tracing=tracing,
        role_arn=f"arn:aws:iam::{ACCOUNT}:role/{name}-role",
        handler="app.handler",
        architectures=("x86_64",),
        state="Active",
        last_update_status="Successful",
    )


# --- the functions ---------------------------------------------------------------------------


def _payments(store: Store) -> None:
    """Traffic spike at 09:12: the pool of 5 (+10 overflow) runs dry, queries wait, 30 s
    timeouts, Postgres refuses more clients."""
    rng = random.Random(11)
    state = store.function(PAYMENTS)
    logs = LogGroup(PAYMENTS, 11, memory_mb=512)
    start = int((NOW - 25 * MINUTE) * 1000)
    streams = [logs.stream(start) for _ in range(6)]
    warmed: set[str] = set()
    at = start
    index = 0
    failing_traces: list[tuple[str, float]] = []
    while at < int(NOW * 1000) - 31_000:
        stream = streams[index % len(streams)]
        cold = stream not in warmed
        warmed.add(stream)
        incident = at > int((NOW - 14 * MINUTE) * 1000)
        used = rng.randint(180, 236)
        if incident and index % 3 == 0:
            tid = trace_id(rng, at / 1000)
            failing_traces.append((tid, at / 1000))
            logs.invoke(
                stream,
                at,
                duration_ms=30_030.0,
                used_mb=used,
                init_ms=1_180.4 if cold else None,
                timeout_s=30.03,
                status="timeout",
                trace_id=tid,
                app=(
                    py("INFO", "charging order ord_7f3a21 amount=129.90 EUR"),
                    py(
                        "ERROR",
                        "sqlalchemy.exc.TimeoutError: QueuePool limit of size 5 overflow 10 "
                        "reached, connection timed out, timeout 30.00 "
                        "(Background on this error at: https://sqlalche.me/e/20/3o7r)",
                    ),
                ),
            )
        elif incident and index % 3 == 1:
            logs.invoke(
                stream,
                at,
                duration_ms=round(rng.uniform(4_000, 9_000), 2),
                used_mb=used,
                status="error",
                error_type="Runtime.Unhandled",
                app=(
                    py(
                        "ERROR",
                        'psycopg2.OperationalError: connection to server at "ledger-db.cluster-'
                        'c9xk2.eu-west-1.rds.amazonaws.com" (10.0.3.17), port 5432 failed: '
                        "FATAL:  sorry, too many clients already",
                    ),
                    "[ERROR] OperationalError: FATAL:  sorry, too many clients already\n"
                    "Traceback (most recent call last):\n"
                    '  File "/var/task/payments/handler.py", line 58, in process\n'
                    "    ledger.write(charge)\n",
                ),
            )
        else:
            logs.invoke(
                stream,
                at,
                duration_ms=round(rng.uniform(140, 620), 2),
                used_mb=used,
                init_ms=1_180.4 if cold else None,
                app=(
                    py("INFO", "charging order ord_7f3a21 amount=129.90 EUR"),
                    py("INFO", "charge captured, ledger written"),
                ),
            )
        at += 9_000 if not incident else 5_000
        index += 1
    state.add_events(sorted(logs.events, key=lambda e: e.timestamp_ms))
    set_series(state, m.INVOCATIONS, ramp(rng, 40, 190))
    set_series(state, m.ERRORS, [0.0] * 40 + ramp(rng, 0, 95)[40:])
    set_series(state, m.THROTTLES, [0.0] * 60)
    set_series(state, m.DURATION_P50, ramp(rng, 210, 9_400))
    set_series(state, m.DURATION_P99, [min(v, 30_030.0) for v in ramp(rng, 640, 30_030)])
    set_series(state, m.DURATION_MAX, [min(v, 30_030.0) for v in ramp(rng, 900, 30_030)])
    set_series(state, m.CONCURRENCY, ramp(rng, 3, 48))
    summaries = []
    for number, (tid, at_s) in enumerate(failing_traces[-12:]):
        summaries.append(
            TraceSummary(
                trace_id=tid,
                start_s=at_s,
                duration_s=30.03 if number % 4 else 29.98,
                response_time_s=30.03,
                http_status=502 if number % 2 else 504,
                fault=True,
                error=False,
                root_cause="TimeoutError: QueuePool limit of size 5 overflow 10 reached",
            )
        )
    state.set_traces(summaries)
    opened = summaries[-1]
    state.set_trace_detail(opened.trace_id, payment_segments(opened))


def payment_segments(trace: TraceSummary) -> list[TraceSegment]:
    """The waterfall of one timed-out payment: 29 s waiting for a pooled connection."""
    t = trace.start_s
    return [
        TraceSegment("a1", PAYMENTS, t, t + 30.03, depth=0, origin="AWS::Lambda", fault=True,
                     http_status=502),
        TraceSegment("a2", PAYMENTS, t + 0.012, t + 30.03, parent_id="a1", depth=1,
                     origin="AWS::Lambda::Function", fault=True,
                     cause="Task timed out after 30.03 seconds"),
        TraceSegment("a3", "Invocation", t + 0.013, t + 30.02, parent_id="a2", depth=2,
                     fault=True),
        TraceSegment("a4", "DynamoDB GetItem orders", t + 0.020, t + 0.061, parent_id="a3",
                     depth=3, namespace="aws", http_status=200),
        TraceSegment("a5", "QueuePool checkout", t + 0.065, t + 30.01, parent_id="a3", depth=3,
                     namespace="local", error=True,
                     cause="TimeoutError: QueuePool limit of size 5 overflow 10 reached"),
        TraceSegment("a6", "ledger-db.cluster-c9xk2 (postgres)", t + 0.070, t + 25.4,
                     parent_id="a5", depth=4, namespace="remote", fault=True,
                     cause="OperationalError: sorry, too many clients already"),
        TraceSegment("a7", "Overhead", t + 30.02, t + 30.03, parent_id="a2", depth=2),
    ]  # fmt: skip


def _encoder(store: Store) -> None:
    """Node.js transcoder: every warm environment grows ~40 MB a request until it is killed."""
    rng = random.Random(23)
    state = store.function(ENCODER)
    logs = LogGroup(ENCODER, 23, memory_mb=1024, runtime_version="nodejs:20.v33")
    start = int((NOW - 28 * MINUTE) * 1000)
    at = start
    environments = 0
    while at < int(NOW * 1000) - 75_000:
        stream = logs.stream(at)
        environments += 1
        used = rng.randint(210, 260)
        cold = True
        while at < int(NOW * 1000) - 75_000:
            used += rng.randint(35, 70)
            if used >= 1024:
                logs.invoke(
                    stream,
                    at,
                    duration_ms=round(rng.uniform(20_000, 48_000), 2),
                    used_mb=1024,
                    status="error",
                    error_type="Runtime.OutOfMemory",
                    app=(
                        node("INFO", "transcoding clip_8812.mov to hls/720p"),
                        "Error: Runtime exited with error: signal: killed\nRuntime.ExitError",
                    ),
                )
                at += 25_000
                break
            logs.invoke(
                stream,
                at,
                duration_ms=round(rng.uniform(18_000, 42_000), 2),
                used_mb=used,
                init_ms=round(rng.uniform(380, 520), 2) if cold else None,
                app=(
                    node("INFO", "transcoding clip_8812.mov to hls/720p"),
                    node("WARN", f"heap used {used - 90} MB after segment flush"),
                ),
            )
            cold = False
            at += 25_000
    state.add_events(sorted(logs.events, key=lambda e: e.timestamp_ms))
    set_series(state, m.INVOCATIONS, ramp(rng, 2.4, 2.4, 0.2))
    set_series(state, m.ERRORS, [float(i % 9 == 8) for i in range(60)])
    set_series(state, m.THROTTLES, [0.0] * 60)
    set_series(state, m.DURATION_P50, ramp(rng, 26_000, 31_000))
    set_series(state, m.DURATION_P99, ramp(rng, 41_000, 47_000))
    set_series(state, m.CONCURRENCY, ramp(rng, 1.6, 2.2))
    state.set_traces([])


def _exporter(store: Store) -> None:
    """JSON log format: every export fails with AccessDenied on s3:GetObject since 09:05."""
    rng = random.Random(31)
    state = store.function(EXPORTER)
    logs = LogGroup(
        EXPORTER, 31, memory_mb=512, json_format=True, runtime_version="python:3.12.v38"
    )
    start = int((NOW - 20 * MINUTE) * 1000)
    stream = logs.stream(start)
    at = start
    cold = True
    denied = (
        f"An error occurred (AccessDenied) when calling the GetObject operation: User: "
        f"arn:aws:sts::{ACCOUNT}:assumed-role/{EXPORTER}-role/{EXPORTER} is not authorized to "
        'perform: s3:GetObject on resource: "arn:aws:s3:::acme-reports/2026/02/summary.csv" '
        "because no identity-based policy allows the s3:GetObject action"
    )
    summaries = []
    while at < int(NOW * 1000) - 5_000:
        tid = trace_id(rng, at / 1000)
        app = (
            json.dumps(
                {
                    "timestamp": "{ts}",
                    "level": "INFO",
                    "message": "exporting s3://acme-reports/2026/02/summary.csv",
                    "logger": "exporter",
                    "requestId": "{rid}",
                }
            ),
            json.dumps(
                {
                    "timestamp": "{ts}",
                    "level": "ERROR",
                    "message": denied,
                    "logger": "exporter",
                    "requestId": "{rid}",
                    "errorType": "ClientError",
                }
            ),
        )
        logs.invoke(
            stream,
            at,
            duration_ms=round(rng.uniform(95, 180), 2),
            used_mb=rng.randint(88, 104),
            init_ms=612.3 if cold else None,
            status="error",
            error_type="ClientError",
            app=app,
        )
        summaries.append(
            TraceSummary(
                trace_id=tid,
                start_s=at / 1000,
                duration_s=0.15,
                http_status=403,
                error=True,
                root_cause="AccessDenied: s3:GetObject on acme-reports",
            )
        )
        cold = False
        at += 60_000
    state.add_events(sorted(logs.events, key=lambda e: e.timestamp_ms))
    set_series(state, m.INVOCATIONS, [1.0] * 60)
    set_series(state, m.ERRORS, [0.0] * 40 + [1.0] * 20)
    set_series(state, m.THROTTLES, [0.0] * 60)
    set_series(state, m.DURATION_P50, ramp(rng, 130, 120))
    set_series(state, m.DURATION_P99, ramp(rng, 180, 170))
    set_series(state, m.CONCURRENCY, [1.0] * 60)
    state.set_traces(summaries[-8:])


def _catalog(store: Store) -> None:
    rng = random.Random(41)
    state = store.function(CATALOG)
    logs = LogGroup(CATALOG, 41, memory_mb=256, runtime_version="python:3.12.v38")
    start = int((NOW - 10 * MINUTE) * 1000)
    streams = [logs.stream(start) for _ in range(3)]
    warmed: set[str] = set()
    at = start
    index = 0
    while at < int(NOW * 1000) - 1_000:
        stream = streams[index % 3]
        cold = stream not in warmed
        warmed.add(stream)
        logs.invoke(
            stream,
            at,
            duration_ms=round(rng.uniform(18, 64), 2),
            used_mb=rng.randint(92, 118),
            init_ms=round(rng.uniform(410, 470), 2) if cold else None,
            app=(py("INFO", "search q='running shoes' hits=128 took=21ms"),),
        )
        at += 4_000
        index += 1
    state.add_events(sorted(logs.events, key=lambda e: e.timestamp_ms))
    set_series(state, m.INVOCATIONS, ramp(rng, 900, 960))
    set_series(state, m.ERRORS, [0.0] * 60)
    set_series(state, m.THROTTLES, [0.0] * 60)
    set_series(state, m.DURATION_P50, ramp(rng, 32, 34))
    set_series(state, m.DURATION_P99, ramp(rng, 88, 96))
    set_series(state, m.CONCURRENCY, ramp(rng, 9, 11))
    state.set_traces([])


def _notifier(store: Store) -> None:
    rng = random.Random(53)
    state = store.function(NOTIFIER)
    set_series(state, m.INVOCATIONS, ramp(rng, 300, 600))
    set_series(state, m.ERRORS, [0.0] * 60)
    set_series(state, m.THROTTLES, [0.0] * 40 + ramp(rng, 0, 200)[40:])
    set_series(state, m.DURATION_P50, ramp(rng, 850, 900))
    set_series(state, m.DURATION_P99, ramp(rng, 1_900, 2_400))
    set_series(state, m.CONCURRENCY, [min(10.0, v) for v in ramp(rng, 4, 10)])


def _hostile(store: Store) -> None:
    state = store.function(HOSTILE)
    logs = LogGroup(HOSTILE, 61, memory_mb=128)
    at = int((NOW - 3 * MINUTE) * 1000)
    stream = logs.stream(at)
    logs.invoke(
        stream,
        at,
        duration_ms=120.0,
        used_mb=64,
        app=[py("INFO", line) for line in HOSTILE_LINES] + list(HOSTILE_LINES),
    )
    state.add_events(logs.events)
    state.set_traces(
        [
            TraceSummary(
                trace_id="1-[bold]x[/]-\x1b[31mred",
                start_s=NOW - 100,
                duration_s=0.12,
                http_status=500,
                fault=True,
                root_cause="[bold red]x[/] \x1b]52;c;cHduZWQ=\x07 [link=http://x]y[/link]",
            )
        ]
    )
    state.set_trace_detail(
        "1-[bold]x[/]-\x1b[31mred",
        [
            TraceSegment("h1", "[bold red]seg[/]\x1b[2J", NOW - 100, NOW - 99.88, fault=True,
                         cause="[link=http://x]y[/link]\x00 \x1b[31mboom"),
        ],
    )  # fmt: skip


def healthy_filler(store: Store, count: int) -> None:
    """Quiet functions with only CloudWatch numbers, to fill a fleet."""
    rng = random.Random(97)
    for number in range(count):
        name = f"svc-{number:04d}-worker"
        state = store.function(name)
        set_series(state, m.INVOCATIONS, [round(rng.uniform(1, 30), 1) for _ in range(60)])
        set_series(state, m.ERRORS, [0.0] * 60)


def inventory() -> list[FunctionConfig]:
    return [
        config(PAYMENTS, "python3.11", 512, 30, vpc=True, tracing="Active"),
        config(ENCODER, "nodejs20.x", 1024, 120, tracing="PassThrough"),
        config(EXPORTER, "python3.12", 512, 60, log_format="JSON", tracing="Active"),
        config(CATALOG, "python3.12", 256, 10, tracing="Active"),
        config(NOTIFIER, "nodejs20.x", 256, 15, reserved=10),
        config(HOSTILE, "python3.12", 128, 3),
        config("pricing-engine", "java17", 2048, 30, vpc=True),
        config("invoice-renderer", "java21", 1536, 60),
    ]


def build_store(*, hostile: bool = False, filler: int = 0) -> Store:
    """The account at NOW; `hostile` adds the function with hostile logs and a hostile name."""
    store = Store(clock=lambda: NOW - 4)
    store.profile = "prod-readonly"
    store.region = REGION
    store.api_calls = 1_284
    store.cost_usd = 0.0137
    store.account_concurrency_limit = 1_000
    configs = inventory()
    if hostile:
        configs.append(config(HOSTILE_NAME, "\x1b[31mpython3.12\x1b[0m", 128, 3))
    else:
        configs = [c for c in configs if c.name != HOSTILE]
    store.set_inventory(configs)
    _payments(store)
    _encoder(store)
    _exporter(store)
    _catalog(store)
    _notifier(store)
    if hostile:
        _hostile(store)
    if filler:
        healthy_filler(store, filler)
    # The fleet's log scan (Logs Insights, every 15 minutes) found what metrics cannot show.
    store.log_trouble = LogTroubleScan(
        end_s=NOW - 240,
        span_s=900.0,
        scanned=frozenset(c.name for c in configs),
        counts={
            "invoice-renderer": Counter({ErrorFamily.CONNECTION_POOL: 12}),
            "pricing-engine": Counter({ErrorFamily.PERMISSION: 3, ErrorFamily.TIMEOUT: 1}),
        },
    )
    store.health[FLEET_LOGS] = SourceHealth(FLEET_LOGS, last_ok_s=NOW - 240)
    for source in (INVENTORY, METRICS):
        store.record_ok(source)
    for name in list(store.functions):
        store.record_ok(SourceKey.logs(name))
        store.record_ok(SourceKey.traces(name))
    return store
