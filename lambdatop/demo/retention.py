"""Keep the simulated account bounded for hours: moto keeps everything it is given.

Log streams are deleted through the Logs API once their last event is older than the retention.
CloudWatch and X-Ray have no delete API, so, moto running in this very process, their in-memory
backends are trimmed directly. Only the generator thread writes to them, so replacing a list or
dict wholesale (never mutating one a request thread may be iterating) is safe.

moto also remembers every model instance it ever created (`instances_tracked`, for its
`/moto-api` listing), which alone would keep every log event, datum and segment alive forever.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from moto.cloudwatch.models import MetricAggregatedDatum, MetricDatum, cloudwatch_backends
from moto.logs.models import LogEvent, LogStream
from moto.xray.models import TraceSegment, xray_backends

from lambdatop.demo.publisher import Publisher


@dataclass(frozen=True, slots=True)
class PruneReport:
    streams_deleted: int
    metric_data_dropped: int
    traces_dropped: int


def prune_metric_data(cutoff: float) -> int:
    """Drop metric data stamped before `cutoff` (epoch seconds); returns how many.

    Every account and region moto holds is trimmed: which account a request lands in is moto's
    to decide (it follows the access key), and a missed one would grow for ever."""
    # moto stores metric timestamps as naive UTC datetimes
    limit = datetime.fromtimestamp(cutoff, UTC).replace(tzinfo=None)
    dropped = 0
    for _, _, found in cloudwatch_backends.iter_backends():
        backend: Any = found
        data = backend.metric_data
        kept = [datum for datum in data if _naive(datum.timestamp) >= limit]
        if len(kept) != len(data):
            dropped += len(data) - len(kept)
            backend.metric_data = kept
    return dropped


def _naive(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        return moment
    return moment.astimezone(UTC).replace(tzinfo=None)


def prune_traces(cutoff: float) -> int:
    """Drop traces that ended before `cutoff` (epoch seconds), in every account and region."""
    # moto keeps trace dates as naive local-time datetimes (datetime.fromtimestamp)
    limit = datetime.fromtimestamp(cutoff)
    dropped = 0
    for _, _, found in xray_backends.iter_backends():
        xray: Any = found
        collection: Any = xray._segment_collection
        traces = collection._traces
        kept = {
            trace_id: trace
            for trace_id, trace in traces.items()
            if not trace["finished"] or trace["end_date"] >= limit
        }
        if len(kept) != len(traces):
            dropped += len(traces) - len(kept)
            fresh: defaultdict[str, dict[str, Any]] = defaultdict(collection._new_trace_item)
            fresh.update(kept)
            collection._traces = fresh
    return dropped


_HIGH_VOLUME_MODELS: tuple[type, ...] = (
    LogEvent,
    LogStream,
    MetricDatum,
    MetricAggregatedDatum,
    TraceSegment,
)


def forget_tracked_instances() -> None:
    """Drop moto's registry of created instances for the models written by the thousand."""
    for model in _HIGH_VOLUME_MODELS:
        model.instances_tracked = []  # type: ignore[attr-defined]


def prune(publisher: Publisher, now: float, retention_seconds: float) -> PruneReport:
    """Delete whatever is older than `retention_seconds` before `now`."""
    cutoff = now - retention_seconds
    stale = [key for key, last in publisher.stream_last_event.items() if last < cutoff * 1000]
    forget_tracked_instances()
    return PruneReport(
        streams_deleted=publisher.delete_streams(stale),
        metric_data_dropped=prune_metric_data(cutoff),
        traces_dropped=prune_traces(cutoff),
    )
