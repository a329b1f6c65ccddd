"""The operations lambdatop may call: read-only by construction.

The client factory refuses any operation not listed here before a request is sent, and the IAM
policy in the README is generated from the same list (`lambdatop.aws.policy` run as a module
prints it), so the two cannot drift apart.
"""

from __future__ import annotations

import json

# botocore service name -> operation names (as botocore spells them) -> IAM action
ALLOWED: dict[str, dict[str, str]] = {
    "lambda": {
        "ListFunctions": "lambda:ListFunctions",
        "GetFunctionConfiguration": "lambda:GetFunctionConfiguration",
        "GetFunctionConcurrency": "lambda:GetFunctionConcurrency",
        "ListEventSourceMappings": "lambda:ListEventSourceMappings",
        "GetAccountSettings": "lambda:GetAccountSettings",
    },
    "logs": {
        "FilterLogEvents": "logs:FilterLogEvents",
        "DescribeLogStreams": "logs:DescribeLogStreams",
        # The source accounts' log groups, in a monitoring account (`--linked-accounts`).
        "DescribeLogGroups": "logs:DescribeLogGroups",
        # Read-only: it streams a group's events (opt-in, `--live-tail`; billed per minute).
        "StartLiveTail": "logs:StartLiveTail",
        # Logs Insights (`lambdatop.aws.insights`): a query reads the logs, and StopQuery ends
        # only lambdatop's own abandoned query (freeing one of the account's concurrent
        # queries); neither changes a log, a group or a setting.
        "StartQuery": "logs:StartQuery",
        "GetQueryResults": "logs:GetQueryResults",
        "StopQuery": "logs:StopQuery",
    },
    "cloudwatch": {
        "GetMetricData": "cloudwatch:GetMetricData",
    },
    "xray": {
        "GetTraceSummaries": "xray:GetTraceSummaries",
        "BatchGetTraces": "xray:BatchGetTraces",
    },
    "apigateway": {
        "GetRestApis": "apigateway:GET",
        "GetResources": "apigateway:GET",
    },
    "apigatewayv2": {
        "GetApis": "apigateway:GET",
        "GetIntegrations": "apigateway:GET",
    },
    "sts": {
        "GetCallerIdentity": "sts:GetCallerIdentity",
    },
    # In a monitoring account (`--linked-accounts`): which source accounts' links share their
    # X-Ray traces (Observability Access Manager; reads the sink's links, changes nothing).
    "oam": {
        "ListSinks": "oam:ListSinks",
        "ListAttachedLinks": "oam:ListAttachedLinks",
    },
}


def is_allowed(service: str, operation: str) -> bool:
    return operation in ALLOWED.get(service, {})


def iam_actions() -> list[str]:
    """Every IAM action the allow-list needs, sorted (sts:GetCallerIdentity needs none)."""
    actions = {
        action
        for operations in ALLOWED.values()
        for action in operations.values()
        if action != "sts:GetCallerIdentity"
    }
    return sorted(actions)


def iam_policy() -> dict[str, object]:
    """The least-privilege policy for lambdatop: exactly the allow-list, all read-only."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "LambdatopReadOnly",
                "Effect": "Allow",
                "Action": iam_actions(),
                "Resource": "*",
            }
        ],
    }


if __name__ == "__main__":
    print(json.dumps(iam_policy(), indent=2))
