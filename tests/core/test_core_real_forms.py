"""The families the real-log corpus revealed (tests/reallogs), each held by lines written here,
unlike the samples': the forms people carry logs in, partial exports judged from what their
lines show, and older runtimes' words for a failed invocation."""

from __future__ import annotations

import json

import pytest

from lambdatop.core.bulk import ingest_export
from lambdatop.core.classify import classify
from lambdatop.core.export import ExportError, read_export
from lambdatop.core.parse import parse
from lambdatop.core.pipeline import LogPipeline
from lambdatop.core.records import ErrorFamily, Invocation, LineKind, Status
from lambdatop.core.timeutil import to_epoch_ms

RID = "5f0c1d2e-3a4b-4c5d-8e9f-0a1b2c3d4e5f"
RID2 = "9a8b7c6d-5e4f-4a3b-9c2d-1e0f9a8b7c6d"
START = f"START RequestId: {RID} Version: 7"
END = f"END RequestId: {RID}"
REPORT = (
    f"REPORT RequestId: {RID}\tDuration: 812.40 ms\tBilled Duration: 813 ms\t"
    "Memory Size: 1024 MB\tMax Memory Used: 301 MB"
)


def messages(data: str | bytes) -> list[str]:
    exported = read_export(data.encode() if isinstance(data, str) else data)
    return [event.message for event in exported.events]


def invocations(data: str) -> list[Invocation]:
    pipeline = LogPipeline()
    ingest_export(pipeline, read_export(data.encode()))
    return list(pipeline.tracker.invocations.values())


# --- forms ---------------------------------------------------------------------------------


def test_the_consoles_table_copy_is_read_a_row_an_event() -> None:
    text = (
        f"2026-06-01T08:00:00.100Z | {START}\n"
        f"2026-06-01T08:00:00.200Z | 2026-06-01T08:00:00.200Z\t{RID}\tINFO\tshipping label made\n"
        "    with two lines\n"
        f"2026-06-01T08:00:00.900Z | {END}\n"
        f"2026-06-01T08:00:00.900Z | {REPORT}\n"
    )
    exported = read_export(text.encode())
    assert [e.message.split("\t")[0][:5] for e in exported.events] == [
        "START",
        "2026-",
        "END R",
        "REPOR",
    ]
    assert exported.events[1].message.endswith("shipping label made\n    with two lines")
    assert exported.events[0].timestamp_ms == to_epoch_ms("2026-06-01T08:00:00.100Z")


def test_insights_results_copied_as_markdown_name_their_group_and_keep_pipes() -> None:
    text = (
        "| 2026-06-01 08:00:00.050 | INIT_START Runtime Version: python:3.12.v9 |\n"
        "\n**CloudWatch Logs Insights**\nregion: eu-central-1\n---\n"
        "| @timestamp | @message | @log |\n| --- | --- | --- |\n"
        f"| 2026-06-01 08:00:00.100 | {START} | 111122223333:/aws/lambda/label-printer |\n"
        "| 2026-06-01 08:00:00.300 | queue depth | 12 | 111122223333:/aws/lambda/label-printer |\n"
    )
    exported = read_export(text.encode())
    assert [e.message for e in exported.events] == [
        "INIT_START Runtime Version: python:3.12.v9",
        START,
        "queue depth | 12",
    ]
    assert exported.function_name == "label-printer"


def test_insights_records_copied_a_field_a_line_are_read_a_record_an_event() -> None:
    # The console's expanded result: each record's fields, `@field | value`, one a line.
    group = "111122223333:/aws/lambda/label-printer"
    text = (
        f"@log | {group}\n@logStream | 2026/06/01/[7]0a1b2c3d4e5f\n@message | {START}\n"
        "@timestamp | 2026-06-01 08:00:00.100\n"
        f"@log | {group}\n@logStream | 2026/06/01/[7]0a1b2c3d4e5f\n"
        f"@message | 2026-06-01T08:00:00.500Z\t{RID}\tERROR\tlabel printer offline\n"
        "    at print (/var/task/printer.js:12:7)\n@timestamp | 2026-06-01 08:00:00.500\n"
        f"@message | {END}\n@message | {REPORT}\n"
    )
    exported = read_export(text.encode())
    assert [e.message.split("\t")[0][:5] for e in exported.events] == [
        "START",
        "2026-",
        "END R",
        "REPOR",
    ]
    assert exported.events[1].message.endswith(
        "label printer offline\n    at print (/var/task/printer.js:12:7)"
    )
    assert exported.events[0].timestamp_ms == to_epoch_ms("2026-06-01T08:00:00.100Z")
    assert exported.function_name == "label-printer"
    [invocation] = invocations(text)
    assert invocation.max_memory_mb == 301


@pytest.mark.parametrize("key", ["timestamp", "time", "@timestamp", "ts", "date"])
@pytest.mark.parametrize(
    "stamp", ["2026-06-01T10:00:00.500+02:00", 1780300800.5, 1780300800500], ids=str
)
def test_another_tools_json_lines_around_lambda_lines_in_any_time_field(
    key: str, stamp: object
) -> None:
    lines = [
        {key: stamp, "level": "info", "message": START},
        {key: stamp, "level": "info", "message": REPORT},
    ]
    exported = read_export("\n".join(json.dumps(line) for line in lines).encode())
    assert [e.message for e in exported.events] == [START, REPORT]
    assert {e.timestamp_ms for e in exported.events} == {1780300800500}


def test_another_tools_json_lines_without_a_time_are_read_too() -> None:
    lines = [{"source": "lambda", "message": START}, {"source": "lambda", "message": REPORT}]
    exported = read_export("\n".join(json.dumps(line) for line in lines).encode())
    assert [e.message for e in exported.events] == [START, REPORT]
    assert not exported.has_time


def test_an_array_of_application_records_is_an_array_of_log_lines() -> None:
    records = [
        {"level": "INFO", "message": "label printed", "timestamp": "2026-06-01 08:00:00,250+0000"},
        {"level": "ERROR", "message": {"code": 7}, "timestamp": "2026-06-01 08:00:01,000+0000"},
    ]
    exported = read_export(json.dumps(records).encode())
    assert [json.loads(e.message)["level"] for e in exported.events] == ["INFO", "ERROR"]
    assert exported.events[0].timestamp_ms == to_epoch_ms("2026-06-01T08:00:00.250Z")


def test_a_logs_api_payload_gives_the_functions_own_text() -> None:
    payload = [
        {
            "time": "2026-06-01T08:00:00.100Z",
            "type": "platform.start",
            "record": {"requestId": RID},
        },
        {"time": "2026-06-01T08:00:00.200Z", "type": "function", "record": "label printed\n"},
    ]
    got = messages(json.dumps(payload))
    assert json.loads(got[0])["type"] == "platform.start"
    assert got[1] == "label printed"


def test_a_console_copy_with_each_events_time_on_a_line_of_its_own() -> None:
    text = (
        "2026-06-01T10:00:00.100+02:00\n"
        f"{START}\n"
        "2026-06-01T10:00:00.400+02:00\n"
        "Error raised from handler method\n"
        '{\n  "errorMessage": "no label",\n  "errorType": "Function<KeyError>"\n}\n'
    )
    exported = read_export(text.encode())
    assert len(exported.events) == 2
    assert exported.events[1].timestamp_ms == to_epoch_ms("2026-06-01T08:00:00.400Z")
    line = parse(exported.events[1].message)
    assert line.unhandled
    assert line.error_type == "Function<KeyError>"


@pytest.mark.parametrize(
    ("text", "first"),
    [
        ('{\n  "errorType": "TypeError",\n  "errorMessage": "no label"\n}\n', "{"),
        ('ERROR\tInvoke Error \t\n{\n  "errorType": "TypeError"\n}\n', "ERROR\tInvoke Error"),
        ('Critical exception from handler {\n  "errorType": "X"\n}\n', "Critical exception"),
        ("{\n  Error: `connect ECONNRESET\n  code: 'ECONNRESET'\n}\n", "{"),
    ],
    ids=["dump", "after-its-message", "opened-on-the-line", "not-json"],
)
def test_a_document_printed_over_lines_is_one_event(text: str, first: str) -> None:
    got = messages(text + f"{END}\n")
    assert len(got) == 2
    assert got[0].startswith(first)
    assert got[1] == END


def test_a_cut_short_document_ends_where_lambdas_lines_begin() -> None:
    got = messages('{\n  "errorType": "TypeError",\n  "stackTrace": [\n' + f"{END}\n{REPORT}\n")
    assert got[1:] == [END, REPORT]


def test_a_snippet_opening_with_a_brace_is_read_but_an_export_cut_short_is_refused() -> None:
    assert messages('{\n  "errorMessage": "x",\n  "stack": [\n')
    with pytest.raises(ExportError):
        read_export(b'{\n  "events": [\n    {"timestamp": 1780300800500, "message": "x"')


def test_lambdas_lines_that_lost_their_prefix_in_a_paste_are_events_of_their_own() -> None:
    text = (
        f"2026-06-01T08:00:00.100Z {START}\n"
        f"2026-06-01T08:00:00.200Z [INFO]\t2026-06-01T08:00:00.200Z\t{RID}\tresizing\n"
        "  continued\n"
        f"2026-06-01T08:00:00.300Z [INFO]\t2026-06-01T08:00:00.300Z\t{RID}\tpage 2\n"
        f"2026-06-01T08:00:00.400Z [INFO]\t2026-06-01T08:00:00.400Z\t{RID}\tpage 3\n"
        f"RequestId: {RID} Error: Runtime exited with error: signal: killed\n"
        "Runtime.ExitError\n"
    )
    got = messages(text)
    assert got[1].endswith("resizing\n  continued")
    assert got[4] == f"RequestId: {RID} Error: Runtime exited with error: signal: killed\n" + (
        "Runtime.ExitError"
    )


# --- partial exports -----------------------------------------------------------------------


def test_a_kill_without_its_report_after_a_near_limit_invocation_is_out_of_memory() -> None:
    earlier = REPORT.replace(RID, RID2).replace("301 MB", "1001 MB")
    text = (
        f"2026-06-01T08:00:00.100Z {earlier}\n"
        f"2026-06-01T08:00:01.000Z {START}\n"
        f"2026-06-01T08:00:01.200Z 2026-06-01T08:00:01.200Z\t{RID}\tINFO\tloading 40 000 rows\n"
        "Error: Runtime exited with error: signal: killed\n"
    )
    by_id = {inv.request_id: inv for inv in invocations(text)}
    assert by_id[RID].status is Status.OUT_OF_MEMORY
    assert by_id[RID].reported


def test_an_init_that_failed_with_no_request_after_it_failed_an_invocation() -> None:
    pipeline = LogPipeline()
    text = (
        "[ERROR] Runtime.ImportModuleError: Unable to import module 'labels': No module named 'x'\n"
    )
    ingest_export(pipeline, read_export(text.encode()))
    (invocation,) = pipeline.tracker.invocations.values()
    assert invocation.failed
    assert invocation.reported
    assert invocation.error_type == "Runtime.ImportModuleError"
    (finding,) = pipeline.findings[ErrorFamily.INIT]
    assert finding.request_id == invocation.request_id


def test_an_unhandled_error_without_its_report_failed_its_invocation() -> None:
    text = (
        f"{START}\n2026-06-01T08:00:00.200Z\t{RID}\tERROR\tInvoke Error \t"
        '{"errorType":"TypeError","errorMessage":"no label"}\n'
    )
    (invocation,) = invocations(text)
    assert invocation.status is Status.ERROR
    assert invocation.reported


def test_an_invocation_cut_short_that_showed_no_failure_stays_open() -> None:
    (invocation,) = invocations(f"{START}\n2026-06-01T08:00:00.200Z\t{RID}\tINFO\tworking\n")
    assert not invocation.reported
    assert not invocation.failed


# --- older and rarer runtime forms ---------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "error_type"),
    [
        (
            "Label must have 4 lines.: com.example.labels.BadLabelException",
            "com.example.labels.BadLabelException",
        ),
        ("java.lang.OutOfMemoryError: GC overhead limit exceeded", "java.lang.OutOfMemoryError"),
        ("Unable to import module 'printer': No module named yaml", "Runtime.ImportModuleError"),
        ("Handler 'go' missing on module 'printer'", "Runtime.HandlerNotFound"),
        (
            '{"errorMessage": "gone", "errorType": "Function<IOError>", "backtrace": []}',
            "Function<IOError>",
        ),
        (
            '{"errorType": "error", "errorMessage": "too many clients", "severity": "FATAL"}',
            "error",
        ),
    ],
    ids=["java-ending", "jvm-oom", "py27-import", "py27-handler", "dump", "driver-fatal-dump"],
)
def test_older_runtimes_words_for_a_failed_invocation(line: str, error_type: str) -> None:
    parsed = parse(line)
    assert parsed.unhandled
    assert parsed.error_type == error_type


def test_a_logged_record_with_error_fields_is_not_the_runtimes_dump() -> None:
    line = '{"level": "WARN", "errorType": "Retry", "errorMessage": "retrying", "timestamp": "x"}'
    assert not parse(line).unhandled


def test_a_runtime_exit_pasted_without_its_colon_is_still_one() -> None:
    line = parse("Error Runtime exited with error: signal: killed")
    assert line.kind is LineKind.RUNTIME_EXIT


def test_a_stack_frame_is_not_a_denial_of_its_own() -> None:
    frame = "    at AccessDeniedException.from (/var/task/node_modules/sdk/index.js:12:3) 403"
    assert classify(frame) is None
    denial = (
        "AccessDenied: User: arn:aws:sts::210987654321:assumed-role/r/f is not authorized to"
        " perform: sqs:SendMessage on resource: arn:aws:sqs:eu-west-1:210987654321:q"
    )
    found = classify(denial)
    assert found is not None
    assert found.action == "sqs:SendMessage"
