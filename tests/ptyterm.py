"""lambdatop in a real terminal (a pseudo-terminal), for the tests that run it as a user does:
spawn it, read what it draws, press keys, and wait for it to go."""

from __future__ import annotations

import os
import pty
import re
import select
import signal
import sys
import time
from collections.abc import Mapping

_ESCAPES = re.compile(
    rb"\x1b(\[[0-9;?<=>]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)|[()][0-9A-B]|[=>78MDEc])"
)


def spawn(args: list[str], env: Mapping[str, str]) -> tuple[int, int]:
    """`python -m lambdatop ARGS` on a new pseudo-terminal: its pid and the terminal's fd."""
    pid, fd = pty.fork()
    if pid == 0:  # the child: become lambdatop
        os.execve(sys.executable, [sys.executable, "-m", "lambdatop", *args], dict(env))
    return pid, fd


def plain(drawn: bytes) -> str:
    """What a person sees of the bytes drawn: escape sequences removed."""
    return _ESCAPES.sub(b"", drawn).decode("utf-8", "replace")


def read_until(fd: int, wanted: bytes, deadline: float, *, seen: bytes = b"") -> bytes:
    """Everything drawn until `wanted` appears (in the raw bytes, or in the plain text)."""
    while time.monotonic() < deadline:
        if wanted in seen or wanted.decode() in plain(seen):
            return seen
        ready, _, _ = select.select([fd], [], [], 0.5)
        if not ready:
            continue
        try:
            chunk = os.read(fd, 65536)
        except OSError:
            break
        if not chunk:
            break
        seen += chunk
    if wanted in seen or wanted.decode() in plain(seen):
        return seen
    raise AssertionError(f"{wanted!r} never appeared; last output {plain(seen)[-800:]!r}")


def drain(fd: int, deadline: float) -> bytes:
    """Everything the child writes until its side of the terminal closes."""
    seen = b""
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.5)
        if not ready:
            continue
        try:
            chunk = os.read(fd, 65536)
        except OSError:  # the child exited: its side of the pty is gone
            break
        if not chunk:
            break
        seen += chunk
    return seen


def wait(pid: int, deadline: float) -> int:
    """The child's exit code; SIGKILL and a failure if it is still running at the deadline."""
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status)
        time.sleep(0.05)
    os.kill(pid, signal.SIGKILL)
    raise AssertionError("lambdatop did not exit")
