"""`lambdatop diagnose --logs FILE`, the installed command, run as a subprocess: every input
format, every output format, every exit code, and input written to hurt."""

from __future__ import annotations

import csv
import gzip
import io
import json
import os
import pty
import re
import shlex
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

import pytest
from expect import json_schema
from lambdalogs import FUNCTION, Logs, node, py, py_unhandled

from lambdatop.commands.tail import format_line

ESC = "\x1b"
# Control characters a report may never hold (newline is how it ends its lines).
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_BIN = Path(sys.executable).parent / "lambdatop"
COMMAND = [str(_BIN)] if _BIN.exists() else [sys.executable, "-m", "lambdatop"]


@dataclass
class Run:
    code: int
    out: str
    err: str

    @property
    def json(self) -> dict[str, object]:
        data = json.loads(self.out)
        json_schema(data)
        return data  # type: ignore[no-any-return]


def environment(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LAMBDATOP_", "NO_COLOR"))}
    env.pop("TERM", None)
    env["XDG_CONFIG_HOME"] = str(tmp_path / "config")  # no user settings leak in
    env.update(extra)
    return env


def lambdatop(tmp_path: Path, *args: str, stdin: bytes | None = None, **env: str) -> Run:
    done = subprocess.run(
        [*COMMAND, *args],
        input=stdin,
        capture_output=True,
        env=environment(tmp_path, **env),
        timeout=60,
        check=False,
    )
    out = done.stdout.decode("utf-8")  # a report is always valid UTF-8
    err = done.stderr.decode("utf-8")
    assert "Traceback" not in err, err
    if done.returncode == 2:
        assert err.count("\n") == 1, err
        assert err.startswith("lambdatop"), err  # ours, or argparse's `lambdatop diagnose:`
        # An error no command handled exits 2 too, with the same prefix: not a refusal.
        assert "please report it" not in err, err
        assert out == ""
    return Run(done.returncode, out, err)


def status_of(run: Run, check_id: str) -> str:
    checks = run.json["checks"]
    assert isinstance(checks, list)
    return str(next(c["status"] for c in checks if c["id"] == check_id))


def clean_output(text: str) -> None:
    assert ESC not in text
    assert CONTROL.search(text.replace("\n", "")) is None, repr(CONTROL.search(text))


# --- the incident every format carries ---------------------------------------------------------

POOL = py(
    "ERROR",
    "sqlalchemy.exc.TimeoutError: QueuePool limit of size 5 overflow 10 reached, "
    "connection timed out, timeout 30.00",
)
DENIED = node(
    "ERROR",
    "AccessDeniedException: User: arn:aws:sts::123456789012:assumed-role/checkout-api-role/"
    "checkout-api is not authorized to perform: dynamodb:PutItem on resource: "
    "arn:aws:dynamodb:eu-west-1:123456789012:table/orders",
)
OOM_LINES = (
    py("ERROR", "MemoryError while resizing the image buffer"),
    py_unhandled("MemoryError", ""),
    "Runtime.OutOfMemory: Runtime exited with error: signal: killed",
    "RequestId: {rid} Error: Runtime exited with error: signal: killed\nRuntime.ExitError",
    "fatal error: runtime: out of memory",
)
EXPECTED = {"invocations": 210, "timeouts": 6, "out_of_memory": 1, "errors": 10, "cold_starts": 4}


@cache
def incident(json_format: bool = False) -> Logs:
    logs = Logs(json_format=json_format)
    logs.healthy(200, memory_mb=512, used_mb=(200, 260))
    env = logs.stream()
    for _ in range(6):
        logs.invoke(env, timeout_s=30.0, app=(POOL,))
    # One invocation that prints five lines about running out of memory: it counts once.
    logs.invoke(env, used_mb=512, app=OOM_LINES, status="error", error_type="Runtime.OutOfMemory")
    for _ in range(3):
        logs.invoke(env, app=(DENIED,), status="error")
    # Two that had not finished when the export was taken: no REPORT, not counted.
    logs.invoke(env, report=False, app=(py("INFO", "still working"),))
    logs.invoke(env, report=False)
    return logs


@cache
def healthy() -> Logs:
    logs = Logs()
    logs.healthy(300, memory_mb=256, used_mb=(110, 160))
    return logs


def concatenated_subscription_gzip() -> bytes:
    return gzip.compress(incident().subscription().replace("\n", "").encode())


CONTROL_MESSAGE = json.dumps(
    {
        "messageType": "CONTROL_MESSAGE",
        "owner": "CloudwatchLogs",
        "logGroup": "",
        "logStream": "",
        "subscriptionFilters": [],
        "logEvents": [{"id": "", "timestamp": 1772442000000, "message": "CWL CONTROL MESSAGE"}],
    }
)


def subscription_with_control_message() -> str:
    """Firehose delivers CloudWatch's reachability check among the data records."""
    return CONTROL_MESSAGE + "\n" + incident().subscription()


def filter_log_events_pages() -> str:
    """Two runs of filter-log-events appended to one file, the second overlapping the first."""
    data = json.loads(incident().filter_log_events())
    events = data["events"]
    half = len(events) // 2
    first = {"events": events[: half + 40], "searchedLogStreams": []}
    second = {"events": events[half:], "searchedLogStreams": []}
    return json.dumps(first, indent=2) + "\n" + json.dumps(second, indent=2) + "\n"


def semicolon_csv() -> str:
    """The console's CSV download as a spreadsheet saves it where the comma is the decimal mark."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";")
    writer.writerow(["@timestamp", "@message", "@logStream"])
    for event in incident().ordered():
        writer.writerow([event.timestamp_ms, event.message, event.stream])
    return buffer.getvalue()


def lambdatop_tail_text() -> str:
    """What `lambdatop tail` prints (its own formatter), to be read back."""
    return "".join(format_line(event, colour=False) + "\n" for event in incident().ordered())


INPUTS = {
    "filter-log-events": lambda: incident().filter_log_events(),
    "filter-log-events-pretty": lambda: incident().filter_log_events(indent=4),
    "filter-log-events-json-log-format": lambda: incident(json_format=True).filter_log_events(),
    "filter-log-events-appended-pages": filter_log_events_pages,
    "jsonl": lambda: incident().jsonl(),
    "raw-text": lambda: incident().raw_text(),
    "aws-logs-tail": lambda: incident().tail_text(),
    # A traced function's REPORT events hold a second line, which the tools print unprefixed.
    "aws-logs-tail-traced": lambda: incident().traced().tail_text(),
    "sam-logs-traced": lambda: incident().traced().sam_text(),
    "cli-output-text": lambda: incident().cli_text(),
    "subscription-records": lambda: incident().subscription(),
    "subscription-firehose-gzip": concatenated_subscription_gzip,
    "subscription-with-control-message": subscription_with_control_message,
    "subscription-kinesis-event": lambda: incident().kinesis_event(),
    "subscription-kinesis-get-records": lambda: incident().kinesis_get_records(),
    "subscription-firehose-transform-event": lambda: incident().firehose_transform_event(),
    "subscription-base64-lines": lambda: incident().base64_records(),
    "filter-log-events-pages-array": lambda: incident().filter_pages_array(),
    "jsonl-utf16-powershell": lambda: b"\xff\xfe" + incident().jsonl().encode("utf-16-le"),
    "csv-semicolons": lambda: semicolon_csv(),
    "awslogs-get": lambda: incident().awslogs_get_text(),
    "awslogs-get-timestamp": lambda: incident().awslogs_get_text(timestamp=True),
    "aws-logs-tail-coloured": lambda: incident().tail_text_coloured(),
    "lambdatop-tail-text": lambda: lambdatop_tail_text(),
    "cli-output-text-faithful": lambda: incident().cli_text_faithful(),
}


@pytest.mark.parametrize("form", list(INPUTS))
def test_every_input_format_gives_the_same_diagnosis(tmp_path: Path, form: str) -> None:
    content = INPUTS[form]()
    data = content if isinstance(content, bytes) else content.encode()
    path = tmp_path / "export"
    path.write_bytes(data)
    run = lambdatop(tmp_path, "diagnose", "--logs", str(path), "--format", "json")
    assert run.code == 1, run.err
    report = run.json
    summary = report["summary"]
    assert isinstance(summary, dict)
    assert {key: summary[key] for key in EXPECTED} == EXPECTED
    assert summary["memory_size_mb"] == 512
    assert summary["max_memory_used_mb"] == 512
    assert summary["timeout_s"] == 30.0
    failing = {c["id"] for c in report["checks"] if c["status"] == "fail"}  # type: ignore[attr-defined,index]
    assert {"timeout", "memory", "permission", "connection_pool"} <= failing
    permission = next(c for c in report["checks"] if c["id"] == "permission")  # type: ignore[attr-defined]
    assert "3 denials in 3 invocations, 3 of which failed" in permission["evidence"]
    if "text" not in form and "tail" not in form:
        # One event a line, each once, however many times the export repeated it.
        logs_check = next(c for c in report["checks"] if c["id"] == "logs")  # type: ignore[attr-defined]
        assert logs_check["title"].startswith(f"{len(incident().events):,} log lines read")
    # Only a subscription record names its log group, and so the function.
    named = form.startswith(("subscription", "awslogs-get"))
    assert report["function"] == (FUNCTION if named else None)


def test_stdin_is_read_with_a_dash(tmp_path: Path) -> None:
    run = lambdatop(
        tmp_path,
        "diagnose",
        FUNCTION,
        "--region",
        "eu-west-1",
        "--logs",
        "-",
        "--format",
        "json",
        stdin=incident().jsonl().encode(),
    )
    assert run.code == 1
    report = run.json
    assert report["function"] == FUNCTION
    assert report["region"] == "eu-west-1"
    steps = [step for c in report["checks"] for step in c["next_steps"]]  # type: ignore[attr-defined]
    commands = [step for step in steps if step.startswith("aws ")]
    assert commands
    for command in commands:
        words = shlex.split(command)
        if "--function-name" in words:
            assert words[words.index("--function-name") + 1] == FUNCTION
        if "--log-group-name" in words:
            assert words[words.index("--log-group-name") + 1] == f"/aws/lambda/{FUNCTION}"
        if words[1] != "iam":
            assert words[words.index("--region") + 1] == "eu-west-1", command


# --- output formats ----------------------------------------------------------------------------


@pytest.fixture
def incident_file(tmp_path: Path) -> Path:
    path = tmp_path / "incident.json"
    path.write_text(incident().filter_log_events())
    return path


def test_text_for_a_person(tmp_path: Path, incident_file: Path) -> None:
    run = lambdatop(
        tmp_path, "diagnose", FUNCTION, "--region", "eu-west-1", "--logs", str(incident_file)
    )
    assert run.code == 1
    clean_output(run.out)  # piped: no colour
    assert run.out.startswith(f"lambdatop diagnosis — {FUNCTION} (eu-west-1)\n")
    assert "210 invocations · 10 failed (4.8 %) · 6 timed out · 1 out of memory" in run.out
    assert "memory max 512 / 512 MB" in run.out
    assert "of 30 s timeout" in run.out
    assert re.search(r"^  ✖ timeout +6 invocations timed out at 30 s", run.out, re.M)
    assert "Start with connection_pool" in run.out
    assert f"$ aws lambda update-function-configuration --function-name {FUNCTION}" in run.out
    for plane in ("CONTROL", "SERVICE", "STATE", "EDGE"):
        assert f"\n{plane}\n" in run.out


def test_markdown_for_the_incident_document(tmp_path: Path, incident_file: Path) -> None:
    run = lambdatop(tmp_path, "diagnose", "--logs", str(incident_file), "--format", "markdown")
    assert run.code == 1
    clean_output(run.out)
    assert run.out.startswith("## lambdatop diagnosis")
    assert "| invocations | failed |" in run.out
    assert "### ✖ FAIL `permission` (service plane)" in run.out
    assert "```bash\naws " in run.out
    assert "### All checks" in run.out


def test_json_for_scripts(tmp_path: Path, incident_file: Path) -> None:
    run = lambdatop(tmp_path, "diagnose", "--logs", str(incident_file), "--format", "json")
    assert run.code == 1
    clean_output(run.out)
    report = run.json
    assert report["window"] == {"start": "2026-03-02T09:14:54.702Z", "end": report["window"]["end"]}  # type: ignore[index]


def read_pty(tmp_path: Path, *args: str, **env: str) -> str:
    """Run with stdout on a terminal, as a person would."""
    leader, follower = pty.openpty()
    process = subprocess.Popen(
        [*COMMAND, *args],
        stdout=follower,
        stderr=subprocess.PIPE,
        env=environment(tmp_path, TERM="xterm-256color", **env),
    )
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the terminal closed with the process
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(leader)
    _, err = process.communicate(timeout=60)
    assert b"Traceback" not in err
    return b"".join(chunks).decode("utf-8")


def test_colour_only_on_a_terminal_and_never_with_no_color(
    tmp_path: Path, incident_file: Path
) -> None:
    coloured = read_pty(tmp_path, "diagnose", "--logs", str(incident_file))
    assert "\x1b[1;31m✖\x1b[0m" in coloured
    plain = read_pty(tmp_path, "diagnose", "--logs", str(incident_file), NO_COLOR="1")
    assert ESC not in plain
    assert "✖ timeout" in plain


def test_colour_can_be_forced_into_a_pipe(tmp_path: Path, incident_file: Path) -> None:
    run = lambdatop(tmp_path, "diagnose", "--logs", str(incident_file), "--color", "always")
    assert ESC in run.out
    assert re.sub(r"\x1b\[[0-9;]*m", "", run.out).count(ESC) == 0


# --- exit codes --------------------------------------------------------------------------------


def test_exit_0_for_a_healthy_function(tmp_path: Path) -> None:
    path = tmp_path / "healthy.jsonl"
    path.write_text(healthy().jsonl())
    run = lambdatop(tmp_path, "diagnose", "--logs", str(path), "--format", "json")
    assert run.code == 0, run.out
    statuses = {c["id"]: c["status"] for c in run.json["checks"]}  # type: ignore[attr-defined]
    assert "fail" not in statuses.values()
    assert "warn" not in statuses.values(), statuses
    assert run.err == ""


def test_exit_0_and_a_note_for_an_empty_export(tmp_path: Path) -> None:
    path = tmp_path / "empty.json"
    path.write_text('{"events": [], "searchedLogStreams": []}\n')
    run = lambdatop(tmp_path, "diagnose", "--logs", str(path))
    assert run.code == 0
    assert run.err.count("\n") == 1
    assert "no log events" in run.err
    assert "Nothing to judge" in run.out


TRUNCATED = incident().filter_log_events()[:5000]
BAD_USAGE = {
    "unknown-flag": (["diagnose", "--logs", "x", "--frobnicate"], None, "unrecognized arguments"),
    "bad-format": (["diagnose", "--logs", "x", "--format", "yaml"], None, "invalid choice"),
    "bad-since": (["diagnose", "--logs", "x", "--since", "yesterday"], None, "--since"),
    "zero-since": (["diagnose", "--logs", "x", "--since", "0m"], None, "positive"),
    "no-input": (["diagnose"], None, "--logs FILE"),
    "missing-file": (["diagnose", "--logs", "{tmp}/nope.json"], None, "No such file"),
    "unreadable-file": (["diagnose", "--logs", "{tmp}"], None, "cannot read"),
    "truncated-json": (["diagnose", "--logs", "-"], TRUNCATED.encode(), "malformed JSON"),
    "truncated-pretty-json": (
        ["diagnose", "--logs", "-"],
        incident().filter_log_events(indent=2)[:7000].encode(),
        "malformed JSON",
    ),
    "truncated-jsonl": (
        ["diagnose", "--logs", "-"],
        incident().jsonl()[:-40].encode(),
        "malformed JSON on line",
    ),
    "not-an-export": (["diagnose", "--logs", "-"], b'{"events": 42}', "neither an export"),
    "event-without-message": (
        ["diagnose", "--logs", "-"],
        b'{"events": [{"timestamp": 1772442895120}]}',
        "no message",
    ),
    "corrupt-gzip": (["diagnose", "--logs", "-"], gzip.compress(b"{}" * 500)[:15], "gzip"),
    "binary": (["diagnose", "--logs", "-"], bytes(range(256)) * 64, "binary data"),
    "other-json": (["diagnose", "--logs", "-"], b'{"foo": 1}', "no Lambda log events recognised"),
    "a-number": (["diagnose", "--logs", "-"], b"42\n", "no Lambda log events recognised"),
    "null": (["diagnose", "--logs", "-"], b"null", "no Lambda log events recognised"),
    "nested-arrays": (["diagnose", "--logs", "-"], b"[" * 5000, "no Lambda log events recognised"),
    "csv-of-something-else": (
        ["diagnose", "--logs", "-"],
        b"name,price\nwidget,4.20\ngadget,7.00\n",
        "no Lambda log events recognised",
    ),
    "bad-base64-record": (
        ["diagnose", "--logs", "-"],
        b'{"awslogs": {"data": "H4sI!!not base64!!"}}',
        "not base64",
    ),
    "bad-gzip-record": (
        ["diagnose", "--logs", "-"],
        b'{"awslogs": {"data": "H4sIAAAAAAAAA3N0"}}',
        "gzip data that cannot be read",
    ),
}


@pytest.mark.parametrize("case", list(BAD_USAGE))
def test_exit_2_with_one_line_and_no_traceback(tmp_path: Path, case: str) -> None:
    args, stdin, says = BAD_USAGE[case]
    args = [arg.replace("{tmp}", str(tmp_path)) for arg in args]
    run = lambdatop(tmp_path, *args, stdin=stdin)
    assert run.code == 2, (run.out, run.err)
    assert says in run.err, run.err
    clean_output(run.err)


def test_exit_2_for_a_broken_config_file(tmp_path: Path, incident_file: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text("[thresholds]\nerror_rate_fail = 7\n")
    run = lambdatop(
        tmp_path, "diagnose", "--logs", str(incident_file), LAMBDATOP_CONFIG=str(config)
    )
    assert run.code == 2
    assert "error_rate_fail" in run.err


def test_thresholds_from_the_config_file_are_used(tmp_path: Path) -> None:
    path = tmp_path / "near.jsonl"
    logs = Logs()
    logs.healthy(100, memory_mb=512, used_mb=(400, 470))
    path.write_text(logs.jsonl())
    config = tmp_path / "config.toml"
    config.write_text("[thresholds]\nmemory_near_ratio = 0.99\n")
    default = lambdatop(tmp_path, "diagnose", "--logs", str(path), "--format", "json")
    relaxed = lambdatop(
        tmp_path, "diagnose", "--logs", str(path), "--format", "json", LAMBDATOP_CONFIG=str(config)
    )
    assert status_of(default, "memory") == "warn"
    assert status_of(relaxed, "memory") == "ok"


def test_since_counts_back_from_the_newest_event(tmp_path: Path) -> None:
    logs = Logs()
    logs.healthy(100, gap_ms=6_000)  # ten minutes
    path = tmp_path / "ten-minutes.json"
    path.write_text(logs.filter_log_events())
    run = lambdatop(tmp_path, "diagnose", "--logs", str(path), "--since", "2m", "--format", "json")
    report = run.json
    assert 15 <= report["summary"]["invocations"] <= 25  # type: ignore[index]
    window = report["window"]
    assert isinstance(window, dict)
    assert window["end"] == "2026-03-02T09:24:51.222Z" or window["end"].startswith(
        "2026-03-02T09:2"
    )


def test_a_closed_pipe_ends_quietly(tmp_path: Path, incident_file: Path) -> None:
    process = subprocess.Popen(
        [*COMMAND, "diagnose", "--logs", str(incident_file)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=environment(tmp_path),
    )
    assert process.stdout is not None
    process.stdout.read(100)
    process.stdout.close()  # like `| head -c 100`
    _, err = process.communicate(timeout=60)
    assert b"Traceback" not in err
    assert b"BrokenPipe" not in err


# --- hostile input -----------------------------------------------------------------------------

HOSTILE_LINES = (
    # ANSI colours, an OSC 8 hyperlink and an OSC title change inside a denial.
    "\x1b[31mAccessDeniedException\x1b[0m: \x1b]8;;https://evil.example/\x07click\x1b]8;;\x07 "
    "\x1b]0;owned\x07 User: arn:aws:sts::123456789012:assumed-role/r/f is not authorized to "
    "perform: s3:GetObject on resource: arn:aws:s3:::bucket/key",
    # Rich markup must print as the characters it is.
    "[bold red]ConnectionError[/bold red] [link=https://evil.example]could not connect to "
    "server[/link]: Connection refused on port 5432",
    # C1 controls, a bidi override, DEL and NULs.
    "ERROR \x9b31m\u202eTimeoutError\u202c\x7f\x00\x00: ECONNREFUSED 10.0.0.9:5432",
)


def hostile_text() -> bytes:
    logs = Logs()
    logs.healthy(50)
    env = logs.stream()
    for line in HOSTILE_LINES:
        logs.invoke(env, app=(line,), status="error")
    logs.invoke(env, app=("x" * (256 * 1024),))  # one 256 KB line
    text = logs.raw_text().encode()
    # Invalid UTF-8 and stray NULs in the middle of ordinary lines.
    return text.replace(b"order accepted", b"order \xff\xfe\xc3( accepted\x00", 20)


@pytest.mark.parametrize("output", ["text", "markdown", "json"])
def test_hostile_lines_reach_no_output_as_control_characters(tmp_path: Path, output: str) -> None:
    path = tmp_path / "hostile.log"
    path.write_bytes(hostile_text())
    run = lambdatop(
        tmp_path, "diagnose", "--logs", str(path), "--format", output, "--color", "never"
    )
    assert run.code == 1
    clean_output(run.out)
    clean_output(run.err)
    assert "\u202e" not in run.out
    body = json.dumps(run.json) if output == "json" else run.out
    if output == "json":
        body = run.out
    assert "AccessDeniedException" in body
    assert "[bold red]ConnectionError[/bold red]" in body or (
        "\\[bold red\\]ConnectionError\\[/bold red\\]" in body
    )
    assert "x" * 300 not in body  # the 256 KB line is not pasted into the report
    assert max(len(line) for line in run.out.splitlines()) < 2_000


def test_a_hostile_log_group_cannot_inject_into_suggested_commands(tmp_path: Path) -> None:
    logs = Logs(function="pay; rm -rf ~ #\x1b[2J$(id)")
    logs.healthy(30)
    env = logs.stream()
    for _ in range(3):
        logs.invoke(env, timeout_s=10.0)
    path = tmp_path / "records.jsonl"
    path.write_text(logs.subscription())
    run = lambdatop(tmp_path, "diagnose", "--logs", str(path), "--format", "json")
    clean_output(run.out)
    report = run.json
    name = report["function"]
    assert isinstance(name, str)
    assert name.startswith("pay; rm -rf ~ #")
    steps = [s for c in report["checks"] for s in c["next_steps"] if s.startswith("aws ")]  # type: ignore[attr-defined]
    for command in steps:
        words = shlex.split(command)
        assert "rm" not in words
        assert ";" not in words
        if "--function-name" in words:
            assert words[words.index("--function-name") + 1] == name


@pytest.mark.parametrize("form", ["text", "json", "markdown"])
def test_a_lone_surrogate_in_a_json_export_is_shown_as_a_replacement(
    tmp_path: Path, form: str
) -> None:
    """`\\ud83d` without its pair decodes to a character UTF-8 cannot hold: it must not stop
    the report."""
    events = [
        {
            "logStreamName": "s",
            "timestamp": 1_772_442_890_512,
            "message": "[ERROR] ValueError: bad \ud83d surrogate",
            "eventId": "1",
        },
        {
            "logStreamName": "s",
            "timestamp": 1_772_442_890_513,
            "message": "REPORT RequestId: r1\tDuration: 10.0 ms\tBilled Duration: 10 ms\t"
            "Memory Size: 128 MB\tMax Memory Used: 60 MB\t",
            "eventId": "2",
        },
    ]
    path = tmp_path / "surrogate.json"
    path.write_text(json.dumps({"events": events}), encoding="ascii")
    run = lambdatop(tmp_path, "diagnose", "--logs", str(path), "--format", form)
    assert run.code == 1  # the unhandled ValueError failed the invocation
    assert "bad \ufffd surrogate" in run.out


def test_json_nested_beyond_reason_is_refused_in_one_line(tmp_path: Path) -> None:
    path = tmp_path / "deep.json"
    path.write_text('{"a":' * 200_000, encoding="ascii")
    run = lambdatop(tmp_path, "diagnose", "--logs", str(path))
    assert run.code == 2
    assert "nested too deeply" in run.err


def test_a_log_line_nested_beyond_reason_is_kept_as_a_line(tmp_path: Path) -> None:
    event = {"eventId": "1", "logStreamName": "s", "timestamp": 1_772_442_890_512}
    event["message"] = '{"a":' * 100_000
    report = {"eventId": "2", "logStreamName": "s", "timestamp": 1_772_442_890_612}
    report["message"] = (
        "REPORT RequestId: r1\tDuration: 10.0 ms\tBilled Duration: 10 ms\t"
        "Memory Size: 128 MB\tMax Memory Used: 60 MB\t"
    )
    path = tmp_path / "deep-line.json"
    path.write_text(json.dumps({"events": [event, report]}), encoding="ascii")
    run = lambdatop(tmp_path, "diagnose", "--logs", str(path), "--format", "json")
    assert run.code == 0
    assert run.json["summary"]["invocations"] == 1


# --- shapes read into the same events ----------------------------------------------------------


def summary_of(tmp_path: Path, name: str, data: bytes) -> dict[str, object]:
    path = tmp_path / name
    path.write_bytes(data)
    run = lambdatop(tmp_path, "diagnose", "--logs", str(path), "--format", "json")
    assert run.code in (0, 1), run.err
    summary = run.json["summary"]
    assert isinstance(summary, dict)
    return summary


@pytest.mark.parametrize("shape", ["tail_json_pretty", "sam_json_pretty"])
def test_json_events_pretty_printed_by_the_tool_are_one_event_each(
    tmp_path: Path, shape: str
) -> None:
    logs = incident(json_format=True)
    canonical = summary_of(tmp_path, "canonical.json", logs.filter_log_events().encode())
    pretty = summary_of(tmp_path, "pretty.txt", getattr(logs, shape)().encode())
    assert canonical["invocations"] == 210
    assert pretty == canonical


def test_the_lambda_subscription_event_of_one_stream(tmp_path: Path) -> None:
    logs = Logs()
    env = logs.stream()
    for _ in range(5):
        logs.invoke(env)
    logs.invoke(env, timeout_s=3.0)
    summary = summary_of(tmp_path, "event.json", logs.awslogs_event().encode())
    assert (summary["invocations"], summary["timeouts"]) == (6, 1)


def test_logs_insights_report_fields_without_a_message_are_report_lines(tmp_path: Path) -> None:
    logs = Logs()
    logs.healthy(20, memory_mb=128, used_mb=(60, 90))
    env = logs.stream()
    for _ in range(2):
        logs.invoke(env, memory_mb=128, used_mb=128)
    path = tmp_path / "insights.csv"
    path.write_text(logs.insights_report_fields_csv())
    run = lambdatop(tmp_path, "diagnose", "--logs", str(path), "--format", "json")
    summary = run.json["summary"]
    assert isinstance(summary, dict)
    assert (summary["invocations"], summary["cold_starts"]) == (22, 4)
    assert (summary["memory_size_mb"], summary["max_memory_used_mb"]) == (128, 128)
    assert status_of(run, "memory") == "fail"


@pytest.mark.parametrize(
    "typed",
    [
        f"arn:aws:lambda:ap-southeast-2:123456789012:function:{FUNCTION}:live",
        f"arn:aws:lambda:ap-southeast-2:123456789012:function:{FUNCTION}",
        f"{FUNCTION}:7",
    ],
)
def test_a_function_typed_as_an_arn_or_with_a_qualifier_is_read_by_its_name(
    tmp_path: Path, incident_file: Path, typed: str
) -> None:
    """Log groups and metrics are the function's: `/aws/lambda/name:live` names nothing."""
    extra = [] if typed.startswith("arn:") else ["--region", "ap-southeast-2"]
    run = lambdatop(
        tmp_path, "diagnose", typed, *extra, "--logs", str(incident_file), "--format", "json"
    )
    assert run.code == 1, run.err
    report = run.json
    assert (report["function"], report["region"]) == (FUNCTION, "ap-southeast-2")
    commands = [step for check in report["checks"] for step in check["next_steps"]]  # type: ignore[attr-defined,index]
    assert any(f"--log-group-name /aws/lambda/{FUNCTION} " in step for step in commands)
    assert any(f"Name=FunctionName,Value={FUNCTION} " in step for step in commands)
    qualified = typed.endswith((":live", ":7"))
    assert ("every version and alias" in run.err) is qualified


def test_an_export_is_diagnosed_whole_and_a_shorter_window_says_what_it_leaves_out(
    tmp_path: Path,
) -> None:
    """Timeouts early in a four-hour export, quiet since: the default reads it all; --since
    1h reads the last hour and says it left the failures out."""
    logs = Logs()
    env = logs.stream()
    for _ in range(10):
        logs.invoke(env, timeout_s=10.0)
    logs.healthy(200, gap_ms=60_000)
    path = tmp_path / "long.json"
    path.write_text(logs.filter_log_events())
    whole = lambdatop(tmp_path, "diagnose", "--logs", str(path), "--format", "json")
    assert whole.code == 1
    assert whole.json["summary"]["timeouts"] == 10  # type: ignore[index]
    assert whole.err == ""
    recent = lambdatop(
        tmp_path, "diagnose", "--logs", str(path), "--since", "1h", "--format", "json"
    )
    assert recent.code == 0
    assert recent.json["summary"]["timeouts"] == 0  # type: ignore[index]
    assert "--since 1h leaves out the export's first 2.4 h" in recent.err
    assert "10 failed" in recent.err


def _insights_csv(groups: dict[str, Logs]) -> str:
    """A Logs Insights CSV download of `@timestamp,@message,@logStream,@log` rows."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["@timestamp", "@message", "@logStream", "@log"])
    for group, logs in groups.items():
        for event in logs.ordered():
            stamp = datetime.fromtimestamp(event.timestamp_ms / 1000, UTC)
            writer.writerow(
                [
                    stamp.strftime("%Y-%m-%d %H:%M:%S.%f")[:-3],
                    event.message,
                    event.stream,
                    f"123456789012:{group}",
                ]
            )
    return out.getvalue()


def _two_functions() -> tuple[Logs, Logs]:
    """`orders`, healthy (30 invocations), and `payments`, timing out (8 of 18)."""
    healthy, failing = Logs(function="orders"), Logs(function="payments", seed=11)
    healthy.healthy(30)
    failing.healthy(10)
    env = failing.stream()
    for _ in range(8):
        failing.invoke(env, timeout_s=3.0)
    return healthy, failing


_SEVERAL_GROUPS: dict[str, Callable[[Logs, Logs], str]] = {
    "insights-csv": lambda a, b: _insights_csv(
        {f"/aws/lambda/{a.function}": a, f"/aws/lambda/{b.function}": b}
    ),
    "subscription": lambda a, b: a.subscription() + b.subscription(),
    "awslogs-get": lambda a, b: a.awslogs_get_text() + b.awslogs_get_text(timestamp=False),
}


def test_an_export_of_several_functions_is_refused_with_their_names(tmp_path: Path) -> None:
    """One report over two functions would blame one for the other's failures: without a
    FUNCTION to pick one, the export is refused, naming its groups and what to type."""
    path = tmp_path / "insights.csv"
    path.write_text(_SEVERAL_GROUPS["insights-csv"](*_two_functions()))
    run = lambdatop(tmp_path, "diagnose", "--logs", str(path))
    assert run.code == 2
    assert run.out == ""
    assert "holds 2 log groups: /aws/lambda/orders (" in run.err
    assert "/aws/lambda/payments" in run.err
    assert "lambdatop diagnose NAME --logs FILE" in run.err


@pytest.mark.parametrize("form", sorted(_SEVERAL_GROUPS))
def test_naming_the_function_diagnoses_its_log_group_alone(tmp_path: Path, form: str) -> None:
    path = tmp_path / "several.log"
    path.write_text(_SEVERAL_GROUPS[form](*_two_functions()))
    failing = lambdatop(tmp_path, "diagnose", "payments", "--logs", str(path), "--format", "json")
    assert failing.code == 1
    assert "reading /aws/lambda/payments only" in failing.err
    summary = failing.json["summary"]
    assert (summary["invocations"], summary["timeouts"]) == (18, 8)
    assert status_of(failing, "timeout") == "fail"
    steps = [step for check in failing.json["checks"] for step in check["next_steps"]]  # type: ignore[attr-defined,index]
    assert any("/aws/lambda/payments" in step for step in steps)
    assert not any("/aws/lambda/orders" in step for step in steps)
    healthy = lambdatop(tmp_path, "diagnose", "orders", "--logs", str(path), "--format", "json")
    assert healthy.code == 0
    assert (healthy.json["summary"]["invocations"], healthy.json["summary"]["timeouts"]) == (30, 0)


def test_a_function_whose_group_is_not_in_the_export_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "several.jsonl"
    path.write_text(_SEVERAL_GROUPS["subscription"](*_two_functions()))
    run = lambdatop(tmp_path, "diagnose", "billing", "--logs", str(path))
    assert run.code == 2
    assert "no log group of billing among the export's 2: /aws/lambda/" in run.err


def test_a_custom_log_group_named_by_the_export_is_the_one_the_commands_search(
    tmp_path: Path,
) -> None:
    logs = Logs()
    logs.healthy(10)
    env = logs.stream()
    for _ in range(3):
        logs.invoke(env, timeout_s=3.0)
    path = tmp_path / "insights.csv"
    path.write_text(_insights_csv({"/shared/app-logs": logs}))
    run = lambdatop(tmp_path, "diagnose", "payments", "--logs", str(path), "--format", "json")
    assert run.code == 1, run.err
    commands = [step for check in run.json["checks"] for step in check["next_steps"]]  # type: ignore[attr-defined,index]
    searches = [step for step in commands if "--log-group-name" in step]
    assert searches
    assert all("--log-group-name /shared/app-logs " in step for step in searches)


def test_an_export_of_thousands_of_environments_at_once_attributes_every_error(
    tmp_path: Path,
) -> None:
    """A burst of 6,000 environments, each running one request when its unhandled error (a
    line without a request id) comes: every one failed, none inherits another's."""
    events = []
    streams = [f"2026/03/02/[$LATEST]{n:032x}" for n in range(6_000)]
    rids = [f"{n:08x}-0000-4000-8000-000000000000" for n in range(6_000)]
    clock = 1_772_442_000_000
    for stream, rid in zip(streams, rids, strict=True):
        events.append((stream, clock, f"START RequestId: {rid} Version: $LATEST\n"))
    for n, (stream, rid) in enumerate(zip(streams, rids, strict=True)):
        if n % 2 == 0:
            events.append(
                (
                    stream,
                    clock + 10,
                    "[ERROR] KeyError: 'sku'\nTraceback (most recent call last):\n",
                )
            )
        events.append((stream, clock + 20, f"END RequestId: {rid}\n"))
        events.append(
            (
                stream,
                clock + 20,
                f"REPORT RequestId: {rid}\tDuration: 20.00 ms\tBilled Duration: 20 ms\t"
                "Memory Size: 128 MB\tMax Memory Used: 60 MB\t\n",
            )
        )
    path = tmp_path / "burst.json"
    path.write_text(
        json.dumps(
            {
                "events": [
                    {"logStreamName": s, "timestamp": t, "message": m, "eventId": str(i)}
                    for i, (s, t, m) in enumerate(events)
                ]
            }
        )
    )
    run = lambdatop(tmp_path, "diagnose", "--logs", str(path), "--format", "json")
    summary = run.json["summary"]
    assert (summary["invocations"], summary["errors"]) == (6_000, 3_000)


def test_a_file_over_2_gib_is_refused_before_it_is_read(tmp_path: Path) -> None:
    """A sparse file: reading it would take 2 GiB of memory for nothing."""
    path = tmp_path / "huge.json"
    with path.open("wb") as file:
        file.truncate(2 * 1024**3 + 1)
    run = lambdatop(tmp_path, "diagnose", "--logs", str(path))
    assert run.code == 2
    assert run.err == f"lambdatop: {path}: too large: more than 2 GiB\n"


# --- --redact ----------------------------------------------------------------------------------

ACCOUNT = "123456789012"


def _leaky_export(tmp_path: Path) -> Path:
    """Errors naming the account (in ARNs), a private IP and a database host."""
    errors = [
        f"[ERROR] AccessDeniedException: User: arn:aws:sts::{ACCOUNT}:assumed-role/checkout-role/"
        f"checkout is not authorized to perform: dynamodb:PutItem on resource: "
        f"arn:aws:dynamodb:eu-west-1:{ACCOUNT}:table/orders",
        "[ERROR] ConnectTimeout: connect ETIMEDOUT 10.0.3.17:5432 (db.prod.corp.example.com)",
    ]
    events = []
    for n in range(20):
        at = 1_772_442_890_000 + n * 1000
        events.append(
            {"eventId": f"e{n}", "logStreamName": "s", "timestamp": at, "message": errors[n % 2]}
        )
        events.append(
            {
                "eventId": f"r{n}",
                "logStreamName": "s",
                "timestamp": at + 10,
                "message": f"REPORT RequestId: r{n}\tDuration: 10.0 ms\tBilled Duration: 10 ms\t"
                "Memory Size: 128 MB\tMax Memory Used: 60 MB\t",
            }
        )
    path = tmp_path / "leaky.json"
    path.write_text(json.dumps({"events": events}), encoding="ascii")
    return path


@pytest.mark.parametrize("output", ["text", "json", "markdown"])
def test_redact_masks_the_account_addresses_and_hosts_in_every_format(
    tmp_path: Path, output: str
) -> None:
    path = _leaky_export(tmp_path)
    plain = lambdatop(tmp_path, "diagnose", "--logs", str(path), "--format", output)
    assert ACCOUNT in plain.out, "the report quotes the errors (else this test proves nothing)"
    run = lambdatop(tmp_path, "diagnose", "--logs", str(path), "--format", output, "--redact")
    assert run.code == plain.code
    for secret in (ACCOUNT, "10.0.3.17", "corp.example"):
        assert secret not in run.out + run.err
    assert ":************:" in run.out
    if output == "json":
        assert run.json["summary"] == plain.json["summary"], "still the same valid report"


def test_redact_from_the_config_file(tmp_path: Path) -> None:
    settings = tmp_path / "config" / "lambdatop" / "config.toml"
    settings.parent.mkdir(parents=True)
    settings.write_text("redact = true\n")
    run = lambdatop(tmp_path, "diagnose", "--logs", str(_leaky_export(tmp_path)))
    assert ACCOUNT not in run.out
    assert ":************:" in run.out


# An export that names a function's log group is that function's log, even when its lines are an
# extension's only (PENDING 1 of the real-log corpus): Insights' `@log`, a subscription's group.
_EXTENSION_LINES = [
    (
        "2026-03-02 09:14:55.120",
        "[AWS Parameters and Secrets Lambda Extension] 2026/03/02"
        " 09:14:55 INFO ready to serve traffic",
    ),
    (
        "2026-03-02 09:16:12.004",
        "[AWS Parameters and Secrets Lambda Extension] 2026/03/02"
        " 09:16:12 INFO cache refreshed for 3 parameters",
    ),
    (
        "2026-03-02 09:21:40.730",
        "[AWS Parameters and Secrets Lambda Extension] 2026/03/02"
        " 09:21:40 INFO shutting down: received SHUTDOWN event",
    ),
]


def _extension_export(form: str, group: str) -> str:
    if form == "insights-markdown":
        rows = [f"| {ts} | {message} | 123456789012:{group} |" for ts, message in _EXTENSION_LINES]
        return "\n".join(["| @timestamp | @message | @log |", "| --- | --- | --- |", *rows]) + "\n"
    if form == "insights-csv":
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(["@timestamp", "@message", "@log"])
        writer.writerows([ts, message, f"123456789012:{group}"] for ts, message in _EXTENSION_LINES)
        return out.getvalue()
    events = [
        {
            "id": f"3790{index:050d}",
            "timestamp": int(datetime.fromisoformat(f"{ts}+00:00").timestamp() * 1000),
            "message": message,
        }
        for index, (ts, message) in enumerate(_EXTENSION_LINES)
    ]
    return json.dumps(
        {
            "messageType": "DATA_MESSAGE",
            "owner": "123456789012",
            "logGroup": group,
            "logStream": "2026/03/02/[$LATEST]4c1f0e2d9b8a4d7e8f6a5b4c3d2e1f0a",
            "subscriptionFilters": ["to-firehose"],
            "logEvents": events,
        }
    )


@pytest.mark.parametrize("form", ["insights-markdown", "insights-csv", "subscription"])
def test_a_function_s_group_holding_only_extension_lines_is_read(tmp_path: Path, form: str) -> None:
    path = tmp_path / "export.txt"
    path.write_text(_extension_export(form, "/aws/lambda/orders-sync"))
    run = lambdatop(tmp_path, "diagnose", "--logs", str(path), "--color", "never")
    assert run.code == 0, run.err
    assert "lambdatop diagnosis — orders-sync" in run.out
    assert "Nothing failing" in run.out
    assert (
        status_of(
            lambdatop(tmp_path, "diagnose", "--logs", str(path), "--format", "json"),
            "invocation_errors",
        )
        == "unknown"
    )


def test_extension_lines_of_a_group_no_function_owns_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "export.md"
    path.write_text(_extension_export("insights-markdown", "/ecs/orders-sync"))
    run = lambdatop(tmp_path, "diagnose", "--logs", str(path))
    assert run.code == 2
    assert "no Lambda log events recognised" in run.err


_ONE_TIME = (
    "2026-03-02T09:14:55.120Z\t7d3c2b1a-0f9e-4d8c-b7a6-5e4d3c2b1a0f\tERROR\tInvoke Error \t"
    '{"errorType":"RangeError","errorMessage":"Invalid array length"}\n'
)


@pytest.mark.parametrize("output", ["text", "markdown", "json"])
def test_a_window_of_one_moment_is_said_to_be_one(tmp_path: Path, output: str) -> None:
    """One timestamped line: no span to give, and none made up ("(0 s)")."""
    path = tmp_path / "one.log"
    path.write_text(_ONE_TIME)
    run = lambdatop(tmp_path, "diagnose", "--logs", str(path), "--format", output)
    assert run.code in (0, 1), run.err
    if output == "json":
        window = run.json["window"]
        assert window == {"start": "2026-03-02T09:14:55.120Z", "end": "2026-03-02T09:14:55.120Z"}
        return
    assert "2026-03-02T09:14:55.120Z, one moment (no line read bears another time)" in run.out
    assert "(0 s)" not in run.out


def test_a_window_under_a_second_is_given_in_milliseconds(tmp_path: Path) -> None:
    later = _ONE_TIME.replace("09:14:55.120Z", "09:14:55.370Z")
    path = tmp_path / "two.log"
    path.write_text(_ONE_TIME + later)
    run = lambdatop(tmp_path, "diagnose", "--logs", str(path), "--color", "never")
    assert "2026-03-02T09:14:55.120Z → 2026-03-02T09:14:55.370Z (250 ms)" in run.out


# --- API Gateway's execution log, read as what the API saw ----------------------------------------

_QUOTE_URI = (
    "https://lambda.ap-south-1.amazonaws.com/2015-03-31/functions/"
    "arn:aws:lambda:ap-south-1:123456789012:function:quote-service:live/invocations"
)
_MALFORMED, _FINE = "6a5b4c3d-2e1f-4a0b-9c8d-7e6f5a4b3c2d", "b7c6d5e4-f3a2-4b1c-8d0e-9f8a7b6c5d4e"
EXECUTION_LOG = "".join(
    f"({rid}) {message}\n"
    for rid, message in [
        (_MALFORMED, f"Starting execution for request: {_MALFORMED}"),
        (_MALFORMED, f"Endpoint request URI: {_QUOTE_URI}"),
        (
            _MALFORMED,
            "Endpoint response body before transformations:"
            ' {"statusCode": 201, "headers": {"X-Retry": 3}, "body": "{}"}',
        ),
        (
            _MALFORMED,
            "Execution failed due to configuration error: Malformed Lambda proxy response",
        ),
        (_MALFORMED, "Method completed with status: 502"),
        (_FINE, f"Starting execution for request: {_FINE}"),
        (
            _FINE,
            "Endpoint response body before transformations:"
            ' {"statusCode": 200, "body": "{\\"quote\\": 12.5}"}',
        ),
        (_FINE, "Method completed with status: 200"),
    ]
)


def test_an_api_gateway_execution_log_is_judged_by_what_the_api_saw(tmp_path: Path) -> None:
    path = tmp_path / "execution.log"
    path.write_text(EXECUTION_LOG)
    run = lambdatop(tmp_path, "diagnose", "--logs", str(path), "--format", "json")
    assert run.code == 1, run.err
    assert status_of(run, "api_gateway") == "fail"
    assert status_of(run, "invocation_errors") != "fail", "a malformed answer is no error"
    text = lambdatop(tmp_path, "diagnose", "--logs", str(path)).out
    assert "1 of 2 API requests failed" in text
    assert "a header's value is not a string" in text  # what in the answer API Gateway refused
    assert "quote-service (ap-south-1)" in text, "named from the integration's request URI"

    healthy = tmp_path / "healthy.log"
    healthy.write_text("\n".join(EXECUTION_LOG.splitlines()[5:]) + "\n")
    run = lambdatop(tmp_path, "diagnose", "--logs", str(healthy), "--format", "json")
    assert run.code == 0, run.out
    assert status_of(run, "api_gateway") == "ok"
