"""What a check is: three small functions, each with one job.

    measure(evidence, thresholds) -> Figures       the numbers the check decides on: a small
                                                   NamedTuple, built from logs, metrics,
                                                   traces and configuration
    verdict(figures, thresholds)  -> Verdict       a flat decision: status and title from the
                                                   figures alone (testable with hand-built
                                                   figures, no logs needed)
    advise(figures, verdict, evidence) -> Advice   evidence lines and next steps; the guide's
                                                   fixed prose lives beside it as data

Figures and verdicts are NamedTuples: immutable and typed like a frozen dataclass, and about a
third of its cost to define (a frozen dataclass compiles five methods from generated source per
class at import, which was a tenth of `diagnose --logs` on a small export).

The engine declares every check once, with its id, plane and place in the flowchart
(`lambdatop.diagnose.engine.CHECKS`); a check never states its own id or plane.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum
from typing import Generic, NamedTuple, TypeVar

from lambdatop.diagnose.evidence import Evidence
from lambdatop.diagnose.model import CheckResult, CheckStatus, MemoryGrowth, Plane, Step
from lambdatop.diagnose.thresholds import Thresholds

Figures = TypeVar("Figures")


class Verdict(NamedTuple):
    """What a check concludes from its figures."""

    status: CheckStatus
    title: str
    reason: Enum | None = None
    """Which branch of the decision was taken, when the advice depends on it (the check's own
    enum: a cold-start storm and cold starts after idling are both warnings, advised apart)."""
    caused_by: tuple[str, ...] = ()
    """Checks whose findings explain this one (timeouts waiting on an exhausted pool)."""
    leads: bool = False
    """Upstream of every other failure (a deploy that cannot start): the report starts here."""


@dataclass(slots=True)
class Advice:
    """What the engineer reads under the title: the evidence, then what to run or change."""

    evidence: list[str] = field(default_factory=list)
    steps: list[Step] = field(default_factory=list)
    growth: tuple[MemoryGrowth, ...] = ()
    """Environments whose memory climbs, as data beside the evidence's words (the memory check)."""


@dataclass(frozen=True, slots=True)
class Check(Generic[Figures]):
    """One box of the flowchart: its id, its plane, and its three parts."""

    id: str
    plane: Plane
    measure: Callable[[Evidence, Thresholds], Figures]
    verdict: Callable[[Figures, Thresholds], Verdict]
    advise: Callable[[Figures, Verdict, Evidence], Advice]

    def run(self, evidence: Evidence, thresholds: Thresholds) -> CheckResult:
        figures = self.measure(evidence, thresholds)
        verdict = self.verdict(figures, thresholds)
        advice = self.advise(figures, verdict, evidence)
        return CheckResult(
            self.id,
            self.plane,
            verdict.status,
            verdict.title,
            evidence=advice.evidence,
            steps=advice.steps,
            caused_by=list(verdict.caused_by),
            leads=verdict.leads,
            growth=advice.growth,
        )
