"""The advice in every report the test corpora produce, checked by machine against what AWS
accepts (tests/reallogs/advice.py): the real-log corpus's reports, the reports of the simulated
account's incidents (every function of lambdatop/demo through its incident, as the demo writes
its logs), and, where a golden recording is on this machine (`make golden`), its evidences'."""

from __future__ import annotations

import json
import os
import pickle
import shlex
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest
from advice import matches, problems_of_command, problems_of_policy, split_command
from corpus import samples
from golden.check import fill_new_fields

from lambdatop.commands.diagnose import evidence_from_export
from lambdatop.core.export import read_export
from lambdatop.core.sanitize import one_line
from lambdatop.diagnose.engine import diagnose
from lambdatop.diagnose.evidence import Evidence
from lambdatop.diagnose.format import told
from lambdatop.diagnose.model import CheckResult, CheckStatus
from lambdatop.diagnose.thresholds import Thresholds

GOLDEN = Path(os.environ.get("LAMBDATOP_GOLDEN", ".golden"))
"""A golden recording (`make golden`), when there is one: more reports to check. The thresholds
below hold without it: a fresh checkout has none."""
FUNCTION, REGION = "checkout-api", "eu-west-1"
SIMULATED_S = 1_800
"""Half an hour of each simulated function, its incident timeline at 5× speed: each incident
reaches its peak at least once."""
T0 = 1_780_300_800.0


@dataclass
class Report:
    name: str
    checks: list[CheckResult]
    lines: list[str]
    """The lines the report was made from, as far as they are known."""
    complete: bool = True
    """`lines` are every line read (a golden evidence keeps only the lines its findings quote)."""
    evidence: Evidence | None = None
    """What the report was made of: what its commands may name."""


def _evidence_lines(ev: Evidence) -> list[str]:
    found = [f for family in ev.findings.values() for f in family]
    found += ev.failures + ev.logged_errors + ev.dropped
    return [f.line.text for f in found]


@cache
def reports() -> tuple[Report, ...]:
    made: list[Report] = []
    for sample in samples():
        exported = read_export(sample.path.read_bytes())
        for function, region in ((FUNCTION, REGION), (None, None)):
            ev = evidence_from_export(exported, function=function, region=region, since_s=None)
            made.append(
                Report(
                    f"{sample.file}{'' if function else ' (function not named)'}",
                    diagnose(ev, Thresholds()).checks,
                    [event.message for event in exported.events],
                    evidence=ev,
                )
            )
    made.extend(_simulated_reports())
    if GOLDEN.is_dir():
        for path in sorted(GOLDEN.glob("*.pickle")):
            if path.name.endswith(".reports.pickle"):
                continue
            ev, limits = pickle.loads(path.read_bytes())
            fill_new_fields(ev)
            made.append(
                Report(
                    f"golden {path.stem}",
                    diagnose(ev, limits).checks,
                    _evidence_lines(ev),
                    complete=False,
                    evidence=ev,
                )
            )
    return tuple(made)


def _simulated_reports() -> list[Report]:
    """Each function of the simulated account through its incident: its log as the demo writes
    it, read back as an export of its log group, diagnosed with its configuration."""
    from lambdatop.core.records import FunctionConfig
    from lambdatop.demo.formats import render_invocation
    from lambdatop.demo.incidents import incident_for
    from lambdatop.demo.scenarios import SCENARIOS
    from lambdatop.demo.simulation import FunctionSimulator
    from lambdatop.demo.timeline import Timeline

    made: list[Report] = []
    for scenario in SCENARIOS:
        simulator = FunctionSimulator(scenario, incident_for(scenario), Timeline(T0, 5.0), 1)
        events = [
            {"timestamp": line.timestamp, "logStreamName": run.stream, "message": line.message}
            for second in range(SIMULATED_S)
            for run in simulator.step(T0 + second).invocations
            for line in render_invocation(run)
        ]
        exported = read_export(json.dumps({"events": events}).encode())
        ev = evidence_from_export(exported, function=scenario.name, region=REGION, since_s=None)
        role = scenario.role_name or f"{scenario.name}-role"  # as the demo provisions it
        ev.config = FunctionConfig(
            name=scenario.name,
            runtime=scenario.runtime,
            memory_mb=scenario.memory_mb,
            timeout_s=float(scenario.timeout_s),
            log_format=scenario.log_format.value,
            snapstart=scenario.snapstart,
            reserved_concurrency=scenario.reserved_concurrency,
            handler=scenario.handler,
            role_arn=f"arn:aws:iam::123456789012:role/{role}",
        )
        made.append(
            Report(
                f"simulated {scenario.name}",
                diagnose(ev, Thresholds()).checks,
                [event.message for event in exported.events],
                evidence=ev,
            )
        )
    return made


def _commands() -> Iterator[tuple[str, str, str]]:
    for report in reports():
        for check in report.checks:
            for step in check.steps:
                if step.command:
                    yield report.name, check.id, step.text


def test_there_is_advice_to_check() -> None:
    commands = list(_commands())
    assert len(commands) > 1000
    assert {check for _, check, _ in commands} >= {"timeout", "memory", "permission", "database"}


def test_every_command_parses_against_the_service_model() -> None:
    wrong: dict[tuple[str, str], list[str]] = {}
    for name, check, text in _commands():
        for problem in problems_of_command(text):
            wrong.setdefault((check, problem.split(":")[0][:60]), []).append(
                f"{name}: {text}: {problem}"
            )
    assert not wrong, "\n".join(f"{k}: {len(v)}× e.g. {v[0]}" for k, v in wrong.items())


def test_every_policy_is_valid_with_actions_that_exist() -> None:
    wrong: dict[tuple[str, str], list[str]] = {}
    policies = 0
    for name, check, text in _commands():
        command = split_command(text)
        document = command.options.get("--policy-document")
        if document:
            policies += 1
            for problem in problems_of_policy(document[0]):
                wrong.setdefault((check, problem[:60]), []).append(f"{name}: {problem}")
    assert policies >= 5, "the corpus's and the simulated account's denials each suggest one"
    assert not wrong, "\n".join(f"{k}: {len(v)}× e.g. {v[0]}" for k, v in wrong.items())


def _quoted(check: CheckResult) -> list[str]:
    return [item.removeprefix("› ").rstrip("…") for item in check.evidence if item.startswith("› ")]


def test_every_filter_pattern_matches_a_line_the_evidence_quotes() -> None:
    wrong: dict[tuple[str, str], list[str]] = {}
    tried = 0
    for report in reports():
        for check in report.checks:
            if check.status not in (CheckStatus.WARN, CheckStatus.FAIL):
                continue
            quoted = _quoted(check)
            # The whole lines quoted (a quote is one display line, cut short; a JSON record's
            # leads with its level, error and message).
            whole = [
                line
                for line in report.lines
                if any(one_line(told(line)).startswith(q) for q in quoted)
            ]
            for step in check.steps:
                if not step.command or "--filter-pattern" not in step.text:
                    continue
                tokens = shlex.split(step.text)
                pattern = tokens[tokens.index("--filter-pattern") + 1]
                candidates = whole or quoted or (report.lines if report.complete else [])
                if not candidates:
                    continue
                tried += 1
                if not any(matches(pattern, line) for line in candidates):
                    where = "quoted" if quoted else "read"
                    wrong.setdefault((check.id, f"{pattern} matches no line {where}"), []).append(
                        report.name
                    )
    assert tried > 80
    assert not wrong, "\n".join(f"{k}: {len(v)}× e.g. {v[0]}" for k, v in wrong.items())


@pytest.mark.parametrize(
    ("pattern", "line", "expected"),
    [
        (
            '"Task timed out"',
            "2026-03-02T09:14:55.120Z abc Task timed out after 3.00 seconds",
            True,
        ),
        ('"Task timed out"', "task timed out", False),  # terms are case-sensitive
        ('?"Init Duration" ?"Restore Duration"', "REPORT ... Restore Duration: 3 ms", True),
        ('?"Init Duration" ?"Restore Duration"', "REPORT ... Duration: 3 ms", False),
        ("ERROR -HealthCheck", "ERROR HealthCheck failed", False),
        ("ERROR -HealthCheck", "ERROR payment failed", True),
        (
            '{ $.record.status = "timeout" }',
            '{"type":"platform.report","record":{"status":"timeout"}}',
            True,
        ),
        ('{ $.record.status = "timeout" }', "REPORT status timeout", False),  # not JSON
        (
            "{ $.record.metrics.initDurationMs > 0 || $.x = 1 }",
            '{"record":{"metrics":{"initDurationMs":12.5}}}',
            True,
        ),
        (
            "{ $.record.metrics.initDurationMs > 0 && $.x = 1 }",
            '{"record":{"metrics":{"initDurationMs":12.5}}}',
            False,
        ),
        ('{ $.level = "ERR*" }', '{"level":"ERROR"}', True),
        ("{ ($.a = 1 || $.b = 2) && $.c NOT EXISTS }", '{"b":2}', True),
    ],
)
def test_the_filter_pattern_matcher_reads_cloudwatch_syntax(
    pattern: str, line: str, expected: bool
) -> None:
    assert matches(pattern, line) is expected


@pytest.mark.parametrize(
    ("command", "says"),
    [
        ("aws lambda get-function-configuration --function-name f --region eu-west-1", None),
        ("aws lambda get-function-configuraton --function-name f", "no operation"),
        (
            "aws logs filter-log-events --log-group-name /aws/lambda/f"
            " --start-time 1772442895120 --end-time 1772442895120",
            "empty window",
        ),
        (
            "aws logs start-query --log-group-name g --start-time 1772442895 --end-time 1772442995",
            "needs --query-string",
        ),
        (
            "aws xray get-trace-summaries --start-time 1 --end-time 2"
            " --time-range-type TimeRangeByStartTime",
            "none of",
        ),
        (
            "aws lambda put-function-concurrency --function-name f"
            " --reserved-concurrent-executions -1",
            "outside",
        ),
        ("aws lambda get-function --function-name f --frobnicate", "no option"),
    ],
)
def test_the_command_checker_refuses_what_aws_refuses(command: str, says: str | None) -> None:
    problems = problems_of_command(command, now_ms=1772443000000)
    if says is None:
        assert problems == []
    else:
        assert any(says in problem for problem in problems), problems


def test_the_policy_checker_refuses_actions_no_service_has() -> None:
    def policy(action: object) -> str:
        statement = {"Effect": "Allow", "Action": action, "Resource": "*"}
        return json.dumps({"Version": "2012-10-17", "Statement": [statement]})

    assert problems_of_policy(policy("StatusCode: 403"))
    good = policy(["dynamodb:PutItem", "lambda:InvokeFunction"])
    assert problems_of_policy(good) == []
    assert problems_of_policy(good.replace("PutItem", "PutItems"))


def test_one_timestamped_line_gives_a_window_its_duration_sets() -> None:
    report = (
        "2026-06-01T08:00:30.000Z REPORT RequestId: 5f0c1d2e-3a4b-4c5d-8e9f-0a1b2c3d4e5f\t"
        "Duration: 95000.00 ms\tBilled Duration: 95000 ms\tMemory Size: 512 MB\t"
        "Max Memory Used: 500 MB\n"
    )
    ev = evidence_from_export(
        read_export(report.encode()), function=FUNCTION, region=REGION, since_s=None
    )
    commands = [s.text for c in diagnose(ev, Thresholds()).checks for s in c.steps if s.command]
    windowed = [split_command(text) for text in commands if "--start-time" in text]
    assert windowed
    end_ms = 1780300830000
    for command in windowed:
        start, end = command.options["--start-time"][0], command.options["--end-time"][0]
        assert problems_of_command(command.text) == []
        if start.isdigit() and len(start) >= 13:  # milliseconds: the invocation is inside
            assert int(start) <= end_ms - 95_000 < end_ms <= int(end)
