"""A poll that brings nothing new moves no version: the open function is not diagnosed again
nor repainted for it (the incident view used 7 % of a core with nothing new to show)."""

from __future__ import annotations

from lambdatop.core.records import TraceSummary
from lambdatop.core.store import FunctionState


def test_the_same_metric_points_again_move_no_version() -> None:
    state = FunctionState("checkout")
    state.set_metric("Invocations", {1_000: 4.0, 1_060: 5.0})
    read = state.version
    state.set_metric("Invocations", {1_000: 4.0, 1_060: 5.0})
    assert state.version == read, "nothing new: nothing to redraw"
    state.set_metric("Invocations", {1_060: 6.0})
    assert state.version > read, "a minute still filling in changed"
    moved = state.version
    state.set_metric("Invocations", {1_120: 1.0})
    assert state.version > moved, "a new minute"
    assert state.metrics["Invocations"].points == {1_000: 4.0, 1_060: 6.0, 1_120: 1.0}


def test_the_same_traces_again_move_no_version() -> None:
    state = FunctionState("checkout")
    failed = TraceSummary("1-abc", 100.0, fault=True)
    state.set_traces([])
    assert state.traces_read
    first = state.version
    assert first > 0, "the first read, even empty, is news: the pane stops saying loading"
    state.set_traces([failed])
    read = state.version
    assert read > first
    state.set_traces([failed])
    state.set_traces([])
    assert state.version == read
    state.set_traces([TraceSummary("1-abc", 100.0, fault=True, root_cause="DynamoDB")])
    assert state.version > read, "a trace's summary changed"
    assert state.traces["1-abc"].root_cause == "DynamoDB"
