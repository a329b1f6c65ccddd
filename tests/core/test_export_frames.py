"""A stack frame on a line of its own, in a file without a tool's prefix (pasted from the
console, some lines timestamped and the platform's not), continues the error before it: the
family of the real-log corpus's `node-2017-process-exited.log`, held here by lines of our own."""

from __future__ import annotations

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
