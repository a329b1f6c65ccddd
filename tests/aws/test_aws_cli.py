"""End to end: the `lambdatop` command itself, as a subprocess, against a seeded moto.

`lambdatop diagnose FUNCTION` must decide the checks that need metrics or configuration
(throttling, event sources, API Gateway, timeout and memory limits, reserved concurrency);
trouble reaching AWS is exit 2 and one line; `lambdatop tail` prints what `diagnose --logs`
reads, and ends `--follow` cleanly on Ctrl-C.
"""

from __future__ import annotations

import json
import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from typing import Any

import awsseed
import pytest
from awsmoto import MotoAccount

LAMBDATOP = [sys.executable, "-m", "lambdatop"]


def run(
    args: list[str], env: dict[str, str], stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        LAMBDATOP + args, env=env, input=stdin, capture_output=True, text=True, timeout=60
    )


def one_clear_line(result: subprocess.CompletedProcess[str]) -> str:
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("lambdatop: ")
    # An error no command handled has the same prefix: not a clear line.
    assert "please report it" not in lines[0], lines[0]
    return lines[0]


def checks(result: subprocess.CompletedProcess[str]) -> dict[str, dict[str, Any]]:
    assert "Traceback" not in result.stderr, result.stderr
    report = json.loads(result.stdout)
    return {check["id"]: check for check in report["checks"]}


def diagnose(moto: MotoAccount, function: str) -> subprocess.CompletedProcess[str]:
    return run(
        ["diagnose", function, "--endpoint-url", moto.url, "--format", "json"], env=moto.env()
    )


def minutes(count: int, value: float) -> list[float]:
    return [value] * count


def test_diagnose_decides_throttling_reserved_concurrency_and_the_stream_source(
    moto: MotoAccount,
) -> None:
    awsseed.function(moto, "orders-consumer", memory_mb=512, timeout_s=60)
    awsseed.reserve(moto, "orders-consumer", 5)
    awsseed.kinesis_mapping(moto, "orders-consumer", stream="orders")
    for name, value in (
        ("Invocations", 100.0),
        ("Errors", 0.0),
        ("Throttles", 40.0),
        ("ConcurrentExecutions", 5.0),
        ("Duration", 800.0),
        ("IteratorAge", 1_200_000.0),  # 20 minutes behind
    ):
        awsseed.lambda_metric(moto, "orders-consumer", name, minutes(10, value))
    awsseed.invocations(
        moto, "orders-consumer", 20, durations_ms=(600, 900), memory_mb=512, used_mb=(200, 260)
    )
    result = diagnose(moto, "orders-consumer")
    assert result.returncode == 1, result.stderr
    found = checks(result)

    throttling = found["throttling"]
    assert throttling["status"] == "fail"
    assert re.search(r"\b400 requests throttled at reserved concurrency 5\b", throttling["title"])
    assert any("5 of 5 reserved" in line for line in throttling["evidence"])
    assert any("put-function-concurrency" in step for step in throttling["next_steps"])

    source = found["event_source"]
    assert source["status"] == "fail"
    assert re.match(r"Stream consumer 20 min(utes)? behind", source["title"])
    assert any(line.startswith("kinesis orders: Enabled") for line in source["evidence"])

    report = json.loads(result.stdout)
    assert report["summary"]["throttles"] == 400
    assert report["summary"]["memory_size_mb"] == 512
    assert report["summary"]["timeout_s"] == 60


def test_diagnose_decides_api_gateway_and_the_limits_from_configuration(
    moto: MotoAccount,
) -> None:
    arn = awsseed.function(moto, "checkout-api", memory_mb=3008, timeout_s=10)["FunctionArn"]
    awsseed.rest_api(moto, arn, name="shop-rest")
    http_id = awsseed.http_api(moto, arn, name="shop-http")
    for name, value in (("Count", 100.0), ("5XXError", 20.0), ("IntegrationLatency", 9_500.0)):
        awsseed.metric(moto, "AWS/ApiGateway", name, {"ApiName": "shop-rest"}, minutes(10, value))
    for name, value in (("Count", 50.0), ("5xx", 0.0)):
        awsseed.metric(moto, "AWS/ApiGateway", name, {"ApiId": http_id}, minutes(10, value))
    for name, value in (("Invocations", 3.0), ("Errors", 0.0), ("Throttles", 0.0)):
        awsseed.lambda_metric(moto, "checkout-api", name, minutes(10, value))
    # Close to the 10 s timeout; a tenth of 3008 MB used at most.
    awsseed.invocations(
        moto,
        "checkout-api",
        30,
        durations_ms=(8_600, 9_600),
        memory_mb=3008,
        used_mb=(100, 140),
        since_s=900,
    )
    result = diagnose(moto, "checkout-api")
    assert result.returncode == 1, result.stderr
    found = checks(result)

    api = found["api_gateway"]
    assert api["status"] == "fail"
    assert re.search(r"shop-rest answers 20(\.0)? % of requests with a 5XX", api["title"])
    assert any(line.startswith("REST API shop-rest") for line in api["evidence"])
    assert any(line.startswith("HTTP API shop-http") for line in api["evidence"])

    timeout = found["timeout"]
    assert timeout["status"] == "warn"
    assert re.search(r"p99 duration 9\.\d s of 10 s timeout", timeout["title"])

    # Ten times the memory it uses, but that memory buys the CPU a function this close to its
    # timeout needs: no advice to cut it next to the timeout's "more memory, more CPU".
    memory = found["memory"]
    assert memory["status"] == "ok"
    assert re.fullmatch(r"Max memory used 1[0-4]\d / 3008 MB", memory["title"])
    assert any("memory also sets the CPU share and p99 duration" in e for e in memory["evidence"])
    assert not any("--memory-size" in step for step in memory["next_steps"])

    summary = json.loads(result.stdout)["summary"]
    assert (summary["timeout_s"], summary["memory_size_mb"]) == (10, 3008)
    assert summary["invocations"] == 30


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_diagnose_endpoint_unreachable_is_exit_2_and_one_line(moto: MotoAccount) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    result = run(["diagnose", "checkout", "--endpoint-url", url], env=moto.env())
    assert result.returncode == 2
    assert one_clear_line(result) == f"lambdatop: cannot reach the AWS endpoint {url}"
    assert result.stdout == ""


def test_diagnose_without_credentials_is_exit_2_and_one_line(
    moto: MotoAccount, tmp_path: Any
) -> None:
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "AWS_CONFIG_FILE": "/nonexistent/config",
        "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent/credentials",
    }
    result = run(
        ["diagnose", "checkout", "--region", "eu-west-1", "--endpoint-url", moto.url], env=env
    )
    assert result.returncode == 2
    assert one_clear_line(result).startswith("lambdatop: no AWS credentials found")


def test_diagnose_unknown_function_is_exit_2_and_one_line(moto: MotoAccount) -> None:
    result = diagnose(moto, "no-such-function")
    assert result.returncode == 2
    assert one_clear_line(result) == "lambdatop: function 'no-such-function' not found in us-east-1"


def test_tail_jsonl_feeds_diagnose_logs(moto: MotoAccount) -> None:
    awsseed.function(moto, "checkout", memory_mb=512, timeout_s=30)
    written = awsseed.invocations(
        moto, "checkout", 25, durations_ms=(40, 90), memory_mb=512, used_mb=(90, 120), since_s=600
    )
    tail = run(
        ["tail", "checkout", "--since", "15m", "--format", "jsonl", "--endpoint-url", moto.url],
        env=moto.env(),
    )
    assert tail.returncode == 0, tail.stderr
    assert tail.stderr == ""
    events = [json.loads(line) for line in tail.stdout.splitlines()]
    assert len(events) == written
    assert len({e["eventId"] for e in events}) == written
    for event in events:
        assert set(event) == {"eventId", "logStreamName", "timestamp", "message"}
        assert isinstance(event["timestamp"], int)
    assert [e["timestamp"] for e in events] == sorted(e["timestamp"] for e in events)
    report = run(
        ["diagnose", "checkout", "--logs", "-", "--format", "json"],
        env=moto.env(),
        stdin=tail.stdout,
    )
    assert report.returncode in (0, 1), report.stderr
    assert json.loads(report.stdout)["summary"]["invocations"] == 25


def test_tail_follow_shows_new_lines_and_ends_cleanly_on_ctrl_c(moto: MotoAccount) -> None:
    awsseed.function(moto, "checkout")
    stream = "2026/01/01/[$LATEST]0123456789abcdef0123456789abcdef"
    now_ms = int(time.time() * 1000)
    awsseed.log_events(moto, "/aws/lambda/checkout", stream, [(now_ms - 2_000, "first line")])
    process = subprocess.Popen(
        [
            *LAMBDATOP,
            "tail",
            "checkout",
            "--follow",
            "--format",
            "jsonl",
            "--endpoint-url",
            moto.url,
        ],
        env=moto.env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines: queue.Queue[str] = queue.Queue()
    assert process.stdout is not None
    reader = threading.Thread(
        target=lambda: [lines.put(line) for line in process.stdout or ()], daemon=True
    )
    reader.start()
    try:
        assert json.loads(lines.get(timeout=30))["message"] == "first line"
        awsseed.log_events(
            moto, "/aws/lambda/checkout", stream, [(int(time.time() * 1000), "second line")]
        )
        assert json.loads(lines.get(timeout=30))["message"] == "second line"
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=30) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    stderr = process.stderr.read() if process.stderr else ""
    assert stderr == "", stderr
    assert lines.empty()


@pytest.mark.parametrize("form", ["text", "jsonl"])
def test_tail_of_a_function_that_never_logged_says_so(moto: MotoAccount, form: str) -> None:
    awsseed.function(moto, "silent")
    result = run(["tail", "silent", "--format", form, "--endpoint-url", moto.url], env=moto.env())
    assert result.returncode == 0
    assert result.stdout == ""
    assert one_clear_line(result) == (
        "lambdatop: log group /aws/lambda/silent does not exist yet: CloudWatch creates it when"
        " the function is first invoked (never invoked, or its role may not create log groups)"
    )


def test_tail_into_a_reader_that_left_ends_quietly(moto: MotoAccount) -> None:
    """`lambdatop tail f | head -1`: once the reader has gone, tail stops, says nothing, exit 0."""
    awsseed.function(moto, "checkout", memory_mb=512, timeout_s=30)
    awsseed.invocations(
        moto, "checkout", 25, durations_ms=(40, 90), memory_mb=512, used_mb=(90, 120), since_s=600
    )
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        result = subprocess.run(
            [*LAMBDATOP, "tail", "checkout", "--since", "15m", "--endpoint-url", moto.url],
            env=moto.env(),
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            timeout=60,
            check=False,
        )
    finally:
        os.close(write_end)
    assert (result.returncode, result.stderr) == (0, "")


@pytest.mark.parametrize("form", ["text", "jsonl"])
def test_tail_redact_masks_the_account_and_addresses(moto: MotoAccount, form: str) -> None:
    awsseed.function(moto, "checkout")
    now = int(awsseed.time.time() * 1000)
    line = (
        "[ERROR] not authorized: arn:aws:sts::123456789012:assumed-role/checkout-role/checkout "
        "from 10.0.3.17 calling db.prod.corp.example.com"
    )
    awsseed.log_events(
        moto, "/aws/lambda/checkout", "2026/01/01/[$LATEST]abc", [(now - 5000, line)]
    )
    command = ["tail", "checkout", "--format", form, "--endpoint-url", moto.url]
    plain = run(command, env=moto.env())
    assert "123456789012" in plain.stdout, "the line is printed (else this proves nothing)"
    masked = run([*command, "--redact"], env=moto.env())
    assert masked.returncode == 0, masked.stderr
    for secret in ("123456789012", "10.0.3.17", "corp.example"):
        assert secret not in masked.stdout + masked.stderr
    assert "arn:aws:sts::************:assumed-role/checkout-role/checkout" in masked.stdout
    if form == "jsonl":
        assert json.loads(masked.stdout)["message"].startswith("[ERROR] not authorized")
