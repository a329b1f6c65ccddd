"""`lambdatop --demo` paints its monitor at once, beside the simulated account's own process
(issue 14): until the account is ready the fleet says it is listing, never an empty account;
then every function of the account appears with its figures; `q` stops both processes."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import time
from pathlib import Path

from ptyterm import drain, plain, read_until, spawn, wait

from lambdatop.demo.scenarios import SCENARIOS

DEADLINE_S = 120.0
ALTERNATE_SCREEN = b"\x1b[?1049h"
EMPTY_FLEET = re.compile(r"lambdatop · 0 functions(?! \(listing…\))")
P99_OF_PAYMENTS = b" / 30 s"
"""A p99 over payment-processor's 30 s timeout: the fleet's metrics were read."""


def _children(pid: int) -> set[int]:
    found: set[int] = set()
    with contextlib.suppress(OSError):
        for task in os.listdir(f"/proc/{pid}/task"):
            with contextlib.suppress(OSError):
                found |= {
                    int(c) for c in Path(f"/proc/{pid}/task/{task}/children").read_text().split()
                }
    return found


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1].startswith("Z")


def test_the_demo_paints_at_once_then_shows_every_function_and_quits_with_its_account(
    tmp_path: Path,
) -> None:
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
    account: set[int] = set()
    try:
        drawn = read_until(fd, b"sorted by trouble", deadline)
        assert ALTERNATE_SCREEN in drawn
        account = _children(pid)
        assert account, "the simulated account runs in a process of its own"
        for scenario in SCENARIOS:
            drawn = read_until(fd, scenario.name.encode(), deadline, seen=drawn)
        drawn = read_until(fd, P99_OF_PAYMENTS, deadline, seen=drawn)
        assert not EMPTY_FLEET.search(plain(drawn)), "the fleet was shown empty while listing"
        os.write(fd, b"q")
        rest = drain(fd, deadline)
        assert b"Traceback" not in rest
        assert wait(pid, deadline) == 0
        left = {child for child in account if not _gone(child)}
        assert not left, f"the simulated account outlived the monitor: {left}"
    finally:
        with contextlib.suppress(OSError):
            os.close(fd)
        for process in (pid, *account):
            with contextlib.suppress(ProcessLookupError):
                os.kill(process, signal.SIGKILL)
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, 0)
