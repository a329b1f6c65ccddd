"""The monitor's window is never its newest 15 minutes said to be the hour: a quiet function's
whole hour is read, one whose newest minutes say the hour would not fit in the backfill is
counted by Logs Insights, and so is a window widened past the lines read."""

from __future__ import annotations

import time
from collections import defaultdict

import awsseed
from awsfakes import until
from awsmoto import MotoAccount
from insightsdouble import InsightsDouble
from lambdalogs import Logs, py
from test_insights_diagnose import FUNCTION, GROUP, _incident

from lambdatop.aws.monitor import Monitor
from lambdatop.aws.session import Aws
from lambdatop.core.sources import SourceKey
from lambdatop.core.store import Store
from lambdatop.ui.model import UiModel


def _steady(moto: MotoAccount, minutes: int, every_s: float) -> int:
    """A function invoked every `every_s` for the last `minutes`; returns the invocations."""
    awsseed.function(moto, FUNCTION, memory_mb=512, timeout_s=3)
    logs = Logs(function=FUNCTION, start_ms=int((time.time() - minutes * 60) * 1000))
    env = logs.stream()
    count = int(minutes * 60 / (every_s + 0.2))  # each invocation runs 85 ms, then the gap
    for _ in range(count):
        logs.invoke(env, app=[py("INFO", "order accepted")], gap_ms=int(every_s * 1000))
    by_stream: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for event in logs.events:
        by_stream[event.stream].append((event.timestamp_ms, event.message))
    for stream, events in by_stream.items():
        awsseed.log_events(moto, GROUP, stream, events)
    return count


async def _backfilled(store: Store) -> None:
    """The first log read ended (its newest minute alone may be shown before)."""
    await until(lambda: SourceKey.logs(FUNCTION) in store.health, what="the backfill")


async def test_a_quiet_functions_hour_is_read_whole_not_its_last_15_minutes(
    moto: MotoAccount, aws: Aws
) -> None:
    _incident(moto, minutes_ago=45)  # over by 30 minutes ago: nothing in the last 15
    store = Store()
    monitor = Monitor(aws, store, window_s=3600)  # no Insights: none is needed
    try:
        state = monitor.watch(FUNCTION)
        await _backfilled(store)
    finally:
        await monitor.stop()
    diagnosis = UiModel(store, window="1h").diagnosis(FUNCTION)
    assert diagnosis is not None
    assert diagnosis.summary.invocations == 230
    assert diagnosis.summary.timeouts == 30
    assert diagnosis.summary.figures_from is None, "every line of the hour was read"
    assert state.window is None


async def test_a_function_whose_newest_minutes_say_the_hour_would_not_fit_is_counted(
    moto: MotoAccount, aws: Aws
) -> None:
    invocations = _steady(moto, minutes=58, every_s=6.0)  # 40 events a minute, 2,300 an hour
    await InsightsDouble().install(aws)
    store = Store()
    monitor = Monitor(aws, store, window_s=3600, backfill_events=1_500)
    try:
        state = monitor.watch(FUNCTION)
        await until(lambda: state.window is not None, what="the window's count")
    finally:
        await monitor.stop()
    assert state.window is not None
    assert state.window.invocations == invocations
    read = len(state.pipeline.tracker.invocations)
    assert read < invocations / 2, "the rate of the newest minutes stopped the backfill"
    diagnosis = UiModel(store, window="1h").diagnosis(FUNCTION)
    assert diagnosis is not None
    assert diagnosis.summary.invocations == invocations
    assert (diagnosis.summary.figures_from or "").startswith(
        "figures over 60 min by CloudWatch Logs Insights"
    )


async def test_a_window_widened_past_the_lines_read_is_counted_by_insights(
    moto: MotoAccount, aws: Aws
) -> None:
    _incident(moto, minutes_ago=45)
    await InsightsDouble().install(aws)
    store = Store()
    monitor = Monitor(aws, store, window_s=15 * 60)
    try:
        state = monitor.watch(FUNCTION)
        await _backfilled(store)
        assert state.window is None
        monitor.set_window(3600)
        await until(lambda: state.window is not None, what="the wider window's count")
    finally:
        await monitor.stop()
    diagnosis = UiModel(store, window="1h").diagnosis(FUNCTION)
    assert diagnosis is not None
    assert diagnosis.summary.invocations == 230
    assert diagnosis.summary.timeouts == 30
    assert (diagnosis.summary.figures_from or "").startswith(
        "figures over 60 min by CloudWatch Logs Insights"
    )
