"""Times as Lambda and the loggers write them, durations as people type them, and the small
statistics the monitor and the diagnosis share."""

from __future__ import annotations

import pytest

from lambdatop.core.stats import percentile, percentiles, ratio, slope
from lambdatop.core.timeutil import human_duration, iso, parse_duration, to_epoch_ms

MS = 1772442895120  # 2026-03-02T09:14:55.120Z


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param("2026-03-02T09:14:55.120Z", MS, id="lambda-iso-z"),
        pytest.param("2026-03-02T09:14:55.120+00:00", MS, id="offset"),
        pytest.param("2026-03-02T10:14:55.120+01:00", MS, id="plus-one"),
        pytest.param("2026-03-02 09:14:55,120+0000", MS, id="powertools"),
        pytest.param("2026-03-02 09:14:55.120", MS, id="naive-is-utc"),
        pytest.param("2026-03-02T09:14:55.120312", MS, id="microseconds"),
        pytest.param(1772442895.12, MS, id="epoch-seconds-float"),
        pytest.param(MS, MS, id="epoch-ms"),
        pytest.param(str(MS), MS, id="epoch-ms-string"),
        pytest.param("not a time", None, id="garbage"),
        pytest.param("2026", None, id="too-short"),
        pytest.param(None, None, id="none"),
        pytest.param(True, None, id="bool"),
        pytest.param("2026-13-45T99:99:99Z", None, id="impossible-date"),
    ],
)
def test_to_epoch_ms(value: object, expected: int | None) -> None:
    assert to_epoch_ms(value) == expected


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        pytest.param("15m", 900, id="minutes"),
        pytest.param("1h", 3600, id="hour"),
        pytest.param("90s", 90, id="seconds"),
        pytest.param("2d", 172800, id="days"),
        pytest.param("1.5h", 5400, id="fraction"),
        pytest.param(" 5 min ", 300, id="spaced"),
        pytest.param("500ms", 0.5, id="millis"),
        pytest.param("1w", 604800, id="week"),
        pytest.param("1h30m", 5400, id="compound"),
        pytest.param("2d12h", 216000, id="days-and-hours"),
        pytest.param("1h 30m 15s", 5415, id="compound-spaced"),
        pytest.param("1m5s", 65, id="minutes-then-seconds"),
        pytest.param("5min", 300, id="min-is-not-m-then-in"),
        pytest.param("1.5h30m", 7200, id="fraction-in-compound"),
    ],
)
def test_parse_duration(text: str, seconds: float) -> None:
    assert parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize(
    "text", ["", "soon", "-5m", "0m", "0h0m", "5 parsecs", "1h30", "h", "m5", "9" * 400 + "w"]
)
def test_parse_duration_rejects(text: str) -> None:
    with pytest.raises(ValueError, match="duration"):
        parse_duration(text)


@pytest.mark.parametrize("text", ["5", " 30 ", "1.5"])
def test_parse_duration_refuses_a_bare_number_and_suggests_a_unit(text: str) -> None:
    """A bare number could be seconds, minutes or hours: guessing would read the wrong window."""
    number = text.strip()
    with pytest.raises(ValueError, match=rf"^{number} has no unit: give one, e.g. {number}m or "):
        parse_duration(text)


def test_iso_round_trip() -> None:
    assert iso(MS) == "2026-03-02T09:14:55.120Z"
    assert to_epoch_ms(iso(MS)) == MS
    assert iso(None) is None


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(45, "45 s"), (89, "89 s"), (600, "10 min"), (5400, "1.5 h"), (172800, "2.0 d")],
)
def test_human_duration(seconds: float, text: str) -> None:
    assert human_duration(seconds) == text


@pytest.mark.parametrize(
    ("values", "q", "expected"),
    [
        ([], 50, None),
        ([7.0], 99, 7.0),
        ([1.0, 2.0, 3.0, 4.0], 50, 2.5),
        ([4.0, 1.0, 3.0, 2.0], 0, 1.0),
        ([4.0, 1.0, 3.0, 2.0], 100, 4.0),
        ([10.0, 20.0], 90, 19.0),
    ],
)
def test_percentile(values: list[float], q: float, expected: float | None) -> None:
    assert percentile(values, q) == expected


def test_percentiles_sorts_once_and_matches() -> None:
    values = [5.0, 1.0, 9.0, 3.0]
    assert percentiles(values, 50, 99) == [percentile(values, 50), percentile(values, 99)]
    assert percentiles([], 50, 99) == [None, None]


def test_slope_and_ratio() -> None:
    assert slope([0, 1, 2], [1, 3, 5]) == pytest.approx(2.0)
    assert slope([1, 1], [1, 2]) is None
    assert slope([1], [1]) is None
    assert slope([1, 2], [1]) is None
    assert ratio(1, 4) == 0.25
    assert ratio(1, 0) is None
