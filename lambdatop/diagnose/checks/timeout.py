"""Service plane: invocations that ran out of time, and what they were waiting on."""

from __future__ import annotations

import bisect
from typing import NamedTuple

from lambdatop.core.pipeline import Finding
from lambdatop.core.records import ErrorFamily, Invocation, LineKind, Status
from lambdatop.core.stats import percentiles
from lambdatop.diagnose.checks.base import Advice, Verdict
from lambdatop.diagnose.checks.common import no_invocations
from lambdatop.diagnose.commands import Commands
from lambdatop.diagnose.evidence import Evidence
from lambdatop.diagnose.format import count, memory_step, ms, pct, samples, timeout_step
from lambdatop.diagnose.model import CheckStatus, Step
from lambdatop.diagnose.thresholds import Thresholds

CHECK_OF_FAMILY = {
    ErrorFamily.CONNECTION_POOL: "connection_pool",
    ErrorFamily.DATABASE: "database",
    ErrorFamily.NETWORK: "vpc",
    ErrorFamily.THROTTLING: "throttling",
}
"""Dependency errors that explain why an invocation ran out of time, and the check of each."""
NEAR_BEFORE_MS = 120_000
NEAR_AFTER_MS = 60_000
"""A dependency error this close to an invocation's end (before, or just after) is near it."""
EXTENSION_HELD = 0.5
"""A handler that returned before this share of the invocation's duration did not hold it."""
OK_P99_FOR_MORE_TIME = 0.5
"""Succeeding invocations whose p99 passes this share of the timeout deserve more of it."""
QUICK_SHARE = 0.1
"""Invocations that succeed within this share of the timeout do not run out of it on their work."""
API_GATEWAY_LIMIT_S = 29
MORE_CPU_BELOW_MB = 1769
"""Lambda gives a function one full vCPU at 1,769 MB: below it, more memory is more CPU."""

# The runtime's `Task timed out` line, and the platform's REPORT `Status: timeout` (the only
# word of a timeout when the init re-run inside the invocation ran out of it).
TIMED_OUT_REPORTS = ('?"Task timed out" ?"Status: timeout"', '{ $.record.status = "timeout" }')
# "If all three tasks do not complete within 10 seconds, Lambda retries the Init phase at the
# time of the first function invocation with the configured function timeout" (the execution
# environment lifecycle's Init phase); a crash or a timeout makes the next invocation re-run it
# the same way, a suppressed init (Lambda Developer Guide, troubleshooting-invocation.html
# #troubleshooting-timeouts, since October 2024).
REINIT_COUNTS = (
    "a re-init after a crash or a timeout (a suppressed init) runs inside the next invocation"
    " and counts against the timeout"
)
EXTENSION_NOTE = (
    " (platform.runtimeDone, p50): an extension kept the invocation open until the timeout"
)
FIX_EXTENSION = Step(
    "Fix: find the extension (a layer) that does not finish after the handler returns:"
    " its flush to a backend it cannot reach, or its call for the next event; update,"
    " reconfigure or remove it"
)
FIX_WAIT = Step(
    "Fix: find what the timed-out invocations wait on (traces, database, downstream "
    "calls); raising the timeout only moves the wall"
)
NO_TIMEOUT_SETTING = "timeout setting unknown: closeness to it not judged"


class WaitedOn(NamedTuple):
    """A dependency the timed-out invocations were waiting on."""

    family: ErrorFamily
    logged: int = 0
    """Timed-out invocations that logged its errors themselves (0: linked by time alone)."""
    near: int = 0
    """Timeouts that ended within minutes of its errors."""
    baseline: float = 0.0
    """The share of invocations that succeeded which ended as near its errors."""

    @property
    def check(self) -> str:
        return CHECK_OF_FAMILY[self.family]


class TimeoutFigures(NamedTuple):
    logs_read: bool
    invocations: int
    timed_out: int = 0
    timed_out_reinit: int = 0
    """Timed-out invocations inside which a failed init ran again (that init counts against
    their timeout)."""
    p50_ms: float | None = None
    p99_ms: float | None = None
    max_ms: float | None = None
    succeeded_p99_ms: float | None = None
    timeout_s: float | None = None
    waited_on: tuple[WaitedOn, ...] = ()
    extension_held: int = 0
    """Timeouts after the handler had returned: an extension kept the invocation open."""
    handler_p50_ms: float | None = None
    """How long the handler of those took (platform.runtimeDone)."""
    behind_api: bool = False
    memory_mb: int | None = None
    init_max_ms: float | None = None
    """The longest init of a cold start."""
    limit_ms: float | None = None
    """The timeout: as configured, else what the timed-out invocations ran (a timeout's REPORT
    says the duration it was stopped at)."""

    @property
    def init_over(self) -> bool:
        """The init takes the whole timeout: an environment that must re-initialize inside an
        invocation (after a crash, a timeout, an out-of-memory kill) times out before its init
        is done, and again at every invocation it is given."""
        return bool(self.init_max_ms and self.limit_ms and self.init_max_ms >= self.limit_ms)

    @property
    def init_ran_out(self) -> bool:
        """The init, not the work, ran the timed-out invocations out of time: each re-ran it
        (`INIT_REPORT Phase: invoke`), or the invocations that succeeded took a sliver of the
        timeout while the init takes all of it."""
        if not self.init_over:
            return False
        quick = self.succeeded_p99_ms is not None and self.limit_ms is not None
        quick = quick and (self.succeeded_p99_ms or 0.0) < QUICK_SHARE * (self.limit_ms or 0.0)
        return self.timed_out_reinit >= self.timed_out or quick


def measure(ev: Evidence, limits: Thresholds) -> TimeoutFigures:
    reported = ev.reported
    timeout_s = ev.timeout_s
    # Only one with a family or a failure can have timed out (`_timed_out`): the rest unasked.
    timed_out = [
        inv
        for inv in reported
        if (inv.families or inv.status is not Status.SUCCESS) and _timed_out(inv, timeout_s)
    ]
    succeeded = [inv for inv in reported if inv.status is Status.SUCCESS]
    p50, p99, peak = percentiles(ev.complete.sorted_durations, 50, 99, 100)
    window = ev.window
    if window is not None:  # the whole window's, not the sample's
        p50, p99, peak = window.duration_ms.p50, window.duration_ms.p99, window.duration_ms.max
    ok_durations = [inv.duration_ms for inv in succeeded if inv.duration_ms is not None]
    held = _returned_early(timed_out)
    return TimeoutFigures(
        logs_read=ev.logs_read,
        invocations=ev.completed,
        timed_out=len(timed_out) if window is None else window.timeouts,
        timed_out_reinit=_reinits(ev, timed_out),
        p50_ms=p50,
        p99_ms=p99,
        max_ms=peak,
        succeeded_p99_ms=(percentiles(ok_durations, 99)[0] or 0.0) if ok_durations else None,
        timeout_s=ev.timeout_s,
        waited_on=_waited_on(ev, timed_out, succeeded) if timed_out else (),
        extension_held=len(held),
        handler_p50_ms=percentiles([inv.runtime_ms or 0.0 for inv in held], 50)[0],
        behind_api=bool(ev.apis),
        memory_mb=ev.memory_size_mb,
        init_max_ms=max((i.init_ms for i in ev.complete.cold if i.init_ms), default=None),
        limit_ms=_limit_ms(timeout_s, timed_out),
    )


def _limit_ms(timeout_s: float | None, timed_out: list[Invocation]) -> float | None:
    if timeout_s:
        return timeout_s * 1000
    stopped_at = [inv.duration_ms for inv in timed_out if inv.duration_ms]
    return min(stopped_at) if stopped_at else None


def verdict(f: TimeoutFigures, limits: Thresholds) -> Verdict:
    if not f.invocations:
        return no_invocations(f.logs_read)
    limit = f" of {f.timeout_s:g} s timeout" if f.timeout_s else ""
    if f.timed_out:
        at = f" at {f.timeout_s:g} s" if f.timeout_s else ""
        title = (
            f"{count(f.timed_out, 'invocation')} timed out{at} ({pct(f.timed_out, f.invocations)})"
        )
        if f.init_over:
            title += f": the init ({ms(f.init_max_ms)}) takes the whole timeout"
        return Verdict(CheckStatus.FAIL, title, caused_by=tuple(w.check for w in f.waited_on))
    if f.init_over:
        return Verdict(
            CheckStatus.WARN,
            f"Init ({ms(f.init_max_ms)}) longer than the {ms(f.limit_ms)} timeout:"
            " a re-init after a crash would time out",
        )
    if _close(f, limits):
        return Verdict(CheckStatus.WARN, f"p99 duration {ms(f.p99_ms)}{limit}: close to timing out")
    return Verdict(
        CheckStatus.OK,
        "No timeouts" + (f"; p99 {ms(f.p99_ms)}{limit}" if f.p99_ms is not None else ""),
    )


def _close(f: TimeoutFigures, limits: Thresholds) -> bool:
    return bool(
        f.timeout_s
        and f.p99_ms is not None
        and f.p99_ms >= limits.timeout_near_ratio * f.timeout_s * 1000
    )


def advise(f: TimeoutFigures, decided: Verdict, ev: Evidence) -> Advice:
    cmd = Commands(ev)
    steps = [
        cmd.filter_reports(*TIMED_OUT_REPORTS, quoted=[x.line.text for x in _timeouts(ev)]),
        cmd.metric("ConcurrentExecutions", ["Maximum", "Average"]),
        cmd.metric("Duration", ["p50", "p99", "Maximum"]),
    ]
    if not f.invocations:
        return Advice(steps=steps)
    limit = f" of {f.timeout_s:g} s timeout" if f.timeout_s else ""
    evidence = [f"duration p50 {ms(f.p50_ms)}, p99 {ms(f.p99_ms)}{limit}, max {ms(f.max_ms)}"]
    if f.timed_out:
        return Advice(_timed_out_evidence(f, evidence, ev), steps + _timed_out_steps(f, cmd))
    if f.init_over:
        return Advice([*evidence, _init_over_line(f)], [*steps, *_init_over_steps(f, cmd)])
    if decided.status is CheckStatus.WARN and f.p99_ms is not None:
        steps.append(_raise_timeout(cmd, f.p99_ms, f.behind_api))
    elif not f.timeout_s:
        evidence.append(NO_TIMEOUT_SETTING)
    return Advice(evidence, steps)


def _timed_out_evidence(f: TimeoutFigures, durations: list[str], ev: Evidence) -> list[str]:
    at = f" at {f.timeout_s:g} s" if f.timeout_s else ""
    evidence = [f"{f.timed_out:,} of {count(f.invocations, 'invocation')} timed out{at}"]
    evidence.extend(durations)
    if f.timed_out_reinit:
        evidence.append(
            f"{f.timed_out_reinit:,} of them re-ran a failed init inside the invocation"
            " (INIT_REPORT Phase: invoke): that init counts against the timeout"
        )
    if f.init_over:
        evidence.append(_init_over_line(f))
    evidence.extend(_waited_on_line(w, f.timed_out) for w in f.waited_on)
    if f.extension_held:
        evidence.append(
            f"{f.extension_held:,} of them had returned in {ms(f.handler_p50_ms)}{EXTENSION_NOTE}"
        )
    evidence.extend(samples(_timeouts(ev)))
    return evidence


def _waited_on_line(w: WaitedOn, timed_out: int) -> str:
    errors = f"{w.family.value.replace('_', ' ')} errors"
    if not w.logged:
        return (
            f"{w.near:,} of the {timed_out:,} timeouts came within minutes of {errors}"
            f" ({w.baseline:.0%} of the invocations that succeeded did): the timed-out requests"
            " were most likely waiting on it"
        )
    if timed_out == 1:
        which = "the timed-out invocation"
    elif w.logged == timed_out:
        which = f"all {timed_out:,} timed-out invocations"
    else:
        which = f"{w.logged:,} of the {timed_out:,} timed-out invocations"
    return f"{which} also logged {errors}: a slow dependency, not the timeout, is the cause"


def _init_over_line(f: TimeoutFigures) -> str:
    return (
        f"init took up to {ms(f.init_max_ms)}, the timeout is {ms(f.limit_ms)}: {REINIT_COUNTS},"
        " so an environment that must re-initialize times out before its init is done, at"
        " every invocation it is given, until Lambda replaces it"
    )


def _init_over_steps(f: TimeoutFigures, cmd: Commands) -> list[Step]:
    """A timeout with room for the init and the work after it; a shorter init."""
    needed_ms = (f.init_max_ms or 0.0) + (f.succeeded_p99_ms or 0.0)
    return [
        Step(
            f"Fix: give the timeout room for the init and the work: {ms(f.init_max_ms)} of init"
            f" + p99 {ms(f.succeeded_p99_ms or 0.0)} of the invocations that succeeded, with a"
            " margin; and shorten the init (load lazily what the first request does not need)"
        ),
        _raise_timeout(cmd, needed_ms, f.behind_api),
    ]


def _timed_out_steps(f: TimeoutFigures, cmd: Commands) -> list[Step]:
    steps = [FIX_EXTENSION] if f.extension_held else []
    if f.init_over:
        steps += _init_over_steps(f, cmd)
    steps.append(cmd.traces())
    if f.extension_held == f.timed_out:  # the handler had finished: nothing of it to speed up
        return steps
    if not f.init_ran_out:  # else the init, not a wait, ran the clock out
        steps.append(FIX_WAIT)
    ok_p99 = f.succeeded_p99_ms
    if (
        ok_p99 is not None
        and f.timeout_s
        and not f.init_over  # its own raise has room for the init
        and ok_p99 / 1000 > OK_P99_FOR_MORE_TIME * f.timeout_s
    ):
        steps.append(_raise_timeout(cmd, ok_p99, f.behind_api))
    if f.memory_mb is not None and f.memory_mb < MORE_CPU_BELOW_MB and not f.waited_on:
        steps.append(
            Step(
                f"Fix: more memory means more CPU: try {memory_step(f.memory_mb * 2)} MB "
                f"(now {f.memory_mb} MB) if the work is CPU-bound"
            )
        )
    return steps


def _raise_timeout(cmd: Commands, p99_ms: float, behind_api: bool) -> Step:
    """A timeout with half as much again as the p99 needs; behind API Gateway, nothing past 29 s
    helps (it answers 504 at 29 s)."""
    wanted = timeout_step(p99_ms / 1000 * 1.5)
    if behind_api and wanted > API_GATEWAY_LIMIT_S:
        return Step(
            f"Fix: p99 {ms(p99_ms)} leaves no room behind API Gateway's 29 s: make the request "
            "path faster or move the slow work off it; a longer timeout will not help"
        )
    return cmd.update(f"--timeout {wanted}")


def _waited_on(
    ev: Evidence, timed_out: list[Invocation], succeeded: list[Invocation]
) -> tuple[WaitedOn, ...]:
    """The dependencies the timeouts waited on: those the timed-out invocations logged errors
    of, then those failing in the same minutes."""
    logged = [
        WaitedOn(family, logged=waited)
        for family in CHECK_OF_FAMILY
        if (waited := sum(1 for inv in timed_out if family in inv.families))
    ]
    seen = {w.family for w in logged}
    timed = [
        w
        for family in CHECK_OF_FAMILY
        if family not in seen and (w := _same_minutes(ev, family, timed_out, succeeded))
    ]
    return tuple(logged + timed)


def _same_minutes(
    ev: Evidence, family: ErrorFamily, timed_out: list[Invocation], succeeded: list[Invocation]
) -> WaitedOn | None:
    """A dependency failing in the same minutes as the timeouts explains them even when the
    timed-out invocations printed nothing of it (they hung until killed while others were
    refused). Linked when most timeouts end near its errors, and timeouts are near them at
    least twice as often as the invocations that succeeded (errors all day long near
    everything prove nothing)."""
    found = ev.family(family)
    if len(found) < 3:
        return None
    stamps = sorted(f.timestamp_ms for f in found)
    near_timeouts = _near(stamps, timed_out)
    share = near_timeouts / len(timed_out)
    baseline = _near(stamps, succeeded) / len(succeeded) if succeeded else 0.0
    # A pool, a database or an endpoint that does not answer makes requests wait until
    # killed: with nearly every timeout amid its errors, it is the suspect even if they
    # never stop.
    waits = family is not ErrorFamily.THROTTLING and share >= 0.9
    if near_timeouts >= 3 and share >= 0.5 and (share >= 2 * baseline or waits):
        return WaitedOn(family, near=near_timeouts, baseline=baseline)
    return None


def _timeouts(ev: Evidence) -> list[Finding]:
    """The `Task timed out` lines, quoted and searched."""
    return [x for x in ev.failures if x.line.kind is LineKind.TIMEOUT]


def _timed_out(inv: Invocation, timeout_s: float | None) -> bool:
    """Ran out of time, even when a kill after it made its status out of memory or a crash:
    it logged `Task timed out`, or its duration reached the timeout. (A timeout status always
    carries the timeout family: core/invocations.py records them together.)"""
    if ErrorFamily.TIMEOUT in inv.families:
        return True
    reached = timeout_s is not None and (inv.duration_ms or 0.0) >= timeout_s * 1000
    return reached and inv.failed


def _reinits(ev: Evidence, timed_out: list[Invocation]) -> int:
    """Timed-out invocations inside which init ran again (`INIT_REPORT ... Phase: invoke`).
    An on-demand init runs before the invocation, outside its timeout; provisioned and
    SnapStart inits too. Only a failed init re-run when the invocation starts counts: "Lambda
    retries the Init phase at the time of the first function invocation with the configured
    function timeout" (the execution environment lifecycle's Init phase)."""
    reruns = [
        f
        for found in ev.findings.values()
        for f in found
        if f.line.report is not None and f.line.report.phase == "invoke"
    ]
    return sum(1 for inv in timed_out if any(_inside(f, inv) for f in reruns))


def _inside(found: Finding, inv: Invocation) -> bool:
    if found.request_id is not None:
        return found.request_id == inv.request_id
    start, end = inv.start_ms, inv.end_ms
    return (
        found.stream == inv.stream
        and start is not None
        and end is not None
        and start <= found.timestamp_ms <= end
    )


def _returned_early(timed_out: list[Invocation]) -> list[Invocation]:
    """Timeouts after the handler had returned (`platform.runtimeDone` long before the end):
    an extension kept the invocation open, and the handler is not the one to look at."""
    return [
        inv
        for inv in timed_out
        if inv.runtime_ms is not None
        and inv.duration_ms
        and inv.runtime_ms < EXTENSION_HELD * inv.duration_ms
    ]


def _near(stamps: list[int], invocations: list[Invocation]) -> int:
    """How many of the invocations ended near one of the (sorted) timestamps."""
    near = 0
    for inv in invocations:
        end = inv.end_ms
        if end is None:
            continue
        index = bisect.bisect_left(stamps, end - NEAR_BEFORE_MS)
        if index < len(stamps) and stamps[index] <= end + NEAR_AFTER_MS:
            near += 1
    return near
