"""The copy of a function's state a diagnosis is made from on a worker thread: it holds what
the store held when it was taken, whatever the store does next, and diagnoses as the store did."""

from __future__ import annotations

from lambdatop.core import metrics as m
from lambdatop.core.records import FunctionConfig, LogEvent
from lambdatop.core.store import Store
from lambdatop.diagnose.engine import diagnose
from lambdatop.diagnose.evidence import Evidence, copy_state, copying, from_copy, from_state
from lambdatop.diagnose.render import to_json

FUNCTION = "orders-api"
START_MS = 1_772_442_000_000
FROM_MS, TO_MS = START_MS - 60_000, START_MS + 3_600_000


def invocation(number: int, status: str = "", duration_ms: float = 120.0) -> list[LogEvent]:
    """START, a line and REPORT of one request, a second apart from the one before."""
    rid = f"00000000-0000-4000-a000-{number:012d}"
    at = START_MS + number * 1_000
    stream = "2026/03/02/[$LATEST]0123456789abcdef0123456789abcdef"
    said = f"\tStatus: {status}\tError Type: Runtime.ExitError" if status else ""
    report = (
        f"REPORT RequestId: {rid}\tDuration: {duration_ms:.2f} ms\tBilled Duration:"
        f" {duration_ms:.0f} ms\tMemory Size: 512 MB\tMax Memory Used: 180 MB{said}"
    )
    return [
        LogEvent(at, f"START RequestId: {rid} Version: $LATEST", stream),
        LogEvent(at + 1, f"{rid}\tINFO\tcharging order {number}", stream),
        LogEvent(at + 2 + int(duration_ms), report, stream),
    ]


def a_store(invocations: int) -> Store:
    store = Store()
    store.region = "eu-west-1"
    store.set_inventory([FunctionConfig(FUNCTION, memory_mb=512, timeout_s=30)])
    state = store.function(FUNCTION)
    state.add_events(event for n in range(invocations) for event in invocation(n))
    state.set_metric(m.INVOCATIONS, {START_MS // 1000 // 60 * 60: float(invocations)})
    return store


def report(evidence: Evidence) -> str:
    return to_json(diagnose(evidence))


def test_the_copy_keeps_what_the_store_held_when_it_was_taken() -> None:
    store = a_store(40)
    state = store.function(FUNCTION)
    copied = copy_state(state, store)
    before = report(from_state(state, store, start_ms=FROM_MS, end_ms=TO_MS))
    # The store moves on: more requests, one of which crashes; a metric point is rewritten.
    state.add_events(event for n in range(40, 60) for event in invocation(n, "error"))
    state.set_metric(m.INVOCATIONS, {START_MS // 1000 // 60 * 60: 60.0})
    assert report(from_copy(copied, start_ms=FROM_MS, end_ms=TO_MS)) == before
    now = from_state(state, store, start_ms=FROM_MS, end_ms=TO_MS)
    assert len(now.reported) == 60
    assert report(now) != before, "the store's own evidence did move"


def test_an_invocation_changed_in_place_after_the_copy_is_seen_as_it_was() -> None:
    """The tracker changes an invocation in place when a line of it arrives (here Lambda's
    retry of a request that succeeded once and now fails): the copy is of values, not of the
    store's objects."""
    store = a_store(10)
    state = store.function(FUNCTION)
    copied = copy_state(state, store)
    state.add_events(
        [
            LogEvent(START_MS + 90_000, event.message, event.stream)
            for event in invocation(3, "error")
        ]
    )
    retried = state.pipeline.tracker.invocations["00000000-0000-4000-a000-000000000003"]
    assert retried.failed
    assert retried.attempts == 2
    kept = from_copy(copied, start_ms=FROM_MS, end_ms=TO_MS).complete.by_id[
        "00000000-0000-4000-a000-000000000003"
    ]
    assert not kept.failed
    assert kept.attempts == 1


def test_copying_a_slice_at_a_time_gives_the_same_copy() -> None:
    store = a_store(25)
    state = store.function(FUNCTION)
    steps = copying(state, store, rows_per_step=4)
    pauses = 0
    while True:
        try:
            next(steps)
        except StopIteration as done:
            sliced = done.value
            break
        pauses += 1
    assert pauses == 25 // 4  # between slices of 4: the event loop's turns
    assert sliced == copy_state(state, store)
    assert report(from_copy(sliced, start_ms=FROM_MS, end_ms=TO_MS)) == report(
        from_state(state, store, start_ms=FROM_MS, end_ms=TO_MS)
    )
