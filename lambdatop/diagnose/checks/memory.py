"""Service plane: memory against the function's size: out of memory, leaks, close to the
limit, or far more than it uses."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, replace
from enum import Enum
from itertools import pairwise
from typing import TYPE_CHECKING

from lambdatop.core.pipeline import Finding
from lambdatop.core.records import ErrorFamily, Invocation
from lambdatop.core.stats import percentiles, slope
from lambdatop.diagnose.checks.base import Advice, Verdict
from lambdatop.diagnose.checks.common import no_invocations
from lambdatop.diagnose.commands import Commands
from lambdatop.diagnose.evidence import CompletedInvocations, Evidence
from lambdatop.diagnose.format import clock, count, memory_step, ms, pct, samples
from lambdatop.diagnose.model import CheckStatus, MemoryGrowth, Step
from lambdatop.diagnose.thresholds import Thresholds

if TYPE_CHECKING:  # Insights' figures: not loaded by `diagnose --logs`
    from lambdatop.core.aggregate import EnvironmentMemory

GB_SECOND_USD = {"x86_64": 0.0000166667, "arm64": 0.0000133334}
"""Lambda's price per GB-second of duration (us-east-1, first tier), by architecture."""
OVERPROVISIONED_FROM_MB = 256
"""Below this, a smaller size saves too little to mention."""
GROWTH_SHOWN = 2
"""Environments whose growth the evidence spells out; the rest are counted."""
CLIMBS = 0.7
"""A leak rises (or holds) from at least this share of one invocation to the next."""
GIVES_BACK = 0.25
"""A leak gives back at most this share of what it gains (a sawtooth is a workload)."""

MEMORY_REPORTS = ('"Max Memory Used"', '{ $.type = "platform.report" }')
KILLS = ("signal: killed", "Runtime.OutOfMemory", "OutOfMemoryError", "out of memory")
"""Words of the lines that say an invocation ran out of memory, searched when they are quoted."""
KILLED_BY_LAMBDA = ("signal: killed", "Runtime.OutOfMemory")
"""Words of Lambda's own kill at the memory size (not a runtime's heap running out)."""
MEMORY_BY_STREAM = (
    "fields @timestamp, @logStream, @maxMemoryUsed/1000000 as usedMB,"
    ' @memorySize/1000000 as sizeMB | filter @type = "REPORT"'
    " | stats max(usedMB) by @logStream, bin(5m)",
    "fields @timestamp, @logStream, record.metrics.maxMemoryUsedMB as usedMB,"
    ' record.metrics.memorySizeMB as sizeMB | filter type = "platform.report"'
    " | stats max(usedMB) by @logStream, bin(5m)",
)
FIX_LEAK = Step(
    "Fix: memory grows inside each warm environment: release per-invocation state "
    "(caches, HTTP/DB connection pools, globals) between invocations; raising memory "
    "only delays the kill"
)
HEAP_ENVIRONMENT = (
    "in the function's environment variables (update-function-configuration --environment"
    " replaces them all: pass the existing ones too)"
)


@dataclass(frozen=True, slots=True)
class HeapLimit:
    """A runtime whose own heap limit, below the function's memory, ran out."""

    runtime: str
    variable: str
    option: str
    noun: str = "heap"
    where: str = HEAP_ENVIRONMENT
    sized: bool = True
    """The limit is sized from the function's memory (a heap); else the fix names the option."""

    def fix(self, size: int | None) -> str:
        if not self.sized or size is None:
            return (
                f"Fix: raise the {self.runtime} {self.noun}, not the function's memory: set"
                f" {self.variable} to {self.option.format(mb='<MB>')} {self.where}"
            )
        heap = memory_step(size * 0.75)
        return (
            f"Fix: raise the {self.runtime} {self.noun}, not the function's memory: set"
            f" {self.variable} to {self.option.format(mb=heap)} (about 75 % of {size} MB)"
            f" {self.where}"
        )


HEAP_LIMITS = (
    (
        ("javascript heap out of memory", "reached heap limit", "allocation failed"),
        HeapLimit("Node.js", "NODE_OPTIONS", "--max-old-space-size={mb}"),
    ),
    (
        # Class metadata, not objects: -Xmx does not bound it, and no share of memory fits all.
        ("outofmemoryerror: metaspace",),
        HeapLimit(
            "Java", "JAVA_TOOL_OPTIONS", "-XX:MaxMetaspaceSize={mb}m", "metaspace", sized=False
        ),
    ),
    (
        ("java heap space", "gc overhead limit exceeded"),
        HeapLimit("Java", "JAVA_TOOL_OPTIONS", "-Xmx{mb}m"),
    ),
    (
        ("allowed memory size of",),
        HeapLimit(
            "PHP",
            "memory_limit",
            "{mb}M",
            noun="memory_limit",
            where="in an .ini file the runtime reads (Bref: php/conf.d/*.ini in the package)",
        ),
    ),
)
"""Words of an out-of-memory line, and the runtime heap they say ran out."""


class Reason(Enum):
    RAISED_SINCE = "ran out of memory before the size was raised, not since"
    NO_REPORT_SINCE = "the size changed and no invocation has reported since"
    OUT_OF_MEMORY = "invocations ran out of the function's memory"
    KILLED_UNREPORTED = "invocations were killed at the memory limit; no REPORT gives the peak"
    HEAP = "invocations ran out of a runtime heap below the function's memory"
    LEAK = "memory grows inside warm environments"
    LEAK_NEAR_LIMIT = "memory grows inside warm environments, already close to the limit"
    NEAR_LIMIT = "max memory used close to the limit"
    BUYS_CPU = "more memory than used, but it buys CPU the function needs"
    SMALL_SAVING = "more memory than used, but a smaller size saves little"
    OVERPROVISIONED = "far more memory than used"


@dataclass(frozen=True, slots=True)
class SizeChange:
    """The REPORT lines give more than one memory size."""

    before_mb: int
    """The size before the one in force now."""
    at: str
    """When it changed (HH:MM UTC)."""
    interleaved: bool
    """Sizes alternate (several functions or versions in one export) rather than change once."""
    sizes: tuple[int, ...] = ()
    """The sizes that alternate, when they do."""


@dataclass(frozen=True, slots=True)
class MemoryFigures:
    logs_read: bool
    invocations: int
    """Completed invocations at the size judged."""
    size_mb: int | None = None
    """The size judged: the one in force now, or of alternating sizes the closest to its limit."""
    peak_mb: int | None = None
    p50_mb: float | None = None
    p99_mb: float | None = None
    out_of_memory: int = 0
    out_of_memory_at_mb: int | None = None
    """The size most of them ran out at."""
    change: SizeChange | None = None
    raised_since: int = 0
    """Invocations that ran out of memory before the size was raised, when none has since."""
    growth: tuple[MemoryGrowth, ...] = ()
    heap: HeapLimit | None = None
    """The runtime heap the out-of-memory lines say ran out."""
    buys_cpu: str | None = None
    """Why memory that looks too large may be buying CPU the function needs."""
    suggested_mb: int = 128
    """A size 1.5 × the peak would fit in."""
    monthly_saving_usd: float | None = None
    """What `suggested_mb` would save a month at the window's traffic."""


def measure(ev: Evidence, limits: Thresholds) -> MemoryFigures:
    complete = ev.complete
    reported = complete.invocations
    size = ev.memory_size_mb
    if size is None or not complete.memory_used:
        # Killed with no REPORT that gives a peak (a pasted snippet, a cut export): the kill
        # is still Lambda's word that the function ran out of memory.
        killed = len(complete.ran_out_of_memory)
        heap = _heap_limit(ev) if killed else None
        return MemoryFigures(ev.logs_read, len(reported), size, out_of_memory=killed, heap=heap)
    size, judged, change = _judged(complete, size)
    ran_out = judged.ran_out_of_memory
    oom = ran_out or complete.ran_out_of_memory
    # Raised once, and none has run out since: judged by those that ran out before.
    raised_since = len(oom) if change is not None and not change.interleaved and not ran_out else 0
    used = judged.memory_used
    if raised_since or not used:
        return MemoryFigures(
            ev.logs_read, len(judged.invocations), size, change=change, raised_since=raised_since
        )
    peak = max(used)
    p50, p99 = percentiles([float(u) for u in used], 50, 99)
    invocations, out_of_memory = len(judged.invocations), len(oom)
    growth = _growth(judged.memory_by_stream.values(), size, limits)
    window = ev.window
    if window is not None and change is None and window.memory_used_mb.max is not None:
        # The whole window's, not the sample's (one size throughout: judged is everything).
        invocations, out_of_memory = window.invocations, window.out_of_memory
        peak = int(window.memory_used_mb.max)
        p50, p99 = window.memory_used_mb.p50, window.memory_used_mb.p99
        if window.environments is not None:
            growth = _window_growth(window.environments, size, limits)
    suggested = memory_step(max(peak * 1.5, 128))
    sizes_ran_out = Counter(inv.memory_size_mb or size for inv in oom)
    return MemoryFigures(
        logs_read=ev.logs_read,
        invocations=invocations,
        size_mb=size,
        peak_mb=peak,
        p50_mb=p50,
        p99_mb=p99,
        out_of_memory=out_of_memory,
        out_of_memory_at_mb=(
            sizes_ran_out.most_common(1)[0][0] if oom else size if out_of_memory else None
        ),
        change=change,
        growth=growth,
        heap=_heap_limit(ev) if out_of_memory else None,
        buys_cpu=_buys_cpu(ev, limits),
        suggested_mb=suggested,
        monthly_saving_usd=_monthly_saving(ev, size, suggested),
    )


def verdict(f: MemoryFigures, limits: Thresholds) -> Verdict:
    if not f.invocations and not f.raised_since:
        return no_invocations(f.logs_read)
    if f.peak_mb is None and f.change is None and f.out_of_memory:
        ran_out = count(f.out_of_memory, "invocation")
        at = f" at {f.size_mb} MB" if f.size_mb else ""
        what = f"the {f.heap.runtime} {f.heap.noun}" if f.heap else f"memory{at}"
        title = f"{ran_out} ran out of {what} (no REPORT line gives the peak)"
        return Verdict(CheckStatus.FAIL, title, Reason.KILLED_UNREPORTED)
    if f.size_mb is None or (f.peak_mb is None and f.change is None):
        return Verdict(CheckStatus.UNKNOWN, "No memory figures in the REPORT lines")
    size, change = f.size_mb, f.change
    if change is not None and f.raised_since:
        title = (
            f"{count(f.raised_since, 'invocation')} ran out of memory at {change.before_mb} MB;"
            f" none since it was raised to {size} MB at {change.at}"
        )
        return Verdict(CheckStatus.WARN, title, Reason.RAISED_SINCE)
    if change is not None and f.peak_mb is None:
        title = f"Memory size changed to {size} MB at {change.at}; no REPORT since"
        return Verdict(CheckStatus.OK, title, Reason.NO_REPORT_SINCE)
    peak = f.peak_mb or 0
    near = peak >= limits.memory_near_ratio * size
    if f.out_of_memory:
        ran_out = count(f.out_of_memory, "invocation")
        if f.heap is not None and not near:
            title = f"{ran_out} ran out of the {f.heap.runtime} {f.heap.noun}"
            return Verdict(CheckStatus.FAIL, title, Reason.HEAP)
        title = f"{ran_out} ran out of memory at {f.out_of_memory_at_mb} MB"
        return Verdict(CheckStatus.FAIL, title, Reason.OUT_OF_MEMORY)
    if f.growth:
        title = (
            f"Memory grows in {count(len(f.growth), 'execution environment')}"
            f" ({f.growth[0].first_mb} → {f.growth[0].last_mb} / {size} MB): a leak"
        )
        return Verdict(CheckStatus.WARN, title, Reason.LEAK_NEAR_LIMIT if near else Reason.LEAK)
    if near:
        title = f"Max memory used {peak} / {size} MB: close to the limit"
        return Verdict(CheckStatus.WARN, title, Reason.NEAR_LIMIT)
    if _far_more_than_used(f, limits):
        return _overprovisioned(f, limits)
    return Verdict(CheckStatus.OK, f"Max memory used {peak} / {size} MB")


def _far_more_than_used(f: MemoryFigures, limits: Thresholds) -> bool:
    size, peak = f.size_mb or 0, f.peak_mb or 0
    return (
        size >= OVERPROVISIONED_FROM_MB
        and peak <= limits.memory_overprovisioned_ratio * size
        and f.invocations >= limits.min_invocations_for_ratio
    )


def _overprovisioned(f: MemoryFigures, limits: Thresholds) -> Verdict:
    """Memory far above anything used: a waste worth acting on only if it costs real money,
    and only if it is not buying CPU the function needs."""
    used = f"Max memory used {f.peak_mb} / {f.size_mb} MB"
    if f.buys_cpu is not None:
        return Verdict(CheckStatus.OK, used, Reason.BUYS_CPU)
    saving = f.monthly_saving_usd
    if saving is not None and saving < limits.memory_saving_min_usd:
        return Verdict(CheckStatus.OK, used, Reason.SMALL_SAVING)
    title = f"Over-provisioned: at most {f.peak_mb} of {f.size_mb} MB used" + (
        f"; {f.suggested_mb} MB saves about ${saving:,.0f} a month" if saving is not None else ""
    )
    return Verdict(CheckStatus.WARN, title, Reason.OVERPROVISIONED)


def advise(f: MemoryFigures, decided: Verdict, ev: Evidence) -> Advice:
    cmd = Commands(ev)
    steps = [cmd.filter_reports(*MEMORY_REPORTS), cmd.insights_reports(*MEMORY_BY_STREAM)]
    if decided.reason is Reason.KILLED_UNREPORTED:
        return _killed_unreported(f, ev, cmd, steps)
    if decided.status is CheckStatus.UNKNOWN or f.size_mb is None:
        return Advice(steps=steps)
    kills = ev.family(ErrorFamily.OUT_OF_MEMORY)
    if kills and (f.out_of_memory or decided.reason is Reason.RAISED_SINCE):
        # The evidence quotes the kills: search them, not the REPORT lines.
        steps[0] = cmd.filter_logs(_kill_search(kills))
    changed = [_change_line(f.change, f.size_mb)] if f.change is not None else []
    if decided.reason is Reason.RAISED_SINCE:
        return Advice(changed + samples(kills), steps)
    if decided.reason is Reason.NO_REPORT_SINCE:
        return Advice(changed, steps)
    evidence = [_used_line(f), *changed, *_growth_lines(f.growth)]
    if f.out_of_memory:
        evidence.insert(
            0,
            f"{f.out_of_memory:,} of {count(f.invocations, 'invocation')} ran out of memory"
            f" ({pct(f.out_of_memory, f.invocations)})",
        )
        evidence.extend(samples(kills))
    more, fixes = _reasoned(f, decided, cmd)
    return Advice(evidence + more, steps + fixes, f.growth)


def _killed_unreported(f: MemoryFigures, ev: Evidence, cmd: Commands, steps: list[Step]) -> Advice:
    """Kills with no peak to size from: quote them, search them and the REPORT lines the file
    left out, and raise memory by half where the size is known."""
    kills = ev.family(ErrorFamily.OUT_OF_MEMORY)
    # The REPORT search would match no line quoted here; the query finds the peak all the same.
    steps[0] = cmd.filter_logs(_kill_search(kills)) if kills else steps[0]
    killed = any(word in found.line.text for found in kills for word in KILLED_BY_LAMBDA)
    evidence = [
        f"{f.out_of_memory:,} of {count(f.invocations, 'invocation')} ran out of memory"
        f" ({pct(f.out_of_memory, f.invocations)})"
        + (": killed, as Lambda ends a runtime that reaches its memory size" if killed else ""),
        "no REPORT line in the logs read gives the peak memory used: the REPORT query finds it",
        *samples(kills),
    ]
    if f.heap is not None:
        evidence.append(f"the {f.heap.runtime} {f.heap.noun} is a limit of its own")
        return Advice(evidence, [*steps, Step(f.heap.fix(f.size_mb))])
    if f.size_mb is None:
        fix = Step(
            "Fix: find the peak with the REPORT query, then raise memory well above it;"
            " if the peak is far below the size, look for a child process or native code"
            " the runtime cannot account for"
        )
        return Advice(evidence, [*steps, fix])
    wanted = memory_step(f.size_mb * 1.5)
    fix = Step(f"Fix: raise memory from {f.size_mb} MB to {wanted} MB, then watch the peak")
    return Advice(evidence, [*steps, *_raised(f.size_mb, wanted, fix, cmd)])


CEILING_MB = 10_240
"""Lambda's largest memory size."""
# Raising by less than this share of the size buys nothing worth a change.
_WORTH_RAISING = 1.1
AT_CEILING = Step(
    "Fix: the function is at Lambda's ceiling of 10,240 MB: more memory cannot help; stream the"
    " data instead of holding it, split the work into smaller invocations (smaller batches, a"
    " Step Functions Map), or run it where memory goes higher (ECS, Fargate, AWS Batch)"
)


def _raised(size: int, wanted: int, fix: Step, cmd: Commands) -> list[Step]:
    """The fix and its command, or, at Lambda's ceiling, what is left when memory cannot grow."""
    if wanted < size * _WORTH_RAISING:
        return [AT_CEILING]
    return [fix, cmd.update(f"--memory-size {wanted}")]


def _kill_search(kills: list[Finding]) -> str:
    """A filter pattern any of the kill lines matches: the usual words, and the words that
    gave each line away when its line holds them (PHP's `Allowed memory size`...)."""
    terms = dict.fromkeys(KILLS)
    for found in kills:
        said = found.classification.signature if found.classification else ""
        if said and said in found.line.text and '"' not in said and "\\" not in said:
            terms[said] = None
    return " ".join(f'?"{term}"' for term in terms)


def _reasoned(f: MemoryFigures, decided: Verdict, cmd: Commands) -> tuple[list[str], list[Step]]:
    """The evidence and fixes that depend on the branch the verdict took."""
    size, peak, suggested = f.size_mb or 0, f.peak_mb or 0, f.suggested_mb
    saving = f.monthly_saving_usd
    reason = decided.reason
    if reason is Reason.BUYS_CPU:
        keep = f"more memory than it uses, but memory also sets the CPU share and {f.buys_cpu}"
        return [f"{keep}: keep it"], []
    if reason is Reason.SMALL_SAVING:
        return [
            f"{suggested} MB would do, but saves only about ${saving or 0:,.2f} a month at this "
            "window's traffic"
        ], []
    if reason is Reason.OVERPROVISIONED:
        fixes = [
            Step(f"Fix: set {suggested} MB, then watch duration: less memory also means less CPU"),
            cmd.update(f"--memory-size {suggested}"),
        ]
        if saving is None:
            return [], fixes
        return [
            f"setting {suggested} MB (1.5 × the peak) saves about ${saving:,.2f} a month at this "
            "window's traffic"
        ], fixes
    if decided.status is CheckStatus.OK:
        return [], []
    fixes = [FIX_LEAK] if f.growth else []
    if reason is Reason.HEAP and f.heap is not None:
        ran_out = f"the {f.heap.runtime} {f.heap.noun} ran out at {peak} of {size} MB"
        return [f"{ran_out}: its own limit, not the function's"], [*fixes, Step(f.heap.fix(size))]
    if reason in (Reason.OUT_OF_MEMORY, Reason.LEAK_NEAR_LIMIT, Reason.NEAR_LIMIT):
        wanted = memory_step(max(size * 1.5, peak * 1.3))
        fix = Step(f"Fix: raise memory from {size} MB to {wanted} MB (the peak was {peak} MB)")
        fixes += _raised(size, wanted, fix, cmd)
    return [], fixes


def _used_line(f: MemoryFigures) -> str:
    return (
        f"max memory used {f.peak_mb} / {f.size_mb} MB ({pct(f.peak_mb or 0, f.size_mb or 0)});"
        f" p50 {f.p50_mb or 0:.0f} MB, p99 {f.p99_mb or 0:.0f} MB"
    )


def _change_line(change: SizeChange, size: int) -> str:
    if change.interleaved:
        return (
            f"REPORT lines give several memory sizes ({', '.join(map(str, change.sizes))}"
            f" MB) in turn: the export may mix functions or versions; judged at {size} MB,"
            " the closest to its limit"
        )
    return f"memory size changed from {change.before_mb} to {size} MB at {change.at}"


def _growth_lines(growth: tuple[MemoryGrowth, ...]) -> list[str]:
    lines = [environment.describe() for environment in growth[:GROWTH_SHOWN]]
    if len(growth) > GROWTH_SHOWN:
        lines.append(f"{len(growth) - GROWTH_SHOWN} more environments grow the same way")
    return lines


def _judged(
    complete: CompletedInvocations, size: int
) -> tuple[int, CompletedInvocations, SizeChange | None]:
    """The size to judge, its invocations, and how the sizes changed: after a change, the size
    in force now; of alternating sizes, the one whose invocations came closest to it."""
    reported = complete.invocations
    change = _size_change(complete, size)
    if change is None:
        return size, complete, None
    if not change.interleaved:
        at_size = [inv for inv in reported if inv.memory_size_mb == size]
        return size, CompletedInvocations(at_size), change
    groups: dict[int, list[Invocation]] = defaultdict(list)
    for inv in reported:
        if inv.memory_size_mb and inv.max_memory_mb is not None:
            groups[inv.memory_size_mb].append(inv)
    size = max(groups, key=lambda mb: max(i.max_memory_mb or 0 for i in groups[mb]) / mb)
    return size, CompletedInvocations(groups[size]), replace(change, sizes=tuple(sorted(groups)))


def _size_change(complete: CompletedInvocations, size: int) -> SizeChange | None:
    """When the REPORT lines give more than one memory size: the size before the one in force
    now, when the change came, and whether sizes alternate rather than change once."""
    if len(complete.memory_sizes) < 2:
        return None  # one size throughout: nothing to put in time order
    ordered = [inv for inv in complete.in_time_order if inv.memory_size_mb]
    runs = [inv for prev, inv in pairwise(ordered) if inv.memory_size_mb != prev.memory_size_mb]
    if not runs:
        return None
    first_new = runs[-1]
    before = next(
        inv.memory_size_mb
        for inv in reversed(ordered[: ordered.index(first_new)])
        if inv.memory_size_mb
    )
    at = clock(first_new.start_ms or first_new.end_ms or 0)
    return SizeChange(int(before or 0), at, len(runs) > 1 or first_new.memory_size_mb != size)


def _growth(
    by_stream: Iterable[list[Invocation]], size_mb: int, limits: Thresholds
) -> tuple[MemoryGrowth, ...]:
    """Execution environments whose memory keeps growing invocation after invocation, the
    most grown first. `by_stream`: each environment's invocations that gave their memory
    used, by start."""
    leaks: list[MemoryGrowth] = []
    for invs in by_stream:
        if len(invs) < limits.memory_leak_min_invocations:
            continue
        first, last = invs[0].max_memory_mb or 0, invs[-1].max_memory_mb or 0
        if last - first < limits.memory_leak_growth_ratio * size_mb:
            continue  # not grown enough to be a leak (`_climbs`): no slope to work out
        used = [float(inv.max_memory_mb or 0) for inv in invs]
        rate = slope([float(i) for i in range(len(used))], used)
        if rate is not None and rate > 0 and _climbs(used, size_mb, limits):
            leaks.append(
                MemoryGrowth(invs[0].stream, int(used[0]), int(used[-1]), size_mb, len(used), rate)
            )
    leaks.sort(key=lambda leak: leak.last_mb - leak.first_mb, reverse=True)
    return tuple(leaks)


def _window_growth(
    environments: Iterable[EnvironmentMemory], size_mb: int, limits: Thresholds
) -> tuple[MemoryGrowth, ...]:
    """`_growth` over the whole window, from what Logs Insights counts of each environment
    (first, last, lowest and highest max memory used): what it gave back is at least what it
    lost after its peak and before its low; the rate is from first to last."""
    leaks: list[MemoryGrowth] = []
    for env in environments:
        growth = env.last_mb - env.first_mb
        if env.invocations < limits.memory_leak_min_invocations or growth <= 0:
            continue
        given_back = (env.peak_mb - env.last_mb) + (env.first_mb - env.low_mb)
        if growth >= limits.memory_leak_growth_ratio * size_mb and given_back <= (
            GIVES_BACK * growth
        ):
            rate = growth / (env.invocations - 1)
            first, last = int(env.first_mb), int(env.last_mb)
            leaks.append(MemoryGrowth(env.stream, first, last, size_mb, env.invocations, rate))
    leaks.sort(key=lambda leak: leak.last_mb - leak.first_mb, reverse=True)
    return tuple(leaks)


def _climbs(used: list[float], size_mb: int, limits: Thresholds) -> bool:
    """A leak climbs: what it gives back on the way is small beside what it gains (a sawtooth
    that returns to its floor is a workload, not a leak)."""
    growth = used[-1] - used[0]
    rises = sum(1 for a, b in pairwise(used) if b >= a)
    given_back = sum(a - b for a, b in pairwise(used) if b < a)
    return (
        growth >= limits.memory_leak_growth_ratio * size_mb
        and rises >= CLIMBS * (len(used) - 1)
        and given_back <= GIVES_BACK * growth
    )


def _heap_limit(ev: Evidence) -> HeapLimit | None:
    """The runtime heap that ran out, when the out-of-memory lines say which."""
    text = " ".join(
        f"{f.classification.signature} {f.line.text[:400]}".lower()
        for f in ev.family(ErrorFamily.OUT_OF_MEMORY)
        if f.classification
    )
    return next((heap for words, heap in HEAP_LIMITS if any(w in text for w in words)), None)


def _buys_cpu(ev: Evidence, limits: Thresholds) -> str | None:
    """Why memory that looks too large may be buying CPU the function needs (memory sets the
    CPU share): timeouts, a p99 near the timeout, or a slow init."""
    timeout_s = ev.timeout_s
    timeouts = ev.complete.timed_out
    if timeouts:
        return f"{count(timeouts, 'invocation')} timed out"
    durations = ev.complete.sorted_durations
    p99 = percentiles(durations, 99)[0] if durations else None
    if timeout_s and p99 is not None and p99 >= limits.timeout_near_ratio * timeout_s * 1000:
        return f"p99 duration {ms(p99)} is close to the {timeout_s:g} s timeout"
    if ev.apis and p99 is not None:
        # An API in front gives up sooner than the function's own timeout.
        limit_ms = min(float(api.route.integration_timeout_ms) for api in ev.apis)
        if p99 >= limits.timeout_near_ratio * limit_ms:
            return f"p99 duration {ms(p99)} is close to API Gateway's {ms(limit_ms)}"
    inits = [inv.init_ms for inv in ev.complete.cold if inv.init_ms is not None]
    init_p99 = percentiles(inits, 99)[0] if inits else None
    if init_p99 is not None and init_p99 >= limits.init_slow_ms:
        return f"init p99 {ms(init_p99)}"
    return None


def _monthly_saving(ev: Evidence, size: int, suggested: int) -> float | None:
    if ev.start_ms is None or ev.end_ms is None or ev.end_ms <= ev.start_ms:
        return None
    complete = ev.complete
    reported = complete.invocations
    billed_s = sum((inv.billed_ms or inv.duration_ms or 0.0) for inv in reported) / 1000
    arch = ev.config.architectures[0] if ev.config and ev.config.architectures else "x86_64"
    price = GB_SECOND_USD.get(arch, GB_SECOND_USD["x86_64"])
    # The span the invocations cover, not the window asked for: a 2 h window over 30 minutes
    # of data would otherwise spread the same traffic four times thinner.
    starts = complete.known_starts or [inv.start_ms for inv in reported if inv.start_ms is not None]
    ends = [inv.end_ms for inv in reported if inv.end_ms is not None]
    span_s = (ev.end_ms - ev.start_ms) / 1000
    if starts and ends and max(ends) - min(starts) >= 60_000:
        span_s = min(span_s, (max(ends) - min(starts)) / 1000)
    per_span = billed_s * (size - suggested) / 1024 * price
    return per_span * (30 * 86400 / span_s)
