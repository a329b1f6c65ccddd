"""Three families the real-log corpus revealed (tests/reallogs/PENDING.md, 13 to 15), each held
by lines written here, unlike the samples':

- an environment Lambda stopped (SIGTERM) while it started, with no request after it, is no
  failed invocation of the code;
- a file without REPORT lines holds what was selected into it (a query's answer, a filtered or
  cut export, an application's records): said, and no fault of the logs;
- an invocation past 29 s is a 504 only if an API invokes the function: a warning when a line
  quotes an API Gateway event, else a hint.
"""

from __future__ import annotations

import json

import pytest
from expect import OK, UNKNOWN, WARN, has, lacks, run
from lambdalogs import FUNCTION, REGION

from lambdatop.commands.diagnose import evidence_from_export
from lambdatop.core.export import read_export
from lambdatop.diagnose.checks import api_gateway, logs
from lambdatop.diagnose.engine import diagnose
from lambdatop.diagnose.evidence import Evidence
from lambdatop.diagnose.model import CheckStatus
from lambdatop.diagnose.render import summary_lines
from lambdatop.diagnose.thresholds import Thresholds

RID = "6e5d4c3b-2a19-4f08-b7e6-d5c4b3a29180"
RID2 = "1f2e3d4c-5b6a-4978-8695-a4b3c2d1e0f9"


def exported(text: str) -> Evidence:
    return evidence_from_export(
        read_export(text.encode()), function=FUNCTION, region=REGION, since_s=None
    )


def report(rid: str, duration_ms: float, at: str) -> str:
    return (
        f"{at} REPORT RequestId: {rid}\tDuration: {duration_ms:.2f} ms\t"
        f"Billed Duration: {int(duration_ms) + 1} ms\tMemory Size: 1024 MB\tMax Memory Used: 190 MB"
    )


# --- 13: an environment Lambda stopped while it started -------------------------------------

STOPPED_RUBY = json.dumps(
    {
        "errorMessage": "SIGTERM",
        "errorType": "Init<SignalException>",
        "stackTrace": [
            "/var/runtime/gems/aws_lambda_ric-3.1.0/lib/aws_lambda_ric.rb:60:in `get_request'",
            "/var/task/config/boot.rb:12:in `block in <top (required)>'",
        ],
    },
    indent=2,
)


def test_an_init_stopped_by_lambda_with_no_request_after_it_is_no_failed_invocation() -> None:
    text = (
        "2026-05-11T02:12:40.301Z INIT_START Runtime Version: ruby:3.4.v7\n"
        "2026-05-11T02:14:11.880Z Init error when loading handler\n"
        f"2026-05-11T02:14:11.881Z {STOPPED_RUBY}\n"
    )
    ev = exported(text)
    assert ev.invocations == []
    diagnosis = diagnose(ev, Thresholds())
    assert summary_lines(diagnosis)[0].startswith("0 invocations · 0 failed")
    errors = run(ev, "invocation_errors")
    assert errors.status is WARN
    has([errors.title], "Environment stopped by Lambda during init", "Init<SignalException>")
    has(errors.evidence, "not the code failing to start")
    has(errors.commands, "--filter-pattern '\"SIGTERM\"'")
    lacks(errors.evidence, "1 of 1 invocation failed")
    assert not diagnosis.failed


def test_a_request_after_a_stopped_init_in_a_file_without_streams_inherits_no_failure() -> None:
    """A file that names no streams puts every line in one: the request that follows a stopped
    environment's lines is another environment's, and succeeded."""
    text = (
        "2026-05-11T02:14:11.880Z Init error when loading handler\n"
        f"2026-05-11T02:14:11.881Z {STOPPED_RUBY}\n"
        f"2026-05-11T02:16:12.010Z START RequestId: {RID} Version: 31\n"
        f"2026-05-11T02:16:12.400Z END RequestId: {RID}\n"
        f"{report(RID, 388.1, '2026-05-11T02:16:12.400Z')}\n"
    )
    (invocation,) = exported(text).invocations
    assert not invocation.failed
    assert run(exported(text), "invocation_errors").status is WARN  # the stop is still shown


def test_an_init_that_failed_on_its_own_before_the_sigterm_is_still_a_failed_invocation() -> None:
    own = json.dumps(
        {
            "errorMessage": "cannot load such file -- pg",
            "errorType": "Init<LoadError>",
            "stackTrace": ["/var/task/app.rb:2:in `require'"],
        }
    )
    text = f"2026-05-11T02:13:02.100Z {own}\n2026-05-11T02:14:11.881Z {STOPPED_RUBY}\n"
    (invocation,) = exported(text).invocations
    assert invocation.failed


# --- 14: a file holds what was selected into it ---------------------------------------------

INSIGHTS_ROWS = (
    "| @timestamp | @message | @log |\n"
    "| --- | --- | --- |\n"
    "| 2026-02-03 18:22:40.120 | [DD_EXT] flushing 3 metrics | 210987654321:/aws/lambda/"
    f"{FUNCTION} |\n"
    "| 2026-02-03 18:23:50.480 | [DD_EXT] flush done in 360ms | 210987654321:/aws/lambda/"
    f"{FUNCTION} |\n"
)
APP_RECORDS = json.dumps(
    [
        {"level": "INFO", "message": "order 55 priced", "timestamp": "2026-02-03T18:22:40.120Z"},
        {"level": "INFO", "message": "order 55 saved", "timestamp": "2026-02-03T18:23:41.301Z"},
    ]
)
CUT_COPY = (
    f"2026-02-03T18:22:40.000Z START RequestId: {RID} Version: 9\n"
    f"2026-02-03T18:22:40.120Z\t{RID}\tINFO\torder 55 priced\n"
    f"2026-02-03T18:23:41.300Z END RequestId: {RID}\n"
)


@pytest.mark.parametrize(
    ("text", "held"),
    [
        (INSIGHTS_ROWS, logs.SELECTED_BY_QUERY),
        (APP_RECORDS, logs.SELECTED_INTO_FILE),
        (CUT_COPY, logs.SELECTED_INTO_FILE),
    ],
    ids=["insights-table", "application-records", "cut-before-report"],
)
def test_a_file_without_report_lines_says_what_it_holds_and_is_no_fault_of_the_logs(
    text: str, held: str
) -> None:
    result = run(exported(text), "logs")
    assert result.status is OK, result.title
    has([result.title], "no REPORT line", "only the lines")
    assert held in result.evidence
    lacks(result.evidence, "the export filtered them out")


def test_a_live_read_without_report_lines_still_warns() -> None:
    """Read from the log group itself, no REPORT lines is the logs' own gap (the system log
    level hides them): a warning, as before."""
    ev = exported(CUT_COPY)
    ev.export_form = None
    result = run(ev, "logs")
    assert result.status is WARN
    has([result.title], "no REPORT lines")
    assert logs.NO_REPORTS in result.evidence


def test_a_file_that_dropped_lines_still_warns_without_report_lines() -> None:
    dropped = (
        '2026-02-03T18:23:50.500Z {"time":"2026-02-03T18:23:50.500Z","type":"platform.logsDropped",'
        '"record":{"reason":"Consumer seems to have fallen behind","droppedRecords":41,'
        '"droppedBytes":9000}}\n'
    )
    result = run(exported(CUT_COPY + dropped), "logs")
    assert result.status is WARN
    has([result.title], "dropped log lines")


# --- 15: past 29 s, a 504 only if an API invokes the function -------------------------------


def long_invocations(event_line: str | None) -> str:
    lines = []
    for n, rid in enumerate((RID, RID2)):
        second = 10 + 40 * n
        lines.append(f"2026-04-09T07:00:{second:02d}.000Z START RequestId: {rid} Version: 4")
        if event_line is not None:
            lines.append(f"2026-04-09T07:00:{second:02d}.010Z\t{rid}\tERROR\t{event_line}")
        lines.append(report(rid, 33_412.5, f"2026-04-09T07:00:{second + 33:02d}.500Z"))
    return "\n".join(lines) + "\n"


API_EVENT = (
    "slow upstream for {'resource': '/reports/{id}', 'httpMethod': 'GET', 'requestContext':"
    " {'apiId': 'q7w8e9r0t1', 'stage': 'prod', 'domainName': 'q7w8e9r0t1.execute-api"
    ".eu-central-1.amazonaws.com'}}"
)
FUNCTION_URL_EVENT = (
    "slow upstream for {'rawPath': '/reports/9', 'requestContext': {'apiId': 'x1y2z3',"
    " 'domainName': 'x1y2z3.lambda-url.eu-central-1.on.aws'}}"
)


@pytest.mark.parametrize(
    ("event_line", "status"),
    [(None, UNKNOWN), (FUNCTION_URL_EVENT, UNKNOWN), (API_EVENT, WARN)],
    ids=["nothing-says", "function-url", "api-gateway-event"],
)
def test_past_29_s_warns_only_when_a_line_shows_an_api_invokes_the_function(
    event_line: str | None, status: CheckStatus
) -> None:
    result = run(exported(long_invocations(event_line)), "api_gateway")
    assert result.status is status, result.title
    has(result.evidence, "2 of 2 invocations ran 29 s or longer")
    if status is WARN:
        has([result.title], "2 invocations ran past 29 s", "API Gateway events", "504")
        has(result.next_steps, "answer within 29 s")
    else:
        has([result.title], "2 invocations ran past 29 s; no API in front was read (logs only)")
        assert api_gateway.IF_AN_API in result.evidence
        lacks(result.next_steps, "answer within 29 s")
