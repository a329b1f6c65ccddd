"""What an incident decides about each invocation, and the base every incident builds on.

An incident is a small strategy: how much traffic arrives, what a cold start costs, and what one
invocation does (its duration, memory, application lines and how it fails) at a given moment of
the incident cycle. It says nothing about formats: `formats/` turns its decisions into the raw
lines Lambda would write.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from enum import StrEnum

from lambdatop.demo.scenarios import Scenario
from lambdatop.demo.timeline import Moment


class Level(StrEnum):
    DEBUG = "DEBUG"
    INFO = "INFO"
    WARN = "WARN"
    ERROR = "ERROR"


class FailureKind(StrEnum):
    UNHANDLED = "unhandled"
    """The handler raised or returned an error; the runtime reports it."""
    TIMEOUT = "timeout"
    """Lambda stopped the invocation at the function timeout."""
    OUT_OF_MEMORY = "out_of_memory"
    """The kernel killed the runtime at the memory limit."""
    INIT_ERROR = "init_error"
    """Initialisation failed (e.g. an import error); the invoke re-runs init and fails again."""


@dataclass(frozen=True, slots=True)
class AppLine:
    """A line the function's own code (or its runtime) wrote."""

    offset_ms: float
    """From the start of the phase that wrote it (init or invoke)."""
    level: Level
    message: str
    raw: bool = False
    """Written straight to stdout/stderr, bypassing the runtime's logger (no prefix)."""


@dataclass(frozen=True, slots=True)
class Failure:
    kind: FailureKind
    error_type: str
    """The exception or platform error type, e.g. `ClientError`, `Runtime.OutOfMemory`."""
    message: str = ""
    stack: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Call:
    """A downstream call, recorded as an X-Ray subsegment."""

    name: str
    offset_ms: float
    duration_ms: float
    namespace: str = "remote"
    """`aws` for AWS SDK calls, `remote` for everything else."""
    operation: str | None = None
    http_status: int | None = None
    error: bool = False
    fault: bool = False
    throttle: bool = False
    exception: str | None = None
    sql_url: str | None = None


@dataclass(slots=True)
class Outcome:
    """What one invocation did."""

    duration_ms: float
    max_memory_mb: int
    lines: list[AppLine] = field(default_factory=list)
    failure: Failure | None = None
    calls: list[Call] = field(default_factory=list)


@dataclass(slots=True)
class InitOutcome:
    """What initialising a new execution environment did (a JVM init or a SnapStart restore)."""

    duration_ms: float
    lines: list[AppLine] = field(default_factory=list)
    error_type: str | None = None
    """Set when init failed, e.g. `Runtime.ImportModuleError`."""
    memory_mb: int = 0
    """Memory in use once init is done: the floor every invocation starts from."""


@dataclass(slots=True)
class EnvironmentState:
    """What an incident remembers about one warm execution environment."""

    memory_mb: float = 0.0
    invocations: int = 0
    revision: str = ""


@dataclass(frozen=True, slots=True)
class Request:
    """What reached the function: which API fronted it, if any."""

    request_id: str
    via_api: str | None = None
    """`rest` or `http` when an API Gateway integration invoked the function."""


class Incident:
    """Base incident: a steady, healthy function. Subclasses override what goes wrong."""

    calm_rate: float = 1.0
    """Invocations per second when calm."""
    peak_rate: float = 1.0
    """Invocations per second at the peak."""

    def __init__(self, scenario: Scenario) -> None:
        self.scenario = scenario

    def arrivals_per_second(self, moment: Moment) -> float:
        return self.calm_rate + (self.peak_rate - self.calm_rate) * moment.intensity

    def revision(self, moment: Moment) -> str:
        """Which deployment serves requests; a change replaces every environment."""
        return "stable"

    def init(self, moment: Moment, rng: random.Random, state: EnvironmentState) -> InitOutcome:
        return InitOutcome(duration_ms=rng.uniform(180.0, 420.0), memory_mb=rng.randint(70, 90))

    def invoke(
        self, moment: Moment, rng: random.Random, state: EnvironmentState, request: Request
    ) -> Outcome:
        raise NotImplementedError

    def via_api(self, rng: random.Random) -> str | None:
        """Which API (if any) fronts this request."""
        return None

    def iterator_age_ms(self, moment: Moment, rng: random.Random) -> float | None:
        """The stream consumer's IteratorAge, for event-source-driven functions."""
        return None


def memory_used(state: EnvironmentState, rng: random.Random, extra: float, limit: int) -> int:
    """Max Memory Used for an invocation: the environment's floor plus what this one allocated."""
    return min(limit, round(state.memory_mb + extra + rng.uniform(0.0, 4.0)))
