"""Botocore event hooks for what moto cannot do, a fake clock, and waiting without sleeping.

Hooks go on the clients of the `Aws` under test (`await aws.client("logs")`), never on
lambdatop's own code:
- `before-send` handlers see each HTTP attempt (retries included) and may answer it with a canned
  `AioAWSResponse` or raise a connection error, exactly where the network would;
- `before-call` handlers may answer a whole call with a parsed response (for protocols such as
  CloudWatch's CBOR, where writing the wire format by hand is not worth it).
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiobotocore.awsrequest import AioAWSResponse
from botocore.awsrequest import HeadersDict


class FakeClock:
    """Seconds since the epoch that move only when told to."""

    def __init__(self, start: float) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class _Body:
    def __init__(self, data: bytes) -> None:
        self.data = data

    async def read(self) -> bytes:
        return self.data


def response(status: int, body: object = None, headers: dict[str, str] | None = None) -> Any:
    """An HTTP answer for a JSON or REST-JSON service (Lambda, Logs, X-Ray, API Gateway)."""
    data = b"" if body is None else json.dumps(body).encode()
    merged = {"content-type": "application/json", "x-amzn-requestid": "canned"}
    merged.update(headers or {})
    return AioAWSResponse("https://canned.invalid/", status, HeadersDict(merged), _Body(data))


def error(status: int, code: str, message: str = "") -> Any:
    """An AWS error answer, readable by both the JSON and the REST-JSON parsers."""
    return response(
        status,
        {"__type": code, "message": message or code},
        {"x-amzn-errortype": code},
    )


@dataclass
class _Http:
    status_code: int
    headers: dict[str, str] = field(default_factory=dict)


def parsed(result: dict[str, Any], status: int = 200) -> tuple[_Http, dict[str, Any]]:
    """A whole call's answer for a `before-call` hook."""
    answer = dict(result)
    answer.setdefault("ResponseMetadata", {"HTTPStatusCode": status, "HTTPHeaders": {}})
    return _Http(status), answer


async def hook(
    aws: Any, service: str, event: str, handler: Callable[..., Any]
) -> Callable[[], None]:
    """Register `handler` for `event` (e.g. `before-send.cloudwatch-logs.FilterLogEvents`) on
    the `Aws` object's client for `service`; returns the function that removes it."""
    client = await aws.client(service)
    client.meta.events.register(event, handler)

    def remove() -> None:
        client.meta.events.unregister(event, handler)

    return remove


@dataclass(eq=False)
class Attempts:
    """Counts HTTP attempts per operation (a `before-send` observer that answers nothing)."""

    counts: Counter[str] = field(default_factory=Counter)

    def __call__(self, request: Any = None, event_name: str = "", **_: Any) -> None:
        self.counts[event_name.rsplit(".", 1)[-1]] += 1


async def until(condition: Callable[[], bool], within: float = 20.0, what: str = "") -> None:
    """Wait for a condition, checking every 10 ms; fail after `within` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not condition():
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what or condition}")
        await asyncio.sleep(0.01)
