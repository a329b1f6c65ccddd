"""CloudWatch Logs Insights as AWS answers it, in front of moto (whose Insights parser fails the
`stats` queries lambdatop sends with a bare HTTP 500).

StartQuery reads the queried groups' events back from moto (FilterLogEvents, in process) and
runs the query over them (`insights_query`); GetQueryResults answers the rows; StopQuery ends a
query. As the CloudWatch Logs API reference describes them:

- StartQuery: "logGroupNames ... You can include up to 50 log groups" (`logGroupName` and
  `logGroupIdentifiers` too); "startTime ... The beginning of the time range to query ... in
  seconds", `endTime` likewise; "limit: The maximum number of log events to return in the
  query", 10,000 at most and by default. A missing group fails the query:
  "ResourceNotFoundException: Log group '...' does not exist for account ID '...'".
- GetQueryResults: `status` ("Scheduled, Running, Complete, ..."), `results` as a list of rows
  of `{"field", "value"}`, and `statistics`: recordsMatched, recordsScanned, bytesScanned.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections import OrderedDict
from collections.abc import Iterable
from typing import Any

from lambdatop.demo.insights_query import Answer, LogLine, QueryError, run
from lambdatop.demo.scenarios import ACCOUNT_ID
from lambdatop.demo.wsgi import (
    Environ,
    StartResponse,
    WsgiApp,
    answer_json,
    call,
    refuse,
    request_body,
)

TARGET = "Logs_20140328."
MAX_GROUPS = 50
MAX_ROWS = 10_000
KEPT_QUERIES = 200
"""Answers kept for GetQueryResults; the oldest are forgotten (AWS keeps them for a while)."""


class GroupMissing(LookupError):
    pass


class LogsInsights:
    """WSGI middleware: StartQuery, GetQueryResults and StopQuery answered here, the rest by
    moto."""

    def __init__(self, app: WsgiApp, account: str = ACCOUNT_ID) -> None:
        self.app = app
        self.account = account
        self._answers: OrderedDict[str, Answer] = OrderedDict()
        self._lock = threading.Lock()

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        target = str(environ.get("HTTP_X_AMZ_TARGET") or "")
        action = target.removeprefix(TARGET) if target.startswith(TARGET) else ""
        if environ.get("REQUEST_METHOD") != "POST" or action not in (
            "StartQuery",
            "GetQueryResults",
            "StopQuery",
        ):
            return self.app(environ, start_response)
        try:
            asked = json.loads(request_body(environ) or b"{}")
        except ValueError:
            asked = None
        if not isinstance(asked, dict):
            return refuse(start_response, "InvalidParameterException", "the request is not JSON")
        if action == "StartQuery":
            return self._start(environ, asked, start_response)
        with self._lock:
            answer = self._answers.get(str(asked.get("queryId") or ""))
        if answer is None:
            return refuse(start_response, "ResourceNotFoundException", "Query does not exist.")
        if action == "StopQuery":
            # "This is true if the query was stopped": every query here has completed.
            return answer_json(start_response, {"success": False})
        return answer_json(start_response, _results(answer))

    def _start(
        self, environ: Environ, asked: dict[str, Any], start_response: StartResponse
    ) -> Iterable[bytes]:
        groups = [
            _group_name(str(g))
            for g in (
                asked.get("logGroupNames")
                or asked.get("logGroupIdentifiers")
                or ([asked["logGroupName"]] if asked.get("logGroupName") else [])
            )
        ]
        query = asked.get("queryString")
        try:
            start_s, end_s = int(asked["startTime"]), int(asked["endTime"])
            limit = int(asked.get("limit") or MAX_ROWS)
        except (KeyError, TypeError, ValueError):
            return refuse(start_response, "InvalidParameterException", "startTime and endTime")
        if not groups or not isinstance(query, str):
            return refuse(start_response, "InvalidParameterException", "no log group or query")
        if len(groups) > MAX_GROUPS or not 1 <= limit <= MAX_ROWS or end_s < start_s:
            return refuse(
                start_response,
                "InvalidParameterException",
                f"at most {MAX_GROUPS} log groups, a limit of 1 to {MAX_ROWS:,},"
                " and endTime not before startTime",
            )
        try:
            lines = [
                line
                for group in dict.fromkeys(groups)
                for line in self._lines(environ, group, start_s * 1000, end_s * 1000 + 999)
            ]
        except GroupMissing as missing:
            return refuse(
                start_response,
                "ResourceNotFoundException",
                f"Log group '{missing}' does not exist for account ID '{self.account}'",
            )
        try:
            answer = run(query, lines, self.account, limit)
        except QueryError as error:
            return refuse(start_response, "MalformedQueryException", str(error))
        query_id = str(uuid.uuid4())
        with self._lock:
            self._answers[query_id] = answer
            while len(self._answers) > KEPT_QUERIES:
                self._answers.popitem(last=False)
        return answer_json(start_response, {"queryId": query_id})

    def _lines(self, environ: Environ, group: str, first_ms: int, last_ms: int) -> list[LogLine]:
        """The group's events between two epoch ms (both included), read from moto."""
        lines: list[LogLine] = []
        token: str | None = None
        while True:
            request: dict[str, Any] = {
                "logGroupName": group,
                "startTime": first_ms,
                "endTime": last_ms,
                "limit": MAX_ROWS,
            }
            if token:
                request["nextToken"] = token
            status, _, body = call(
                self.app,
                {**environ, "HTTP_X_AMZ_TARGET": f"{TARGET}FilterLogEvents"},
                json.dumps(request).encode(),
            )
            answer = json.loads(body or b"{}")
            if not status.startswith("200"):
                if "ResourceNotFound" in str(answer.get("__type") or ""):
                    raise GroupMissing(group)
                raise QueryError(f"the events of {group} could not be read")
            lines.extend(
                LogLine(
                    group,
                    str(event.get("logStreamName") or ""),
                    int(event.get("timestamp") or 0),
                    str(event.get("message") or ""),
                )
                for event in answer.get("events") or []
            )
            token = answer.get("nextToken")
            if not token:
                return lines


def _group_name(identifier: str) -> str:
    """A log group's name, or its ARN (`arn:aws:logs:region:account:log-group:NAME[:*]`)."""
    if not identifier.startswith("arn:"):
        return identifier
    name = identifier.split(":log-group:", 1)[-1]
    return name.removesuffix(":*")


def _results(answer: Answer) -> dict[str, Any]:
    return {
        "status": "Complete",
        "results": [[{"field": k, "value": v} for k, v in row.items()] for row in answer.rows],
        "statistics": {
            "recordsMatched": float(answer.matched),
            "recordsScanned": float(answer.scanned),
            "bytesScanned": float(answer.scanned_bytes),
        },
    }
