"""The banner's schedule while lambdatop's own pacer holds requests after throttling (issue 13:
"every source that fails is retried on a schedule the banner shows"). After AWS throttled a
service, lambdatop sends to it at a sixteenth of its pace for a minute: a source's retry, due
by its backoff, then waits its turn for seconds. The banner said "retrying now" all that while;
it counts down to the request going out."""

from __future__ import annotations

import re
import time

from awsfakes import until
from awsmoto import MotoAccount
from faultproxy import FaultProxy
from incident import FUNCTION, seed, ship

from lambdatop.aws.monitor import Monitor
from lambdatop.aws.pacing import make_buckets
from lambdatop.aws.session import Aws, AwsTarget
from lambdatop.core.sources import SourceKey
from lambdatop.core.store import Store

PATIENCE_S = 60.0
SLACK_S = 1.5
"""A countdown is in whole seconds ('retrying now' from half a second before), and the event
loop's turns on a loaded machine."""
TRIES = 3
"""Retries watched while the fault lasts: each waits its turn behind the pacer."""
COUNTDOWN = re.compile(r"retrying (?:in (\d+) s|now)")


async def test_the_banner_counts_down_to_the_request_the_pacer_holds(
    moto: MotoAccount, proxy: FaultProxy
) -> None:
    seed(moto)
    ship(moto, [0])
    # One attempt a call: what goes out is lambdatop's own schedule, no SDK retry between.
    aws = Aws(
        AwsTarget(region="us-east-1", endpoint_url=proxy.url),
        buckets=make_buckets(),
        max_attempts=1,
    )
    store = Store()
    monitor = Monitor(aws, store)
    logs = SourceKey.logs(FUNCTION)
    monitor.set_focus(FUNCTION)
    try:
        await until(
            lambda: logs in store.health and store.health[logs].last_ok_s is not None,
            within=PATIENCE_S,
            what="the function's logs read",
        )
        # AWS throttled CloudWatch Logs a while: lambdatop's pace there is at its slowest.
        for key in ("logs", "logs:DescribeLogStreams"):
            for _ in range(4):
                aws.buckets[key].throttled()
        began = time.time()
        proxy.start("throttle", only={"logs"})
        said: list[tuple[float, float]] = []
        """Each moment the banner was looked at, and the moment it said the retry goes out."""

        def sent() -> list[float]:
            return [at for at, service, _ in proxy.arrivals if service == "logs" and at > began]

        def look() -> bool:
            now = time.time()
            banner = store.banner(now) or ""
            countdown = COUNTDOWN.search(banner)
            if "throttled" in banner and countdown is not None:
                said.append((now, now + float(countdown.group(1) or 0)))
            return len(sent()) > TRIES

        await until(look, within=PATIENCE_S, what=f"{TRIES} retries of the logs")
        proxy.end()
        ended = time.time()
        await until(
            lambda: (store.health[logs].last_ok_s or 0) > ended,
            within=PATIENCE_S,
            what="the logs answering again",
        )
        assert store.banner(time.time()) is None, "cleared once the source answered"
    finally:
        await monitor.stop()
    arrivals = sent()
    held = max(1 / aws.buckets["logs"].rate, 1 / aws.buckets["logs:DescribeLogStreams"].rate)
    assert held > 4, "the pacer holds requests for seconds"
    # Whenever the banner said when the retry goes out, a request went out then (not seconds
    # later, while "retrying now" stood on screen).
    for looked, going in said:
        assert any(abs(at - going) <= SLACK_S for at in arrivals), (
            looked - began,
            going - began,
            [at - began for at in arrivals],
        )
