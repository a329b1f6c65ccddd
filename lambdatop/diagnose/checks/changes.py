"""Failures around a change: a new version or memory size that broke the function (or fixed it),
and a version failing beside a healthy one (a weighted alias's canary)."""

from __future__ import annotations

from typing import NamedTuple

from lambdatop.core.records import Invocation
from lambdatop.diagnose.commands import Commands
from lambdatop.diagnose.format import clock
from lambdatop.diagnose.model import Step
from lambdatop.diagnose.thresholds import Thresholds

MIN_SIDE = 5
"""Invocations needed on each side of a change to compare them."""
FAILURES_TO_BLAME = 3
"""Failures since a change (or on one version) needed to blame it."""
LUCK = 0.05
"""No failure since a change is the change's doing when this unlikely by chance."""
CALM_BEFORE = 4
"""Before a change that broke the function, failures were at most a quarter as frequent."""
ROLL_BACK = Step("Fix: roll back to what ran before (the previous version or deployment)")


class Change(NamedTuple):
    """The one change of version or memory size in the window, with enough runs either side."""

    at_ms: int
    before: int
    failed_before: int
    after: int
    failed_after: int
    failing_at_change: bool
    """Some of the last runs before the change failed (the last quarter, 5 at least)."""
    old_version: str | None = None
    new_version: str | None = None
    old_memory_mb: int | None = None
    new_memory_mb: int | None = None

    @property
    def what(self) -> str:
        if self.old_version != self.new_version:
            return f"version {self.new_version}" if self.new_version else "a new version"
        return f"memory {self.old_memory_mb} → {self.new_memory_mb} MB"

    @property
    def at(self) -> str:
        return clock(self.at_ms)

    @property
    def rate_before(self) -> float:
        return self.failed_before / self.before

    @property
    def rate_after(self) -> float:
        return self.failed_after / self.after


class VersionRuns(NamedTuple):
    """One of the versions served side by side."""

    version: str
    runs: int
    failed: int

    @property
    def rate(self) -> float:
        return self.failed / self.runs


def measure(reported: list[Invocation]) -> tuple[Change | None, tuple[VersionRuns, ...]]:
    """The one change in the window, or the versions served side by side when the version
    changed back and forth."""
    return in_time_order(sorted(reported, key=lambda inv: inv.start_ms or inv.end_ms or 0))


def in_time_order(ordered: list[Invocation]) -> tuple[Change | None, tuple[VersionRuns, ...]]:
    """`measure` of invocations already in time order (`CompletedInvocations.in_time_order`)."""
    served = [(inv.version, inv.memory_size_mb) for inv in ordered]
    changes = [i for i in range(1, len(served)) if served[i] != served[i - 1]]
    if len(changes) > 1:
        return None, _side_by_side(ordered)
    if not changes:
        return None, ()
    before, after = ordered[: changes[0]], ordered[changes[0] :]
    old, new = before[-1], after[0]
    memory_changed = bool(old.memory_size_mb and new.memory_size_mb)
    if len(before) < MIN_SIDE or len(after) < MIN_SIDE:
        return None, ()
    if old.version == new.version and not memory_changed:
        return None, ()
    tail = before[-max(MIN_SIDE, len(before) // 4) :]
    return Change(
        at_ms=new.start_ms or new.end_ms or 0,
        before=len(before),
        failed_before=sum(1 for inv in before if inv.failed),
        after=len(after),
        failed_after=sum(1 for inv in after if inv.failed),
        failing_at_change=any(inv.failed for inv in tail),
        old_version=old.version,
        new_version=new.version,
        old_memory_mb=old.memory_size_mb,
        new_memory_mb=new.memory_size_mb,
    ), ()


def _side_by_side(ordered: list[Invocation]) -> tuple[VersionRuns, ...]:
    """Versions served side by side, each with enough runs to compare (else none)."""
    by_version: dict[str, list[Invocation]] = {}
    for inv in ordered:
        if inv.version:
            by_version.setdefault(inv.version, []).append(inv)
    if len(by_version) < 2 or any(len(runs) < MIN_SIDE for runs in by_version.values()):
        return ()
    return tuple(
        VersionRuns(version, len(runs), sum(1 for inv in runs if inv.failed))
        for version, runs in by_version.items()
    )


def stopped(change: Change) -> bool:
    """Failures that stopped with the change: still failing when it came, none since, and
    none since is not luck."""
    return (
        change.failed_before > 0
        and not change.failed_after
        and change.failing_at_change
        and (1 - change.rate_before) ** change.after < LUCK
    )


def began(change: Change, limits: Thresholds) -> bool:
    """Failures that began with the change: failing since, calm before."""
    calm_before = change.rate_before < min(limits.error_rate_warn, change.rate_after / CALM_BEFORE)
    return (
        change.rate_after >= limits.error_rate_fail
        and calm_before
        and change.failed_after >= FAILURES_TO_BLAME
    )


def failing_version(versions: tuple[VersionRuns, ...], limits: Thresholds) -> VersionRuns | None:
    """The one version that fails while the others are calm: take it out of the alias."""
    bad = [v for v in versions if v.rate >= limits.error_rate_fail]
    if len(bad) != 1:
        return None
    calm = all(v.rate < limits.error_rate_warn for v in versions if v is not bad[0])
    return bad[0] if bad[0].failed >= FAILURES_TO_BLAME and calm else None


def stopped_title(change: Change) -> str:
    return (
        f"{change.failed_before:,} failed before {change.what} at {change.at};"
        f" none of the {change.after:,} since"
    )


def began_title(change: Change) -> str:
    return (
        f"Errors began with {change.what} at {change.at}: {change.failed_after:,} of"
        f" {change.after:,} failed since, {change.failed_before:,} of {change.before:,} before"
    )


def version_title(bad: VersionRuns, versions: tuple[VersionRuns, ...]) -> str:
    others = ", ".join(
        f"version {v.version}: {v.failed} of {v.runs}" for v in versions if v is not bad
    )
    return f"Errors only on version {bad.version}: {bad.failed} of {bad.runs} failed ({others})"


def began_steps(change: Change, cmd: Commands) -> list[Step]:
    """Whether a dependency failing since is to blame, and the way back."""
    check = Step(
        f"Check: a dependency failing since {change.at} would look the same: do the errors"
        " name one?"
    )
    old = change.old_version
    if old != change.new_version and old and old != "$LATEST":
        alias = f" --name '<alias>' --function-version {old}"
        return [check, cmd.lambda_function("update-alias", alias, changes=True)]
    if old == change.new_version and change.old_memory_mb:
        return [check, cmd.update(f"--memory-size {change.old_memory_mb}")]
    return [check, ROLL_BACK]


def version_step(bad: VersionRuns, versions: tuple[VersionRuns, ...], cmd: Commands) -> Step:
    """Send the alias's traffic to a healthy version only."""
    good = next(v.version for v in versions if v is not bad)
    return cmd.lambda_function(
        "update-alias",
        f" --name '<alias>' --function-version {good}"
        " --routing-config '{\"AdditionalVersionWeights\": {}}'",
        changes=True,
    )
