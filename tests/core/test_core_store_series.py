"""Metric series stay bounded through a night: kept for the widest window the screens showed and
an hour, however many polls merge into them (a fleet's five series each used to keep 13 h)."""

from __future__ import annotations

from lambdatop.core.store import Store

HOUR = 3600


def poll_minutes(store: Store, name: str, start: int, hours: float) -> None:
    """A GetMetricData tick a minute, each bringing the newest minute."""
    for stamp in range(start, start + int(hours * HOUR), 60):
        store.function(name).set_metric("Invocations", {stamp: 1.0})


def test_series_keep_the_window_shown_and_an_hour() -> None:
    store = Store()
    store.keep_series_for(1 * HOUR)
    poll_minutes(store, "fleet-001", 0, 6)
    points = store.function("fleet-001").metrics["Invocations"].points
    assert len(points) == 121  # two hours of minutes, both ends kept
    assert min(points) == max(points) - 2 * HOUR


def test_a_window_once_widened_is_kept_when_narrowed_again() -> None:
    store = Store()
    store.keep_series_for(1 * HOUR)
    poll_minutes(store, "orders-api", 0, 2)
    store.keep_series_for(12 * HOUR)
    store.keep_series_for(1 * HOUR)  # the poller will not read the 12 h again: keep them
    poll_minutes(store, "orders-api", 2 * HOUR, 20)
    points = store.function("orders-api").metrics["Invocations"].points
    assert max(points) - min(points) == 13 * HOUR


def test_a_function_first_seen_later_is_bounded_too() -> None:
    store = Store()
    store.keep_series_for(15 * 60)
    poll_minutes(store, "listed-late", 0, 3)
    points = store.function("listed-late").metrics["Invocations"].points
    assert max(points) - min(points) == 75 * 60


def test_until_told_a_store_keeps_the_widest_window() -> None:
    store = Store()
    poll_minutes(store, "orders-api", 0, 14)
    points = store.function("orders-api").metrics["Invocations"].points
    assert max(points) - min(points) == 13 * HOUR
