"""A fault-injecting HTTP endpoint on 127.0.0.1 in front of moto, for every surface of the fault
matrix: the TUI's `Aws` and the `lambdatop diagnose` / `lambdatop tail` subprocesses (which no
botocore hook can reach) are pointed at it with --endpoint-url.

While no fault is on it forwards each request to moto, answering DescribeLogStreams as AWS
documents it (awsdouble.StaleStreams: metadata `stale_s` behind) and refusing a request signed
with an expired set of `ExpiringCredentials`, as STS does. A fault, while it is on, is what a
client meets on the wire:

- `throttle`: each service's own throttling answer (its API reference's code and status);
- `5xx`: HTTP 503 ServiceUnavailableException, a burst of them;
- `down`: nothing listens on the port (connection refused);
- `hang`: the request is read and never answered until the fault ends (then it is forwarded:
  an endpoint that comes back answers what it held);
- `slow`: every answer `slow_s` late;
- `reset`: the request is read, then the connection is reset (TCP RST);
- `stale`: stream metadata `stale_s_during` behind (DescribeLogStreams only; the rest answers).

"""

from __future__ import annotations

import contextlib
import http.client
import json
import socket
import struct
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from awsdouble import ExpiringCredentials, StaleStreams

FAULTS = ("throttle", "5xx", "down", "hang", "slow", "reset", "stale")

THROTTLING = {
    # The signing name's throttling answer, as each API reference gives it: (status, code).
    # CloudWatch Logs: "ThrottlingException ... The request was throttled" (HTTP 400).
    "logs": (400, "ThrottlingException"),
    # Lambda: "TooManyRequestsException ... The request throughput limit was exceeded" (429).
    "lambda": (429, "TooManyRequestsException"),
    # CloudWatch: "Throttling" (HTTP 400), in the CBOR protocol botocore speaks to it.
    "monitoring": (400, "Throttling"),
    # X-Ray: "ThrottledException ... The request exceeds the maximum number of requests per
    # second" (429).
    "xray": (429, "ThrottledException"),
    # API Gateway: "TooManyRequestsException ... The request has reached its throttling limit".
    "apigateway": (429, "TooManyRequestsException"),
}


def _cbor_text(text: str) -> bytes:
    data = text.encode()
    if len(data) < 24:
        return bytes([0x60 + len(data)]) + data
    return bytes([0x78, len(data)]) + data


def cbor_error(code: str, message: str) -> bytes:
    """{"__type": code, "message": message} in CBOR (RFC 8949, a map of two text strings): the
    error body of the Smithy RPC v2 CBOR protocol CloudWatch speaks."""
    return b"\xa2" + b"".join(_cbor_text(t) for t in ("__type", code, "message", message))


class FaultProxy:
    """Forwards to `upstream` (moto) and injects the fault that is on; see the module docstring."""

    def __init__(
        self,
        upstream: str,
        *,
        stale_s: float = 90.0,
        clock: Callable[[], float] = time.time,
        credentials: ExpiringCredentials | None = None,
        slow_s: float = 0.3,
    ) -> None:
        self.upstream = urlsplit(upstream)
        self.clock = clock
        self.streams = StaleStreams(clock, stale_s)
        self.stale_s = stale_s
        self.stale_s_during = 3600.0
        self.credentials = credentials
        self.slow_s = slow_s
        self.fault: str | None = None
        self.only: frozenset[str] | None = None
        """The signing names (`logs`, `lambda`, ...) the fault is for; None: every service."""
        self.arrivals: list[tuple[float, str, str]] = []
        """Every request read: when (the clock's), its signing name and operation."""
        self.expired_refused = 0
        self.last_answered_s = 0.0
        """When the endpoint last gave an answer AWS would give (no fault): nothing read
        through it can be newer."""
        self._holding = 0
        self._released = threading.Event()
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.port = 0
        self._listen()
        self.url = f"http://127.0.0.1:{self.port}"

    # --- control ---

    def start(self, fault: str, only: set[str] | None = None) -> None:
        assert fault in FAULTS, fault
        assert fault != "down" or only is None, "down is the whole endpoint"
        with self._lock:
            self._released.clear()
            self.fault = fault
            self.only = frozenset(only) if only is not None else None
        if fault == "down":
            self._close_listener()

    def end(self) -> None:
        """The fault is over: listen again, answer what was held."""
        with self._lock:
            fault, self.fault = self.fault, None
            self._released.set()
        if fault == "down":
            self._listen()

    def close(self) -> None:
        self.end()
        self._close_listener()

    def held(self) -> int:
        """Requests waiting on a hang now."""
        return self._holding

    # --- the listener ---

    def _listen(self) -> None:
        proxy = self

        class Handler(_Handler):
            owner = proxy

        server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        server.daemon_threads = True
        self.port = int(server.server_address[1])
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()

    def _close_listener(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()
        if self._thread is not None:
            self._thread.join()

    # --- one request ---

    def fault_for(self, service: str, operation: str) -> str | None:
        with self._lock:
            fault = self.fault
            if fault is None or fault == "down":
                return None
            if self.only is not None and service not in self.only:
                return None
            if fault == "stale":
                return fault if operation == "DescribeLogStreams" else None
            return fault

    def hold(self) -> None:
        with self._lock:
            self._holding += 1
        try:
            self._released.wait(timeout=120)
        finally:
            with self._lock:
                self._holding -= 1

    def forward(
        self, method: str, path: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        host, port = self.upstream.hostname or "127.0.0.1", self.upstream.port or 80
        connection = http.client.HTTPConnection(host, port, timeout=60)
        try:
            connection.request(method, path, body=body, headers=headers)
            answer = connection.getresponse()
            data = answer.read()
            kept = {
                k: v
                for k, v in answer.getheaders()
                if k.lower() not in ("connection", "transfer-encoding", "content-length", "server")
            }
            return answer.status, kept, data
        finally:
            connection.close()

    def describe_streams(self, body: bytes, stale_s: float) -> tuple[int, dict[str, str], bytes]:
        self.streams.stale_s = stale_s
        http, answer = self.streams(params={"body": body})
        answer.pop("ResponseMetadata", None)
        return http.status_code, {"content-type": "application/x-amz-json-1.1"}, _json(answer)


def _json(value: Any) -> bytes:
    return json.dumps(value).encode()


def _service(authorization: str) -> str:
    """The signing name in a SigV4 Authorization header's credential scope."""
    if "Credential=" not in authorization:
        return "?"
    scope = authorization.split("Credential=", 1)[1].split(",", 1)[0].split("/")
    return scope[3] if len(scope) > 3 else "?"


def _operation(path: str, target: str) -> str:
    if target:  # JSON protocol (CloudWatch Logs): X-Amz-Target: Logs_20140328.FilterLogEvents
        return target.rsplit(".", 1)[-1]
    if "/operation/" in path:  # Smithy RPC v2 CBOR (CloudWatch)
        return path.rsplit("/operation/", 1)[1].split("?", 1)[0]
    return path.split("?", 1)[0]  # REST: the path says enough for a test


class _Handler(BaseHTTPRequestHandler):
    owner: FaultProxy
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        return  # quiet: the test says what went wrong

    def handle_one_request(self) -> None:
        with contextlib.suppress(OSError):
            super().handle_one_request()

    def do_GET(self) -> None:
        self._answer()

    do_POST = do_PUT = do_DELETE = do_HEAD = do_GET

    def _answer(self) -> None:
        proxy = self.owner
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        headers = {k: v for k, v in self.headers.items() if k.lower() != "connection"}
        authorization = self.headers.get("Authorization", "")
        service = _service(authorization)
        operation = _operation(self.path, self.headers.get("X-Amz-Target", ""))
        proxy.arrivals.append((proxy.clock(), service, operation))
        fault = proxy.fault_for(service, operation)
        if fault == "reset":
            # SO_LINGER with a zero timeout: close() sends RST, as a dropped connection does.
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
            self.close_connection = True
            return
        if fault == "throttle":
            status, code = THROTTLING.get(service, (429, "TooManyRequestsException"))
            self._error(service, status, code, "Rate exceeded")
            return
        if fault == "5xx":
            self._error(service, 503, "ServiceUnavailableException", "Service Unavailable")
            return
        if fault == "hang":
            proxy.hold()
        elif fault == "slow":
            time.sleep(proxy.slow_s)  # the fault itself: an answer this late
        if proxy.credentials is not None and proxy.credentials.refuses(authorization):
            proxy.expired_refused += 1
            self._error(service, 403, "ExpiredTokenException", "The security token is expired")
            return
        if operation == "DescribeLogStreams":
            stale = proxy.stale_s_during if fault == "stale" else proxy.stale_s
            self._send(*proxy.describe_streams(body, stale))
            return
        self._send(*proxy.forward(self.command, self.path, headers, body))
        proxy.last_answered_s = proxy.clock()

    def _error(self, service: str, status: int, code: str, message: str) -> None:
        if service == "monitoring":
            headers = {"content-type": "application/cbor", "smithy-protocol": "rpc-v2-cbor"}
            self._send(status, headers, cbor_error(code, message))
            return
        headers = {"content-type": "application/json", "x-amzn-errortype": code}
        self._send(status, headers, _json({"__type": code, "message": message}))

    def _send(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)
        self.close_connection = True
