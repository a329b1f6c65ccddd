"""lambdatop against the test double that behaves as AWS documents (awsdouble.py), not as moto
does: DescribeLogStreams eventually consistent, every list in pages of two, percentiles answered,
the per-account quotas enforced. The tail, the monitor and the live `diagnose` read run on it."""

from __future__ import annotations

import random
import time
from typing import Any

import awsseed
import pytest
from awsdouble import AwsDouble, ExpiringCredentials, Pages
from awsfakes import FakeClock, until
from awsmoto import MotoAccount
from tailsim import GROUP, Simulation

from lambdatop.aws.errors import describe
from lambdatop.aws.fetch import fetch_window
from lambdatop.aws.monitor import Monitor
from lambdatop.aws.pacing import make_buckets
from lambdatop.aws.pollers.inventory import api_routes, list_functions
from lambdatop.aws.pollers.logs import LogTail
from lambdatop.aws.session import Aws, AwsTarget
from lambdatop.core import metrics as m
from lambdatop.core.store import Store


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(float(int(time.time())))


async def test_tail_stays_live_and_exact_with_metadata_ten_minutes_stale(
    moto: MotoAccount, aws: Aws, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The busy group of the tail tests, smaller, with DescribeLogStreams 10 min behind (new
    streams carry no metadata at all) and 60 older streams in the group."""
    simulation = Simulation(
        moto,
        aws,
        clock,
        rate=100.0,
        write_s=20,
        late_s=(4.0, 14.0),
        outage=(0, 0),
        older_streams=30,
        stale_s=600.0,
    )
    simulation.patch_moto_clock(monkeypatch)
    simulation.create()
    tail = LogTail(aws, GROUP, simulation.tail_start_ms, clock=clock)
    figures = await simulation.run(tail)
    print(f"\ntail, metadata 10 min stale: {figures.line()}")
    assert figures.events > 2_000
    assert (figures.missing, figures.duplicates, figures.unexpected) == (0, 0, 0)
    assert figures.delivered == figures.events
    # Live without metadata: most events show the poll after they land.
    assert figures.within_one_poll >= 0.8, figures.summary()
    assert figures.reads_per_second <= 2.5, figures.summary()


def seed_account(moto: MotoAccount) -> str:
    """Three functions (two pages of ListFunctions), one of them traced, with an API, three event
    sources (two pages), metrics and logs."""
    arn = awsseed.function(moto, "checkout", timeout_s=30, tracing="Active")["FunctionArn"]
    for name in ("billing", "orders"):
        awsseed.function(moto, name)
    awsseed.reserve(moto, "checkout", 50)
    awsseed.rest_api(moto, arn)
    awsseed.kinesis_mapping(moto, "checkout", "orders")
    awsseed.kinesis_mapping(moto, "checkout", "payments")
    awsseed.kinesis_mapping(moto, "checkout", "refunds")
    awsseed.seed_lambda_series(moto, "checkout")
    failed = awsseed.trace(moto, "checkout", fault=True)
    awsseed.invocations(
        moto,
        "checkout",
        20,
        durations_ms=(50, 200),
        memory_mb=128,
        used_mb=(60, 80),
        since_s=600,
        trace_ids=[failed],
    )
    return failed


async def test_every_page_of_the_lists_is_followed(moto: MotoAccount, aws: Aws) -> None:
    for name in ("checkout", "billing", "orders", "search", "thumbnails"):
        awsseed.function(moto, name)
    pages = Pages(size=2)
    double = AwsDouble(time.time)
    double.pages = pages
    await double.install(aws)
    names = {config.name for config in await list_functions(aws)}
    assert names == {"checkout", "billing", "orders", "search", "thumbnails"}
    assert pages.pages["ListFunctions"] == 3


async def test_every_page_of_the_api_gateway_lists_is_followed(moto: MotoAccount, aws: Aws) -> None:
    """An API behind the function on the second page of GetRestApis or GetApis is still the
    function's API (its 29 s limit and 5XX metrics): lists answer in pages of two here."""
    arns = {name: awsseed.function(moto, name)["FunctionArn"] for name in ("a", "b", "c")}
    for name, arn in arns.items():
        awsseed.rest_api(moto, arn, name=f"rest-{name}")
        awsseed.http_api(moto, arn, name=f"http-{name}")
    pages = Pages(size=2)
    double = AwsDouble(time.time)
    double.pages = pages
    await double.install(aws)
    routes = await api_routes(aws)
    for name, arn in arns.items():
        assert {route.name for route in routes[arn]} == {f"rest-{name}", f"http-{name}"}
    assert pages.pages["GetRestApis"] == 2
    assert pages.pages["GetApis"] == 2


async def test_live_diagnose_read_against_the_double(moto: MotoAccount, aws: Aws) -> None:
    """What `lambdatop diagnose FUNCTION` reads: every event source across pages, percentiles
    from CloudWatch as AWS computes them, the logs through the tail."""
    failed = seed_account(moto)
    # CloudWatch pages a long answer (PartialData and a NextToken): 2 datapoints a page here,
    # so every three-minute series spans two pages.
    double = AwsDouble(time.time, metric_datapoints=2)
    await double.install(aws)
    fetched = await fetch_window(aws, "checkout", 3600)
    state = fetched.state
    # The failed trace as X-Ray summarises it: root cause, HTTP status, times (moto: none).
    trace = state.traces[failed]
    assert trace.root_cause == (
        "checkout: DynamoDB: ProvisionedThroughputExceededException slow down"
    )
    assert trace.http_status == 502
    assert (trace.duration_s, trace.response_time_s) == (1.5, 1.5)
    assert len(state.event_sources) == 3
    assert state.tail_total == 60
    # Duration seeded one datum a minute (SampleCount 1): its percentiles are those values.
    assert sorted(state.metrics[m.DURATION_P99].points.values()) == [95.0, 120.0, 340.0]
    assert double.percentiles.answered >= 1
    assert double.metric_pages.partial >= 1, "the metrics came in more than one page"
    assert sorted(state.metrics[m.INVOCATIONS].points.values()) == [10.0, 20.0, 30.0]
    assert "duration percentiles unavailable from CloudWatch" not in fetched.notes
    assert not double.quotas.throttled


async def test_monitor_inside_the_quotas_with_pages_and_percentiles(
    moto: MotoAccount, clock: FakeClock
) -> None:
    """The monitor with its own pacing never trips a documented quota, follows every page and
    shows percentiles; no banner."""
    seed_account(moto)
    aws = Aws(moto.target(), buckets=make_buckets(), max_attempts=1)
    double = AwsDouble(clock)
    await double.install(aws)
    monitor = Monitor(aws, Store(clock=clock), clock=clock, rng=random.Random(7))
    try:
        monitor.start()
        monitor.set_focus("checkout")
        store = monitor.store
        state = store.function("checkout")

        def filled() -> bool:
            return (
                {"checkout", "billing", "orders"} <= set(store.inventory)
                and len(state.event_sources or ()) == 3
                and state.tail_total >= 60
                and bool(state.metrics.get(m.DURATION_P99))
                and bool(state.metrics[m.DURATION_P99].points)
            )

        await until(filled, what="the monitor to read everything through the double")
        assert store.banner(clock()) is None
        assert not [h.name for h in store.troubles(include_optional=True)]
        assert not double.quotas.throttled, double.quotas.throttled
    finally:
        await monitor.stop()
        await aws.close()


async def test_quota_exceeded_is_throttled_and_the_tail_recovers(
    moto: MotoAccount, aws: Aws, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With no pacing of its own and the account's quota mostly taken by other callers,
    FilterLogEvents is throttled as AWS would: the poll fails, and the next one catches up."""
    simulation = Simulation(moto, aws, clock, rate=50.0, write_s=10, outage=(0, 0))
    simulation.patch_moto_clock(monkeypatch)
    simulation.create()
    wall = FakeClock(0.0)
    double = AwsDouble(clock, quota_clock=wall, quota_share=0.4)  # 2 a second left for us
    await double.install(aws)
    tail = LogTail(aws, GROUP, simulation.tail_start_ms, clock=clock)
    delivered: list[str] = []
    failures: list[Any] = []
    for second in range(30):
        clock.now = simulation.t0_ms / 1000 + second
        wall.now = second / 4  # four polls in a wall-clock second: over the quota
        simulation.ship(second)
        try:
            delivered += [e.message.split(" ", 1)[0] for e in await tail.poll()]
        except Exception as problem:  # noqa: BLE001 - the throttling under test
            failures.append(problem)
    assert double.quotas.throttled["FilterLogEvents"] > 0
    assert failures
    assert all("Throttling" in type(f).__name__ or "Rate exceeded" in str(f) for f in failures)
    double.quotas.share = 1.0  # the other callers are gone; one poll a wall-clock second
    for second in range(30, 90):
        clock.now = simulation.t0_ms / 1000 + second
        wall.now = 8 + second
        delivered += [e.message.split(" ", 1)[0] for e in await tail.poll()]
    assert sorted(delivered) == sorted(simulation.expected)


async def test_credentials_renewed_mid_session_and_after_signing_in_again(
    moto: MotoAccount, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Temporary credentials from a credential_process, each set inside botocore's ten-minute
    renewal window (so renewed at every call, as a long session renews them when they near
    expiry): the tail keeps reading with each new set; when the process fails (the SSO session
    expired) the poll fails on credentials, and after signing in again the tail catches up,
    every event once."""
    credentials = ExpiringCredentials(tmp_path / "aws", lifetime_s=590)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(credentials.config))
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    group = "/aws/lambda/checkout"
    now_ms = int(time.time() * 1000)
    awsseed.log_events(moto, group, "s1", [(now_ms - 5_000, "before")])
    target = AwsTarget(region=moto.region, endpoint_url=moto.url, profile="double")
    async with Aws(target, buckets={}, max_attempts=1) as aws:
        logs = await aws.client("logs")
        logs.meta.events.register("before-send", credentials.send)
        tail = LogTail(aws, group, now_ms - 60_000)
        assert [e.message for e in await tail.poll()] == ["before"]
        awsseed.log_events(moto, group, "s1", [(now_ms - 4_000, "renewed")])
        assert [e.message for e in await tail.poll()] == ["renewed"]
        assert len(set(credentials.keys_used)) >= 2, "each call signed with a renewed set"
        credentials.sign_out()
        awsseed.log_events(moto, group, "s1", [(now_ms - 3_000, "while signed out")])
        with pytest.raises(Exception, match="custom-process") as failure:
            await tail.poll()
        assert describe(failure.value).kind == "credentials"
        credentials.sign_in()
        assert [e.message for e in await tail.poll()] == ["while signed out"]
    assert credentials.rejected == 0, "never a request signed with an expired set"


async def test_the_tui_shows_what_aws_would_answer(moto: MotoAccount) -> None:
    """The monitor's screen, headless through Pilot, over the double: the failed trace with the
    root cause, HTTP status and duration X-Ray fills in, the log pane tailing, no banner."""
    from textual.app import App
    from uitools import screen_text

    from lambdatop.ui.app import LambdatopApp

    seed_account(moto)
    aws = Aws(moto.target(), buckets=make_buckets(), max_attempts=1)
    double = AwsDouble(time.time)
    await double.install(aws)
    store = Store()
    monitor = Monitor(aws, store)
    app: App[int] = LambdatopApp(store, monitor, functions=["checkout"], refresh_s=0.5)
    try:
        async with app.run_test(size=(160, 45)):
            state = store.function("checkout")
            await until(lambda: bool(state.traces) and state.tail_total >= 60, within=40)
            # Under load the screen can trail the store by seconds: a longer patience than
            # uitools.wait_until's, still polling.
            await until(
                lambda: (
                    "ProvisionedThroughputExceeded" in screen_text(app)
                    and " REPORT " in screen_text(app)
                ),
                within=40,
                what="the failed trace and the log on screen",
            )
            row = next(line for line in screen_text(app).splitlines() if "Provisioned" in line)
            assert "fault" in row
            assert "502" in row
            assert "1.50 s" in row
            assert store.banner(time.time()) is None
            assert not double.quotas.throttled
    finally:
        await monitor.stop()
        await aws.close()
