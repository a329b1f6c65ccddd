"""State plane: the VPC and the network: ENIs, EFS, AWS endpoints out of reach, DNS, resets."""

from __future__ import annotations

import re
import shlex
from collections import Counter
from dataclasses import dataclass, field
from enum import Enum

from lambdatop.core.classify import ENI_QUOTA, TELEMETRY_PORTS, TELEMETRY_WORDS
from lambdatop.core.pipeline import Finding
from lambdatop.core.records import ErrorFamily, ParsedLine
from lambdatop.diagnose.checks.base import Advice, Verdict
from lambdatop.diagnose.checks.hits import Hits, hits
from lambdatop.diagnose.commands import Commands
from lambdatop.diagnose.evidence import Evidence
from lambdatop.diagnose.format import COPED, count, samples
from lambdatop.diagnose.model import CheckStatus, Step
from lambdatop.diagnose.thresholds import Thresholds

TELEMETRY_LOST = (
    "Traces or metrics not delivered: the X-Ray daemon or a telemetry collector is out of reach"
)
TELEMETRY_FIX = Step(
    "Fix: the X-Ray SDK sends to a daemon Lambda runs only with active tracing: turn it on"
    " (--tracing-config Mode=Active) or drop the SDK's instrumentation; for an OpenTelemetry"
    " collector or an APM server, check its endpoint and the path to it"
)
# Lambda makes a network interface for each combination of subnet and security groups its
# functions use ("Lambda creates a Hyperplane ENI ... for each unique combination of subnet and
# security groups", the Lambda developer guide); they count against the account's Amazon VPC
# quota of network interfaces per Region.
ENI_QUOTA_FIX = Step(
    "Fix: the account is at its quota of network interfaces in the Region (Amazon VPC, Network"
    " interfaces per Region): ask for more in Service Quotas and delete interfaces left unused;"
    " Lambda makes one for each subnet and security group combination its functions use, so"
    " functions sharing combinations use fewer"
)
ONE_SUBNET = "In a VPC with one subnet: one Availability Zone, one pool of IPs"
UNREAD = "Network errors in the window, none among the lines read"
ADD_SUBNET = Step("Fix: add a subnet in another Availability Zone to the function's VpcConfig")
ATTACH_FIX = Step(
    "Fix: add subnets with free IP addresses (in more Availability Zones) to the function's"
    " VpcConfig, or free unused ENIs; ask for a higher ENI quota if the account is at it"
)
EFS_FIX = Step(
    "Fix: allow NFS (TCP 2049) from the function's security group into the mount targets', and"
    " have a mount target in every Availability Zone of the function's subnets; an"
    " EFSIOException under load is the file system's throughput (burst credits): raise it or"
    " switch to elastic throughput"
)
DNS_CHECK = Step(
    "Check: the VPC has DNS resolution and DNS hostnames enabled, and the host name is right"
)
# The resolver's two answers: no such name (NXDOMAIN: Node.js's ENOTFOUND, Go's `no such host`,
# Java's UnknownHostException, glibc's "Name or service not known"), or none in time.
_NO_SUCH_NAME = re.compile(
    r"ENOTFOUND|no such host|UnknownHost|Name or service not known|nodename nor servname",
    re.IGNORECASE,
)
NO_SUCH_NAME = "does not resolve (the DNS answered that no such name exists)"
NO_SUCH_NAME_CHECK = Step(
    "Check the host name first: a name that does not exist is a setting's error (a typo, another"
    " environment's or Region's host, a URL's scheme left in a host setting), not the network;"
    " inside a VPC, a private hosted zone's names resolve only once the zone is associated with"
    " the function's VPC, and only with the VPC's DNS resolution enabled"
)
# Lambda's docs: connecting a function to a public subnet "doesn't give it internet access or a
# public IP address".
NO_PUBLIC_IP = (
    " (a public subnet's internet gateway is no way out: a function's network interfaces get"
    " no public IP)"
)
ENDPOINT_FIX = (
    "Fix: add a VPC endpoint com.amazonaws.{region}.{service} to {vpc}, or route the function's"
    " subnets through a NAT gateway" + NO_PUBLIC_IP
)
# S3 and DynamoDB have gateway endpoints: no charge, a route in the subnets' route tables.
GATEWAY_FIX = (
    "Fix: add a gateway endpoint com.amazonaws.{region}.{service} to {vpc} and associate it with"
    " the route tables of the function's subnets, or route them through a NAT gateway"
    + NO_PUBLIC_IP
)
GATEWAY_SERVICES = frozenset({"s3", "dynamodb"})
# SQS's docs: from a VPC "you must enable private DNS and specify endpoints in the format
# sqs.us-east-2.amazonaws.com": its legacy hosts do not reach the interface endpoint.
LEGACY_SQS_FIX = (
    "Fix: the SDK calls {host}, SQS's legacy endpoint, which an SQS VPC endpoint does not"
    " answer: point the client at https://sqs.{region}.amazonaws.com (a newer SDK does), with"
    " the endpoint's private DNS enabled"
)
READ_FIX = (
    "Fix: {host} took the connection and answered too slowly: retry with backoff, give the"
    " client a read timeout shorter than the function's, and check the service's own health"
    " and throttling"
)
RESET_FIX = (
    "Fix: {host} dropped connections the function reused: retry idempotent calls, and let"
    " keep-alive sockets close before the server's idle timeout (an environment frozen between"
    " invocations wakes with sockets the server has already closed)"
)
CONNECT_CHECK = (
    "Check: security groups and network ACLs let the function reach {host} (a private address"
    " on 443 is often an interface VPC endpoint, whose own security group must let the function"
    " in), and the host is up"
)

_AWS_HOST = re.compile(
    r"(?P<service>[a-z0-9-]+)\.(?:(?P<region>[a-z]{2}(?:-[a-z]+)+-\d)\.)?amazonaws\.com"
)
# Failing to connect (not a slow answer) is what a missing route looks like; Ruby's SDK says
# `execution expired` when its open timeout passes.
_CONNECT_WORDS = (
    "connect",
    "etimedout",
    "unable to execute http request",
    "unreachable",
    "execution expired",
    "open tcp connection",
)
# A connection made, its answer too slow: the service, not the route.
_READ_WORDS = ("read timeout", "readtimeout", "read timed out", "sockettimeoutexception")
# `queue.amazonaws.com` is SQS in US East (N. Virginia); `us-west-1.queue.amazonaws.com` too.
_LEGACY_SQS_HOST = re.compile(r"(?:^|\.)queue\.amazonaws\.com$")
_REGION_LABEL = re.compile(r"[a-z]{2}(?:-gov|-iso[a-z]?)?-[a-z]+-\d")
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


class Kind(Enum):
    """What kind of network failure leads the report."""

    ENI = "eni"
    """Lambda cannot attach the function to its VPC."""
    EFS = "efs"
    UNREACHABLE = "unreachable"
    """Connections to an AWS endpoint fail: from a VPC, no endpoint and no NAT."""
    DNS = "dns"
    OTHER = "other"


@dataclass(frozen=True, slots=True)
class Unreachable:
    """The AWS endpoint connections fail to."""

    service: str
    host: str
    connections: int
    """Failed connections to that host."""
    region: str
    hurts: bool = True
    """Some invocation failed for it (the function did not cope)."""


@dataclass(frozen=True, slots=True)
class VpcFigures:
    logs_read: bool
    lines: int
    config_read: bool
    in_vpc: bool | None = None
    vpc_id: str | None = None
    subnets: tuple[str, ...] = ()
    """The function's subnets, when it is in a VPC."""
    security_groups: int = 0
    telemetry: int = 0
    """Lines of traces or metrics not delivered (not the function's work): the window's count
    where Logs Insights counted it."""
    telemetry_read: int = 0
    hits: Hits = field(default_factory=Hits)
    """The other network lines: the window's count where Logs Insights counted it, the
    invocations those the lines read name."""
    lead: Kind | None = None
    signature: str = ""
    """The leading kind's commonest error."""
    signatures: tuple[tuple[str, int], ...] = ()
    """The three commonest errors of every kind."""
    endpoint: str | None = None
    """The host the leading kind's lines name most."""
    endpoints: int = 0
    """Distinct endpoint values (none named counts as one) among the leading kind's lines."""
    resets: bool = False
    connects: bool = False
    reads: bool = False
    """Read timeouts: the connection was made, the answer slow."""
    unreachable: Unreachable | None = None

    @property
    def also_unreachable(self) -> Unreachable | None:
        """An AWS endpoint out of reach beside an ENI that cannot be attached: both at once,
        the endpoint has its own cause and fix."""
        if self.lead is Kind.ENI and self.unreachable is not None and self.unreachable.hurts:
            return self.unreachable
        return None


def measure(ev: Evidence, limits: Thresholds) -> VpcFigures:
    config = ev.config
    vpc = config.vpc if config is not None else None
    telemetry, found, kinds = _sorted(ev)
    counted = _window_counts(ev)
    lead = _lead(ev, kinds)
    lines = kinds.get(lead, []) if lead is not None else []
    endpoints = Counter(f.classification.endpoint for f in lines if f.classification)
    return VpcFigures(
        logs_read=ev.logs_read,
        lines=ev.lines,
        config_read=config is not None,
        in_vpc=config.in_vpc if config is not None else None,
        vpc_id=vpc.vpc_id if vpc is not None else None,
        subnets=vpc.subnet_ids if vpc is not None else (),
        security_groups=len(vpc.security_group_ids) if vpc is not None else 0,
        telemetry=max(len(telemetry), counted[0] if counted else 0),
        telemetry_read=len(telemetry),
        hits=hits(ev, found, counted[1] if counted else None),
        lead=lead,
        signature=_commonest(lines),
        signatures=tuple(_signatures(found).most_common(3)),
        endpoint=next((e for e, _ in endpoints.most_common() if e), None),
        endpoints=len(endpoints),
        resets=any(_signature_has(f, _RESET_WORDS) for f in lines),
        connects=any(_signature_has(f, _CONNECT_WORDS) for f in lines),
        reads=any(_signature_has(f, _READ_WORDS) for f in lines),
        unreachable=_unreachable(ev, kinds[Kind.UNREACHABLE])
        if Kind.UNREACHABLE in kinds
        else None,
    )


def verdict(f: VpcFigures, limits: Thresholds) -> Verdict:
    if f.lead is None and f.hits.lines:
        # Counted over the window by Logs Insights; none of them among the lines read.
        return Verdict(f.hits.status(limits), UNREAD)
    if f.lead is None:
        return _no_network_errors(f)
    lines = f.hits.status(limits)
    if f.lead is Kind.ENI:
        status = lines if f.hits.coped else CheckStatus.FAIL
        return Verdict(status, f"Lambda cannot attach to the VPC: {f.signature}")
    if f.lead is Kind.EFS:
        return Verdict(lines, f"The function cannot use its EFS file system: {f.signature}")
    if f.lead is Kind.UNREACHABLE and f.unreachable is not None:
        # From inside a VPC (or unknown), an AWS endpoint out of reach is a missing route.
        routed = f.in_vpc is not False and not f.hits.coped
        return Verdict(CheckStatus.FAIL if routed else lines, _no_route(f, f.unreachable))
    if f.lead is Kind.DNS:
        if f.endpoint and _NO_SUCH_NAME.search(f.signature):
            return Verdict(lines, f"DNS lookups fail: {f.endpoint} {NO_SUCH_NAME}")
        return Verdict(lines, "DNS lookups fail" + (f" ({f.endpoint})" if f.endpoint else ""))
    others = ", and others" if f.endpoints > 1 else ""
    where = f" ({f.endpoint}{others})" if f.endpoint else ""
    return Verdict(lines, f"Network errors: {f.signature}{where}")


def _no_network_errors(f: VpcFigures) -> Verdict:
    if f.telemetry:
        # The X-Ray daemon (Lambda's link-local 169.254.79.129:2000) or an OpenTelemetry
        # collector out of reach drops traces: no VPC trouble, and the function's work goes on.
        return Verdict(CheckStatus.WARN, TELEMETRY_LOST)
    if (not f.logs_read or not f.lines) and not f.config_read:
        if not f.logs_read:
            return Verdict(CheckStatus.UNKNOWN, "Neither logs nor configuration read")
        return Verdict(CheckStatus.UNKNOWN, "No log lines in the window, configuration not read")
    if f.in_vpc and len(f.subnets) == 1:
        return Verdict(CheckStatus.WARN, ONE_SUBNET)
    return Verdict(
        CheckStatus.OK,
        "No VPC or network errors" + (" (not in a VPC)" if f.in_vpc is False else ""),
    )


def _no_route(f: VpcFigures, to: Unreachable) -> str:
    where = "from inside the VPC" if f.in_vpc else "from the function"
    return f"Connections to {to.service} time out {where}: no route to the AWS endpoint"


def advise(f: VpcFigures, _: Verdict, ev: Evidence) -> Advice:
    cmd = Commands(ev)
    advice = Advice(*_configuration(f, cmd))
    if f.lead is None and f.hits.lines:
        advice.evidence.insert(0, f.hits.affected)
        return advice
    if f.lead is None:
        if f.telemetry:
            telemetry = _sorted(ev)[0]
            unread = " in the window, none read" if not f.telemetry_read else ""
            advice.evidence.append(
                f"{count(f.telemetry, 'line')}{unread}; the function's own work is not hurt"
            )
            advice.evidence.extend(samples(telemetry))
            advice.steps += [cmd.function_config("TracingConfig"), TELEMETRY_FIX]
        elif f.in_vpc and len(f.subnets) == 1:
            advice.steps.append(ADD_SUBNET)
        return advice
    also = [f"also: {_no_route(f, f.also_unreachable)}"] if f.also_unreachable else []
    advice.evidence = [f.hits.affected, *also, *advice.evidence]
    if len(f.signatures) > 1:
        advice.evidence.extend(f"{signature} ×{n}" for signature, n in f.signatures)
    if f.hits.coped:
        advice.evidence.append(COPED)
    advice.steps.extend(_lead_steps(f, cmd, ev))
    if f.lead is Kind.UNREACHABLE and f.unreachable is not None:
        advice.evidence.append(
            f"{count(f.unreachable.connections, 'failed connection')} to {f.unreachable.host}"
        )
    kinds = _sorted(ev)[2]
    advice.evidence.extend(samples(kinds.get(f.lead, [])))
    return advice


def _configuration(f: VpcFigures, cmd: Commands) -> tuple[list[str], list[Step]]:
    """What the configuration says of the VPC, and the commands that show its subnets, its
    endpoints and its NAT gateways."""
    steps = [cmd.function_config("VpcConfig")]
    if not f.in_vpc:
        return (["not in a VPC"] if f.in_vpc is False else []), steps
    evidence = [
        f"in VPC {f.vpc_id or '?'}: {count(len(f.subnets), 'subnet')}, "
        f"{count(f.security_groups, 'security group')}"
    ]
    subnets = " ".join(shlex.quote(subnet) for subnet in f.subnets)
    steps.append(
        cmd.ec2(
            "describe-subnets",
            f" --subnet-ids {subnets}"
            " --query 'Subnets[].[SubnetId,AvailabilityZone,AvailableIpAddressCount]'",
        )
    )
    if f.vpc_id:
        vpc_filter = shlex.quote(f"Name=vpc-id,Values={f.vpc_id}")
        steps.append(
            cmd.ec2(
                "describe-vpc-endpoints",
                f" --filters {vpc_filter} --query 'VpcEndpoints[].ServiceName'",
            )
        )
        steps.append(
            cmd.ec2(
                "describe-nat-gateways",
                f" --filter {vpc_filter} --query 'NatGateways[].[NatGatewayId,State]'",
            )
        )
    return evidence, steps


def _efs_steps(ev: Evidence, cmd: Commands) -> list[Step]:
    """The mount targets of the access point the error names ("Accepts either an access point
    ID or ARN as input", DescribeMountTargets' AccessPointId), the function's security groups
    as its configuration names them, and the mount targets' own."""
    named = (_ACCESS_POINT.search(f.line.text) for f in ev.family(ErrorFamily.NETWORK))
    access_point = next((m.group(0) for m in named if m), None)
    mount_targets = (
        f" --access-point-id {shlex.quote(access_point)}"
        if access_point
        else " --file-system-id '<fs-id>'"
    )
    vpc = ev.config.vpc if ev.config is not None else None
    groups = " ".join(vpc.security_group_ids) if vpc and vpc.security_group_ids else None
    return [
        cmd.function_config("FileSystemConfigs"),
        Step(
            f"aws efs describe-mount-targets{mount_targets}"
            " --query 'MountTargets[].[MountTargetId,AvailabilityZoneName,SubnetId]'"
            + cmd.region_option(),
            command=True,
        ),
        Step(
            "aws efs describe-mount-target-security-groups --mount-target-id '<mount-target-id>'"
            + cmd.region_option(),
            command=True,
        ),
        cmd.ec2("describe-security-groups", f" --group-ids {groups or _FUNCTION_GROUPS}"),
        EFS_FIX,
    ]


_FUNCTION_GROUPS = "'<function-sg-ids>'"
_ACCESS_POINT = re.compile(
    r"arn:[\w-]+:elasticfilesystem:[\w-]+:\d{12}:access-point/fsap-[0-9a-f]+"
)


def _lead_steps(f: VpcFigures, cmd: Commands, ev: Evidence) -> list[Step]:
    if f.lead is Kind.ENI:
        if ENI_QUOTA.search(f.signature):
            counted = cmd.ec2(
                "describe-network-interfaces",
                " --filters Name=interface-type,Values=lambda --query 'length(NetworkInterfaces)'",
            )
            first = [counted, ENI_QUOTA_FIX]
        else:
            first = [ATTACH_FIX]
        return [*first, *(_endpoint_fix(f) if f.also_unreachable else [])]
    if f.lead is Kind.EFS:
        return _efs_steps(ev, cmd)
    if f.lead is Kind.UNREACHABLE:
        return _endpoint_fix(f)
    if f.lead is Kind.DNS:
        return [NO_SUCH_NAME_CHECK] if _NO_SUCH_NAME.search(f.signature) else [DNS_CHECK]
    steps = []
    if f.resets:
        steps.append(Step(RESET_FIX.format(host=f.endpoint or "the server")))
    if f.connects:
        steps.append(Step(CONNECT_CHECK.format(host=f.endpoint or "the host")))
    if f.reads:
        steps.append(Step(READ_FIX.format(host=f.endpoint or "the server")))
    return steps


def _endpoint_fix(f: VpcFigures) -> list[Step]:
    to = f.unreachable
    if to is None:
        return []
    vpc = f.vpc_id or "<vpc-id>"
    fix = GATEWAY_FIX if to.service in GATEWAY_SERVICES else ENDPOINT_FIX
    steps = [Step(fix.format(region=to.region, service=to.service, vpc=vpc))]
    if _LEGACY_SQS_HOST.search(to.host):
        steps.append(Step(LEGACY_SQS_FIX.format(host=to.host, region=to.region)))
    return steps


def _sorted(ev: Evidence) -> tuple[list[Finding], list[Finding], dict[Kind, list[Finding]]]:
    """The network lines about telemetry; the others; and the others by kind (kinds with no
    lines left out; a line may be of two kinds, a DNS failure connecting to an endpoint)."""
    network = ev.family(ErrorFamily.NETWORK)
    found = [f for f in network if not _telemetry(f)]
    # Lambda's own ENI errors name no host; a timeout to ec2.<region>.amazonaws.com is the EC2
    # API out of reach, an endpoint like any other.
    eni = [
        f
        for f in found
        if f.classification
        and f.classification.service == "ec2"
        and f.classification.endpoint is None
    ]
    attaching = {id(f) for f in eni}
    efs = [f for f in found if f.classification and f.classification.service == "efs"]
    unreachable = [
        f
        for f in found
        if f.classification
        and f.classification.service not in (None, "efs")
        and id(f) not in attaching
        and _signature_has(f, _CONNECT_WORDS)
    ]
    dns = [f for f in found if _signature_has(f, _DNS_WORDS)]
    classified = {id(f) for f in (*eni, *efs, *unreachable, *dns)}
    other = [f for f in found if id(f) not in classified]
    kinds = {Kind.ENI: eni, Kind.EFS: efs, Kind.UNREACHABLE: unreachable, Kind.DNS: dns}
    kinds[Kind.OTHER] = other
    telemetry = [f for f in network if _telemetry(f)]
    return telemetry, found, {kind: lines for kind, lines in kinds.items() if lines}


def _window_counts(ev: Evidence) -> tuple[int, int] | None:
    """The window's network lines of telemetry, and the others, where Logs Insights counted
    them (None: not counted): each group of lines sorted as its example line is."""
    if ev.window is None or ev.window.family_groups is None:
        return None
    groups = ev.window.family_groups_of(ErrorFamily.NETWORK)
    telemetry = sum(group.lines for group in groups if _telemetry_line(group.example))
    return telemetry, sum(group.lines for group in groups) - telemetry


def _lead(ev: Evidence, kinds: dict[Kind, list[Finding]]) -> Kind | None:
    """The kind of failure that hurts heads the report: lines the function coped with (a
    retried call's ENI error at WARN) give way to the ones that failed invocations. An ENI that
    cannot be attached comes first; otherwise the most common kind that hurts."""
    hurting = [kind for kind, lines in kinds.items() if not ev.coped(lines)]
    if hurting and hurting[0] is not Kind.ENI:
        hurting.sort(key=lambda kind: len(kinds[kind]), reverse=True)
    order = hurting or list(kinds)
    return order[0] if order else None


def _unreachable(ev: Evidence, lines: list[Finding]) -> Unreachable:
    hosts = Counter(
        f.classification.endpoint or f.classification.service or ""
        for f in lines
        if f.classification
    )
    host, connections = hosts.most_common(1)[0]
    aws_host = _AWS_HOST.search(host)
    named = [f.classification.service for f in lines if f.classification]
    # The classifier's service names the host's (`sqs` of `us-west-1.queue.amazonaws.com`).
    service = next((s for s in named if s), None) or (aws_host.group("service") if aws_host else "")
    region = _host_region(host) or ev.region or "<region>"
    return Unreachable(
        service=service or "the service",
        host=host,
        connections=connections,
        region=region,
        hurts=not ev.coped(lines),
    )


def _host_region(host: str) -> str | None:
    """The Region an AWS host names (`us-west-1` of `us-west-1.queue.amazonaws.com`); SQS's
    legacy global host is US East (N. Virginia)."""
    labels = host.lower().rsplit(":", 1)[0].split(".")
    region = next((label for label in labels if _REGION_LABEL.fullmatch(label)), None)
    if region is None and host.lower().startswith("queue.amazonaws.com"):
        return "us-east-1"
    return region


def _commonest(lines: list[Finding]) -> str:
    signatures = _signatures(lines)
    return signatures.most_common(1)[0][0] if signatures else ""


def _signatures(lines: list[Finding]) -> Counter[str]:
    return Counter(f.classification.signature for f in lines if f.classification)


def _signature_has(finding: Finding, words: tuple[str, ...]) -> bool:
    c = finding.classification
    return c is not None and any(word in c.signature.lower() for word in words)


def _telemetry(finding: Finding) -> bool:
    return _telemetry_line(finding.line)


def _telemetry_line(line: ParsedLine) -> bool:
    """A line about traces or metrics that could not be delivered, not the function's work."""
    endpoint = line.classification.endpoint if line.classification else None
    host, _, port = (endpoint or "").rpartition(":")
    if (host or endpoint or "").startswith("169.254.") or port in TELEMETRY_PORTS:
        return True
    return TELEMETRY_WORDS.search(line.text[:2000]) is not None
