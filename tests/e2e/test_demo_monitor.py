"""`make demo` as a user meets it: `lambdatop --demo` in a real terminal paints the simulated
account's fleet, opens a failing function with its diagnosis, and quits on `q`, restoring the
terminal and stopping the simulated account with it."""

from __future__ import annotations

import contextlib
import os
import signal
import time
from pathlib import Path

from ptyterm import drain, plain, read_until, spawn, wait

import lambdatop
from lambdatop.demo.scenarios import SCENARIOS

DEADLINE_S = 120.0
PACKAGE = str(Path(lambdatop.__file__).parent)


def _our_traceback(screen: str) -> bool:
    """A traceback of lambdatop's or Textual's own (the demo's functions log tracebacks of
    their own, which the log pane rightly shows)."""
    return PACKAGE in screen or "/textual/" in screen


def test_the_demo_monitor_shows_the_fleet_opens_an_incident_and_quits(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "LAMBDATOP_"))}
    env.update(
        XDG_CONFIG_HOME=str(tmp_path),
        AWS_CONFIG_FILE=str(tmp_path / "none"),
        AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "none"),
        TERM="xterm-256color",
        COLUMNS="160",
        LINES="48",
    )
    pid, fd = spawn(["--demo"], env)
    deadline = time.monotonic() + DEADLINE_S
    try:
        drawn = read_until(fd, b"sorted by trouble", deadline)
        drawn = read_until(fd, b"payment-processor", deadline, seen=drawn)
        assert b"\x1b[?1049h" in drawn, "the monitor draws on the alternate screen"
        os.write(fd, b"/")
        read_until(fd, b"filter functions", deadline)
        os.write(fd, b"payment-processor")
        read_until(fd, f"1 of {len(SCENARIOS)} functions".encode(), deadline)
        os.write(fd, b"\r")  # enter keeps the filter and goes to the first match (as k9s)
        read_until(fd, b"o Sort", deadline)  # the fleet's keys are back in the footer
        os.write(fd, b"\r")  # and enter opens it
        opened = read_until(fd, "timeout 30 s · 512 MB · python3.11".encode(), deadline)
        # the incident it lives through is named in its diagnosis: its pool runs dry
        opened = read_until(fd, b"Connection pool exhausted", deadline, seen=opened)
        assert not _our_traceback(plain(drawn + opened))
        os.write(fd, b"q")
        rest = drain(fd, deadline)
        assert b"\x1b[?1049l" in rest, "the terminal is restored (alternate screen left)"
        assert not _our_traceback(plain(rest))
        assert wait(pid, deadline) == 0
    finally:
        with contextlib.suppress(OSError):
            os.close(fd)
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, 0)
