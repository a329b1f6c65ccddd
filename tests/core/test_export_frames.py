"""A stack frame on a line of its own, in a file without a tool's prefix (pasted from the
console, some lines timestamped and the platform's not), continues the error before it: the
family of the real-log corpus's `node-2017-process-exited.log`, held here by lines of our own."""

from __future__ import annotations

from itertools import chain

import pytest

from lambdatop.core.bulk import ingest_export
from lambdatop.core.export import read_export
from lambdatop.core.pipeline import LogPipeline

RID = "0d3c2b1a-9f8e-4d7c-a6b5-c4d3e2f1a0b9"
START = f"START RequestId: {RID} Version: 12"
END = f"END RequestId: {RID}"
REPORT = (
    f"REPORT RequestId: {RID}\tDuration: 412.77 ms\tBilled Duration: 413 ms\t"
    "Memory Size: 512 MB\tMax Memory Used: 88 MB"
)


def messages(text: str) -> list[str]:
    return [event.message for event in read_export(text.encode()).events]


NODE = [
    f"2026-03-04T11:20:05.018Z\t{RID}\tERROR\tInvoke Error: RangeError: Invalid time value",
    "    at Date.toISOString (<anonymous>)",
    "    at formatDue (/var/task/invoices/due.js:14:22)",
    "    at async Runtime.handler (file:///var/task/index.mjs:31:7)",
]
JAVA = [
    f"2026-03-04T11:20:05.018Z {RID} ERROR c.e.b.InvoiceHandler - could not bill",
    "java.lang.IllegalStateException: ledger closed",
    "\tat com.example.billing.Ledger.post(Ledger.java:88)",
    "\tat com.example.billing.InvoiceHandler.handleRequest(InvoiceHandler.java:41)",
    "Caused by: java.sql.SQLTransientConnectionException: pool exhausted",
    "\tat com.zaxxer.hikari.pool.HikariPool.getConnection(HikariPool.java:696)",
    "\t... 9 more",
]
PYTHON = [
    f"[ERROR]\t2026-03-04T11:20:05.018Z\t{RID}\tcould not bill invoice 7781",
    "Traceback (most recent call last):",
    '  File "/var/task/billing/ledger.py", line 52, in post',
    "    entry = self.entries[invoice_id]",
    "KeyError: 7781",
]
DOTNET = [
    f"2026-03-04T11:20:05.018Z\t{RID}\tfail\tSystem.TimeoutException: ledger did not answer",
    "   at Billing.Ledger.PostAsync(Invoice invoice) in /src/Billing/Ledger.cs:line 88",
    "   at Billing.Function.FunctionHandler(Invoice input, ILambdaContext context)",
]


@pytest.mark.parametrize("error", [NODE, PYTHON, DOTNET], ids=["node", "python", "dotnet"])
def test_a_frame_continues_the_error_before_it_in_a_file_mixing_timestamped_lines(
    error: list[str],
) -> None:
    text = "\n".join([START, *error, END, REPORT]) + "\n"
    assert messages(text) == [START, "\n".join(error), END, REPORT]


def test_javas_exception_line_leads_its_frames_and_caused_by() -> None:
    text = "\n".join([START, *JAVA, END]) + "\n"
    assert messages(text) == [START, JAVA[0], "\n".join(JAVA[1:]), END]


def test_a_frame_continues_the_error_in_a_paste_without_any_timestamp() -> None:
    error = ["TypeError: Cannot read properties of null (reading 'total')", *NODE[1:]]
    text = "\n".join([START, *error, END]) + "\n"
    assert messages(text) == [START, "\n".join(error), END]


def test_a_platform_line_takes_no_frame_and_ordinary_lines_stay_events() -> None:
    text = "\n".join(
        [
            START,
            "    at least one line item had no price",  # indented, but no frame
            "ValueError: not after a frame, so an event of its own",
            f"RequestId: {RID} Error: Runtime exited with error: exit status 1",
            "    at exports.handler (/var/task/index.js:3:9)",
        ]
    )
    assert len(messages(text)) == 5


def test_the_invocation_quotes_the_error_with_its_frames_and_counts_one_line() -> None:
    text = "\n".join([START, *NODE, END, REPORT]) + "\n"
    pipeline = LogPipeline()
    ingest_export(pipeline, read_export(text.encode()))
    assert pipeline.lines == 4
    (failure,) = pipeline.failures
    assert failure.request_id == RID
    assert failure.line.text.endswith("(file:///var/task/index.mjs:31:7)")


# --- a document over lines after Lambda's `<time>\t<request id>` prefix ----------------------

RID2 = "9e8d7c6b-5a49-4382-9170-6f5e4d3c2b1a"
DOCUMENT = [
    "{",
    '  "errorType": "Sequel::DatabaseConnectionError",',
    '  "errorMessage": "PG::ConnectionBad: could not connect to server",',
    '  "stackTrace": [',
    '    "/var/task/vendor/bundle/ruby/3.3.0/gems/sequel-5.80.0/lib/sequel/connection_pool.rb:122"',
    "  ]",
    "}",
]
END2 = f"END RequestId: {RID2}"
REPORT2 = (
    f"REPORT RequestId: {RID2}\tDuration: 2051.00 ms\tBilled Duration: 2052 ms\t"
    "Memory Size: 256 MB\tMax Memory Used: 71 MB"
)


@pytest.mark.parametrize(
    ("prefix", "unhandled"),
    [
        # the runtime's line, its error document on the lines after: the invocation failed
        (f"2026-05-20T04:11:38.906Z\t{RID2}", True),
        # the function's own error logged with the document: an error logged
        (f"2026-05-20T04:11:38.906Z\t{RID2}\tERROR\tconnection lost:", False),
        (f"[ERROR]\t2026-05-20T04:11:38.906Z\t{RID2}\tunhandled:", False),
    ],
    ids=["bare-prefix", "node-level", "python-level"],
)
@pytest.mark.parametrize("tool", [False, True], ids=["as-lambda-wrote", "tool-prefixed"])
def test_a_document_after_a_request_id_prefix_is_that_requests_without_a_start(
    prefix: str, unhandled: bool, tool: bool
) -> None:
    events = [[prefix, *DOCUMENT], [END2], [REPORT2]]
    if tool:  # each event after the export's time, as `aws logs tail` and others write it
        events = [[f"2026-05-20T04:11:38.906Z {lines[0]}", *lines[1:]] for lines in events]
    pipeline = LogPipeline()
    exported = read_export(("\n".join(line for lines in events for line in lines) + "\n").encode())
    assert len(exported.events) == 3
    ingest_export(pipeline, exported)
    kept = [*pipeline.failures, *pipeline.errors, *chain(*pipeline.findings.values())]
    quoting = [found for found in kept if "Sequel::DatabaseConnectionError" in found.line.text]
    assert quoting
    assert {found.request_id for found in quoting} == {RID2}
    assert bool(pipeline.failures) is unhandled
    (invocation,) = pipeline.tracker.invocations.values()
    assert invocation.failed is unhandled


def test_a_document_after_a_platform_line_stays_an_event_of_its_own() -> None:
    text = "\n".join([f"START RequestId: {RID2} Version: 3", *DOCUMENT, END2]) + "\n"
    assert len(messages(text)) == 3


# A report wrapped over lines (a note's author's, or a console copy cut at its tabs), an error
# as Node.js's inspect prints it, and a driver's error whose last frame opens its properties:
# the families of the corpus's PENDING 20 to 22, held here by lines of our own.
WRAPPED_REPORTS = [
    (
        f"REPORT RequestId: {RID}\t\n"
        "Duration: 2950.10 ms\tBilled Duration: 2951 ms\tMemory Size: 512 MB\t"
        "Max Memory Used: 512 MB\t\nStatus: error\tError Type: Runtime.OutOfMemory\n"
    ),
    (
        f"REPORT RequestId: {RID}  Duration: 2950.10 ms\n"
        "  Billed Duration: 2951 ms  Memory Size: 512 MB  Max Memory Used: 512 MB\n"
        "  Status: error  Error Type: Runtime.OutOfMemory\n"
    ),
]


@pytest.mark.parametrize("report", WRAPPED_REPORTS, ids=["cut-at-tabs", "wrapped-note"])
def test_a_report_wrapped_over_lines_is_one_report(report: str) -> None:
    text = f"{START}\n{END}\n{report}"
    assert len(messages(text)) == 3
    pipeline = LogPipeline()
    ingest_export(pipeline, read_export(text.encode()))
    [invocation] = pipeline.tracker.invocations.values()
    assert invocation.max_memory_mb == 512
    assert invocation.memory_size_mb == 512
    assert invocation.error_type == "Runtime.OutOfMemory"


def test_a_line_after_a_report_that_is_no_field_of_it_is_an_event() -> None:
    text = f"{REPORT}\nDuration of the sync: 12 s\n"
    assert len(messages(text)) == 2


NODE_INSPECTED = [
    "{ Error: connect ETIMEDOUT 10.0.3.17:5432",
    "    at TCPConnectWrap.afterConnect [as oncomplete] (net.js:1107:14)",
    "  errno: 'ETIMEDOUT',",
    "  code: 'ETIMEDOUT',",
    "  syscall: 'connect',",
    "  address: '10.0.3.17',",
    "  port: 5432 }",
]
DRIVER_PROPERTIES = [
    "MongoNetworkError: connection timed out",
    "    at Socket.<anonymous> (/var/task/node_modules/mongodb/lib/cmap/connect.js:292:44)",
    "    at Socket.emit (node:events:517:28) {",
    "  connectionGeneration: 0,",
    "  [Symbol(errorLabels)]: Set(1) { 'ResetPool' }",
    "}",
]


@pytest.mark.parametrize("lines", [NODE_INSPECTED, DRIVER_PROPERTIES], ids=["inspect", "frame"])
def test_an_error_s_properties_printed_over_lines_stay_with_it(lines: list[str]) -> None:
    text = "\n".join([START, *lines, END, REPORT]) + "\n"
    read = messages(text)
    assert len(read) == 4, read
    assert read[1] == "\n".join(lines)
