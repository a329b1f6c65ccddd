"""A `lambdatop` command run as a user runs it, a real subprocess, with every line it writes
kept with the moment it arrived; waits are on what it writes, each with a deadline."""

from __future__ import annotations

import signal
import subprocess
import threading
import time
from collections.abc import Callable
from typing import IO

from incident import LAMBDATOP


class Running:
    def __init__(self, args: list[str], env: dict[str, str]) -> None:
        self.process = subprocess.Popen(
            [*LAMBDATOP, *args],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.out: list[tuple[float, str]] = []
        self.err: list[tuple[float, str]] = []
        self._changed = threading.Condition()
        self._readers = [
            threading.Thread(target=self._read, args=(stream, kept), daemon=True)
            for stream, kept in ((self.process.stdout, self.out), (self.process.stderr, self.err))
        ]
        for reader in self._readers:
            reader.start()

    def _read(self, stream: IO[str] | None, kept: list[tuple[float, str]]) -> None:
        for line in stream or ():
            with self._changed:
                kept.append((time.monotonic(), line.rstrip("\n")))
                self._changed.notify_all()
        with self._changed:
            self._changed.notify_all()

    def stdout(self) -> list[str]:
        return [line for _, line in list(self.out)]

    def stderr(self) -> list[str]:
        return [line for _, line in list(self.err)]

    def wait_for(self, ready: Callable[[], bool], within: float, what: str) -> float:
        """Wait until `ready()` holds (checked at each line written); the moment it did."""
        deadline = time.monotonic() + within
        with self._changed:
            while not ready():
                left = deadline - time.monotonic()
                if left <= 0 or (self.process.poll() is not None and not self._alive()):
                    raise AssertionError(
                        f"{what}: not within {within:.0f} s; stdout ...{self.stdout()[-5:]}, "
                        f"stderr {self.stderr()}"
                    )
                self._changed.wait(timeout=min(left, 0.25))
        return time.monotonic()

    def _alive(self) -> bool:
        return any(reader.is_alive() for reader in self._readers)

    def interrupt(self, within: float = 10.0) -> int:
        """Ctrl-C, as a person ends --follow; its exit code."""
        self.process.send_signal(signal.SIGINT)
        code = self.process.wait(timeout=within)
        for reader in self._readers:
            reader.join(timeout=within)
        return code

    def finish(self, within: float = 60.0) -> int:
        code = self.process.wait(timeout=within)
        for reader in self._readers:
            reader.join(timeout=within)
        return code

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
