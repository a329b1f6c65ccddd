"""Live Tail through the real aiobotocore client, against a double that streams sessions in
AWS's event-stream framing (tests/aws/livetaild.py) and passes every other call to moto.

What a person tailing would notice: every line once across sessions that end (the three-hour
limit), fail (SessionStreamingException, a broken connection) or are refused (throttling, the
account's session quota); lines written while no session was open still shown; "sampled" known
when AWS samples; the session's minutes in the cost.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
import sys
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import awsseed
import pytest
from awsfakes import until
from awsmoto import ACCOUNT, MotoAccount
from livetaild import (
    Drop,
    Hold,
    LiveTailDouble,
    Refuse,
    session_start,
    session_update,
    streaming_failure,
    timeout,
)

from lambdatop.aws.errors import describe
from lambdatop.aws.ledger import PRICE_PER_LIVE_TAIL_MINUTE
from lambdatop.aws.monitor import LIVE_TAIL_SESSIONS, Monitor
from lambdatop.aws.pacing import Backoff
from lambdatop.aws.pollers.livetail import DENIED_WAIT_S, QUOTA_WAIT_S, LiveTail
from lambdatop.aws.session import Aws, AwsTarget
from lambdatop.core.records import LogEvent
from lambdatop.core.sources import SourceKey
from lambdatop.core.store import Store

GROUP = "/aws/lambda/checkout"
STREAM = "2026/12/07/[$LATEST]0a1b2c3d4e5f"


@pytest.fixture
async def double(moto: MotoAccount) -> AsyncIterator[LiveTailDouble]:
    server = LiveTailDouble(moto.url)
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


@pytest.fixture
async def aws_via_double(double: LiveTailDouble, moto: MotoAccount) -> AsyncIterator[Aws]:
    client = Aws(AwsTarget(region=moto.region, endpoint_url=double.url), buckets={}, max_attempts=1)
    try:
        yield client
    finally:
        await client.close()


class Sleeps:
    """The waits the tail asks for, granted at once (no test waits on a clock)."""

    def __init__(self) -> None:
        self.asked: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.asked.append(seconds)
        await asyncio.sleep(0)


def put(moto: MotoAccount, messages: list[str], at_ms: int, stream: str = STREAM) -> list[dict]:
    """Write lines into moto and read them back as FilterLogEvents returns them (with the
    ingestion time AWS stamps), for the double to stream the same events."""
    awsseed.log_events(moto, GROUP, stream, [(at_ms + i, m) for i, m in enumerate(messages)])
    logs = moto.client("logs")
    found = logs.filter_log_events(logGroupName=GROUP, logStreamNames=[stream])["events"]
    wanted = set(messages)
    return [e for e in found if e["message"] in wanted]


async def collect(
    tail: LiveTail, done: Callable[[list[LogEvent]], bool], got: list[LogEvent] | None = None
) -> list[LogEvent]:
    """Poll as the monitor does, woken by the tail, until `done` (10 s at most: a hang)."""
    got = [] if got is None else got
    async with asyncio.timeout(10):
        while True:
            tail.changed.clear()
            # A trouble raised is what the pane would show: these tests look at the lines.
            with contextlib.suppress(Exception):
                got.extend(await tail.poll())
            if done(got):
                return got
            await tail.changed.wait()


def messages(events: list[LogEvent]) -> list[str]:
    return [e.message for e in events]


def new_tail(aws: Aws, sleeps: Sleeps, **extra: Any) -> LiveTail:
    start = int((time.time() - 300) * 1000)
    return LiveTail(aws, GROUP, start, sleep=sleeps, backoff=Backoff(base=1.0, cap=8.0), **extra)


async def test_every_line_once_across_a_session_that_times_out_and_a_gap_between_sessions(
    moto: MotoAccount, double: LiveTailDouble, aws_via_double: Aws
) -> None:
    now = int(time.time() * 1000)
    history = put(moto, ["START old", "history 1", "history 2"], now - 120_000)
    first = put(moto, ["live a", "same line", "same line", "live b"], now - 2_000)
    end_of_first = Hold()
    double.sessions = [
        [session_start([GROUP]), session_update(first), end_of_first, timeout()],
    ]
    sleeps = Sleeps()
    tail = new_tail(aws_via_double, sleeps)
    try:
        got = await collect(tail, lambda g: len(g) >= 7)
        assert sorted(messages(got)) == sorted(messages_of(history + first))
        assert messages(got).count("same line") == 2, "two identical lines both show"
        stamps = [e.timestamp_ms for e in got]
        assert stamps == sorted(stamps), "the history first, then what came live"
        # While the first session ends, lines land that no session will stream.
        gap = put(moto, ["in the gap 1", "in the gap 2"], now)
        second = put(moto, ["after reconnect"], now + 10)
        double.sessions.append(
            # AWS may send again, around a new session, what the last one sent.
            [session_start([GROUP], "s-2"), session_update(first[-2:] + second), Hold()]
        )
        end_of_first.release.set()
        got = await collect(tail, lambda g: len(g) >= 10, got)
        await asyncio.wait_for(_settled(tail), 10)
        got.extend(await tail.poll())
    finally:
        await tail.close()
    everything = messages_of(history + first + gap + second)
    assert sorted(messages(got)) == sorted(everything), "each line exactly once"
    assert tail.stats.timeouts == 1
    assert tail.stats.sessions == 2
    assert tail.stats.repeated >= 2, "the re-sent lines were seen and not shown again"
    assert sleeps.asked == [], "a session's three-hour end is followed by the next at once"


def messages_of(events: list[dict]) -> list[str]:
    return [e["message"] for e in events]


async def _settled(tail: LiveTail) -> None:
    """Until the catch-up reads started by each sessionStart have finished."""
    while tail._catch_ups:
        await asyncio.gather(*tail._catch_ups, return_exceptions=True)


async def test_asks_for_the_group_by_its_arn_with_the_filter(
    moto: MotoAccount, double: LiveTailDouble, aws_via_double: Aws
) -> None:
    put(moto, ["x"], int(time.time() * 1000))
    double.sessions = [[session_start([GROUP]), session_update([]), Hold()]]
    tail = new_tail(aws_via_double, Sleeps(), filter_pattern="ERROR")
    try:
        await collect(tail, lambda _: tail.open)
    finally:
        await tail.close()
    request = double.requests[0]
    assert request["logGroupIdentifiers"] == [
        f"arn:aws:logs:{moto.region}:{ACCOUNT}:log-group:{GROUP}"
    ]
    assert request["logEventFilterPattern"] == "ERROR"
    assert aws_via_double.ledger.calls["logs.StartLiveTail"] == 1


async def test_sampling_is_known_while_aws_samples(
    moto: MotoAccount, double: LiveTailDouble, aws_via_double: Aws
) -> None:
    now = int(time.time() * 1000)
    busy = put(moto, [f"busy {i}" for i in range(5)], now)
    calm = put(moto, ["calm"], now + 100)
    between = Hold()
    double.sessions = [
        [
            session_start([GROUP]),
            session_update(busy[:2], sampled=True),
            between,
            session_update(calm),
            Hold(),
        ]
    ]
    tail = new_tail(aws_via_double, Sleeps())
    try:
        await collect(tail, lambda g: "busy 1" in messages(g))
        assert tail.sampled, "AWS said it sampled: the pane must say so"
        between.release.set()
        await collect(tail, lambda _: not tail.sampled)
    finally:
        await tail.close()
    assert tail.stats.sampled_updates == 1


async def test_a_failed_stream_and_a_broken_connection_reconnect_with_backoff(
    moto: MotoAccount, double: LiveTailDouble, aws_via_double: Aws
) -> None:
    now = int(time.time() * 1000)
    one, two, three = (put(moto, [f"line {n}"], now + n) for n in (1, 2, 3))
    double.sessions = [
        [session_start([GROUP]), session_update(one), streaming_failure()],
        [session_start([GROUP], "s-2"), session_update(two), Drop()],
        [session_start([GROUP], "s-3"), session_update(three), Hold()],
    ]
    sleeps = Sleeps()
    tail = new_tail(aws_via_double, sleeps)
    try:
        got = await collect(tail, lambda g: "line 3" in messages(g))
        await asyncio.wait_for(_settled(tail), 10)
        got.extend(await tail.poll())
    finally:
        await tail.close()
    assert sorted(messages(got)) == ["line 1", "line 2", "line 3"]
    assert tail.stats.drops == 2
    assert len(sleeps.asked) == 2
    assert all(0 < s <= 8.0 for s in sleeps.asked), "backed off, within the cap"


@pytest.mark.parametrize(
    ("code", "least_wait"),
    [
        ("ThrottlingException", 1.0),
        ("LimitExceededException", QUOTA_WAIT_S),  # the account's sessions are others' too
        ("AccessDeniedException", DENIED_WAIT_S),  # a policy without logs:StartLiveTail
    ],
)
async def test_a_refused_session_is_polled_instead_until_one_opens(
    moto: MotoAccount,
    double: LiveTailDouble,
    aws_via_double: Aws,
    code: str,
    least_wait: float,
) -> None:
    now = int(time.time() * 1000)
    put(moto, ["while refused"], now)
    double.sessions = [Refuse(code, "not now")]
    retried = asyncio.Event()
    sleeps = Sleeps()

    async def ask_again_when_told(seconds: float) -> None:
        await sleeps(seconds)
        await retried.wait()

    tail = new_tail(aws_via_double, sleeps)
    tail.sleep = ask_again_when_told
    try:
        got = await collect(tail, lambda g: "while refused" in messages(g))
        assert tail.polling
        assert tail.refused == code, "the pane says why it polls"
        later = put(moto, ["when live again"], now + 5)
        double.sessions.append([session_start([GROUP]), session_update(later), Hold()])
        retried.set()
        got = await collect(tail, lambda g: "when live again" in messages(g), got)
        await asyncio.wait_for(_settled(tail), 10)
        got.extend(await tail.poll())
    finally:
        await tail.close()
    assert not tail.polling
    assert sorted(messages(got)) == ["when live again", "while refused"], "each once"
    assert sleeps.asked[0] >= least_wait


async def test_a_refusal_with_the_logs_unreachable_too_is_a_trouble_to_show(
    moto: MotoAccount, double: LiveTailDouble, aws_via_double: Aws
) -> None:
    double.sessions = [Refuse("ThrottlingException", "slow down")]
    tail = new_tail(aws_via_double, Sleeps())
    tail.sleep = lambda _: asyncio.Event().wait()  # no second session in this test
    try:
        await collect(tail, lambda _: tail.polling)
        await double.stop()  # the endpoint goes away: polling fails as well
        with pytest.raises(Exception) as raised:  # noqa: PT011 - whatever the HTTP layer raises
            await tail.poll()
    finally:
        await tail.close()
    assert describe(raised.value).kind in ("unreachable", "timeout")


async def test_a_group_that_does_not_exist_yet_is_not_a_trouble(
    moto: MotoAccount, double: LiveTailDouble, aws_via_double: Aws
) -> None:
    double.sessions = [Refuse("ResourceNotFoundException", "no such group")]
    tail = new_tail(aws_via_double, Sleeps())
    try:
        await collect(tail, lambda _: not tail.group_exists)
        assert await tail.poll() == [], "no trouble raised: the group may appear later"
    finally:
        await tail.close()
    assert not tail.group_exists


async def test_session_minutes_are_in_the_cost(
    moto: MotoAccount, double: LiveTailDouble, aws_via_double: Aws
) -> None:
    put(moto, ["x"], int(time.time() * 1000))
    clock = [time.time()]
    later = Hold()
    double.sessions = [[session_start([GROUP]), later, session_update([]), timeout()]]
    tail = new_tail(aws_via_double, Sleeps(), clock=lambda: clock[0])
    ledger = aws_via_double.ledger
    try:
        await collect(tail, lambda _: tail.open)
        assert ledger.live_tail_sessions == 1
        assert ledger.live_tail_usd_per_minute == pytest.approx(PRICE_PER_LIVE_TAIL_MINUTE)
        clock[0] += 90.0
        later.release.set()
        await collect(tail, lambda _: tail.stats.timeouts == 1)
    finally:
        await tail.close()
    assert ledger.live_tail_seconds == pytest.approx(90.0)
    assert ledger.cost_usd == pytest.approx(1.5 * PRICE_PER_LIVE_TAIL_MINUTE, rel=0.01)


async def test_the_monitor_feeds_the_log_pane_from_live_tail_and_says_its_price_and_sampling(
    moto: MotoAccount, double: LiveTailDouble, aws_via_double: Aws
) -> None:
    now = int(time.time() * 1000)
    busy = put(moto, ["ERROR boom", "busy"], now)
    calm_again = Hold()
    double.sessions = [
        [
            session_start([GROUP]),
            session_update(busy, sampled=True),
            calm_again,
            session_update([]),
            Hold(),
        ]
    ]
    store = Store()
    monitor = Monitor(aws_via_double, store, live_tail=True)
    try:
        state = monitor.watch("checkout")
        await until(lambda: store.live_tail_usd_per_minute > 0, what="a session priced")
        await until(lambda: "SAMPLED" in (state.log_source or ""), what="sampling said")
        await until(lambda: state.tail_total >= 2, what="the lines")
        assert store.live_tail_usd_per_minute == pytest.approx(PRICE_PER_LIVE_TAIL_MINUTE)
        calm_again.release.set()
        await until(lambda: state.log_source == "Live Tail", what="sampling over")
    finally:
        await monitor.stop()
    assert sorted(r.event.message for r in state.tail) == ["ERROR boom", "busy"]
    assert aws_via_double.ledger.live_tail_sessions == 0, "stop() ends the session"


async def test_the_monitor_opens_live_tail_sessions_up_to_its_share_of_the_quota(
    moto: MotoAccount, double: LiveTailDouble, aws_via_double: Aws
) -> None:
    store = Store()
    monitor = Monitor(aws_via_double, store, live_tail=True)
    names = [f"fn-{i}" for i in range(LIVE_TAIL_SESSIONS + 2)]
    try:
        for name in names:
            monitor.watch(name)
        await until(lambda: len(double.requests) == LIVE_TAIL_SESSIONS, what="the sessions")
        await until(
            lambda: all(store.health.get(SourceKey.logs(n)) for n in names), what="every log read"
        )
    finally:
        await monitor.stop()
    assert len(double.requests) == LIVE_TAIL_SESSIONS, "the others are polled"
    polled = [n for n in names if store.function(n).log_source is None]
    assert len(polled) == 2


async def test_lambdatop_tail_live_tail_prints_each_line_once_and_says_when_aws_samples(
    moto: MotoAccount, double: LiveTailDouble
) -> None:
    """The command itself: history, a sampled session that times out, a gap, the next one."""
    awsseed.function(moto, "checkout")
    now = int(time.time() * 1000)
    history = put(moto, ["START history"], now - 60_000)
    first = put(moto, ["first session"], now - 1_000)
    gap_written = Hold()
    double.sessions = [
        [session_start([GROUP]), session_update(first, sampled=True), gap_written, timeout()],
    ]
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "lambdatop",
        "tail",
        "checkout",
        "--follow",
        "--live-tail",
        "--since",
        "5m",
        "--format",
        "jsonl",
        "--endpoint-url",
        double.url,
        env=moto.env(),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    assert process.stdout is not None
    assert process.stderr is not None
    printed: list[str] = []

    async def read_until(count: int) -> None:
        assert process.stdout is not None
        async with asyncio.timeout(30):
            while len(printed) < count:
                line = await process.stdout.readline()
                if not line:
                    assert process.stderr is not None
                    detail = (await process.stderr.read()).decode()
                    raise AssertionError(f"the command ended early: {detail}")
                printed.append(json.loads(line)["message"])

    try:
        await read_until(2)
        gap = put(moto, ["written between sessions"], now)
        second = put(moto, ["second session"], now + 1)
        double.sessions.append(
            [session_start([GROUP], "s-2"), session_update(first + second), Hold()]
        )
        gap_written.release.set()
        await read_until(4)
    finally:
        process.send_signal(signal.SIGINT)
        async with asyncio.timeout(30):
            code = await process.wait()
        errors = (await process.stderr.read()).decode()
    assert code == 0
    assert sorted(printed) == sorted(messages_of(history + first + gap + second))
    assert "Live Tail is sampling" in errors
    assert "Traceback" not in errors
