"""The layers the demo puts in front of moto's application: answering a request in moto's stead,
or asking moto in process (a WSGI call, no socket) for what the answer is built from."""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterable
from typing import Any

Environ = dict[str, Any]
StartResponse = Callable[..., Any]
WsgiApp = Callable[[Environ, StartResponse], Iterable[bytes]]


def request_body(environ: Environ) -> bytes:
    length = int(environ.get("CONTENT_LENGTH") or 0)
    return environ["wsgi.input"].read(length) if length else b""


def call(app: WsgiApp, environ: Environ, body: bytes) -> tuple[str, list[tuple[str, str]], bytes]:
    """`app`'s answer to the request `environ` describes, with `body` as its body."""
    answered: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]], *_: Any) -> None:
        answered["status"], answered["headers"] = status, list(headers)

    request = {**environ, "wsgi.input": io.BytesIO(body), "CONTENT_LENGTH": str(len(body))}
    chunks = app(request, start_response)
    try:
        payload = b"".join(chunks)
    finally:
        close = getattr(chunks, "close", None)
        if close is not None:
            close()
    return answered["status"], answered["headers"], payload


def answer_json(
    start_response: StartResponse, document: dict[str, Any], status: str = "200 OK"
) -> Iterable[bytes]:
    """A JSON answer, as the AWS JSON protocols give one."""
    body = json.dumps(document).encode()
    start_response(
        status,
        [
            ("Content-Type", "application/x-amz-json-1.1"),
            ("Content-Length", str(len(body))),
        ],
    )
    return [body]


def refuse(
    start_response: StartResponse,
    code: str,
    message: str,
    content_type: str = "application/x-amz-json-1.1",
) -> Iterable[bytes]:
    """An AWS JSON-protocol error: HTTP 400, the code in `__type` and `x-amzn-ErrorType`."""
    body = json.dumps({"__type": code, "Message": message}).encode()
    start_response(
        "400 BAD REQUEST",
        [
            ("Content-Type", content_type),
            ("x-amzn-ErrorType", code),
            ("Content-Length", str(len(body))),
        ],
    )
    return [body]
