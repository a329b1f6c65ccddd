"""Timestamps as Lambda prints them."""

from __future__ import annotations

import math
from datetime import UTC, datetime


def iso_ms(epoch_seconds: float) -> str:
    """`2026-03-02T09:14:55.120Z`: the runtimes' and the telemetry events' timestamp."""
    moment = datetime.fromtimestamp(epoch_seconds, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def epoch_ms(epoch_seconds: float) -> int:
    return int(epoch_seconds * 1000)


def billed_ms(duration_ms: float) -> int:
    """Lambda bills in 1 ms steps, rounding up."""
    return max(1, math.ceil(duration_ms))


def stream_date(epoch_seconds: float) -> str:
    """The `YYYY/MM/DD` prefix of a log stream name (UTC)."""
    return datetime.fromtimestamp(epoch_seconds, UTC).strftime("%Y/%m/%d")
