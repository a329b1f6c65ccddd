"""Several profiles and regions as one fleet (issue 15, item 3): real aiobotocore over HTTP to one
moto holding two accounts and two regions (awscontexts.py), the merged fleet and the switch key
through Pilot, and the `lambdatop` command as a subprocess."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from awscontexts import (
    EAST,
    EAST_CHECKOUT,
    EAST_LINE,
    INVOICES,
    SOURCE_LINE,
    STAGING_ACCOUNT,
    WEST,
    WEST_CHECKOUT,
    WEST_LINE,
    fleet_over,
    seed,
)
from awsfakes import until
from awslinked import CrossAccountDouble
from awsmoto import ACCOUNT, MotoAccount

from lambdatop.aws.monitor import Monitor
from lambdatop.aws.session import Aws, AwsTarget
from lambdatop.core import metrics as m
from lambdatop.core.fleet import FleetStore, function_key
from lambdatop.core.sources import Context, ErrorKind

LAMBDATOP = [sys.executable, "-m", "lambdatop"]


async def test_profiles_by_regions_are_one_fleet_and_same_names_never_mix(
    moto: MotoAccount, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed(moto, tmp_path, monkeypatch)
    fleet, backend = fleet_over(moto, [("prod", EAST), ("prod", WEST), ("staging", WEST)])
    backend.start()
    try:
        await until(
            lambda: fleet.inventory_complete and len(fleet.inventory) == 3,
            what="every context's functions",
        )
        assert set(fleet.inventory) == {EAST_CHECKOUT, WEST_CHECKOUT, INVOICES}
        assert fleet.inventory[EAST_CHECKOUT].memory_mb == 128
        assert fleet.inventory[WEST_CHECKOUT].memory_mb == 1024
        backend.set_focus(WEST_CHECKOUT)
        west = fleet.function(WEST_CHECKOUT)
        await until(lambda: west.tail_total >= 1, what="the eu-west-1 checkout's log")
        assert [record.line.text for record in west.tail] == [WEST_LINE]
        assert fleet.function(EAST_CHECKOUT).tail_total == 0, "the other region's is not read"
        # Each context is its own session, counted apart; the status line shows their sum.
        calls = [context.api_calls for context in fleet.contexts]
        assert all(count > 0 for count in calls)
        assert fleet.api_calls == sum(calls)
        assert [str(context.context) for context in fleet.contexts] == [
            f"prod/{EAST}",
            f"prod/{WEST}",
            f"staging/{WEST}",
        ]
        assert [context.account for context in fleet.contexts] == [
            ACCOUNT,
            ACCOUNT,
            STAGING_ACCOUNT,
        ]
    finally:
        await backend.stop()


async def test_an_expired_sso_login_in_one_profile_never_stops_the_others(
    moto: MotoAccount, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from uitools import screen_text, wait_until

    from lambdatop.ui.app import LambdatopApp

    seed(moto, tmp_path, monkeypatch)
    fleet, backend = fleet_over(moto, [("expired", WEST), ("prod", WEST)])
    app = LambdatopApp(fleet, backend, refresh_s=0.5)
    backend.app = app
    async with app.run_test(size=(180, 40)) as pilot:
        await wait_until(pilot, lambda: WEST_CHECKOUT in fleet.inventory and fleet.troubles())
        # Listed once the working context has listed and the expired one has failed to.
        await wait_until(
            pilot, lambda: "1 functions" in screen_text(app) and "listing" not in screen_text(app)
        )
        assert "all 2 contexts, 1 cut off" in screen_text(app)
        (trouble,) = {t.error for t in fleet.troubles() if t.error_kind is ErrorKind.CREDENTIALS}
        assert trouble is not None
        assert trouble.startswith(f"expired/{WEST}: ")
        assert trouble.endswith("the SSO session expired: run `aws sso login --profile expired`")
        shown = screen_text(app)
        assert f"expired/{WEST}: " in shown, "the banner names the context"
        assert "checkout" in shown, "the working context's row"
        _expired, prod = fleet.contexts
        assert prod.troubles() == []
        await pilot.press("x", "x")  # prod alone: no banner of another's trouble
        await wait_until(pilot, lambda: f"context prod/{WEST} (2/2" in screen_text(app))
        assert f"expired/{WEST}: " not in screen_text(app)
        await pilot.press("q")
    assert backend.error is None


async def test_the_merged_fleet_its_switch_key_and_opening_the_right_same_named_function(
    moto: MotoAccount, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from textual.widgets import DataTable
    from uitools import screen_text, wait_until

    from lambdatop.ui.app import LambdatopApp

    seed(moto, tmp_path, monkeypatch)
    fleet, backend = fleet_over(moto, [("prod", EAST), ("prod", WEST), ("staging", WEST)])
    app = LambdatopApp(fleet, backend, refresh_s=0.5)
    backend.app = app
    async with app.run_test(size=(180, 40)) as pilot:
        table = app.fleet_screen.query_one("#fleet", DataTable)
        await wait_until(pilot, lambda: table.row_count == 3 and fleet.inventory_complete)

        def checkout_rows() -> list[str]:
            return [line for line in screen_text(app).splitlines() if "checkout" in line]

        # Each row's region and account are drawn once its context's listing is in: wait for
        # both checkouts' (reading the screen as soon as `invoices` showed raced the second).
        await wait_until(
            pilot,
            lambda: (
                "all 3 contexts" in screen_text(app)
                and "invoices" in screen_text(app)
                and any(EAST in row and ACCOUNT in row for row in checkout_rows())
            ),
        )
        rows = checkout_rows()
        assert len(rows) == 2
        assert any(EAST in row and ACCOUNT in row for row in rows)
        assert any(WEST in row and ACCOUNT in row for row in rows)
        invoices = next(line for line in screen_text(app).splitlines() if "invoices" in line)
        assert WEST in invoices
        assert STAGING_ACCOUNT in invoices

        await pilot.press("x")  # the first context alone: prod in us-east-1
        await wait_until(pilot, lambda: f"context prod/{EAST} (1/3" in screen_text(app))
        assert table.row_count == 1
        await pilot.press("x")  # prod in eu-west-1
        await wait_until(pilot, lambda: f"context prod/{WEST} (2/3" in screen_text(app))
        assert table.row_count == 1
        await pilot.press("enter")  # its one row: the eu-west-1 checkout
        await wait_until(pilot, lambda: WEST_LINE in screen_text(app))
        assert app.incident_screen.function == WEST_CHECKOUT
        shown = screen_text(app)
        assert "1024 MB" in shown
        assert EAST_LINE not in shown
        await pilot.press("escape", "x", "x")  # staging alone, then all merged again
        await wait_until(pilot, lambda: "all 3 contexts" in screen_text(app))
        assert table.row_count == 3
        await pilot.press("q")


def test_a_profile_that_does_not_exist_among_several_is_one_line_and_exit_2(
    moto: MotoAccount, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed(moto, tmp_path, monkeypatch)
    result = subprocess.run(
        [*LAMBDATOP, "--profile", "prod", "--profile", "nosuch", "--region", WEST],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("lambdatop: ")
    assert "nosuch" in line


async def test_a_monitoring_account_reads_its_source_accounts_functions_logs_and_metrics(
    moto: MotoAccount, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """CloudWatch cross-account observability: prod (the monitoring account) lists its own
    checkout by ListFunctions and staging's checkout by its log group; the two never mix."""
    staging_key = seed(moto, tmp_path, monkeypatch)
    fleet = FleetStore()
    prod = fleet.add_context(Context("prod", WEST))
    aws = Aws(AwsTarget("prod", WEST, moto.url), buckets={}, max_attempts=1)
    # A log group a page: the source account's is on DescribeLogGroups' second page.
    double = CrossAccountDouble(
        moto.url, WEST, ACCOUNT, {STAGING_ACCOUNT: staging_key}, groups_page=1
    )
    await double.install(aws)
    monitor = Monitor(aws, prod, linked_accounts=True)
    monitor.start()
    source_checkout = function_key("checkout", WEST, STAGING_ACCOUNT)
    try:
        await until(
            lambda: {WEST_CHECKOUT, source_checkout} <= set(fleet.inventory),
            what="the own and the source account's checkout",
        )
        assert double.linked_listings >= 2, "every page of the log groups"
        assert INVOICES not in fleet.inventory, "a source account's function without logs"
        # The monitoring account's own log group is its own function's, not a source's.
        assert len(fleet.inventory) == 2
        home = fleet.locate(source_checkout)
        assert home is not None
        monitor.set_focus(home[1])
        source = fleet.function(source_checkout)
        await until(lambda: source.tail_total >= 1, what="the source account's log")
        assert [record.line.text for record in source.tail] == [SOURCE_LINE]
        await until(
            lambda: (
                sum(source.metrics[m.INVOCATIONS].points.values()) == 21.0
                if m.INVOCATIONS in source.metrics
                else False
            ),
            what="the source account's metrics",
        )
        monitor.set_focus("checkout")
        own = fleet.function(WEST_CHECKOUT)
        await until(lambda: own.tail_total >= 1, what="the monitoring account's own log")
        assert [record.line.text for record in own.tail] == [WEST_LINE]
        assert fleet.troubles() == []
    finally:
        await monitor.stop()


def test_the_command_in_a_terminal_watches_every_profile_in_every_region(
    moto: MotoAccount, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`lambdatop --profile prod --profile staging --region … --region …`, as typed, on a
    pseudo-terminal: four contexts, one fleet, quit with q."""
    from ptyterm import drain, plain, read_until, spawn, wait

    seed(moto, tmp_path, monkeypatch)
    env = {k: v for k, v in os.environ.items() if not k.startswith("LAMBDATOP_")}
    env.update(XDG_CONFIG_HOME=str(tmp_path), TERM="xterm-256color", COLUMNS="160", LINES="40")
    contexts = ["--profile", "prod", "--profile", "staging", "--region", EAST, "--region", WEST]
    pid, fd = spawn([*contexts, "--endpoint-url", moto.url], env)
    deadline = time.monotonic() + 60
    try:
        drawn = read_until(fd, b"all 4 contexts", deadline)
        drawn = read_until(fd, b"invoices", deadline, seen=drawn)
        drawn = read_until(fd, STAGING_ACCOUNT.encode(), deadline, seen=drawn)
        os.write(fd, b"q")
        rest = drain(fd, deadline)
        assert "Traceback" not in plain(drawn + rest)
        assert wait(pid, deadline) == 0
    finally:
        with contextlib.suppress(ProcessLookupError, ChildProcessError):
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        os.close(fd)


def test_a_function_named_at_start_with_several_contexts_is_one_line_and_exit_2(
    moto: MotoAccount, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed(moto, tmp_path, monkeypatch)
    result = subprocess.run(
        [*LAMBDATOP, "checkout", "--profile", "prod", "--region", EAST, "--region", WEST],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    (line,) = result.stderr.strip().splitlines()
    assert "open it from the fleet" in line


def diagnose_in_fleet(
    moto: MotoAccount, tmp_path: Path, function: str, *flags: str
) -> subprocess.CompletedProcess[str]:
    """`lambdatop diagnose FUNCTION` with the config file's fleet: prod and staging, both
    regions."""
    config = tmp_path / "lambdatop.toml"
    config.write_text(f'profiles = ["prod", "staging"]\nregions = ["{EAST}", "{WEST}"]\n')
    return subprocess.run(
        [*LAMBDATOP, "diagnose", function, "--format", "json", "--endpoint-url", moto.url, *flags],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "LAMBDATOP_CONFIG": str(config), "AWS_MAX_ATTEMPTS": "1"},
    )


def test_diagnose_finds_the_one_context_of_the_fleet_that_has_the_function(
    moto: MotoAccount, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed(moto, tmp_path, monkeypatch)
    result = diagnose_in_fleet(moto, tmp_path, "invoices")
    assert result.returncode in (0, 1), result.stderr
    assert json.loads(result.stdout)["function"] == "invoices"


def test_diagnose_says_in_one_line_which_contexts_share_an_ambiguous_name(
    moto: MotoAccount, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed(moto, tmp_path, monkeypatch)
    result = diagnose_in_fleet(moto, tmp_path, "checkout")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert f"in 2 contexts (prod/{EAST}, prod/{WEST})" in line
    assert "--profile and --region" in line
    named = diagnose_in_fleet(moto, tmp_path, "checkout", "--profile", "prod", "--region", WEST)
    assert named.returncode in (0, 1), named.stderr
    assert json.loads(named.stdout)["function"] == "checkout"


def test_an_expired_sso_login_is_one_line_naming_the_command_to_run(
    moto: MotoAccount, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The AWS CLI user guide: `aws sso login --profile NAME` signs in again when the session
    expired; `diagnose` says exactly that command, for the profile it was given, in one line."""
    seed(moto, tmp_path, monkeypatch)
    env = {**os.environ, "AWS_MAX_ATTEMPTS": "1", "LAMBDATOP_CONFIG": str(tmp_path / "none.toml")}
    command = [*LAMBDATOP, "diagnose", "checkout", "--region", WEST, "--endpoint-url", moto.url]
    # Named by the flag, or by AWS_PROFILE as the AWS CLI reads it.
    for argv, environment in (
        ([*command, "--profile", "expired"], env),
        (command, {**env, "AWS_PROFILE": "expired"}),
    ):
        result = subprocess.run(argv, capture_output=True, text=True, timeout=60, env=environment)
        assert result.returncode == 2
        assert "Traceback" not in result.stderr
        (line,) = result.stderr.strip().splitlines()
        assert line.startswith("lambdatop: ")
        assert line.endswith("the SSO session expired: run `aws sso login --profile expired`")
