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

from moto.moto_server.werkzeug_app import MotoRequestHandler, create_backend_app
from werkzeug.serving import BaseWSGIServer, make_server

from lambdatop.demo.dispatcher import DomainDispatcher
from lambdatop.demo.logs_insights import LogsInsights
from lambdatop.demo.loopback import LOOPBACK, port_is_free
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
        app = LogsInsights(self.trace_summaries)
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


def reset_moto(endpoint_url: str) -> None:
    """Wipe every moto backend in this process (`POST /moto-api/reset`)."""
    import urllib.request

    request = urllib.request.Request(f"{endpoint_url}/moto-api/reset", method="POST")
    with urllib.request.urlopen(request, timeout=10) as response:
        response.read()
