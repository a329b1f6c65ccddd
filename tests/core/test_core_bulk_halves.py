"""A big page of `filter-log-events` read in halves gives exactly what reading it whole gives.

`bulk.read_and_ingest` has each of two processes decode half the page's bytes; they exchange
the events of each other's streams. Each way the halves could read otherwise than the page (an
event repeated or out of order across them, a second `events` key, a child that dies) falls
back to reading it whole, and the report stays the one `ingest_every_line` gives.
"""

from __future__ import annotations

import itertools
import json
import os
from collections.abc import Callable
from typing import Any

import pytest
from test_core_bulk import (
    SCENARIOS,
    YEAR_S,
    Event,
    bench,
    filter_log_events,
    read_then,
    same_evidence,
)

from lambdatop.commands.diagnose import _export_pipeline, _windowed
from lambdatop.core import bulk, export
from lambdatop.core.bulk import ingest_every_line, read_and_ingest
from lambdatop.core.export import ExportedLogs, read_export
from lambdatop.core.pipeline import LogPipeline
from lambdatop.diagnose.evidence import Evidence


@pytest.fixture(autouse=True)
def _pages_decoded_by_msgspec(monkeypatch: pytest.MonkeyPatch) -> None:
    """Pages of any size are decoded by msgspec, and so may be read in halves."""
    monkeypatch.setattr(export, "DECODER_MIN_BYTES", 0)


def in_halves(data: bytes) -> tuple[Evidence, ExportedLogs]:
    pipeline = _export_pipeline()
    exported = read_and_ingest(data, pipeline, parallel_min=1)
    evidence = _windowed(pipeline, exported, function="f", region="eu-west-1", since_s=YEAR_S)
    return evidence, exported


def read_whole(exported: ExportedLogs) -> bool:
    """Whether the export was read whole (by either process), not in halves."""
    return exported.read_elsewhere == 0


def the_same(data: bytes) -> ExportedLogs:
    """`data` read by `read_and_ingest`, checked against the straightforward way."""
    evidence, exported = in_halves(data)
    same_evidence(evidence, read_then(ingest_every_line)(data))
    assert len(exported) == len(read_export(data))
    assert (exported.form, exported.has_time) == ("json", True)
    return exported


@pytest.mark.parametrize("indent", [4, None], ids=["aws-cli", "compact"])
@pytest.mark.parametrize(
    "scenario", ["bench-corpus", "sessions", "incident-text", "incident-json", "queue-consumer"]
)
def test_a_page_read_in_halves_reads_as_the_page(scenario: str, indent: int | None) -> None:
    exported = the_same(filter_log_events(SCENARIOS[scenario](), indent=indent))
    assert not read_whole(exported)


def test_a_request_in_both_halves_is_read_whole() -> None:
    assert read_whole(the_same(filter_log_events(SCENARIOS["out-of-place"]())))


def test_one_stream_is_read_by_one_process_with_both_halves() -> None:
    events = [{**event, "logStreamName": "2026/03/02/[$LATEST]one"} for event in bench()]
    assert not read_whole(the_same(filter_log_events(events)))


def _rotated(events: list[Event]) -> list[Event]:
    """The second half's events out of time order."""
    cut = len(events) * 3 // 4
    return events[: cut // 2] + events[cut:] + events[cut // 2 : cut]


def _repeated(events: list[Event]) -> list[Event]:
    """An event of the first half again in the second, in time order (overlapping pages)."""
    again = dict(events[10], timestamp=events[-1]["timestamp"])
    return [*events, again]


def _late(events: list[Event]) -> list[Event]:
    """The second half starting before the first ends, each half in time order."""
    cut = export.page_cut(filter_log_events(events))
    assert cut is not None
    first = len(json.loads(filter_log_events(events)[: cut[0]] + b"]}")["events"])
    step = events[first]["timestamp"] - events[first - 1]["timestamp"] + 5
    return events[:first] + [dict(e, timestamp=e["timestamp"] - step) for e in events[first:]]


def _second_half_string_time(events: list[Event]) -> list[Event]:
    events[-3] = dict(events[-3], timestamp=str(events[-3]["timestamp"]))
    return events


def _first_half_extra_field(events: list[Event]) -> list[Event]:
    events[5] = dict(events[5], extra=1)
    return events


@pytest.mark.parametrize(
    "change",
    [_rotated, _repeated, _late, _second_half_string_time, _first_half_extra_field],
)
def test_halves_that_would_read_otherwise_are_read_whole(
    change: Callable[[list[Event]], list[Event]],
) -> None:
    assert read_whole(the_same(filter_log_events(change(bench()))))


@pytest.mark.parametrize("key", ['"events"', '"\\u0065vents"', '"ev\\u0065nts"'])
def test_a_second_events_key_after_the_cut_is_the_page(key: str) -> None:
    """The page's events are its last `events` key's, wherever it is."""
    events = bench()
    page = json.dumps({"events": events, "searchedLogStreams": []}, indent=4)
    data = (page.rstrip()[:-1] + f", {key}: {json.dumps(events[-300:])}}}").encode()
    assert len(read_export(data)) == 300
    assert read_whole(the_same(data))


def test_a_second_events_key_before_the_cut_is_read_in_halves() -> None:
    events = bench()
    data = filter_log_events(events).replace(b'"events"', b'"events": [], "events"', 1)
    assert not read_whole(the_same(data))


def test_a_message_that_looks_like_the_place_between_events_is_a_message() -> None:
    """`}, {"message":` inside a message (escaped as JSON escapes it) is no place to cut."""
    events = bench()
    for index in range(len(events) // 2, len(events)):
        events[index] = dict(events[index], message='{"a": {}, {"message": 1}}\n')
    assert not read_whole(the_same(filter_log_events(events, indent=None)))


def test_more_streams_than_the_tracker_keeps_are_read_as_one_process_reads_them() -> None:
    def pipeline() -> LogPipeline:
        return LogPipeline(max_invocations=10_000_000, max_findings=100_000, max_streams=3)

    data = filter_log_events(bench())
    fast, plain = pipeline(), pipeline()
    exported = read_and_ingest(data, fast, parallel_min=1)
    ingest_every_line(plain, read_export(data))
    assert not read_whole(exported)
    assert fast.tracker.invocations == plain.tracker.invocations
    assert fast.findings == plain.findings
    assert (fast.lines, fast.first_ms, fast.last_ms) == (plain.lines, plain.first_ms, plain.last_ms)


@pytest.mark.parametrize(
    "dies_at", [1, 2, 3], ids=["before its half", "before its streams", "before its result"]
)
def test_a_child_that_dies_mid_exchange_leaves_the_page_read_whole(
    dies_at: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The child sends what it knows of its half, then the events of the parent's streams,
    then its result: dying before any of them, the parent reads the page alone."""
    parent = os.getpid()
    sent = itertools.count(1)
    send = bulk._Peer.send

    def dying(peer: Any, message: object) -> None:
        if os.getpid() != parent and next(sent) == dies_at:
            os._exit(3)
        send(peer, message)

    monkeypatch.setattr(bulk._Peer, "send", dying)
    assert read_whole(the_same(filter_log_events(bench())))
    with pytest.raises(ChildProcessError):
        os.waitpid(-1, os.WNOHANG)  # the child was waited for
