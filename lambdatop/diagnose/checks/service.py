"""Service plane: cold starts, timeouts, memory, permissions, throttling."""

from __future__ import annotations

import re
import shlex
from collections import Counter, defaultdict
from dataclasses import dataclass
from itertools import pairwise

from lambdatop.core import metrics as m
from lambdatop.core.pipeline import Finding
from lambdatop.core.records import ErrorFamily, Invocation, Status
from lambdatop.core.stats import percentiles, slope
from lambdatop.diagnose.commands import Commands
from lambdatop.diagnose.evidence import ASSUMED_ROLE, Evidence
from lambdatop.diagnose.format import (
    COPED,
    clock,
    count,
    memory_step,
    ms,
    pct,
    samples,
)
from lambdatop.diagnose.model import CheckResult, CheckStatus, Plane, Step
from lambdatop.diagnose.thresholds import Thresholds

# Lambda's price per GB-second of duration (us-east-1, first tier), by architecture.
GB_SECOND_USD = {"x86_64": 0.0000166667, "arm64": 0.0000133334}


def _unknown_without_invocations(result: CheckResult, ev: Evidence) -> bool:
    if ev.reported:
        return False
    result.status = CheckStatus.UNKNOWN
    result.title = "No completed invocations in the window" if ev.logs_read else "Logs not read"
    return True


@dataclass(slots=True)
class _Leak:
    stream: str
    first_mb: int
    last_mb: int
    invocations: int
    per_invocation_mb: float


def _leaks(reported: list[Invocation], size_mb: int, limits: Thresholds) -> list[_Leak]:
    """Execution environments whose memory keeps growing invocation after invocation."""
    by_stream: dict[str, list[Invocation]] = defaultdict(list)
    for inv in reported:
        if inv.max_memory_mb is not None and inv.stream:
            by_stream[inv.stream].append(inv)
    leaks: list[_Leak] = []
    for stream, invs in by_stream.items():
        if len(invs) < limits.memory_leak_min_invocations:
            continue
        invs.sort(key=lambda inv: inv.start_ms or 0)
        used = [float(inv.max_memory_mb or 0) for inv in invs]
        growth = used[-1] - used[0]
        rises = sum(1 for a, b in pairwise(used) if b >= a)
        # A leak climbs: what it gives back on the way is small beside what it gains (a
        # sawtooth that returns to its floor is a workload, not a leak).
        given_back = sum(a - b for a, b in pairwise(used) if b < a)
        rate = slope([float(i) for i in range(len(used))], used)
        if (
            rate is not None
            and rate > 0
            and growth >= limits.memory_leak_growth_ratio * size_mb
            and rises >= 0.7 * (len(used) - 1)
            and given_back <= 0.25 * growth
        ):
            leaks.append(_Leak(stream, int(used[0]), int(used[-1]), len(used), rate))
    leaks.sort(key=lambda leak: leak.last_mb - leak.first_mb, reverse=True)
    return leaks


def check_memory(ev: Evidence, limits: Thresholds) -> CheckResult:
    cmd = Commands(ev)
    result = CheckResult(
        "memory",
        Plane.SERVICE,
        CheckStatus.OK,
        "",
        steps=[
            cmd.filter_reports('"Max Memory Used"', '{ $.type = "platform.report" }'),
            cmd.insights_reports(
                "fields @timestamp, @logStream, @maxMemoryUsed/1000000 as usedMB,"
                ' @memorySize/1000000 as sizeMB | filter @type = "REPORT"'
                " | stats max(usedMB) by @logStream, bin(5m)",
                "fields @timestamp, @logStream, record.metrics.maxMemoryUsedMB as usedMB,"
                ' record.metrics.memorySizeMB as sizeMB | filter type = "platform.report"'
                " | stats max(usedMB) by @logStream, bin(5m)",
            ),
        ],
    )
    if _unknown_without_invocations(result, ev):
        return result
    reported = ev.reported
    size = ev.memory_size_mb
    used = [inv.max_memory_mb for inv in reported if inv.max_memory_mb is not None]
    if size is None or not used:
        result.status = CheckStatus.UNKNOWN
        result.title = "No memory figures in the REPORT lines"
        return result
    oom = [inv for inv in reported if inv.ran_out_of_memory]
    changed = _size_change(reported, size)
    if changed is not None:
        before, at, interleaved = changed
        if interleaved:
            # Judge the size whose invocations came closest to it, with its own figures.
            groups: dict[int, list[Invocation]] = defaultdict(list)
            for inv in reported:
                if inv.memory_size_mb and inv.max_memory_mb is not None:
                    groups[inv.memory_size_mb].append(inv)
            size = max(groups, key=lambda mb: max(i.max_memory_mb or 0 for i in groups[mb]) / mb)
            reported = groups[size]
            used = [inv.max_memory_mb for inv in reported if inv.max_memory_mb is not None]
            oom = [inv for inv in reported if inv.ran_out_of_memory] or oom
            result.evidence.append(
                f"REPORT lines give several memory sizes ({', '.join(map(str, sorted(groups)))}"
                f" MB) in turn: the export may mix functions or versions; judged at {size} MB,"
                " the closest to its limit"
            )
        else:
            result.evidence.append(f"memory size changed from {before} to {size} MB at {at}")
            since_change = [inv for inv in reported if inv.memory_size_mb == size]
            if oom and not any(inv.ran_out_of_memory for inv in since_change):
                result.status = CheckStatus.WARN
                result.title = (
                    f"{count(len(oom), 'invocation')} ran out of memory at {before} MB;"
                    f" none since it was raised to {size} MB at {at}"
                )
                result.evidence.extend(samples(ev.family(ErrorFamily.OUT_OF_MEMORY)))
                return result
            reported = since_change  # judge the size in force now
            used = [inv.max_memory_mb for inv in reported if inv.max_memory_mb is not None]
            oom = [inv for inv in reported if inv.ran_out_of_memory]
            if not used:
                result.title = f"Memory size changed to {size} MB at {at}; no REPORT since"
                return result
    peak = max(used)
    p50, p99 = percentiles([float(u) for u in used], 50, 99)
    result.evidence.insert(
        0,
        f"max memory used {peak} / {size} MB ({pct(peak, size)});"
        f" p50 {p50 or 0:.0f} MB, p99 {p99 or 0:.0f} MB",
    )
    leaks = _leaks(reported, size, limits)
    for leak in leaks[:2]:
        left = (size - leak.last_mb) / leak.per_invocation_mb
        result.evidence.append(
            f"environment {leak.stream}: {leak.first_mb} → {leak.last_mb} / {size} MB over "
            f"{leak.invocations} invocations (+{leak.per_invocation_mb:.1f} MB each"
            + (f", at the limit in ~{left:.0f} more)" if left >= 1 else ", at the limit)")
        )
    if len(leaks) > 2:
        result.evidence.append(f"{len(leaks) - 2} more environments grow the same way")
    if oom:
        result.status = CheckStatus.FAIL
        at_size = Counter(inv.memory_size_mb or size for inv in oom).most_common(1)[0][0]
        result.title = f"{count(len(oom), 'invocation')} ran out of memory at {at_size} MB"
        result.evidence.insert(
            0,
            f"{len(oom):,} of {count(len(reported), 'invocation')} ran out of memory"
            f" ({pct(len(oom), len(reported))})",
        )
        result.evidence.extend(samples(ev.family(ErrorFamily.OUT_OF_MEMORY)))
    elif leaks:
        result.status = CheckStatus.WARN
        result.title = (
            f"Memory grows in {count(len(leaks), 'execution environment')}"
            f" ({leaks[0].first_mb} → {leaks[0].last_mb} / {size} MB): a leak"
        )
    elif peak >= limits.memory_near_ratio * size:
        result.status = CheckStatus.WARN
        result.title = f"Max memory used {peak} / {size} MB: close to the limit"
    elif (
        size >= 256
        and peak <= limits.memory_overprovisioned_ratio * size
        and len(reported) >= limits.min_invocations_for_ratio
    ):
        return _overprovisioned(result, ev, cmd, peak, size, limits)
    else:
        result.title = f"Max memory used {peak} / {size} MB"
        return result
    if leaks:
        result.steps.append(
            Step(
                "Fix: memory grows inside each warm environment: release per-invocation state "
                "(caches, HTTP/DB connection pools, globals) between invocations; raising memory "
                "only delays the kill"
            )
        )
    heap = _heap_limit(ev) if oom and peak < limits.memory_near_ratio * size else None
    if heap is not None:
        result.title = f"{count(len(oom), 'invocation')} ran out of the {heap.runtime} {heap.noun}"
        result.evidence.append(
            f"the {heap.runtime} {heap.noun} ran out at {peak} of {size} MB: its own limit, not"
            " the function's"
        )
        result.steps.append(Step(heap.fix(size)))
    elif oom or peak >= limits.memory_near_ratio * size:
        wanted = memory_step(max(size * 1.5, peak * 1.3))
        result.steps.append(
            Step(f"Fix: raise memory from {size} MB to {wanted} MB (the peak was {peak} MB)")
        )
        result.steps.append(cmd.update(f"--memory-size {wanted}"))
    return result


def _size_change(reported: list[Invocation], size: int) -> tuple[int, str, bool] | None:
    """When the REPORT lines give more than one memory size: the size before the one in force
    now, when the change came (HH:MM UTC), and whether sizes alternate (several functions or
    versions in one export) rather than change once (a configuration change)."""
    ordered = sorted(
        (inv for inv in reported if inv.memory_size_mb),
        key=lambda inv: inv.start_ms or inv.end_ms or 0,
    )
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
    return int(before or 0), at, len(runs) > 1 or first_new.memory_size_mb != size


@dataclass(frozen=True, slots=True)
class _HeapLimit:
    """A runtime whose own heap limit, below the function's memory, ran out."""

    runtime: str
    variable: str
    option: str
    noun: str = "heap"
    where: str = (
        "in the function's environment variables (update-function-configuration --environment"
        " replaces them all: pass the existing ones too)"
    )

    def fix(self, size: int) -> str:
        heap = memory_step(size * 0.75)
        return (
            f"Fix: raise the {self.runtime} {self.noun}, not the function's memory: set"
            f" {self.variable} to {self.option.format(mb=heap)} (about 75 % of {size} MB)"
            f" {self.where}"
        )


_HEAP_LIMITS = (
    (
        ("javascript heap out of memory", "reached heap limit", "allocation failed"),
        _HeapLimit("Node.js", "NODE_OPTIONS", "--max-old-space-size={mb}"),
    ),
    (
        ("java heap space", "gc overhead limit exceeded", "metaspace"),
        _HeapLimit("Java", "JAVA_TOOL_OPTIONS", "-Xmx{mb}m"),
    ),
    (
        ("allowed memory size of",),
        _HeapLimit(
            "PHP",
            "memory_limit",
            "{mb}M",
            noun="memory_limit",
            where="in an .ini file the runtime reads (Bref: php/conf.d/*.ini in the package)",
        ),
    ),
)


def _heap_limit(ev: Evidence) -> _HeapLimit | None:
    """The runtime heap that ran out, when the out-of-memory lines say which."""
    text = " ".join(
        f"{f.classification.signature} {f.line.text[:400]}".lower()
        for f in ev.family(ErrorFamily.OUT_OF_MEMORY)
        if f.classification
    )
    return next((heap for words, heap in _HEAP_LIMITS if any(w in text for w in words)), None)


def _cpu_bound(ev: Evidence, limits: Thresholds) -> str | None:
    """Why memory that looks too large may be buying CPU the function needs (memory sets the
    CPU share): timeouts, a p99 near the timeout, or a slow init."""
    reported = ev.reported
    timeout_s = ev.timeout_s
    timeouts = sum(1 for inv in reported if inv.status is Status.TIMEOUT)
    if timeouts:
        return f"{count(timeouts, 'invocation')} timed out"
    durations = [inv.duration_ms for inv in reported if inv.duration_ms is not None]
    p99 = percentiles(durations, 99)[0] if durations else None
    if timeout_s and p99 is not None and p99 >= limits.timeout_near_ratio * timeout_s * 1000:
        return f"p99 duration {ms(p99)} is close to the {timeout_s:g} s timeout"
    if ev.apis and p99 is not None:
        # An API in front gives up sooner than the function's own timeout.
        limit_ms = min(float(api.route.integration_timeout_ms) for api in ev.apis)
        if p99 >= limits.timeout_near_ratio * limit_ms:
            return f"p99 duration {ms(p99)} is close to API Gateway's {ms(limit_ms)}"
    inits = [inv.init_ms for inv in reported if inv.init_ms is not None]
    init_p99 = percentiles(inits, 99)[0] if inits else None
    if init_p99 is not None and init_p99 >= limits.init_slow_ms:
        return f"init p99 {ms(init_p99)}"
    return None


def _overprovisioned(
    result: CheckResult, ev: Evidence, cmd: Commands, peak: int, size: int, limits: Thresholds
) -> CheckResult:
    """Memory far above anything used: a waste worth acting on only if it costs real money,
    and only if it is not buying CPU the function needs."""
    busy = _cpu_bound(ev, limits)
    if busy is not None:
        result.title = f"Max memory used {peak} / {size} MB"
        result.evidence.append(
            f"more memory than it uses, but memory also sets the CPU share and {busy}: keep it"
        )
        return result
    suggested = memory_step(max(peak * 1.5, 128))
    saving = _monthly_saving(ev, ev.reported, size, suggested)
    if saving is not None and saving < limits.memory_saving_min_usd:
        result.title = f"Max memory used {peak} / {size} MB"
        result.evidence.append(
            f"{suggested} MB would do, but saves only about ${saving:,.2f} a month at this "
            "window's traffic"
        )
        return result
    result.status = CheckStatus.WARN
    result.title = f"Over-provisioned: at most {peak} of {size} MB used"
    if saving is not None:
        result.title += f"; {suggested} MB saves about ${saving:,.0f} a month"
        result.evidence.append(
            f"setting {suggested} MB (1.5 × the peak) saves about ${saving:,.2f} a month at this "
            "window's traffic"
        )
    result.steps.append(
        Step(f"Fix: set {suggested} MB, then watch duration: less memory also means less CPU")
    )
    result.steps.append(cmd.update(f"--memory-size {suggested}"))
    return result


def _monthly_saving(
    ev: Evidence, reported: list[Invocation], size: int, suggested: int
) -> float | None:
    if ev.start_ms is None or ev.end_ms is None or ev.end_ms <= ev.start_ms:
        return None
    billed_s = sum((inv.billed_ms or inv.duration_ms or 0.0) for inv in reported) / 1000
    arch = ev.config.architectures[0] if ev.config and ev.config.architectures else "x86_64"
    price = GB_SECOND_USD.get(arch, GB_SECOND_USD["x86_64"])
    # The span the invocations cover, not the window asked for: a 2 h window over 30 minutes
    # of data would otherwise spread the same traffic four times thinner.
    starts = [inv.start_ms for inv in reported if inv.start_ms is not None]
    ends = [inv.end_ms for inv in reported if inv.end_ms is not None]
    span_s = (ev.end_ms - ev.start_ms) / 1000
    if starts and ends and max(ends) - min(starts) >= 60_000:
        span_s = min(span_s, (max(ends) - min(starts)) / 1000)
    per_span = billed_s * (size - suggested) / 1024 * price
    return per_span * (30 * 86400 / span_s)


def _denied_resource(resource: str) -> str:
    """What a denial is grouped by: an S3 object counts as its bucket's objects."""
    if resource.startswith("arn:aws:s3:::") and "/" in resource:
        return resource.split("/", 1)[0] + "/*"
    return resource


def _policy_resource(resource: str, action: str, ev: Evidence) -> str:
    """The Resource of a statement allowing `action` on what a denial named. A secret named
    by name (Secrets Manager says `on resource: prod/db`) becomes its ARN, whose random suffix
    `-??????` matches; any other bare name stays a placeholder to fill in, never a Resource IAM
    would refuse."""
    if not resource:
        return "<resource-arn>"
    if resource.startswith("arn:"):
        return resource
    role = _ROLE_ARN.match(ev.role_arn or "")
    partition, account = (role.group(1), role.group(2)) if role else ("aws", "<account-id>")
    if action.split(":", 1)[0].lower() == "secretsmanager":
        region = ev.region or "<region>"
        return f"arn:{partition}:secretsmanager:{region}:{account}:secret:{resource}-??????"
    return f"<ARN of {resource}>"


_ROLE_ARN = re.compile(r"arn:([\w-]+):iam::(\d{12}):role/")


# An AWS service's own denial, in its SDK's words: S3's `Access Denied`, a service's
# `AccessDeniedException`, botocore's `An error occurred (...)`, the SDKs' frames.
_AWS_DENIAL = re.compile(
    r"AccessDeniedException|Access Denied\b|An error occurred \(|throwDefaultError|smithy"
    r"|botocore|aws-sdk|api error |is not authorized to perform"
)


def check_permission(ev: Evidence, limits: Thresholds) -> CheckResult:
    cmd = Commands(ev)
    result = CheckResult("permission", Plane.SERVICE, CheckStatus.OK, "", steps=cmd.role_policies())
    if not ev.logs_read or not ev.lines:
        result.status = CheckStatus.UNKNOWN
        result.title = "Logs not read" if not ev.logs_read else "No log lines in the window"
        return result
    denials = ev.family(ErrorFamily.PERMISSION)
    if not denials:
        result.title = "No access denied in the logs"
        return result
    groups: Counter[tuple[str, str]] = Counter()
    explicit: set[tuple[str, str]] = set()
    for finding in denials:
        c = finding.classification
        if c is None:
            continue
        key = (c.action or c.signature, _denied_resource(c.resource) if c.resource else "")
        groups[key] += 1
        if "explicit deny" in finding.line.text.lower():
            explicit.add(key)
    affected = {f.request_id for f in denials if f.request_id}
    failed = sum(1 for inv in ev.invocations if inv.request_id in affected and inv.failed)
    coped = ev.coped(denials)
    aws_said = any(_AWS_DENIAL.search(f.line.text[:4000]) for f in denials)
    if coped and not aws_said and not any(":" in action for action, _ in groups):
        # No IAM action named and nothing failed: the application's own access rule at work
        # (`user 8812 denied access to profile -> 403`), not the execution role's.
        result.title = "No IAM access denied"
        result.evidence = [
            f"{count(len(denials), 'line')} of the application's own access decisions (no IAM"
            " action named, every invocation concerned succeeded)"
        ]
        return result
    result.status = CheckStatus.WARN if coped else CheckStatus.FAIL
    (top_action, top_resource), _ = groups.most_common(1)[0]
    on = f" on {top_resource}" if top_resource else ""
    more = len(groups) - 1
    result.title = f"Access denied: {top_action}{on}" + (
        f" (+{count(more, 'other action')})" if more else ""
    )
    result.evidence = [
        f"{count(len(denials), 'denial')}"
        + (
            f" in {count(len(affected), 'invocation')}, {failed:,} of which failed"
            if affected
            else ", tied to no invocation (logged without a request id)"
        )
    ]
    role = cmd.role
    denied = Counter(
        m.group("role")
        for f in denials
        if (m := ASSUMED_ROLE.search(f.line.text[:4000])) is not None
    )
    if role and denied and role not in denied:
        # The principal denied is a role the code assumed, not the execution role: the grant
        # belongs to it.
        other = denied.most_common(1)[0][0]
        result.evidence.append(
            f"denied principal: role {other}, not the execution role {role} (the code assumed"
            " it): the grant belongs to it"
        )
        cmd.role, cmd.role_from_config = other, False
        role = other
    elif role:
        result.evidence.append(f"execution role {role}")
    for (action, resource), n in groups.most_common(3):
        result.evidence.append(f"{action}" + (f" on {resource}" if resource else "") + f" ×{n}")
    if coped:
        result.evidence.append(COPED)
    if explicit:
        result.evidence.append(
            "an explicit deny (SCP, resource or boundary policy): allowing it in the role "
            "will not help"
        )
    result.evidence.extend(samples(denials))
    for (action, resource), _ in groups.most_common(2):
        if ":" in action:
            result.steps.append(cmd.simulate(action, resource if ":" in resource else None))
    statements = [
        {"Effect": "Allow", "Action": action, "Resource": _policy_resource(resource, action, ev)}
        for (action, resource), _ in groups.most_common(3)
        if ":" in action and (action, resource) not in explicit
    ]
    if statements:
        grants = "; ".join(f"{st['Action']} on {st['Resource']}" for st in statements)
        result.steps.append(Step(f"Fix: allow the role {role or '<execution-role>'}: {grants}"))
        result.steps.append(cmd.allow(statements))
    if explicit:
        result.steps.append(
            Step(
                "Fix: find the explicit deny: the account's SCPs, the role's permissions "
                "boundary, or the resource's own policy (bucket, key or queue policy)"
            )
        )
    return result


_INVOKED = re.compile(
    r"FunctionName\W{0,3}[=:]\s*\W{0,2}(?P<name>[\w-]+)|:function:(?P<arn>[\w-]+)"
)


def _invoked_function(found: list[Finding]) -> str | None:
    """The function a throttled Invoke was calling, where the line names it."""
    for finding in found:
        match = _INVOKED.search(finding.line.text)
        if match is not None:
            return match.group("name") or match.group("arn")
    return None


def _throttled_lead(ev: Evidence, downstream: list[Finding], services: Counter[str]) -> str:
    """The dependency to name first: the one whose throttling was the error that ended
    invocations, then the one seen in failed invocations (a throttled call retried to success
    matters less), then the most frequent."""
    failed = {inv.request_id for inv in ev.reported if inv.failed}
    in_failed = {
        (f.request_id, f.classification.service or "a dependency", f.line.unhandled)
        for f in downstream
        if f.classification is not None and f.request_id in failed
    }
    ended = Counter(service for _, service, unhandled in in_failed if unhandled)
    hurt = Counter(service for _, service in {(rid, service) for rid, service, _ in in_failed})
    return max(services, key=lambda name: (ended[name], hurt[name], services[name]))


_TABLE = re.compile(
    r"table/(?P<name>[\w.-]{3,255})|TableName[\"']?\s*[:=]\s*[\"']?(?P<key>[\w.-]{3,255})"
)
_STREAM = re.compile(r"\bin stream (?P<name>[\w.-]{1,128})|:stream/(?P<arn>[\w.-]{1,128})")


def _named(pattern: re.Pattern[str], found: list[Finding]) -> str | None:
    """The name most of these lines give (a table, a stream), if any does."""
    names: Counter[str] = Counter()
    for finding in found:
        match = pattern.search(finding.line.text[:4000])
        if match is not None:
            names[next(group for group in match.groups() if group)] += 1
    return names.most_common(1)[0][0] if names else None


def _throttled_dependency_steps(
    cmd: Commands, downstream: list[Finding], services: Counter[str]
) -> list[Step]:
    """The throttled dependency's own metrics: its limit, not Lambda's, is what was hit."""
    steps: list[Step] = []
    if "dynamodb" in services:
        found = [
            f for f in downstream if f.classification and f.classification.service == "dynamodb"
        ]
        table = _named(_TABLE, found) or "<table>"
        for metric in ("WriteThrottleEvents", "ReadThrottleEvents"):
            steps.append(
                cmd.metric(
                    metric,
                    ["Sum"],
                    namespace="AWS/DynamoDB",
                    dimension=f"Name=TableName,Value={table}",
                )
            )
        steps.append(
            Step(
                f"aws dynamodb describe-table --table-name {shlex.quote(table)} --query"
                " 'Table.{Billing: BillingModeSummary, Throughput: ProvisionedThroughput}'"
                f"{cmd.region_option()}",
                command=True,
            )
        )
    if "kinesis" in services:
        found = [
            f for f in downstream if f.classification and f.classification.service == "kinesis"
        ]
        stream = _named(_STREAM, found) or "<stream>"
        steps.append(
            cmd.metric(
                "WriteProvisionedThroughputExceeded",
                ["Sum"],
                namespace="AWS/Kinesis",
                dimension=f"Name=StreamName,Value={stream}",
            )
        )
    return steps


def check_throttling(ev: Evidence, limits: Thresholds) -> CheckResult:
    cmd = Commands(ev)
    result = CheckResult(
        "throttling",
        Plane.SERVICE,
        CheckStatus.OK,
        "",
        steps=[
            cmd.metric("Throttles", ["Sum"]),
            cmd.lambda_function("get-function-concurrency"),
            cmd.lambda_call("get-account-settings", " --query AccountLimit"),
        ],
    )
    downstream = ev.family(ErrorFamily.THROTTLING)
    status = CheckStatus.OK
    titles: list[str] = []
    if ev.metrics is not None:
        throttles = ev.metric_total(m.THROTTLES) or 0.0
        invocations = ev.metric_total(m.INVOCATIONS) or 0.0
        requests = throttles + invocations
        peak = ev.metric_peak(m.CONCURRENCY)
        reserved = ev.config.reserved_concurrency if ev.config else None
        account = ev.account_concurrency_limit
        result.evidence.append(
            f"Throttles {throttles:,.0f} of {requests:,.0f} requests ({pct(throttles, requests)})"
        )
        if peak is not None:
            limit_text = (
                f" of {reserved:,} reserved"
                if reserved is not None
                else (f" of the account's {account:,}" if account else "")
            )
            result.evidence.append(f"peak concurrency {peak:,.0f}{limit_text}")
        if throttles > 0:
            status = (
                CheckStatus.FAIL
                if requests and throttles / requests >= limits.throttle_ratio_fail
                else CheckStatus.WARN
            )
            where = f" at reserved concurrency {reserved:,}" if reserved is not None else ""
            titles.append(
                f"{throttles:,.0f} requests throttled{where} ({pct(throttles, requests)})"
            )
            if reserved is not None:
                # Served invocations ran at the cap: demand scales with requests over served.
                running = peak or float(reserved)
                demand = running * requests / invocations if invocations else running * 2
                wanted = int(max(demand * 1.2, reserved + 1))
                result.evidence.append(
                    f"demand about {demand:,.0f} concurrent executions (concurrency"
                    f" {running:,.0f} × {requests:,.0f} requests / {invocations:,.0f} served)"
                )
                result.steps.append(cmd.reserve_concurrency(wanted))
            else:
                result.steps.append(
                    Step(
                        "Fix: ask for a higher account concurrency limit in Service Quotas "
                        "(Lambda: Concurrent executions), or reserve concurrency for this "
                        "function so others cannot starve it"
                    )
                )
        elif peak is not None:
            cap = reserved if reserved is not None else account
            if cap and peak >= limits.concurrency_near_ratio * cap:
                status = CheckStatus.WARN
                whose = "reserved" if reserved is not None else "account"
                titles.append(f"Concurrency {peak:,.0f} of {cap:,} {whose}: close to throttling")
    if downstream:
        services = Counter(
            f.classification.service or "a dependency" for f in downstream if f.classification
        )
        affected = {f.request_id for f in downstream if f.request_id}
        result.evidence.append(
            f"downstream throttling: {count(len(downstream), 'line')}"
            f" in {count(len(affected), 'invocation')} from "
            + ", ".join(f"{name} ×{n}" for name, n in services.most_common(3))
        )
        result.evidence.extend(samples(downstream))
        reported = len(ev.reported)
        share = len(affected) / reported if reported else 1.0
        coped = ev.coped(downstream)
        if coped:
            result.evidence.append(COPED)
        if share >= limits.family_ratio_fail and not coped:
            status = CheckStatus.FAIL
        elif status is CheckStatus.OK:
            status = CheckStatus.WARN
        titles.append(
            f"{_throttled_lead(ev, downstream, services)} throttles this function's calls"
        )
        invoked = [
            f for f in downstream if f.classification and f.classification.service == "lambda"
        ]
        if invoked:
            callee = _invoked_function(invoked)
            result.evidence.append(
                f"calls to {callee or 'another function'} were throttled: that function is at its"
                " concurrency limit, not this one"
            )
            result.steps.insert(
                0,
                cmd.lambda_call(
                    "get-function-concurrency",
                    f" --function-name {shlex.quote(callee or '<invoked-function>')}",
                ),
            )
        result.steps[:0] = _throttled_dependency_steps(cmd, downstream, services)
        result.steps.append(
            Step(
                "Fix: retry with exponential backoff and jitter; raise the dependency's limit "
                "(DynamoDB on-demand, Kinesis shards, API quotas, the invoked function's "
                "reserved concurrency)"
            )
        )
    lambda_throttles = ev.metric_total(m.THROTTLES)
    if downstream and not lambda_throttles:
        # The dependencies throttle, not Lambda: its own concurrency is beside the point.
        own = (
            f"get-function-concurrency --function-name {cmd.fn}",
            "get-account-settings",
        )
        result.steps = [step for step in result.steps if not any(o in step.text for o in own)]
    if ev.metrics is None and not downstream:
        result.status = CheckStatus.UNKNOWN
        result.title = (
            "Throttles are a CloudWatch metric (not read); no downstream throttling in logs"
            if ev.logs_read and ev.lines
            else "Neither metrics nor log lines to read"
        )
        return result
    result.status = status
    result.title = "; ".join(titles) if titles else "No throttling"
    return result
