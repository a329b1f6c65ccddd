"""The real `lambdatop` command in a pseudo-terminal, against the simulated account run as its own
process (`lambdatop demo --no-ui`), for the figures a person sees: how soon the first frame, the
fleet's names, an opened function's log lines and its diagnosis reach the terminal.

A figure is the time from starting the command (Python's start-up and imports included) to the
first output that holds what is looked for; escape sequences are stripped before looking.
"""

from __future__ import annotations

import fcntl
import os
import pty
import re
import select
import signal
import struct
import subprocess
import sys
import termios
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

COLUMNS, ROWS = 160, 45
LAMBDATOP = [sys.executable, "-m", "lambdatop"]
ESCAPES = re.compile(
    r"\x1b\[[0-9;?<>=$ ]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[()][A-Z0-9]|\x1b[=>78]"
)
LISTENING = re.compile(r"listening on (http://127\.0\.0\.1:\d+) \(region ([a-z0-9-]+)\)")
READY_TIMEOUT_S = 240.0


def installed_env() -> dict[str, str]:
    """The environment of an installed lambdatop: bytecode compiled and kept (pip compiles it
    at install time), whatever the bench's own shell says."""
    env = {
        key: value
        for key, value in os.environ.items()
        # LAMBDATOP_* would count as settings (the bench's own, too), and load the settings
        if not key.startswith("LAMBDATOP_") and key != "PYTHONDONTWRITEBYTECODE"
    }
    return env


def compile_bytecode() -> None:
    """What `pip install` does: the package's bytecode on disk before anything is timed."""
    root = Path(__file__).resolve().parent.parent / "lambdatop"
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", str(root)],
        check=True,
        env=installed_env(),
        stdout=subprocess.DEVNULL,
    )


@dataclass
class Account:
    endpoint_url: str
    region: str
    functions: list[str]

    def env(self) -> dict[str, str]:
        env = installed_env()
        env.update(
            AWS_ACCESS_KEY_ID="testing",
            AWS_SECRET_ACCESS_KEY="testing",
            AWS_REGION=self.region,
            TERM="xterm-256color",
            COLUMNS=str(COLUMNS),
            LINES=str(ROWS),
        )
        for key in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "NO_COLOR"):
            env.pop(key, None)
        return env


@contextmanager
def simulated_account(speed: float = 1.0) -> Iterator[Account]:
    """`lambdatop demo --no-ui` in a process of its own (as a real account is elsewhere), once
    its history is written; or the one already running at LAMBDATOP_BENCH_ACCOUNT (its URL)."""
    running = os.environ.get("LAMBDATOP_BENCH_ACCOUNT")
    if running:
        listed = subprocess.run(
            [*LAMBDATOP, "demo", "--list"], capture_output=True, text=True, check=True
        )
        names = [line.split()[0] for line in listed.stdout.splitlines() if line.strip()]
        yield Account(running, "us-east-1", names)
        return
    process = subprocess.Popen(
        [*LAMBDATOP, "demo", "--no-ui", "--speed", f"{speed:g}"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=installed_env(),
    )
    try:
        assert process.stdout is not None
        deadline = time.monotonic() + READY_TIMEOUT_S
        endpoint = region = None
        functions: list[str] = []
        for line in process.stdout:
            found = LISTENING.search(line)
            if found:
                endpoint, region = found.group(1), found.group(2)
            if line.startswith("Functions: "):
                functions = line.removeprefix("Functions: ").strip().split(", ")
                break
            if time.monotonic() > deadline:
                break
        if endpoint is None or region is None or not functions:
            raise RuntimeError("the simulated account did not start")
        yield Account(endpoint, region, functions)
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


OVERLAP = 400
"""Characters of the previous output searched again: a word can be cut between two reads."""


class Marker:
    """Something looked for in the terminal's text, fed as it arrives."""

    def seen(self, recent: str) -> bool:
        """Whether it is now on screen; `recent` is the new text after the last OVERLAP
        characters that came before it."""
        raise NotImplementedError


class Painted(Marker):
    """The first frame: text on screen (a frame of the app, not only set-up sequences)."""

    def seen(self, recent: str) -> bool:
        return any(not character.isspace() for character in recent)


class AllOf(Marker):
    """Every one of these words has been on screen."""

    def __init__(self, words: list[str]) -> None:
        self.missing = set(words)

    def seen(self, recent: str) -> bool:
        self.missing = {word for word in self.missing if word not in recent}
        return not self.missing


class Pattern(Marker):
    def __init__(self, pattern: str) -> None:
        self.pattern = re.compile(pattern)

    def seen(self, recent: str) -> bool:
        return self.pattern.search(recent) is not None


def cpu_s(pid: int) -> float:
    """The CPU time (user and system, all threads) a process and the processes it started
    (`--demo`'s simulated account) have used so far, in seconds: on a shared machine, what the
    command itself spent, whatever else was running."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    own = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return own + sum(cpu_s(child) for child in _children(pid))


def _children(pid: int) -> set[int]:
    """The processes `pid` started that are still running (Linux: /proc/PID/task/TID/children)."""
    found: set[int] = set()
    with suppress(OSError):
        for task in os.listdir(f"/proc/{pid}/task"):
            with suppress(OSError), open(f"/proc/{pid}/task/{task}/children") as children:
                found |= {int(child) for child in children.read().split()}
    return found


@dataclass
class Seen:
    wall_s: float
    """From the command's start to the marker on screen."""
    cpu_s: float
    """The command's CPU time by then."""


def time_to_markers(
    args: list[str], account: Account, markers: dict[str, Marker], timeout_s: float = 30.0
) -> dict[str, Seen]:
    """Start `lambdatop ARGS` in a pseudo-terminal and return, for each marker, when the
    terminal's text first held it (a marker never seen is absent). Quits with q."""
    args = [*args, "--endpoint-url", account.endpoint_url, "--region", account.region]
    return command_to_markers(args, account.env(), markers, timeout_s)


def command_to_markers(
    args: list[str], env: dict[str, str], markers: dict[str, Marker], timeout_s: float = 30.0
) -> dict[str, Seen]:
    """`lambdatop ARGS` in a pseudo-terminal, with this environment: when each marker was first
    on screen. Quits with q."""
    main, secondary = pty.openpty()
    fcntl.ioctl(secondary, termios.TIOCSWINSZ, struct.pack("HHHH", ROWS, COLUMNS, 0, 0))
    start = time.perf_counter()
    process = subprocess.Popen(
        [*LAMBDATOP, *args],
        stdin=secondary,
        stdout=secondary,
        stderr=secondary,
        env=env,
        start_new_session=True,
    )
    os.close(secondary)
    before = ""
    found: dict[str, Seen] = {}
    try:
        while len(found) < len(markers) and time.perf_counter() - start < timeout_s:
            ready, _, _ = select.select([main], [], [], 0.05)
            if not ready:
                continue
            try:
                data = os.read(main, 1 << 16)
            except OSError:
                break  # the command ended
            stamp = time.perf_counter() - start
            recent = before + ESCAPES.sub("", data.decode("utf-8", "replace"))
            for name, marker in markers.items():
                if name not in found and marker.seen(recent):
                    found[name] = Seen(stamp, cpu_s(process.pid))
            before = recent[-OVERLAP:]
    finally:
        _quit(process, main)
    return found


def _quit(process: subprocess.Popen[bytes], main: int) -> None:
    with suppress(OSError):  # the command ended already
        os.write(main, b"q")
    deadline = time.monotonic() + 10
    while process.poll() is None and time.monotonic() < deadline:
        ready, _, _ = select.select([main], [], [], 0.1)
        if ready:
            try:
                os.read(main, 1 << 16)  # keep the terminal drained while it shuts down
            except OSError:
                break
    if process.poll() is None:
        process.kill()
    process.wait()
    os.close(main)
