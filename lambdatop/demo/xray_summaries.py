"""GetTraceSummaries as X-Ray answers it, in front of moto (which leaves most of it out).

moto's summaries carry no HTTP, no root causes and no service ids, a response time of 1 and a
duration in whole seconds. This WSGI layer lets moto answer, reads the same traces' segments
back from it (BatchGetTraces, in process) and fills each summary in from them as the X-Ray API
reference (TraceSummary) describes its fields:

- Duration: "The length of time in seconds between the start time of the earliest segment that
  started and the end time of the last segment that completed."
- ResponseTime: "The length of time in seconds between the start and end times of the root
  segment."
- Http: "Information about the HTTP request served by the trace" (the root segment's `http`).
- HasFault / HasError: "The root segment document has a 500 series error" / "a 400 series
  error"; HasThrottle: "One or more of the segment documents has a 429 throttling error."
- ServiceIds: the services of the segment documents; EntryPoint: "The root of a trace."
- FaultRootCauses / ErrorRootCauses: the service furthest downstream that faulted (errored),
  with the entity path from it to the deepest entity that recorded the exception.

moto also fails any FilterExpression with HTTP 500. X-Ray answers the summaries the
expression matches; the part of its language lambdatop asks in (`service("name")`, the
keywords `ok`, `error`, `fault`, `throttle` alone or `= true|false`, AND, OR, parentheses) is
applied here, and anything else is refused as X-Ray refuses an expression it cannot parse.
"""

from __future__ import annotations

import io
import json
import re
import threading
from collections.abc import Callable, Iterable
from typing import Any

from lambdatop.demo.wsgi import Environ, StartResponse, WsgiApp, call, refuse, request_body

SUMMARIES_PATH = "/TraceSummaries"
TRACES_PATH = "/Traces"
SEGMENTS_PATH = "/TraceSegments"
"""PutTraceSegments: the documents pass through here on their way to moto, and are kept (the
demo's own, written to moto in process, are handed to `keep`)."""
KEPT_S = 2 * 3600.0
"""How long a trace's documents are kept: longer than the account keeps its traces (65 min,
demo/retention.py), so every summary moto still answers is filled in, and no longer: the demo
stays the same size through a night."""
BATCH = 5
"""BatchGetTraces takes up to 5 trace ids a request."""


def summarize(summary: dict[str, Any], documents: list[dict[str, Any]]) -> dict[str, Any]:
    """The summary X-Ray would give for these segment documents (moto's as a base)."""
    if not documents:
        return summary
    by_id = {doc.get("id"): doc for doc in documents}
    root = next((d for d in documents if d.get("parent_id") not in by_id), documents[0])
    starts = [float(d["start_time"]) for d in documents if "start_time" in d]
    ends = [float(d["end_time"]) for d in documents if "end_time" in d]
    filled = dict(summary)
    if starts and ends:
        filled["Duration"] = round(max(ends) - min(starts), 3)
        filled["StartTime"] = min(starts)
    if "end_time" in root:
        filled["ResponseTime"] = round(float(root["end_time"]) - float(root["start_time"]), 3)
    filled["Http"] = _http(root)
    status = filled["Http"].get("HttpStatus")
    filled["HasFault"] = bool(root.get("fault")) or (isinstance(status, int) and status >= 500)
    filled["HasError"] = bool(root.get("error")) or (
        isinstance(status, int) and 400 <= status < 500
    )
    filled["HasThrottle"] = any(_anywhere(doc, "throttle") for doc in documents)
    services = [_service_id(doc) for doc in documents]
    filled["ServiceIds"] = services
    filled["EntryPoint"] = _service_id(root)
    downstream = sorted(documents, key=lambda doc: _depth(doc, by_id), reverse=True)
    for flag, field in (("fault", "FaultRootCauses"), ("error", "ErrorRootCauses")):
        cause = _root_cause(downstream, flag)
        filled[field] = [cause] if cause else []
    return filled


def _http(segment: dict[str, Any]) -> dict[str, Any]:
    http = segment.get("http") or {}
    request, response = http.get("request") or {}, http.get("response") or {}
    out: dict[str, Any] = {}
    for key, value in (
        ("HttpURL", request.get("url")),
        ("HttpMethod", request.get("method")),
        ("UserAgent", request.get("user_agent")),
        ("ClientIp", request.get("client_ip")),
        ("HttpStatus", response.get("status")),
    ):
        if value is not None:
            out[key] = value
    return out


def _service_id(segment: dict[str, Any]) -> dict[str, Any]:
    name = str(segment.get("name") or "")
    service: dict[str, Any] = {"Name": name, "Names": [name]}
    account = (segment.get("aws") or {}).get("account_id")
    if account:
        service["AccountId"] = account
    if segment.get("origin"):
        service["Type"] = segment["origin"]
    return service


def _depth(segment: dict[str, Any], by_id: dict[Any, dict[str, Any]]) -> int:
    depth, parent, seen = 0, segment.get("parent_id"), set()
    while parent in by_id and parent not in seen:
        seen.add(parent)
        depth += 1
        parent = by_id[parent].get("parent_id")
    return depth


def _anywhere(entity: dict[str, Any], flag: str) -> bool:
    return bool(entity.get(flag)) or any(
        _anywhere(sub, flag) for sub in entity.get("subsegments") or ()
    )


def _exceptions(entity: dict[str, Any]) -> list[dict[str, Any]]:
    found = []
    for exception in (entity.get("cause") or {}).get("exceptions") or ():
        item = {"Name": str(exception.get("type") or ""), "Message": exception.get("message")}
        found.append({k: v for k, v in item.items() if v not in (None, "")})
    return found


def _deepest(entity: dict[str, Any], flag: str) -> list[dict[str, Any]] | None:
    """The path from `entity` down to the deepest entity flagged `flag` with an exception."""
    for sub in entity.get("subsegments") or ():
        below = _deepest(sub, flag)
        if below is not None:
            return [entity, *below]
    if entity.get(flag) and _exceptions(entity):
        return [entity]
    return None


def _root_cause(downstream_first: list[dict[str, Any]], flag: str) -> dict[str, Any] | None:
    for segment in downstream_first:
        path = _deepest(segment, flag)
        if path is None:
            continue
        entities = []
        for entity in path:
            item: dict[str, Any] = {"Name": str(entity.get("name") or "")}
            if entity is path[-1]:
                item["Exceptions"] = _exceptions(entity)
            if entity.get("namespace") in ("remote", "aws"):
                item["Remote"] = True
            entities.append(item)
        service = _service_id(segment)
        service["EntityPath"] = entities
        service["Inferred"] = False
        return {"Services": [service], "ClientImpacting": True}
    return None


Matcher = Callable[[dict[str, Any]], bool]
_TOKEN = re.compile(
    r"\s*(?:(?P<open>\()|(?P<close>\))|(?P<join>AND|OR|&&|\|\|)(?![\w])"
    r'|service\(\s*"(?P<service>[^"]*)"\s*\)'
    r"|(?P<flag>ok|error|fault|throttle)(?:\s*=\s*(?P<value>true|false))?(?![\w]))",
    re.IGNORECASE,
)
_FLAGS = {"error": "HasError", "fault": "HasFault", "throttle": "HasThrottle"}


class ExpressionError(ValueError):
    """Outside the part of X-Ray's filter expression language this layer knows."""


def parse_expression(text: str) -> Matcher:
    """A filled summary's match for an X-Ray filter expression (AND binds before OR)."""
    tokens: list[re.Match[str]] = []
    position = 0
    text = text.rstrip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None or match.end() == position:
            raise ExpressionError(f"cannot read {text[position : position + 20]!r}")
        tokens.append(match)
        position = match.end()
    matcher, rest = _either(tokens)
    if rest:
        raise ExpressionError("unbalanced expression")
    return matcher


def _either(tokens: list[re.Match[str]]) -> tuple[Matcher, list[re.Match[str]]]:
    left, tokens = _both(tokens)
    while tokens and (tokens[0]["join"] or "").upper() in ("OR", "||"):
        right, tokens = _both(tokens[1:])
        left = _any_of(left, right)
    return left, tokens


def _both(tokens: list[re.Match[str]]) -> tuple[Matcher, list[re.Match[str]]]:
    left, tokens = _term(tokens)
    while tokens and (tokens[0]["join"] or "").upper() in ("AND", "&&"):
        right, tokens = _term(tokens[1:])
        left = _all_of(left, right)
    return left, tokens


def _any_of(first: Matcher, second: Matcher) -> Matcher:
    return lambda summary: first(summary) or second(summary)


def _all_of(first: Matcher, second: Matcher) -> Matcher:
    return lambda summary: first(summary) and second(summary)


def _term(tokens: list[re.Match[str]]) -> tuple[Matcher, list[re.Match[str]]]:
    if not tokens:
        raise ExpressionError("expression ends early")
    token = tokens[0]
    if token["open"]:
        inner, rest = _either(tokens[1:])
        if not rest or not rest[0]["close"]:
            raise ExpressionError("unbalanced parenthesis")
        return inner, rest[1:]
    if token["service"] is not None:
        name = token["service"]
        return (
            lambda s: any(i.get("Name") == name for i in s.get("ServiceIds") or ()),
            tokens[1:],
        )
    if token["flag"]:
        flag, wanted = token["flag"].lower(), (token["value"] or "true").lower() == "true"
        if flag == "ok":
            return (lambda s: (not any(s.get(k) for k in _FLAGS.values())) == wanted), tokens[1:]
        key = _FLAGS[flag]
        return (lambda s: bool(s.get(key)) == wanted), tokens[1:]
    raise ExpressionError("a term is missing")


class TraceSummaries:
    """WSGI middleware: GetTraceSummaries answered by moto, then filled in as X-Ray would."""

    def __init__(self, app: WsgiApp) -> None:
        self.app = app
        self._documents: dict[str, list[dict[str, Any]]] = {}
        """Every segment document written through here, by trace id: a summary is filled in
        from them rather than read back from moto five traces a request (an hour of the
        account's traces was a thousand reads, twenty seconds of GetTraceSummaries)."""
        self._lock = threading.Lock()
        self._oldest_s = 0.0
        """Traces that started before this are no longer kept."""

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("REQUEST_METHOD") == "POST" and environ.get("PATH_INFO") == SEGMENTS_PATH:
            request = request_body(environ)
            self._keep(request)
            environ = {**environ, "wsgi.input": io.BytesIO(request)}
            return self.app(environ, start_response)
        if environ.get("REQUEST_METHOD") != "POST" or environ.get("PATH_INFO") != SUMMARIES_PATH:
            return self.app(environ, start_response)
        request = request_body(environ)
        try:
            asked = json.loads(request or b"{}")
            expression = asked.pop("FilterExpression", None)
            matches = parse_expression(expression) if isinstance(expression, str) else None
        except ValueError as error:
            return refuse(
                start_response,
                "InvalidRequestException",
                f"Invalid filter expression: {error}",
                "application/json",
            )
        if matches is not None:
            request = json.dumps(asked).encode()  # moto fails any expression: it is applied below
        status, headers, body = call(self.app, environ, request)
        if status.startswith("200"):
            body = self._fill(environ, body, matches)
            headers = [(k, v) for k, v in headers if k.lower() != "content-length"]
            headers.append(("Content-Length", str(len(body))))
        start_response(status, headers)
        return [body]

    def _fill(self, environ: Environ, body: bytes, matches: Matcher | None) -> bytes:
        try:
            answer = json.loads(body)
            summaries = answer.get("TraceSummaries") or []
            ids = [s["Id"] for s in summaries if isinstance(s, dict) and s.get("Id")]
            documents = self._segments(environ, ids)
            filled = [summarize(s, documents.get(s.get("Id"), [])) for s in summaries]
            answer["TraceSummaries"] = [s for s in filled if matches is None or matches(s)]
            return json.dumps(answer).encode()
        except (ValueError, KeyError, TypeError):
            return body  # moto's own answer, as it was, rather than none

    def _keep(self, request: bytes) -> None:
        """The segment documents of a PutTraceSegments, by their trace id."""
        try:
            self.keep(json.loads(request)["TraceSegmentDocuments"])
        except (ValueError, KeyError, TypeError):
            return  # moto answers what it makes of it

    def keep(self, texts: list[str]) -> None:
        """Segment documents written to moto, as PutTraceSegments takes them: kept by trace id.
        Raises ValueError for a document that is not JSON."""
        documents = [json.loads(text) for text in texts]
        traces = [
            (document["trace_id"], document)
            for document in documents
            if isinstance(document, dict) and isinstance(document.get("trace_id"), str)
        ]
        newest = max((_started_s(trace) for trace, _ in traces), default=0.0)
        with self._lock:
            for trace, document in traces:
                self._documents.setdefault(trace, []).append(document)
            if newest - self._oldest_s > KEPT_S + 600:  # every ten minutes of traces
                self._oldest_s = newest - KEPT_S
                self._documents = {
                    trace: kept
                    for trace, kept in self._documents.items()
                    if _started_s(trace) >= self._oldest_s
                }

    def _segments(self, environ: Environ, ids: list[str]) -> dict[str, list[dict[str, Any]]]:
        with self._lock:
            found = {
                trace: list(self._documents[trace]) for trace in ids if trace in self._documents
            }
        # Traces written some other way (straight to moto) are read back from it.
        unread = [trace for trace in ids if trace not in found]
        for offset in range(0, len(unread), BATCH):
            request = json.dumps({"TraceIds": unread[offset : offset + BATCH]}).encode()
            path = {"PATH_INFO": TRACES_PATH, "REQUEST_URI": TRACES_PATH, "RAW_URI": TRACES_PATH}
            status, _, body = call(self.app, {**environ, **path}, request)
            if not status.startswith("200"):
                continue
            for trace in json.loads(body).get("Traces") or ():
                found[trace["Id"]] = [
                    json.loads(segment["Document"]) for segment in trace.get("Segments") or ()
                ]
        return found


def _started_s(trace_id: str) -> float:
    """A trace id's start: `1-<epoch seconds in 8 hex digits>-<96 random bits>` (the X-Ray
    developer guide's trace id format); 0 when the id is not of that form."""
    try:
        return float(int(trace_id.split("-")[1], 16))
    except (IndexError, ValueError):
        return 0.0
