"""Forms in which an on-call engineer gets a function's log, each read as the log it holds: the
families of the real-log corpus's `fmt-*` samples (tests/reallogs), held here by lines of our
own (every request id, time and message below is ours, not a real function's)."""

from __future__ import annotations

import base64
import json
import subprocess
import sys

import pytest

from lambdatop.core.bulk import ingest_export
from lambdatop.core.export import ExportError, read_export
from lambdatop.core.pipeline import LogPipeline

RID = "3c9e1f2a-7b6d-4e5f-8a9b-0c1d2e3f4a5b"
START = f"START RequestId: {RID} Version: $LATEST"
ERROR = (
    f"2026-04-02T09:15:00.250Z\t{RID}\tERROR\tInvoke Error \t"
    '{"errorType":"TypeError","errorMessage":"order.total is not a function"}'
)
END = f"END RequestId: {RID}"
REPORT = (
    f"REPORT RequestId: {RID}\tDuration: 41.20 ms\tBilled Duration: 42 ms\t"
    "Memory Size: 256 MB\tMax Memory Used: 91 MB\t"
)
LOG = "\n".join([START, ERROR, END, REPORT]) + "\n"


def failed_requests(data: bytes) -> list[str]:
    pipeline = LogPipeline()
    ingest_export(pipeline, read_export(data))
    return [failure.request_id for failure in pipeline.failures]


# --- `aws lambda invoke --log-type Tail`: its answer, or LogResult alone ----------------------


def invoke_answer(log: str, indent: int | None = 4) -> bytes:
    answer = {
        "StatusCode": 200,
        "FunctionError": "Unhandled",
        "LogResult": base64.b64encode(log.encode()).decode(),
        "ExecutedVersion": "$LATEST",
    }
    return json.dumps(answer, indent=indent).encode()


@pytest.mark.parametrize("indent", [4, None], ids=["as-printed", "one-line"])
def test_an_invoke_answer_is_read_as_the_log_its_log_result_carries(indent: int | None) -> None:
    exported = read_export(invoke_answer(LOG, indent))
    assert [event.message for event in exported.events] == [START, ERROR, END, REPORT]
    assert failed_requests(invoke_answer(LOG, indent)) == [RID]


def test_log_result_printed_alone_and_not_decoded_is_read_as_its_log() -> None:
    # `aws lambda invoke ... --query LogResult --output text`, without `| base64 -d`.
    printed = base64.b64encode(LOG.encode()) + b"\n"
    assert failed_requests(printed) == [RID]


@pytest.mark.parametrize(
    ("log_result", "said"),
    [
        ("", "empty LogResult"),
        ("U1RBUlQgUmVxdWVzdElkOiA4N2QwNDRiOC1mMTU...", "not base64"),  # cut, as docs show it
        (base64.b64encode(b"\x00\xff\xfe\x01" * 40).decode(), "not base64 of a log"),
    ],
    ids=["empty", "cut-short", "binary"],
)
def test_an_invoke_answer_without_a_readable_log_is_refused_saying_why(
    log_result: str, said: str
) -> None:
    answer = json.dumps({"StatusCode": 200, "LogResult": log_result}).encode()
    with pytest.raises(ExportError, match=said):
        read_export(answer)


def test_a_word_that_is_no_base64_of_text_stays_a_line_of_the_log() -> None:
    line = b"ConnectionResetByPeerAgainAndAgain\n"
    assert [event.message for event in read_export(line).events] == [line.decode().strip()]


# --- a prefix indented: `<ISO time> <message>` lines in a Markdown block or a test's source ---


def s3_layout(indent: str) -> str:
    """A CloudWatch Logs export's layout, `<ISO time> <message>`; each message's own newline
    leaves a blank line after it, and every event but the first is indented."""
    stamped = [
        f"2026-04-02T09:15:00.100Z {START}",
        f"{indent}2026-04-02T09:15:00.250Z {ERROR}",
        f"{indent}  at Order.total (/var/task/order.js:12:9)",
        f"{indent}2026-04-02T09:15:00.300Z {END}",
        f"{indent}2026-04-02T09:15:00.300Z {REPORT}",
    ]
    return "\n\n".join(stamped) + "\n"


@pytest.mark.parametrize("indent", ["", "    ", "\t"], ids=["flush", "spaces", "tab"])
def test_an_indented_timestamped_line_opens_an_event_and_a_frame_continues_one(
    indent: str,
) -> None:
    exported = read_export(s3_layout(indent).encode())
    assert [event.message.split("\n")[0] for event in exported.events] == [
        START,
        ERROR,
        END,
        REPORT,
    ]
    assert exported.events[1].message.endswith("(/var/task/order.js:12:9)")
    assert exported.events[3].timestamp_ms == 1775121300300
    assert failed_requests(s3_layout(indent).encode()) == [RID]


def test_an_indented_timed_line_of_a_raw_log_keeps_its_time_in_its_message() -> None:
    # No tool's prefix on the file: the line is the log's own, its time not taken as a prefix.
    retry = "    2026-04-02T09:15:00.260Z retry 1 of 3"
    text = "\n".join([START, ERROR, retry, END, REPORT])
    assert [event.message for event in read_export(text.encode()).events][2] == retry


# --- `<time> - <message>`: `cw tail -t` (with -n, -s), `rdk logs`, sbt-sam's `samLogs` -------

STREAM = "2026/04/02/[$LATEST]0f1e2d3c4b5a69788796a5b4c3d2e1f0"
DASHED_PREFIXES = {
    "cw-t": "2026-04-02T09:15:00 - ",
    "cw-t-s": f"2026-04-02T09:15:00 - {STREAM} - ",
    "cw-t-n-s": f"2026-04-02T09:15:00 - /aws/lambda/orders - {STREAM} - ",
    "rdk": "2026-04-02 09:15:00 - ",
    "sbt-sam": "[info] 2026-04-02T09:15:00.250 - ",
}


@pytest.mark.parametrize("prefix", DASHED_PREFIXES.values(), ids=DASHED_PREFIXES.keys())
def test_a_dash_separated_prefix_is_taken_off_each_event(prefix: str) -> None:
    text = "".join(f"{prefix}{line}\n" for line in [START, ERROR, END, REPORT])
    exported = read_export(text.encode())
    assert [event.message for event in exported.events] == [START, ERROR, END, REPORT]
    assert exported.events[0].timestamp_ms // 1000 == 1775121300
    assert failed_requests(text.encode()) == [RID]


def test_a_newest_first_listing_still_makes_its_invocation() -> None:
    # `rdk logs` and `samLogs` print the newest event first: REPORT before START.
    text = "".join(f"2026-04-02 09:15:00 - {line}\n" for line in [REPORT, END, ERROR, START])
    assert failed_requests(text.encode()) == [RID]


def test_cw_tail_names_the_group_and_only_that_group_is_read() -> None:
    other = f"2026-04-02T09:15:00 - /aws/lambda/billing - {STREAM} - "
    ours = DASHED_PREFIXES["cw-t-n-s"]
    text = f"{other}{START}\n" + "".join(f"{ours}{line}\n" for line in [START, END, REPORT])
    exported = read_export(text.encode(), group="/aws/lambda/orders")
    assert [event.message for event in exported.events] == [START, END, REPORT]


# --- a table of events with its message last and unquoted: the delimiter is part of it ------


@pytest.mark.parametrize("delimiter", ["\t", ";"], ids=["tab", "semicolon"])
def test_a_last_message_column_keeps_the_delimiters_its_message_holds(delimiter: str) -> None:
    said = f"retry{delimiter} then give up"
    lines = [START, ERROR, f"2026-04-02T09:15:00.260Z\t{RID}\tINFO\t{said}", END, REPORT]
    text = f"Timestamp{delimiter}Message\n" + "".join(
        f"2026-04-02T09:15:00.300Z{delimiter}{line}\n" for line in lines
    )
    exported = read_export(text.encode())
    assert [event.message for event in exported.events] == lines
    assert failed_requests(text.encode()) == [RID]


# --- what `--query 'events[*].[timestamp,message]'` (or `events[].message`) leaves ----------

STAMPS = [1775121300100, 1775121300250, 1775121300300, 1775121300300]
MESSAGES = [START, ERROR, END, REPORT]


def queried(shape: str) -> bytes:
    # Lambda's messages end with a newline of their own, which the AWS CLI prints as it is.
    ended = [f"{message}\n" for message in MESSAGES]
    if shape == "messages-json":
        return json.dumps(ended, indent=4).encode()
    if shape == "pairs-json":
        return json.dumps([[*pair] for pair in zip(STAMPS, ended, strict=True)]).encode()
    return "".join(f"{stamp}\t{line}\n" for stamp, line in zip(STAMPS, ended, strict=True)).encode()


@pytest.mark.parametrize("shape", ["messages-json", "pairs-json", "pairs-text"])
def test_the_fields_a_query_kept_are_read_as_events(shape: str) -> None:
    exported = read_export(queried(shape))
    assert [event.message.rstrip("\n") for event in exported.events] == MESSAGES
    if shape != "messages-json":
        assert [event.timestamp_ms for event in exported.events] == STAMPS
    assert failed_requests(queried(shape)) == [RID]


def test_a_list_of_lists_that_are_no_events_is_still_refused() -> None:
    with pytest.raises(ExportError):
        read_export(json.dumps([[1, 2], [3, 4]]).encode())


def test_a_log_whose_first_line_opens_with_two_brackets_stays_a_log() -> None:
    text = f"[[1, 2]] cache warmed\n{START}\n{END}\n"
    assert [event.message for event in read_export(text.encode()).events][1:] == [START, END]


# --- `serverless logs`: v4 rewrites Lambda's lines, v3 drops their request ids --------------

# As lib/plugins/aws/utils/format-lambda-log-event.js of the Serverless Framework prints them.
SLS_V4 = [
    "Logs Start Time: 2026-04-02 09:05:00",
    f"START - {RID} - Version: $LATEST",
    f"2026-04-02 09:15:00.250 - {RID} - ",
    "ERROR\t" + ERROR.split("\tERROR\t", 1)[1],
    f"END - {RID}",
    f"REPORT - {RID}",
    "Duration: 41.20 ms\tBilled Duration: 42 ms\tMemory Size: 256 MB\tMax Memory Used: 91 MB\t",
]


def test_serverless_v4_logs_are_read_as_lambdas_own_lines() -> None:
    text = "\n".join(SLS_V4) + "\n"
    messages = [event.message for event in read_export(text.encode()).events]
    assert messages[1:] == [
        START,
        ERROR.replace("2026-04-02T09:15:00.250Z", "2026-04-02T09:15:00.250"),
        END,
        REPORT,
    ]
    pipeline = LogPipeline()
    ingest_export(pipeline, read_export(text.encode()))
    assert [failure.request_id for failure in pipeline.failures] == [RID]
    assert pipeline.lines == len(messages)


def test_serverless_v3_logs_without_request_ids_are_refused_saying_why() -> None:
    text = (
        "START\n2026-04-02 09:15:00.250\tINFO\tcharging order 7781\n"
        "END Duration: 41.20 ms (init: 180.02 ms) Memory Used: 91 MB\n"
    )
    with pytest.raises(ExportError, match="Serverless Framework v3 drops the request ids"):
        read_export(text.encode())


# --- encodings: UTF-16 that lost its byte order mark, Windows line ends, a cut last line ------


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_utf16_without_a_byte_order_mark_is_decoded(codec: str) -> None:
    data = LOG.replace("\n", "\r\n").encode(codec)
    assert [event.message for event in read_export(data).events] == [START, ERROR, END, REPORT]


def test_a_file_cut_mid_line_keeps_what_it_holds() -> None:
    cut = LOG.encode()[: -len("Max Memory Used: 91 MB\t\n")]
    assert failed_requests(cut) == [RID]


def test_the_command_reads_an_invoke_answer_from_stdin() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "lambdatop", "diagnose", "--logs", "-", "--format", "json"],
        input=invoke_answer(LOG),
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1, done.stderr
    report = json.loads(done.stdout)
    failing = [check["id"] for check in report["checks"] if check["status"] == "fail"]
    assert failing == ["invocation_errors"]
