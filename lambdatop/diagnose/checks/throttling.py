"""Service plane: requests Lambda turned away, and dependencies that throttle the function."""

from __future__ import annotations

import re
import shlex
from collections import Counter
from typing import NamedTuple

from lambdatop.core import metrics as m
from lambdatop.core.pipeline import Finding
from lambdatop.core.records import ErrorFamily
from lambdatop.diagnose.checks.base import Advice, Verdict
from lambdatop.diagnose.commands import Commands
from lambdatop.diagnose.evidence import Evidence
from lambdatop.diagnose.format import COPED, count, pct, samples
from lambdatop.diagnose.model import CheckStatus, Step
from lambdatop.diagnose.thresholds import Thresholds

HEADROOM = 1.2
"""Reserve a fifth more than the window's demand."""
SERVICES_NAMED = 3
READ_CHARS = 4000

INVOKED = re.compile(r"FunctionName\W{0,3}[=:]\s*\W{0,2}(?P<name>[\w-]+)|:function:(?P<arn>[\w-]+)")
TABLE = re.compile(
    r"table/(?P<name>[\w.-]{3,255})|TableName[\"']?\s*[:=]\s*[\"']?(?P<key>[\w.-]{3,255})"
)
STREAM = re.compile(r"\bin stream (?P<name>[\w.-]{1,128})|:stream/(?P<arn>[\w.-]{1,128})")

FIX_ACCOUNT_LIMIT = Step(
    "Fix: ask for a higher account concurrency limit in Service Quotas "
    "(Lambda: Concurrent executions), or reserve concurrency for this "
    "function so others cannot starve it"
)
FIX_RETRY = Step(
    "Fix: retry with exponential backoff and jitter; raise the dependency's limit "
    "(DynamoDB on-demand, Kinesis shards, API quotas, the invoked function's "
    "reserved concurrency)"
)
# S3's own words: "your application can achieve at least 3,500 PUT/COPY/POST/DELETE or 5,500
# GET/HEAD requests per second per partitioned Amazon S3 prefix", and it answers 503 Slow Down
# while it scales to a higher rate (S3 User Guide, optimizing performance).
FIX_S3_RATE = Step(
    "Fix: S3's request rate is per prefix (at least 3,500 PUT/COPY/POST/DELETE and 5,500"
    " GET/HEAD requests a second each): spread the keys over more prefixes, raise the rate"
    " gradually, and retry the 503 Slow Down with backoff while S3 scales"
)
TABLE_CAPACITY = "'Table.{Billing: BillingModeSummary, Throughput: ProvisionedThroughput}'"
INDEX_CAPACITY = (
    "'Table.{Billing: BillingModeSummary, Throughput: ProvisionedThroughput, Indexes:"
    " GlobalSecondaryIndexes[].{Index: IndexName, Throughput: ProvisionedThroughput}}'"
)
# DynamoDB's own words when an index, not the table, ran out of capacity.
GLOBAL_INDEX = re.compile(r"global secondary index", re.IGNORECASE)
FIX_INDEX_CAPACITY = Step(
    "Fix: raise the write capacity of the table's global secondary indexes, or make the table"
    " on-demand: DynamoDB throttles a write to the table when an index it updates lacks the"
    " write capacity for it"
)
NO_METRICS = "Throttles are a CloudWatch metric (not read); no downstream throttling in logs"
NOTHING_READ = "Neither metrics nor log lines to read"
THROTTLES_UNREAD = (
    "CloudWatch did not answer the Throttles series (see notes); no downstream throttling in logs"
)


class ThrottlingFigures(NamedTuple):
    metrics_read: bool
    lines_read: bool
    """Logs were read and had lines."""
    throttles_read: bool = True
    """CloudWatch answered the Throttles series (false when it failed or refused just that)."""
    throttles: float = 0.0
    """Requests Lambda turned away (CloudWatch's Throttles)."""
    invocations: float = 0.0
    peak_concurrency: float | None = None
    reserved: int | None = None
    account_limit: int | None = None
    downstream: int = 0
    """Lines of a dependency throttling the function's calls."""
    downstream_invocations: int = 0
    """Of the lines read: fewer than `downstream`, the invocations are a floor."""
    downstream_read: int = 0
    reported: int = 0
    coped: bool = False
    services: tuple[tuple[str, int], ...] = ()
    """The throttling dependencies and their lines, the most often first."""
    lead: str | None = None
    """The dependency to name first: the one whose throttling hurt invocations most."""

    @property
    def requests(self) -> float:
        """Of the requests Lambda received: those it ran and those it turned away."""
        return self.throttles + self.invocations

    @property
    def downstream_share(self) -> float:
        """The share of completed invocations a dependency throttled (all, when none did)."""
        return self.downstream_invocations / self.reported if self.reported else 1.0


def measure(ev: Evidence, limits: Thresholds) -> ThrottlingFigures:
    downstream = ev.family(ErrorFamily.THROTTLING)
    services = Counter(
        f.classification.service or "a dependency" for f in downstream if f.classification
    )
    return ThrottlingFigures(
        metrics_read=ev.metrics is not None,
        throttles_read=m.THROTTLES not in ev.unanswered,
        lines_read=ev.logs_read and bool(ev.lines),
        throttles=ev.metric_total(m.THROTTLES) or 0.0,
        invocations=ev.metric_total(m.INVOCATIONS) or 0.0,
        peak_concurrency=ev.metric_peak(m.CONCURRENCY),
        reserved=ev.config.reserved_concurrency if ev.config else None,
        account_limit=ev.account_concurrency_limit,
        downstream=ev.family_lines(ErrorFamily.THROTTLING),
        downstream_invocations=len({f.request_id for f in downstream if f.request_id}),
        downstream_read=len(downstream),
        reported=len(ev.reported),
        coped=ev.coped(downstream),
        services=tuple(services.most_common()),
        lead=_throttled_lead(ev, downstream, services) if downstream else None,
    )


def verdict(f: ThrottlingFigures, limits: Thresholds) -> Verdict:
    if not f.metrics_read and not f.downstream:
        return Verdict(CheckStatus.UNKNOWN, NO_METRICS if f.lines_read else NOTHING_READ)
    status, titles = CheckStatus.OK, []
    if f.metrics_read and f.throttles_read and f.throttles > 0:
        share = f.throttles / f.requests
        status = CheckStatus.FAIL if share >= limits.throttle_ratio_fail else CheckStatus.WARN
        where = f" at reserved concurrency {f.reserved:,}" if f.reserved is not None else ""
        titles.append(
            f"{f.throttles:,.0f} requests throttled{where} ({pct(f.throttles, f.requests)})"
        )
    elif f.metrics_read and f.peak_concurrency is not None:
        cap = f.reserved if f.reserved is not None else f.account_limit
        if cap and f.peak_concurrency >= limits.concurrency_near_ratio * cap:
            status = CheckStatus.WARN
            whose = "reserved" if f.reserved is not None else "account"
            titles.append(
                f"Concurrency {f.peak_concurrency:,.0f} of {cap:,} {whose}: close to throttling"
            )
    if f.downstream:
        if f.downstream_share >= limits.family_ratio_fail and not f.coped:
            status = CheckStatus.FAIL
        elif status is CheckStatus.OK:
            status = CheckStatus.WARN
        titles.append(f"{f.lead or 'A dependency'} throttles this function's calls")
    if f.metrics_read and not f.throttles_read and status is CheckStatus.OK:
        return Verdict(CheckStatus.UNKNOWN, THROTTLES_UNREAD)
    return Verdict(status, "; ".join(titles) if titles else "No throttling")


def advise(f: ThrottlingFigures, _: Verdict, ev: Evidence) -> Advice:
    cmd = Commands(ev)
    evidence = _own_evidence(f) if f.metrics_read else []
    steps = [
        cmd.metric("Throttles", ["Sum"]),
        cmd.lambda_function("get-function-concurrency"),
        cmd.lambda_call("get-account-settings", " --query AccountLimit"),
    ]
    if f.metrics_read and f.throttles > 0:
        steps.append(
            cmd.reserve_concurrency(_wanted(f)) if f.reserved is not None else FIX_ACCOUNT_LIMIT
        )
    if not f.downstream:
        return Advice(evidence, steps)
    found = ev.family(ErrorFamily.THROTTLING)
    services = {name for name, _ in f.services}
    evidence.extend(_downstream_evidence(f, found))
    if "lambda" in services:
        invoked = [x for x in found if x.classification and x.classification.service == "lambda"]
        callee = _invoked_function(invoked)
        evidence.append(
            f"calls to {callee or 'another function'} were throttled: that function is at its"
            " concurrency limit, not this one"
        )
        callee_option = f" --function-name {shlex.quote(callee or '<invoked-function>')}"
        steps.insert(0, cmd.lambda_call("get-function-concurrency", callee_option))
    steps[:0] = _dependency_steps(cmd, found, services)
    steps.append(FIX_RETRY)
    if "s3" in services:
        steps.append(FIX_S3_RATE)
    if not f.throttles:
        # The dependencies throttle, not Lambda: its own concurrency is beside the point.
        own = (f"get-function-concurrency --function-name {cmd.fn}", "get-account-settings")
        steps = [step for step in steps if not any(o in step.text for o in own)]
    return Advice(evidence, steps)


def _own_evidence(f: ThrottlingFigures) -> list[str]:
    """What CloudWatch says of Lambda's own throttling and concurrency."""
    evidence = [
        f"Throttles {f.throttles:,.0f} of {f.requests:,.0f} requests"
        f" ({pct(f.throttles, f.requests)})"
    ]
    if f.peak_concurrency is not None:
        limit = (
            f" of {f.reserved:,} reserved"
            if f.reserved is not None
            else (f" of the account's {f.account_limit:,}" if f.account_limit else "")
        )
        evidence.append(f"peak concurrency {f.peak_concurrency:,.0f}{limit}")
    if f.throttles > 0 and f.reserved is not None:
        running, demand = _demand(f)
        evidence.append(
            f"demand about {demand:,.0f} concurrent executions (concurrency"
            f" {running:,.0f} × {f.requests:,.0f} requests / {f.invocations:,.0f} served)"
        )
    return evidence


def _demand(f: ThrottlingFigures) -> tuple[float, float]:
    """The concurrency the invocations ran at, and the demand: served invocations ran at the
    cap, so demand scales with requests over served."""
    running = f.peak_concurrency or float(f.reserved or 0)
    return running, running * f.requests / f.invocations if f.invocations else running * 2


def _wanted(f: ThrottlingFigures) -> int:
    """Reserved concurrency for the demand with headroom, and at least one more than now."""
    return int(max(_demand(f)[1] * HEADROOM, (f.reserved or 0) + 1))


def _downstream_evidence(f: ThrottlingFigures, found: list[Finding]) -> list[str]:
    named = ", ".join(f"{name} ×{n}" for name, n in f.services[:SERVICES_NAMED])
    if not f.downstream_read:
        # Counted over the window by Logs Insights; none of them among the newest lines read.
        said = f"downstream throttling: {count(f.downstream, 'line')} in the window, none read"
        return [said, COPED] if f.coped else [said]
    floor = "at least " if f.downstream > f.downstream_read else ""
    where = (
        f"in {floor}{count(f.downstream_invocations, 'invocation')}"
        if f.downstream_invocations
        else "tied to no invocation (logged without a request id)"
    )
    evidence = [
        f"downstream throttling: {count(f.downstream, 'line')} {where} from {named}",
        *samples(found),
    ]
    if f.coped:
        evidence.append(COPED)
    return evidence


def _invoked_function(found: list[Finding]) -> str | None:
    """The function a throttled Invoke was calling, where the line names it."""
    for finding in found:
        match = INVOKED.search(finding.line.text)
        if match is not None:
            return match.group("name") or match.group("arn")
    return None


def _throttled_lead(ev: Evidence, downstream: list[Finding], services: Counter[str]) -> str:
    """The dependency to name first: the one whose throttling was the error that ended
    invocations, then the one seen in failed invocations (a throttled call retried to success
    matters less), then the most frequent."""
    failed = ev.complete.failed_ids
    in_failed = {
        (f.request_id, f.classification.service or "a dependency", f.line.unhandled)
        for f in downstream
        if f.classification is not None and f.request_id in failed
    }
    ended = Counter(service for _, service, unhandled in in_failed if unhandled)
    hurt = Counter(service for _, service in {(rid, service) for rid, service, _ in in_failed})
    return max(services, key=lambda name: (ended[name], hurt[name], services[name]))


def _named(pattern: re.Pattern[str], found: list[Finding]) -> str | None:
    """The name most of these lines give (a table, a stream), if any does."""
    names: Counter[str] = Counter()
    for finding in found:
        match = pattern.search(finding.line.text[:READ_CHARS])
        if match is not None:
            names[next(group for group in match.groups() if group)] += 1
    return names.most_common(1)[0][0] if names else None


def _of(service: str, found: list[Finding]) -> list[Finding]:
    return [f for f in found if f.classification and f.classification.service == service]


def _dependency_steps(cmd: Commands, found: list[Finding], services: set[str]) -> list[Step]:
    """The throttled dependency's own metrics: its limit, not Lambda's, is what was hit."""
    steps: list[Step] = []
    if "dynamodb" in services:
        table = _named(TABLE, _of("dynamodb", found)) or "<table>"
        dimension = f"Name=TableName,Value={table}"
        for metric in ("WriteThrottleEvents", "ReadThrottleEvents"):
            steps.append(cmd.metric(metric, ["Sum"], namespace="AWS/DynamoDB", dimension=dimension))
        indexes = any(
            GLOBAL_INDEX.search(f.line.text, 0, READ_CHARS) for f in _of("dynamodb", found)
        )
        steps.append(
            Step(
                f"aws dynamodb describe-table --table-name {shlex.quote(table)} --query"
                f" {INDEX_CAPACITY if indexes else TABLE_CAPACITY}{cmd.region_option()}",
                command=True,
            )
        )
        if indexes:
            steps.append(FIX_INDEX_CAPACITY)
    if "kinesis" in services:
        stream = _named(STREAM, _of("kinesis", found)) or "<stream>"
        steps.append(
            cmd.metric(
                "WriteProvisionedThroughputExceeded",
                ["Sum"],
                namespace="AWS/Kinesis",
                dimension=f"Name=StreamName,Value={stream}",
            )
        )
    return steps
