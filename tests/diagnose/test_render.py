"""The report as a person, an incident document and a script read it."""

from __future__ import annotations

import json
import re

import pytest
from expect import CONTROL, config, json_schema
from lambdalogs import Logs, evidence, metrics, node_invoke_error, py, py_unhandled

from lambdatop.diagnose.engine import diagnose
from lambdatop.diagnose.model import CheckStatus, Diagnosis
from lambdatop.diagnose.render import to_json, to_markdown, to_text, verdict

ESC = "\x1b"
HOSTILE = (
    "AccessDenied: \x1b[31mred\x1b[0m \x1b]8;;https://evil.example/\x07click\x1b]8;;\x07 "
    "\x1b]0;pwned title\x07 [bold red]markup[/bold red] [link=https://evil.example]x[/link] "
    "\x9b2J \u202egnp.exe\u202c not authorized to perform: s3:GetObject on resource: "
    "arn:aws:s3:::bucket|with|pipes/`key`"
)


def incident() -> Diagnosis:
    logs = Logs()
    logs.healthy(200, memory_mb=512, used_mb=(200, 260))
    env = logs.stream()
    pool = py(
        "ERROR",
        "sqlalchemy.exc.TimeoutError: QueuePool limit of size 5 overflow 10 reached, "
        "connection timed out, timeout 30.00",
    )
    for _ in range(6):
        logs.invoke(env, timeout_s=30.0, app=[pool])
    logs.invoke(
        env,
        used_mb=512,
        app=[py_unhandled("MemoryError", "")],
        status="error",
        error_type="Runtime.OutOfMemory",
    )
    for _ in range(3):
        logs.invoke(env, app=[node("ERROR", HOSTILE)], status="error")
    logs.invoke(
        env,
        app=[node_invoke_error("Evil\x1b[2JType`|*", "```\n# not a heading\n```")],
        status="error",
    )
    return diagnose(evidence(logs))


def node(level: str, message: str) -> str:
    return f"{{ts}}\t{{rid}}\t{level}\t{message}"


def healthy() -> Diagnosis:
    logs = Logs()
    logs.healthy(300, memory_mb=256, used_mb=(120, 160))
    return diagnose(evidence(logs))


@pytest.mark.parametrize(
    "render",
    [
        lambda d: to_text(d),
        lambda d: to_text(d, colour=True),
        to_markdown,
        to_json,
    ],
    ids=["text", "text-colour", "markdown", "json"],
)
def test_nothing_from_a_log_line_can_drive_the_terminal(render) -> None:  # type: ignore[no-untyped-def]
    out = render(incident())
    stripped = re.sub(r"\x1b\[[0-9;]*m", "", out)  # our own colours, when asked for
    assert ESC not in stripped
    assert CONTROL.search(stripped.replace("\n", "")) is None
    assert "\u202e" not in out
    assert "[bold red]markup[/bold red]" in out or "\\[bold red\\]markup\\[/bold red\\]" in out


def test_text_has_colour_only_when_asked() -> None:
    diagnosis = incident()
    assert ESC not in to_text(diagnosis)
    coloured = to_text(diagnosis, colour=True)
    assert ESC in coloured
    assert set(re.findall(r"\x1b\[[0-9;]*m", coloured)) <= {
        "\x1b[0m",
        "\x1b[1m",
        "\x1b[2m",
        "\x1b[33m",
        "\x1b[32m",
        "\x1b[1;31m",
        "\x1b[1;32m",
        "\x1b[1;33m",
        "\x1b[1;34m",
    }


def test_text_puts_the_verdict_first_and_separates_fixes_from_looking() -> None:
    text = to_text(incident())
    lines = text.splitlines()
    assert lines[0].startswith("lambdatop diagnosis")
    first_verdict = next(i for i, line in enumerate(lines) if "checks failing" in line)
    assert first_verdict < lines.index("CONTROL")
    assert lines[-1] == lines[first_verdict]  # and again at the end, where the terminal stops
    investigate, fix = section(text, "memory").split("fix:")
    assert "--memory-size" not in investigate
    assert "$ aws lambda update-function-configuration" in fix
    assert "--memory-size 768" in fix


def section(text: str, check_id: str) -> str:
    """A check's lines in the text report: its title line and the indented ones under it."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if re.match(rf"  . {check_id} ", line))
    end = next(
        (i for i in range(start + 1, len(lines)) if not lines[i].startswith("    ")), len(lines)
    )
    return "\n".join(lines[start:end])


def test_verdict_starts_with_the_cause() -> None:
    assert verdict(incident()).endswith(
        "Start with connection_pool (the timeout failures follow from it)."
    )


def test_verdict_of_a_healthy_function() -> None:
    diagnosis = healthy()
    assert verdict(diagnosis) == "Nothing failing."
    text = to_text(diagnosis)
    assert "✖" not in text
    assert "investigate:" not in text  # nothing to act on: the report stays short
    assert "•" not in text


def test_unnamed_function_says_how_to_name_it() -> None:
    logs = Logs()
    logs.healthy(20)
    diagnosis = diagnose(evidence(logs, function=None, region=None))
    assert "function not named" in to_text(diagnosis)
    assert "lambdatop diagnose FUNCTION --logs FILE" in to_markdown(diagnosis)


def test_markdown_fences_hold_whatever_the_lines_contain() -> None:
    md = to_markdown(incident())
    # Every fence that opens closes with the same run of backticks.
    fences = re.findall(r"^(`{3,})(\w*)$", md, flags=re.M)
    opened: list[str] = []
    for ticks, language in fences:
        if opened and ticks == opened[-1] and not language:
            opened.pop()
        else:
            opened.append(ticks)
    assert opened == []
    # Outside fences, table rows keep their eight or four columns.
    outside = re.sub(r"^(`{3,})\w*\n.*?^\1$", "", md, flags=re.M | re.S)
    for row in (line for line in outside.splitlines() if line.startswith("| ")):
        cells = re.split(r"(?<!\\)\|", row)
        assert len(cells) - 2 in (4, 8), row
    assert "\n# not a heading" not in outside


def test_markdown_lists_the_failing_checks_with_their_fixes() -> None:
    md = to_markdown(incident())
    assert "### ✖ FAIL `timeout` (service plane)" in md
    assert "### ✖ FAIL `memory` (service plane)" in md
    assert "**Fix**" in md
    assert "**Investigate**" in md
    assert "| `connection_pool` | state | ✖ fail |" in md


def test_json_is_the_stable_schema() -> None:
    data = json.loads(to_json(incident()))
    json_schema(data)
    assert list(data) == ["function", "region", "window", "summary", "checks"]
    assert [c["id"] for c in data["checks"]][:3] == ["logs", "metrics", "traces"]
    statuses = {c["id"]: c["status"] for c in data["checks"]}
    assert statuses["timeout"] == CheckStatus.FAIL.value
    for check in data["checks"]:
        assert list(check) == ["id", "plane", "status", "title", "evidence", "next_steps"]


def test_verdict_starts_past_the_control_plane() -> None:
    """Metrics fail on the same throttles the throttling check explains: start with the cause."""
    logs = Logs()
    logs.healthy(100)
    ev = evidence(logs)
    ev.config = config(reserved_concurrency=50)
    ev.metrics = metrics(
        Invocations=[400, 300, 300], Throttles=[0, 80, 40], ConcurrentExecutions=[31, 50, 50]
    )
    diagnosis = diagnose(ev)
    assert diagnosis.check("metrics").status is CheckStatus.FAIL
    assert verdict(diagnosis).endswith("Start with throttling.")


def test_sample_lines_are_the_newest_distinct_ones_in_log_order() -> None:
    from lambdatop.core.parse import parse
    from lambdatop.core.pipeline import Finding
    from lambdatop.diagnose.format import samples

    found = [
        Finding(1_000 * n, "s", None, parse(f"[ERROR] TimeoutError: attempt {n}"))
        for n in range(1, 8)
    ]
    found.append(Finding(9_000, "s", None, parse("[ERROR] TimeoutError: attempt 7")))  # again
    assert samples(found) == [
        "› [ERROR] TimeoutError: attempt 5",
        "› [ERROR] TimeoutError: attempt 6",
        "› [ERROR] TimeoutError: attempt 7",
    ]


def test_a_sample_of_a_long_line_shows_the_words_it_was_classified_by() -> None:
    """The message after a long traceback, or a JSON log's `exception` field, is past what a
    sample line holds: the sample shows the line's start and then the words that matched."""
    from lambdatop.core.parse import parse
    from lambdatop.core.pipeline import Finding
    from lambdatop.diagnose.format import SAMPLE_WIDTH, samples

    frames = "".join(f'\n  File "/var/task/lib/pool{n}.py", line {n}, in get' for n in range(40))
    line = parse(
        "[ERROR]\t2026-03-02T09:15:01.120Z\tc0ffee00-1111-4222-8333-444455556666\torder lookup"
        " failed\nTraceback (most recent call last):" + frames + "\nsqlalchemy.exc.TimeoutError:"
        " QueuePool limit of size 5 overflow 10 reached, connection timed out, timeout 30.00"
    )
    (sample,) = samples([Finding(1_000, "s", line.request_id, line)])
    assert sample.startswith("› [ERROR]  2026-03-02T09:15:01.120Z  c0ffee00-")
    assert "order lookup failed" in sample
    assert "QueuePool limit of size 5 overflow 10 reached" in sample
    assert len(sample) <= SAMPLE_WIDTH + 2
    short = parse("[ERROR] QueuePool limit of size 5 overflow 10 reached")
    assert samples([Finding(1_000, "s", None, short)]) == [
        "› [ERROR] QueuePool limit of size 5 overflow 10 reached"
    ]
