"""Traces: X-Ray summaries of a function's failed requests; a trace's segments only when opened.

GetTraceSummaries is asked with a filter expression so X-Ray scans (and bills) only failures.
Where a backend refuses filter expressions (emulators reject them, or fail with a server error
only when one is given), the same question is answered by filtering the summaries here; a single
server error does not turn filtering off for good, so a bad moment of X-Ray's cannot make every
later poll scan the account's traces.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError

from lambdatop.aws import convert
from lambdatop.aws.errors import NotYetAvailable
from lambdatop.aws.session import Aws
from lambdatop.core.records import TraceSegment, TraceSummary

Clock = Callable[[], float]
MAX_PAGES = 5
"""GetTraceSummaries' pages read at most (https://docs.aws.amazon.com/xray/latest/api/
API_GetTraceSummaries.html): "NextToken: If the requested time frame contained more than one
page of results, you can use this token to retrieve the next page. The first page contains the
most recent results, closest to the end of the time frame": the newest failures come first."""


EXPRESSION_USED = "used"
"""X-Ray applied the filter expression."""
EXPRESSION_REFUSED = "refused"
"""The backend rejected the expression as invalid: it does not know filter expressions."""
EXPRESSION_FAILED = "failed"
"""The request with the expression failed with a server error (emulators answer 500)."""
NOT_USED = "not used"
EXPRESSION_STRIKES = 2
"""Server errors in a row, each time only with the expression, before it is given up."""
FAILED = "(error = true OR fault = true OR throttle = true)"


def _service(function: str, account: str | None) -> str:
    """The filter expression's node: the function, in one account when asked from a monitoring
    account, by the X-Ray filter expressions' id function (`id(name: ..., type: ...,
    account.id: ...)`) for both nodes Lambda records, the service and the function."""
    if account is None:
        return f'service("{function}")'
    nodes = [
        f'service(id(name: "{function}", type: "{kind}", account.id: "{account}"))'
        for kind in ("AWS::Lambda", "AWS::Lambda::Function")
    ]
    return f"({' OR '.join(nodes)})"


def _expression_trouble(error: BaseException) -> str | None:
    if not isinstance(error, ClientError):
        return None
    status = int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
    code = str(error.response.get("Error", {}).get("Code") or "")
    if code in ("InvalidRequestException", "ValidationException"):
        return EXPRESSION_REFUSED
    if status >= 500:
        return EXPRESSION_FAILED
    return None


def _names_function(
    item: dict[str, Any], function: str, known_ids: set[str] | None, account: str | None = None
) -> bool:
    """Whether a summary is the function's: by its service names (and account, for a source
    account's), else by the trace ids the function's own REPORT lines carry (emulators leave
    the service names out)."""
    services = item.get("ServiceIds") or ()
    if services:
        return any(
            isinstance(s, dict)
            and s.get("Name") == function
            and (account is None or s.get("AccountId") == account)
            for s in services
        )
    if known_ids is not None:
        return str(item.get("Id")) in known_ids
    return True


async def failed_traces(
    aws: Aws,
    function: str,
    start_s: float,
    end_s: float,
    *,
    filter_expressions: bool = True,
    known_ids: set[str] | None = None,
    account: str | None = None,
) -> tuple[list[TraceSummary], str]:
    """Failed traces of a function in a window, and what became of the filter expression
    (`EXPRESSION_USED`, `EXPRESSION_REFUSED`, `EXPRESSION_FAILED` or `NOT_USED`). `account`
    names a source account's function, read in a monitoring account its link shares traces
    with (aws/pollers/linked.py)."""
    params: dict[str, Any] = {
        "StartTime": datetime.fromtimestamp(start_s, UTC),
        "EndTime": datetime.fromtimestamp(end_s, UTC),
        "Sampling": False,
    }
    if filter_expressions:
        params["FilterExpression"] = f"{_service(function, account)} AND {FAILED}"
    summaries: list[dict[str, Any]] = []
    token: str | None = None
    for _ in range(MAX_PAGES):
        if token:
            params["NextToken"] = token
        try:
            response = await aws.call("xray", "GetTraceSummaries", **params)
        except Exception as error:
            trouble = _expression_trouble(error) if filter_expressions else None
            if trouble is None:
                raise
            # Ask again without the expression and filter here.
            traces, _ = await failed_traces(
                aws,
                function,
                start_s,
                end_s,
                filter_expressions=False,
                known_ids=known_ids,
                account=account,
            )
            return traces, trouble
        page = response.get("TraceSummaries") or []
        aws.ledger.record_traces(len(page))
        summaries.extend(page)
        token = response.get("NextToken")
        if not token:
            break
    if not filter_expressions:
        summaries = [
            s
            for s in summaries
            if (s.get("HasError") or s.get("HasFault") or s.get("HasThrottle"))
            and _names_function(s, function, known_ids, account)
        ]
    return (
        [convert.trace_summary(s) for s in summaries],
        EXPRESSION_USED if filter_expressions else NOT_USED,
    )


async def trace_detail(aws: Aws, trace_id: str) -> list[TraceSegment]:
    """One trace's segments, every page of them. BatchGetTraces (X-Ray API reference,
    https://docs.aws.amazon.com/xray/latest/api/API_BatchGetTraces.html) takes "Maximum number
    of 5 items" (one here), answers a "NextToken: Pagination token" to follow, and
    "UnprocessedTraceIds: Trace IDs of requests that haven't been processed": such a trace is
    said not ready yet (NotYetAvailable), not shown as a trace without segments."""
    segments: list[Any] = []
    found: dict[str, Any] | None = None
    unprocessed = False
    params: dict[str, Any] = {"TraceIds": [trace_id]}
    for _ in range(MAX_PAGES):
        response = await aws.call("xray", "BatchGetTraces", **params)
        traces = [t for t in response.get("Traces") or () if isinstance(t, dict)]
        for trace in traces:
            found = found or trace
            segments.extend(trace.get("Segments") or ())
        unprocessed = unprocessed or trace_id in (response.get("UnprocessedTraceIds") or ())
        token = response.get("NextToken")
        if not token or token == params.get("NextToken"):
            break
        params["NextToken"] = token
    aws.ledger.record_traces(0 if found is None else 1)  # billed per trace, not per page
    if found is None and unprocessed:
        raise NotYetAvailable(
            f"trace {trace_id} is not processed yet (UnprocessedTraceIds): open it again shortly"
        )
    return convert.trace_segments(dict(found or {}, Segments=segments))


class TracesPoller:
    """Failed traces of one watched function, every minute."""

    interval_s = 60.0

    def __init__(
        self,
        aws: Aws,
        function: str,
        window_s: Callable[[], float],
        clock: Clock = time.time,
        known_ids: Callable[[], set[str]] | None = None,
        account: str | None = None,
    ) -> None:
        self.aws = aws
        self.known_ids = known_ids
        self.function = function
        self.account = account
        """A source account's function, read in a monitoring account (`failed_traces`)."""
        self.window_s = window_s
        self.clock = clock
        self.filter_expressions = True
        """Ask X-Ray to filter (it scans and bills only failures); off once the backend has
        shown it cannot: it rejected the expression, or failed only with it, twice in a row."""
        self._expression_strikes = 0
        self._read_since: float | None = None
        self.filtered_here = False
        """The last poll picked failures out here, by the trace ids the logs had carried."""

    async def poll(self) -> list[TraceSummary]:
        now = self.clock()
        # X-Ray keeps traces for 30 days; the first read fills the window, later reads overlap
        # by two minutes: GetTraceSummaries finds traces by their start time (TimeRangeType
        # "TraceId (trace start time)" by default), and a trace's segments are sent when each
        # ends, so one that began before the last read may only be complete since.
        start = now - self.window_s() if self._read_since is None else self._read_since - 120
        if not self.filter_expressions:
            # Filtering here by the trace ids the logs carry: ids learnt later may name traces
            # read before, so the window is read again (only emulators take this path).
            start = now - self.window_s()
        traces, expression = await failed_traces(
            self.aws,
            self.function,
            start,
            now,
            filter_expressions=self.filter_expressions,
            known_ids=self.known_ids() if self.known_ids else None,
            account=self.account,
        )
        self.filtered_here = expression != EXPRESSION_USED
        # One server error may be a bad moment for X-Ray: only a pattern turns filtering off.
        if expression == EXPRESSION_USED:
            self._expression_strikes = 0
        elif expression == EXPRESSION_FAILED:
            self._expression_strikes += 1
        if expression == EXPRESSION_REFUSED or self._expression_strikes >= EXPRESSION_STRIKES:
            self.filter_expressions = False
        self._read_since = now
        return traces
