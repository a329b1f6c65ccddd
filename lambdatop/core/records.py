"""The domain records every layer speaks: log events, parsed lines, invocations, functions,
metrics and traces. Plain slotted dataclasses: cheap to build on every line of a live tail."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class LineKind(StrEnum):
    """What a log line is, as far as Lambda's own formats tell."""

    START = "start"
    END = "end"
    REPORT = "report"
    INIT_START = "init_start"
    INIT_REPORT = "init_report"
    RESTORE_START = "restore_start"
    RESTORE_REPORT = "restore_report"
    RUNTIME_DONE = "runtime_done"
    EXTENSION = "extension"
    XRAY = "xray"
    TIMEOUT = "timeout"
    """`Task timed out after N seconds`."""
    RUNTIME_EXIT = "runtime_exit"
    """The runtime process died: `Runtime exited with error`, `Process exited before completing`."""
    LOGS_DROPPED = "logs_dropped"
    PLATFORM = "platform"
    """Any other platform event (telemetry subscription, unknown `platform.*`)."""
    GAP = "gap"
    """Not a log line: lambdatop's marker where lines are missing (source unreachable, dropped)."""
    APP = "app"
    """Everything the function itself wrote, and every line we do not recognise."""


class Level(StrEnum):
    TRACE = "TRACE"
    DEBUG = "DEBUG"
    INFO = "INFO"
    WARN = "WARN"
    ERROR = "ERROR"
    FATAL = "FATAL"


class ErrorFamily(StrEnum):
    """The error families of the debugging guide, recognised in any runtime's wording."""

    PERMISSION = "permission"
    THROTTLING = "throttling"
    CONNECTION_POOL = "connection_pool"
    DATABASE = "database"
    NETWORK = "network"
    INIT = "init"
    OUT_OF_MEMORY = "out_of_memory"
    TIMEOUT = "timeout"
    ENVIRONMENT_LIMIT = "environment_limit"
    """An execution environment's fixed limit reached: /tmp full, its 1,024 file descriptors or
    its 1,024 processes and threads (no setting of memory raises the last two)."""


class Status(StrEnum):
    """How an invocation ended."""

    RUNNING = "running"
    SUCCESS = "success"
    ERROR = "error"
    TIMEOUT = "timeout"
    OUT_OF_MEMORY = "out_of_memory"
    CRASHED = "crashed"


@dataclass(slots=True, frozen=True)
class Classification:
    """An application line recognised as one of the error families."""

    family: ErrorFamily
    signature: str
    """The words that gave it away, e.g. `AccessDeniedException`, `QueuePool limit`."""
    service: str | None = None
    action: str | None = None
    resource: str | None = None
    endpoint: str | None = None
    """Host and/or port for database and network failures, e.g. `db.internal:5432`."""


@dataclass(slots=True)
class Report:
    """The figures of a REPORT line or a `platform.report` event (or an init/restore report)."""

    duration_ms: float | None = None
    billed_ms: float | None = None
    memory_size_mb: int | None = None
    max_memory_mb: int | None = None
    init_ms: float | None = None
    restore_ms: float | None = None
    billed_restore_ms: float | None = None
    status: str | None = None
    error_type: str | None = None
    trace_id: str | None = None
    phase: str | None = None


@dataclass(slots=True)
class ParsedLine:
    """One log event's message, understood."""

    kind: LineKind
    text: str
    """The message, sanitised for display (no control characters or escape sequences)."""
    request_id: str | None = None
    level: Level | None = None
    report: Report | None = None
    version: str | None = None
    error_type: str | None = None
    """Set when the line says the invocation failed (an unhandled error, a crash, a timeout)."""
    unhandled: bool = False
    """The line reports that the invocation itself failed, not merely an error logged."""
    classification: Classification | None = None
    timestamp_ms: int | None = None
    """A timestamp carried inside the message (runtime log prefix or JSON `time`)."""


@dataclass(slots=True)
class LogEvent:
    """A CloudWatch Logs event as FilterLogEvents returns it."""

    timestamp_ms: int
    message: str
    stream: str = ""
    event_id: str | None = None
    ingestion_ms: int | None = None


@dataclass(slots=True)
class LogRecord:
    """A log event with its parse: what the tail shows and the diagnosis reads."""

    event: LogEvent
    line: ParsedLine
    request_id: str | None = None
    """The invocation the line belongs to, by its own request id or by its stream's order."""


FAILED_STATUSES = frozenset({Status.ERROR, Status.TIMEOUT, Status.OUT_OF_MEMORY, Status.CRASHED})


@dataclass(slots=True)
class Invocation:
    """One request, assembled from the lines of its execution environment."""

    request_id: str
    stream: str = ""
    start_ms: int | None = None
    end_ms: int | None = None
    duration_ms: float | None = None
    billed_ms: float | None = None
    memory_size_mb: int | None = None
    max_memory_mb: int | None = None
    init_ms: float | None = None
    restore_ms: float | None = None
    status: Status = Status.RUNNING
    error_type: str | None = None
    trace_id: str | None = None
    version: str | None = None
    reported: bool = False
    """A REPORT line or `platform.report` event was seen: the invocation is complete."""
    families: frozenset[ErrorFamily] = frozenset()
    """Shared while empty, as most are: an empty set each would be a quarter of an
    invocation's memory (216 of about 790 bytes), and a function keeps 50,000."""
    runtime_ms: float | None = None
    """The handler's own time (`platform.runtimeDone`, JSON log format only): the rest of the
    duration is extensions finishing after it returned."""
    attempts: int = 1
    """Runs of this request id: Lambda retries a failed asynchronous invocation under the same
    id, often in another environment."""

    @property
    def cold(self) -> bool:
        """A cold start: an init or (SnapStart) restore ran before this invocation."""
        return self.init_ms is not None or self.restore_ms is not None

    @property
    def cold_start_ms(self) -> float | None:
        """How long the cold start took: the REPORT's `Init Duration`, else (SnapStart, which
        has none) its `Restore Duration`; None on a warm start. A present `Init Duration:
        0.00 ms` is a measured init, not a missing one: Lambda writes the field only on a cold
        start, so presence, not a non-zero value, is what marks it."""
        return self.init_ms if self.init_ms is not None else self.restore_ms

    @property
    def failed(self) -> bool:
        return self.status in FAILED_STATUSES

    @property
    def ran_out_of_memory(self) -> bool:
        """Lambda's own verdict, or a failed invocation that logged running out of a runtime's
        memory (PHP's memory_limit, a Java or Node.js heap) under another error type."""
        return self.status is Status.OUT_OF_MEMORY or (
            self.status in FAILED_STATUSES and ErrorFamily.OUT_OF_MEMORY in self.families
        )


@dataclass(slots=True, frozen=True)
class VpcConfig:
    subnet_ids: tuple[str, ...] = ()
    security_group_ids: tuple[str, ...] = ()
    vpc_id: str | None = None


@dataclass(slots=True)
class FunctionConfig:
    """What GetFunctionConfiguration and friends say about a function."""

    name: str
    arn: str | None = None
    runtime: str | None = None
    memory_mb: int | None = None
    ephemeral_storage_mb: int | None = None
    """The size of its `/tmp`: "The default value is 512, but can be any whole number between
    512 and 10,240 MB" (EphemeralStorage)."""
    timeout_s: float | None = None
    log_group: str | None = None
    log_format: str | None = None
    """`Text` or `JSON`."""
    vpc: VpcConfig | None = None
    code_size_bytes: int | None = None
    reserved_concurrency: int | None = None
    snapstart: bool = False
    tracing: str | None = None
    """`Active` or `PassThrough`."""
    role_arn: str | None = None
    handler: str | None = None
    architectures: tuple[str, ...] = ()
    last_modified: str | None = None
    package_type: str | None = None
    state: str | None = None
    last_update_status: str | None = None
    from_log_group: bool = False
    """Only what a log group tells (a source account's function, seen from a CloudWatch
    cross-account monitoring account): its name, ARN and log group. The rest is unknown, not
    default: the configuration is the source account's to read."""

    @property
    def effective_log_group(self) -> str:
        return self.log_group or f"/aws/lambda/{self.name}"

    @property
    def in_vpc(self) -> bool:
        return self.vpc is not None and bool(self.vpc.subnet_ids)

    @property
    def role_name(self) -> str | None:
        if not self.role_arn:
            return None
        return self.role_arn.rsplit("/", 1)[-1]


@dataclass(slots=True, frozen=True)
class EventSource:
    """An event source mapping (Kinesis, DynamoDB Streams, SQS, Kafka, MQ)."""

    uuid: str
    source_arn: str
    state: str | None = None
    batch_size: int | None = None
    last_processing_result: str | None = None
    starting_position: str | None = None
    maximum_retry_attempts: int | None = None
    bisect_on_error: bool | None = None
    on_failure_destination: str | None = None
    function_response_types: tuple[str, ...] | None = None
    """The mapping's `FunctionResponseTypes` (`("ReportBatchItemFailures",)` or empty: AWS
    leaves the field out when none is set); None: not read."""

    @property
    def reports_batch_item_failures(self) -> bool | None:
        """Whether Lambda processes the function's partial batch responses; None: not read."""
        types = self.function_response_types
        return None if types is None else "ReportBatchItemFailures" in types

    @property
    def service(self) -> str:
        """`kinesis`, `dynamodb`, `sqs`, `kafka`, `mq` from the source ARN."""
        parts = self.source_arn.split(":")
        return parts[2] if len(parts) > 2 else "unknown"

    @property
    def is_stream(self) -> bool:
        return self.service in {"kinesis", "dynamodb", "kafka"}


@dataclass(slots=True, frozen=True)
class ApiRoute:
    """An API Gateway API whose integration invokes the function."""

    api_id: str
    name: str
    kind: str
    """`REST` or `HTTP`."""
    stage: str | None = None
    integration_timeout_ms: int = 29_000


@dataclass(slots=True)
class MetricSeries:
    """One CloudWatch series at one-minute resolution: timestamps in epoch seconds."""

    name: str
    points: dict[int, float] = field(default_factory=dict)

    def latest(self) -> float | None:
        if not self.points:
            return None
        return self.points[max(self.points)]

    def values(self, since_s: int | None = None) -> list[float]:
        return [v for t, v in sorted(self.points.items()) if since_s is None or t >= since_s]

    def total(self, since_s: int | None = None) -> float:
        return sum(self.values(since_s))

    def peak(self, since_s: int | None = None) -> float | None:
        values = self.values(since_s)
        return max(values) if values else None

    def rate_per_min(self, now_s: float, minutes: int = 5, lag_minutes: int = 3) -> float:
        """The mean per minute over the last `minutes` settled minutes: the minute under way
        is partial, and CloudWatch publishes a minute up to `lag_minutes` late, so the span
        ends at the newest complete minute that has a datapoint (or at the lag's end)."""
        current = int(now_s) - int(now_s) % 60
        settled = current - lag_minutes * 60
        newest = max((t for t in self.points if t < current), default=None)
        end = max(newest, settled) if newest is not None else settled
        start = end - (minutes - 1) * 60
        return sum(v for t, v in self.points.items() if start <= t <= end) / minutes


@dataclass(slots=True, frozen=True)
class TraceSummary:
    """A failed X-Ray trace."""

    trace_id: str
    start_s: float
    duration_s: float | None = None
    response_time_s: float | None = None
    http_status: int | None = None
    error: bool = False
    fault: bool = False
    throttle: bool = False
    root_cause: str | None = None


@dataclass(slots=True)
class TraceSegment:
    """A segment or subsegment of an opened trace, for the waterfall."""

    segment_id: str
    name: str
    start_s: float
    end_s: float | None
    parent_id: str | None = None
    depth: int = 0
    origin: str | None = None
    namespace: str | None = None
    http_status: int | None = None
    error: bool = False
    fault: bool = False
    throttle: bool = False
    cause: str | None = None

    @property
    def duration_s(self) -> float | None:
        return None if self.end_s is None else self.end_s - self.start_s
