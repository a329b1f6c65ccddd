"""Where a denial lies, as AWS says it: "When a policy explicitly denies access ... AWS includes
the phrase `with an explicit deny in a type policy` ... When the policy implicitly denies
access, then AWS includes the phrase `because no type policy allows the action action`" (IAM
User Guide, Troubleshoot access denied error messages). The grant belongs in the policy AWS
named, not always in the role; and a resource in another account needs its own policy to allow
the role too.

The lines are written here in the SDKs' and AWS's words (botocore's `An error occurred (...)`,
the IAM message's layout), not taken from a log; the corpus's real cross-account denial is
tests/reallogs/samples/node-access-denied-invoke-error.log."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from expect import has, lacks, run
from lambdalogs import FUNCTION, REGION

from lambdatop.commands.diagnose import evidence_from_export
from lambdatop.core.export import read_export
from lambdatop.diagnose.evidence import Evidence
from lambdatop.diagnose.model import CheckResult, CheckStatus

sys.path.insert(0, str(Path(__file__).parent.parent / "reallogs"))
from advice import problems_of_command, problems_of_policy

ROLE = "orders-api-role"
ACCOUNT = "111122223333"
OTHER = "444455556666"
PRINCIPAL = f"arn:aws:sts::{ACCOUNT}:assumed-role/{ROLE}/orders-api"


def _denial(operation: str, code: str, action: str, resource: str, context: str) -> str:
    return (
        f"[ERROR] ClientError: An error occurred ({code}) when calling the {operation} operation:"
        f" User: {PRINCIPAL} is not authorized to perform: {action} on resource: {resource}"
        f" {context}\nTraceback (most recent call last):\n"
        '  File "/var/task/app.py", line 40, in handler'
    )


def _logs(line: str) -> str:
    rid = "6a1e3f7c-2b1d-4c8e-9f0a-3b5c7d9e1f01"
    return (
        f"2026-12-07T10:00:00.000Z START RequestId: {rid} Version: $LATEST\n"
        f"2026-12-07T10:00:01.000Z {line}\n"
        f"2026-12-07T10:00:02.000Z END RequestId: {rid}\n"
        f"2026-12-07T10:00:02.000Z REPORT RequestId: {rid}\tDuration: 212.33 ms\t"
        "Billed Duration: 213 ms\tMemory Size: 512 MB\tMax Memory Used: 90 MB\t\n"
    )


def _permission(line: str) -> tuple[CheckResult, Evidence]:
    ev = evidence_from_export(
        read_export(_logs(line).encode()), function=FUNCTION, region=REGION, since_s=None
    )
    result = run(ev, "permission")
    assert result.status is CheckStatus.FAIL, result.title
    return result, ev


def _commands(result: CheckResult) -> list[str]:
    return [step for step in result.next_steps if step.startswith("aws ")]


def _accepted(result: CheckResult) -> None:
    for command in _commands(result):
        assert problems_of_command(command) == [], command
        if "--policy-document" in command:
            document = command.split("--policy-document ", 1)[1].strip("'")
            assert problems_of_policy(document) == [], document


QUEUE = f"arn:aws:sqs:eu-west-1:{ACCOUNT}:orders"
KEY = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"


def test_no_identity_based_policy_is_granted_in_the_role() -> None:
    # SQS names its actions in lower case; the grant spells them as the API does.
    line = _denial(
        "SendMessage",
        "AccessDenied",
        "sqs:sendmessage",
        QUEUE,
        "because no identity-based policy allows the sqs:sendmessage action",
    )
    result, _ = _permission(line)
    has(result.evidence, "AWS says: no identity-based policy allows", "the principal's own")
    has(result.next_steps, "put-role-policy", "simulate-principal-policy")
    lacks(result.next_steps, "get-queue-attributes")
    has(result.next_steps, '"Action":"sqs:SendMessage"')
    _accepted(result)


def test_no_resource_based_policy_puts_the_grant_in_the_key_policy_not_the_role() -> None:
    line = _denial(
        "Decrypt",
        "AccessDeniedException",
        "kms:Decrypt",
        KEY,
        "because no resource-based policy allows the kms:Decrypt action",
    )
    result, _ = _permission(line)
    has(result.evidence, "no resource-based policy allows kms:Decrypt", "the key policy")
    has(result.next_steps, f"aws kms get-key-policy --key-id {KEY} --policy-name default")
    has(result.next_steps, "add to the key policy", "allowing the function's role kms:Decrypt")
    # The role's own policy is not what lacks it: no grant there is offered as the fix.
    lacks(result.next_steps, "put-role-policy")
    _accepted(result)


@pytest.mark.parametrize(
    ("context", "looked_up", "fix"),
    [
        (
            "because no permissions boundary allows the sqs:sendmessage action",
            f"aws iam get-role --role-name {ROLE} --query Role.PermissionsBoundary",
            "permissions boundary of orders-api-role does not allow sqs:SendMessage",
        ),
        (
            "with an explicit deny in a service control policy",
            f"aws organizations list-policies-for-target --target-id {ACCOUNT}"
            " --filter SERVICE_CONTROL_POLICY",
            "service control policy of the organization denies sqs:SendMessage in account",
        ),
        (
            "because no VPC endpoint policy allows the sqs:sendmessage action",
            "aws ec2 describe-vpc-endpoints --filters"
            " Name=service-name,Values=com.amazonaws.eu-west-1.sqs",
            "VPC endpoint the function reaches sqs through does not allow sqs:SendMessage",
        ),
        (
            "because no session policy allows the sqs:sendmessage action",
            None,
            "session policy that does not allow sqs:SendMessage",
        ),
    ],
)
def test_a_policy_no_role_grant_lifts_is_named_with_where_to_look(
    context: str, looked_up: str | None, fix: str
) -> None:
    result, _ = _permission(
        _denial("SendMessage", "AccessDenied", "sqs:sendmessage", QUEUE, context)
    )
    has(result.evidence, "AWS says:")
    if looked_up is not None:
        has(result.next_steps, looked_up)
    has(result.next_steps, fix)
    lacks(result.next_steps, "put-role-policy")
    _accepted(result)


def test_an_explicit_deny_in_the_role_s_own_policies_is_not_met_with_a_grant() -> None:
    line = _denial(
        "SendMessage",
        "AccessDenied",
        "sqs:sendmessage",
        QUEUE,
        "with an explicit deny in an identity-based policy",
    )
    result, _ = _permission(line)
    has(result.evidence, "an explicit deny in an identity-based policy")
    has(result.next_steps, "list-role-policies", "a Deny statement in the policies of")
    lacks(result.next_steps, "put-role-policy")
    _accepted(result)


def test_a_resource_in_another_account_needs_its_own_policy_too() -> None:
    topic = f"arn:aws:sns:{REGION}:{OTHER}:alerts"
    line = _denial(
        "Subscribe",
        "AuthorizationError",
        "SNS:Subscribe",
        topic,
        "because no resource-based policy allows the SNS:Subscribe action",
    )
    result, _ = _permission(line)
    has(result.evidence, f"cross-account: the principal is in account {ACCOUNT}", OTHER)
    has(result.next_steps, f"aws sns get-topic-attributes --topic-arn {topic}")
    # Both sides must allow it: the role's policy and the topic's.
    has(result.next_steps, "put-role-policy", f"allowing account {ACCOUNT} sns:Subscribe")
    _accepted(result)


def test_a_function_in_another_account_gets_the_permission_its_owner_adds() -> None:
    function = f"arn:aws:lambda:eu-west-1:{OTHER}:function:pricing"
    line = _denial(
        "Invoke", "AccessDeniedException", "lambda:InvokeFunction", function, ""
    ).replace(" \nTraceback", "\nTraceback")
    result, _ = _permission(line)
    has(
        result.next_steps,
        f"aws lambda get-policy --function-name {function} --region eu-west-1",
        f"aws lambda add-permission --function-name {function}",
        f"--principal {ACCOUNT}",
    )
    _accepted(result)


def test_a_resource_in_the_principal_s_own_account_is_not_called_cross_account() -> None:
    line = _denial(
        "SendMessage",
        "AccessDenied",
        "sqs:sendmessage",
        QUEUE,
        "because no identity-based policy allows the sqs:sendmessage action",
    )
    result, _ = _permission(line)
    lacks(result.evidence, "cross-account")


@pytest.mark.parametrize(
    ("action", "resource", "read"),
    [
        ("s3:GetObject", "arn:aws:s3:::invoices/2026/12/a.pdf", "aws s3api get-bucket-policy"),
        ("kms:Decrypt", KEY, "aws kms get-key-policy"),
        ("sqs:SendMessage", QUEUE, "--queue-url https://sqs.eu-west-1.amazonaws.com/"),
        ("sns:Publish", f"arn:aws:sns:{REGION}:{OTHER}:alerts", "aws sns get-topic-attributes"),
        (
            "secretsmanager:GetSecretValue",
            f"arn:aws:secretsmanager:{REGION}:{OTHER}:secret:prod/db-AbCdEf",
            "aws secretsmanager get-resource-policy",
        ),
        (
            "dynamodb:GetItem",
            f"arn:aws:dynamodb:{REGION}:{OTHER}:table/orders/index/by-customer",
            f"--resource-arn arn:aws:dynamodb:{REGION}:{OTHER}:table/orders",
        ),
        (
            "ecr:BatchGetImage",
            f"arn:aws:ecr:{REGION}:{OTHER}:repository/base/python",
            f"--repository-name base/python --registry-id {OTHER}",
        ),
        (
            "events:PutEvents",
            f"arn:aws:events:{REGION}:{OTHER}:event-bus/central",
            "aws events describe-event-bus",
        ),
        (
            "kinesis:PutRecord",
            f"arn:aws:kinesis:{REGION}:{OTHER}:stream/clicks",
            "aws kinesis get-resource-policy",
        ),
        (
            "lambda:GetLayerVersion",
            f"arn:aws:lambda:{REGION}:{OTHER}:layer:shared-libs:7",
            "--version-number 7",
        ),
        (
            "es:ESHttpPost",
            f"arn:aws:es:{REGION}:{ACCOUNT}:domain/search/_bulk",
            "--domain-name search --query DomainConfig.AccessPolicies",
        ),
    ],
)
def test_each_kind_of_resource_policy_is_read_with_a_command_aws_accepts(
    action: str, resource: str, read: str
) -> None:
    context = f"because no resource-based policy allows the {action} action"
    result, _ = _permission(_denial("Call", "AccessDeniedException", action, resource, context))
    has(result.next_steps, read)
    _accepted(result)


def test_an_unsigned_request_is_told_to_be_signed_not_granted() -> None:
    # What an OpenSearch domain answers a request sent without a signature, as a Python
    # client raises it (the message is AWS's; the line around it is written here).
    line = (
        '[ERROR] AuthorizationException: AuthorizationException(403, \'{"Message":"User:'
        " anonymous is not authorized to perform: es:ESHttpPost because no resource-based"
        " policy allows the es:ESHttpPost action\"}')"
    )
    result, _ = _permission(line)
    has(result.evidence, "User: anonymous: the request was sent unsigned")
    has(result.next_steps, "sign the requests with the function's credentials (SigV4")
    lacks(result.next_steps, "put-role-policy", "add to the domain's access policy")
    _accepted(result)
