"""State plane: connection pools, databases, VPC and networking."""

from __future__ import annotations

import re
import shlex
from collections import Counter

from lambdatop.core.pipeline import Finding
from lambdatop.core.records import ErrorFamily
from lambdatop.diagnose.commands import Commands
from lambdatop.diagnose.evidence import Evidence
from lambdatop.diagnose.format import COPED, count, pct, samples
from lambdatop.diagnose.model import CheckResult, CheckStatus, Plane, Step
from lambdatop.diagnose.thresholds import Thresholds


def _severity(
    ev: Evidence, found: list[Finding], limits: Thresholds, result: CheckResult
) -> CheckStatus:
    """Fail when a real share of invocations is hit; a stray line, or lines the function
    coped with (said so in the evidence), only warn."""
    if ev.coped(found):
        result.evidence.append(COPED)
        return CheckStatus.WARN
    affected = _affected_ids(ev, found)
    reported = len(ev.reported)
    if not reported or not affected:
        return CheckStatus.FAIL if len(found) >= 3 else CheckStatus.WARN
    return (
        CheckStatus.FAIL
        if len(affected) / reported >= limits.family_ratio_fail
        else CheckStatus.WARN
    )


def _affected_ids(ev: Evidence, found: list[Finding]) -> set[str]:
    """The invocations these lines hurt: their own, and those whose init or restore logged
    them (such lines come before any request id, and the invocation inherits them)."""
    affected = {f.request_id for f in found if f.request_id}
    families = {f.line.classification.family for f in found if f.line.classification}
    if any(f.request_id is None for f in found):
        affected |= {
            inv.request_id
            for inv in ev.reported
            if inv.failed and inv.cold and not families.isdisjoint(inv.families)
        }
    return affected


def _affected(ev: Evidence, found: list[Finding]) -> str:
    affected = _affected_ids(ev, found)
    reported = len(ev.reported)
    if not affected:
        return f"{count(len(found), 'line')}"
    return f"{count(len(found), 'line')} in {count(len(affected), 'invocation')}" + (
        f" ({pct(len(affected), reported)} of {reported:,})" if reported else ""
    )


def _logs_unread(result: CheckResult, ev: Evidence) -> bool:
    """Without log lines there is nothing to find, and finding nothing would read as `ok`."""
    if ev.logs_read and ev.lines:
        return False
    result.status = CheckStatus.UNKNOWN
    result.title = "Logs not read" if not ev.logs_read else "No log lines in the window"
    return True


_AWS_HOST = re.compile(
    r"(?P<service>[a-z0-9-]+)\.(?:(?P<region>[a-z]{2}(?:-[a-z]+)+-\d)\.)?amazonaws\.com"
)
# Failing to connect (not a slow answer) is what a missing route looks like.
_CONNECT_WORDS = ("connect", "etimedout", "unable to execute http request", "unreachable")
# The server ended a connection already made: not a route, a connection reused too long.
_RESET_WORDS = ("econnreset", "socket hang up", "reset by peer")
_DNS_WORDS = (
    "enotfound",
    "eai_again",
    "resolution",
    "no such host",
    "unknownhost",
    "not known",
    "resolve",
    "nodename nor servname",
)


def _signature_has(finding: Finding, words: tuple[str, ...]) -> bool:
    c = finding.classification
    return c is not None and any(word in c.signature.lower() for word in words)


def _unreachable_endpoint(
    result: CheckResult,
    ev: Evidence,
    unreachable: list[Finding],
    found: list[Finding],
    limits: Thresholds,
    in_vpc: bool | None,
) -> None:
    """Connections to an AWS endpoint fail: from inside a VPC, a missing route (no VPC
    endpoint, no NAT)."""
    config = ev.config
    hosts = Counter(
        f.classification.endpoint or f.classification.service or ""
        for f in unreachable
        if f.classification
    )
    host, host_n = hosts.most_common(1)[0]
    aws_host = _AWS_HOST.search(host)
    service = (
        aws_host.group("service")
        if aws_host
        else (unreachable[0].classification.service if unreachable[0].classification else "")
    ) or "the service"
    region = (aws_host.group("region") if aws_host else None) or ev.region or "<region>"
    result.status = (
        CheckStatus.FAIL
        if in_vpc is not False and not ev.coped(found)
        else _severity(ev, found, limits, result)
    )
    where = "from inside the VPC" if in_vpc else "from the function"
    result.title = f"Connections to {service} time out {where}: no route to the AWS endpoint"
    result.evidence.append(f"{count(host_n, 'failed connection')} to {host}")
    vpc_id = config.vpc.vpc_id if config and config.vpc and config.vpc.vpc_id else "<vpc-id>"
    result.steps.append(
        Step(
            f"Fix: add a VPC endpoint com.amazonaws.{region}.{service} to {vpc_id}, or route "
            "the function's subnets through a NAT gateway"
        )
    )


_TELEMETRY_WORDS = re.compile(
    r"Failed to send segment|X-?Ray daemon|Exporting failed|otlp|OTLP|opentelemetry"
    r"|otel[-_ ]?collector",
    re.IGNORECASE,
)


def _telemetry(finding: Finding) -> bool:
    """A line about traces or metrics that could not be delivered, not the function's work."""
    endpoint = finding.classification.endpoint if finding.classification else None
    host, _, port = (endpoint or "").rpartition(":")
    if (host or endpoint or "").startswith("169.254.") or port in ("2000", "4317", "4318"):
        return True
    return _TELEMETRY_WORDS.search(finding.line.text[:2000]) is not None


def _telemetry_lost(
    result: CheckResult, ev: Evidence, telemetry: list[Finding], cmd: Commands
) -> CheckResult:
    result.status = CheckStatus.WARN
    result.title = (
        "Traces or metrics not delivered: the X-Ray daemon or a telemetry collector is out of reach"
    )
    result.evidence.append(f"{count(len(telemetry), 'line')}; the function's own work is not hurt")
    result.evidence.extend(samples(telemetry))
    result.steps.append(cmd.function_config("TracingConfig"))
    result.steps.append(
        Step(
            "Fix: the X-Ray SDK sends to a daemon Lambda runs only with active tracing: turn it"
            " on (--tracing-config Mode=Active) or drop the SDK's instrumentation; for an"
            " OpenTelemetry collector, check its endpoint and the path to it"
        )
    )
    return result


def check_vpc(ev: Evidence, limits: Thresholds) -> CheckResult:
    cmd = Commands(ev)
    config = ev.config
    result = CheckResult(
        "vpc", Plane.STATE, CheckStatus.OK, "", steps=[cmd.function_config("VpcConfig")]
    )
    found = ev.family(ErrorFamily.NETWORK)
    telemetry = [f for f in found if _telemetry(f)]
    if telemetry:
        # The X-Ray daemon (Lambda's link-local 169.254.79.129:2000) or an OpenTelemetry
        # collector out of reach drops traces: no VPC trouble, and the function's work goes on.
        found = [f for f in found if not _telemetry(f)]
    in_vpc = config.in_vpc if config is not None else None
    if config is not None and config.vpc is not None and config.in_vpc:
        vpc = config.vpc
        result.evidence.append(
            f"in VPC {vpc.vpc_id or '?'}: {count(len(vpc.subnet_ids), 'subnet')}, "
            f"{count(len(vpc.security_group_ids), 'security group')}"
        )
        subnets = " ".join(shlex.quote(subnet) for subnet in vpc.subnet_ids)
        result.steps.append(
            cmd.ec2(
                "describe-subnets",
                f" --subnet-ids {subnets}"
                " --query 'Subnets[].[SubnetId,AvailabilityZone,AvailableIpAddressCount]'",
            )
        )
        if vpc.vpc_id:
            vpc_filter = shlex.quote(f"Name=vpc-id,Values={vpc.vpc_id}")
            result.steps.append(
                cmd.ec2(
                    "describe-vpc-endpoints",
                    f" --filters {vpc_filter} --query 'VpcEndpoints[].ServiceName'",
                )
            )
            result.steps.append(
                cmd.ec2(
                    "describe-nat-gateways",
                    f" --filter {vpc_filter} --query 'NatGateways[].[NatGatewayId,State]'",
                )
            )
    elif config is not None:
        result.evidence.append("not in a VPC")
    if not found and telemetry:
        return _telemetry_lost(result, ev, telemetry, cmd)
    if not found:
        if (not ev.logs_read or not ev.lines) and config is None:
            result.status = CheckStatus.UNKNOWN
            result.title = (
                "Neither logs nor configuration read"
                if not ev.logs_read
                else "No log lines in the window, configuration not read"
            )
            return result
        if (
            in_vpc
            and config is not None
            and config.vpc is not None
            and len(config.vpc.subnet_ids) == 1
        ):
            result.status = CheckStatus.WARN
            result.title = "In a VPC with one subnet: one Availability Zone, one pool of IPs"
            result.steps.append(
                Step("Fix: add a subnet in another Availability Zone to the function's VpcConfig")
            )
            return result
        result.title = "No VPC or network errors" + (" (not in a VPC)" if in_vpc is False else "")
        return result
    eni = [f for f in found if f.classification and f.classification.service == "ec2"]
    efs = [f for f in found if f.classification and f.classification.service == "efs"]
    unreachable = [
        f
        for f in found
        if f.classification
        and f.classification.service not in (None, "ec2", "efs")
        and _signature_has(f, _CONNECT_WORDS)
    ]
    dns = [f for f in found if _signature_has(f, _DNS_WORDS)]
    result.evidence.insert(0, _affected(ev, found))
    signatures = Counter(f.classification.signature for f in found if f.classification)
    if len(signatures) > 1:
        result.evidence.extend(f"{sig} ×{n}" for sig, n in signatures.most_common(3))
    # The headline is the kind of failure that hurts: lines the function coped with (a retried
    # call's ENI error at WARN) give way to the ones that failed invocations.
    # An ENI that cannot be attached comes first; otherwise the most common kind that hurts.
    classified = {id(f) for f in (*eni, *efs, *unreachable, *dns)}
    other = [f for f in found if id(f) not in classified]
    kinds = [kind for kind in (eni, efs, unreachable, dns, other) if kind]
    hurting = [kind for kind in kinds if not ev.coped(kind)]
    if hurting and hurting[0] is not eni:
        hurting.sort(key=len, reverse=True)
    lead = (hurting or kinds)[0]
    if lead is eni:
        result.status = CheckStatus.FAIL if hurting else _severity(ev, found, limits, result)
        signature = Counter(
            f.classification.signature for f in eni if f.classification
        ).most_common(1)[0][0]
        result.title = f"Lambda cannot attach to the VPC: {signature}"
        result.steps.append(
            Step(
                "Fix: add subnets with free IP addresses (in more Availability Zones) to the "
                "function's VpcConfig, or free unused ENIs; ask for a higher ENI quota if the "
                "account is at it"
            )
        )
        if unreachable and not ev.coped(unreachable):
            # Both at once: the endpoint out of reach has its own cause and fix.
            also = CheckResult("vpc", Plane.STATE, CheckStatus.OK, "")
            _unreachable_endpoint(also, ev, unreachable, unreachable, limits, in_vpc)
            result.evidence.insert(1, f"also: {also.title}")
            result.steps.extend(step for step in also.steps if step not in result.steps)
    elif lead is efs:
        result.status = _severity(ev, found, limits, result)
        signature = Counter(
            f.classification.signature for f in efs if f.classification
        ).most_common(1)[0][0]
        result.title = f"The function cannot use its EFS file system: {signature}"
        result.steps.append(cmd.function_config("FileSystemConfigs"))
        result.steps.append(
            Step(
                "aws efs describe-mount-targets --file-system-id '<fs-id>'" + cmd.region_option(),
                command=True,
            )
        )
        result.steps.append(
            cmd.ec2("describe-security-groups", " --group-ids '<function-and-mount-target-sgs>'")
        )
        result.steps.append(
            Step(
                "Fix: allow NFS (TCP 2049) from the function's security group into the mount"
                " targets', and have a mount target in every Availability Zone of the"
                " function's subnets; an EFSIOException under load is the file system's"
                " throughput (burst credits): raise it or switch to elastic throughput"
            )
        )
    elif lead is unreachable:
        _unreachable_endpoint(result, ev, unreachable, found, limits, in_vpc)
    elif lead is dns:
        result.status = _severity(ev, found, limits, result)
        result.title = "DNS lookups fail"
        result.steps.append(
            Step(
                "Check: the VPC has DNS resolution and DNS hostnames enabled, and the host name "
                "is right"
            )
        )
    else:
        result.status = _severity(ev, found, limits, result)
        lead_signature = Counter(f.classification.signature for f in lead if f.classification)
        endpoints = Counter(f.classification.endpoint for f in lead if f.classification)
        endpoint = next((e for e, _ in endpoints.most_common() if e), None)
        result.title = f"Network errors: {lead_signature.most_common(1)[0][0]}" + (
            f" ({endpoint}{', and others' if len(endpoints) > 1 else ''})" if endpoint else ""
        )
        if any(_signature_has(f, _RESET_WORDS) for f in lead):
            result.steps.append(
                Step(
                    f"Fix: {endpoint or 'the server'} dropped connections the function reused: "
                    "retry idempotent calls, and let keep-alive sockets close before the server's "
                    "idle timeout (an environment frozen between invocations wakes with sockets "
                    "the server has already closed)"
                )
            )
        if any(_signature_has(f, _CONNECT_WORDS) for f in lead):
            result.steps.append(
                Step(
                    "Check: security groups and network ACLs let the function reach "
                    f"{endpoint or 'the host'} (a private address on 443 is often an interface "
                    "VPC endpoint, whose own security group must let the function in), and the "
                    "host is up"
                )
            )
    result.evidence.extend(samples(lead))
    return result
