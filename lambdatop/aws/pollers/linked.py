"""CloudWatch cross-account observability: the source accounts' functions, seen from a
monitoring account (`--linked-accounts`).

A monitoring account reads its source accounts' log groups and metrics, not their Lambda
control plane: ListFunctions lists only the monitoring account's own functions. A source
account's function is therefore known by its log group, `/aws/lambda/NAME` in that account:

- DescribeLogGroups: "If you are using a monitoring account, set this to true
  [includeLinkedAccounts] to have the operation return log groups in the accounts listed in
  accountIdentifiers. If this parameter is set to true and accountIdentifiers contains a null
  value, the operation returns all log groups in the monitoring account and all log groups in
  all source accounts that are linked to the monitoring account."
- Its logs are read by the group's ARN: "If the log group is in a source account and you are
  using a monitoring account, you must use the log group ARN" (FilterLogEvents'
  logGroupIdentifier; `Aws.call` sends a group given by ARN so), the ARN "version [that]
  doesn't include a trailing :*" (`logGroupArn`), as logGroupIdentifier takes it.
- Its metrics by GetMetricData with the query's AccountId: "If you are performing a
  GetMetricData operation in a monitoring account, use this to specify which account to
  retrieve this metric from."

Its configuration (timeout, memory, VPC) is the source account's to read: Lambda's API is not
shared, so those facts are unknown (`FunctionConfig.from_log_group`), never a default. Its X-Ray
traces are readable when the source account's link shares them: "Source accounts share their
observability data with monitoring accounts. Traces are copied from each source account to up
to five monitoring accounts" (X-Ray developer guide, cross-account tracing), for a link whose
ResourceTypes include `AWS::XRay::Trace` (Observability Access Manager: ListSinks, "An account
can have one sink", then ListAttachedLinks of that sink, each link's ARN in its source account).
"""

from __future__ import annotations

import time
from typing import Any

from lambdatop.aws.errors import describe
from lambdatop.aws.pollers.inventory import Paging, pages
from lambdatop.aws.pollers.livetail import log_group_arn
from lambdatop.aws.pollers.metrics import (
    _FLEET_METRICS,
    _FUNCTION_METRICS,
    Batch,
    MetricsPoller,
    Target,
)
from lambdatop.aws.session import Aws
from lambdatop.core.fleet import arn_account, linked_name, split_linked
from lambdatop.core.records import FunctionConfig
from lambdatop.core.sources import ErrorKind

LAMBDA_GROUPS = "/aws/lambda/"
LOG_PAGES = Paging("nextToken", "nextToken")
OAM_PAGES = Paging("NextToken", "NextToken")
TRACES = "AWS::XRay::Trace"
"""The resource type of a link that shares X-Ray traces (OAM CreateLink's ResourceTypes)."""


async def linked_functions(aws: Aws, own_account: str | None) -> list[FunctionConfig]:
    """The source accounts' functions, by their log groups, each named `NAME@ACCOUNT` in its
    context's store (a source account may have a function of the monitoring account's name)."""
    groups = await pages(
        aws,
        "logs",
        "DescribeLogGroups",
        LOG_PAGES,
        "logGroups",
        includeLinkedAccounts=True,
        logGroupNamePrefix=LAMBDA_GROUPS,
    )
    found: list[FunctionConfig] = []
    for group in groups:
        config = _from_group(aws.region, group)
        if config is not None and arn_account(config.arn) != own_account:
            found.append(config)
    return found


def _from_group(region: str, group: dict[str, Any]) -> FunctionConfig | None:
    name = str(group.get("logGroupName") or "")
    arn = str(group.get("logGroupArn") or group.get("arn") or "").removesuffix(":*")
    account = arn_account(arn)
    if not name.startswith(LAMBDA_GROUPS) or account is None:
        return None
    bare = name.removeprefix(LAMBDA_GROUPS)
    partition = arn.split(":")[1]
    return FunctionConfig(
        name=linked_name(bare, account),
        arn=f"arn:{partition}:lambda:{region}:{account}:function:{bare}",
        log_group=arn,
        from_log_group=True,
    )


def linked_config(region: str, name: str, account: str) -> FunctionConfig:
    """A source account's function named by the user (`NAME@ACCOUNT`, or its ARN): what its
    log group's ARN says, as `linked_functions` lists it."""
    group = log_group_arn(region, account, f"{LAMBDA_GROUPS}{name}")
    config = _from_group(region, {"logGroupName": f"{LAMBDA_GROUPS}{name}", "logGroupArn": group})
    assert config is not None  # the group is made above in the shape `_from_group` reads
    return config


async def source_function(aws: Aws, function: str) -> FunctionConfig | None:
    """`NAME@ACCOUNT` of a source account, as this monitoring account sees it (its log group's
    configuration); None for a function of the credentials' own account, read whole."""
    bare, account = split_linked(function)
    if account is None:
        return None
    identity = await aws.call("sts", "GetCallerIdentity")
    if str(identity.get("Account") or "") == account:
        return None
    return linked_config(aws.region, bare, account)


NOT_SHARED = (
    "no log group of {function} is shared with these credentials ({group}): account {account}"
    " is neither theirs nor a source account linked to theirs, or {name} never logged"
)
"""A source account's function whose log group this account cannot read: that account is not
linked to this monitoring account (or this is none), or the function never logged."""


def not_shared(function: str, group: str) -> str:
    name, account = split_linked(function)
    return NOT_SHARED.format(function=function, group=group, account=account, name=name)


class NotShared(LookupError):
    """`NAME@ACCOUNT` names neither the credentials' own account nor a linked source account's
    function whose log group is shared: one line for the user."""


async def opened_name(aws: Aws, function: str) -> str:
    """The name the monitor opens `NAME@ACCOUNT` by, as `diagnose` reads it: the credentials'
    own account's function by its bare name (read whole: configuration, logs by name, metrics
    without an AccountId); a source account's as it is, once its log group is found shared
    (FilterLogEvents by the group's ARN, as the log tail reads it, over its last minute: an
    empty answer is a group that exists). Raises NotShared, or what botocore raises."""
    source = await source_function(aws, function)
    if source is None:
        return split_linked(function)[0]
    group = source.effective_log_group
    now_ms = int(time.time() * 1000)
    try:
        # FilterLogEvents: "If the log group is in a source account and you are using a
        # monitoring account, you must specify the ARN"; a group it cannot see is
        # ResourceNotFoundException. (moto's DescribeLogStreams ignores the identifier.)
        await aws.call(
            "logs", "FilterLogEvents", logGroupName=group, startTime=now_ms - 60_000, limit=1
        )
    except Exception as error:
        if describe(error).kind is ErrorKind.MISSING:
            raise NotShared(not_shared(function, group)) from None
        raise
    return function


CONFIGURATION_UNREADABLE = (
    "{name} is a source account's function: its configuration (timeout, memory, VPC, event"
    " sources) is not readable from the monitoring account, and the checks that need it say"
    " unknown"
)


def traces_unshared(account: str, sharing: set[str] | None) -> str | None:
    """Why a source account's traces are not read, or None when its link shares them."""
    if sharing is None:
        return (
            f"X-Ray: whether account {account} shares its traces is not known (the monitoring"
            " account's links are not readable: oam:ListSinks, oam:ListAttachedLinks)"
        )
    if account not in sharing:
        return (
            f"X-Ray: account {account}'s link does not share its traces with this monitoring"
            " account (resource type AWS::XRay::Trace)"
        )
    return None


async def trace_sharing_accounts(aws: Aws) -> set[str] | None:
    """The source accounts whose link to this monitoring account shares X-Ray traces; None when
    that cannot be known (no sink: not a monitoring account; Observability Access Manager not
    readable, e.g. without oam:ListSinks, or an emulator without it)."""
    try:
        sinks = await pages(aws, "oam", "ListSinks", OAM_PAGES, "Items")
        if not sinks:
            return None
        links = await pages(
            aws,
            "oam",
            "ListAttachedLinks",
            OAM_PAGES,
            "Items",
            SinkIdentifier=str(sinks[0].get("Arn") or ""),
        )
    except Exception as error:
        if describe(error).kind.cuts_off_aws or describe(error).kind is ErrorKind.THROTTLED:
            raise
        return None
    return {
        account
        for link in links
        if TRACES in (link.get("ResourceTypes") or ())
        and (account := arn_account(str(link.get("LinkArn") or ""))) is not None
    }


class LinkedMetricsPoller(MetricsPoller):
    """The source accounts' functions' series: each query names its account (AccountId) and
    the function by its bare name; the monitoring account's own are the main poller's."""

    def watched_queries(self) -> tuple[Batch, Batch]:
        return self._queries(self.watched, list(_FUNCTION_METRICS)), Batch()

    def fleet_queries(self) -> Batch:
        return self._queries(set(self.store.inventory) - self.watched, list(_FLEET_METRICS))

    def _queries(self, names: set[str], keys: list[str]) -> Batch:
        batch = Batch()
        for name in sorted(names):
            bare, account = split_linked(name)
            if account is None:
                continue
            dims = [{"Name": "FunctionName", "Value": bare}]
            for key in keys:
                metric, stat = _FUNCTION_METRICS[key]
                batch.add(Target("function", name, key), "AWS/Lambda", metric, stat, dims)
                batch.queries[-1]["AccountId"] = account
        return batch
