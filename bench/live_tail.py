"""Live Tail across reconnections: every line once, and what the catch-ups cost.

moto holds the log group; the Live Tail double of the tests (tests/aws/livetaild.py) plays the
sessions through the real aiobotocore client. Each round writes lines no session streams (the
gap between two sessions), then lines a session streams in updates of at most 500 (resending
the last lines of the previous session first, as a new session may), and ends the session the
way AWS ends them in turn: the three-hour timeout, a SessionStreamingException, a broken
connection. Printed: lines written, shown, shown twice, lost; FilterLogEvents downloads per
line (the catch-ups); sessions; and the price of an hour of one session.
"""

from __future__ import annotations

import asyncio
import logging
import os
import random
import sys
import time
from pathlib import Path
from typing import Any

import boto3
from moto.server import ThreadedMotoServer

sys.path.insert(0, str(Path(__file__).parents[1] / "tests" / "aws"))

from livetaild import (
    Drop,
    Hold,
    LiveTailDouble,
    session_start,
    session_update,
    streaming_failure,
    timeout,
)

from lambdatop.aws.ledger import PRICE_PER_LIVE_TAIL_MINUTE
from lambdatop.aws.pacing import Backoff
from lambdatop.aws.pollers.livetail import LiveTail
from lambdatop.aws.session import Aws, AwsTarget

GROUP = "/aws/lambda/bench"
ROUNDS = 6
STREAMS = 12
GAP_LINES = 300
SESSION_LINES = 1_500
RESENT = 50


class Writer:
    def __init__(self, url: str, rng: random.Random) -> None:
        self.logs = boto3.client(
            "logs",
            endpoint_url=url,
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
        self.logs.create_log_group(logGroupName=GROUP)
        self.streams = [f"2026/12/07/[$LATEST]{i:032x}" for i in range(STREAMS)]
        for stream in self.streams:
            self.logs.create_log_stream(logGroupName=GROUP, logStreamName=stream)
        self.rng = rng
        self.serial = 0

    def write(self, count: int) -> list[dict[str, Any]]:
        """`count` lines over the streams, stamped a few seconds back, as FilterLogEvents
        returns them (with their ingestion time)."""
        now = int(time.time() * 1000)
        by_stream: dict[str, list[dict[str, Any]]] = {s: [] for s in self.streams}
        for _ in range(count):
            self.serial += 1
            stream = self.rng.choice(self.streams)
            stamp = now - self.rng.randint(0, 4_000)
            by_stream[stream].append({"timestamp": stamp, "message": f"line {self.serial}"})
        written: list[dict[str, Any]] = []
        for stream, batch in by_stream.items():
            if not batch:
                continue
            batch.sort(key=lambda e: e["timestamp"])
            self.logs.put_log_events(logGroupName=GROUP, logStreamName=stream, logEvents=batch)
            wanted = {e["message"] for e in batch}
            found = self.logs.filter_log_events(
                logGroupName=GROUP, logStreamNames=[stream], startTime=now - 10_000
            )["events"]
            written.extend(e for e in found if e["message"] in wanted)
        return written


async def run() -> None:
    logging.getLogger("werkzeug").disabled = True
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    moto_url = f"http://{host}:{port}"
    double = LiveTailDouble(moto_url)
    await double.start()
    writer = Writer(moto_url, random.Random(7))
    aws = Aws(AwsTarget(region="us-east-1", endpoint_url=double.url), buckets={}, max_attempts=1)
    endings = [timeout, streaming_failure, Drop]

    async def no_wait(_: float) -> None:
        await asyncio.sleep(0)

    written: list[dict[str, Any]] = writer.write(GAP_LINES)  # the history
    tail = LiveTail(
        aws,
        GROUP,
        int((time.time() - 600) * 1000),
        sleep=no_wait,
        backoff=Backoff(base=0.01, cap=0.01),
    )
    shown: list[str] = []
    previous: list[dict[str, Any]] = []
    started = time.perf_counter()
    try:
        for round_ in range(ROUNDS):
            streamed = writer.write(SESSION_LINES)
            written += streamed
            updates = [previous[-RESENT:] + streamed[:500]]
            updates += [streamed[i : i + 500] for i in range(500, len(streamed), 500)]
            end = Hold()
            ending = endings[round_ % len(endings)]
            double.sessions.append(
                [
                    session_start([GROUP], f"s-{round_}"),
                    *(session_update(u) for u in updates),
                    end,
                    ending() if ending is not Drop else Drop(),
                ]
            )
            tail.start()
            await _until_all_shown(tail, shown, len(written))
            previous = streamed
            written += writer.write(GAP_LINES)  # while this session ends: in no session
            end.release.set()
        await _until_all_shown(tail, shown, len(written))
        while tail._catch_ups:
            await asyncio.gather(*tail._catch_ups, return_exceptions=True)
        shown += [e.message for e in await tail.poll()]
    finally:
        await tail.close()
        await aws.close()
        await double.stop()
        server.stop()
    elapsed = time.perf_counter() - started
    lines = {e["message"] for e in written}
    twice = len(shown) - len(set(shown))
    lost = len(lines - set(shown))
    downloads = aws.ledger.events_downloaded
    print(
        f"live tail: {ROUNDS} sessions ended in turn by timeout, SessionStreamingException, "
        f"a broken connection; {GAP_LINES} lines written between sessions each time"
    )
    print(
        f"  lines written {len(lines):,}, shown {len(set(shown)):,}, shown twice {twice}, "
        f"lost {lost}; {tail.stats.repeated:,} re-sent or re-read lines not shown again"
    )
    print(
        f"  sessions {tail.stats.sessions}; shown live {tail.stats.live:,}, by catch-up "
        f"{tail.stats.caught_up:,}; FilterLogEvents downloads {downloads:,} "
        f"({downloads / max(1, len(lines)):.2f} per line, "
        f"{aws.ledger.calls['logs.FilterLogEvents']} calls); {elapsed:.1f} s"
    )
    reach_s = tail._reach_ms / 1000
    print(
        f"  each catch-up reads back {reach_s:.0f} s before the last update (this run packs "
        f"{tail.stats.sessions} sessions into {elapsed:.0f} s, so each re-reads nearly all); "
        f"with AWS's 3-hour sessions that is {reach_s / (3 * 3600):.2%} of the lines read again"
    )
    print(
        f"  price: ${PRICE_PER_LIVE_TAIL_MINUTE:.2f} a session-minute, "
        f"${PRICE_PER_LIVE_TAIL_MINUTE * 60:.2f} an hour a function followed"
    )


async def _until_all_shown(tail: LiveTail, shown: list[str], written: int) -> None:
    """Poll as the monitor does, woken by the tail, until every line written was shown."""
    async with asyncio.timeout(60):
        while len(set(shown)) < written:
            tail.changed.clear()
            shown += [e.message for e in await tail.poll()]
            if len(set(shown)) < written:
                await tail.changed.wait()


def bench_live_tail() -> None:
    asyncio.run(run())


if __name__ == "__main__":
    bench_live_tail()
