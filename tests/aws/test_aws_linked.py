"""A source account's function seen from a CloudWatch cross-account monitoring account (issue 15,
item 3): its X-Ray traces read where its link shares them, and what the monitoring account
cannot read (its configuration) said to be unknown, never a default. Real aiobotocore over HTTP
to moto holding both accounts (awscontexts.py), the cross-account calls answered as AWS
documents them (awslinked.py)."""

from __future__ import annotations

from pathlib import Path

import awsseed
import pytest
from awscontexts import STAGING_ACCOUNT, WEST, AccountIn, seed
from awsfakes import until
from awslinked import CrossAccountDouble
from awsmoto import ACCOUNT, MotoAccount

from lambdatop.aws.monitor import Monitor
from lambdatop.aws.session import Aws, AwsTarget
from lambdatop.core.fleet import FleetStore, function_key, linked_name
from lambdatop.core.sources import Context, SourceKey
from lambdatop.diagnose.engine import diagnose
from lambdatop.diagnose.evidence import from_state
from lambdatop.diagnose.model import CheckStatus

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
        assert double.expressions[0].startswith(
            f'service(id(name: "checkout", account.id: "{STAGING_ACCOUNT}")) AND (error'
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
    prod.set_linked([linked_config(WEST, "aws", "checkout", STAGING_ACCOUNT)])
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
