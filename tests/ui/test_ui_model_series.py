"""The monitor tells the store which window it shows, so metric series are kept for it and an
hour rather than 13 h for every function of the fleet (memory through a night on call)."""

from __future__ import annotations

from lambdatop.core.store import Store
from lambdatop.ui.model import UiModel

HOUR = 3600


def newest_span(store: Store, name: str) -> int:
    points = store.function(name).metrics["Invocations"].points
    return max(points) - min(points)


def test_the_window_shown_bounds_the_series_and_widening_keeps_more() -> None:
    store = Store()
    model = UiModel(store, window="1h")
    for stamp in range(0, 6 * HOUR, 60):
        store.function("fleet-001").set_metric("Invocations", {stamp: 1.0})
    assert newest_span(store, "fleet-001") == 2 * HOUR
    model.step_window(1)  # 3h
    for stamp in range(6 * HOUR, 12 * HOUR, 60):
        store.function("fleet-001").set_metric("Invocations", {stamp: 1.0})
    assert newest_span(store, "fleet-001") == 4 * HOUR
