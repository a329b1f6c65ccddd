"""What the state plane's checks share: lines of one error kind, and the invocations they hurt."""

from __future__ import annotations

from typing import NamedTuple

from lambdatop.core.pipeline import Finding
from lambdatop.diagnose.checks.base import Verdict
from lambdatop.diagnose.evidence import Evidence
from lambdatop.diagnose.format import count, pct
from lambdatop.diagnose.model import CheckStatus
from lambdatop.diagnose.thresholds import Thresholds

LINES_TO_FAIL = 3
"""Lines that fail the check when no invocation can be named (or none completed)."""


class Hits(NamedTuple):
    """Lines of one kind of error, and how many of the window's invocations they hurt."""

    lines: int = 0
    invocations: int = 0
    """The invocations the lines hurt (their own, and cold starts whose init logged them)."""
    reported: int = 0
    """The completed invocations in the window."""
    coped: bool = False
    """The function coped with every line (`Evidence.coped`): a risk, not a failure."""
    read: int | None = None
    """The lines read, when fewer than `lines` (the window's count): `invocations` are those
    the lines read name, a floor."""

    def status(self, limits: Thresholds) -> CheckStatus:
        """Fail when a real share of invocations is hit; a stray line, or lines the function
        coped with (said so in the evidence), only warn."""
        if self.coped:
            return CheckStatus.WARN
        if not self.reported or not self.invocations:
            return CheckStatus.FAIL if self.lines >= LINES_TO_FAIL else CheckStatus.WARN
        if self.invocations / self.reported >= limits.family_ratio_fail:
            return CheckStatus.FAIL
        return CheckStatus.WARN

    @property
    def affected(self) -> str:
        """`4 lines in 3 invocations (1.5 % of 200)`; `40 lines in the window, none read`."""
        lines = count(self.lines, "line")
        if self.read == 0:
            # Counted over the window by Logs Insights; none of them among the lines read.
            return f"{lines} in the window, none read"
        if not self.invocations:
            return lines
        floor = "at least " if self.read is not None else ""
        share = f" ({floor}{pct(self.invocations, self.reported)} of {self.reported:,})"
        return f"{lines} in {floor}{count(self.invocations, 'invocation')}" + (
            share if self.reported else ""
        )


def hits(ev: Evidence, found: list[Finding], lines: int | None = None) -> Hits:
    """`lines`: the window's count (`Evidence.family_lines`), where it may be more than the
    lines found."""
    counted = len(found) if lines is None else max(lines, len(found))
    return Hits(
        lines=counted,
        invocations=len(_affected_ids(ev, found)),
        reported=ev.completed,
        coped=ev.coped(found),
        read=len(found) if counted > len(found) else None,
    )


def _affected_ids(ev: Evidence, found: list[Finding]) -> set[str]:
    """The invocations these lines hurt: their own, and those whose init or restore logged
    them (such lines come before any request id, and the invocation inherits them)."""
    affected = {f.request_id for f in found if f.request_id}
    families = {f.line.classification.family for f in found if f.line.classification}
    if any(f.request_id is None for f in found):
        affected |= {
            inv.request_id
            for inv in ev.complete.failed
            if inv.cold and not families.isdisjoint(inv.families)
        }
    return affected


def nothing_found(read: bool, lines: int, hits: Hits, none: str) -> Verdict | None:
    """The verdict when there is nothing to decide on: no log lines to look in (`unknown`:
    finding nothing would read as `ok`), or none of the lines the check looks for (`ok`)."""
    if not read or not lines:
        title = "Logs not read" if not read else "No log lines in the window"
        return Verdict(CheckStatus.UNKNOWN, title)
    if not hits.lines:
        return Verdict(CheckStatus.OK, none)
    return None
