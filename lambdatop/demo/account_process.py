"""The simulated account in a process of its own, beside `lambdatop --demo`'s monitor.

Starting moto's services, creating the account and writing its history take seconds of CPU. In
the monitor's process they held its first frame back (6.2 s on the quiet machine, issue 14) and
then competed with it for the interpreter. In a child process, on the machine's other core, they
run while the monitor paints its first frame; the monitor reads the account once it is ready.

The child says on its standard output, one JSON object a line, its endpoint (as soon as its
server listens), then that the account is ready, or why it could not start. It ends when its
standard input closes: the monitor is gone, however it went (quit, a closed terminal, SIGKILL).

This module imports neither moto nor boto3 until it runs as the child: the monitor imports it.

    python -m lambdatop.demo.account_process --port 0 --speed 1 [--scenario NAME ...]
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import os
import subprocess
import sys
import threading
from typing import IO


class AccountFailed(Exception):
    """The simulated account could not start; the message says why, in one line."""


class AccountProcess:
    """The parent's handle: start the child, wait for its endpoint, end it."""

    def __init__(self, port: int = 0, speed: float = 1.0, scenarios: list[str] | None = None):
        self._command = [
            sys.executable,
            "-m",
            __name__,
            "--port",
            str(port),
            "--speed",
            repr(speed),
            *(arg for name in scenarios or () for arg in ("--scenario", name)),
        ]
        self._child: subprocess.Popen[bytes] | None = None
        self._said: dict[str, str] = {}
        """What the child said so far: its endpoint, that it is ready, or why it failed."""
        self._lock = threading.Lock()

    def start(self) -> None:
        self._child = subprocess.Popen(
            self._command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            # moto's and werkzeug's own messages are not for the terminal the monitor draws on
            stderr=subprocess.DEVNULL,
            # Its own session: the terminal's Ctrl-C and hang-up are the monitor's to handle;
            # the child ends with the monitor (its standard input closes)
            start_new_session=True,
        )

    def endpoint(self) -> str:
        """Block until the account's server listens (soon after the start, before the account
        is created); its endpoint. Raises AccountFailed when the child could not start."""
        return self._until("endpoint")

    def wait_ready(self) -> None:
        """Block until the account is ready: every function created, every metric and the
        newest quarter hour of logs and traces written. Raises AccountFailed as `endpoint`."""
        self._until("ready")

    def _until(self, what: str) -> str:
        with self._lock:
            child = self._child
            while what not in self._said:
                if child is None or child.stdout is None:
                    raise AccountFailed("the simulated account was not started")
                line = child.stdout.readline()
                if not line:
                    code = child.wait()
                    raise AccountFailed(f"the simulated account stopped (exit status {code})")
                with contextlib.suppress(ValueError):
                    said = json.loads(line)
                    if isinstance(said, dict):
                        self._said.update({str(key): str(value) for key, value in said.items()})
                if "error" in self._said:
                    raise AccountFailed(self._said["error"])
            return self._said[what]

    def stop(self) -> None:
        """End the child and reap it; idempotent."""
        child, self._child = self._child, None
        if child is None:
            return
        with contextlib.suppress(OSError):
            child.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            child.wait(timeout=5)
        for stream in (child.stdin, child.stdout):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()


def _say(out: IO[str], **said: object) -> None:
    out.write(json.dumps(said) + "\n")
    out.flush()


def main(argv: list[str] | None = None) -> int:
    """The child: start the account, say its endpoint once ready, live until stdin closes."""
    parser = argparse.ArgumentParser(prog=f"python -m {__name__}")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--speed", type=float, default=1.0)
    parser.add_argument("--scenario", action="append")
    args = parser.parse_args(argv)
    out = sys.stdout

    def parent_gone() -> None:
        sys.stdin.buffer.read()
        os._exit(0)  # nothing to save: the account lives only as long as the monitor reads it

    threading.Thread(target=parent_gone, name="lambdatop-demo-parent", daemon=True).start()
    from lambdatop.demo.simulated_account import SimulatedAccount

    account = SimulatedAccount()
    try:
        # The history lives as long as the process: out of the collector's reach once written
        account.start(
            port=args.port,
            speed=args.speed,
            scenarios=args.scenario,
            freeze_history=True,
            listening=lambda endpoint: _say(out, endpoint=endpoint),
        )
    except ValueError as error:
        _say(out, error=str(error))
        return 2
    except OSError as error:
        _say(out, error=f"cannot start the simulated account: {error.strerror or error}")
        return 2
    account.wait_until_recent(timeout=None)
    # What the monitor reads first is written: millions of objects that live as long as the
    # process, out of the collector's reach before the monitor's first reads (full collections
    # walking them made its first figures seconds later); the older minutes are frozen in turn
    gc.freeze()
    _say(out, ready=True)
    threading.Event().wait()  # until the parent goes (parent_gone ends the process)
    return 0


if __name__ == "__main__":
    sys.exit(main())
