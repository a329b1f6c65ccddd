"""An opened function left open through a night keeps what the window shown reaches and a
quarter hour, not its last 50,000 invocations: memory, and the work of each repaint, stop growing
once the window is full. What the person sees of the window is the same as with everything kept:
the diagnosis, the fleet row's figures and the sparklines."""

from __future__ import annotations

from collections.abc import Iterator

from core_corpus import report_line

from lambdatop.core import metrics as m
from lambdatop.core.records import LogEvent, Status
from lambdatop.core.series import per_minute
from lambdatop.core.store import INVOCATIONS_MARGIN_S, FunctionState, Store
from lambdatop.core.summary import recent_invocations, summarise
from lambdatop.diagnose.engine import diagnose
from lambdatop.diagnose.evidence import from_state
from lambdatop.diagnose.model import CheckStatus, Diagnosis

HOUR_S = 3600
NIGHT_START_S = 1_772_442_000  # 2026-03-02T09:00Z
STREAMS = [f"2026/03/02/[$LATEST]{n:032x}" for n in (0xA1, 0xB2, 0xC3)]
OLD_POISON = "11111111-2222-4333-8444-555555555555"
NEW_POISON = "99999999-8888-4777-8666-555555555555"
EVERY_S = 20


class Clock:
    def __init__(self, now_s: float) -> None:
        self.now_s = now_s

    def __call__(self) -> float:
        return self.now_s


def rid(n: int) -> str:
    return f"{n:08x}-0000-4000-8000-{n:012x}"


def invocation(n: int, start_ms: int, message: str, failed: bool, denied: bool) -> list[str]:
    """One SQS-fed invocation's lines, Python runtime, Text format."""
    lines = [
        f"START RequestId: {rid(n)} Version: $LATEST",
        f"[INFO]\t2026-03-02T09:00:00.000Z\t{rid(n)}\tprocessing SQS messageId={message}",
    ]
    if denied:
        lines.append(
            f"[WARNING]\t2026-03-02T09:00:00.000Z\t{rid(n)}\tClientError: An error occurred"
            " (AccessDeniedException) when calling the GetItem operation: User:"
            " arn:aws:sts::123456789012:assumed-role/orders-role/orders is not authorized"
        )
    if failed:
        lines.append(f"{rid(n)} Task timed out after 3.00 seconds")
    lines.append(f"END RequestId: {rid(n)}")
    duration = "3000.00" if failed else f"{40 + n % 300}.00"
    lines.append(report_line(rid(n), duration, "3000", 512, 128 + n % 200))
    return lines


def night(hours: float) -> Iterator[LogEvent]:
    """An invocation every 20 s in three environments. A poison message fails five deliveries
    in the first hour, and another in the last half hour; every 30th invocation is denied a
    read, and handled it."""
    count = int(hours * HOUR_S / EVERY_S)
    for n in range(count):
        start_ms = (NIGHT_START_S + n * EVERY_S) * 1000
        minute = n * EVERY_S // 60
        poison = OLD_POISON if 20 <= minute < 25 else NEW_POISON if count - n <= 15 else None
        message = poison if poison and n % 3 == 0 else f"{n:08x}-aaaa-4bbb-8ccc-{n:012x}"
        failed = message in (OLD_POISON, NEW_POISON)
        lines = invocation(n, start_ms, message, failed, denied=n % 30 == 7)
        for offset, text in enumerate(lines):
            yield LogEvent(start_ms + offset * 10, text + "\n", STREAMS[n % 3])


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


def kept_and_everything(hours: float, window_s: float) -> tuple[FunctionState, FunctionState]:
    """The same night followed by a store told the window shown, and by one never told."""
    shown = Store(clock=Clock(NIGHT_START_S))
    shown.keep_series_for(window_s)
    everything = Store(clock=Clock(NIGHT_START_S))
    return follow(shown, hours), follow(everything, hours)


def ended_ms(state: FunctionState) -> list[int]:
    return [
        inv.end_ms if inv.end_ms is not None else inv.start_ms or 0
        for inv in state.pipeline.tracker.invocations.values()
    ]


def diagnosed(state: FunctionState, store_of: Store, window_s: float) -> Diagnosis:
    now_s = store_of.clock()
    start_ms = int((now_s - window_s) * 1000)
    return diagnose(from_state(state, store_of, start_ms=start_ms, end_ms=int(now_s * 1000)))


def test_after_the_window_slides_nothing_older_than_the_window_and_a_quarter_hour_is_kept() -> None:
    kept, everything = kept_and_everything(hours=4, window_s=HOUR_S)
    now_ms = int(kept.clock() * 1000)
    oldest_kept = now_ms - (HOUR_S + INVOCATIONS_MARGIN_S) * 1000
    assert min(ended_ms(kept)) >= oldest_kept - 60_000  # a read's minute late at most
    assert min(ended_ms(everything)) < now_ms - 3 * HOUR_S * 1000  # the other kept the night
    # 75 minutes of an invocation every 20 s, not four hours'
    assert len(kept.pipeline.tracker.invocations) <= (HOUR_S + INVOCATIONS_MARGIN_S + 60) // 20
    pipeline = kept.pipeline
    quoted = [
        *pipeline.failures,
        *pipeline.errors,
        *(f for d in pipeline.findings.values() for f in d),
    ]
    assert quoted
    assert min(finding.timestamp_ms for finding in quoted) >= oldest_kept - 60_000
    # The first hour's poison message is forgotten with the invocations that named it.
    assert f"messageid={OLD_POISON}" in everything.pipeline.records
    assert f"messageid={OLD_POISON}" not in pipeline.records
    assert len(pipeline.records) < len(everything.pipeline.records) / 2


def test_the_window_shown_is_diagnosed_as_if_everything_were_kept() -> None:
    kept, everything = kept_and_everything(hours=3, window_s=HOUR_S)
    for window_s in (15 * 60, HOUR_S):
        kept_store, everything_store = Store(clock=kept.clock), Store(clock=everything.clock)
        seen = diagnosed(kept, kept_store, window_s)
        assert seen == diagnosed(everything, everything_store, window_s)
        checks = {check.id: check for check in seen.checks}
        # What the window holds is still said: the poison message of its last half hour, the
        # handled denials; nothing of the first hour's poison message.
        assert checks["event_source"].status is CheckStatus.FAIL
        said = checks["event_source"]
        assert NEW_POISON in " ".join([*said.evidence, said.title])
        assert OLD_POISON not in repr(seen)
        if window_s == HOUR_S:
            assert checks["permission"].status is CheckStatus.WARN


def test_the_panels_figures_are_those_of_everything_kept() -> None:
    kept, everything = kept_and_everything(hours=3, window_s=HOUR_S)
    now_s = kept.clock()
    assert summarise(kept, None, now_s, HOUR_S) == summarise(everything, None, now_s, HOUR_S)
    since_s = int(now_s - HOUR_S)
    shown = recent_invocations(kept, since_s * 1000)
    assert shown == recent_invocations(everything, since_s * 1000)
    assert any(inv.status is Status.TIMEOUT for inv in shown)
    for key in (m.INVOCATIONS, m.ERRORS, m.DURATION_P99):
        assert per_minute({}, key, shown, since_s, int(now_s)) == per_minute(
            {}, key, recent_invocations(everything, since_s * 1000), since_s, int(now_s)
        )


def test_a_window_widened_later_keeps_the_wider_window_from_then_on() -> None:
    store = Store(clock=Clock(NIGHT_START_S))
    store.keep_series_for(HOUR_S)
    store.keep_series_for(3 * HOUR_S)
    store.keep_series_for(HOUR_S)  # narrowed again: the 3 h shown is kept, as for series
    state = follow(store, hours=5)
    now_ms = int(store.clock() * 1000)
    span_ms = now_ms - min(ended_ms(state))
    assert 3 * HOUR_S * 1000 <= span_ms <= (3 * HOUR_S + INVOCATIONS_MARGIN_S + 60) * 1000


def test_a_store_never_told_a_window_keeps_its_invocations_up_to_their_count() -> None:
    """`lambdatop diagnose FUNCTION` reads a window and diagnoses it: nothing is forgotten."""
    store = Store(clock=Clock(NIGHT_START_S))
    state = follow(store, hours=2)
    assert len(state.pipeline.tracker.invocations) == 2 * HOUR_S // EVERY_S


def test_environments_idle_past_the_window_are_no_longer_followed() -> None:
    """A busy function starts new environments all night: each one's place is forgotten with its
    last invocation, while the environments of the window are still followed."""
    clock = Clock(NIGHT_START_S)
    store = Store(clock=clock)
    store.keep_series_for(HOUR_S)
    state = store.function("orders-worker")
    stream_of = [f"2026/03/02/[$LATEST]{n:032x}" for n in range(4 * 60)]
    for minute, stream in enumerate(stream_of):  # a new environment every minute, for 4 h
        start_ms = (NIGHT_START_S + minute * 60) * 1000
        lines = invocation(minute, start_ms, f"m-{minute}", failed=False, denied=False)
        state.add_events(LogEvent(start_ms + i * 10, text, stream) for i, text in enumerate(lines))
        clock.now_s += 60
    tracker = state.pipeline.tracker
    assert tracker.running(stream_of[0]) is None
    assert tracker.running(stream_of[-1]) == rid(len(stream_of) - 1)
    followed = [stream for stream in stream_of if tracker.running(stream) is not None]
    assert len(followed) <= (HOUR_S + INVOCATIONS_MARGIN_S) // 60 + 1
    # A line without a request id in a recent environment is still its request's.
    last = stream_of[-1]
    state.add_events([LogEvent((NIGHT_START_S + 240 * 60) * 1000, "Traceback: boom\n", last)])
    assert state.tail[-1].request_id == rid(len(stream_of) - 1)
