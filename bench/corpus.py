"""A deterministic mixed corpus of Lambda log events for the benchmarks: every format family,
realistic proportions (platform lines, app lines, stack traces, error families)."""

from __future__ import annotations

import json
import random
import uuid
from collections.abc import Iterator

BASE_MS = 1_772_442_000_000  # 2026-03-02T09:00Z


def _rid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _iso(ms: int) -> str:
    from datetime import UTC, datetime

    return (
        datetime.fromtimestamp(ms / 1000, UTC)
        .isoformat(timespec="milliseconds")
        .replace("+00:00", "Z")
    )


ERRORS = [
    "[ERROR] ClientError: An error occurred (AccessDenied) when calling the GetObject operation:"
    ' Access Denied\nTraceback (most recent call last):\n  File "/var/task/app.py", line 12,'
    " in handler\n    s3.get_object(Bucket=b, Key=k)",
    "QueuePool limit of size 5 overflow 10 reached, connection timed out, timeout 30.00",
    "could not connect to server: Connection timed out\n\tIs the server running on host"
    ' "db.internal" (10.0.1.5) and accepting\n\tTCP/IP connections on port 5432?',
    'Connect timeout on endpoint URL: "https://sqs.us-east-1.amazonaws.com/"',
    "An error occurred (ThrottlingException) when calling the PutItem operation: Rate exceeded",
]


def events(count: int, seed: int = 1, streams: int = 12) -> Iterator[dict[str, object]]:
    """`count` FilterLogEvents-shaped events, interleaved across streams in time order."""
    rng = random.Random(seed)
    names = [f"2026/03/02/[$LATEST]{rng.getrandbits(128):032x}" for _ in range(streams)]
    clock = BASE_MS
    produced = 0
    while produced < count:
        stream = rng.choice(names)
        rid = _rid(rng)
        json_format = stream.endswith(("0", "1", "2"))
        lines: list[str] = []
        cold = rng.random() < 0.05
        if json_format:
            if cold:
                lines.append(
                    json.dumps(
                        {
                            "time": _iso(clock),
                            "type": "platform.initStart",
                            "record": {"initializationType": "on-demand"},
                        }
                    )
                )
            lines.append(
                json.dumps(
                    {
                        "time": _iso(clock),
                        "type": "platform.start",
                        "record": {"requestId": rid, "version": "$LATEST"},
                    }
                )
            )
            for _ in range(rng.randint(1, 4)):
                lines.append(
                    json.dumps(
                        {
                            "timestamp": _iso(clock),
                            "level": "INFO",
                            "requestId": rid,
                            "message": "processed order",
                        }
                    )
                )
            metrics = {
                "durationMs": round(rng.uniform(5, 900), 2),
                "billedDurationMs": 900,
                "memorySizeMB": 512,
                "maxMemoryUsedMB": rng.randint(80, 300),
            }
            if cold:
                metrics["initDurationMs"] = round(rng.uniform(200, 900), 2)
            lines.append(
                json.dumps(
                    {
                        "time": _iso(clock),
                        "type": "platform.report",
                        "record": {"requestId": rid, "metrics": metrics, "status": "success"},
                    }
                )
            )
        else:
            if cold:
                lines.append(
                    "INIT_START Runtime Version: python:3.12.v38\tRuntime Version ARN:"
                    " arn:aws:lambda:us-east-1::runtime:abc"
                )
            lines.append(f"START RequestId: {rid} Version: $LATEST")
            for _ in range(rng.randint(1, 4)):
                if rng.random() < 0.5:
                    lines.append(f"[INFO]\t{_iso(clock)}\t{rid}\tcharge started for order 1234")
                else:
                    lines.append(f"{_iso(clock)}\t{rid}\tINFO\tfetched 17 items from cache")
            if rng.random() < 0.04:
                lines.append(rng.choice(ERRORS))
            lines.append(f"END RequestId: {rid}")
            init = f"\tInit Duration: {rng.uniform(200, 900):.2f} ms" if cold else ""
            lines.append(
                f"REPORT RequestId: {rid}\tDuration: {rng.uniform(5, 900):.2f} ms\tBilled Duration:"
                f" 900 ms\tMemory Size: 512 MB\tMax Memory Used: {rng.randint(80, 300)} MB{init}\t"
            )
        for line in lines:
            if produced >= count:
                return
            clock += rng.randint(0, 3)
            produced += 1
            yield {
                "logStreamName": stream,
                "timestamp": clock,
                "message": line + "\n",
                "ingestionTime": clock + 900,
                "eventId": f"{produced:056d}",
            }


def export(count: int, seed: int = 1) -> str:
    """The JSON `aws logs filter-log-events` prints for `count` events."""
    return json.dumps({"events": list(events(count, seed)), "searchedLogStreams": []}, indent=4)
