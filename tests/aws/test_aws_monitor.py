"""The monitor against moto, with faults injected where the network would put them: throttling
slows a poller down without a retry storm; 5xx answers, connect timeouts, expired tokens and an
unreachable endpoint become state (a banner, the next retry) and polling resumes by itself when
the cause goes away. Nothing raised escapes: every loop is still running afterwards.

The monitor runs on a fake clock; tests wake its pollers with `refresh_now()` and wait for
conditions with a deadline, never for a fixed time.
"""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from collections.abc import AsyncIterator
from typing import Any

import awsseed
import pytest
from awsfakes import FakeClock, error, hook, parsed, response, until
from awsmoto import MotoAccount
from botocore.exceptions import ConnectTimeoutError, EndpointConnectionError

from lambdatop.aws.monitor import Monitor
from lambdatop.aws.pacing import make_buckets
from lambdatop.aws.session import Aws
from lambdatop.core import metrics as m
from lambdatop.core.sources import (
    APIGATEWAY,
    FLEET_LOGS,
    INVENTORY,
    METRICS,
    PERCENTILES,
    ErrorKind,
    SourceKey,
)
from lambdatop.core.store import SourceHealth, Store

SERVICES = ("lambda", "logs", "cloudwatch", "xray", "apigateway", "apigatewayv2")
SERVICE_IDS = {"logs": "cloudwatch-logs", "apigateway": "api-gateway"}
"""botocore's event names spell some services by their service id."""
LOGS = SourceKey.logs("checkout")
LOOPS = {INVENTORY, METRICS, LOGS, SourceKey.traces("checkout")}
"""The loops that call AWS from the start (the fleet's log scan waits for the listing)."""


class Faults:
    """Failures switched on and off on every client of an `Aws`, at the HTTP layer (CloudWatch's
    CBOR errors are answered whole, before the call)."""

    def __init__(self, aws: Aws, url: str) -> None:
        self.aws = aws
        self.url = url
        self.fault: Any = None
        self.only: set[str] | None = None
        self.attempts: Counter[str] = Counter()

    async def install(self) -> None:
        for service in SERVICES:
            client = await self.aws.client(service)
            client.meta.events.register("before-send", self._send)
            client.meta.events.register("before-call", self._call)

    def set(self, fault: Any, only: set[str] | None = None) -> None:
        self.fault = fault
        self.only = None if only is None else {SERVICE_IDS.get(s, s) for s in only}

    def _applies(self, service: str) -> bool:
        return self.fault is not None and (self.only is None or service in self.only)

    def _send(self, event_name: str = "", **_: Any) -> Any:
        _, service, operation = event_name.split(".")
        self.attempts[f"{service}.{operation}"] += 1
        if not self._applies(service):
            return None
        if self.fault == "down":
            raise EndpointConnectionError(endpoint_url=self.url)
        if self.fault == "timeout":
            raise ConnectTimeoutError(endpoint_url=self.url)
        status, code = self.fault
        return error(status, code, f"injected {code}")

    def _call(self, event_name: str = "", **_: Any) -> Any:
        _, service, _operation = event_name.split(".")
        if service != "cloudwatch" or not self._applies(service) or isinstance(self.fault, str):
            return None
        status, code = self.fault
        return parsed({"Error": {"Code": code, "Message": f"injected {code}"}}, status)

    def count(self, service: str) -> int:
        prefix = f"{SERVICE_IDS.get(service, service)}."
        return sum(n for key, n in self.attempts.items() if key.startswith(prefix))


def seed_checkout(moto: MotoAccount) -> str:
    """A traced function with reserved concurrency, an API in front, metrics and logs; returns
    the id of its failed trace."""
    arn = awsseed.function(moto, "checkout", timeout_s=30, tracing="Active")["FunctionArn"]
    awsseed.reserve(moto, "checkout", 50)
    awsseed.rest_api(moto, arn)
    awsseed.seed_lambda_series(moto, "checkout")
    failed = awsseed.trace(moto, "checkout", fault=True)
    written = awsseed.invocations(
        moto,
        "checkout",
        20,
        durations_ms=(50, 200),
        memory_mb=128,
        used_mb=(60, 80),
        since_s=600,
        trace_ids=[failed],
    )
    assert written == 20 * 3  # START, END, REPORT
    return failed


def new_invocation(moto: MotoAccount, seed: int) -> str:
    """One more invocation in a new stream; returns its REPORT line."""
    rng = random.Random(seed)
    invocation = awsseed.Invocation(
        start_ms=int(awsseed.time.time() * 1000) - 2_000,
        duration_ms=42.0,
        memory_mb=128,
        used_mb=70,
    )
    lines = awsseed.invocation_lines(invocation, rng)
    awsseed.log_events(moto, "/aws/lambda/checkout", awsseed.stream_name(rng), lines)
    return lines[-1][1]


def soon(health: SourceHealth) -> bool:
    """Retried after the backoff of its failures so far: 1-2 s, 2-4 s, ... (jittered)."""
    ceiling = 2.0 * 2 ** (health.failures - 1)
    wait = (health.next_retry_s or 0.0) - health.last_attempt_s if health.last_attempt_s else 0
    return ceiling / 2 <= wait <= ceiling


def tail_messages(store: Store) -> list[str]:
    return [record.event.message for record in store.functions["checkout"].tail]


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(float(int(awsseed.time.time())))


@pytest.fixture
async def monitor(aws: Aws, clock: FakeClock) -> AsyncIterator[Monitor]:
    monitor = Monitor(aws, Store(clock=clock), clock=clock, rng=random.Random(7))
    try:
        yield monitor
    finally:
        await monitor.stop()


def begin(monitor: Monitor) -> None:
    monitor.start()
    monitor.set_focus("checkout")


async def filled(monitor: Monitor) -> None:
    store = monitor.store
    state = store.function("checkout")
    await until(
        lambda: (
            "checkout" in store.inventory
            and state.config is not None
            and state.config.reserved_concurrency == 50
            and bool(state.apis)
            and state.tail_total >= 60
            and bool(state.metrics.get(m.INVOCATIONS))
            and state.traces_read
            and all(store.source(s).error is None for s in LOOPS)
            and all(store.source(s).last_ok_s is not None for s in LOOPS)
        ),
        what="the store to fill, every loop having finished a good tick",
    )


async def test_monitor_fills_the_store_and_follows_new_data(
    moto: MotoAccount, monitor: Monitor, clock: FakeClock
) -> None:
    failed = seed_checkout(moto)
    begin(monitor)
    await filled(monitor)
    store = monitor.store
    state = store.functions["checkout"]
    # moto names no services in trace summaries: the trace is the function's by the id its
    # REPORT line carries, so it shows once the logs are read.
    monitor.refresh_now()
    await until(lambda: failed in state.traces, what="the failed trace")
    assert state.traces[failed].fault
    for source in (*LOOPS, APIGATEWAY):
        assert store.health[source].error is None, source
        assert store.health[source].age_s(clock()) == 0
    # moto refuses percentiles: the only trouble, an optional one, so no banner.
    await until(lambda: PERCENTILES in store.health, what="the percentiles request")
    assert store.banner(clock()) is None
    assert [h.key for h in store.troubles(include_optional=True)] == [PERCENTILES]
    assert store.health[PERCENTILES].error == "percentiles: AWS answered HTTP 500; retrying"
    # A new invocation shows after a refresh, once.
    report = new_invocation(moto, seed=11)
    monitor.refresh_now()
    await until(lambda: report in tail_messages(store), what="the new REPORT line")
    assert tail_messages(store).count(report) == 1
    # Opening a trace reads its segments.
    await monitor.open_trace("checkout", failed)
    assert [s.name for s in state.trace_details[failed]] == ["checkout", "DynamoDB"]
    assert monitor.alive() >= LOOPS
    assert store.api_calls == monitor.aws.ledger.total_calls
    assert store.cost_usd == monitor.aws.ledger.cost_usd > 0


async def test_throttling_slows_the_poller_without_a_retry_storm(
    moto: MotoAccount, clock: FakeClock
) -> None:
    seed_checkout(moto)
    aws = Aws(moto.target(), buckets=make_buckets(clock=clock), max_attempts=2)
    monitor = Monitor(aws, Store(clock=clock), clock=clock, rng=random.Random(7))
    try:
        faults = Faults(aws, moto.url)
        await faults.install()
        faults.set((400, "ThrottlingException"), only={"logs"})
        begin(monitor)
        store = monitor.store
        describe = aws.bucket("logs", "DescribeLogStreams")
        assert describe is not None
        waits: list[tuple[int, float]] = []
        for failures in (1, 2, 3):
            await until(
                lambda n=failures: store.source(LOGS).failures >= n,
                what=f"failure {failures}",
            )
            health = store.health[LOGS]
            assert health.error_kind is ErrorKind.THROTTLED
            assert soon(health)
            assert health.next_retry_s is not None
            waits.append((health.failures, health.next_retry_s - clock()))
            clock.advance(5)  # tokens refill; the bucket's penalty (60 s) holds
            monitor.refresh_now()
        # Backoff doubles with each failure: 1-2 s, 2-4 s, 4-8 s (jittered).
        assert [n for n, _ in waits] == [1, 2, 3]
        assert waits[0][1] < waits[2][1]
        # Each failed poll made one call, which botocore tried twice: no storm.
        await until(lambda: store.source(LOGS).failures >= 4, what="failure 4")
        seen = faults.count("logs")
        for _ in range(50):
            await asyncio.sleep(0)
        assert faults.count("logs") == seen, "nothing is sent while the poller waits"
        assert seen == 2 * store.source(LOGS).failures
        # The service's pace dropped: DescribeLogStreams is what was throttled.
        assert describe.rate < describe.base_rate / 4
        banner = store.banner(clock())
        assert banner is not None
        assert banner.startswith(
            "checkout logs: throttled by AWS (ThrottlingException); slowing down, retrying in"
        )
        # The cause goes away: polling resumes by itself, the pace climbs back.
        faults.set(None)
        slowest = describe.rate
        report = new_invocation(moto, seed=12)
        clock.advance(61)
        monitor.refresh_now()
        await until(lambda: store.health[LOGS].error is None, what="recovery")
        await until(lambda: report in tail_messages(store), what="the new REPORT line")
        assert describe.rate == 2 * slowest
        assert monitor.alive() >= LOOPS
    finally:
        await monitor.stop()


async def test_server_errors_and_timeouts_are_retried_and_recovered(
    moto: MotoAccount, aws: Aws, monitor: Monitor, clock: FakeClock
) -> None:
    seed_checkout(moto)
    faults = Faults(aws, moto.url)
    await faults.install()
    faults.set((503, "ServiceUnavailableException"), only={"lambda", "cloudwatch"})
    begin(monitor)
    store = monitor.store
    await until(
        lambda: (
            store.source(INVENTORY).error_kind is ErrorKind.SERVER
            and store.source(METRICS).error_kind is ErrorKind.SERVER
        ),
        what="server errors recorded",
    )
    for source in (INVENTORY, METRICS):
        health = store.health[source]
        assert health.error is not None
        assert "HTTP 503 (ServiceUnavailableException)" in health.error
        assert health.next_retry_s is not None
        assert soon(health), "a server error is retried soon"
    faults.set("timeout", only={"xray", "logs"})
    monitor.refresh_now()
    await until(
        lambda: (
            store.source(SourceKey.traces("checkout")).error_kind is ErrorKind.TIMEOUT
            and store.source(LOGS).error_kind is ErrorKind.TIMEOUT
        ),
        what="timeouts recorded",
    )
    assert store.health[SourceKey.traces("checkout")].error == (
        f"no connection to the AWS endpoint {moto.url} in time (connect timeout); retrying"
    )
    assert monitor.alive() >= LOOPS
    faults.set(None)
    monitor.refresh_now()
    await filled(monitor)
    await until(
        lambda: all(store.health[s].error is None for s in LOOPS), what="every source recovered"
    )


async def test_expired_token_says_credentials_and_retries_on_the_backoff(
    moto: MotoAccount, aws: Aws, monitor: Monitor, clock: FakeClock
) -> None:
    seed_checkout(moto)
    faults = Faults(aws, moto.url)
    await faults.install()
    faults.set((403, "ExpiredTokenException"))
    begin(monitor)
    store = monitor.store
    await until(
        lambda: all(store.source(s).error_kind is ErrorKind.CREDENTIALS for s in LOOPS),
        what="every source to fail on credentials",
    )
    banner = store.banner(clock())
    assert banner is not None
    # The test's credentials are the environment's: AWS_SESSION_TOKEN is never renewed there.
    assert banner.startswith(
        "credentials expired (ExpiredTokenException): the environment's temporary credentials"
        " (AWS_SESSION_TOKEN) ran out; start lambdatop again with new ones, or with a --profile"
        " botocore renews"
    )
    for source in LOOPS:
        health = store.health[source]
        assert health.next_retry_s is not None
        assert health.last_attempt_s is not None
        # On the backoff schedule (1-2 s, 2-4 s, ... a minute at most), not after 30 s: a
        # person renews them in another terminal and expects them picked up at once.
        ceiling = min(60.0, 2.0 * 2 ** (health.failures - 1))
        assert ceiling / 2 <= health.next_retry_s - health.last_attempt_s <= ceiling
    assert monitor.alive() >= LOOPS
    # New credentials (the cause gone): the next poll, here woken by hand, recovers.
    faults.set(None)
    monitor.refresh_now()
    await filled(monitor)
    await until(lambda: all(store.health[s].error is None for s in LOOPS), what="recovery")


async def test_endpoint_down_then_up(
    moto: MotoAccount, aws: Aws, monitor: Monitor, clock: FakeClock
) -> None:
    seed_checkout(moto)
    faults = Faults(aws, moto.url)
    await faults.install()
    begin(monitor)
    await filled(monitor)
    store = monitor.store
    faults.set("down")
    monitor.refresh_now()
    await until(
        lambda: all(store.source(s).error_kind is ErrorKind.UNREACHABLE for s in LOOPS),
        what="every source to see the endpoint down",
    )
    banner = store.banner(clock())
    assert banner is not None
    assert banner.startswith(f"cannot reach the AWS endpoint {moto.url}; retrying in ")
    for source in LOOPS:
        health = store.health[source]
        assert health.next_retry_s is not None
        assert soon(health), "unreachable is retried soon"
    clock.advance(30)
    for source in LOOPS:
        assert store.health[source].age_s(clock()) == 30, "the age of the last good data"
    assert monitor.alive() >= LOOPS
    # Lines written while the endpoint is down show once it is back, each once.
    report = new_invocation(moto, seed=13)
    clock.advance(30)
    faults.set(None)
    monitor.refresh_now()
    await until(lambda: report in tail_messages(store), what="the lines from the outage")
    await until(lambda: all(store.health[s].error is None for s in LOOPS), what="recovery")
    messages = tail_messages(store)
    assert messages.count(report) == 1
    assert any(message.startswith("logs unreachable for") for message in messages)
    assert store.banner(clock()) is None


async def test_stop_right_after_a_wake_up_ends_every_loop(
    moto: MotoAccount, aws: Aws, clock: FakeClock
) -> None:
    """A stop that meets a wake-up must not be swallowed (asyncio.wait_for in Python 3.11
    returns the wake-up instead of the cancellation, and the loop would run on for ever)."""
    seed_checkout(moto)
    monitor = Monitor(aws, Store(clock=clock), clock=clock, rng=random.Random(7))
    begin(monitor)
    await filled(monitor)
    store = monitor.store
    await until(
        lambda: (
            all(store.source(s).last_ok_s is not None for s in LOOPS)
            and monitor.alive() == LOOPS | {FLEET_LOGS}
        ),
        what="every loop to wait for its next tick",
    )
    monitor.refresh_now()
    stopping = asyncio.create_task(monitor.stop())
    done, _ = await asyncio.wait({stopping}, timeout=5)
    assert stopping in done, f"stop() hangs; loops still running: {monitor.alive()}"
    assert monitor.alive() == set()


async def test_traces_told_apart_by_log_ids_are_asked_again_soon_until_the_logs_arrive(
    moto: MotoAccount, monitor: Monitor
) -> None:
    # moto refuses filter expressions with a server error: its failures are picked out by the
    # trace ids the REPORT lines carry. Asked before any log line has arrived, the answer is
    # "none", and it must not stand for the next minute (the diagnosis would say "ok").
    from lambdatop.aws.monitor import TRACES_BEFORE_LOGS_S
    from lambdatop.aws.pollers.traces import TracesPoller

    failed = seed_checkout(moto)
    state = monitor.store.function("checkout")
    poller = TracesPoller(
        monitor.aws, "checkout", lambda: 3600.0, monitor.clock, known_ids=state.trace_ids
    )
    tick = monitor._trace_ticker(state, poller)
    assert await tick() == TRACES_BEFORE_LOGS_S
    assert poller.filtered_here
    assert poller.filter_expressions  # one strike only so far
    assert failed not in state.traces


async def test_switching_functions_hurries_only_the_focused_function_s_log_poll(
    moto: MotoAccount, monitor: Monitor, aws: Aws
) -> None:
    """A focus change wakes the log poll of the function on screen, not every poller of every
    opened function: switching back and forth costs no metric, trace or listing calls."""
    seed_checkout(moto)
    awsseed.function(moto, "orders", timeout_s=10)
    faults = Faults(aws, moto.url)
    await faults.install()
    begin(monitor)
    monitor.watch("orders")
    await filled(monitor)
    await until(
        lambda: monitor.store.source(SourceKey.logs("orders")).last_ok_s is not None, what="orders"
    )
    before = Counter(faults.attempts)
    for name in ("orders", "checkout", "orders"):
        polls = faults.count("logs")
        monitor.set_focus(name)
        await until(lambda polls=polls: faults.count("logs") > polls, what=f"{name}'s log poll")
    after = faults.attempts - before
    assert after, "the focused log polls were counted"
    assert {key.split(".")[0] for key in after} == {"cloudwatch-logs"}, after


async def test_a_failed_configuration_read_is_retried_on_a_schedule_the_banner_counts_down(
    moto: MotoAccount, aws: Aws, monitor: Monitor, clock: FakeClock
) -> None:
    seed_checkout(moto)
    failing = True

    def unavailable(**_: Any) -> Any:
        return error(503, "ServiceException", "injected") if failing else None

    client = await aws.client("lambda")
    client.meta.events.register("before-send.lambda.GetFunctionConfiguration", unavailable)
    begin(monitor)
    store = monitor.store
    config = SourceKey.config("checkout")
    await until(lambda: store.source(config).error_kind is ErrorKind.SERVER, what="the 503")
    health = store.health[config]
    assert soon(health), "a 5xx on the configuration read is retried on the backoff schedule"
    assert config in monitor.alive(), "the one-off read goes on until it succeeds"
    assert health.next_retry_s is not None
    wait = round(health.next_retry_s - clock())
    assert store.banner(clock()) == (
        f"checkout: AWS answered HTTP 503 (ServiceException); retrying in {wait} s"
    )
    # AWS answers again: the next try (woken here rather than waited for) clears the banner.
    failing = False
    monitor.refresh_now()
    await until(lambda: store.source(config).error is None, what="the configuration read")
    assert store.functions["checkout"].config is not None
    assert store.banner(clock()) is None
    await until(lambda: config not in monitor.alive(), what="the one-off read to end")


async def test_an_opened_function_s_newest_lines_show_before_its_older_minutes_are_read(
    moto: MotoAccount, monitor: Monitor, clock: FakeClock
) -> None:
    """The double holds every log read after the first until lines are in the store; once the
    older minutes arrive they go before the newest, and an invocation that began before the
    newest minute and ended in it is grouped as one run, as a read in order groups it."""
    seed_checkout(moto)
    rng = random.Random(3)
    now_ms = int(clock() * 1000)
    across = awsseed.Invocation(now_ms - 90_000, 70_000.0, 128, 64, app=("charging",))
    lines = awsseed.invocation_lines(across, rng)
    awsseed.log_events(moto, "/aws/lambda/checkout", awsseed.stream_name(rng), lines)
    rid = lines[0][1].split()[2]
    state = monitor.store.function("checkout")
    reads = 0

    async def hold_older_reads(**_: Any) -> None:
        nonlocal reads
        reads += 1
        if reads > 1:
            async with asyncio.timeout(20):  # fails the test rather than hang it
                await until(lambda: state.tail_total > 0, what="the newest minute's lines")

    client = await monitor.aws.client("logs")
    client.meta.events.register("before-send.cloudwatch-logs.FilterLogEvents", hold_older_reads)
    begin(monitor)
    await until(lambda: state.tail_total >= 60 + len(lines), what="the whole backfill")
    stamps = [record.event.timestamp_ms for record in state.tail]
    assert stamps == sorted(stamps), "the older minutes go before the newest"
    assert len(stamps) == len({(r.event.event_id) for r in state.tail}) == 60 + len(lines)
    invocation = state.pipeline.tracker.invocations[rid]
    assert (invocation.start_ms, invocation.attempts, invocation.reported) == (
        across.start_ms,
        1,
        True,
    )
    assert len(state.pipeline.tracker.invocations) == 21


async def test_a_lambda_throttle_that_says_how_long_to_wait_is_waited(
    moto: MotoAccount, aws: Aws, monitor: Monitor, clock: FakeClock
) -> None:
    """Lambda's TooManyRequestsException (HTTP 429) carries retryAfterSeconds, "The number of
    seconds the caller should wait before retrying", as the Retry-After header: the control
    plane's 15 requests a second are the account's, so the list waits that long, not the
    backoff's 1-2 s, and the banner counts it down."""
    seed_checkout(moto)
    throttled = response(
        429,
        {
            "__type": "TooManyRequestsException",
            "message": "Rate exceeded",
            "Reason": "CallerRateLimitExceeded",
        },
        {"x-amzn-errortype": "TooManyRequestsException", "Retry-After": "45"},
    )
    remove = await hook(aws, "lambda", "before-send.lambda.ListFunctions", lambda **_: throttled)
    begin(monitor)
    store = monitor.store
    await until(lambda: store.source(INVENTORY).failures >= 1, what="the throttled list")
    health = store.health[INVENTORY]
    assert health.error_kind is ErrorKind.THROTTLED
    assert health.next_retry_s is not None
    assert 45 <= health.next_retry_s - clock() <= 50, "AWS's wait, not the backoff's 1-2 s"
    banner = store.banner(clock()) or ""
    assert "throttled by AWS (TooManyRequestsException); slowing down, retrying in 4" in banner
    remove()


async def test_a_function_deleted_while_watched_is_said_so(
    moto: MotoAccount, monitor: Monitor, clock: FakeClock
) -> None:
    """GetFunctionConfiguration on a function deleted since it was read answers
    ResourceNotFoundException ("The resource specified in the request does not exist"): the
    banner says it is gone, not a bare "not found", and what was read stays."""
    seed_checkout(moto)
    begin(monitor)
    await filled(monitor)
    moto.client("lambda").delete_function(FunctionName="checkout")
    monitor.refresh_now()
    store = monitor.store
    await until(
        lambda: store.source(SourceKey.config("checkout")).error is not None,
        what="the refresh to fail",
    )
    assert store.health[SourceKey.config("checkout")].error_kind is ErrorKind.MISSING
    banner = store.banner(clock()) or ""
    assert banner.startswith(
        "checkout no longer exists in us-east-1 (deleted?): Lambda answered"
        " ResourceNotFoundException; its logs and metrics so far stay on screen"
    ), banner
    assert store.functions["checkout"].tail_total >= 60, "what was read stays"
