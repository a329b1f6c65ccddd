"""A source account's function seen from a CloudWatch cross-account monitoring account (issue 15,
item 3): its X-Ray traces read where its link shares them, and what the monitoring account
cannot read (its configuration) said to be unknown, never a default. Real aiobotocore over HTTP
to moto holding both accounts (awscontexts.py), the cross-account calls answered as AWS
documents them (awslinked.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import awsseed
import pytest
from awscontexts import SOURCE_LINE, STAGING_ACCOUNT, WEST, AccountIn, seed
from awsfakes import hook, response, until
from awslinked import CrossAccountDouble
from awsmoto import ACCOUNT, MotoAccount

from lambdatop.aws.fetch import InsightsChoice, InsightsMode, fetch_window
from lambdatop.aws.monitor import Monitor
from lambdatop.aws.session import Aws, AwsTarget
from lambdatop.commands.live import report_of
from lambdatop.core import metrics as m
from lambdatop.core.fleet import FleetStore, function_key, linked_name
from lambdatop.core.sources import Context, SourceKey
from lambdatop.diagnose.engine import diagnose
from lambdatop.diagnose.evidence import from_state
from lambdatop.diagnose.model import CheckStatus
from lambdatop.diagnose.thresholds import Thresholds

SOURCE_CHECKOUT = function_key("checkout", WEST, STAGING_ACCOUNT)
LINKED = linked_name("checkout", STAGING_ACCOUNT)


async def _watching(
    moto: MotoAccount, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, shared: set[str]
) -> tuple[FleetStore, Monitor, CrossAccountDouble, str]:
    """prod, the monitoring account, watching staging's checkout; the id of the failed trace
    staging's checkout sent."""
    staging_key = seed(moto, tmp_path, monkeypatch)
    failed = awsseed.trace(AccountIn(moto.url, WEST, staging_key), "checkout", fault=True)
    fleet = FleetStore()
    prod = fleet.add_context(Context("prod", WEST))
    aws = Aws(AwsTarget("prod", WEST, moto.url), buckets={}, max_attempts=1)
    double = CrossAccountDouble(
        moto.url, WEST, ACCOUNT, {STAGING_ACCOUNT: staging_key}, traces_shared=shared
    )
    await double.install(aws)
    monitor = Monitor(aws, prod, linked_accounts=True)
    monitor.start()
    await until(lambda: SOURCE_CHECKOUT in fleet.inventory, what="the source account's checkout")
    monitor.set_focus(LINKED)
    return fleet, monitor, double, failed


async def test_a_source_account_s_failed_traces_are_read_where_its_link_shares_them(
    moto: MotoAccount, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fleet, monitor, double, failed = await _watching(
        moto, tmp_path, monkeypatch, shared={STAGING_ACCOUNT}
    )
    try:
        source = fleet.function(SOURCE_CHECKOUT)
        await until(lambda: source.traces_read, what="the source account's traces")
        assert list(source.traces) == [failed]
        assert source.traces[failed].fault
        # Asked by its bare name in its own account, failures only, as X-Ray filters them.
        node = f'name: "checkout", type: "AWS::Lambda::Function", account.id: "{STAGING_ACCOUNT}"'
        assert f"service(id({node}))" in double.expressions[0]
        assert double.expressions[0].endswith(
            "AND (error = true OR fault = true OR throttle = true)"
        )
    finally:
        await monitor.stop()


async def test_a_source_account_whose_link_shares_no_traces_is_not_asked_and_says_so(
    moto: MotoAccount, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fleet, monitor, double, _ = await _watching(moto, tmp_path, monkeypatch, shared=set())
    try:
        source = fleet.function(SOURCE_CHECKOUT)
        await until(lambda: source.tail_total >= 1, what="the source account's log")
        assert SourceKey.traces(LINKED) not in monitor.alive()
        assert double.expressions == [], "its traces are not in the monitoring account"
        context, name = fleet.locate(SOURCE_CHECKOUT) or (None, "")
        assert context is not None
        evidence = from_state(
            context.function(name), context, start_ms=0, end_ms=2**42, logs_read=True
        )
        checks = {check.id: check for check in diagnose(evidence).checks}
        # Nothing read is taken for a default: no "not in a VPC", no tracing "off".
        assert evidence.config is None
        assert evidence.function == "checkout"
        assert evidence.log_group.startswith(f"arn:aws:logs:{WEST}:{STAGING_ACCOUNT}:log-group:")
        assert checks["traces"].status is CheckStatus.UNKNOWN
        assert "not in a VPC" not in checks["vpc"].title, "its VPC is not known"
    finally:
        await monitor.stop()


@pytest.mark.parametrize("shared", [False, True])
async def test_the_incident_title_says_the_configuration_is_not_readable_not_no_vpc(
    tmp_path: Path, shared: bool
) -> None:
    from uifakes import RecordingBackend
    from uitools import screen_text, settle

    from lambdatop.aws.pollers.linked import linked_config
    from lambdatop.ui.app import LambdatopApp

    fleet = FleetStore()
    prod = fleet.add_context(Context("prod", WEST))
    prod.account = ACCOUNT
    prod.trace_accounts = {STAGING_ACCOUNT} if shared else set()
    prod.set_linked([linked_config(WEST, "checkout", STAGING_ACCOUNT)])
    app = LambdatopApp(
        fleet,
        RecordingBackend(fleet),
        functions=[SOURCE_CHECKOUT],
        snapshot_dir=tmp_path,
        refresh_s=2.0,
    )
    async with app.run_test(size=(200, 45)) as pilot:
        await settle(pilot)
        text = screen_text(app)
        assert "configuration not readable from the monitoring account" in text
        assert "no VPC" not in text
        assert "timeout ?" not in text, "not a figure missing: the whole configuration"
        assert ("traces not shared with it" in text) is not shared


async def _monitoring(
    moto: MotoAccount, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, shared: set[str]
) -> tuple[Aws, str]:
    """prod's session as the monitoring account of staging; staging's failed trace's id."""
    staging_key = seed(moto, tmp_path, monkeypatch)
    failed = awsseed.trace(AccountIn(moto.url, WEST, staging_key), "checkout", fault=True)
    aws = Aws(AwsTarget("prod", WEST, moto.url), buckets={}, max_attempts=1)
    double = CrossAccountDouble(
        moto.url, WEST, ACCOUNT, {STAGING_ACCOUNT: staging_key}, traces_shared=shared
    )
    await double.install(aws)
    return aws, failed


@pytest.mark.parametrize("shared", [True, False])
async def test_diagnose_reads_a_source_account_s_function_through_the_monitoring_account(
    moto: MotoAccount, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, shared: bool
) -> None:
    """What `lambdatop diagnose checkout@210987654321` reads: the shared log group by ARN, the
    metrics by AccountId, the traces where shared; the configuration said to be unknown."""
    aws, failed = await _monitoring(
        moto, tmp_path, monkeypatch, {STAGING_ACCOUNT} if shared else set()
    )
    try:
        fetched = await fetch_window(aws, LINKED, 3600.0)
    finally:
        await aws.close()
    diagnosis, notes = report_of(fetched, Thresholds())
    assert [record.line.text for record in fetched.state.tail] == [SOURCE_LINE]
    assert sum(fetched.state.metrics[m.INVOCATIONS].points.values()) == 21.0
    assert any("not readable from the monitoring account" in note for note in notes)
    assert aws.ledger.calls["lambda.GetFunctionConfiguration"] == 0, "not the monitoring's own"
    assert diagnosis.function == "checkout"
    checks = {check.id: check for check in diagnosis.checks}
    assert "not in a VPC" not in checks["vpc"].title
    # The commands it suggests read the shared group from the monitoring account, by ARN.
    steps = [step for check in diagnosis.checks for step in check.next_steps]
    group = f"arn:aws:logs:{WEST}:{STAGING_ACCOUNT}:log-group:/aws/lambda/checkout"
    assert f"--log-group-identifier {group}" in " ".join(steps)
    assert not [step for step in steps if f"--log-group-name {group}" in step]
    # Lambda's commands name it by its ARN: the monitoring account has a checkout of its own.
    arn = f"arn:aws:lambda:{WEST}:{STAGING_ACCOUNT}:function:checkout"
    lambda_steps = [step for step in steps if "--function-name" in step]
    assert lambda_steps
    assert all(f"--function-name {arn}" in step for step in lambda_steps), lambda_steps
    if shared:
        assert list(fetched.state.traces) == [failed]
        assert checks["traces"].status is not CheckStatus.UNKNOWN
    else:
        assert not fetched.state.traces_read
        assert checks["traces"].status is CheckStatus.UNKNOWN
        assert any("does not share its traces" in note for note in notes)


async def test_tail_reads_a_source_account_s_log_group_by_its_arn(
    moto: MotoAccount, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from lambdatop.aws.pollers.logs import LogTail
    from lambdatop.commands.tail import _log_group

    aws, _ = await _monitoring(moto, tmp_path, monkeypatch, set())
    try:
        group = await _log_group(aws, LINKED)
        assert group == f"arn:aws:logs:{WEST}:{STAGING_ACCOUNT}:log-group:/aws/lambda/checkout"
        events = await LogTail(aws, group, 0).poll()
        assert [event.message for event in events] == [SOURCE_LINE]
        # The monitoring account's own checkout, by its own name, is another function.
        assert await _log_group(aws, linked_name("checkout", ACCOUNT)) == "/aws/lambda/checkout"
    finally:
        await aws.close()


@pytest.mark.parametrize(
    ("command", "named"),
    [
        (["diagnose", "nosuch@210987654321"], []),
        (
            ["diagnose", f"arn:aws:lambda:{WEST}:210987654321:function:nosuch"],
            ["--linked-accounts"],
        ),
    ],
)
def test_the_commands_take_a_source_account_s_function_by_name_at_account_or_arn(
    moto: MotoAccount,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    command: list[str],
    named: list[str],
) -> None:
    """Parsed and resolved by the real command: a source account's function is looked for in
    the monitoring account's shared log groups (moto has none: said in one line, exit 2), not
    as one of the monitoring account's own functions."""
    seed(moto, tmp_path, monkeypatch)
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "lambdatop",
            *command,
            *named,
            "--profile",
            "prod",
            "--region",
            WEST,
            "--endpoint-url",
            moto.url,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "AWS_MAX_ATTEMPTS": "1"},
    )
    assert result.returncode == 2, result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert line == (
        "lambdatop: no log group of nosuch@210987654321 is shared with these credentials"
        f" (arn:aws:logs:{WEST}:210987654321:log-group:/aws/lambda/nosuch): account 210987654321"
        " is neither theirs nor a source account linked to theirs, or nosuch never logged"
    )


def test_help_says_how_to_name_a_source_account_s_function() -> None:
    from lambdatop.cli import diagnose_parser, tail_parser

    for parser in (diagnose_parser(), tail_parser()):
        text = parser.format_help()
        assert "NAME@ACCOUNT" in text
        assert "--linked-accounts" in text


async def test_diagnose_counts_a_source_account_s_window_with_insights_by_its_group_arn(
    moto: MotoAccount, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A source account's window too big to download is counted by Logs Insights as its own
    are: StartQuery names the shared group by its ARN (moto links no accounts: the queries are
    read, and answered, on the wire)."""
    aws, _ = await _monitoring(moto, tmp_path, monkeypatch, set())
    started: list[dict[str, Any]] = []

    def start(request: Any = None, **_: Any) -> Any:
        started.append(json.loads(request.body))
        return response(200, {"queryId": f"q{len(started)}"})

    def results(request: Any = None, **_: Any) -> Any:
        statistics = {"bytesScanned": 1024.0, "recordsMatched": 0.0, "recordsScanned": 1.0}
        return response(200, {"status": "Complete", "results": [], "statistics": statistics})

    await hook(aws, "logs", "before-send.cloudwatch-logs.StartQuery", start)
    await hook(aws, "logs", "before-send.cloudwatch-logs.GetQueryResults", results)
    try:
        await fetch_window(aws, LINKED, 3600.0, insights=InsightsChoice(InsightsMode.ALWAYS))
    finally:
        await aws.close()
    group = f"arn:aws:logs:{WEST}:{STAGING_ACCOUNT}:log-group:/aws/lambda/checkout"
    assert started, "the window was counted"
    assert all(query["logGroupIdentifiers"] == [group] for query in started)
    assert not [query for query in started if "logGroupNames" in query]
