"""Logs Insights as AWS documents it, over the events moto holds: botocore `before-call` hooks on
the `Aws` under test answer StartQuery, GetQueryResults and StopQuery with the evaluator's rows
(moto's own Insights ignores `filter` and `stats`).

StartQuery: "startTime ... The beginning of the time range to query ... in seconds", endTime
likewise, both inclusive of their second; `logGroupNames` "up to 50 log groups"; `limit` "The
maximum number of log events to return". GetQueryResults answers `status` ("Scheduled, Running,
Complete, ...") and `statistics` (recordsMatched, recordsScanned, bytesScanned).
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from awsdouble import moto_streams
from awsfakes import parsed
from evaluator import Event, evaluate

Streams = Callable[[str], Any]


def _body(params: dict[str, Any] | None) -> dict[str, Any]:
    body = (params or {}).get("body") or b"{}"
    if isinstance(body, bytes):
        body = body.decode()
    loaded = json.loads(body or "{}")
    return loaded if isinstance(loaded, dict) else {}


@dataclass
class Query:
    groups: list[str]
    query: str
    start_s: int
    end_s: int
    limit: int
    polls: int = 0
    stopped: bool = False


@dataclass(eq=False)
class InsightsDouble:
    """Answers Insights calls from moto's events; `running_polls` GetQueryResults answer Running
    before the query completes, `status` is how it ends."""

    running_polls: int = 0
    status: str = "Complete"
    rows_at_most: int | None = None
    """The most rows a query returns here, below the request's `limit` (AWS's 10,000 scaled
    down): a test's window then holds more error lines than a query returns."""
    streams: Streams = moto_streams
    queries: dict[str, Query] = field(default_factory=dict)
    _ids: itertools.count[int] = field(default_factory=itertools.count)

    async def install(self, aws: Any) -> None:
        events = (await aws.client("logs")).meta.events
        events.register("before-call.cloudwatch-logs.StartQuery", self.start)
        events.register("before-call.cloudwatch-logs.GetQueryResults", self.results)
        events.register("before-call.cloudwatch-logs.StopQuery", self.stop)

    def start(self, params: dict[str, Any] | None = None, **_: Any) -> Any:
        request = _body(params)
        groups = list(request.get("logGroupNames") or [request.get("logGroupName")])
        if len(groups) > 50:
            return parsed(
                {"Error": {"Code": "InvalidParameterException", "Message": "50 groups at most"}},
                400,
            )
        query_id = f"q{next(self._ids)}"
        self.queries[query_id] = Query(
            groups,
            str(request["queryString"]),
            int(request["startTime"]),
            int(request["endTime"]),
            int(request.get("limit") or 10_000),
        )
        return parsed({"queryId": query_id})

    def results(self, params: dict[str, Any] | None = None, **_: Any) -> Any:
        query = self.queries[str(_body(params)["queryId"])]
        query.polls += 1
        if query.polls <= self.running_polls:
            return parsed({"status": "Running", "results": [], "statistics": {}})
        events = self.events(query)
        matched = evaluate(query.query, events, query.limit) if self.status == "Complete" else []
        rows = matched[: self.rows_at_most]
        statistics = {
            "recordsScanned": float(len(events)),
            "bytesScanned": float(sum(len(e.message.encode()) for e in events)),
            "recordsMatched": float(len(matched)),
        }
        return parsed(
            {
                "status": self.status,
                "results": [[{"field": k, "value": v} for k, v in row.items()] for row in rows],
                "statistics": statistics,
            }
        )

    def stop(self, params: dict[str, Any] | None = None, **_: Any) -> Any:
        self.queries[str(_body(params)["queryId"])].stopped = True
        return parsed({"success": True})

    def events(self, query: Query) -> list[Event]:
        """The events of the query's groups within its seconds (endTime's second included)."""
        first, last = query.start_s * 1000, query.end_s * 1000 + 999
        out = []
        for group in query.groups:
            for stream in self.streams(group) or []:
                out.extend(
                    Event(group, stream.log_stream_name, int(e.timestamp), e.message)
                    for e in stream.events
                    if first <= int(e.timestamp) <= last
                )
        return out
