"""Service plane: access denied, to the execution role or a role the code assumed."""

from __future__ import annotations

import re
from collections import Counter
from enum import Enum
from typing import NamedTuple

from lambdatop.core.pipeline import Finding
from lambdatop.core.records import ErrorFamily
from lambdatop.diagnose.checks.base import Advice, Verdict
from lambdatop.diagnose.commands import Commands
from lambdatop.diagnose.evidence import ASSUMED_ROLE, Evidence
from lambdatop.diagnose.format import COPED, count, samples
from lambdatop.diagnose.model import CheckStatus, Step
from lambdatop.diagnose.thresholds import Thresholds

AWS_DENIAL = re.compile(
    r"AccessDeniedException|Access Denied\b|An error occurred \(|throwDefaultError|smithy"
    r"|botocore|aws-sdk|api error |is not authorized to perform"
)
"""An AWS service's own denial, in its SDK's words: S3's `Access Denied`, a service's
`AccessDeniedException`, botocore's `An error occurred (...)`, the SDKs' frames."""
ROLE_ARN = re.compile(r"arn:([\w-]+):iam::(\d{12}):role/")
READ_CHARS = 4000
"""How much of a denial's line is searched for the service's words and the role."""
SIMULATED = 2
"""Denied actions to simulate against the role."""
LISTED = 3
"""Denied actions listed in the evidence and granted in the fix."""

# Lambda's own words when it cannot decrypt a function's environment variables before running it
# (KMSAccessDeniedException: "Lambda couldn't decrypt the environment variables because KMS
# access was denied. Check the Lambda function's KMS permissions.", the Lambda API reference).
# Its message goes on "Please check the function's KMS key settings" (a line of its own when
# the message is wrapped).
ENVIRONMENT_KEY = re.compile(
    r"unable to decrypt the environment variables|check the function's (?:AWS )?KMS key settings",
    re.IGNORECASE,
)
ENVIRONMENT_KEY_WHY = (
    "Lambda could not decrypt the function's environment variables, so the function never ran"
    " (its own log group holds nothing of these invocations): the key is the function's KMS key"
    " (KMSKeyArn; the AWS managed aws/lambda key when none is set), used with the execution role"
)
# Logged inside an invocation of this function, the Invoke API's error is about the function it
# invoked: that one's key and role, not this one's.
INVOKED_KEY_WHY = (
    "logged inside this function's invocations: a function it invoked could not run (named"
    " <invoked-function> in the commands): Lambda could not decrypt that function's environment"
    " variables, so its KMS key (KMSKeyArn) and its execution role are the ones to check, not"
    " this function's"
)
# "This error typically occurs when a Lambda function's execution role is deleted and then
# recreated using the same name, but with a different principal [...] you must reset the AWS
# KMS grant for the function's execution role" (AWS Knowledge Center,
# lambda-kmsaccessdeniedexception-errors): update the role to another value, then back.
FIX_ENVIRONMENT_GRANT = Step(
    "Fix: with the AWS managed key (no KMSKeyArn), Lambda's grant for the role lapses when the"
    " role is deleted and re-created under the same name: set the function's role to another"
    " role and back (update-function-configuration --role), which makes Lambda grant it again;"
    " with a customer managed key, the key must exist, be enabled, and allow the role"
    " kms:Decrypt in its key policy"
)

EXPLICIT = (
    "an explicit deny (SCP, resource or boundary policy): allowing it in the role will not help"
)
FIX_EXPLICIT = Step(
    "Fix: find the explicit deny: the account's SCPs, the role's permissions "
    "boundary, or the resource's own policy (bucket, key or queue policy)"
)
# S3's denial names neither the action nor the object (`Access Denied`); the bucket is often
# in the line, as a URI or an ARN.
S3_BUCKET = re.compile(
    r"\bs3://(?P<uri>[a-z0-9][a-z0-9.-]{1,61}[a-z0-9])|arn:aws[\w-]*:s3:::(?P<arn>[a-z0-9][a-z0-9.-]{1,61}[a-z0-9])"
)
S3_SAID = re.compile(r"\bs3://|:s3:::|\bAmazon\.S3\.|AmazonS3Exception")
"""An S3 denial the classifier names no service for (.NET's `Amazon.S3.AmazonS3Exception`)."""
SERVICE_NAMES = {"s3": "S3", "dynamodb": "DynamoDB", "sqs": "SQS", "sns": "SNS", "kms": "KMS"}
# "If the object you request doesn't exist, the error that Amazon S3 returns depends on whether
# you also have the s3:ListBucket permission ... If you don't have the s3:ListBucket permission,
# Amazon S3 returns an HTTP status code 403 Forbidden error" (S3 API reference, GetObject).
FIX_S3_UNNAMED = Step(
    'Fix: S3\'s "Access Denied" names no action: a read of a key that does not exist is denied'
    " (403, not 404 NoSuchKey) when the role may not s3:ListBucket on the bucket; otherwise check"
    " s3:GetObject / s3:PutObject on the objects, the bucket policy, and the KMS key of an"
    " encrypted object (kms:Decrypt)"
)
DENIALS_UNREAD = "Access denied in the window, none of it among the lines read"
APPLICATION_RULE = (
    " of the application's own access decisions (no IAM action named, every invocation"
    " concerned succeeded)"
)


class PolicyType(Enum):
    """The kind of policy an access denied message names."""

    IDENTITY = "identity-based policy"
    RESOURCE = "resource-based policy"
    BOUNDARY = "permissions boundary"
    SESSION = "session policy"
    SCP = "service control policy"
    RCP = "resource control policy"
    ENDPOINT = "VPC endpoint policy"
    TRUST = "role trust policy"


# "When a policy explicitly denies access because the policy contains a Deny statement, then
# AWS includes the phrase `with an explicit deny in a type policy` in the access denied error
# message. When the policy implicitly denies access, then AWS includes the phrase `because no
# type policy allows the action action`" (IAM User Guide, Troubleshoot access denied error
# messages: https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_access-denied.html).
_POLICY_TYPES = "|".join(re.escape(kind.value) for kind in PolicyType)
DENIED_BY = re.compile(
    rf"because no (?P<implicit>{_POLICY_TYPES}) allows"
    rf"|with an explicit deny in (?:an? |the )?(?P<explicit>{_POLICY_TYPES})",
    re.IGNORECASE,
)
_POLICY_TYPE = {kind.value.lower(): kind for kind in PolicyType}
ANONYMOUS = "User: anonymous is not authorized"
"""AWS's words for a request that carried no signature (an OpenSearch domain called over plain
HTTP): the function's role never reached the policy."""
UNSIGNED = (
    "User: anonymous: the request was sent unsigned, without the function's credentials, so no"
    " grant to its role applies to it"
)
FIX_UNSIGNED = Step(
    "Fix: sign the requests with the function's credentials (SigV4: opensearch-py's"
    " AWSV4SignerAuth, requests-aws4auth, the JavaScript client's AwsSigv4Signer), then allow its"
    " role where the service decides (the domain's access policy, or fine-grained access"
    " control's role mapping)"
)
RESOURCE_POLICIES = {
    "s3": "the bucket policy",
    "kms": "the key policy",
    "sqs": "the queue's policy",
    "sns": "the topic's policy",
    "lambda": "the function's policy",
    "secretsmanager": "the secret's policy",
    "dynamodb": "the table's policy",
    "ecr": "the repository's policy",
    "events": "the event bus's policy",
    "es": "the domain's access policy",
    "kinesis": "the stream's policy",
}
"""What a service calls a resource's own policy."""
PRINCIPAL_ACCOUNT = re.compile(r"arn:aws[\w-]*:(?:sts|iam)::(?P<account>\d{12}):")


class DeniedBy(NamedTuple):
    """The policy AWS said denied the action."""

    policy: PolicyType
    explicit: bool


class CrossAccount(NamedTuple):
    """A denial of a resource in another account than the principal's: both the principal's
    policies and the resource's own must allow it."""

    principal: str
    """The account of the principal denied."""
    owner: str
    """The account the resource is in."""
    action: str
    resource: str


class Reason(Enum):
    NONE_DENIED = "no denial in the logs"
    APPLICATION_RULE = "the application's own access rule, not IAM"
    DENIED = "IAM denied an action"


class Denied(NamedTuple):
    """One action denied on one resource (an S3 object counts as its bucket's objects)."""

    action: str
    """The action the line named (`s3:GetObject`): never a line's other words."""
    resource: str
    times: int

    @property
    def iam(self) -> bool:
        """An IAM action (`service:Action`), which can be simulated and granted."""
        return ":" in self.action

    def __str__(self) -> str:
        return self.action + (f" on {self.resource}" if self.resource else "")


class PermissionFigures(NamedTuple):
    logs_read: bool
    lines: int
    denials: int = 0
    """Lines denying access (the window's count where Logs Insights counted it)."""
    denials_read: int = 0
    """Those among the lines read: fewer than `denials`, the invocations are a floor."""
    denied: tuple[Denied, ...] = ()
    """The actions denied, the most often first."""
    unnamed: int = 0
    """Denials whose line names no action (`HTTP/1.1 403 Forbidden`)."""
    unnamed_said: str = ""
    """What the commonest of those said (`AccessDenied`), for a title when none names one."""
    unnamed_service: str = ""
    """The service those denials came from, when their lines say (`s3`)."""
    unnamed_on: str = ""
    """What they were denied on, when their lines say (`s3://invoices`)."""
    explicit: bool = False
    """A denial is an explicit deny (SCP, resource or boundary policy)."""
    invocations: int = 0
    """Invocations that logged a denial."""
    failed: int = 0
    """Of those, the invocations that failed."""
    coped: bool = False
    aws_said: bool = False
    """A line is an AWS service's own denial, in its SDK's words."""
    execution_role: str | None = None
    assumed_role: str | None = None
    """The role denied, when it is not the execution role but one the code assumed."""
    denied_by: DeniedBy | None = None
    """The policy AWS named in the commonest denial that names one."""
    cross_account: CrossAccount | None = None
    """The commonest denial of a resource in another account, if any."""
    principal_account: str | None = None
    """The account of the principal denied (its lines', else the execution role's)."""
    anonymous: bool = False
    """A denial of `User: anonymous`: a request sent unsigned, which no grant reaches."""
    environment_key: bool = False
    """Lambda could not decrypt the environment variables: the invoke failed before the code."""
    invoked_key: bool = False
    """Those words were logged by this function's invocations: a function it invoked failed so."""

    @property
    def none_read(self) -> bool:
        """Denials Logs Insights counted over the window, none of them among the lines read:
        no action, named or not, to tell."""
        return bool(self.denials) and not self.denied and not self.unnamed


def measure(ev: Evidence, limits: Thresholds) -> PermissionFigures:
    denials = ev.family(ErrorFamily.PERMISSION)
    if not denials:
        # Any the window holds were counted by Logs Insights, none among the lines read.
        return PermissionFigures(ev.logs_read, ev.lines, ev.family_lines(ErrorFamily.PERMISSION))
    affected = {f.request_id for f in denials if f.request_id}
    nameless = [f for f in denials if f.classification is not None and not f.classification.action]
    unnamed = Counter(f.classification.signature for f in nameless if f.classification)
    services = Counter(filter(None, map(_service_of, nameless)))
    places = Counter(filter(None, map(_denied_on, nameless)))
    execution_role = Commands(ev).role
    denied_roles = Counter(
        match.group("role")
        for f in denials
        if (match := ASSUMED_ROLE.search(f.line.text[:READ_CHARS])) is not None
    )
    assumed = execution_role and denied_roles and execution_role not in denied_roles
    named = Counter(filter(None, (_denied_by(f.line.text[:READ_CHARS]) for f in denials)))
    environment = [f for f in denials if ENVIRONMENT_KEY.search(f.line.text[:READ_CHARS])]
    return PermissionFigures(
        logs_read=ev.logs_read,
        lines=ev.lines,
        denials=ev.family_lines(ErrorFamily.PERMISSION),
        denials_read=len(denials),
        denied=_denied(denials),
        unnamed=unnamed.total(),
        unnamed_said=unnamed.most_common(1)[0][0] if unnamed else "",
        unnamed_service=services.most_common(1)[0][0] if services else "",
        unnamed_on=places.most_common(1)[0][0] if places else "",
        explicit=any("explicit deny" in f.line.text.lower() for f in denials),
        invocations=len(affected),
        failed=sum(1 for inv in ev.invocations if inv.request_id in affected and inv.failed),
        coped=ev.coped(denials),
        aws_said=any(AWS_DENIAL.search(f.line.text[:READ_CHARS]) for f in denials),
        execution_role=execution_role,
        assumed_role=denied_roles.most_common(1)[0][0] if assumed else None,
        denied_by=named.most_common(1)[0][0] if named else None,
        cross_account=_cross_account(denials, ev.role_arn),
        principal_account=_principal_of(denials, ev.role_arn),
        anonymous=any(ANONYMOUS in f.line.text[:READ_CHARS] for f in denials),
        environment_key=bool(environment),
        invoked_key=any(f.request_id for f in environment),
    )


def verdict(f: PermissionFigures, limits: Thresholds) -> Verdict:
    if not f.logs_read:
        return Verdict(CheckStatus.UNKNOWN, "Logs not read")
    if not f.lines:
        return Verdict(CheckStatus.UNKNOWN, "No log lines in the window")
    if not f.denials:
        return Verdict(CheckStatus.OK, "No access denied in the logs", Reason.NONE_DENIED)
    if f.coped and not f.aws_said and not any(d.iam for d in f.denied):
        # No IAM action named and nothing failed: the application's own access rule at work
        # (`user 8812 denied access to profile -> 403`), not the execution role's.
        return Verdict(CheckStatus.OK, "No IAM access denied", Reason.APPLICATION_RULE)
    if f.none_read:
        return Verdict(_status(f), DENIALS_UNREAD, Reason.DENIED)
    if not f.denied:
        # No line names an action: say who denied what, never their words as an action.
        return Verdict(_status(f), _unnamed_title(f), Reason.DENIED)
    top, more = f.denied[0], len(f.denied) - 1
    title = f"Access denied: {top}" + (f" (+{count(more, 'other action')})" if more else "")
    return Verdict(_status(f), title, Reason.DENIED)


def _unnamed_title(f: PermissionFigures) -> str:
    """`Access denied by S3 on s3://invoices: no action named`; what the lines said only when
    it is more than the words "access denied" again (S3 says `Access Denied`)."""
    by = (
        f" by {SERVICE_NAMES.get(f.unnamed_service, f.unnamed_service)}"
        if f.unnamed_service
        else ""
    )
    on = f" on {f.unnamed_on}" if f.unnamed_on else ""
    said = f.unnamed_said
    repeated = re.sub(r"[\W_]", "", said).lower().removesuffix("exception") == "accessdenied"
    return f"Access denied{by}{on}: no action named" + (
        "" if repeated or not said else f" ({said})"
    )


def _service_of(finding: Finding) -> str | None:
    c = finding.classification
    if c is not None and c.service:
        return c.service
    return "s3" if S3_SAID.search(finding.line.text[:READ_CHARS]) else None


def _denied_on(finding: Finding) -> str | None:
    c = finding.classification
    if c is not None and c.resource:
        return _denied_resource(c.resource)
    bucket = S3_BUCKET.search(finding.line.text[:READ_CHARS])
    return f"s3://{bucket.group('uri') or bucket.group('arn')}" if bucket else None


def _status(f: PermissionFigures) -> CheckStatus:
    return CheckStatus.WARN if f.coped else CheckStatus.FAIL


def advise(f: PermissionFigures, decided: Verdict, ev: Evidence) -> Advice:
    cmd = Commands(ev)
    steps = cmd.role_policies()
    if decided.reason is Reason.APPLICATION_RULE:
        return Advice([f"{count(f.denials, 'line')}{APPLICATION_RULE}"], steps)
    if decided.reason is not Reason.DENIED:
        return Advice(steps=steps)
    if f.none_read:
        return Advice([f"{count(f.denials, 'denial')} in the window, none read"], steps)
    floor = "at least " if f.denials > f.denials_read else ""
    evidence = [
        f"{count(f.denials, 'denial')}"
        + (
            f" in {floor}{count(f.invocations, 'invocation')}, {f.failed:,} of which failed"
            if f.invocations
            else ", tied to no invocation (logged without a request id)"
        )
    ]
    role = f.execution_role
    if f.assumed_role is not None:
        # The principal denied is a role the code assumed, not the execution role: the grant
        # belongs to it.
        evidence.append(
            f"denied principal: role {f.assumed_role}, not the execution role {role} (the code"
            " assumed it): the grant belongs to it"
        )
        cmd.role, cmd.role_from_config = f.assumed_role, False
        role = f.assumed_role
    elif role:
        evidence.append(f"execution role {role}")
    evidence.extend(f"{d} ×{d.times}" for d in f.denied[:LISTED])
    if f.unnamed:
        evidence.append(
            f"{count(f.unnamed, 'denial')} that name{'s' if f.unnamed == 1 else ''} no action"
        )
    if f.coped:
        evidence.append(COPED)
    evidence.extend(_where_it_lies(f))
    evidence.extend(samples(ev.family(ErrorFamily.PERMISSION)))
    if f.invoked_key:
        evidence.insert(0, INVOKED_KEY_WHY)
        invoked = " --function-name '<invoked-function>' --query KMSKeyArn"
        steps.insert(0, cmd.lambda_call("get-function-configuration", invoked))
    elif f.environment_key:
        evidence.insert(0, ENVIRONMENT_KEY_WHY)
        steps.insert(0, cmd.function_config("KMSKeyArn"))
    steps.extend(_grants(f, cmd, ev, role))
    if f.environment_key:
        steps.append(FIX_ENVIRONMENT_GRANT)
    if f.anonymous:
        steps.append(FIX_UNSIGNED)  # no policy applies until the request carries a principal
    elif f.denied_by is not None or f.cross_account is not None:
        steps.extend(_where_denied(f, cmd, role))
    elif f.explicit:
        steps.append(FIX_EXPLICIT)
    elif f.unnamed and f.unnamed_service == "s3" and not f.denied:
        steps.append(FIX_S3_UNNAMED)
    return Advice(evidence, steps)


def _where_it_lies(f: PermissionFigures) -> list[str]:
    """What the denials' own words say of where they lie: the policy AWS named (or an explicit
    deny), an unsigned request, a resource in another account."""
    said = []
    if f.denied_by is not None:
        said.append(_named_policy(f.denied_by, f))
    elif f.explicit:
        said.append(EXPLICIT)
    if f.anonymous:
        said.append(UNSIGNED)
    if f.cross_account is not None:
        x = f.cross_account
        said.append(
            f"cross-account: the principal is in account {x.principal}, {x.resource} in"
            f" account {x.owner}: the resource's own policy must allow it too (read it with"
            f" account {x.owner}'s credentials)"
        )
    return said


def _named_policy(by: DeniedBy, f: PermissionFigures) -> str:
    """What AWS's own words say of where the denial lies, and so where the fix belongs."""
    where = {
        PolicyType.IDENTITY: "the principal's own policies",
        PolicyType.RESOURCE: _resource_policy_name(
            f.denied[0].resource if f.denied else "", f.denied[0].action if f.denied else ""
        ),
        PolicyType.BOUNDARY: "the role's permissions boundary, which caps what its policies grant",
        PolicyType.SESSION: "the session policy the role was assumed with (AssumeRole's Policy"
        " or PolicyArns)",
        PolicyType.SCP: "a service control policy of the organization: no policy in the account"
        " lifts it",
        PolicyType.RCP: "a resource control policy of the organization: no policy in the"
        " account lifts it",
        PolicyType.ENDPOINT: "the policy of the VPC endpoint the call went through",
        PolicyType.TRUST: "the trust policy of the role to be assumed",
    }[by.policy]
    if by.explicit:
        article = "an" if by.policy.value[0] in "aeiouAEIOU" else "a"
        return (
            f"AWS says: an explicit deny in {article} {by.policy.value}: a Deny in {where}:"
            " allowing it in the role will not help"
        )
    action = f.denied[0].action if f.denied else "the action"
    return f"AWS says: no {by.policy.value} allows {action}: the grant belongs in {where}"


def _where_denied(f: PermissionFigures, cmd: Commands, role: str | None) -> list[Step]:
    """Where to look, and what to change, in the policy AWS named (or in the resource's own
    policy, for a resource in another account)."""
    top = f.denied[0] if f.denied else None
    action = top.action if top else "the action"
    resource = top.resource if top else ""
    by = f.denied_by
    cross = f.cross_account
    if by is None or by.policy is PolicyType.RESOURCE:
        if cross is not None:
            action, resource = cross.action, cross.resource
        return _resource_policy_steps(cmd, action, resource, cross, by is not None and by.explicit)
    if by.policy is PolicyType.IDENTITY and not by.explicit:
        return []  # the grant in the role is the fix
    denial = _Denial(
        action, resource, "denies" if by.explicit else "does not allow", role or "<role>"
    )
    return _POLICY_STEPS[by.policy](by.policy, cmd, denial, f)


class _Denial(NamedTuple):
    action: str
    resource: str
    verb: str
    """`denies` (an explicit deny) or `does not allow`."""
    principal: str


def _identity_steps(_: PolicyType, cmd: Commands, d: _Denial, f: PermissionFigures) -> list[Step]:
    return [
        Step(
            f"Fix: a Deny statement in the policies of {d.principal} (listed above) matches"
            f" {d.action}: narrow or remove it"
        )
    ]


def _boundary_steps(_: PolicyType, cmd: Commands, d: _Denial, f: PermissionFigures) -> list[Step]:
    return [
        cmd.permissions_boundary(d.principal),
        Step(
            f"Fix: the permissions boundary of {d.principal} {d.verb} {d.action}: add it to the"
            " boundary's policy (a grant in the role alone cannot exceed it)"
        ),
    ]


def _session_steps(_: PolicyType, cmd: Commands, d: _Denial, f: PermissionFigures) -> list[Step]:
    return [
        Step(
            f"Fix: the code assumed {d.principal} with a session policy that {d.verb}"
            f" {d.action}: widen the Policy or PolicyArns it passes to AssumeRole"
        )
    ]


def _organization_steps(
    policy: PolicyType, cmd: Commands, d: _Denial, f: PermissionFigures
) -> list[Step]:
    # An SCP governs the principal's account; an RCP the resource's.
    control = policy is PolicyType.SCP
    account = f.principal_account if control else _resource_account(d.resource)
    kind = "SERVICE_CONTROL_POLICY" if control else "RESOURCE_CONTROL_POLICY"
    steps = [cmd.organization_policies(account, kind)] if account else []
    return [
        *steps,
        Step(
            f"Fix: a {policy.value} of the organization {d.verb} {d.action}"
            + (f" in account {account}" if account else "")
            + ": only the organization's administrators can change it (from its management"
            " account); no grant in the role lifts it"
        ),
    ]


def _endpoint_steps(_: PolicyType, cmd: Commands, d: _Denial, f: PermissionFigures) -> list[Step]:
    service = d.action.split(":", 1)[0].lower() if ":" in d.action else "<service>"
    return [
        cmd.endpoint_policies(service, _arn_part(d.resource, 3) or None),
        Step(
            f"Fix: the policy of the VPC endpoint the function reaches {service} through"
            f" {d.verb} {d.action}"
            + (f" on {d.resource}" if d.resource else "")
            + ": allow it in the endpoint's policy"
        ),
    ]


def _trust_steps(_: PolicyType, cmd: Commands, d: _Denial, f: PermissionFigures) -> list[Step]:
    target = d.resource.rsplit("/", 1)[-1] if ":role/" in d.resource else "<role-to-assume>"
    return [
        cmd.trust_policy(target),
        Step(
            f"Fix: the trust policy of role {target} {d.verb} sts:AssumeRole by {d.principal}:"
            " name it as a Principal there"
        ),
    ]


_POLICY_STEPS = {
    PolicyType.IDENTITY: _identity_steps,
    PolicyType.BOUNDARY: _boundary_steps,
    PolicyType.SESSION: _session_steps,
    PolicyType.SCP: _organization_steps,
    PolicyType.RCP: _organization_steps,
    PolicyType.ENDPOINT: _endpoint_steps,
    PolicyType.TRUST: _trust_steps,
}
"""What to read and change for each policy AWS may name (the resource's own: above)."""


def _resource_policy_steps(
    cmd: Commands, action: str, resource: str, cross: CrossAccount | None, explicit: bool
) -> list[Step]:
    """Read the resource's own policy; then the statement it lacks, or the Deny it holds."""
    steps = []
    read = cmd.resource_policy(resource) if resource.startswith("arn:") else None
    if read is not None:
        steps.append(read)
    policy = _resource_policy_name(resource, action) + (f" ({resource})" if resource else "")
    if explicit:
        return [*steps, Step(f"Fix: {policy} holds a Deny matching {action}: narrow or remove it")]
    who = f"account {cross.principal}" if cross is not None else "the function's role"
    steps.append(Step(f"Fix: add to {policy} a statement allowing {who} {action}"))
    service = _arn_part(resource, 2)
    if cross is not None and service == "lambda" and ":function:" in resource:
        steps.append(cmd.allow_account(resource, action, cross.principal))
    return steps


def _denied_by(text: str) -> DeniedBy | None:
    match = DENIED_BY.search(text)
    if match is None:
        return None
    implicit = match.group("implicit")
    named = (implicit or match.group("explicit")).lower()
    return DeniedBy(_POLICY_TYPE[named], explicit=implicit is None)


def _cross_account(denials: list[Finding], role_arn: str | None) -> CrossAccount | None:
    """The commonest denial of a resource in another account than its principal's (the
    principal named in its line, else the execution role)."""
    fallback = PRINCIPAL_ACCOUNT.match(role_arn or "")
    found: Counter[CrossAccount] = Counter()
    for finding in denials:
        c = finding.classification
        owner = _resource_account(c.resource or "") if c is not None else None
        if c is None or not c.action or not owner:
            continue
        named = PRINCIPAL_ACCOUNT.search(finding.line.text[:READ_CHARS])
        principal = named or fallback
        if principal is not None and principal.group("account") != owner:
            resource = _denied_resource(c.resource or "")
            found[CrossAccount(principal.group("account"), owner, c.action, resource)] += 1
    return found.most_common(1)[0][0] if found else None


def _resource_policy_name(arn: str, action: str = "") -> str:
    service = _arn_part(arn, 2) or action.split(":", 1)[0].lower()
    return RESOURCE_POLICIES.get(service, "the resource's own policy")


def _arn_part(arn: str, index: int) -> str:
    parts = arn.split(":", 5)
    return parts[index] if arn.startswith("arn:") and len(parts) == 6 else ""


def _resource_account(arn: str) -> str | None:
    account = _arn_part(arn, 4)
    return account if len(account) == 12 and account.isdigit() else None


def _principal_of(denials: list[Finding], role_arn: str | None) -> str | None:
    named = Counter(
        match.group("account")
        for f in denials
        if (match := PRINCIPAL_ACCOUNT.search(f.line.text[:READ_CHARS])) is not None
    )
    if named:
        return named.most_common(1)[0][0]
    role = PRINCIPAL_ACCOUNT.match(role_arn or "")
    return role.group("account") if role is not None else None


def _grants(f: PermissionFigures, cmd: Commands, ev: Evidence, role: str | None) -> list[Step]:
    """Simulate the denied IAM actions against the role, then allow them, unless a denial is
    explicit: no grant in the role lifts an explicit deny, so none is suggested."""
    steps = [
        cmd.simulate(d.action, d.resource if ":" in d.resource else None)
        for d in f.denied[:SIMULATED]
        if d.iam
    ]
    statements = [
        {"Effect": "Allow", "Action": d.action, "Resource": _policy_resource(d, ev)}
        for d in f.denied[:LISTED]
        if d.iam and not f.explicit and _role_grant_helps(f)
    ]
    if statements:
        grants = "; ".join(f"{st['Action']} on {st['Resource']}" for st in statements)
        steps.append(Step(f"Fix: allow the role {role or '<execution-role>'}: {grants}"))
        steps.append(cmd.allow(statements))
    return steps


def _role_grant_helps(f: PermissionFigures) -> bool:
    """Whether allowing the action in the role's own policy is (part of) the fix: not when AWS
    named another policy as the one lacking it, unless the resource is in another account
    (then both the role's policy and the resource's must allow it)."""
    by = f.denied_by
    if f.anonymous:
        return False  # the request carried no role to grant anything to
    if by is None or by.policy is PolicyType.IDENTITY:
        return True
    return by.policy is PolicyType.RESOURCE and f.cross_account is not None


def _denied(denials: list[Finding]) -> tuple[Denied, ...]:
    groups: Counter[tuple[str, str]] = Counter()
    for finding in denials:
        c = finding.classification
        if c is None or not c.action:
            continue
        key = (c.action, _denied_resource(c.resource) if c.resource else "")
        groups[key] += 1
    return tuple(
        Denied(action, resource, times) for (action, resource), times in groups.most_common()
    )


def _denied_resource(resource: str) -> str:
    """What a denial is grouped by: an S3 object counts as its bucket's objects."""
    if resource.startswith("arn:aws:s3:::") and "/" in resource:
        return resource.split("/", 1)[0] + "/*"
    return resource


_SECRET_SUFFIX = re.compile(r"-[A-Za-z0-9]{6}$")


def _whole_secret(arn: str) -> str:
    """A secret's ARN as a policy matches it: "The ARN includes the name of the secret followed
    by six random characters" (CreateSecret), and a denial of a call by name may show the ARN
    without them, which the secret's own does not match; `-??????` matches the six."""
    parts = arn.split(":")
    secret = len(parts) == 7 and parts[2] == "secretsmanager" and parts[5] == "secret"
    if secret and not _SECRET_SUFFIX.search(parts[6]) and not parts[6].endswith(("*", "?")):
        return f"{arn}-??????"
    return arn


def _policy_resource(denied: Denied, ev: Evidence) -> str:
    """The Resource of a statement allowing the action on what a denial named. A secret named
    by name (Secrets Manager says `on resource: prod/db`) becomes its ARN, whose random suffix
    `-??????` matches; any other bare name stays a placeholder to fill in, never a Resource IAM
    would refuse."""
    resource = denied.resource
    if not resource:
        return "<resource-arn>"
    if resource.startswith("arn:"):
        return _whole_secret(resource)
    role = ROLE_ARN.match(ev.role_arn or "")
    partition, account = (role.group(1), role.group(2)) if role else ("aws", "<account-id>")
    if denied.action.split(":", 1)[0].lower() == "secretsmanager":
        region = ev.region or "<region>"
        return f"arn:{partition}:secretsmanager:{region}:{account}:secret:{resource}-??????"
    return f"<ARN of {resource}>"
