"""One simulated invocation, fully decided, ready to be written out in any format."""

from __future__ import annotations

from dataclasses import dataclass

from lambdatop.demo.incidents.base import InitOutcome, Outcome, Request
from lambdatop.demo.scenarios import Scenario


@dataclass(frozen=True, slots=True)
class ColdStart:
    """The environment's initialisation, just before its first invocation."""

    start: float
    """Epoch seconds at which INIT_START (or RESTORE_START) was written."""
    outcome: InitOutcome
    restore: bool = False
    """A SnapStart restore rather than an init."""


@dataclass(frozen=True, slots=True)
class TraceIds:
    trace_id: str
    """`1-<8 hex epoch>-<24 hex>`."""
    segment_id: str
    """The AWS::Lambda::Function segment's id (16 hex)."""
    service_segment_id: str
    """The AWS::Lambda service segment's id, the function segment's parent."""


@dataclass(frozen=True, slots=True)
class SimulatedInvocation:
    scenario: Scenario
    stream: str
    version: str
    request: Request
    start: float
    """Epoch seconds of START (after any cold start)."""
    outcome: Outcome
    runtime_version: str
    runtime_version_arn: str
    environment_id: str
    cold_start: ColdStart | None = None
    trace: TraceIds | None = None

    @property
    def end(self) -> float:
        return self.start + self.outcome.duration_ms / 1000.0

    @property
    def init_duration_ms(self) -> float | None:
        if self.cold_start is None:
            return None
        return self.cold_start.outcome.duration_ms
