"""Closing the terminal of `lambdatop --demo --live-tail` (issue 13: it once left a process
behind, and the close took 3.4 s under load): a real pseudo-terminal, closed while the monitor
draws; lambdatop and every process it started are gone within 2 s."""

from __future__ import annotations

import contextlib
import os
import signal
import time
from pathlib import Path

from ptyterm import read_until, spawn, wait

START_DEADLINE_S = 120.0
EXIT_WITHIN_S = 2.0
"""As the monitor alone (tests/ui/test_ui_signals_hanging.py): the simulated account in the
process ends with it. Measured on 2 cores at a load of 12 to 14: 0.4 to 0.6 s; before, 0.8 to
3.3 s, waiting on the generator's write to moto in progress, the moto server's stop (polled
every 0.5 s) and the interpreter's last collection walking the session."""


def _descendants(pid: int) -> set[int]:
    """Every process below `pid` now (Linux: /proc/PID/task/TID/children)."""
    found: set[int] = set()
    pending = [pid]
    while pending:
        parent = pending.pop()
        with contextlib.suppress(OSError):
            for task in os.listdir(f"/proc/{parent}/task"):
                with contextlib.suppress(OSError):
                    children = Path(f"/proc/{parent}/task/{task}/children").read_text().split()
                    for child in map(int, children):
                        if child not in found:
                            found.add(child)
                            pending.append(child)
    return found


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1].startswith("Z")


def test_closing_the_terminal_of_the_live_tail_demo_leaves_no_process(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "LAMBDATOP_"))}
    env.update(
        XDG_CONFIG_HOME=str(tmp_path),
        AWS_CONFIG_FILE=str(tmp_path / "none"),
        AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "none"),
        TERM="xterm-256color",
        COLUMNS="120",
        LINES="40",
    )
    pid, fd = spawn(["--demo", "--live-tail"], env)
    started: set[int] = set()
    try:
        read_until(fd, b"sorted by trouble", time.monotonic() + START_DEADLINE_S)
        started = _descendants(pid)
        os.close(fd)  # the terminal goes: the kernel sends SIGHUP (and SIGCONT)
        fd = -1
        assert wait(pid, time.monotonic() + EXIT_WITHIN_S) == 0
        left = {child for child in started if not _gone(child)}
        assert not left, f"processes left behind: {left}"
    finally:
        if fd >= 0:
            os.close(fd)
        for process in (pid, *started):
            with contextlib.suppress(ProcessLookupError):
                os.kill(process, signal.SIGKILL)
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, 0)
