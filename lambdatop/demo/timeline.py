"""The incident cycle: calm → escalating → peak → recovering, and round again.

A pure function of wall-clock time, so the backfilled past and the live present follow the same
story. `speed` compresses the cycle (event timestamps stay real); the cycle is short enough that
every incident peaks at least twice in any hour at speed 1.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Phase(StrEnum):
    CALM = "calm"
    ESCALATING = "escalating"
    PEAK = "peak"
    RECOVERING = "recovering"


PHASE_SECONDS: tuple[tuple[Phase, float], ...] = (
    (Phase.CALM, 240.0),
    (Phase.ESCALATING, 300.0),
    (Phase.PEAK, 420.0),
    (Phase.RECOVERING, 240.0),
)
"""Phase lengths at speed 1: a 20-minute cycle whose peak lasts 7 minutes."""

CYCLE_SECONDS = sum(seconds for _, seconds in PHASE_SECONDS)


@dataclass(frozen=True, slots=True)
class Moment:
    """Where an incident stands at one instant."""

    phase: Phase
    intensity: float
    """0 when calm, 1 at the peak, ramping in between."""
    phase_fraction: float
    """0..1 through the current phase."""
    cycle_position: float
    """0..1 through the cycle."""


@dataclass(frozen=True, slots=True)
class Timeline:
    """Maps wall-clock time to each incident's phase."""

    anchor: float
    """Wall-clock epoch seconds at which position 0 of the cycle falls (offsets aside)."""
    speed: float = 1.0

    def __post_init__(self) -> None:
        if self.speed <= 0:
            raise ValueError(f"speed must be positive, got {self.speed}")

    def moment(self, wall_time: float, phase_offset: float = 0.0) -> Moment:
        elapsed = (wall_time - self.anchor) * self.speed + phase_offset * CYCLE_SECONDS
        position = elapsed % CYCLE_SECONDS
        start = 0.0
        for phase, seconds in PHASE_SECONDS:
            if position < start + seconds:
                fraction = (position - start) / seconds
                return Moment(
                    phase, _intensity(phase, fraction), fraction, position / CYCLE_SECONDS
                )
            start += seconds
        # Floating-point edge: position == CYCLE_SECONDS
        return Moment(Phase.CALM, 0.0, 0.0, 0.0)


def _intensity(phase: Phase, fraction: float) -> float:
    if phase is Phase.CALM:
        return 0.0
    if phase is Phase.ESCALATING:
        return fraction
    if phase is Phase.PEAK:
        return 1.0
    return 1.0 - fraction
