"""A test double that behaves as AWS documents, where moto does not: botocore event hooks on the
clients of the `Aws` under test, between lambdatop and moto (see awsfakes.py for the hooks).

Each behaviour cites the AWS documentation it follows. moto runs in this process
(ThreadedMotoServer), so the double reads moto's own stores to answer as AWS would from the same
data: the double changes how AWS answers, never what the account holds.
"""

from __future__ import annotations

import json
from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from awsfakes import parsed
from awsmoto import ACCOUNT, REGION

Clock = Callable[[], float]


@dataclass
class Stream:
    """A log stream as the double sees it: events in ingestion order, each with `timestamp`,
    `ingestion_time`, `message` and `event_id` (moto's LogStream has the same shape)."""

    log_stream_name: str
    created_ms: int
    events: list[Any] = field(default_factory=list)

    @property
    def arn(self) -> str:
        return f"arn:aws:logs:{REGION}:{ACCOUNT}:log-stream:{self.log_stream_name}"


def moto_streams(group_name: str) -> list[Stream] | None:
    """moto's streams of a group (moto runs in this process), or None if there is no group."""
    from moto.logs.models import logs_backends

    group = logs_backends[ACCOUNT][REGION].groups.get(group_name)
    if group is None:
        return None
    return [
        Stream(name, int(stream.creation_time.timestamp() * 1000), stream.events)
        for name, stream in list(group.streams.items())
    ]


def _body(params: dict[str, Any] | None) -> dict[str, Any]:
    """The JSON body of a serialized request (the `params` a `before-call` handler sees)."""
    body = (params or {}).get("body") or b"{}"
    if isinstance(body, bytes):
        body = body.decode()
    loaded = json.loads(body or "{}")
    return loaded if isinstance(loaded, dict) else {}


@dataclass
class _StreamHistory:
    """Prefix maxima of a moto stream's events in ingestion order (moto appends them so)."""

    ingested: list[int] = field(default_factory=list)
    newest: list[int] = field(default_factory=list)
    oldest: list[int] = field(default_factory=list)

    def catch_up(self, events: list[Any]) -> None:
        for event in events[len(self.ingested) :]:
            self.ingested.append(int(event.ingestion_time))
            ts = int(event.timestamp)
            self.newest.append(max(ts, self.newest[-1]) if self.newest else ts)
            self.oldest.append(min(ts, self.oldest[-1]) if self.oldest else ts)

    def as_of(self, cutoff_ms: int) -> tuple[int, int, int] | None:
        """(first event, last event, last ingestion) counting only what was ingested by then."""
        index = bisect_right(self.ingested, cutoff_ms)
        if index == 0:
            return None
        return self.oldest[index - 1], self.newest[index - 1], self.ingested[index - 1]


class StaleStreams:
    """DescribeLogStreams as the CloudWatch Logs API reference (LogStream) documents it:
    "lastEventTimestamp ... updates on an eventual consistency basis. It typically updates in
    less than an hour from ingestion, but in rare situations might take longer", and the same of
    lastIngestionTime. Each stream's fields are answered as they were `stale_s` ago; a stream
    younger than that carries none. "If you order the results by event time, you cannot specify
    the logStreamNamePrefix parameter ... lastEventTimestamp ... updates on an eventual
    consistency basis": ordering by LastEventTime sorts on the stale value, and streams without
    it come last. Pages hold at most `limit` streams ("The default value is up to 50 items"),
    continued by nextToken.

    `stale_s=0` answers fresh metadata (what moto does), with the same ordering and paging.
    """

    def __init__(
        self,
        clock: Clock,
        stale_s: float,
        streams: Callable[[str], list[Stream] | None] = moto_streams,
    ) -> None:
        self.clock = clock
        self.stale_s = stale_s
        self.streams = streams
        self.histories: dict[tuple[str, str], _StreamHistory] = {}
        self.calls = 0

    def __call__(self, params: dict[str, Any] | None = None, **_: Any) -> Any:
        self.calls += 1
        request = _body(params)
        group_name = str(request.get("logGroupName", ""))
        streams = self.streams(group_name)
        if streams is None:
            return parsed({"Error": {"Code": "ResourceNotFoundException", "Message": "group"}}, 400)
        cutoff = int((self.clock() - self.stale_s) * 1000)
        rows = []
        prefix = str(request.get("logStreamNamePrefix") or "")
        for stream in streams:
            name = stream.log_stream_name
            if not name.startswith(prefix):
                continue
            history = self.histories.setdefault((group_name, name), _StreamHistory())
            history.catch_up(stream.events)
            created = stream.created_ms
            row: dict[str, Any] = {
                "logStreamName": name,
                "creationTime": created,
                "arn": stream.arn,
                "storedBytes": 0,
            }
            known = history.as_of(cutoff) if created <= cutoff else None
            if known is not None:
                row["firstEventTimestamp"], row["lastEventTimestamp"] = known[0], known[1]
                row["lastIngestionTime"] = known[2]
            rows.append(row)
        if request.get("orderBy") == "LastEventTime":
            with_time = [r for r in rows if "lastEventTimestamp" in r]
            without = [r for r in rows if "lastEventTimestamp" not in r]
            with_time.sort(
                key=lambda r: int(r["lastEventTimestamp"]), reverse=bool(request.get("descending"))
            )
            rows = with_time + sorted(without, key=lambda r: str(r["logStreamName"]))
        else:
            rows.sort(
                key=lambda r: str(r["logStreamName"]), reverse=bool(request.get("descending"))
            )
        limit = min(int(request.get("limit") or 50), 50)
        start = int(request.get("nextToken") or 0)
        page = rows[start : start + limit]
        answer: dict[str, Any] = {"logStreams": page}
        if start + limit < len(rows):
            answer["nextToken"] = str(start + limit)
        return parsed(answer)


async def install_stale_streams(aws: Any, clock: Clock, stale_s: float) -> StaleStreams:
    """Answer the `Aws`'s DescribeLogStreams as AWS documents it, `stale_s` behind."""
    double = StaleStreams(clock, stale_s)
    client = await aws.client("logs")
    client.meta.events.register("before-call.cloudwatch-logs.DescribeLogStreams", double)
    return double


@dataclass
class _Event:
    timestamp: int
    ingestion_time: int
    message: str
    event_id: str


class MemoryGroup:
    """One log group held in the test, answered through the `Aws` client's own botocore stack
    (`before-call` hooks) as the CloudWatch Logs API reference documents FilterLogEvents and
    DescribeLogStreams. For property tests that run thousands of schedules, where moto over HTTP
    would take minutes; the tail tests against moto prove the same client calls work there.

    FilterLogEvents: "startTime ... Events with a timestamp before this time are not returned",
    "endTime ... Events with a timestamp later than this time are not returned" (both inclusive);
    `logStreamNames` restricts the streams; "If the results include a token, there might be more
    log events available" (pages of `page_size`, continued by nextToken); each event carries
    logStreamName, timestamp, message, ingestionTime and eventId.
    """

    def __init__(self, name: str, clock: Clock, stale_s: float = 0.0, page_size: int = 10_000):
        self.name = name
        self.clock = clock
        self.page_size = page_size
        self.streams: dict[str, Stream] = {}
        self.serial = 0
        self.describe = StaleStreams(clock, stale_s, self._listing)
        self.reads = 0

    def _listing(self, group_name: str) -> list[Stream] | None:
        return list(self.streams.values()) if group_name == self.name else None

    def put(self, stream: str, events: list[tuple[int, str]]) -> None:
        """Ingest events (timestamp ms, message) into a stream now, by the fake clock."""
        now = int(self.clock() * 1000)
        target = self.streams.get(stream)
        if target is None:
            target = self.streams[stream] = Stream(stream, now)
        for timestamp, message in events:
            self.serial += 1
            target.events.append(_Event(timestamp, now, message, f"{self.serial:012d}"))

    def filter_log_events(self, params: dict[str, Any] | None = None, **_: Any) -> Any:
        self.reads += 1
        request = _body(params)
        if request.get("logGroupName") != self.name:
            return parsed({"Error": {"Code": "ResourceNotFoundException", "Message": "group"}}, 400)
        start = request.get("startTime")
        end = request.get("endTime")
        names = request.get("logStreamNames")
        rows = [
            (event.timestamp, event.event_id, stream.log_stream_name, event)
            for stream in self.streams.values()
            if not names or stream.log_stream_name in names
            for event in stream.events
            if (start is None or event.timestamp >= start)
            and (end is None or event.timestamp <= end)
        ]
        rows.sort(key=lambda row: (row[0], row[1]))
        offset = int(request.get("nextToken") or 0)
        page = rows[offset : offset + self.page_size]
        answer: dict[str, Any] = {
            "events": [
                {
                    "logStreamName": name,
                    "timestamp": event.timestamp,
                    "message": event.message,
                    "ingestionTime": event.ingestion_time,
                    "eventId": event.event_id,
                }
                for _, _, name, event in page
            ],
            "searchedLogStreams": [],
        }
        if offset + self.page_size < len(rows):
            answer["nextToken"] = str(offset + self.page_size)
        return parsed(answer)

    async def install(self, aws: Any) -> None:
        client = await aws.client("logs")
        client.meta.events.register(
            "before-call.cloudwatch-logs.FilterLogEvents", self.filter_log_events
        )
        client.meta.events.register("before-call.cloudwatch-logs.DescribeLogStreams", self.describe)
