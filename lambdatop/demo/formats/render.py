"""Turn one decided invocation into the log events Lambda would write to its stream."""

from __future__ import annotations

from dataclasses import dataclass

from lambdatop.demo.formats import app, platform_json, platform_text
from lambdatop.demo.formats.clock import epoch_ms
from lambdatop.demo.incidents.base import Failure, FailureKind
from lambdatop.demo.invocation import SimulatedInvocation
from lambdatop.demo.scenarios import LogFormat


@dataclass(frozen=True, slots=True)
class LogLine:
    """One CloudWatch Logs event: its timestamp (epoch ms) and raw message."""

    timestamp: int
    message: str


def render_invocation(invocation: SimulatedInvocation) -> list[LogLine]:
    """Every event of the invocation (and of the cold start before it), in time order."""
    if invocation.scenario.log_format is LogFormat.JSON:
        events = _render_json(invocation)
    else:
        events = _render_text(invocation)
    # A stable sort keeps same-millisecond lines in the order Lambda wrote them
    lines = [LogLine(epoch_ms(at), message) for at, message in events]
    lines.sort(key=lambda line: line.timestamp)
    return lines


def _status(failure: Failure | None) -> tuple[str | None, str | None]:
    """REPORT's `Status` and `Error Type`, which only platform-level failures carry."""
    if failure is None or failure.kind is FailureKind.UNHANDLED:
        return None, None
    if failure.kind is FailureKind.TIMEOUT:
        return "timeout", None
    return "error", failure.error_type


def _render_text(inv: SimulatedInvocation) -> list[tuple[float, str]]:
    scenario, outcome, request_id = inv.scenario, inv.outcome, inv.request.request_id
    family = scenario.family
    events: list[tuple[float, str]] = []
    restore_ms: float | None = None
    init_ms: float | None = None
    if inv.cold_start is not None:
        cold = inv.cold_start
        if cold.restore:
            restore_ms = cold.outcome.duration_ms
            events.append(
                (
                    cold.start,
                    platform_text.restore_start(inv.runtime_version, inv.runtime_version_arn),
                )
            )
        else:
            init_ms = cold.outcome.duration_ms
            events.append(
                (cold.start, platform_text.init_start(inv.runtime_version, inv.runtime_version_arn))
            )
        for line in cold.outcome.lines:
            at = cold.start + line.offset_ms / 1000.0
            events.append((at, app.app_line(family, scenario.log_format, line, at, None)))
        done = cold.start + cold.outcome.duration_ms / 1000.0
        if cold.restore:
            events.append((done, platform_text.restore_report(cold.outcome.duration_ms)))
        elif cold.outcome.error_type is not None:
            failure = outcome.failure
            if failure is not None:
                events.append(
                    (done, app.init_error(family, scenario.log_format, failure, done - 0.001))
                )
            events.append(
                (done, platform_text.init_report(init_ms or 0.0, "init", cold.outcome.error_type))
            )
            # A failed init is not an Init Duration on REPORT: the invoke re-runs init
            init_ms = None

    start_at = inv.start
    failure = outcome.failure
    if failure is not None and failure.kind is FailureKind.INIT_ERROR:
        reinit_ms = outcome.duration_ms - 3.0
        events.append(
            (start_at, platform_text.init_start(inv.runtime_version, inv.runtime_version_arn))
        )
        events.append(
            (start_at, app.init_error(family, scenario.log_format, failure, start_at + 0.2))
        )
        reinit_done = start_at + reinit_ms / 1000.0
        events.append(
            (reinit_done, platform_text.init_report(reinit_ms, "invoke", failure.error_type))
        )
        events.append((reinit_done, platform_text.start(request_id, inv.version)))
        events.append((reinit_done, platform_text.unknown_application_error(failure.error_type)))
    else:
        events.append((start_at, platform_text.start(request_id, inv.version)))
        for line in outcome.lines:
            at = start_at + line.offset_ms / 1000.0
            events.append((at, app.app_line(family, scenario.log_format, line, at, request_id)))

    end_at = inv.end
    if failure is not None:
        if failure.kind is FailureKind.UNHANDLED:
            at = end_at - 0.001
            events.append(
                (at, app.unhandled_error(family, scenario.log_format, failure, at, request_id))
            )
        elif failure.kind is FailureKind.TIMEOUT:
            seconds = outcome.duration_ms / 1000.0
            events.append((end_at, platform_text.task_timed_out(end_at, request_id, seconds)))
        elif failure.kind is FailureKind.OUT_OF_MEMORY:
            events.append((end_at, platform_text.runtime_killed(request_id)))
    status, error_type = _status(failure)
    xray = (inv.trace.trace_id, inv.trace.segment_id) if inv.trace else None
    events.append((end_at, platform_text.end(request_id)))
    events.append(
        (
            end_at,
            platform_text.report(
                request_id,
                outcome.duration_ms,
                scenario.memory_mb,
                outcome.max_memory_mb,
                init_duration_ms=init_ms,
                restore_duration_ms=restore_ms,
                status=status,
                error_type=error_type,
                xray=xray,
            ),
        )
    )
    return events


def _render_json(inv: SimulatedInvocation) -> list[tuple[float, str]]:
    scenario, outcome, request_id = inv.scenario, inv.outcome, inv.request.request_id
    family, fmt = scenario.family, scenario.log_format
    trace = platform_json.tracing(inv.trace.trace_id, inv.trace.segment_id) if inv.trace else None
    events: list[tuple[float, str]] = []
    init_ms: float | None = None
    restore_ms: float | None = None
    if inv.cold_start is not None:
        cold = inv.cold_start
        done = cold.start + cold.outcome.duration_ms / 1000.0
        if cold.restore:
            restore_ms = cold.outcome.duration_ms
            events.append(
                (
                    cold.start,
                    platform_json.restore_start(
                        cold.start,
                        inv.runtime_version,
                        inv.runtime_version_arn,
                        scenario.name,
                        inv.version,
                    ),
                )
            )
            events.append((done, platform_json.restore_report(done, cold.outcome.duration_ms)))
        else:
            events.append(
                (
                    cold.start,
                    platform_json.init_start(
                        cold.start,
                        inv.runtime_version,
                        inv.runtime_version_arn,
                        scenario.name,
                        inv.version,
                        scenario.memory_mb,
                    ),
                )
            )
            for line in cold.outcome.lines:
                at = cold.start + line.offset_ms / 1000.0
                events.append((at, app.app_line(family, fmt, line, at, None)))
            init_error = cold.outcome.error_type
            if init_error is not None and outcome.failure is not None:
                events.append((done, app.init_error(family, fmt, outcome.failure, done - 0.001)))
            events.append((done, platform_json.init_runtime_done(done, "init", init_error)))
            events.append(
                (
                    done,
                    platform_json.init_report(done, cold.outcome.duration_ms, "init", init_error),
                )
            )
            init_ms = None if init_error else cold.outcome.duration_ms

    start_at = inv.start
    failure = outcome.failure
    if failure is not None and failure.kind is FailureKind.INIT_ERROR:
        reinit_ms = outcome.duration_ms - 3.0
        reinit_done = start_at + reinit_ms / 1000.0
        events.append(
            (
                start_at,
                platform_json.init_start(
                    start_at,
                    inv.runtime_version,
                    inv.runtime_version_arn,
                    scenario.name,
                    inv.version,
                    scenario.memory_mb,
                    phase="invoke",
                ),
            )
        )
        events.append((start_at, app.init_error(family, fmt, failure, start_at + 0.2)))
        events.append(
            (
                reinit_done,
                platform_json.init_report(reinit_done, reinit_ms, "invoke", failure.error_type),
            )
        )
        events.append(
            (reinit_done, platform_json.start(reinit_done, request_id, inv.version, trace))
        )
    else:
        events.append((start_at, platform_json.start(start_at, request_id, inv.version, trace)))
        for line in outcome.lines:
            at = start_at + line.offset_ms / 1000.0
            events.append((at, app.app_line(family, fmt, line, at, request_id)))

    end_at = inv.end
    status = "success"
    error_type: str | None = None
    if failure is not None:
        if failure.kind is FailureKind.UNHANDLED:
            at = end_at - 0.001
            events.append((at, app.unhandled_error(family, fmt, failure, at, request_id)))
            status, error_type = "error", failure.error_type
        elif failure.kind is FailureKind.TIMEOUT:
            status = "timeout"
        else:
            status, error_type = "error", failure.error_type
        # At the default system log level only a failed runtimeDone is written
        events.append(
            (
                end_at,
                platform_json.runtime_done(
                    end_at, request_id, status, error_type, outcome.duration_ms, trace
                ),
            )
        )
    events.append(
        (
            end_at,
            platform_json.report(
                end_at,
                request_id,
                outcome.duration_ms,
                scenario.memory_mb,
                outcome.max_memory_mb,
                status,
                init_duration_ms=init_ms,
                restore_duration_ms=restore_ms,
                error_type=error_type,
                trace=trace,
            ),
        )
    )
    return events
