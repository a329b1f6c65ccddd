"""The whole stack, as a user runs it: `lambdatop demo --no-ui` in one process, and
`lambdatop diagnose` / `lambdatop tail` pointed at it from others.

For every function of the simulated account, the diagnosis must name the incident it is
living through (the checks the scenario expects fail or warn), and the healthy functions must
come out with no failing check.
"""

from __future__ import annotations

import json
import os
import re
import selectors
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from lambdatop.demo.scenarios import SCENARIOS

DEADLINE_S = 120.0


def _env(tmp: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "LAMBDATOP_"))}
    env.update(
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_CONFIG_FILE=str(tmp / "no-config"),
        AWS_SHARED_CREDENTIALS_FILE=str(tmp / "no-credentials"),
        XDG_CONFIG_HOME=str(tmp / "xdg"),
        NO_COLOR="1",
    )
    return env


def _lambdatop(*args: str) -> list[str]:
    return [sys.executable, "-m", "lambdatop", *args]


def _read_until(process: subprocess.Popen[str], pattern: str, deadline: float) -> str:
    """Lines of a child's stdout until one matches; fails at the deadline."""
    assert process.stdout is not None
    selector = selectors.DefaultSelector()
    selector.register(process.stdout, selectors.EVENT_READ)
    seen = []
    while time.monotonic() < deadline:
        if not selector.select(timeout=0.5):
            if process.poll() is not None:
                break
            continue
        line = process.stdout.readline()
        if not line:
            break
        seen.append(line)
        if re.search(pattern, line):
            return line
    raise AssertionError(f"no line matching {pattern!r} in {''.join(seen)[-2000:]}")


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, str]]]:
    """`lambdatop demo --no-ui` at high speed; yields its endpoint URL and an environment."""
    tmp = tmp_path_factory.mktemp("demo")
    env = _env(tmp)
    process = subprocess.Popen(
        _lambdatop("demo", "--no-ui", "--speed", "20"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        line = _read_until(
            process, r"listening on http://127\.0\.0\.1:\d+", time.monotonic() + DEADLINE_S
        )
        endpoint = re.search(r"http://127\.0\.0\.1:\d+", line)
        assert endpoint is not None
        yield endpoint.group(), env
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()


def test_every_incident_is_diagnosed(demo: tuple[str, dict[str, str]]) -> None:
    endpoint, env = demo
    running = {
        scenario.name: subprocess.Popen(
            _lambdatop(
                "diagnose",
                scenario.name,
                "--since",
                "1h",
                "--format",
                "json",
                "--endpoint-url",
                endpoint,
                "--region",
                "us-east-1",
            ),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for scenario in SCENARIOS
    }
    problems: list[str] = []
    for scenario in SCENARIOS:
        stdout, stderr = running[scenario.name].communicate(timeout=DEADLINE_S)
        code = running[scenario.name].returncode
        assert "Traceback" not in stderr, stderr
        assert code in (0, 1), f"{scenario.name}: exit {code}: {stderr}"
        report = json.loads(stdout)
        assert report["function"] == scenario.name
        statuses = {check["id"]: check["status"] for check in report["checks"]}
        # A failing check and exit code 1 go together: scripts can trust the code.
        assert (code == 1) == ("fail" in statuses.values()), scenario.name
        assert report["summary"]["invocations"] > 0, f"{scenario.name}: no invocations read"
        if scenario.checks:
            for expected in scenario.checks:
                if statuses.get(expected) not in ("fail", "warn"):
                    problems.append(
                        f"{scenario.name} ({scenario.incident}): {expected} is "
                        f"{statuses.get(expected)}"
                    )
        else:
            failing = [check for check, status in statuses.items() if status == "fail"]
            if failing:
                problems.append(f"healthy {scenario.name} fails {failing}")
    assert not problems, "\n".join(problems)


def test_tail_follows_the_demo_and_stops_on_ctrl_c(demo: tuple[str, dict[str, str]]) -> None:
    endpoint, env = demo
    process = subprocess.Popen(
        _lambdatop(
            "tail",
            "catalog-search",
            "--follow",
            "--since",
            "1m",
            "--format",
            "jsonl",
            "--endpoint-url",
            endpoint,
            "--region",
            "us-east-1",
        ),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        line = _read_until(process, r'"eventId"', time.monotonic() + 60)
        event = json.loads(line)
        assert set(event) == {"eventId", "logStreamName", "timestamp", "message"}
        assert event["logStreamName"].startswith("20")
    finally:
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=30)
    assert process.returncode == 0, stderr
    assert "Traceback" not in stderr


def test_demo_stops_on_sigint_and_frees_its_port(tmp_path: Path) -> None:
    env = _env(tmp_path)
    process = subprocess.Popen(
        _lambdatop("demo", "--no-ui", "--speed", "50", "--scenario", "catalog-search"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    line = _read_until(process, r"listening on http://127\.0\.0\.1:\d+", time.monotonic() + 90)
    match = re.search(r"127\.0\.0\.1:(\d+)", line)
    assert match is not None
    port = int(match.group(1))
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=30)
    assert process.returncode == 0, stderr
    assert "Traceback" not in stderr
    with socket.socket() as probe:
        probe.settimeout(2)
        assert probe.connect_ex(("127.0.0.1", port)) != 0, "the port still answers"
