"""Service plane: cold starts, timeouts, memory, permissions, throttling."""

from __future__ import annotations

import re
import shlex
from collections import Counter

from lambdatop.core import metrics as m
from lambdatop.core.pipeline import Finding
from lambdatop.core.records import ErrorFamily
from lambdatop.diagnose.commands import Commands
from lambdatop.diagnose.evidence import Evidence
from lambdatop.diagnose.format import (
    COPED,
    count,
    pct,
    samples,
)
from lambdatop.diagnose.model import CheckResult, CheckStatus, Plane, Step
from lambdatop.diagnose.thresholds import Thresholds


def _unknown_without_invocations(result: CheckResult, ev: Evidence) -> bool:
    if ev.reported:
        return False
    result.status = CheckStatus.UNKNOWN
    result.title = "No completed invocations in the window" if ev.logs_read else "Logs not read"
    return True


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
