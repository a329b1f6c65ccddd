"""Write logs, metrics and traces into the simulated account.

Metrics go through the public API. Log events, most of the history (34,000 events in about 410
streams before the demo's first frame), are handed to moto's Logs backend, which runs in this
very process (demo/server.py), exactly as its CreateLogStream and PutLogEvents handlers hand
them: the same events in the same streams, without an HTTP round trip each (about 4 ms of CPU a
call in botocore, werkzeug, Flask and moto: half the history's cost). Trace segments go to moto's
X-Ray backend as its PutTraceSegments handler hands them, one document at a time (through HTTP,
the newest quarter hour's 5,000 segments took 0.9 s of CPU of the demo's start, issue 14).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Any

from moto.logs.models import LogsBackend, logs_backends
from moto.xray.exceptions import BadSegmentException
from moto.xray.models import XRayBackend, xray_backends

from lambdatop.demo.account import client
from lambdatop.demo.metrics import MetricDatum
from lambdatop.demo.outbox import PendingLogEvent
from lambdatop.demo.scenarios import ACCOUNT_ID, REGION

logger = logging.getLogger(__name__)

MAX_BATCH_EVENTS = 10_000
MAX_BATCH_BYTES = 1_000_000
"""PutLogEvents limits: 10,000 events or 1,048,576 bytes (counting 26 bytes per event)."""
METRICS_PER_CALL = 1000
"""PutMetricData: "Each request is also limited to no more than 1000 different metrics" (and 1 MB:
a datum here is about 300 bytes)."""


class Publisher:
    """Knows which log streams exist and when each was last written (for retention)."""

    def __init__(
        self, endpoint_url: str, traces_seen: Callable[[list[str]], object] | None = None
    ) -> None:
        self._logs = client("logs", endpoint_url)
        self._cloudwatch = client("cloudwatch", endpoint_url)
        self._traces_seen = traces_seen
        """Told every trace segment written (the server's GetTraceSummaries layer keeps them)."""
        self.stream_last_event: dict[tuple[str, str], int] = {}
        """(group, stream) → the newest event timestamp written (epoch ms)."""
        self.events_written = 0
        self.metrics_written = 0
        self.segments_written = 0

    def write_logs(self, events: Iterable[PendingLogEvent]) -> None:
        by_stream: dict[tuple[str, str], list[PendingLogEvent]] = defaultdict(list)
        for event in events:
            by_stream[(event.group, event.stream)].append(event)
        for (group, stream), stream_events in by_stream.items():
            # PutLogEvents rejects a batch that is not in time order
            stream_events.sort(key=lambda event: event.timestamp)
            try:
                self._write_stream(group, stream, stream_events)
            except Exception:
                logger.exception(
                    "could not write %d events to %s %s", len(stream_events), group, stream
                )

    def _write_stream(self, group: str, stream: str, events: list[PendingLogEvent]) -> None:
        key = (group, stream)
        if key not in self.stream_last_event:
            _logs_backend().create_log_stream(group, stream)
            self.stream_last_event[key] = 0
        batch: list[dict[str, Any]] = []
        size = 0
        for event in events:
            event_size = len(event.message.encode()) + 26
            if batch and (len(batch) >= MAX_BATCH_EVENTS or size + event_size > MAX_BATCH_BYTES):
                self._put(group, stream, batch)
                batch, size = [], 0
            batch.append({"timestamp": event.timestamp, "message": event.message})
            size += event_size
        if batch:
            self._put(group, stream, batch)
        self.stream_last_event[key] = max(self.stream_last_event[key], events[-1].timestamp)

    def _put(self, group: str, stream: str, batch: list[dict[str, Any]]) -> None:
        # What moto's PutLogEvents handler does with the request's JSON: events older than 14
        # days or 2 hours ahead are left out (the demo writes none), the rest stored in order.
        _logs_backend().put_log_events(group, stream, batch)
        self.events_written += len(batch)

    def write_metrics(self, data: list[MetricDatum]) -> None:
        by_namespace: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for datum in data:
            by_namespace[datum.namespace].append(datum.as_boto())
        for namespace, items in by_namespace.items():
            for index in range(0, len(items), METRICS_PER_CALL):
                chunk = items[index : index + METRICS_PER_CALL]
                try:
                    self._cloudwatch.put_metric_data(Namespace=namespace, MetricData=chunk)
                    self.metrics_written += len(chunk)
                except Exception:
                    logger.exception("could not put %d %s metrics", len(chunk), namespace)

    def write_traces(self, documents: list[str]) -> None:
        if self._traces_seen is not None:
            self._traces_seen(documents)
        xray = _xray_backend()
        for document in documents:
            # What moto's PutTraceSegments handler does with each document of the request
            try:
                xray.process_segment(document)
                self.segments_written += 1
            except BadSegmentException:
                logger.exception("could not put a trace segment")

    def delete_streams(self, keys: list[tuple[str, str]]) -> int:
        deleted = 0
        for group, stream in keys:
            try:
                self._logs.delete_log_stream(logGroupName=group, logStreamName=stream)
                deleted += 1
            except Exception:
                logger.exception("could not delete log stream %s %s", group, stream)
            self.stream_last_event.pop((group, stream), None)
        return deleted


def _logs_backend() -> LogsBackend:
    """moto's Logs backend of the simulated account: the one its requests land in (the access
    key `testing` is moto's default account), looked up at each write (a reset replaces it)."""
    backend: LogsBackend = logs_backends[ACCOUNT_ID][REGION]
    return backend


def _xray_backend() -> XRayBackend:
    """moto's X-Ray backend of the simulated account, looked up at each write (as the logs')."""
    backend: XRayBackend = xray_backends[ACCOUNT_ID][REGION]
    return backend
