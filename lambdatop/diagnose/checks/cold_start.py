"""Service plane: how often the function starts cold, and how long its init takes."""

from __future__ import annotations

from enum import Enum
from itertools import pairwise
from typing import NamedTuple

from lambdatop.core import metrics as m
from lambdatop.core.pipeline import Finding
from lambdatop.core.records import ErrorFamily, Invocation
from lambdatop.core.stats import percentiles
from lambdatop.diagnose.checks.base import Advice, Verdict
from lambdatop.diagnose.checks.common import no_invocations
from lambdatop.diagnose.commands import Commands
from lambdatop.diagnose.evidence import Evidence
from lambdatop.diagnose.format import count, ms, pct, samples
from lambdatop.diagnose.model import CheckStatus, Step
from lambdatop.diagnose.thresholds import Thresholds

INIT_LIMIT_MS = 10_000.0
"""Lambda's limit on an on-demand init, and on a SnapStart restore: "If an after-restore
runtime hook runs for longer than 10 seconds, the Restore phase times out" (Lambda Developer
Guide, Troubleshooting SnapStart)."""
NEAR_INIT_LIMIT = 0.9
"""An init p99 this close to the limit: one slower start and it is cut off."""
IDLE_GAP_MS = 5 * 60_000
"""Lambda keeps an idle environment for minutes, not more: invocations further apart than
this start cold whatever is done inside the function."""
LARGE_PACKAGE_BYTES = 50 * 1024 * 1024

COLD_REPORTS = (
    '?"Init Duration" ?"Restore Duration"',
    "{ $.record.metrics.initDurationMs > 0 || $.record.metrics.restoreDurationMs > 0 }",
)
COLD_BY_5_MIN = (
    'fields @timestamp, @initDuration | filter @type = "REPORT"'
    " | stats count(@initDuration) as cold, count(*) as total,"
    " avg(@initDuration), max(@initDuration) by bin(5m)",
    "fields @timestamp, record.metrics.initDurationMs as init"
    ' | filter type = "platform.report"'
    " | stats count(init) as cold, count(*) as total, avg(init), max(init) by bin(5m)",
)
COLD_AND_RESTORED_BY_5_MIN = (
    'fields @timestamp, @initDuration | filter @type = "REPORT"'
    r" | parse @message /Restore Duration: (?<restore>[\d.]+)/"
    " | stats count(@initDuration) as cold, count(restore) as restored, count(*) as"
    " total, max(@initDuration), max(restore) by bin(5m)",
    "fields @timestamp, record.metrics.initDurationMs as init,"
    " record.metrics.restoreDurationMs as restore"
    ' | filter type = "platform.report"'
    " | stats count(init) as cold, count(restore) as restored, count(*) as total,"
    " max(init), max(restore) by bin(5m)",
)
WHAT_SLOWS_INIT = "{CodeSize: CodeSize, MemorySize: MemorySize, VpcConfig: VpcConfig}"
IN_VPC = "function runs in a VPC (each new environment attaches to it)"
AT_THE_LIMIT = (
    "an init past 10 s is cut off and run again inside the invocation, against its timeout"
)
IDLE_NOTE = (
    " cold starts came 5 min or more after the invocation before: each found its environment"
    " gone; if nobody waits on them (a schedule), nothing to fix"
)
SNAPSTART = "--snap-start ApplyOn=PublishedVersions"
FIX_INIT = Step(
    "Fix: move heavy initialisation out of the import path, trim the package, and "
    "create SDK clients once outside the handler"
)


class Reason(Enum):
    INIT_TIMED_OUT = "an init ran out of the 10 s init limit"
    REINIT_TIMED_OUT = "an init re-run inside an invocation ran out of its timeout"
    AFTER_IDLE = "most cold starts came after idling: environments reclaimed"
    STORM = "many cold starts with a slow init"
    AT_INIT_LIMIT = "init p99 at the 10 s init limit"
    NOTABLE = "a slow init, or a notable share of cold starts"


class ColdStartFigures(NamedTuple):
    logs_read: bool
    invocations: int
    """Completed invocations (with a REPORT line)."""
    cold: int
    after_idle: int
    """Cold starts 5 min or more after the invocation before (the window's first counts)."""
    restores: int
    """SnapStart restores, counted among the cold starts."""
    init_p50_ms: float | None = None
    init_p99_ms: float | None = None
    init_max_ms: float | None = None
    init_timeouts: int = 0
    """Inits that ran out of the 10 s init limit."""
    reinit_timeouts: int = 0
    """Inits Lambda re-ran inside an invocation that timed out again (the invocation's timeout)."""

    @property
    def started_by(self) -> str:
        """What ran before the cold invocations: `init`, or `restore` when SnapStart restored
        every one (a restore is no init: billed and bounded apart), or both."""
        if not self.restores:
            return "init"
        return "restore" if self.restores >= self.cold else "init or restore"

    @property
    def share(self) -> float:
        """The share of invocations that started cold; 0 over too few to mean anything."""
        return self.cold / self.invocations if self.invocations else 0.0


def measure(ev: Evidence, limits: Thresholds) -> ColdStartFigures:
    cold = ev.complete.cold
    p50, p99, peak = percentiles([(inv.cold_start_ms or 0.0) for inv in cold], 50, 99, 100)
    window = ev.window
    if window is not None:  # the whole window's, not the sample's
        p50, p99, peak = window.init_ms.p50, window.init_ms.p99, window.init_ms.max
    init_failures, reinits = _init_timeouts(ev)
    return ColdStartFigures(
        logs_read=ev.logs_read,
        invocations=ev.completed,
        cold=len(cold) if window is None else window.cold_starts,
        after_idle=_after_idle(ev.complete.by_start),
        restores=sum(1 for inv in cold if inv.restore_ms is not None),
        init_p50_ms=p50,
        init_p99_ms=p99,
        init_max_ms=peak,
        init_timeouts=len(init_failures),
        reinit_timeouts=len(reinits),
    )


def verdict(f: ColdStartFigures, limits: Thresholds) -> Verdict:
    p99 = f.init_p99_ms
    cold_share = pct(f.cold, f.invocations)
    if f.init_timeouts:
        title = f"{count(f.init_timeouts, 'init')} ran out of the 10 s init limit"
        return Verdict(CheckStatus.FAIL, title, Reason.INIT_TIMED_OUT)
    if f.reinit_timeouts:
        title = f"{count(f.reinit_timeouts, 'init')} re-run in an invocation timed out"
        return Verdict(CheckStatus.FAIL, title, Reason.REINIT_TIMED_OUT)
    if not f.invocations:
        return no_invocations(f.logs_read)
    # Too few invocations for a share to mean anything.
    share = f.share if f.invocations >= limits.min_invocations_for_ratio else 0.0
    slow = p99 is not None and p99 >= limits.init_slow_ms
    storm = share >= limits.cold_start_ratio_fail and slow
    if storm and _mostly_after_idle(f, limits):
        title = (
            f"{cold_share} of invocations started cold ({f.started_by} p99 {ms(p99)}): most came"
            " minutes after the one before, and idle environments are reclaimed"
        )
        return Verdict(CheckStatus.WARN, title, Reason.AFTER_IDLE)
    if storm:
        title = f"Cold-start storm: {cold_share} of invocations cold, {f.started_by} p99 {ms(p99)}"
        return Verdict(CheckStatus.FAIL, title, Reason.STORM)
    if p99 is not None and INIT_LIMIT_MS * NEAR_INIT_LIMIT <= p99 <= INIT_LIMIT_MS:
        # One slower start and the init times out: Lambda then runs it again inside the
        # invocation, against the function's own timeout.
        title = f"{f.started_by.capitalize()} p99 {ms(p99)}: at the 10 s {f.started_by} limit"
        return Verdict(CheckStatus.FAIL, title, Reason.AT_INIT_LIMIT)
    notable = p99 is not None and p99 >= limits.cold_start_init_notable_ms
    if slow or (share >= limits.cold_start_ratio_warn and notable):
        title = f"{cold_share} of invocations started cold, {f.started_by} p99 {ms(p99)}"
        return Verdict(CheckStatus.WARN, title, Reason.NOTABLE)
    return Verdict(
        CheckStatus.OK,
        f"Cold starts {cold_share}" + (f", {f.started_by} p99 {ms(p99)}" if f.cold else ""),
    )


def _mostly_after_idle(f: ColdStartFigures, limits: Thresholds) -> bool:
    """Invocations minutes apart find their environment reclaimed: cold by nature (a schedule,
    a quiet API), not a burst outgrowing the warm environments. A burst after a quiet night is
    still a storm: only the cold starts after idling are excused."""
    bursting = (f.cold - f.after_idle) / f.invocations
    return f.after_idle * 2 > f.cold and bursting < limits.cold_start_ratio_fail


def advise(f: ColdStartFigures, decided: Verdict, ev: Evidence) -> Advice:
    cmd = Commands(ev)
    by_5_min = COLD_AND_RESTORED_BY_5_MIN if f.restores else COLD_BY_5_MIN
    steps = [
        cmd.filter_reports(
            *COLD_REPORTS, quoted=[x.line.text for x in ev.family(ErrorFamily.INIT)]
        ),
        cmd.insights_reports(*by_5_min),
        cmd.function_config(WHAT_SLOWS_INIT),
    ]
    if decided.status is CheckStatus.UNKNOWN:
        return Advice(steps=steps)
    evidence = _evidence(f, ev)
    if decided.reason is Reason.AFTER_IDLE:
        evidence.append(f"{f.after_idle:,} of the {f.cold:,}{IDLE_NOTE}")
    elif decided.reason in (Reason.AT_INIT_LIMIT, Reason.INIT_TIMED_OUT):
        evidence.append(AT_THE_LIMIT)
    if decided.status is not CheckStatus.OK:
        steps.extend(_fixes(ev, cmd))
    return Advice(evidence, steps)


def _evidence(f: ColdStartFigures, ev: Evidence) -> list[str]:
    evidence = [
        f"{f.cold:,} of {count(f.invocations, 'invocation')} started cold"
        f" ({pct(f.cold, f.invocations)})"
    ]
    if f.cold:
        evidence.append(
            f"{f.started_by} p50 {ms(f.init_p50_ms)}, p99 {ms(f.init_p99_ms)},"
            f" max {ms(f.init_max_ms)}"
            + (
                f" of the 10 s {f.started_by} limit"
                if (f.init_max_ms or 0.0) <= INIT_LIMIT_MS or f.restores
                else " (past 10 s: init re-ran inside an invocation, against its timeout)"
            )
        )
    if f.restores:
        evidence.append(f"{count(f.restores, 'SnapStart restore')} counted as cold starts")
    config = ev.config
    if config is not None and config.in_vpc:
        evidence.append(IN_VPC)
    if (
        config is not None
        and config.code_size_bytes
        and (config.code_size_bytes > LARGE_PACKAGE_BYTES)
    ):
        evidence.append(
            f"deployment package {config.code_size_bytes / 1048576:.0f} MB (>50 MB slows init)"
        )
    if f.reinit_timeouts:
        evidence.append(
            f"{count(f.reinit_timeouts, 'init')} re-run in an invocation also timed out"
            " (the invocation's timeout)"
        )
    init_failures, reinits = _init_timeouts(ev)
    evidence.extend(samples(init_failures + reinits))
    return evidence


def _fixes(ev: Evidence, cmd: Commands) -> list[Step]:
    fixes: list[Step] = []
    peak_concurrency = ev.metric_peak(m.CONCURRENCY)
    if peak_concurrency:
        fixes.append(
            Step(
                f"Fix: keep {int(peak_concurrency)} environments warm (the window's peak "
                "concurrency) with provisioned concurrency on an alias"
            )
        )
    config = ev.config
    if config is not None and (config.runtime or "").startswith("java") and not config.snapstart:
        fixes.append(cmd.update(SNAPSTART))
    fixes.append(FIX_INIT)
    return fixes


def _init_timeouts(ev: Evidence) -> tuple[list[Finding], list[Finding]]:
    """Inits that ran out of the 10 s init limit, and inits re-run inside an invocation that
    timed out again."""
    timed_out = [
        f
        for f in ev.family(ErrorFamily.INIT)
        if f.line.classification and "timed out" in f.line.classification.signature
    ]
    # Lambda re-runs a failed init inside the next invocation, against the function's timeout:
    # that is the same failure again, not a second init out of its 10 s.
    reinits = [f for f in timed_out if f.line.report and f.line.report.phase == "invoke"]
    return [f for f in timed_out if f not in reinits], reinits


def _after_idle(ordered: list[Invocation]) -> int:
    """The cold starts that came `IDLE_GAP_MS` or more after the invocation before them (the
    first of the window counts as one): their environments were reclaimed while idle.
    `ordered`: the invocations whose start is known, by start."""
    idle = 1 if ordered and ordered[0].cold else 0
    for before, inv in pairwise(ordered):
        if inv.cold and (inv.start_ms or 0) - (before.start_ms or 0) >= IDLE_GAP_MS:
            idle += 1
    return idle
