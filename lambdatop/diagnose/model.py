"""The diagnosis as data: checks with status, evidence and next steps, and a summary."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Plane(StrEnum):
    """The guide's four planes, in its colours."""

    CONTROL = "control"
    SERVICE = "service"
    STATE = "state"
    EDGE = "edge"


PLANE_COLOURS = {
    Plane.CONTROL: "#CC0000",
    Plane.SERVICE: "#00AA00",
    Plane.STATE: "#FF8800",
    Plane.EDGE: "#0066CC",
}


class CheckStatus(StrEnum):
    OK = "ok"
    WARN = "warn"
    FAIL = "fail"
    UNKNOWN = "unknown"


STATUS_SEVERITY = {
    CheckStatus.OK: 0,
    CheckStatus.UNKNOWN: 1,
    CheckStatus.WARN: 2,
    CheckStatus.FAIL: 3,
}


@dataclass(slots=True, frozen=True)
class Step:
    """A next step: a command to run, or a fix to make."""

    text: str
    command: bool = False
    changes: bool = False
    """The command changes the account (a fix for the user to read, then run); lambdatop itself
    never runs it."""

    @property
    def fix(self) -> bool:
        """A fix to make, as opposed to something to look at."""
        return self.changes or self.text.startswith("Fix:")


@dataclass(frozen=True, slots=True)
class MemoryGrowth:
    """An execution environment whose memory climbs invocation after invocation: a leak."""

    stream: str
    """The environment's log stream."""
    first_mb: int
    last_mb: int
    size_mb: int
    """The memory size it grows towards."""
    invocations: int
    per_invocation_mb: float
    """The least-squares slope of max memory used over its invocations (always above 0)."""

    @property
    def invocations_left(self) -> float:
        """Invocations until it reaches the limit, at this rate."""
        return (self.size_mb - self.last_mb) / self.per_invocation_mb

    def describe(self, stream: str | None = None) -> str:
        """`environment <stream>: 283 → 410 / 512 MB over 12 invocations (+11.5 MB each, ...)`,
        naming the stream as given (the TUI shortens it)."""
        left = self.invocations_left
        return (
            f"environment {self.stream if stream is None else stream}: {self.first_mb} →"
            f" {self.last_mb} / {self.size_mb} MB over {self.invocations} invocations"
            f" (+{self.per_invocation_mb:.1f} MB each"
            + (f", at the limit in ~{left:.0f} more)" if left >= 1 else ", at the limit)")
        )


@dataclass(slots=True)
class CheckResult:
    id: str
    plane: Plane
    status: CheckStatus
    title: str
    evidence: list[str] = field(default_factory=list)
    steps: list[Step] = field(default_factory=list)
    caused_by: list[str] = field(default_factory=list)
    """Checks whose findings explain this one (timeouts waiting on an exhausted pool): the
    report sends the reader to those first."""
    leads: bool = False
    """Upstream of every other failure (a deploy that cannot start): the report starts here."""
    growth: tuple[MemoryGrowth, ...] = ()
    """Execution environments whose memory climbs (the memory check), the most grown first: for
    the TUI to draw. The reports say it in the evidence's words and leave this out."""

    @property
    def next_steps(self) -> list[str]:
        return [step.text for step in self.steps]

    @property
    def commands(self) -> list[str]:
        return [step.text for step in self.steps if step.command]

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "plane": self.plane.value,
            "status": self.status.value,
            "title": self.title,
            "evidence": list(self.evidence),
            "next_steps": self.next_steps,
        }


@dataclass(slots=True)
class Percentiles:
    p50: float | None = None
    p99: float | None = None
    max: float | None = None

    def to_json(self) -> dict[str, float | None]:
        return {
            "p50": _rounded(self.p50),
            "p99": _rounded(self.p99),
            "max": _rounded(self.max),
        }


@dataclass(slots=True)
class Summary:
    invocations: int = 0
    errors: int = 0
    cold_starts: int = 0
    timeouts: int = 0
    out_of_memory: int = 0
    throttles: int | None = None
    duration_ms: Percentiles = field(default_factory=Percentiles)
    init_duration_ms: Percentiles = field(default_factory=Percentiles)
    restore_duration_ms: Percentiles = field(default_factory=Percentiles)
    """SnapStart restores' durations (a restore is no init: billed and bounded apart)."""
    memory_size_mb: int | None = None
    max_memory_used_mb: int | None = None
    timeout_s: float | None = None
    figures_from: str | None = None
    """Where the figures were counted, when not from the lines read (Logs Insights)."""

    def to_json(self) -> dict[str, Any]:
        # Said only when counted elsewhere: reports of the lines read keep their shape.
        source = {"figures_from": self.figures_from} if self.figures_from else {}
        # Said only of a function SnapStart restored: other reports keep their shape.
        restored = self.restore_duration_ms
        restores = {} if restored.p50 is None else {"restore_duration_ms": restored.to_json()}
        return (
            {
                "invocations": self.invocations,
                "errors": self.errors,
                "cold_starts": self.cold_starts,
                "timeouts": self.timeouts,
                "out_of_memory": self.out_of_memory,
                "throttles": self.throttles,
                "duration_ms": self.duration_ms.to_json(),
                "init_duration_ms": self.init_duration_ms.to_json(),
                "memory_size_mb": self.memory_size_mb,
                "max_memory_used_mb": self.max_memory_used_mb,
                "timeout_s": self.timeout_s,
            }
            | restores
            | source
        )


@dataclass(slots=True)
class Diagnosis:
    function: str | None
    region: str | None
    window_start: str | None
    window_end: str | None
    summary: Summary
    checks: list[CheckResult]

    @property
    def failed(self) -> bool:
        return any(check.status is CheckStatus.FAIL for check in self.checks)

    @property
    def worst(self) -> CheckStatus:
        if not self.checks:
            return CheckStatus.UNKNOWN
        return max((c.status for c in self.checks), key=STATUS_SEVERITY.__getitem__)

    def check(self, check_id: str) -> CheckResult:
        for check in self.checks:
            if check.id == check_id:
                return check
        raise KeyError(check_id)

    def to_json(self) -> dict[str, Any]:
        return {
            "function": self.function,
            "region": self.region,
            "window": {"start": self.window_start, "end": self.window_end},
            "summary": self.summary.to_json(),
            "checks": [check.to_json() for check in self.checks],
        }


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 2)
