"""Logs Insights as AWS documents it, over the events moto holds: botocore `before-call` hooks on
the `Aws` under test answer StartQuery, GetQueryResults and StopQuery with the evaluator's rows
(moto's own Insights ignores `filter` and `stats`).

StartQuery: "startTime ... The beginning of the time range to query ... in seconds", endTime
likewise, both inclusive of their second; `logGroupNames` "up to 50 log groups"; `limit` "The
maximum number of log events to return". GetQueryResults answers `status` ("Scheduled, Running,
Complete, ...") and `statistics` (recordsMatched, recordsScanned, bytesScanned); while Running,
"only partial results".
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
    query_id: str = ""


@dataclass(eq=False)
class InsightsDouble:
    """Answers Insights calls from moto's events; `running_polls` GetQueryResults answer Running
    before the query completes, `status` is how it ends."""

    running_polls: int = 0
    status: str = "Complete"
    statuses_before: tuple[str, ...] = ()
    """What GetQueryResults answers before the query ends, poll by poll (`Scheduled`, `Running`,
    `Unknown`); else `running_polls` times Running."""
    rows_at_most: int | None = None
    """The most rows a query returns here, below the request's `limit` (AWS's 10,000 scaled
    down): a test's window then holds more error lines than a query returns."""
    streams: Streams = moto_streams
    concurrent_quota: int = 30
    """StartQuery: "You can have up to 30 concurrent CloudWatch Logs insights queries, including
    queries that have been added to dashboards"; past it, LimitExceededException."""
    others_running: int = 0
    """Queries of the account's other users (dashboards, colleagues) running all along."""
    running: set[str] = field(default_factory=set)
    most_running: int = 0
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
        if len(self.running) + self.others_running >= self.concurrent_quota:
            return parsed(
                {
                    "Error": {
                        "Code": "LimitExceededException",
                        "Message": "You have reached the maximum number of resources",
                    }
                },
                400,
            )
        query_id = f"q{next(self._ids)}"
        self.running.add(query_id)
        self.most_running = max(self.most_running, len(self.running))
        self.queries[query_id] = Query(
            groups,
            str(request["queryString"]),
            int(request["startTime"]),
            int(request["endTime"]),
            int(request.get("limit") or 10_000),
            query_id=query_id,
        )
        return parsed({"queryId": query_id})

    @property
    def before(self) -> tuple[str, ...]:
        return self.statuses_before or ("Running",) * self.running_polls

    def results(self, params: dict[str, Any] | None = None, **_: Any) -> Any:
        query = self.queries[str(_body(params)["queryId"])]
        query.polls += 1
        events = self.events(query)
        matched = evaluate(query.query, events, query.limit) if self.status == "Complete" else []
        rows = matched[: self.rows_at_most]
        if query.polls <= len(self.before):
            # GetQueryResults: "If the value of the Status field in the output is Running, this
            # operation returns only partial results. If you see a value of Scheduled or Running
            # for the status, you can retry the operation later to see the final results."
            status = self.before[query.polls - 1]
            partial = rows[: len(rows) // 2] if status == "Running" else []
            return parsed(
                {
                    "status": status,
                    "results": [[{"field": k, "value": v} for k, v in r.items()] for r in partial],
                    "statistics": {"recordsMatched": float(len(partial))},
                }
            )
        statistics = {
            "recordsScanned": float(len(events)),
            "bytesScanned": float(sum(len(e.message.encode()) for e in events)),
            "recordsMatched": float(len(matched)),
        }
        self.running.discard(query.query_id)
        return parsed(
            {
                "status": self.status,
                "results": [[{"field": k, "value": v} for k, v in row.items()] for row in rows],
                "statistics": statistics,
            }
        )

    def stop(self, params: dict[str, Any] | None = None, **_: Any) -> Any:
        self.queries[str(_body(params)["queryId"])].stopped = True
        self.running.discard(str(_body(params)["queryId"]))
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
