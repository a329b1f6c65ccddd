"""Families the real-log corpus's `ext-` samples showed (tests/reallogs/PENDING.md, branch
`morelogs`), each held here by lines written for the test, unlike the samples':

- an extension whose EXTENSION line says it failed (InitError) fails the request it held up;
- errors logged in no completed invocation (an extension's own lines, a file of an
  application's error records alone) warn under `logs`, quoted, instead of vanishing;
- a batch processor that failed every record of its batch warns under `event_source`;
- a JSON record's error is quoted after the logger's own words, from its error object
  (under any key that holds a stack) or its traceback's last line.
"""

from __future__ import annotations

import json

import pytest
from lambdalogs import FUNCTION, REGION

from lambdatop.commands.diagnose import evidence_from_export
from lambdatop.core.export import read_export
from lambdatop.diagnose.engine import diagnose
from lambdatop.diagnose.evidence import Evidence
from lambdatop.diagnose.format import told
from lambdatop.diagnose.model import CheckResult, CheckStatus
from lambdatop.diagnose.thresholds import Thresholds

RID = "7c1e9a40-2b8d-4f3e-a6c5-90d1e2f3a4b5"
RID2 = "3f2e1d0c-9b8a-4c7d-8e6f-5a4b3c2d1e0f"
AT = "2026-09-14T08:02:11.310Z"


def exported(text: str) -> Evidence:
    return evidence_from_export(
        read_export(text.encode()), function=FUNCTION, region=REGION, since_s=None
    )


def check(text: str, check_id: str) -> CheckResult:
    diagnosis = diagnose(exported(text), Thresholds())
    return next(result for result in diagnosis.checks if result.id == check_id)


def report(rid: str, at: str = AT) -> str:
    return (
        f"REPORT RequestId: {rid}\tDuration: 41.07 ms\tBilled Duration: 42 ms\t"
        "Memory Size: 512 MB\tMax Memory Used: 97 MB"
    )


# --- an extension that failed its init --------------------------------------------------------


def test_an_extension_that_failed_its_init_fails_the_request_and_is_named() -> None:
    text = "\n".join(
        [
            f"START RequestId: {RID} Version: $LATEST",
            "2026/09/14 08:02:11 audit-shipper: register: 403 Forbidden",
            "EXTENSION\tName: audit-shipper\tState: InitError\tEvents: [INVOKE,SHUTDOWN]",
        ]
    )
    errors = check(text, "invocation_errors")
    assert errors.status is CheckStatus.FAIL, errors.title
    assert "InitError" in errors.title
    assert any("Extension.InitError" in item for item in errors.evidence), errors.evidence
    assert any("State: InitError" in item for item in errors.evidence), errors.evidence


def test_a_ready_extension_is_no_failure() -> None:
    text = "\n".join(
        [
            "EXTENSION\tName: audit-shipper\tState: Ready\tEvents: [INVOKE,SHUTDOWN]",
            f"START RequestId: {RID} Version: 7",
            f"END RequestId: {RID}",
            report(RID),
        ]
    )
    assert check(text, "invocation_errors").status is CheckStatus.OK


# --- errors logged in no completed invocation -------------------------------------------------

EXTENSION_ERRORS = "\n".join(
    [
        "2026-09-14 08:02:11 UTC | AUDIT_EXT | ERROR | cannot read its key: secret not found",
        "2026-09-14 08:02:12 UTC | AUDIT_EXT | ERROR | no key configured, exiting",
    ]
)


def test_error_lines_alone_warn_under_logs_and_are_quoted() -> None:
    logs = check(EXTENSION_ERRORS, "logs")
    assert logs.status is CheckStatus.WARN, logs.title
    assert logs.title.startswith("2 lines at ERROR level in no completed invocation")
    quoted = [item for item in logs.evidence if item.startswith("› ")]
    assert any("no key configured, exiting" in item for item in quoted), logs.evidence


def test_errors_a_completed_invocation_logged_are_judged_elsewhere() -> None:
    text = "\n".join(
        [
            f"START RequestId: {RID} Version: 7",
            f"{AT}\t{RID}\tERROR\tpayment provider answered 502, retried",
            f"END RequestId: {RID}",
            report(RID),
        ]
    )
    logs = check(text, "logs")
    assert logs.status is CheckStatus.OK, logs.title
    assert check(text, "invocation_errors").status is CheckStatus.WARN


def test_an_invocation_with_no_report_yet_leaves_its_errors_to_logs() -> None:
    text = "\n".join(
        [
            f"START RequestId: {RID2} Version: 7",
            f"{AT}\t{RID2}\tERROR\tledger write failed: conflict on row 88",
        ]
    )
    logs = check(text, "logs")
    assert logs.status is CheckStatus.WARN, logs.title
    assert any("conflict on row 88" in item for item in logs.evidence)


def test_a_file_of_error_records_alone_is_read_by_the_command(tmp_path: object) -> None:
    import subprocess
    import sys
    from pathlib import Path

    records = tmp_path / "errors.jsonl"  # type: ignore[operator]
    Path(records).write_text(
        json.dumps(
            {
                "level": "ERROR",
                "location": "charge:41",
                "message": "charge refused",
                "timestamp": "2026-09-14 08:02:11,310+0000",
                "service": "billing",
                "exception_name": "CardExpired",
                "exception": 'Traceback (most recent call last):\n  File "/var/task/app.py",'
                " line 40, in charge\nCardExpired: 04/26",
            }
        )
        + "\n",
        encoding="utf-8",
    )
    done = subprocess.run(
        [sys.executable, "-m", "lambdatop", "diagnose", "--logs", str(records), "--color", "never"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode in (0, 1), done.stderr
    assert "no Lambda log events recognised" not in done.stderr
    assert "charge refused · CardExpired: 04/26" in done.stdout


# --- a batch processor that failed a whole batch ----------------------------------------------


def test_a_whole_batch_failure_warns_under_event_source() -> None:
    dump = json.dumps(
        {
            "errorType": "FullBatchFailureError",
            "errorMessage": "All records failed processing. See individual errors below.",
            "name": "FullBatchFailureError",
        },
        separators=(",", ":"),
    )
    text = "\n".join(
        [
            f"START RequestId: {RID} Version: 12",
            f"{AT}\t{RID}\tERROR\tInvoke Error \t{dump}",
            f"END RequestId: {RID}",
            report(RID),
        ]
    )
    source = check(text, "event_source")
    assert source.status is CheckStatus.WARN, source.title
    assert source.title.startswith("1 batch failed whole")
    assert any("FullBatchFailureError" in item for item in source.evidence)
    assert any("dead-letter queue" in step.text for step in source.steps)


def test_a_record_failure_alone_is_no_whole_batch() -> None:
    text = "\n".join(
        [
            f"START RequestId: {RID} Version: 12",
            f"{AT}\t{RID}\tERROR\trecord 4 of 10 failed: price missing",
            f"END RequestId: {RID}",
            report(RID),
        ]
    )
    assert check(text, "event_source").status is CheckStatus.UNKNOWN


# --- a JSON record's error, quoted --------------------------------------------------------------


@pytest.mark.parametrize(
    ("record", "quote"),
    [
        pytest.param(
            {
                "level": "ERROR",
                "message": "could not sync the basket",
                "sync": {"name": "TimeoutError", "message": "upstream took 9 s", "stack": "at x"},
            },
            "ERROR could not sync the basket · TimeoutError: upstream took 9 s",
            id="error-object-under-a-custom-key",
        ),
        pytest.param(
            {"level": 50, "msg": "boot failed", "err": {"type": "Error", "message": "no port"}},
            "boot failed · Error: no port",
            id="pino-err",
        ),
        pytest.param(
            {
                "level": "ERROR",
                "message": "refund rejected",
                "exception_name": "ValueError",
                "exception": "Traceback (most recent call last):\nValueError: amount < 0",
            },
            "ERROR refund rejected · ValueError: amount < 0",
            id="traceback-last-line",
        ),
        pytest.param(
            {
                "level": "ERROR",
                "message": "amount < 0",
                "exception_name": "ValueError",
                "exception": "Traceback (most recent call last):\nValueError: amount < 0",
            },
            "ERROR ValueError: amount < 0 · exception=",
            id="the-same-words-once",
        ),
    ],
)
def test_a_records_error_is_quoted_after_the_loggers_words(
    record: dict[str, object], quote: str
) -> None:
    assert told(json.dumps(record)).startswith(quote), told(json.dumps(record))


def test_an_error_objects_stack_is_left_out_of_the_quote() -> None:
    record = {
        "level": "ERROR",
        "message": "export failed",
        "error": {"name": "Error", "message": "disk full", "stack": "Error: disk full\n at w"},
    }
    assert "at w" not in told(json.dumps(record))


# --- a global secondary index that throttles the table's writes -------------------------------


def test_an_index_throttling_the_table_is_advised_by_its_capacity() -> None:
    error = json.dumps(
        {
            "message": "The level of configured provisioned throughput for one or more global"
            " secondary indexes of the table was exceeded.",
            "code": "ProvisionedThroughputExceededException",
            "statusCode": 400,
            "retryable": True,
        },
        indent=4,
    )
    text = "\n".join(
        [
            f"START RequestId: {RID} Version: 3",
            f"{AT}  {RID}",  # as a copy shows it: the SDK v2 error printed on the lines after
            error,
            f"END RequestId: {RID}",
            report(RID),
        ]
    )
    throttling = check(text, "throttling")
    # The invocation went on to succeed: a risk (warn), the index still named.
    assert throttling.status is CheckStatus.WARN, throttling.title
    assert "dynamodb" in throttling.title
    assert any(
        item.startswith("› ProvisionedThroughputExceededException: The level")
        for item in throttling.evidence
    ), throttling.evidence
    steps = [step.text for step in throttling.steps]
    assert any("GlobalSecondaryIndexes[]" in step for step in steps), steps
    assert any("global secondary indexes" in step for step in steps), steps


def test_a_table_throttled_alone_is_advised_by_the_table() -> None:
    text = "\n".join(
        [
            f"START RequestId: {RID} Version: 3",
            f"{AT}\t{RID}\tERROR\tProvisionedThroughputExceededException: The level of"
            " configured provisioned throughput for the table was exceeded.",
            f"END RequestId: {RID}",
            report(RID),
        ]
    )
    steps = [step.text for step in check(text, "throttling").steps]
    assert not any("GlobalSecondaryIndexes" in step for step in steps), steps
    assert any("describe-table" in step for step in steps), steps


# --- other structured loggers' records -------------------------------------------------------


@pytest.mark.parametrize(
    ("record", "quote"),
    [
        pytest.param(
            {
                "@t": "2026-09-14T08:02:11.3100000Z",
                "@mt": "Payment {PaymentId} failed",
                "@m": 'Payment "p-9" failed',
                "@l": "Error",
                "@x": "System.InvalidOperationException: card store offline\n   at Charge()",
                "PaymentId": "p-9",
            },
            'ERROR Payment "p-9" failed · System.InvalidOperationException: card store offline'
            " · PaymentId=p-9",
            id="serilog-compact-json",
        ),
        pytest.param(
            {
                "Timestamp": "2026-09-14T08:02:11Z",
                "LogLevel": "Error",
                "Category": "Billing.Charger",
                "Message": "charge failed",
                "Exception": "System.TimeoutException: provider took 30 s\n   at X",
            },
            "ERROR charge failed · System.TimeoutException: provider took 30 s · Category=",
            id="dotnet-json-console",
        ),
        pytest.param(
            {"event": "refund rejected", "level": "error", "timestamp": "2026-09-14T08:02:11Z"},
            "ERROR refund rejected",
            id="structlog",
        ),
        pytest.param(
            {
                "@timestamp": "2026-09-14T08:02:11Z",
                "log.level": "ERROR",
                "message": "order sync failed",
                "error.type": "java.net.SocketTimeoutException",
                "error.message": "Read timed out",
            },
            "ERROR order sync failed · java.net.SocketTimeoutException: Read timed out",
            id="elastic-common-schema",
        ),
    ],
)
def test_other_loggers_records_are_quoted_by_level_message_and_error(
    record: dict[str, object], quote: str
) -> None:
    assert told(json.dumps(record)).startswith(quote), told(json.dumps(record))
