"""The suggested commands are ones AWS accepts: CloudWatch's data-point limit and retention,
IAM's policy names, placeholders a shell leaves alone, filter patterns that parse."""

from __future__ import annotations

import shlex
import time

from expect import has, run
from lambdalogs import Logs, evidence, py_unhandled

from lambdatop.diagnose.commands import Commands
from lambdatop.diagnose.evidence import Evidence

HOUR_MS = 3_600_000


def _window(start_ms: int | None, end_ms: int | None) -> Evidence:
    ev = evidence(Logs())
    ev.function, ev.region = "orders", "eu-west-1"
    ev.start_ms, ev.end_ms = start_ms, end_ms
    return ev


def _period(ev: Evidence) -> int:
    words = shlex.split(Commands(ev).metric("Errors", ["Sum"]).text)
    return int(words[words.index("--period") + 1])


def test_a_metric_period_keeps_within_1440_data_points_and_cloudwatch_s_retention() -> None:
    now = int(time.time() * 1000)
    assert _period(_window(now - HOUR_MS, now)) == 60
    two_days = _period(_window(now - 48 * HOUR_MS, now))
    assert two_days % 60 == 0
    assert 48 * 3600 / two_days <= 1440
    # older than 15 days: 5-minute data; older than 63 days: hourly data
    assert _period(_window(now - 20 * 24 * HOUR_MS, now - 20 * 24 * HOUR_MS + HOUR_MS)) == 300
    assert _period(_window(now - 90 * 24 * HOUR_MS, now - 90 * 24 * HOUR_MS + HOUR_MS)) == 3600


def test_placeholders_are_quoted_so_a_shell_leaves_them_alone() -> None:
    """`<start>` unquoted is a redirection from a file named start."""
    ev = _window(None, None)
    commands = Commands(ev)
    for step in (
        commands.metric("Errors", ["Sum"]),
        commands.insights("fields @message"),
        commands.traces(),
    ):
        assert "'<" in step.text, step.text
        assert all(not word.startswith("<") for word in step.text.split()), step.text


def test_each_grant_has_its_own_policy_name() -> None:
    """put-role-policy replaces a policy of the same name: a second grant must not remove
    the first."""
    commands = Commands(_window(None, None))
    s3 = commands.allow([{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}])
    ddb = commands.allow([{"Effect": "Allow", "Action": "dynamodb:PutItem", "Resource": "*"}])
    names = [
        shlex.split(step.text)[shlex.split(step.text).index("--policy-name") + 1]
        for step in (s3, ddb)
    ]
    assert names == ["lambdatop-allow-s3-GetObject", "lambdatop-allow-dynamodb-PutItem"]


def test_an_error_type_with_a_quote_makes_a_filter_pattern_that_parses() -> None:
    logs = Logs()
    logs.healthy(10)
    env = logs.stream()
    for _ in range(10):
        logs.invoke(
            env, app=[py_unhandled('My"Weird', "boom")], status="error", error_type='My"Weird'
        )
    result = run(evidence(logs), "invocation_errors")
    patterns = [
        shlex.split(c)[shlex.split(c).index("--filter-pattern") + 1]
        for c in result.commands
        if "--filter-pattern" in c
    ]
    assert patterns
    for pattern in patterns:
        assert pattern.count('"') - pattern.count('\\"') in (0, 2), pattern
    has(result.commands, "--filter-pattern '\"Weird\"'")
