"""Pacing: a token bucket per AWS service and backoff, so lambdatop stays well inside quotas.

Quotas are per account and shared with every other tool and with the application itself; a
monitor must never be the reason an incident gets worse.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable
from contextvars import ContextVar

Clock = Callable[[], float]

PACED: ContextVar[Callable[[TokenBucket, float], None] | None] = ContextVar(
    "lambdatop_paced", default=None
)
"""Told, in the task that takes a token, which bucket paces its request and how long it holds
it: the monitor's polling loop puts the pacer's schedule on the banner ("retrying in 6 s", not
"retrying now" while the request waits its turn after throttling)."""

# Requests per second lambdatop allows itself, per service: half or less of the smallest quota
# of the operations it uses there (FilterLogEvents 5 TPS, Lambda control plane 15 TPS shared).
# An operation with a quota of its own gets a bucket of its own (`service:Operation`).
SERVICE_RATES: dict[str, float] = {
    "logs": 2.5,
    "logs:DescribeLogStreams": 2.5,
    "cloudwatch": 5.0,
    "lambda": 3.0,
    "xray": 2.0,
    "apigateway": 2.0,
    "apigatewayv2": 2.0,
    "sts": 1.0,
}


class TokenBucket:
    """At most `rate` requests a second on average, bursts up to `burst`."""

    def __init__(self, rate: float, burst: float | None = None, clock: Clock = time.monotonic):
        self.rate = rate
        self.base_rate = rate
        self.burst = burst if burst is not None else max(1.0, rate)
        self.tokens = self.burst
        self.clock = clock
        self.updated = clock()
        self.penalty_until = 0.0

    def _refill(self) -> None:
        now = self.clock()
        if self.rate < self.base_rate and now >= self.penalty_until:
            self.rate = min(self.base_rate, self.rate * 2)
            self.penalty_until = now + 30.0
        self.tokens = min(self.burst, self.tokens + (now - self.updated) * self.rate)
        self.updated = now

    def delay(self) -> float:
        """Seconds until a token is free (0 when one is)."""
        self._refill()
        return 0.0 if self.tokens >= 1 else (1 - self.tokens) / self.rate

    async def take(self) -> None:
        """Wait for a token. Each request takes its turn when it asks (the tokens go into
        debt), so it knows at once when it goes, however many wait before it."""
        wait = self.delay()
        self.tokens -= 1
        paced = PACED.get()
        if paced is not None:
            paced(self, wait)
        if wait <= 0:
            return
        try:
            await asyncio.sleep(wait)
        except asyncio.CancelledError:
            self.tokens += 1  # its turn is given back
            raise

    def throttled(self) -> None:
        """AWS said slow down: halve the rate for a while (restored step by step)."""
        self.rate = max(self.base_rate / 16, self.rate / 2)
        self.penalty_until = self.clock() + 60.0


class Turns:
    """The pacing of one task's requests (a polling loop's, `tail`'s): the buckets its last try
    took turns from, so that its retry is announced for when it can go out, and `held` told
    when a request waits for its turn."""

    def __init__(self, held: Callable[[float], None] | None = None) -> None:
        self.buckets: set[TokenBucket] = set()
        self.held = held

    @classmethod
    def of_this_task(cls, held: Callable[[float], None] | None = None) -> Turns:
        """Kept for the task that calls it (and tasks it starts): a task runs in a copy of the
        context, so other tasks' requests are not counted."""
        turns = cls(held)
        PACED.set(turns._paced)
        return turns

    def _paced(self, bucket: TokenBucket, wait_s: float) -> None:
        self.buckets.add(bucket)
        if wait_s > 0 and self.held is not None:
            self.held(wait_s)

    def next_try(self) -> None:
        self.buckets.clear()

    def retry_in(self, delay_s: float) -> float:
        """When a retry due in `delay_s` goes out: once the pacer has a turn for it too."""
        return max([delay_s, *(bucket.delay() for bucket in self.buckets)])


class Backoff:
    """Exponential backoff with full jitter, reset on success."""

    def __init__(self, base: float = 2.0, cap: float = 60.0, rng: random.Random | None = None):
        self.base = base
        self.cap = cap
        self.failures = 0
        self.rng = rng or random.Random()

    def success(self) -> None:
        self.failures = 0

    def next_delay(self) -> float:
        self.failures += 1
        ceiling: float = min(self.cap, self.base * 2.0 ** (self.failures - 1))
        return ceiling / 2 + float(self.rng.uniform(0, ceiling / 2))


# Short bursts each service tolerates (a burst is spent once, then the rate holds).
SERVICE_BURSTS: dict[str, float] = {
    "logs": 4.0,
    "logs:DescribeLogStreams": 2.0,
    "cloudwatch": 10.0,
    "lambda": 8.0,
    "xray": 4.0,
    "apigateway": 5.0,
    "apigatewayv2": 5.0,
    "sts": 1.0,
}


def make_buckets(clock: Clock = time.monotonic) -> dict[str, TokenBucket]:
    """A bucket per service, and per operation where the operation has a quota of its own."""
    return {
        service: TokenBucket(rate, SERVICE_BURSTS.get(service), clock=clock)
        for service, rate in SERVICE_RATES.items()
    }
