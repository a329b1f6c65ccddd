"""Times as Lambda and CloudWatch write them, and durations as people type them."""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime

WINDOWS = ("15m", "1h", "3h", "12h")
"""The time windows the monitor offers (`+` and `-` step through them) and the config accepts."""

# Longest unit names first, so `5ms` is milliseconds and `5min` is not `5m` then `in`.
_DURATION_PART = r"(?P<value>\d+(?:\.\d+)?)\s*(?P<unit>ms|min|sec|hr|s|m|h|d|w)\s*"
_DURATION = re.compile(rf"(?:{_DURATION_PART})+")
_PART = re.compile(_DURATION_PART)
_NUMBER = re.compile(r"\d+(?:\.\d+)?")
_UNIT_SECONDS = {
    "ms": 0.001,
    "s": 1,
    "sec": 1,
    "m": 60,
    "min": 60,
    "h": 3600,
    "hr": 3600,
    "d": 86400,
    "w": 604800,
}


def to_epoch_ms(value: object) -> int | None:
    """An ISO-8601 string, or epoch seconds or milliseconds, as epoch milliseconds."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        number = float(value)
        # Epoch seconds are < 1e11 until the year 5138; milliseconds are larger.
        return int(number * 1000) if number < 1e11 else int(number)
    if not isinstance(value, str) or len(value) < 10:
        return None
    text = value.strip()
    if text.isdigit():
        return to_epoch_ms(int(text))
    if text.endswith(")") and text[-8:-7] == "(":
        # `2019-05-01 12:00:00.120 (+02:00)`: the Serverless Framework's `sls logs`.
        text = text[:-8].rstrip() + text[-7:-1]
    try:
        stamp = datetime.fromisoformat(text.replace(",", "."))
    except ValueError:
        return None
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=UTC)
    return int(stamp.timestamp() * 1000)


def parse_duration(text: str) -> float:
    """`15m`, `1h`, `90s`, `2d`, `1.5h` or compound `1h30m`, `2d 12h` as seconds.

    The one parser of every duration a person types (`--since`, the configured window). A bare
    number is refused: `5` could be seconds, minutes or hours, and a wrong guess reads the wrong
    window. Raises ValueError with a message fit for a person.
    """
    body = text.strip()
    if _NUMBER.fullmatch(body):
        raise ValueError(f"{body} has no unit: give one, e.g. {body}m or {body}h")
    if not _DURATION.fullmatch(body):
        raise ValueError(f"not a duration: {text!r} (try 15m, 1h30m, 90s or 2d)")
    seconds = sum(
        float(part.group("value")) * _UNIT_SECONDS[part.group("unit")]
        for part in _PART.finditer(body)
    )
    if not 0 < seconds < math.inf:
        raise ValueError(f"duration must be positive and finite: {text!r}")
    return seconds


def iso(epoch_ms: int | None) -> str | None:
    """Epoch milliseconds as ISO-8601 UTC with a `Z`, or None."""
    if epoch_ms is None:
        return None
    stamp = datetime.fromtimestamp(epoch_ms / 1000, tz=UTC)
    return stamp.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def human_duration(seconds: float) -> str:
    """`45 s`, `12 min`, `3.2 h`, `2.1 d` for a person."""
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    if seconds < 172800:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} d"
