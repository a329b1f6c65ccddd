"""A Live Tail double: StartLiveTail as the CloudWatch Logs documentation describes it, in the
AWS event-stream framing botocore decodes; every other request is passed on to moto.

moto's StartLiveTail answers one snapshot and closes. This server, bound to 127.0.0.1, plays
scripted sessions instead: each is a list of frames (sessionStart, sessionUpdate with its
events and `sampled` flag, an exception event, a connection that drops, or a session held open
until the test releases it), or an error answered before the stream opens (throttling, the
account's session quota). The wire format is the event-stream encoding
(https://docs.aws.amazon.com/AmazonS3/latest/API/RESTSelectObjectAppendix.html): a prelude with
the total and headers lengths and its CRC32, string headers (`:message-type`, `:event-type` or
`:exception-type`, `:content-type`), the JSON payload, and the message CRC32.
"""

from __future__ import annotations

import asyncio
import json
import struct
import zlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web

TARGET = "Logs_20140328.StartLiveTail"
HEADER_STRING = 7


def frame(headers: dict[str, str], payload: bytes) -> bytes:
    """One event-stream message: prelude, prelude CRC, headers, payload, message CRC."""
    encoded = b""
    for name, value in headers.items():
        key, text = name.encode(), value.encode()
        encoded += bytes([len(key)]) + key + bytes([HEADER_STRING])
        encoded += struct.pack(">H", len(text)) + text
    total = 12 + len(encoded) + len(payload) + 4
    prelude = struct.pack(">II", total, len(encoded))
    message = prelude + struct.pack(">I", zlib.crc32(prelude)) + encoded + payload
    return message + struct.pack(">I", zlib.crc32(message))


def event(kind: str, body: dict[str, Any]) -> bytes:
    return frame(
        {":message-type": "event", ":event-type": kind, ":content-type": "application/json"},
        json.dumps(body).encode(),
    )


def exception(kind: str, message: str) -> bytes:
    return frame(
        {
            ":message-type": "exception",
            ":exception-type": kind,
            ":content-type": "application/json",
        },
        json.dumps({"message": message}).encode(),
    )


@dataclass
class Hold:
    """Keep the session open until `release` is set (or the client goes away)."""

    release: asyncio.Event = field(default_factory=asyncio.Event)


@dataclass
class Drop:
    """The connection breaks: the stream ends with no exception event."""


@dataclass
class Refuse:
    """StartLiveTail fails before any stream, as a JSON error (HTTP 400)."""

    code: str
    message: str = "refused"


Frame = bytes | Hold | Drop


def session_start(groups: list[str], session_id: str = "s-1") -> bytes:
    return event(
        "sessionStart",
        {"requestId": f"r-{session_id}", "sessionId": session_id, "logGroupIdentifiers": groups},
    )


def session_update(events: list[dict[str, Any]], *, sampled: bool = False) -> bytes:
    """An update with FilterLogEvents-shaped events, as Live Tail words them (no eventId)."""
    results = [
        {
            "logStreamName": e["logStreamName"],
            "logGroupIdentifier": e.get("logGroupIdentifier", "group"),
            "message": e["message"],
            "timestamp": e["timestamp"],
            "ingestionTime": e["ingestionTime"],
        }
        for e in events
    ]
    return event(
        "sessionUpdate", {"sessionMetadata": {"sampled": sampled}, "sessionResults": results}
    )


def timeout() -> bytes:
    # The documentation's words: "Live Tail sessions time out after three hours."
    return exception("SessionTimeoutException", "Live Tail sessions time out after three hours")


def streaming_failure() -> bytes:
    return exception("SessionStreamingException", "an unknown error occurred")


class LiveTailDouble:
    """The server. `sessions` is the script: one entry per StartLiveTail, in order; once it
    runs out, a session is started and held open until the client closes it."""

    def __init__(self, moto_url: str) -> None:
        self.moto_url = moto_url
        self.sessions: list[list[Frame] | Refuse] = []
        self.requests: list[dict[str, Any]] = []
        """The parameters of every StartLiveTail received."""
        self.served = asyncio.Event()
        """Set each time a scripted session (or refusal) has been played to its end."""
        self.url = ""
        self._runner: web.AppRunner | None = None
        self._http: aiohttp.ClientSession | None = None
        self._idle = asyncio.Event()
        self._holding: list[Hold] = []

    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert server is not None
        port = server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}"
        self._http = aiohttp.ClientSession()

    async def stop(self) -> None:
        # Sessions still held open end, so the server's handlers finish and it can close.
        self._idle.set()
        for hold in self._holding:
            hold.release.set()
        if self._http is not None:
            await self._http.close()
        if self._runner is not None:
            await self._runner.cleanup()

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        if request.headers.get("X-Amz-Target") != TARGET:
            return await self._to_moto(request)
        self.requests.append(json.loads(await request.read() or b"{}"))
        script = self.sessions.pop(0) if self.sessions else None
        if isinstance(script, Refuse):
            self.served.set()
            return web.json_response(
                {"__type": script.code, "message": script.message},
                status=400,
                content_type="application/x-amz-json-1.1",
            )
        response = web.StreamResponse(
            status=200, headers={"Content-Type": "application/vnd.amazon.eventstream"}
        )
        await response.prepare(request)
        # The JSON protocol's event stream opens with the (empty) initial response.
        await response.write(event("initial-response", {}))
        if script is None:
            await response.write(session_start(["idle"], "idle"))
            await self._idle.wait()
            return response
        for item in script:
            if isinstance(item, Hold):
                self._holding.append(item)
                await item.release.wait()
            elif isinstance(item, Drop):
                break
            else:
                await response.write(item)
        self.served.set()
        with_eof = response.write_eof()
        await with_eof
        return response

    async def _to_moto(self, request: web.Request) -> web.Response:
        assert self._http is not None
        headers = {k: v for k, v in request.headers.items() if k.lower() != "host"}
        async with self._http.request(
            request.method,
            f"{self.moto_url}{request.path_qs}",
            headers=headers,
            data=await request.read(),
        ) as answer:
            body = await answer.read()
            keep = {
                k: v
                for k, v in answer.headers.items()
                if k.lower() in ("content-type", "x-amzn-requestid", "x-amzn-errortype")
            }
            return web.Response(status=answer.status, body=body, headers=keep)


async def running(moto_url: str) -> AsyncIterator[LiveTailDouble]:
    double = LiveTailDouble(moto_url)
    await double.start()
    try:
        yield double
    finally:
        await double.stop()
