"""API Gateway's execution log of a REST API whose integration is a Lambda function: what the API
saw of the function, request by request. People paste it when a client got a 502 or a 504: the
console's test output (`Fri Apr 17 18:23:22 UTC 2020 : <message>`) or the
`API-Gateway-Execution-Logs_<api-id>/<stage>` log group (`(<request-id>) <message>`).

It is not the function's log, but it says what the function's log cannot: that the API gave up
at its integration timeout, that the function's answer was no proxy response, that the API may
not invoke the function, that Lambda throttled it, and the function's own error document with
the Lambda request id to look up in the function's log group.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import Enum

from lambdatop.core.lazy_pattern import LazyPattern

_UUID = r"[0-9a-f]{8}-[0-9a-f-]{27}"
_CONSOLE_TIME = r"(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) [A-Z][a-z]{2} \d{2} \d{2}:\d{2}:\d{2} UTC \d{4}"
_LINE = LazyPattern(
    rf"(?:(?P<ts>{_CONSOLE_TIME}) : |\((?P<rid>{_UUID}|test-invoke-request)\) )(?P<msg>.*)", re.S
)
_KNOWN = (
    "Extended Request Id: ",
    "Verifying Usage Plan for request",
    "API Key authorized because",
    "Usage Plan check succeeded",
    "Starting execution for request: ",
    "HTTP Method: ",
    "Method request ",
    "Endpoint request ",
    "Sending request to https://lambda.",
    "Received response. Status: ",
    "Endpoint response ",
    "Method response ",
    "Method completed with status: ",
    "Successfully completed execution",
    "Execution failed due to ",
    "Lambda execution failed with status ",
    "Lambda invocation failed with status: ",
)
"""How the execution log's messages begin: pasted without their prefix, they are still its."""
_HEADING = LazyPattern(r"Execution log for request \S+")
"""The console's heading above its test's lines."""
_STARTING = "Starting execution for request: "
_FUNCTION_URI = LazyPattern(
    r"https://lambda\.(?P<region>[a-z0-9-]+)\.amazonaws\.com/[^/]+/functions/"
    r"arn:aws[a-z-]*:lambda:[a-z0-9-]+:[^:]*:function:(?P<function>[A-Za-z0-9_-]{1,64})"
)
_LAMBDA_REQUEST_ID = LazyPattern(
    r"(?:x-amzn-RequestId=|Lambda request id: )(?P<id>[0-9a-f]{8}-[0-9a-f-]{27})", re.I
)
_FUNCTION_ERROR = LazyPattern(r"X-Amz-Function-Error=(?P<kind>\w+)")
_LATENCY = LazyPattern(r"Integration latency: (?P<ms>\d+) ms")
_STATUS = LazyPattern(r"Method completed with status: (?P<status>\d{3})")
_BODY = "Endpoint response body before transformations: "
_API_STAGE = LazyPattern(r"API Stage: (?P<api>[a-z0-9]{10})/(?P<stage>[\w-]+)")
_API_ID = LazyPattern(r"x-amzn-apigateway-api-id=(?P<api>[a-z0-9]{10})")
SHARE = 0.6
"""Of a file's lines, the share that must be the execution log's for the file to be one."""


class ApiFailure(Enum):
    """How API Gateway says a request to the function failed, in its own words."""

    TIMEOUT = "Execution failed due to a timeout error"
    MALFORMED = "Malformed Lambda proxy response"
    PERMISSION = "Invalid permissions on Lambda function"
    THROTTLED = "Lambda invocation failed with status: 429"
    FUNCTION_ERROR = "Lambda execution failed with status 200 due to customer function error"


_FAILURES = tuple(failure for failure in ApiFailure if failure is not ApiFailure.FUNCTION_ERROR)


@dataclass(slots=True)
class ApiRequest:
    """One request as the execution log tells it."""

    request_id: str
    """API Gateway's request id (`test-invoke-request` for the console's test)."""
    started_ms: int | None = None
    method: str | None = None
    """`GET /todos`."""
    lambda_request_id: str | None = None
    function_error: str | None = None
    """`Unhandled` or `Handled`: the function failed (X-Amz-Function-Error)."""
    body: str | None = None
    """The function's answer, as the API received it."""
    failure: ApiFailure | None = None
    failure_line: str | None = None
    status: int | None = None
    """The status the API answered its caller with."""
    latency_ms: int | None = None
    opened: bool = False
    """Its `Starting execution` line was read: the next one is another request's."""

    @property
    def failed(self) -> bool:
        return (
            self.failure is not None
            or self.function_error is not None
            or (self.status is not None and self.status >= 500)
        )

    @property
    def error_type(self) -> str | None:
        """The `errorType` of the function's error document, when it answered with one."""
        document = _json_object(self.body)
        if document is None:
            return None
        kind = document.get("errorType")
        if isinstance(kind, str):
            return kind
        return "string" if "errorMessage" in document else None

    @property
    def cause(self) -> ApiFailure | None:
        """What failed it, as one of API Gateway's words."""
        if self.failure is not None:
            return self.failure
        if self.function_error is not None:
            return ApiFailure.FUNCTION_ERROR
        return None


@dataclass(slots=True)
class ExecutionLog:
    requests: list[ApiRequest] = field(default_factory=list)
    function: str | None = None
    """The function the API's integration invokes (from its request URI)."""
    region: str | None = None
    api_id: str | None = None
    stage: str | None = None

    @property
    def failed(self) -> list[ApiRequest]:
        return [request for request in self.requests if request.failed]

    def causes(self) -> Counter[ApiFailure]:
        return Counter(cause for r in self.requests if (cause := r.cause) is not None)


def _json_object(text: str | None) -> dict[str, object] | None:
    if not text or not text.lstrip().startswith("{"):
        return None
    try:
        document = json.loads(text)
    except ValueError:
        return None
    return document if isinstance(document, dict) else None


def _console_ms(stamp: str) -> int:
    moment = datetime.strptime(stamp, "%a %b %d %H:%M:%S UTC %Y").replace(tzinfo=UTC)
    return int(moment.timestamp() * 1000)


def _message(line: str) -> tuple[str | None, int | None, str] | None:
    """A line's request id, time and message, when it is one of the execution log's."""
    match = _LINE.fullmatch(line)
    if match is not None:
        stamp = match.group("ts")
        return match.group("rid"), _console_ms(stamp) if stamp else None, match.group("msg")
    bare = line.strip()
    return (None, None, bare) if bare.startswith(_KNOWN) else None


def is_execution_log(lines: list[str]) -> bool:
    """Whether most lines are an API Gateway execution log's (a message may run over lines),
    and at least one says what became of a request to the function."""
    sample = [line for line in lines[:400] if line.strip() and not _HEADING.fullmatch(line)]
    messages = [m[2] for line in sample if (m := _message(line)) is not None]
    told = any(
        message.startswith(("Method completed", "Endpoint response", "Execution failed"))
        or message.startswith(ApiFailure.FUNCTION_ERROR.value)
        for message in messages
    )
    return told and len(messages) >= SHARE * len(sample)


def read_execution_log(lines: list[str], times: list[int] | None = None) -> ExecutionLog:
    """The requests of an execution log's lines, in order; a line that is not the log's
    continues the message before it (a header map or body printed over lines). `times`: each
    line's time, when an export of the log group gives it (epoch ms)."""
    log = ExecutionLog()
    current: ApiRequest | None = None
    by_id: dict[str, ApiRequest] = {}
    messages: list[tuple[str | None, int | None, list[str]]] = []
    for index, line in enumerate(lines):
        found = _message(line)
        if found is None:
            if messages and not _HEADING.fullmatch(line):
                messages[-1][2].append(line)
            continue
        rid, at, message = found
        if at is None and times is not None:
            at = times[index]
        messages.append((rid, at, [message]))
    for rid, at, parts in messages:
        message = "\n".join(parts)
        if rid is not None:
            current = by_id.get(rid)
            if current is None:
                current = by_id[rid] = ApiRequest(rid, at)
                log.requests.append(current)
        elif current is None or (message.startswith(_STARTING) and current.opened):
            # The console's lines name no request: each test starts with `Starting execution`.
            current = ApiRequest("test-invoke-request", at)
            log.requests.append(current)
        if message.startswith(_STARTING):
            current.opened = True
            if rid is None:
                current.request_id = message.removeprefix(_STARTING).strip() or "?"
        _note(log, current, message.strip())
    return log


def _note(log: ExecutionLog, request: ApiRequest, message: str) -> None:
    if message.startswith("HTTP Method: "):
        method, _, path = message.removeprefix("HTTP Method: ").partition(", Resource Path: ")
        request.method = f"{method} {path}".strip()
    elif message.startswith(_BODY):
        request.body = message.removeprefix(_BODY)
    elif (found := _STATUS.match(message)) is not None:
        request.status = int(found.group("status"))
    elif (uri := _FUNCTION_URI.search(message)) is not None:
        log.function = log.function or uri.group("function")
        log.region = log.region or uri.group("region")
    if (latency := _LATENCY.search(message)) is not None:
        request.latency_ms = int(latency.group("ms"))
    if (error := _FUNCTION_ERROR.search(message)) is not None:
        request.function_error = error.group("kind")
    if (rid := _LAMBDA_REQUEST_ID.search(message)) is not None:
        request.lambda_request_id = rid.group("id")
    if message.startswith(ApiFailure.FUNCTION_ERROR.value):
        request.function_error = request.function_error or "Unhandled"
        request.failure_line = request.failure_line or message
    for failure in _FAILURES:
        if failure.value in message:
            request.failure, request.failure_line = failure, message
    if (stage := _API_STAGE.search(message)) is not None:
        log.api_id, log.stage = log.api_id or stage.group("api"), log.stage or stage.group("stage")
    elif log.api_id is None and (api := _API_ID.search(message)) is not None:
        log.api_id = api.group("api")
