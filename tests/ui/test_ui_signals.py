"""The monitor in a real terminal (a pseudo-terminal): it draws, and it exits cleanly on SIGTERM
and when its terminal goes away (SIGHUP), restoring the terminal and leaving no process behind.
The endpoint is a closed port, so the monitor runs with its 'unreachable' banner up."""

from __future__ import annotations

import contextlib
import os
import pty
import signal
import socket
import threading
import time
from pathlib import Path

import pytest
from ptyterm import drain, read_until, spawn, wait

DEADLINE_S = 30.0


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _spawn(tmp: Path) -> tuple[int, int]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "LAMBDATOP_"))}
    env.update(
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_CONFIG_FILE=str(tmp / "none"),
        AWS_SHARED_CREDENTIALS_FILE=str(tmp / "none"),
        AWS_MAX_ATTEMPTS="1",
        XDG_CONFIG_HOME=str(tmp),
        TERM="xterm-256color",
        COLUMNS="100",
        LINES="30",
    )
    endpoint = f"http://127.0.0.1:{_closed_port()}"
    return spawn(["--endpoint-url", endpoint, "--region", "us-east-1"], env)


@pytest.mark.parametrize("how", ["sigterm", "hangup"])
def test_the_monitor_exits_cleanly_when_told_or_when_its_terminal_goes(
    tmp_path: Path, how: str
) -> None:
    pid, fd = _spawn(tmp_path)
    deadline = time.monotonic() + DEADLINE_S
    try:
        drawn = read_until(fd, b"lambdatop", deadline)
        assert b"\x1b[?1049h" in drawn, "the monitor draws on the alternate screen"
        if how == "sigterm":
            os.kill(pid, signal.SIGTERM)
            rest = drain(fd, deadline)
            assert b"\x1b[?1049l" in rest, "the terminal is restored (alternate screen left)"
            assert b"Traceback" not in rest
        else:
            os.close(fd)  # the terminal goes away: the kernel sends SIGHUP
            fd = -1
        code = wait(pid, deadline)
        assert code == 0, f"exit {code}"
    finally:
        if fd >= 0:
            os.close(fd)
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, 0)


def test_a_sigterm_as_the_monitor_starts_still_restores_the_terminal(tmp_path: Path) -> None:
    """The signal comes the moment the alternate screen is entered, before the app's screens
    are up (the AWS SDK still loading in its thread): it exits 0, the terminal restored, not
    killed on the alternate screen in raw mode (nor crashed by its exit beside the import)."""
    pid, fd = _spawn(tmp_path)
    deadline = time.monotonic() + DEADLINE_S
    try:
        read_until(fd, b"\x1b[?1049h", deadline)
        os.kill(pid, signal.SIGTERM)
        rest = drain(fd, deadline)
        assert b"\x1b[?1049l" in rest, "the terminal is restored (alternate screen left)"
        assert b"Traceback" not in rest
        code = wait(pid, deadline)
        assert code == 0, f"exit {code}"
    finally:
        os.close(fd)
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, 0)


def test_the_terminal_gone_no_write_waits_for_it() -> None:
    """Once the terminal is closed every write to it fails (EIO): the driver's writer thread
    drops what it is given and goes on emptying its queue. Textual's own stopped at the first
    failure; 30 writes later the next one waited forever, in the event loop's thread (a closed
    monitor left running, deaf to SIGTERM)."""
    from textual.drivers._writer_thread import MAX_QUEUED_WRITES, WriterThread

    from lambdatop.ui.terminal import TerminalOutput

    ours, theirs = pty.openpty()
    os.close(ours)  # the terminal window closes
    terminal = open(theirs, "w", encoding="utf-8")  # noqa: SIM115 - its close fails too
    try:
        output = TerminalOutput(terminal)
        writer = WriterThread(output)  # as the driver runs it
        writer.start()
        wrote = threading.Thread(
            target=lambda: [writer.write("\x1b[?1049l") for _ in range(3 * MAX_QUEUED_WRITES)],
            daemon=True,
        )
        wrote.start()
        wrote.join(timeout=DEADLINE_S)
        assert not wrote.is_alive(), "a write to the closed terminal waits forever"
        writer.stop()
        assert output.gone
    finally:
        with contextlib.suppress(OSError):
            terminal.close()
