"""Three families the real-log corpus revealed (tests/reallogs/PENDING.md, 16, 18 and 19), each
held by lines written here, unlike the samples':

- an API Gateway event the function logged at an ordinary level (`print(event)`, Powertools'
  `log_event=True`), in Lambda's text or JSON format, shows an API invokes the function: past
  29 s warns; a Function URL's event (no 29 s limit) does not;
- a JSON-format line is quoted by its level, error and message, not by its envelope;
- a SnapStart restore is called a restore, not an init.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from expect import UNKNOWN, WARN, has, lacks, run
from lambdalogs import FUNCTION, REGION

from lambdatop.commands.diagnose import evidence_from_export
from lambdatop.core.bulk import ingest_every_line
from lambdatop.core.export import read_export
from lambdatop.core.timeutil import to_epoch_ms
from lambdatop.diagnose.checks import api_gateway
from lambdatop.diagnose.engine import diagnose
from lambdatop.diagnose.evidence import Evidence
from lambdatop.diagnose.format import told
from lambdatop.diagnose.render import summary_lines, to_json, to_text
from lambdatop.diagnose.thresholds import Thresholds

RID = "0a9b8c7d-6e5f-4a3b-9c2d-1e0f9a8b7c6d"
RID2 = "5d4c3b2a-1f0e-4d9c-8b7a-6f5e4d3c2b1a"


def exported(text: str, *, every_line: bool = False) -> Evidence:
    kwargs = {"ingest": ingest_every_line} if every_line else {}
    return evidence_from_export(
        read_export(text.encode()), function=FUNCTION, region=REGION, since_s=None, **kwargs
    )


# --- 16: an API Gateway event logged at an ordinary level ---------------------------------

# Node.js's console.log(event) in the text format: util.inspect's keys are unquoted.
NODE_REST_EVENT = (
    "{\n  resource: '/invoices/{invoiceId}',\n  path: '/invoices/88',\n  httpMethod: 'PUT',\n"
    "  requestContext: {\n    resourcePath: '/invoices/{invoiceId}',\n    httpMethod: 'PUT',\n"
    "    stage: 'live',\n    apiId: 'h4k2m9p1zq',\n"
    "    domainName: 'h4k2m9p1zq.execute-api.ap-southeast-2.amazonaws.com'\n  },\n"
    "  body: null\n}"
)
# Python's logging of the event in the JSON format: the message is the dict's repr.
PYTHON_HTTP_EVENT = (
    "{'version': '2.0', 'routeKey': 'POST /refunds', 'rawPath': '/refunds', 'requestContext':"
    " {'accountId': '210987654321', 'apiId': 'r2d2c3po77', 'domainName':"
    " 'r2d2c3po77.execute-api.sa-east-1.amazonaws.com', 'stage': '$default'}}"
)
FUNCTION_URL_EVENT = (
    "{'version': '2.0', 'routeKey': '$default', 'rawPath': '/refunds', 'requestContext':"
    " {'apiId': 'ab12cd34ef', 'domainName': 'ab12cd34ef.lambda-url.sa-east-1.on.aws',"
    " 'stage': '$default'}}"
)


def _node_text(rid: str, at: str) -> str:
    return f"{at}\t{rid}\tINFO\t{NODE_REST_EVENT}"


Line = Callable[[str, str], str]
"""A line logged by the request (id) at a time (ISO)."""


def _python_json(event: str) -> Line:
    def line(rid: str, at: str) -> str:
        return json.dumps(
            {"timestamp": at, "level": "INFO", "message": event, "logger": "root", "requestId": rid}
        )

    return line


def _powertools(rid: str, at: str) -> str:
    # Powertools for AWS Lambda (Python), `log_event=True`: the event as the message's object.
    event = {
        "version": "2.0",
        "routeKey": "GET /balance",
        "requestContext": {"apiId": "w9x8y7z6v5", "stage": "beta", "http": {"method": "GET"}},
    }
    return json.dumps(
        {
            "level": "INFO",
            "location": "decorate:448",
            "message": event,
            "timestamp": at.replace("T", " ").replace("Z", "+0000"),
            "service": "ledger",
            "xray_trace_id": "1-6a1b2c3d-0f1e2d3c4b5a69788796a5b4",
        },
        separators=(",", ":"),
    )


def long_runs(event_line: Line, form: str = "text") -> str:
    """Two invocations of 31.6 s, each logging the event it was given at INFO: as a text export,
    or as `aws logs filter-log-events` prints them (a bulk read counts the ordinary lines of
    those without parsing them)."""
    events = []
    for n, rid in enumerate((RID, RID2)):
        second = 5 + 45 * n
        at = f"2026-06-17T21:03:{second:02d}.004Z"
        events += [
            (f"2026-06-17T21:03:{second:02d}.000Z", f"START RequestId: {rid} Version: 12"),
            (at, event_line(rid, at)),
            (
                f"2026-06-17T21:03:{second + 31:02d}.700Z",
                f"REPORT RequestId: {rid}\tDuration: 31604.12 ms\tBilled Duration: 31605 ms"
                "\tMemory Size: 512 MB\tMax Memory Used: 141 MB",
            ),
        ]
    if form == "text":
        return "".join(f"{at} {message}\n" for at, message in events)
    stream = "2026/06/17/[12]0f1e2d3c4b5a69788796a5b4c3d2e1f0"
    return json.dumps(
        {
            "events": [
                {"logStreamName": stream, "timestamp": to_epoch_ms(at), "message": message + "\n"}
                for at, message in events
            ]
        }
    )


@pytest.mark.parametrize("every_line", [False, True], ids=["bulk", "line-by-line"])
@pytest.mark.parametrize("form", ["text", "filter-log-events"])
@pytest.mark.parametrize(
    ("event_line", "named"),
    [
        (_node_text, "API h4k2m9p1zq stage live"),
        (_python_json(PYTHON_HTTP_EVENT), "API r2d2c3po77 stage $default"),
        (_powertools, "API w9x8y7z6v5 stage beta"),
    ],
    ids=["node-text-inspect", "python-json-repr", "powertools-log-event"],
)
def test_an_api_gateway_event_logged_at_info_makes_past_29_s_a_warning(
    event_line: Line, named: str, every_line: bool, form: str
) -> None:
    result = run(exported(long_runs(event_line, form), every_line=every_line), "api_gateway")
    assert result.status is WARN, result.title
    has([result.title], "2 invocations ran past 29 s", "API Gateway events", "504")
    has(result.evidence, named, "gives up on it at 29 s")
    has(result.next_steps, "answer within 29 s")


def test_a_function_url_event_logged_at_info_is_no_api_in_front() -> None:
    result = run(
        exported(long_runs(_python_json(FUNCTION_URL_EVENT), "filter-log-events")), "api_gateway"
    )
    assert result.status is UNKNOWN, result.title
    assert api_gateway.IF_AN_API in result.evidence


# --- 19: a SnapStart restore is a restore ---------------------------------------------------

RESTORED = "7c6b5a49-3827-4615-9e0d-c1b2a3948576"
STARTED = "2f3e4d5c-6b7a-4819-8a0b-9c8d7e6f5a4b"


def _restored_text(init_too: bool) -> str:
    lines = [
        "2026-08-02T14:40:01.120Z RESTORE_START Runtime Version: java:21.v33",
        "2026-08-02T14:40:01.804Z RESTORE_REPORT Restore Duration: 684.37 ms",
        f"2026-08-02T14:40:01.806Z START RequestId: {RESTORED} Version: 7",
        f"2026-08-02T14:40:02.090Z REPORT RequestId: {RESTORED}\tDuration: 281.50 ms\t"
        "Billed Duration: 522 ms\tMemory Size: 2048 MB\tMax Memory Used: 233 MB\t"
        "Restore Duration: 684.37 ms\tBilled Restore Duration: 240 ms",
    ]
    if init_too:  # $LATEST, which SnapStart does not restore, in an environment of its own
        lines += [
            "2026-08-02T14:41:00.000Z INIT_START Runtime Version: java:21.v33",
            f"2026-08-02T14:41:03.300Z START RequestId: {STARTED} Version: $LATEST",
            f"2026-08-02T14:41:03.700Z REPORT RequestId: {STARTED}\tDuration: 400.00 ms\t"
            "Billed Duration: 3700 ms\tMemory Size: 2048 MB\tMax Memory Used: 240 MB\t"
            "Init Duration: 3296.12 ms",
        ]
    return "\n".join(lines) + "\n"


def _restored_json() -> str:
    def event(at: str, kind: str, record: dict[str, object]) -> str:
        return f"{at} " + json.dumps({"time": at, "type": kind, "record": record})

    return "\n".join(
        [
            event("2026-08-02T14:40:01.120Z", "platform.restoreStart", {"runtimeVersion": "x"}),
            event(
                "2026-08-02T14:40:01.804Z",
                "platform.restoreReport",
                {"status": "success", "metrics": {"durationMs": 684.37}},
            ),
            event("2026-08-02T14:40:01.806Z", "platform.start", {"requestId": RESTORED}),
            event(
                "2026-08-02T14:40:02.090Z",
                "platform.report",
                {
                    "requestId": RESTORED,
                    "status": "success",
                    "metrics": {
                        "durationMs": 281.5,
                        "billedDurationMs": 522,
                        "memorySizeMB": 2048,
                        "maxMemoryUsedMB": 233,
                        "restoreDurationMs": 684.37,
                        "billedRestoreDurationMs": 240,
                    },
                },
            ),
        ]
    )


@pytest.mark.parametrize("log_format", ["text", "json"])
def test_a_snapstart_restore_is_called_a_restore_not_an_init(log_format: str) -> None:
    ev = exported(_restored_text(False) if log_format == "text" else _restored_json())
    diagnosis = diagnose(ev, Thresholds())
    line = summary_lines(diagnosis)[2]
    assert "restore p50 684 ms · p99 684 ms" in line, line
    assert "init" not in line, line
    summary = json.loads(to_json(diagnosis))["summary"]
    assert summary["restore_duration_ms"]["p50"] == pytest.approx(684.37, abs=0.01)
    assert summary["init_duration_ms"]["p50"] is None
    cold = next(check for check in diagnosis.checks if check.id == "cold_start")
    has(cold.evidence, "restore p50 684 ms", "of the 10 s restore limit")
    lacks(cold.evidence, "init p50")
    has([cold.title], "restore p99 684 ms")


def test_inits_and_restores_read_together_are_each_named() -> None:
    diagnosis = diagnose(exported(_restored_text(True)), Thresholds())
    line = summary_lines(diagnosis)[2]
    assert "init p50 3.3 s · p99 3.3 s · restore p50 684 ms · p99 684 ms" in line, line


def test_a_function_never_restored_keeps_its_init_and_its_report_shape() -> None:
    text = _restored_text(True).split("2026-08-02T14:41:00.000Z", 1)[1]
    diagnosis = diagnose(exported("2026-08-02T14:41:00.000Z" + text), Thresholds())
    assert "init p50 3.3 s · p99 3.3 s" in summary_lines(diagnosis)[2]
    assert "restore_duration_ms" not in json.loads(to_json(diagnosis))["summary"]


# --- 18: a JSON log record quoted by what went wrong ----------------------------------------

PINO_RECORD = json.dumps(
    {
        "level": 50,
        "time": 1781730185004,
        "pid": 8,
        "hostname": "169.254.12.201",
        "tenant": "northwind-wholesale-eu-central",
        "orderId": "ord_01HZX4Q2M7V9C3B8N6K5J1T0RW",
        "err": {
            "type": "LedgerLockTimeoutError",
            "message": "lock on ledger 7 held for 30 s",
            "stack": "LedgerLockTimeoutError: lock on ledger 7 held for 30 s\n"
            "    at post (/var/task/ledger.js:88:11)",
        },
        "msg": "posting failed \x1b]0;owned\x07[red]loud[/red]",
    },
    separators=(",", ":"),
)


def _logged_error(rid: str, at: str) -> str:
    """A pino record inside Lambda's JSON log format: its envelope and escapes fill the first
    240 characters."""
    return json.dumps(
        {"timestamp": at, "level": "ERROR", "requestId": rid, "message": PINO_RECORD},
        separators=(",", ":"),
    )


def test_a_json_record_is_quoted_by_its_level_error_and_message() -> None:
    lines = []
    for n, rid in enumerate((RID, RID2)):
        at = f"2026-06-17T21:0{n}:05.004Z"
        lines += [
            f"{at} START RequestId: {rid} Version: 3",
            f"{at} {_logged_error(rid, at)}",
            f"{at} REPORT RequestId: {rid}\tDuration: 81.20 ms\tBilled Duration: 82 ms\t"
            "Memory Size: 256 MB\tMax Memory Used: 90 MB",
        ]
    assert "LedgerLockTimeoutError" not in _logged_error(RID, "2026-06-17T21:00:05.004Z")[:240]
    diagnosis = diagnose(exported("\n".join(lines) + "\n"), Thresholds())
    errors = next(check for check in diagnosis.checks if check.id == "invocation_errors")
    assert errors.status is WARN, errors.title
    quotes = [item for item in errors.evidence if item.startswith("› ")]
    # The two lines differ only by their envelope: one quote.
    assert len(quotes) == 1, quotes
    # The logger's words, then the error's own: its type and its message.
    assert quotes[0].startswith(
        "› ERROR posting failed [red]loud[/red] · LedgerLockTimeoutError: lock on ledger 7 held"
        " for 30 s · level=50 tenant=northwind-wholesale-eu-central"
        " orderId=ord_01HZX4Q2M7V9C3B8N6K5J1T0RW"
    ), quotes
    text = to_text(diagnosis)
    assert "\x1b" not in text
    assert "\x07" not in text
    assert "2026-06-17T21:00:05.004Z" not in quotes[0]
    assert RID not in quotes[0]


@pytest.mark.parametrize(
    ("line", "quote"),
    [
        (  # Lambda's JSON format, Node.js: the error as the message's object
            '{"timestamp":"2026-06-17T21:03:05.004Z","level":"ERROR","requestId":"'
            + RID
            + '","message":{"errorType":"TypeError","errorMessage":"cart.items is undefined",'
            '"stackTrace":["TypeError: cart.items is undefined",'
            '"    at total (/var/task/a.js:4:9)"]}}',
            "ERROR TypeError: cart.items is undefined · stackTrace=",
        ),
        (  # Powertools for AWS Lambda (Python), logger.exception
            '{"level":"ERROR","location":"charge:41","message":"charge refused","timestamp":'
            '"2026-06-17 21:03:05,004+0000","service":"billing","cold_start":false,'
            '"function_name":"billing","function_request_id":"' + RID + '","exception":'
            '"Traceback (most recent call last):\\n  File \\"/var/task/app.py\\", line 40\\n'
            'CardExpired: 04/26","exception_name":"CardExpired"}',
            "ERROR charge refused · CardExpired: 04/26 · location=charge:41 service=billing",
        ),
        (  # no level, no message: quoted as it is
            '{"orderId":"o-1","total":12.5}',
            '{"orderId":"o-1","total":12.5}',
        ),
        (  # Lambda's platform event: quoted as it is (a filter on its fields must match)
            '{"time":"2026-06-17T21:03:05.004Z","type":"platform.runtimeDone","record":'
            '{"requestId":"' + RID + '","status":"timeout"}}',
            '{"time":"2026-06-17T21:03:05.004Z","type":"platform.runtimeDone"',
        ),
    ],
    ids=["node-json-format-error", "powertools-exception", "plain-object", "platform-event"],
)
def test_json_lines_lead_with_what_went_wrong(line: str, quote: str) -> None:
    assert told(line).startswith(quote), told(line)
