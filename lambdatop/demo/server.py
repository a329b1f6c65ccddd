"""moto in server mode, in this process, on 127.0.0.1.

moto's state lives in module-level backends shared by every server in the process, so a
simulated account owns the process's moto state while it runs. moto's application is served as
moto's own ThreadedMotoServer serves it, behind layers of the demo's: GetTraceSummaries filled in as
X-Ray fills it (`xray_summaries`), and Logs Insights queries run over the account's events
(`logs_insights`: moto's parser fails the `stats` queries lambdatop sends).
"""

from __future__ import annotations

import errno
import logging
import os
import threading
import time
from collections.abc import Iterable

from moto.moto_server.werkzeug_app import MotoRequestHandler, create_backend_app
from werkzeug.serving import BaseWSGIServer, make_server

from lambdatop.demo.dispatcher import DomainDispatcher
from lambdatop.demo.logs_insights import LogsInsights
from lambdatop.demo.loopback import LOOPBACK, port_is_free
from lambdatop.demo.wsgi import Environ, StartResponse, WsgiApp
from lambdatop.demo.xray_summaries import TraceSummaries


class MotoServer:
    """Start and stop moto's server, leaving no thread or bound port behind."""

    def __init__(self, port: int = 0) -> None:
        self._requested_port = port
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None
        self.host = LOOPBACK
        self.port = 0

    @property
    def endpoint_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> None:
        if self._server is not None:
            raise RuntimeError("moto server already started")
        # werkzeug logs every request at INFO (thousands of lines a minute), and at ERROR the
        # traceback of each emulator bug (moto cannot answer some requests, e.g. percentiles:
        # the client gets its 500 and says so in one line). None of it is for our stderr.
        logging.getLogger("werkzeug").setLevel(logging.CRITICAL)
        # The account runs no instance: moto's EC2 backend need not load its 1,300 default
        # images (an EBS snapshot each: 0.7 s of CPU of the demo's start, issue 14)
        os.environ.setdefault("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")
        if self._requested_port and not port_is_free(self._requested_port):
            raise OSError(errno.EADDRINUSE, f"port {self._requested_port} is in use")
        self.trace_summaries = TraceSummaries(DomainDispatcher(create_backend_app))
        self.requests = Requests(LogsInsights(self.trace_summaries))
        app = self.requests
        server = make_server(
            LOOPBACK, self._requested_port, app, threaded=True, request_handler=MotoRequestHandler
        )
        thread = threading.Thread(
            target=server.serve_forever, name="lambdatop-demo-moto", daemon=True
        )
        thread.start()
        self._server, self._thread = server, thread
        self.host, self.port = LOOPBACK, int(server.server_address[1])

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        server.shutdown()
        server.server_close()
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def __enter__(self) -> MotoServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


class Requests:
    """WSGI layer: knows when the server last answered, so that the account's own writing can
    wait for a quiet moment (the monitor's first reads answered before the older minutes)."""

    def __init__(self, app: WsgiApp) -> None:
        self.app = app
        self._in_flight = 0
        self._last_answered = 0.0
        self._changed = threading.Condition()

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        with self._changed:
            self._in_flight += 1
        try:
            return self.app(environ, start_response)  # moto's answers are whole when returned
        finally:
            with self._changed:
                self._in_flight -= 1
                self._last_answered = time.monotonic()
                self._changed.notify_all()

    def wait_quiet(self, quiet_s: float, at_most_s: float) -> None:
        """Until no request has been answered or asked for `quiet_s`, for at most `at_most_s`."""
        deadline = time.monotonic() + at_most_s
        with self._changed:
            while (now := time.monotonic()) < deadline:
                quiet_for = now - self._last_answered
                if not self._in_flight and quiet_for >= quiet_s:
                    return
                left = deadline - now
                self._changed.wait(left if self._in_flight else min(left, quiet_s - quiet_for))


def reset_moto(endpoint_url: str) -> None:
    """Wipe every moto backend in this process (`POST /moto-api/reset`)."""
    import urllib.request

    request = urllib.request.Request(f"{endpoint_url}/moto-api/reset", method="POST")
    with urllib.request.urlopen(request, timeout=10) as response:
        response.read()
