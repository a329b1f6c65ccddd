"""What every check result must look like to the engineer reading it, whatever it found; and
the shape of the check tables."""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from _pytest.mark import ParameterSet
from lambdalogs import FUNCTION, ROLE_ARN, Logs, evidence

from lambdatop.core.records import FunctionConfig
from lambdatop.core.timeutil import to_epoch_ms
from lambdatop.diagnose.engine import CHECKS
from lambdatop.diagnose.evidence import Evidence
from lambdatop.diagnose.model import CheckResult, CheckStatus
from lambdatop.diagnose.thresholds import Thresholds

CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
OK, WARN, FAIL, UNKNOWN = CheckStatus.OK, CheckStatus.WARN, CheckStatus.FAIL, CheckStatus.UNKNOWN


@dataclass(frozen=True)
class Case:
    """A scenario, and what the engineer must see: the status, words of the title, and
    substrings of the evidence and of the next steps."""

    build: Callable[[], Evidence]
    status: CheckStatus
    title: tuple[str, ...] = ()
    evidence: tuple[str, ...] = ()
    steps: tuple[str, ...] = ()


def table(check_id: str, cases: list[ParameterSet]) -> list[ParameterSet]:
    """`pytest.param(Case, id=...)` rows as `(check_id, case)` rows."""
    return [pytest.param(check_id, p.values[0], id=f"{check_id}-{p.id}") for p in cases]


def config(**settings: object) -> FunctionConfig:
    defaults: dict[str, object] = {
        "name": FUNCTION,
        "memory_mb": 512,
        "timeout_s": 30.0,
        "runtime": "python3.12",
        "role_arn": ROLE_ARN,
    }
    defaults.update(settings)
    return FunctionConfig(**defaults)  # type: ignore[arg-type]


def with_config(logs: Logs, **settings: object) -> Evidence:
    ev = evidence(logs)
    ev.config = config(**settings)
    return ev


def logs_not_read() -> Evidence:
    """The live monitor has not read the logs yet (or could not)."""
    logs = Logs()
    logs.healthy(10)
    ev = evidence(logs)
    ev.logs_read = False
    return ev


_BY_ID = {check.id: check for check in CHECKS}


def run(ev: Evidence, check_id: str, limits: Thresholds | None = None) -> CheckResult:
    """One check over the evidence, held to the rules every result follows."""
    result = _BY_ID[check_id].run(ev, limits or Thresholds())
    well_formed(result, ev)
    return result


def well_formed(result: CheckResult, ev: Evidence) -> None:
    assert result.title, f"{result.id}: no title"
    for text in [result.title, *result.evidence, *result.next_steps]:
        assert "\n" not in text, f"{result.id}: a multi-line item: {text!r}"
        assert CONTROL.search(text) is None, f"{result.id}: a control character in {text!r}"
    samples = [item for item in result.evidence if item.startswith("›")]
    assert len(samples) <= 3, f"{result.id}: more than three sample lines"
    for command in result.commands:
        filled_in(command, ev, named=" ".join(result.evidence))


def filled_in(command: str, ev: Evidence, named: str = "") -> None:
    """A suggested command names this function (or another the evidence `named`, such as
    the function it invokes), log group, region and window; it parses as shell words."""
    words = shlex.split(command)
    assert words[0] == "aws", command
    options = _options(words)
    if "--function-name" in options and ev.function:
        name = options["--function-name"]
        assert name == ev.function or f" {name} " in f" {named} ", command
    if "--log-group-name" in options:
        assert options["--log-group-name"] == ev.log_group, command
    if ev.region and words[1] not in ("iam", "organizations"):  # global services
        # A resource another check names (a key, a topic) is read in its own region.
        own = {arn.split(":")[3] for arn in words if arn.startswith("arn:")} - {""}
        assert options.get("--region") in {ev.region, *own}, command
    windowed = words[1:3] in (
        ["logs", "filter-log-events"],
        ["logs", "start-query"],
        ["cloudwatch", "get-metric-statistics"],
        ["xray", "get-trace-summaries"],
    )
    if windowed and ev.start_ms is not None and ev.end_ms is not None:
        assert "--start-time" in options, command
        assert "--end-time" in options, command
    if "--start-time" in options and ev.start_ms is not None and ev.end_ms is not None:
        start, end = options["--start-time"], options.get("--end-time")
        if words[1:3] == ["logs", "filter-log-events"]:
            assert (start, end) == (str(ev.start_ms), str(ev.end_ms)), command
        elif words[1:3] in (["logs", "start-query"], ["xray", "get-trace-summaries"]):
            # whole seconds that hold the window: its end rounded up
            end_s = -(-ev.end_ms // 1000)
            assert (start, end) == (str(ev.start_ms // 1000), str(end_s)), command
        elif words[1] == "cloudwatch":
            # The window out to whole periods (a data point stands at its period's start).
            step = int(options["--period"]) * 1000
            start_ms, end_ms = to_epoch_ms(start), to_epoch_ms(end or "")
            assert start_ms is not None, command
            assert end_ms is not None, command
            assert start_ms == ev.start_ms - ev.start_ms % step, command
            assert end_ms == -(-ev.end_ms // step) * step, command
    if words[1:3] == ["cloudwatch", "get-metric-statistics"]:
        # The API takes statistics or percentiles, not both: such a command fails.
        assert ("--statistics" in options) != ("--extended-statistics" in options), command
    if "--dimensions" in options and words[1] == "cloudwatch" and ev.function:
        dimension = options["--dimensions"]
        if dimension.startswith("Name=FunctionName"):
            assert dimension == f"Name=FunctionName,Value={ev.function}", command


def _options(words: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for index, word in enumerate(words):
        if word.startswith("--") and index + 1 < len(words):
            following = words[index + 1]
            out[word] = "" if following.startswith("--") else following
    return out


def has(items: list[str], *needles: str) -> None:
    """Each needle appears in at least one item."""
    text = "\n".join(items)
    for needle in needles:
        assert needle in text, f"{needle!r} not in:\n{text}"


def lacks(items: list[str], *needles: str) -> None:
    text = "\n".join(items)
    for needle in needles:
        assert needle not in text, f"{needle!r} unexpectedly in:\n{text}"


# --- the JSON report (issue 2, section 4) ------------------------------------------------------

_PERCENTILES = ("p50", "p99", "max")
_SUMMARY = {
    "invocations": int,
    "errors": int,
    "cold_starts": int,
    "timeouts": int,
    "out_of_memory": int,
    "throttles": (int, type(None)),
    "duration_ms": dict,
    "init_duration_ms": dict,
    "memory_size_mb": (int, type(None)),
    "max_memory_used_mb": (int, type(None)),
    "timeout_s": (float, int, type(None)),
}
_ISO_Z = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})")


def json_schema(data: object) -> None:
    """The stable JSON schema: exactly these keys, these types, these enumerations."""
    assert isinstance(data, dict)
    assert set(data) == {"function", "region", "window", "summary", "checks"}
    assert isinstance(data["function"], str | None)
    assert isinstance(data["region"], str | None)
    window = data["window"]
    assert set(window) == {"start", "end"}
    for edge in ("start", "end"):
        assert window[edge] is None or _ISO_Z.fullmatch(window[edge]), window[edge]
    summary = data["summary"]
    assert set(summary) == set(_SUMMARY)
    for key, kind in _SUMMARY.items():
        value = summary[key]
        assert isinstance(value, kind), (key, value)
        assert not isinstance(value, bool), key
        if isinstance(value, int | float):
            assert value >= 0, key
    for key in ("duration_ms", "init_duration_ms"):
        assert set(summary[key]) == set(_PERCENTILES)
        for value in summary[key].values():
            assert value is None or (isinstance(value, float | int) and not isinstance(value, bool))
    ids = [check["id"] for check in data["checks"]]
    assert ids == [check.id for check in CHECKS]
    for check in data["checks"]:
        assert set(check) == {"id", "plane", "status", "title", "evidence", "next_steps"}
        assert check["plane"] in ("control", "service", "state", "edge")
        assert check["status"] in ("ok", "warn", "fail", "unknown")
        assert isinstance(check["title"], str)
        assert check["title"]
        for key in ("evidence", "next_steps"):
            assert isinstance(check[key], list)
            assert all(isinstance(item, str) for item in check[key])
