"""Read-only by construction: the allow-list refuses a write before anything is sent, the IAM
policy is the allow-list, and the README shows that policy."""

from __future__ import annotations

import json
import re
from pathlib import Path

import awsseed
import botocore.session
import pytest
from awsfakes import Attempts, hook
from awsmoto import MotoAccount

from lambdatop.aws.errors import ReadOnlyViolation, describe
from lambdatop.aws.policy import ALLOWED, iam_actions, iam_policy, is_allowed
from lambdatop.aws.session import Aws

README = Path(__file__).parents[2] / "README.md"
READ_ONLY_PREFIXES = ("Get", "List", "Describe", "Filter", "BatchGet")
READ_ONLY_STREAMS = {"StartLiveTail", "StartQuery", "StopQuery"}
"""Start nothing but a stream of a log group's events to this client, or a Logs Insights query
that reads the logs; StopQuery ends only such a query: none changes what the account holds."""


def concurrency(moto: MotoAccount, name: str) -> int | None:
    answer = moto.client("lambda").get_function_concurrency(FunctionName=name)
    value = answer.get("ReservedConcurrentExecutions")
    return None if value is None else int(value)


async def test_call_refuses_a_write_before_anything_is_sent(moto: MotoAccount, aws: Aws) -> None:
    awsseed.function(moto, "checkout")
    awsseed.reserve(moto, "checkout", 5)
    attempts = Attempts()
    await hook(aws, "lambda", "before-send", attempts)
    with pytest.raises(ReadOnlyViolation, match="lambda:PutFunctionConcurrency"):
        await aws.call(
            "lambda",
            "PutFunctionConcurrency",
            FunctionName="checkout",
            ReservedConcurrentExecutions=500,
        )
    assert not attempts.counts, "nothing sent"
    assert aws.ledger.total_calls == 0
    assert aws.ledger.attempts == 0
    assert concurrency(moto, "checkout") == 5


async def test_raw_client_refuses_a_write_too(moto: MotoAccount, aws: Aws) -> None:
    awsseed.function(moto, "checkout")
    awsseed.reserve(moto, "checkout", 5)
    client = await aws.client("lambda")
    attempts = Attempts()
    client.meta.events.register("before-send", attempts)
    with pytest.raises(ReadOnlyViolation, match="not a read-only operation"):
        await client.put_function_concurrency(
            FunctionName="checkout", ReservedConcurrentExecutions=500
        )
    with pytest.raises(ReadOnlyViolation):
        await client.delete_function(FunctionName="checkout")
    logs = await aws.client("logs")
    with pytest.raises(ReadOnlyViolation):
        await logs.put_log_events(
            logGroupName="g", logStreamName="s", logEvents=[{"timestamp": 1, "message": "x"}]
        )
    assert not attempts.counts
    assert aws.ledger.attempts == 0
    assert concurrency(moto, "checkout") == 5
    assert moto.client("lambda").get_function(FunctionName="checkout")
    # A refused write is a trouble like any other, never a crash.
    assert describe(ReadOnlyViolation("lambda:DeleteFunction is not a read-only operation")).kind


async def test_read_through_the_same_clients_still_works(moto: MotoAccount, aws: Aws) -> None:
    awsseed.function(moto, "checkout")
    answer = await aws.call("lambda", "GetFunctionConcurrency", FunctionName="checkout")
    assert "ResponseMetadata" in answer
    assert aws.ledger.calls["lambda.GetFunctionConcurrency"] == 1


def test_allow_list_names_real_read_only_operations() -> None:
    session = botocore.session.get_session()
    for service, operations in ALLOWED.items():
        model = session.get_service_model(service)
        for operation in operations:
            assert operation in model.operation_names, f"{service}:{operation} does not exist"
            assert operation.startswith(READ_ONLY_PREFIXES) or operation in READ_ONLY_STREAMS, (
                f"{service}:{operation} may write"
            )
            assert is_allowed(service, operation)
    assert not is_allowed("lambda", "UpdateFunctionConfiguration")
    assert not is_allowed("logs", "DeleteLogGroup")
    assert not is_allowed("s3", "GetObject"), "a service lambdatop does not use"


def test_iam_policy_and_allow_list_list_the_same_actions() -> None:
    policy = iam_policy()
    statements = policy["Statement"]
    assert isinstance(statements, list)
    assert len(statements) == 1
    statement = statements[0]
    assert statement["Effect"] == "Allow"
    assert statement["Resource"] == "*"
    wanted = {
        action
        for operations in ALLOWED.values()
        for action in operations.values()
        if action != "sts:GetCallerIdentity"  # needs no permission
    }
    assert set(statement["Action"]) == wanted
    assert statement["Action"] == sorted(wanted) == iam_actions()
    for action in statement["Action"]:
        service, _, verb = action.partition(":")
        assert service
        assert verb
        assert "*" not in action
        assert verb == "GET" or verb.startswith(READ_ONLY_PREFIXES) or verb in READ_ONLY_STREAMS, (
            f"{action} may write"
        )


def readme_policy() -> object:
    """The ```json block under the heading "Least-privilege IAM policy" (any level)."""
    text = README.read_text(encoding="utf-8")
    heading = re.search(r"^#+\s+Least-privilege IAM policy\s*$", text, re.MULTILINE)
    assert heading, "README.md has no 'Least-privilege IAM policy' heading"
    rest = text[heading.end() :]
    following = re.search(r"^#+\s", rest, re.MULTILINE)
    section = rest[: following.start()] if following else rest
    block = re.search(r"```json\n(.*?)\n```", section, re.DOTALL)
    assert block, "no ```json block under the policy heading"
    return json.loads(block.group(1))


def test_readme_shows_exactly_the_generated_policy() -> None:
    assert readme_policy() == iam_policy()
