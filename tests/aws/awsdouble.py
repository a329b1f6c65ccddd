"""A test double that behaves as AWS documents, where moto does not: botocore event hooks on the
clients of the `Aws` under test, between lambdatop and moto (see awsfakes.py for the hooks).

Each behaviour cites the AWS documentation it follows. moto runs in this process
(ThreadedMotoServer), so the double reads moto's own stores to answer as AWS would from the same
data: the double changes how AWS answers, never what the account holds.
"""

from __future__ import annotations

import json
import math
import re
import time
from bisect import bisect_right
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from awsfakes import error, hook, parsed
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

    def __init__(
        self,
        name: str,
        clock: Clock,
        stale_s: float = 0.0,
        page_size: int = 10_000,
        empty_pages: bool = False,
    ):
        self.name = name
        self.clock = clock
        self.page_size = page_size
        self.empty_pages = empty_pages
        """Every page of events preceded by one without any, as FilterLogEvents may answer:
        "This operation can return empty results while there are more log events available
        through the token" (API reference)."""
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
        token = str(request.get("nextToken") or "0")
        if self.empty_pages and not token.startswith("full-"):
            return parsed({"events": [], "searchedLogStreams": [], "nextToken": f"full-{token}"})
        offset = int(token.removeprefix("full-"))
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


# --- Pagination -------------------------------------------------------------------------------

PAGED: dict[tuple[str, str], tuple[str, str, str]] = {
    # (service id, operation): (items, the request's token, the answer's token)
    # Lambda API reference, ListFunctions: "MaxItems: The maximum number of functions to return
    # in the response ... Marker: Specify the pagination token that's returned by a previous
    # request to retrieve the next page of results"; ListEventSourceMappings likewise.
    ("lambda", "ListFunctions"): ("Functions", "Marker", "NextMarker"),
    ("lambda", "ListEventSourceMappings"): ("EventSourceMappings", "Marker", "NextMarker"),
    # X-Ray API reference, GetTraceSummaries: "NextToken: If the requested time frame contained
    # more than one page of results, you can use this token to retrieve the next page".
    ("xray", "GetTraceSummaries"): ("TraceSummaries", "NextToken", "NextToken"),
    # API Gateway REST API reference, GetRestApis and GetResources: "position: The current
    # pagination position in the paged result set"; "limit ... The default value is 25".
    ("api-gateway", "GetRestApis"): ("items", "position", "position"),
    ("api-gateway", "GetResources"): ("items", "position", "position"),
    # API Gateway V2 reference, GetApis and GetIntegrations: "nextToken: The next page of
    # elements from this collection".
    ("apigatewayv2", "GetApis"): ("Items", "NextToken", "NextToken"),
    ("apigatewayv2", "GetIntegrations"): ("Items", "NextToken", "NextToken"),
}


class Pages:
    """Every list call lambdatop makes answered in small pages, continued by the service's own
    token: moto answers ListFunctions whole (it ignores MaxItems), and so do its API Gateway
    and X-Ray lists. moto's full answer is cut to `size` items after the call; the rest is kept
    and handed out page by page when the token comes back."""

    def __init__(self, size: int = 2) -> None:
        self.size = size
        self.kept: dict[str, list[Any]] = {}
        self.pages: Counter[str] = Counter()
        self.serial = 0

    def _spec(self, event_name: str) -> tuple[str, str, str] | None:
        _, service, operation = event_name.split(".", 2)
        return PAGED.get((service, operation))

    def remember(self, params: dict[str, Any] | None = None, context: Any = None, **_: Any) -> None:
        """`before-parameter-build`: the call's parameters, for the handlers after it."""
        if isinstance(context, dict):
            context["double_params"] = dict(params or {})

    def answer(self, event_name: str = "", context: Any = None, **_: Any) -> Any:
        """`before-call`: a page of what was kept, when the call brings back our token."""
        spec = self._spec(event_name)
        params = (context or {}).get("double_params") or {}
        if spec is None:
            return None
        items_key, token_in, token_out = spec
        token = params.get(token_in)
        if not isinstance(token, str) or token not in self.kept:
            return None
        rest = self.kept.pop(token)
        context["double_paged"] = True
        return parsed(self._page(event_name, items_key, token_out, rest, {}))

    def cut(self, event_name: str = "", parsed: Any = None, context: Any = None, **_: Any) -> None:
        """`after-call`: moto's whole answer cut to the first page."""
        spec = self._spec(event_name)
        if spec is None or not isinstance(parsed, dict) or "Error" in parsed:
            return
        if isinstance(context, dict) and context.get("double_paged"):
            return  # a page of ours already
        items_key, _, token_out = spec
        items = parsed.get(items_key) or []
        parsed.pop(token_out, None)
        parsed.update(self._page(event_name, items_key, token_out, list(items), {}))

    def _page(
        self, event_name: str, items_key: str, token_out: str, items: list[Any], base: dict
    ) -> dict[str, Any]:
        self.pages[event_name.rsplit(".", 1)[-1]] += 1
        answer = dict(base)
        answer[items_key] = items[: self.size]
        if len(items) > self.size:
            self.serial += 1
            token = f"double-page-{self.serial}"
            self.kept[token] = items[self.size :]
            answer[token_out] = token
        return answer


# --- Throttling -------------------------------------------------------------------------------

QUOTAS: dict[tuple[str, str], tuple[str, float]] = {
    # (service id, operation): (the quota it counts against, requests a second). Per account and
    # region, shared with every other caller (/work/shared/reference/aws-apis.md, from the
    # CloudWatch Logs, CloudWatch and Lambda quota pages).
    # CloudWatch Logs quotas: "FilterLogEvents: 5 transactions per second (TPS)/account/Region";
    # "DescribeLogStreams: 5 transactions per second (TPS)/account/Region".
    ("cloudwatch-logs", "FilterLogEvents"): ("logs:FilterLogEvents", 5.0),
    ("cloudwatch-logs", "DescribeLogStreams"): ("logs:DescribeLogStreams", 5.0),
    # CloudWatch quotas: "GetMetricData: 50 transactions per second (TPS)".
    ("cloudwatch", "GetMetricData"): ("cloudwatch:GetMetricData", 50.0),
    # Lambda quotas: "Control plane API requests (excludes invocation, GetFunction, and
    # GetPolicy requests): 15 requests per second" (shared by all of them).
    ("lambda", "ListFunctions"): ("lambda:control", 15.0),
    ("lambda", "GetFunctionConfiguration"): ("lambda:control", 15.0),
    ("lambda", "GetFunctionConcurrency"): ("lambda:control", 15.0),
    ("lambda", "ListEventSourceMappings"): ("lambda:control", 15.0),
    ("lambda", "GetAccountSettings"): ("lambda:control", 15.0),
}
THROTTLE_ERRORS = {
    # The error each service answers when a quota is exceeded (their API references).
    "cloudwatch-logs": (400, "ThrottlingException", "Rate exceeded"),
    "cloudwatch": (400, "Throttling", "Rate exceeded"),
    "lambda": (429, "TooManyRequestsException", "Rate exceeded"),
}


class Quotas:
    """Throttling at the documented per-account quotas: a token bucket per quota, one second of
    burst, on the wall clock (AWS's, not the test's fake one). Every HTTP attempt counts, retries
    included, as on AWS. `share` < 1 leaves the rest of the quota to other callers."""

    def __init__(self, clock: Clock, share: float = 1.0) -> None:
        self.clock = clock
        self.share = share
        self.tokens: dict[str, float] = {}
        self.updated: dict[str, float] = {}
        self.throttled: Counter[str] = Counter()
        self.sent: Counter[str] = Counter()

    def _take(self, event_name: str) -> tuple[str, str] | None:
        _, service, operation = event_name.split(".", 2)
        quota = QUOTAS.get((service, operation))
        if quota is None:
            return None
        name, rate = quota
        rate *= self.share
        now = self.clock()
        tokens = self.tokens.get(name, rate)
        tokens = min(rate, tokens + (now - self.updated.get(name, now)) * rate)
        self.updated[name] = now
        self.sent[operation] += 1
        if tokens < 1:
            self.tokens[name] = tokens
            self.throttled[operation] += 1
            return service, operation
        self.tokens[name] = tokens - 1
        return None

    def send(self, event_name: str = "", **_: Any) -> Any:
        """`before-send` (JSON and REST-JSON services): each attempt."""
        if event_name.split(".")[1] == "cloudwatch":
            return None
        hit = self._take(event_name)
        if hit is None:
            return None
        status, code, message = THROTTLE_ERRORS[hit[0]]
        return error(status, code, message)

    def call(self, event_name: str = "", **_: Any) -> Any:
        """`before-call` (CloudWatch, whose CBOR errors are answered whole)."""
        if event_name.split(".")[1] != "cloudwatch":
            return None
        hit = self._take(event_name)
        if hit is None:
            return None
        status, code, message = THROTTLE_ERRORS["cloudwatch"]
        return parsed({"Error": {"Code": code, "Message": message}}, status)


# --- Percentiles --------------------------------------------------------------------------------


class Percentiles:
    """GetMetricData with percentile statistics, which moto fails with HTTP 500. Answered from
    moto's own datapoints as CloudWatch computes them: per period, over the raw values, and over
    statistic sets only where the PutMetricData documentation allows ("you can't retrieve
    percentile statistics for this data unless one of the following conditions is true: The
    SampleCount value of the statistic set is 1 and Min, Max, and Sum are all equal. The Min and
    Max are equal, and Sum is equal to Min multiplied by SampleCount"). A request without a
    percentile goes to moto. Metric math (`Expression`) is answered empty, flagged in the result's
    messages: lambdatop sends none."""

    def __init__(self) -> None:
        self.answered = 0

    def __call__(self, context: Any = None, **_: Any) -> Any:
        params = (context or {}).get("double_params") or {}
        queries = params.get("MetricDataQueries") or []
        if not any(
            str((q.get("MetricStat") or {}).get("Stat", "")).startswith("p") for q in queries
        ):
            return None
        self.answered += 1
        start, end = params["StartTime"], params["EndTime"]
        return parsed(
            {"MetricDataResults": [self._result(q, start, end) for q in queries], "Messages": []}
        )

    def _result(self, query: dict[str, Any], start: Any, end: Any) -> dict[str, Any]:
        from moto.cloudwatch.models import MetricAggregatedDatum, MetricDatum, cloudwatch_backends

        stat_query = query.get("MetricStat")
        if not stat_query:
            return {
                "Id": query["Id"],
                "Timestamps": [],
                "Values": [],
                "StatusCode": "Complete",
                "Messages": [{"Code": "Unsupported", "Value": "metric math in the test double"}],
            }
        metric = stat_query["Metric"]
        period = int(stat_query["Period"])
        stat = str(stat_query["Stat"])
        wanted = {(d["Name"], d["Value"]) for d in metric.get("Dimensions") or ()}
        backend = cloudwatch_backends[ACCOUNT][REGION]
        buckets: dict[int, list[float]] = {}
        begin, finish = _epoch(start), _epoch(end)
        for datum in backend.get_all_metrics():
            if datum.namespace != metric["Namespace"] or datum.name != metric["MetricName"]:
                continue
            if {(d.name, d.value) for d in datum.dimensions} != wanted:
                continue
            at = _epoch(datum.timestamp)
            if not begin <= at < finish:
                continue
            values = buckets.setdefault(int(at // period * period), [])
            if isinstance(datum, MetricDatum):
                values.append(float(datum.value))
            elif isinstance(datum, MetricAggregatedDatum) and datum.min == datum.max:
                values.extend([float(datum.min)] * int(datum.sample_count))
        stamps = sorted((t for t, v in buckets.items() if v), reverse=True)
        return {
            "Id": query["Id"],
            "Label": query.get("Label") or metric["MetricName"],
            "Timestamps": [datetime.fromtimestamp(t, UTC) for t in stamps],
            "Values": [_statistic(buckets[t], stat) for t in stamps],
            "StatusCode": "Complete",
        }


def _epoch(value: Any) -> float:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.timestamp()
    return float(value)


def _statistic(values: list[float], stat: str) -> float:
    if stat.startswith("p"):
        ordered = sorted(values)
        rank = math.ceil(float(stat[1:]) / 100 * len(ordered))  # nearest rank
        return ordered[max(rank, 1) - 1]
    return {
        "Sum": sum,
        "Average": lambda v: sum(v) / len(v),
        "Maximum": max,
        "Minimum": min,
        "SampleCount": len,
    }[stat](values)


class MetricDataPages:
    """GetMetricData in pages, as the CloudWatch API reference documents them (moto answers
    whole): "MaxDatapoints: The maximum number of data points the request should return before
    paginating. If you omit this, the default of 100,800 is used"; a result cut short says
    "PartialData means that an incomplete set of data points were returned. You can use the
    NextToken value that was returned and repeat your request to get more data points"
    (MetricDataResult, StatusCode). Each answer (moto's, or the percentiles double's) is cut to
    `budget` datapoints, the results in order; the rest comes back page by page when the
    request is repeated with the NextToken."""

    def __init__(self, budget: int = 100_800) -> None:
        self.budget = budget
        self.kept: dict[str, list[dict[str, Any]]] = {}
        self.pages = 0
        self.partial = 0
        self.serial = 0

    def answer(self, context: Any = None, **_: Any) -> Any:
        """`before-call`: the next page of what was kept, when the request repeats our token."""
        params = (context or {}).get("double_params") or {}
        token = params.get("NextToken")
        if not isinstance(token, str) or token not in self.kept:
            return None
        context["double_metric_paged"] = True
        return parsed(self._page(self.kept.pop(token)))

    def cut(self, parsed: Any = None, context: Any = None, **_: Any) -> None:
        """`after-call`: a whole answer cut to its first page."""
        if not isinstance(parsed, dict) or "Error" in parsed:
            return
        if isinstance(context, dict) and context.get("double_metric_paged"):
            return  # a page of ours already
        parsed.pop("NextToken", None)
        parsed.update(self._page(list(parsed.get("MetricDataResults") or ())))

    def _page(self, results: list[dict[str, Any]]) -> dict[str, Any]:
        self.pages += 1
        room = self.budget
        page: list[dict[str, Any]] = []
        rest: list[dict[str, Any]] = []
        for result in results:
            stamps = list(result.get("Timestamps") or ())
            values = list(result.get("Values") or ())
            shown = max(0, min(room, len(stamps)))
            room -= shown
            if shown < len(stamps):
                self.partial += 1
                rest.append(dict(result, Timestamps=stamps[shown:], Values=values[shown:]))
            if shown or shown == len(stamps):
                status = "Complete" if shown == len(stamps) else "PartialData"
                page.append(
                    dict(
                        result, Timestamps=stamps[:shown], Values=values[:shown], StatusCode=status
                    )
                )
        answer: dict[str, Any] = {"MetricDataResults": page, "Messages": []}
        if rest:
            self.serial += 1
            token = f"double-metrics-{self.serial}"
            self.kept[token] = rest
            answer["NextToken"] = token
        return answer


# --- Trace summaries ----------------------------------------------------------------------------


class SeriesStatus:
    """CloudWatch answering one metric's series with a StatusCode other than Complete (an
    `after-call` hook on GetMetricData), for the first `times` answers that hold it.
    MetricDataResult (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/
    API_MetricDataResult.html): "Valid Values: Complete | InternalError | PartialData |
    Forbidden"; its Messages carry "a code of Forbidden and a value of ..." (MessageData)."""

    def __init__(self, metric: str, status: str, times: int = 99, message: str = "") -> None:
        self.metric, self.status, self.times, self.message = metric, status, times, message
        self.asked: list[dict[str, Any]] = []

    def remember(self, params: Any = None, **_: Any) -> None:
        self.asked.append(dict(params or {}))

    def answer(self, parsed: Any = None, **_: Any) -> None:
        ids = {
            q["Id"]
            for q in self.asked[-1]["MetricDataQueries"]
            if q.get("MetricStat", {}).get("Metric", {}).get("MetricName") == self.metric
            and q["MetricStat"]["Metric"]["Dimensions"]
        }
        if not ids or self.times <= 0:
            return
        self.times -= 1
        for result in (parsed or {}).get("MetricDataResults") or ():
            if result.get("Id") in ids:
                result.update(StatusCode=self.status, Timestamps=[], Values=[])
                if self.message:
                    result["Messages"] = [{"Code": self.status, "Value": self.message}]

    def requests_for_the_metric_alone(self) -> int:
        return sum(
            1
            for asked in self.asked
            if {q["MetricStat"]["Metric"]["MetricName"] for q in asked["MetricDataQueries"]}
            == {self.metric}
        )

    async def install(self, aws: Any) -> None:
        event = "before-parameter-build.cloudwatch.GetMetricData"
        await hook(aws, "cloudwatch", event, self.remember)
        await hook(aws, "cloudwatch", "after-call.cloudwatch.GetMetricData", self.answer)


class TraceSummaries:
    """GetTraceSummaries filled in as X-Ray fills it, from the trace's own segments (moto leaves
    Http empty, ResponseTime 1, Duration in whole seconds, no root causes, and counts a `fault`
    key as a fault even when false). The X-Ray API reference, TraceSummary: "Duration: The
    length of time in seconds between the start time of the root segment and the end time of
    the last segment that completed"; "ResponseTime: The length of time in seconds between the
    start and end times of the root segment"; "Http: Information about the HTTP request served
    by the trace" (the root segment's); "FaultRootCauses / ErrorRootCauses: A collection of ...
    structures corresponding to the trace segments": the services, and the path of entities from
    the root down to the deepest one that faulted (or erred), with its exceptions."""

    def __init__(self) -> None:
        self.filled = 0
        self.filtered = 0

    def take_expression(
        self, params: dict[str, Any] | None = None, context: Any = None, **_: Any
    ) -> None:
        """`before-parameter-build`: moto fails any FilterExpression with HTTP 500; the double
        takes it off the request and applies it to the answer, as X-Ray would."""
        if params and "FilterExpression" in params and isinstance(context, dict):
            context["double_filter"] = _compile_filter(str(params.pop("FilterExpression")))

    def __call__(self, parsed: Any = None, context: Any = None, **_: Any) -> None:
        from moto.xray.models import xray_backends

        if not isinstance(parsed, dict) or "Error" in parsed:
            return
        if isinstance(context, dict) and context.get("double_paged"):
            return  # a later page of an answer already filled in
        traces = xray_backends[ACCOUNT][REGION]._segment_collection._traces
        for summary in parsed.get("TraceSummaries") or ():
            trace = traces.get(summary.get("Id"))
            if not trace or not trace["segments"]:
                continue
            documents = [_document(segment.raw) for segment in trace["segments"]]
            root = min(documents, key=lambda d: float(d.get("start_time", 0)))
            last_end = max(float(d.get("end_time") or 0) for d in documents)
            start = float(root["start_time"])
            summary["Duration"] = round(last_end - start, 3)
            summary["ResponseTime"] = round(float(root.get("end_time") or start) - start, 3)
            response = (root.get("http") or {}).get("response") or {}
            request = (root.get("http") or {}).get("request") or {}
            http = {"HttpStatus": response.get("status"), "HttpMethod": request.get("method")}
            summary["Http"] = {k: v for k, v in http.items() if v is not None}
            summary["HasFault"] = any(_flag(d, "fault") for d in documents)
            summary["HasError"] = any(_flag(d, "error") for d in documents)
            summary["HasThrottle"] = any(_flag(d, "throttle") for d in documents)
            for key, flag in (("FaultRootCauses", "fault"), ("ErrorRootCauses", "error")):
                causes = [_root_cause(d, flag) for d in documents if _flag(d, flag)]
                summary[key] = [c for c in causes if c is not None]
            names = sorted({str(d.get("name")) for d in documents if d.get("name")})
            summary["ServiceIds"] = [
                {"Name": name, "Names": [name], "AccountId": ACCOUNT} for name in names
            ]
            summary["_services"] = names
            self.filled += 1
        keep = (context or {}).get("double_filter") if isinstance(context, dict) else None
        if keep is not None:
            self.filtered += 1
            parsed["TraceSummaries"] = [s for s in parsed.get("TraceSummaries") or () if keep(s)]
        for summary in parsed.get("TraceSummaries") or ():
            summary.pop("_services", None)


FILTER_TOKEN = re.compile(
    r'\s*(?:(?P<service>service\("(?P<name>[^"]*)"\))|(?P<flag>error|fault|throttle)'
    r"(?:\s*=\s*(?P<value>true|false))?|(?P<op>AND|OR|NOT|\(|\)))"
)


def _compile_filter(expression: str) -> Callable[[dict[str, Any]], bool]:
    """The part of X-Ray's filter expression language lambdatop writes (the X-Ray developer
    guide, "Filter expressions": `service("name")`, the `error`, `fault` and `throttle`
    booleans, AND, OR, NOT and parentheses). Anything else fails the test loudly."""
    parts: list[str] = []
    services: list[str] = []
    position = 0
    while position < len(expression.rstrip()):
        match = FILTER_TOKEN.match(expression, position)
        if match is None:
            raise AssertionError(f"the double cannot evaluate {expression!r}")
        position = match.end()
        if match.group("service"):
            services.append(match.group("name"))
            parts.append(f"(services_{len(services) - 1} in names)")
        elif match.group("flag"):
            flag = {"error": "HasError", "fault": "HasFault", "throttle": "HasThrottle"}
            wanted = match.group("value") != "false"
            parts.append(f"(bool(summary.get({flag[match.group('flag')]!r})) == {wanted})")
        else:
            parts.append(
                {"AND": " and ", "OR": " or ", "NOT": " not "}.get(
                    match.group("op"), match.group("op")
                )
            )
    code = compile("".join(parts), "<filter>", "eval")

    def keep(summary: dict[str, Any]) -> bool:
        scope = {f"services_{i}": name for i, name in enumerate(services)}
        scope.update(summary=summary, names=summary.get("_services") or [])
        return bool(eval(code, {"__builtins__": {"bool": bool}}, scope))

    return keep


def _document(raw: Any) -> dict[str, Any]:
    loaded = json.loads(raw) if isinstance(raw, str | bytes) else raw
    return loaded if isinstance(loaded, dict) else {}


def _status(entity: dict[str, Any]) -> int:
    return int(((entity.get("http") or {}).get("response") or {}).get("status") or 0)


def _flag(entity: dict[str, Any], flag: str) -> bool:
    """X-Ray's fault (5xx), error (4xx) and throttle (429) flags, set or implied by the status."""
    if entity.get(flag) is True:
        return True
    status = _status(entity)
    implied = {"fault": status >= 500, "error": 400 <= status < 500, "throttle": status == 429}
    return implied[flag] or any(_flag(sub, flag) for sub in entity.get("subsegments") or ())


def _root_cause(segment: dict[str, Any], flag: str) -> dict[str, Any] | None:
    path: list[dict[str, Any]] = []
    entity: dict[str, Any] | None = segment
    while entity is not None:
        exceptions = [
            {"Name": e.get("type") or "", "Message": e.get("message") or ""}
            for e in (entity.get("cause") or {}).get("exceptions") or ()
        ]
        step: dict[str, Any] = {"Name": entity.get("name") or "?"}
        if exceptions:
            step["Exceptions"] = exceptions
        if entity.get("namespace") in ("aws", "remote"):
            step["Remote"] = True
        path.append(step)
        entity = next((s for s in entity.get("subsegments") or () if _flag(s, flag)), None)
    service = {
        "Name": segment.get("name"),
        "Names": [segment.get("name")],
        "Type": segment.get("origin") or "remote",
        "AccountId": ACCOUNT,
        "EntityPath": path,
        "Inferred": False,
    }
    return {"Services": [service], "ClientImpacting": flag == "fault"}


# --- Credentials that expire ------------------------------------------------------------------

CREDENTIAL_PROCESS = r"""
import json, os, sys, time
from datetime import datetime, timezone
folder = sys.argv[1]
if os.path.exists(os.path.join(folder, "signed-out")):
    sys.stderr.write("The SSO session has expired. Run aws sso login.\n")
    sys.exit(1)
import fcntl
lock = open(os.path.join(folder, "lock"), "w")
fcntl.flock(lock, fcntl.LOCK_EX)  # processes run side by side (every client of a session)
serial_path = os.path.join(folder, "serial")
serial = int(open(serial_path).read()) + 1 if os.path.exists(serial_path) else 1
open(serial_path, "w").write(str(serial))
lifetime = float(open(os.path.join(folder, "lifetime")).read())
expires = time.time() + lifetime
key = f"ASIADOUBLE{serial:010d}"
with open(os.path.join(folder, "issued"), "a") as issued:
    issued.write(json.dumps({"key": key, "expires": expires}) + "\n")
print(json.dumps({
    "Version": 1,
    "AccessKeyId": key,
    "SecretAccessKey": "double-secret",
    "SessionToken": f"double-token-{serial}",
    "Expiration": datetime.fromtimestamp(expires, timezone.utc).isoformat(),
}))
"""


class ExpiringCredentials:
    """Temporary credentials from a `credential_process` (as SSO and assumed roles give them),
    each set with an Expiration `lifetime_s` ahead, and the services refusing a request signed
    with a set past it: STS, "ExpiredToken: The security token included in the request is
    expired". botocore renews such credentials before they expire ("credential_process ...
    Expiration ... the SDK will refresh them", the AWS SDKs and Tools reference guide), which
    is what lets a session outlive them. `sign_out()` makes the process fail as an expired SSO
    session does, until `sign_in()`."""

    def __init__(self, folder: Any, lifetime_s: float) -> None:
        from pathlib import Path

        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        (self.folder / "lifetime").write_text(str(lifetime_s))
        script = self.folder / "credential_process.py"
        script.write_text(CREDENTIAL_PROCESS)
        import sys

        self.config = self.folder / "config"
        self.config.write_text(
            "[profile double]\n"
            f"credential_process = {sys.executable} {script} {self.folder}\n"
            "region = us-east-1\n"
        )
        self.rejected = 0
        self.keys_used: list[str] = []

    def sign_out(self) -> None:
        (self.folder / "signed-out").write_text("")

    def sign_in(self) -> None:
        (self.folder / "signed-out").unlink(missing_ok=True)

    def issued(self) -> dict[str, float]:
        path = self.folder / "issued"
        if not path.exists():
            return {}
        rows = [json.loads(line) for line in path.read_text().splitlines() if line]
        return {row["key"]: float(row["expires"]) for row in rows}

    def send(self, request: Any = None, **_: Any) -> Any:
        """`before-send`: refuse what an expired set signed."""
        raw = (request.headers if request is not None else {}).get("Authorization", "")
        header = raw.decode() if isinstance(raw, bytes) else str(raw)
        key = header.split("Credential=", 1)[-1].split("/", 1)[0] if "Credential=" in header else ""
        if not key:
            return None
        if not self.keys_used or self.keys_used[-1] != key:
            self.keys_used.append(key)
        expires = self.issued().get(key)
        if expires is None or time.time() < expires:
            return None
        self.rejected += 1
        return error(
            403, "ExpiredTokenException", "The security token included in the request is expired"
        )

    def refuses(self, authorization: str) -> bool:
        """Whether STS would refuse a request with this Authorization header (for an endpoint
        in front of moto, where a subprocess's requests arrive and no hook can see them)."""
        if "Credential=" not in authorization:
            return False
        key = authorization.split("Credential=", 1)[1].split("/", 1)[0]
        if not self.keys_used or self.keys_used[-1] != key:
            self.keys_used.append(key)
        expires = self.issued().get(key)
        refused = expires is not None and time.time() >= expires
        self.rejected += refused
        return refused


# --- The whole double ---------------------------------------------------------------------------

SERVICES = ("lambda", "logs", "cloudwatch", "xray", "apigateway", "apigatewayv2")


class AwsDouble:
    """Every behaviour above on every client of an `Aws`: DescribeLogStreams `stale_s` behind,
    lists in pages of `page_size`, percentiles answered, trace summaries filled in, the
    per-account quotas enforced."""

    def __init__(
        self,
        clock: Clock,
        *,
        stale_s: float = 90.0,
        page_size: int = 2,
        quota_clock: Clock = time.monotonic,
        quota_share: float = 1.0,
        metric_datapoints: int = 100_800,
    ) -> None:
        self.streams = StaleStreams(clock, stale_s)
        self.metric_pages = MetricDataPages(metric_datapoints)
        self.pages = Pages(page_size)
        self.quotas = Quotas(quota_clock, quota_share)
        self.percentiles = Percentiles()
        self.traces = TraceSummaries()

    async def install(self, aws: Any) -> None:
        for service in SERVICES:
            events = (await aws.client(service)).meta.events
            events.register("before-parameter-build", self.pages.remember)
            events.register("before-send", self.quotas.send)
            events.register("before-call", self.quotas.call)
            events.register("before-call", self.pages.answer)
            events.register("after-call", self.pages.cut)
        logs = (await aws.client("logs")).meta.events
        logs.register("before-call.cloudwatch-logs.DescribeLogStreams", self.streams)
        cloudwatch = (await aws.client("cloudwatch")).meta.events
        cloudwatch.register("before-call.cloudwatch.GetMetricData", self.percentiles)
        # A repeated request's next page is ours to answer, before the percentiles double.
        cloudwatch.register_first("before-call.cloudwatch.GetMetricData", self.metric_pages.answer)
        cloudwatch.register("after-call.cloudwatch.GetMetricData", self.metric_pages.cut)
        xray = (await aws.client("xray")).meta.events
        xray.register("before-parameter-build.xray.GetTraceSummaries", self.traces.take_expression)
        # Registered first: the root causes are filled in before the pages are cut.
        xray.register_first("after-call.xray.GetTraceSummaries", self.traces)
