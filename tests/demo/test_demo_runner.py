"""`lambdatop demo`: the --list output and a full run stopped from outside."""

from __future__ import annotations

import io
import threading

import pytest

from lambdatop.demo.runner import run_demo_command
from lambdatop.demo.scenarios import SCENARIOS


def test_list_prints_one_aligned_line_per_function_and_starts_nothing() -> None:
    out = io.StringIO()
    status = run_demo_command(
        port=0, speed=1.0, scenarios=None, no_ui=True, list_only=True, out=out
    )
    assert status == 0
    lines = out.getvalue().splitlines()
    assert len(lines) == len(SCENARIOS)
    for line, scenario in zip(lines, SCENARIOS, strict=True):
        assert line.startswith(scenario.name)
        assert scenario.runtime in line
        assert scenario.incident in line
    runtime_columns = {line.index(s.runtime) for line, s in zip(lines, SCENARIOS, strict=True)}
    assert len(runtime_columns) == 1


def test_list_restricted_to_named_scenarios() -> None:
    out = io.StringIO()
    run_demo_command(0, 1.0, ["webhook-relay"], True, True, out)
    assert out.getvalue().splitlines() == [
        line for line in out.getvalue().splitlines() if line.startswith("webhook-relay")
    ]


def test_unknown_scenario_raises_value_error() -> None:
    with pytest.raises(ValueError, match="unknown scenario 'no-such-function'"):
        run_demo_command(0, 1.0, ["no-such-function"], True, True, io.StringIO())


def test_run_prints_how_to_connect_and_stops_cleanly() -> None:
    out = io.StringIO()
    stop = threading.Event()
    result: list[int] = []
    runner = threading.Thread(
        target=lambda: result.append(
            run_demo_command(0, 20.0, ["catalog-search"], True, False, out, stop=stop)
        )
    )
    runner.start()
    deadline = threading.Event()
    for _ in range(600):  # up to 30 s, polling the output for the connection help
        if "Press Ctrl-C to stop." in out.getvalue():
            break
        deadline.wait(0.05)
    text = out.getvalue()
    stop.set()
    runner.join(timeout=30)
    assert not runner.is_alive()
    assert result == [0]
    assert "http://127.0.0.1:" in text
    for expected in (
        "--endpoint-url http://127.0.0.1:",
        "--region us-east-1",
        "AWS_ENDPOINT_URL=http://127.0.0.1:",
        "AWS_REGION=us-east-1",
        "AWS_ACCESS_KEY_ID=testing",
        "AWS_SECRET_ACCESS_KEY=testing",
        "lambdatop diagnose catalog-search",  # the only (healthy) one selected
        "lambdatop tail catalog-search --follow",
    ):
        assert expected in text
