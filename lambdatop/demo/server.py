"""moto in server mode, in this process, on 127.0.0.1.

moto's state lives in module-level backends shared by every server in the process, so a
simulated account owns the process's moto state while it runs.
"""

from __future__ import annotations

import errno
import logging
import socket

from moto.server import ThreadedMotoServer

LOOPBACK = "127.0.0.1"


class MotoServer:
    """Start and stop a ThreadedMotoServer, leaving no thread or bound port behind."""

    def __init__(self, port: int = 0) -> None:
        self._requested_port = port
        self._server: ThreadedMotoServer | None = None
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
        if self._requested_port and not port_is_free(self._requested_port):
            # The server's thread would fail to bind and `start()` wait for it for ever.
            raise OSError(errno.EADDRINUSE, f"port {self._requested_port} is in use")
        server = ThreadedMotoServer(ip_address=LOOPBACK, port=self._requested_port, verbose=False)
        server.start()
        self._server = server
        self.host, self.port = server.get_host_and_port()

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        server.stop()
        # ThreadedMotoServer.stop() shuts the loop down but never closes the listening socket
        wsgi = getattr(server, "_server", None)
        if wsgi is not None:
            wsgi.server_close()

    def __enter__(self) -> MotoServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def port_is_free(port: int, host: str = LOOPBACK) -> bool:
    """True when nothing listens on the port (used by tests and by `stop()` callers)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        # As a server would: connections left in TIME_WAIT do not make a port busy
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def reset_moto(endpoint_url: str) -> None:
    """Wipe every moto backend in this process (`POST /moto-api/reset`)."""
    import urllib.request

    request = urllib.request.Request(f"{endpoint_url}/moto-api/reset", method="POST")
    with urllib.request.urlopen(request, timeout=10) as response:
        response.read()
