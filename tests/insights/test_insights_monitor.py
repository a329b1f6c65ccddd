"""The monitor: an opened function whose backfill stops short of the window is counted by Logs
Insights, and the TUI's diagnosis says the whole window's figures; above the scan limit it
waits for the person's yes."""

from __future__ import annotations

from awsfakes import until
from awsmoto import MotoAccount
from insightsdouble import InsightsDouble
from test_insights_diagnose import FUNCTION, _incident, _volume

from lambdatop.aws.insights import ScanLimit
from lambdatop.aws.monitor import Monitor
from lambdatop.aws.session import Aws
from lambdatop.core.sources import INSIGHTS
from lambdatop.core.store import Store
from lambdatop.ui.model import UiModel


async def test_a_backfill_that_stops_short_is_counted_by_insights(
    moto: MotoAccount, aws: Aws
) -> None:
    _incident(moto, minutes_ago=16)  # most of it within the monitor's 15-minute backfill
    _volume(moto, events=1_200, gigabytes=0.001)
    await InsightsDouble().install(aws)
    store = Store()
    monitor = Monitor(aws, store, window_s=3600, backfill_events=100)
    try:
        state = monitor.watch(FUNCTION)
        await until(lambda: state.window is not None, what="the window's count")
    finally:
        await monitor.stop()
    assert state.window is not None
    assert state.window.invocations == 230
    assert len(state.pipeline.tracker.invocations) < 230, "the lines read are a sample"
    model = UiModel(store, window="1h")
    diagnosis = model.diagnosis(FUNCTION)
    assert diagnosis is not None
    assert diagnosis.summary.invocations == 230
    assert diagnosis.summary.timeouts == 30
    assert (diagnosis.summary.figures_from or "").startswith(
        "figures over 60 min by CloudWatch Logs Insights"
    )
    assert store.cost_usd > 0


async def test_above_the_limit_the_monitor_asks_and_counts_once_allowed(
    moto: MotoAccount, aws: Aws
) -> None:
    _incident(moto, minutes_ago=16)  # most of it within the monitor's 15-minute backfill
    _volume(moto, events=40_000_000, gigabytes=4.0)
    double = InsightsDouble()
    await double.install(aws)
    monitor = Monitor(
        aws, Store(), window_s=3600, backfill_events=100, scan_limit=ScanLimit(5 * 2**30)
    )
    try:
        state = monitor.watch(FUNCTION)
        await until(lambda: state.scan_question is not None, what="the question")
        assert "about 16.0 GB (~$0.08)" in (state.scan_question or "")
        assert double.queries == {}
        monitor.allow_scan(FUNCTION)
        await until(lambda: state.window is not None, what="the window's count")
    finally:
        await monitor.stop()
    assert state.scan_question is None
    assert state.window is not None
    assert state.window.invocations == 230


async def test_a_full_query_quota_is_in_the_banner_as_aws_counts_it(
    moto: MotoAccount, aws: Aws
) -> None:
    """StartQuery: "You can have up to 30 concurrent CloudWatch Logs insights queries, including
    queries that have been added to dashboards". Others holding all of them stops the count:
    the banner says the quota and whose queries hold it, and the count follows once one ends."""
    _incident(moto, minutes_ago=16)
    _volume(moto, events=1_200, gigabytes=0.001)
    double = InsightsDouble(others_running=30)
    await double.install(aws)
    store = Store()
    monitor = Monitor(aws, store, window_s=3600, backfill_events=100)
    try:
        state = monitor.watch(FUNCTION)
        await until(lambda: INSIGHTS in store.health, what="the refused count")
        banner = store.banner(store.clock()) or ""
        assert banner.startswith(
            "Logs Insights allows 30 concurrent queries per account and region"
            " and us-east-1's are all taken by others (colleagues, dashboards); retrying in 3"
        ), banner
        double.others_running = 0  # a colleague's query ended
        monitor.refresh_now()  # the `r` key: the count is asked again now
        await until(lambda: state.window is not None, what="the window's count")
        await until(lambda: store.banner(store.clock()) is None, what="the banner cleared")
    finally:
        await monitor.stop()


async def test_the_tui_banner_says_the_full_query_quota(moto: MotoAccount, aws: Aws) -> None:
    """The same refusal on the screen an on-call engineer reads, headless through Pilot."""
    from textual.app import App
    from uitools import screen_text

    from lambdatop.ui.app import LambdatopApp

    _incident(moto, minutes_ago=16)
    _volume(moto, events=1_200, gigabytes=0.001)
    await InsightsDouble(others_running=30).install(aws)
    store = Store()
    monitor = Monitor(aws, store, window_s=3600, backfill_events=100)
    app: App[int] = LambdatopApp(store, monitor, functions=[FUNCTION], refresh_s=0.2)
    try:
        async with app.run_test(size=(200, 45)):
            await until(
                lambda: "Logs Insights allows 30 concurrent queries" in screen_text(app),
                within=40,
                what="the banner on screen",
            )
            line = next(
                row for row in screen_text(app).splitlines() if "Logs Insights allows" in row
            )
            assert "all taken by others (colleagues, dashboards)" in line
            assert "retrying in" in line
    finally:
        await monitor.stop()
