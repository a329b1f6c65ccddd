"""Control plane, first box: are the function's logs there, and complete?"""

from __future__ import annotations

import re
from typing import NamedTuple

from lambdatop.core import metrics as m
from lambdatop.core.timeutil import human_duration
from lambdatop.diagnose.checks.base import Advice, Verdict
from lambdatop.diagnose.commands import Commands
from lambdatop.diagnose.evidence import Evidence
from lambdatop.diagnose.format import count, samples
from lambdatop.diagnose.model import CheckStatus
from lambdatop.diagnose.thresholds import Thresholds

ERRORS_BY_5_MIN = (
    "fields @timestamp, @message | filter @message like /(?i)(error|exception|timed out)/"
    " | stats count() by bin(5m)"
)
DROPPED_BY_5_MIN = (
    "fields @timestamp, @message | filter @message like /platform\\.logsDropped/"
    " | stats count() by bin(5m)"
)
NO_LINES = (
    "the execution role may lack logs:CreateLogStream / logs:PutLogEvents, or "
    "LoggingConfig points elsewhere"
)
DROPPED = (
    "platform.logsDropped: the function logged faster than Lambda could ship, so "
    "counts from these logs are low"
)
NO_REPORTS = (
    "without REPORT lines there are no durations or memory figures: the system log "
    "level (LoggingConfig.SystemLogLevel) may hide them, or the export filtered them out"
)
QUERY_FORMS = frozenset(("insights", "table", "csv"))
"""Files that are a query's answer: Logs Insights results (JSON, a Markdown or CSV table), or
the console's table of a search."""
SELECTED_BY_QUERY = (
    "the file is a query's answer (Logs Insights, the console's search): it holds only the"
    " lines its query selected, so no REPORT line was read and there are no durations or"
    " memory figures; query the log group itself for them"
)
SELECTED_INTO_FILE = (
    "the file holds only the lines put into it (a filtered export, a copy cut short, an"
    " application's own records), and no REPORT line: no durations or memory figures; the"
    " log group itself has them unless the system log level (LoggingConfig.SystemLogLevel)"
    " hides them"
)
API_GATEWAY_LOG = (
    "API Gateway's execution log, not the function's: what the API saw is judged under"
    " api_gateway; the function's own lines are in its log group"
)
OUTSIDE_INVOCATIONS = (
    "logged outside every invocation the logs show complete: an extension's or a layer's own"
    " lines, the init, a request with no REPORT yet, or a file that holds the error lines alone"
    " (a filtered export, a query's answer); no check can tell whether a request failed by them"
)
UNFINISHED_AFTER_MS = 60_000
"""An invocation started this long before the newest line should have reported by then."""
UNFINISHED_TO_WARN = 3

_DROPPED_RECORDS = re.compile(r'"droppedRecords"\s*:\s*(\d+)')


class LogFigures(NamedTuple):
    read: bool
    invoked: float | None
    """Invocations CloudWatch counted in the window (None: metrics not read)."""
    lines: int
    error_lines: int
    reported: int
    environments: int
    dropped_times: int
    dropped_records: int
    gaps: int
    unfinished: int
    """Invocations started over a minute before the newest line, with no REPORT by then."""
    oldest_unfinished_ms: int
    timeout_ms: float
    export_form: str | None = None
    """How a file carried the lines (None: read from the log group itself)."""
    outside: int = 0
    """Lines at ERROR or FATAL level that no completed invocation of the window owns."""


def measure(ev: Evidence, limits: Thresholds) -> LogFigures:
    unfinished = _unfinished(ev)
    return LogFigures(
        read=ev.logs_read,
        invoked=ev.metric_total(m.INVOCATIONS),
        lines=ev.lines,
        error_lines=ev.error_lines,
        reported=len(ev.reported),
        environments=ev.shared.environments,
        dropped_times=len(ev.dropped),
        dropped_records=sum(_dropped_records(f.line.text) for f in ev.dropped),
        gaps=ev.gaps,
        export_form=ev.export_form,
        unfinished=len(unfinished),
        oldest_unfinished_ms=max(unfinished, default=0),
        timeout_ms=(ev.timeout_s or 0) * 1000,
        outside=len(ev.logged_outside()),
    )


def verdict(f: LogFigures, limits: Thresholds) -> Verdict:
    if not f.read:
        return Verdict(CheckStatus.UNKNOWN, "Logs were not read")
    if f.export_form == "apigateway":
        return Verdict(CheckStatus.UNKNOWN, API_GATEWAY_LOG)
    if f.lines == 0:
        if f.invoked:
            title = f"{count(f.invoked, 'invocation')} in CloudWatch but no log lines"
            return Verdict(CheckStatus.WARN, title)
        return Verdict(CheckStatus.UNKNOWN, "No log events in the window")
    problems = _problems(f)
    if problems:
        return Verdict(CheckStatus.WARN, "Logs incomplete: " + "; ".join(problems))
    if f.outside:
        # Errors no invocation owns are judged by no other check: said here, not lost.
        title = f"{count(f.outside, 'line')} at ERROR level in no completed invocation"
        return Verdict(CheckStatus.WARN, title)
    if f.reported == 0:
        # A file without REPORT lines holds what was selected into it: no fault of the logs.
        held = (
            "a query's answer holds only the lines it selected"
            if f.export_form in QUERY_FORMS
            else "the file holds only the lines put into it"
        )
        title = f"{count(f.lines, 'log line')} read, no REPORT line ({held})"
        return Verdict(CheckStatus.OK, title)
    return Verdict(
        CheckStatus.OK,
        f"{count(f.lines, 'log line')} read, {count(f.reported, 'invocation')} complete",
    )


def _problems(f: LogFigures) -> list[str]:
    problems: list[str] = []
    if f.dropped_times:
        lost = f" ({count(f.dropped_records, 'record')} lost)" if f.dropped_records else ""
        problems.append(f"Lambda dropped log lines {count(f.dropped_times, 'time')}{lost}")
    if f.gaps:
        problems.append(f"the tail was interrupted {count(f.gaps, 'time')}")
    if f.unfinished >= UNFINISHED_TO_WARN and (
        not f.timeout_ms or f.oldest_unfinished_ms > f.timeout_ms
    ):
        problems.append(
            f"{count(f.unfinished, 'invocation')} have not finished"
            + (" (past the timeout: their lines are missing)" if f.timeout_ms else "")
        )
    if f.reported == 0 and f.export_form is None:
        problems.append("no REPORT lines")
    return problems


def advise(f: LogFigures, _: Verdict, ev: Evidence) -> Advice:
    cmd = Commands(ev)
    advice = Advice(steps=[cmd.insights(ERRORS_BY_5_MIN)])
    if not f.read or f.lines == 0:
        if f.read and f.invoked:
            advice.evidence = [f"log group {ev.log_group} has no events in the window", NO_LINES]
            advice.steps.insert(0, cmd.function_config("LoggingConfig"))
        return advice
    across = f" across {count(f.environments, 'execution environment')}" if f.environments else ""
    advice.evidence = [
        f"{count(f.lines, 'line')}, {count(f.reported, 'completed invocation')}{across}",
        f"{count(f.error_lines, 'line')} at ERROR or FATAL level",
    ]
    if f.dropped_times:
        advice.evidence.append(DROPPED)
        advice.evidence.extend(samples(ev.dropped))
        # The errors query finds none of the quoted events: theirs counts them.
        advice.steps.insert(0, cmd.insights(DROPPED_BY_5_MIN))
    if f.unfinished:
        advice.evidence.append(
            f"{count(f.unfinished, 'invocation')} started with no REPORT by the newest line"
            f" (the oldest {human_duration(f.oldest_unfinished_ms / 1000)} before it):"
            " still running, or hung"
        )
    if f.outside:
        advice.evidence.append(OUTSIDE_INVOCATIONS)
        advice.evidence.extend(samples(ev.logged_outside()))
    if f.reported == 0:
        advice.evidence.append(_without_reports(f.export_form))
    return advice


def _without_reports(export_form: str | None) -> str:
    """Why no REPORT line was read: what a file holds, or what hides them in the log group."""
    if export_form is None:
        return NO_REPORTS
    return SELECTED_BY_QUERY if export_form in QUERY_FORMS else SELECTED_INTO_FILE


def _dropped_records(text: str) -> int:
    match = _DROPPED_RECORDS.search(text)
    return int(match.group(1)) if match else 0


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
        and newest - inv.start_ms > UNFINISHED_AFTER_MS
    ]
