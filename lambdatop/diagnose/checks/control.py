"""Control plane: are the logs, metrics and traces there, and what do they say at a glance."""

from __future__ import annotations

import re
from collections import Counter

from lambdatop.core import metrics as m
from lambdatop.core.timeutil import human_duration
from lambdatop.diagnose.commands import Commands
from lambdatop.diagnose.evidence import Evidence
from lambdatop.diagnose.format import count, ms, pct, samples
from lambdatop.diagnose.model import CheckResult, CheckStatus, Plane
from lambdatop.diagnose.thresholds import Thresholds

_DROPPED_RECORDS = re.compile(r'"droppedRecords"\s*:\s*(\d+)')


def _dropped_records(text: str) -> int:
    match = _DROPPED_RECORDS.search(text)
    return int(match.group(1)) if match else 0


def check_logs(ev: Evidence, limits: Thresholds) -> CheckResult:
    result = CheckResult("logs", Plane.CONTROL, CheckStatus.OK, "")
    cmd = Commands(ev)
    result.steps = [
        cmd.insights(
            "fields @timestamp, @message | filter @message like /(?i)(error|exception|timed out)/"
            " | stats count() by bin(5m)"
        )
    ]
    if not ev.logs_read:
        result.status = CheckStatus.UNKNOWN
        result.title = "Logs were not read"
        return result
    invoked = ev.metric_total(m.INVOCATIONS)
    if ev.lines == 0:
        if invoked:
            result.status = CheckStatus.WARN
            result.title = f"{count(invoked, 'invocation')} in CloudWatch but no log lines"
            result.evidence = [
                f"log group {ev.log_group} has no events in the window",
                "the execution role may lack logs:CreateLogStream / logs:PutLogEvents, or "
                "LoggingConfig points elsewhere",
            ]
            result.steps.insert(0, cmd.function_config("LoggingConfig"))
        else:
            result.status = CheckStatus.UNKNOWN
            result.title = "No log events in the window"
        return result
    streams = len({inv.stream for inv in ev.invocations if inv.stream})
    reported = len(ev.reported)
    result.evidence = [
        f"{ev.lines:,} lines, {count(reported, 'completed invocation')}"
        + (f" across {count(streams, 'execution environment')}" if streams else ""),
        f"{ev.error_lines:,} lines at ERROR or FATAL level",
    ]
    problems: list[str] = []
    if ev.dropped:
        records = sum(_dropped_records(f.line.text) for f in ev.dropped)
        lost = f" ({count(records, 'record')} lost)" if records else ""
        problems.append(f"Lambda dropped log lines {count(len(ev.dropped), 'time')}{lost}")
        result.evidence.append(
            "platform.logsDropped: the function logged faster than Lambda could ship, so "
            "counts from these logs are low"
        )
        result.evidence.extend(samples(ev.dropped))
    if ev.gaps:
        problems.append(f"the tail was interrupted {count(ev.gaps, 'time')}")
    unfinished = _unfinished(ev)
    if unfinished:
        longest = max(unfinished)
        result.evidence.append(
            f"{count(len(unfinished), 'invocation')} started with no REPORT by the newest line"
            f" (the oldest {human_duration(longest / 1000)} before it): still running, or hung"
        )
        timeout_ms = (ev.timeout_s or 0) * 1000
        if len(unfinished) >= 3 and (not timeout_ms or longest > timeout_ms):
            problems.append(
                f"{count(len(unfinished), 'invocation')} have not finished"
                + (" (past the timeout: their lines are missing)" if timeout_ms else "")
            )
    if reported == 0 and ev.lines > 0:
        problems.append("no REPORT lines")
        result.evidence.append(
            "without REPORT lines there are no durations or memory figures: the system log "
            "level (LoggingConfig.SystemLogLevel) may hide them, or the export filtered them out"
        )
    if problems:
        result.status = CheckStatus.WARN
        result.title = "Logs incomplete: " + "; ".join(problems)
    else:
        result.title = f"{ev.lines:,} log lines read, {count(reported, 'invocation')} complete"
    return result


_UNFINISHED_AFTER_MS = 60_000
"""An invocation started this long before the newest line should have reported by then."""


def _unfinished(ev: Evidence) -> list[int]:
    """How long before the newest line each invocation that never reported started, for those
    that started more than a minute before it."""
    newest = ev.end_ms
    if newest is None:
        return []
    return [
        newest - inv.start_ms
        for inv in ev.invocations
        if not inv.reported
        and inv.start_ms is not None
        and newest - inv.start_ms > _UNFINISHED_AFTER_MS
    ]


def check_metrics(ev: Evidence, limits: Thresholds) -> CheckResult:
    cmd = Commands(ev)
    result = CheckResult(
        "metrics",
        Plane.CONTROL,
        CheckStatus.OK,
        "",
        steps=[
            cmd.metric("Invocations", ["Sum"]),
            cmd.metric("Errors", ["Sum"]),
            cmd.metric("Duration", ["Average", "Maximum"]),
        ],
    )
    if ev.metrics is None:
        result.status = CheckStatus.UNKNOWN
        result.title = "CloudWatch metrics were not read (logs only)"
        return result
    invocations = ev.metric_total(m.INVOCATIONS) or 0.0
    errors = ev.metric_total(m.ERRORS) or 0.0
    throttles = ev.metric_total(m.THROTTLES) or 0.0
    duration_max = ev.metric_peak(m.DURATION_MAX)
    concurrency = ev.metric_peak(m.CONCURRENCY)
    result.evidence = [
        f"Invocations {invocations:,.0f}, Errors {errors:,.0f} ({pct(errors, invocations)}),"
        f" Throttles {throttles:,.0f} ({pct(throttles, invocations + throttles)})",
    ]
    if duration_max is not None:
        limit = f" of {ev.timeout_s:g} s timeout" if ev.timeout_s else ""
        result.evidence.append(f"Duration maximum {ms(duration_max)}{limit}")
    if concurrency is not None:
        result.evidence.append(f"ConcurrentExecutions peak {concurrency:,.0f}")
    error_rate = errors / invocations if invocations else 0.0
    throttle_rate = throttles / (invocations + throttles) if invocations + throttles else 0.0
    if error_rate >= limits.error_rate_fail or throttle_rate >= limits.throttle_ratio_fail:
        result.status = CheckStatus.FAIL
    elif error_rate >= limits.error_rate_warn or throttles > 0:
        result.status = CheckStatus.WARN
    if invocations == 0 and throttles == 0:
        result.title = "No invocations in CloudWatch metrics for the window"
    else:
        result.title = (
            f"{invocations:,.0f} invocations, {pct(errors, invocations)} errors,"
            f" {throttles:,.0f} throttles"
        )
    return result


def check_traces(ev: Evidence, limits: Thresholds) -> CheckResult:
    cmd = Commands(ev)
    result = CheckResult("traces", Plane.CONTROL, CheckStatus.OK, "", steps=[cmd.traces()])
    tracing = ev.config.tracing if ev.config else None
    if ev.traces is None:
        result.status = CheckStatus.UNKNOWN
        if tracing is not None and tracing != "Active":
            result.title = "X-Ray active tracing is off"
            result.steps = [cmd.update("--tracing-config Mode=Active")]
        else:
            result.title = "X-Ray traces were not read"
        return result
    if not ev.traces:
        result.title = "No failed X-Ray traces in the window"
        if tracing is not None and tracing != "Active":
            result.status = CheckStatus.UNKNOWN
            result.title = "X-Ray active tracing is off: no traces to read"
            result.steps = [cmd.update("--tracing-config Mode=Active")]
        return result
    faults = [t for t in ev.traces if t.fault]
    errors = [t for t in ev.traces if t.error and not t.fault]
    throttled = [t for t in ev.traces if t.throttle]
    statuses = Counter(t.http_status for t in ev.traces if t.http_status)
    slowest = max((t.duration_s or 0.0) for t in ev.traces)
    result.evidence = [
        f"{count(len(faults), 'trace')} with faults (5xx), {len(errors)} with errors (4xx),"
        f" {len(throttled)} throttled",
        f"slowest failed trace {slowest:.1f} s",
    ]
    if statuses:
        result.evidence.append(
            "HTTP status: " + ", ".join(f"{code} ×{n}" for code, n in statuses.most_common(4))
        )
    causes = Counter(t.root_cause for t in ev.traces if t.root_cause)
    for cause, n in causes.most_common(2):
        result.evidence.append(f"› {cause} ×{n}")
    newest = max(ev.traces, key=lambda t: t.start_s)
    result.steps.append(cmd.trace(newest.trace_id))
    # Traces are a sample (X-Ray keeps a few a second): faults fail the check when the function
    # fails a real share of its invocations; a couple of faults in a healthy function are worth
    # a look, not a failing report.
    invocations = ev.metric_total(m.INVOCATIONS) or len(ev.reported)
    failed_runs = ev.metric_total(m.ERRORS)
    if failed_runs is None:
        failed_runs = sum(1 for inv in ev.reported if inv.failed)
    failing = not invocations or failed_runs / invocations >= limits.error_rate_warn
    result.status = CheckStatus.FAIL if faults and failing else CheckStatus.WARN
    result.title = f"{count(len(ev.traces), 'failed trace')} in the window" + (
        " (the newest; there were more)" if ev.traces_capped else ""
    )
    return result
