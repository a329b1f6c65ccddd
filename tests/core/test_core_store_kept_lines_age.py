"""The lines kept of a function's extensions (`EXTENSION Name: ...`) and of its partial batch
responses (`batchItemFailures`) age out with its invocations in a long live session: an opened
function left open through a night keeps those of the window shown and a quarter hour, not the
night's, and its diagnosis still counts the recent ones."""

from __future__ import annotations

from collections.abc import Iterator

from core_corpus import report_line

from lambdatop.core.records import LogEvent
from lambdatop.core.store import INVOCATIONS_MARGIN_S, FunctionState, Store
from lambdatop.diagnose.engine import diagnose
from lambdatop.diagnose.evidence import from_state

HOUR_S = 3600
START_S = 1_772_442_000  # 2026-03-02T09:00Z
EVERY_S = 30
STREAM = "2026/03/02/[$LATEST]{:032x}"


class Clock:
    def __init__(self, now_s: float) -> None:
        self.now_s = now_s

    def __call__(self) -> float:
        return self.now_s


def rid(n: int) -> str:
    return f"{n:08x}-0000-4000-8000-{n:012x}"


def night(hours: float) -> Iterator[LogEvent]:
    """An SQS-fed invocation every 30 s, a new environment (with its extension) every tenth,
    each invocation handing one message of its batch back."""
    for n in range(int(hours * HOUR_S / EVERY_S)):
        start_ms = (START_S + n * EVERY_S) * 1000
        stream = STREAM.format(n // 10)
        message = f"{n:08x}-aaaa-4bbb-8ccc-{n:012x}"
        lines = [f"START RequestId: {rid(n)} Version: $LATEST"]
        if n % 10 == 0:
            lines.insert(0, "EXTENSION\tName: otel-collector\tState: Ready\tEvents: [INVOKE]")
        lines += [
            f'[INFO]\t2026-03-02T09:00:00.000Z\t{rid(n)}\t{{"batchItemFailures":'
            f' [{{"itemIdentifier": "{message}"}}]}}',
            f"END RequestId: {rid(n)}",
            report_line(rid(n), "40.00", "3000", 512, 128),
        ]
        for offset, text in enumerate(lines):
            yield LogEvent(start_ms + offset * 10, text + "\n", stream)


def follow(store: Store, hours: float) -> FunctionState:
    """The log tail's reads, one a minute, with the clock at each read's end."""
    clock = store.clock
    assert isinstance(clock, Clock)
    state = store.function("orders-worker")
    batch: list[LogEvent] = []
    for event in night(hours):
        if event.timestamp_ms >= (clock.now_s + 60) * 1000:
            state.add_events(batch)
            batch = []
            clock.now_s += 60
        batch.append(event)
    state.add_events(batch)
    return state


def test_a_night_keeps_the_extensions_and_batch_responses_of_the_window_only() -> None:
    shown = Store(clock=Clock(START_S))
    shown.keep_series_for(HOUR_S)
    kept = follow(shown, hours=4)
    everything = follow(Store(clock=Clock(START_S)), hours=4)
    oldest_kept_ms = int(shown.clock() * 1000) - (HOUR_S + INVOCATIONS_MARGIN_S) * 1000
    for lines in (kept.pipeline.extensions, kept.pipeline.batch_responses):
        assert lines
        assert lines[0].timestamp_ms >= oldest_kept_ms - 60_000  # a read's minute late at most
    # 75 minutes of them, not four hours' (which the store never told of a window kept).
    assert len(kept.pipeline.batch_responses) <= 75 * 60 // EVERY_S + 2
    assert len(everything.pipeline.batch_responses) == 4 * HOUR_S // EVERY_S
    assert len(kept.pipeline.extensions) <= 75 * 60 // (10 * EVERY_S) + 1


def test_after_a_night_the_diagnosis_counts_the_window_s_responses() -> None:
    shown = Store(clock=Clock(START_S))
    shown.keep_series_for(HOUR_S)
    kept = follow(shown, hours=4)
    now_s = shown.clock()
    ev = from_state(kept, shown, start_ms=int((now_s - HOUR_S) * 1000), end_ms=int(now_s * 1000))
    (result,) = [r for r in diagnose(ev).checks if r.id == "event_source"]
    # One record handed back by each of the hour's 120 invocations.
    assert "120 records reported failed in 120 batches" in result.title
