"""`lambdatop --demo` is never a silent wait: before the monitor's first frame a line counts the
log events of the newest quarter hour as they are written, and the frame comes once they all
are (the older minutes are written behind it); `q` then stops everything."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import time
from pathlib import Path

from ptyterm import drain, plain, read_until, spawn, wait

DEADLINE_S = 120.0
ALTERNATE_SCREEN = b"\x1b[?1049h"
COUNT = re.compile(r"writing its last 15 minutes: ([\d,]+) / ([\d,]+) log events")


def test_the_demo_counts_what_it_writes_then_shows_the_fleet(tmp_path: Path) -> None:
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
        drawn = read_until(fd, ALTERNATE_SCREEN, deadline)
        before_frame = plain(drawn[: drawn.index(ALTERNATE_SCREEN)])
        assert "Starting the simulated AWS account" in before_frame
        counts = COUNT.findall(before_frame)
        assert counts, "no count of the history written before the first frame"
        written, total = counts[-1]
        assert written == total, "the frame came before the newest quarter hour was written"
        assert int(total.replace(",", "")) > 0
        read_until(fd, b"sorted by trouble", deadline, seen=drawn)
        os.write(fd, b"q")
        drain(fd, deadline)
        assert wait(pid, deadline) == 0
    finally:
        with contextlib.suppress(OSError):
            os.close(fd)
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, 0)
