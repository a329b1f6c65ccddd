"""The installed `lambdatop` command, as a subprocess, when its surroundings are broken: an AWS
configuration that is wrong, streams that are closed or full, durations typed loosely, and an
endpoint that never answers. Each ends in one line on stderr and exit 2, never a crash report."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

_BIN = Path(sys.executable).parent / "lambdatop"
COMMAND = [str(_BIN)] if _BIN.exists() else [sys.executable, "-m", "lambdatop"]
# One invocation, with its START, END and REPORT lines: a report `diagnose --logs` can print.
LOGS = {
    "events": [
        {"timestamp": 1700000000000 + i, "message": message}
        for i, message in enumerate(
            [
                "START RequestId: 8f5c Version: $LATEST\n",
                "END RequestId: 8f5c\n",
                "REPORT RequestId: 8f5c\tDuration: 12.00 ms\tBilled Duration: 12 ms\t"
                "Memory Size: 128 MB\tMax Memory Used: 60 MB\t\n",
            ]
        )
    ]
}


@dataclass
class Run:
    code: int
    out: str
    err: str

    @property
    def one_line(self) -> str:
        """The single line a failure prints on stderr (asserting it is single and ours)."""
        assert "Traceback" not in self.err, self.err
        assert "please report it" not in self.err, self.err
        assert self.err.count("\n") == 1, self.err
        assert self.err.startswith("lambdatop: "), self.err
        return self.err.rstrip("\n")


def clean_env(home: Path, **extra: str) -> dict[str, str]:
    """Like `env -i`: no AWS settings, user settings or terminal leak in from the runner."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / "config"),
        "XDG_DATA_HOME": str(home / "data"),
        "XDG_CACHE_HOME": str(home / "cache"),
    }
    env.update(extra)
    return env


def popen(home: Path, *args: str, **kwargs: object) -> subprocess.Popen[bytes]:
    env = kwargs.pop("env", None) or clean_env(home)
    kwargs.setdefault("stdout", subprocess.PIPE)
    kwargs.setdefault("stderr", subprocess.PIPE)
    return subprocess.Popen([*COMMAND, *args], env=env, **kwargs)  # type: ignore[call-overload]


def finish(process: subprocess.Popen[bytes], timeout: float = 60) -> Run:
    out, err = process.communicate(timeout=timeout)
    return Run(process.returncode, (out or b"").decode(), (err or b"").decode())


def lambdatop(home: Path, *args: str, **kwargs: object) -> Run:
    return finish(popen(home, *args, **kwargs))


@pytest.fixture
def logs_file(tmp_path: Path) -> Path:
    path = tmp_path / "logs.json"
    path.write_text(json.dumps(LOGS))
    return path


# --- 1. an AWS configuration that is wrong ------------------------------------------------------
NO_PROFILE = "lambdatop: The config profile (doesnotexist) could not be found"


@pytest.mark.parametrize(
    "command",
    [
        pytest.param(["tail", "f"], id="tail"),
        pytest.param(["diagnose", "f"], id="diagnose"),
        pytest.param(["f"], id="monitor"),
        pytest.param([], id="monitor-fleet"),
    ],
)
@pytest.mark.parametrize("how", ["flag", "environment"])
def test_a_profile_that_does_not_exist_is_one_line_everywhere(
    tmp_path: Path, command: list[str], how: str
) -> None:
    if how == "flag":
        run = lambdatop(tmp_path, *command, "--profile", "doesnotexist")
    else:
        env = clean_env(tmp_path, AWS_PROFILE="doesnotexist")
        run = lambdatop(tmp_path, *command, env=env)
    assert (run.code, run.one_line, run.out) == (2, NO_PROFILE, "")


@pytest.mark.parametrize("command", [["tail", "f"], ["diagnose", "f"], ["f"]])
def test_a_config_file_that_does_not_parse_is_one_line(tmp_path: Path, command: list[str]) -> None:
    config = tmp_path / "aws-config"
    config.write_text("[default\nregion = eu-west-1\n")
    run = lambdatop(tmp_path, *command, env=clean_env(tmp_path, AWS_CONFIG_FILE=str(config)))
    assert (run.code, run.one_line) == (2, f"lambdatop: Unable to parse config file: {config}")


@pytest.mark.parametrize("command", [["tail", "f"], ["diagnose", "f"]])
def test_half_a_key_pair_says_which_half_is_missing(tmp_path: Path, command: list[str]) -> None:
    env = clean_env(tmp_path, AWS_ACCESS_KEY_ID="AKIAEXAMPLE", AWS_REGION="eu-west-1")
    run = lambdatop(tmp_path, *command, env=env)
    assert run.code == 2
    assert run.one_line.endswith("missing: AWS_SECRET_ACCESS_KEY"), run.err


def test_max_attempts_that_is_not_a_number_is_one_line(tmp_path: Path) -> None:
    run = lambdatop(tmp_path, "tail", "f", env=clean_env(tmp_path, AWS_MAX_ATTEMPTS="lots"))
    assert run.code == 2
    assert "max_attempts" in run.one_line


def test_an_sso_profile_never_logged_in_is_one_line_without_the_sdk_traceback(
    tmp_path: Path,
) -> None:
    config = tmp_path / "aws-config"
    config.write_text(
        "[profile sso]\nsso_start_url = https://example.awsapps.com/start\n"
        "sso_region = eu-west-1\nsso_account_id = 123456789012\nsso_role_name = ReadOnly\n"
        "region = eu-west-1\n"
    )
    env = clean_env(tmp_path, AWS_CONFIG_FILE=str(config), AWS_PROFILE="sso")
    # The endpoint is never reached: the credentials fail first.
    run = lambdatop(tmp_path, "tail", "f", "--endpoint-url", "http://127.0.0.1:9", env=env)
    assert run.code == 2
    assert "aws sso login" in run.one_line


# --- 2. standard streams that are closed or full ------------------------------------------------
def test_closed_stdout_is_one_line(tmp_path: Path, logs_file: Path) -> None:
    run = lambdatop(
        tmp_path,
        "diagnose",
        "--logs",
        str(logs_file),
        pass_fds=(),
        stdout=None,
        preexec_fn=lambda: os.close(1),
    )
    assert (run.code, run.one_line) == (
        2,
        "lambdatop: cannot write the output: standard output is closed",
    )


def test_closed_stdin_is_one_line(tmp_path: Path) -> None:
    run = lambdatop(tmp_path, "diagnose", "--logs", "-", preexec_fn=lambda: os.close(0))
    assert (run.code, run.one_line, run.out) == (
        2,
        "lambdatop: cannot read standard input: it is closed",
        "",
    )


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
@pytest.mark.parametrize(
    "command",
    [
        ["diagnose", "--logs", "LOGS"],
        ["diagnose", "--logs", "LOGS", "--format", "json"],
        ["demo", "--list"],
    ],
)
def test_a_full_disk_is_one_line(tmp_path: Path, logs_file: Path, command: list[str]) -> None:
    args = [str(logs_file) if arg == "LOGS" else arg for arg in command]
    with open("/dev/full", "wb") as full:
        run = lambdatop(tmp_path, *args, stdout=full)
    assert (run.code, run.one_line) == (
        2,
        "lambdatop: cannot write the output: No space left on device",
    )


@pytest.fixture
def pipe_without_reader() -> Iterator[int]:
    """The write end of a pipe whose reader already left, as `| head -1` leaves it."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    yield write_end
    os.close(write_end)


@pytest.mark.parametrize("command", [["diagnose", "--logs", "LOGS"], ["demo", "--list"]])
def test_a_reader_that_left_ends_the_command_quietly(
    tmp_path: Path, logs_file: Path, pipe_without_reader: int, command: list[str]
) -> None:
    args = [str(logs_file) if arg == "LOGS" else arg for arg in command]
    run = lambdatop(tmp_path, *args, stdout=pipe_without_reader)
    assert (run.code, run.err) == (0, "")


# --- 3. durations -------------------------------------------------------------------------------
@pytest.mark.parametrize("since", ["1h30m", "2d12h", "90s", "1.5h", "1h 30m"])
def test_since_takes_compound_durations(tmp_path: Path, logs_file: Path, since: str) -> None:
    run = lambdatop(tmp_path, "diagnose", "--logs", str(logs_file), "--since", since)
    assert run.code == 0, run.err
    assert "Traceback" not in run.err


@pytest.mark.parametrize("command", [["diagnose", "--logs", "LOGS"], ["tail", "f"]])
def test_a_bare_number_for_since_asks_for_a_unit(
    tmp_path: Path, logs_file: Path, command: list[str]
) -> None:
    args = [str(logs_file) if arg == "LOGS" else arg for arg in command]
    run = lambdatop(tmp_path, *args, "--since", "5")
    assert (run.code, run.one_line) == (
        2,
        "lambdatop: --since: 5 has no unit: give one, e.g. 5m or 5h",
    )


def test_a_bare_number_for_the_configured_window_asks_for_a_unit(tmp_path: Path) -> None:
    settings = tmp_path / "config" / "lambdatop" / "config.toml"
    settings.parent.mkdir(parents=True)
    settings.write_text('window = "60"\n')
    run = lambdatop(tmp_path, "--demo")
    assert run.code == 2
    assert "60 has no unit" in run.one_line


# --- 4. an endpoint that accepts and never answers ----------------------------------------------
@pytest.fixture
def silent_endpoint() -> Iterator[str]:
    """An endpoint on 127.0.0.1 that completes the TCP handshake and never says a word: the
    kernel accepts connections into the backlog; nobody ever reads them."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"


def test_a_silent_endpoint_fails_diagnose_and_tail_within_their_budget(
    tmp_path: Path, silent_endpoint: str
) -> None:
    """Both commands run at once: each gives up after its two 10 s reads (the budget is pinned
    in tests/aws/test_aws_session.py); the bound only catches the old minute."""
    env = clean_env(
        tmp_path,
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_REGION="eu-west-1",
        AWS_ENDPOINT_URL=silent_endpoint,
    )
    started = time.monotonic()
    processes = [
        popen(tmp_path, *command, env=env) for command in (["diagnose", "f"], ["tail", "f"])
    ]
    runs = [finish(process, timeout=50) for process in processes]
    elapsed = time.monotonic() - started
    for run in runs:
        said = (
            f"lambdatop: the AWS endpoint {silent_endpoint} did not answer in time (read timeout)"
        )
        # First, while it waited, what it waited on (tests/faults/test_faults_waiting.py).
        waited, _, final = run.err.partition("\n")
        waiting = r"lambdatop: waiting \d+ s on lambda \(GetFunctionConfiguration\): no answer yet"
        assert re.fullmatch(waiting, waited), run.err
        assert (run.code, final, run.out) == (2, said + "\n", "")
    assert elapsed < 40, f"{elapsed:.0f} s: a dead endpoint should not cost a minute"


@pytest.mark.parametrize(
    "command",
    [
        pytest.param(["demo", "--no-ui"], id="served-alone"),
        pytest.param(["demo"], id="with-the-monitor"),
    ],
)
def test_a_demo_port_in_use_is_one_line(tmp_path: Path, command: list[str]) -> None:
    """Before, the emulator's thread failed to bind and the command waited for it for ever
    (and the monitor's way in stopped on options `demo` does not have)."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        run = lambdatop(tmp_path, *command, "--port", str(port))
    assert run.code == 2
    assert run.one_line == f"lambdatop: cannot start the simulated account: port {port} is in use"


@pytest.mark.parametrize("command", [["diagnose", "f"], ["tail", "f"], ["f"]])
def test_no_region_anywhere_is_one_line_as_the_aws_cli_says_it(
    tmp_path: Path, command: list[str]
) -> None:
    """Another region's account read without a word would mislead at 3 a.m."""
    env = clean_env(tmp_path, AWS_ACCESS_KEY_ID="x", AWS_SECRET_ACCESS_KEY="y")
    run = lambdatop(tmp_path, *command, env=env, stdin=subprocess.DEVNULL)
    assert run.code == 2
    assert run.one_line == "lambdatop: no AWS region: pass --region or set AWS_REGION"


def test_a_window_longer_than_cloudwatch_keeps_is_refused(tmp_path: Path) -> None:
    env = clean_env(tmp_path, AWS_REGION="eu-west-1")
    run = lambdatop(tmp_path, "diagnose", "f", "--since", "5000000000000000000d", env=env)
    assert run.code == 2
    assert (
        run.one_line
        == "lambdatop: --since: at most 455d from AWS (what CloudWatch keeps of metrics)"
    )
