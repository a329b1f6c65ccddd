"""A file of a function's error lines alone (a filtered export, a query's answer, a logger's
records with no platform line): no invocation completed, so none can be counted failed, but the
errors are the function's and `invocation_errors` says so instead of "no completed
invocations". The lines are written here, in Powertools' Logger's and Node.js's layouts."""

from __future__ import annotations

from expect import has, run
from lambdalogs import FUNCTION, REGION

from lambdatop.commands.diagnose import evidence_from_export
from lambdatop.core.export import read_export
from lambdatop.diagnose.evidence import Evidence
from lambdatop.diagnose.model import CheckStatus

POWERTOOLS = (
    '{"level":"ERROR","location":"handler:31","message":"charge failed",'
    '"timestamp":"2026-12-07 10:00:01,120+0000","service":"payments","cold_start":false,'
    '"function_request_id":"6a1e3f7c-2b1d-4c8e-9f0a-3b5c7d9e1f01",'
    '"exception":"Traceback (most recent call last):\\n  File \\"/var/task/app.py\\", line 29,'
    ' in handler\\nKeyError: \'card\'","exception_name":"KeyError"}'
)
NODE = (
    "2026-12-07T10:02:02.000Z\t6a1e3f7c-2b1d-4c8e-9f0a-3b5c7d9e1f02\tERROR\tcharge failed"
    " TypeError: Cannot read properties of undefined (reading 'card')"
)


def _exported(*lines: str) -> Evidence:
    text = "\n".join(lines) + "\n"
    return evidence_from_export(
        read_export(text.encode()), function=FUNCTION, region=REGION, since_s=None
    )


def test_errors_logged_in_no_completed_invocation_are_warned_of_and_quoted() -> None:
    result = run(_exported(POWERTOOLS, NODE), "invocation_errors")
    assert result.status is CheckStatus.WARN, result.title
    assert result.title == "No completed invocation read; 2 errors logged"
    has(result.evidence, "no REPORT line ends an invocation here", "KeyError", "TypeError")


def test_a_file_with_no_error_and_no_invocation_says_none_completed() -> None:
    info = "2026-12-07T10:0{}:02.000Z\t6a1e3f7c-2b1d-4c8e-9f0a-3b5c7d9e1f02\tINFO\tcharged"
    result = run(_exported(info.format(0), info.format(2)), "invocation_errors")
    assert result.status is CheckStatus.UNKNOWN
    assert result.title == "No completed invocations in the window"
