"""An endpoint that hangs: for the UI's signal tests and the monitor's waiting tests."""

from __future__ import annotations

import contextlib
import socket
import threading


class HangingEndpoint:
    """An HTTP endpoint on 127.0.0.1 that accepts every connection and never answers."""

    def __init__(self) -> None:
        self.server = socket.socket()
        self.server.bind(("127.0.0.1", 0))
        self.server.listen(64)
        self.url = f"http://127.0.0.1:{self.server.getsockname()[1]}"
        self.held: list[socket.socket] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    @property
    def accepted(self) -> int:
        """Connections accepted so far (each an HTTP request left waiting)."""
        return len(self.held)

    def _accept(self) -> None:
        self.server.settimeout(0.2)
        while not self._stop.is_set():
            with contextlib.suppress(TimeoutError, OSError):
                self.held.append(self.server.accept()[0])

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        for connection in self.held:
            connection.close()
        self.server.close()


class ClosingEndpoint(HangingEndpoint):
    """An endpoint that accepts every connection and closes it without a word (a load balancer
    dropping requests, a proxy that gives up)."""

    def _accept(self) -> None:
        self.server.settimeout(0.2)
        while not self._stop.is_set():
            with contextlib.suppress(TimeoutError, OSError):
                connection = self.server.accept()[0]
                connection.recv(65536)  # the request arrives: then nothing but a close
                connection.close()
                self.held.append(connection)
