"""CloudWatch cross-account observability as AWS documents it, over moto's accounts (moto has no
links between accounts): botocore event hooks on the monitoring account's clients answer
what a monitoring account linked to `sources` would read, from moto's own data of each source
account, fetched as that account (a client signed with its access key, see awscontexts.py).

- DescribeLogGroups: "If you are using a monitoring account, set this to true
  [includeLinkedAccounts] ... and accountIdentifiers contains a null value, the operation
  returns all log groups in the monitoring account and all log groups in all source accounts
  that are linked to the monitoring account." Without it, the monitoring account's alone.
- FilterLogEvents, DescribeLogStreams: "If the log group is in a source account and you are
  using a monitoring account, you must use the log group ARN" (logGroupIdentifier).
- GetMetricData: a query's AccountId is "The ID of the account where the metrics are located".
- Observability Access Manager: ListSinks answers the monitoring account's one sink ("An account
  can have one sink"), ListAttachedLinks one link a source account, its ARN in that account and
  its ResourceTypes: `AWS::XRay::Trace` among them for the accounts in `traces_shared`.
- GetTraceSummaries: "Traces are copied from each source account to up to five monitoring
  accounts", so a monitoring account reads a sharing source account's traces as its own, each
  summary's ServiceIds naming the service and its AccountId. An expression naming a source
  account's node (`service(id(name: "NAME", type: ..., account.id: "ACCOUNT"))`) is
  evaluated here over that account's traces (moto answers 500 to every expression).
"""

from __future__ import annotations

import json
import re
from typing import Any

import boto3
from awsfakes import error, hook, parsed

KEPT = "cross_account_params"
LINK_TYPES = ["AWS::CloudWatch::Metric", "AWS::Logs::LogGroup"]
SOURCE_NODE = re.compile(
    r'service\(id\(name: "(?P<name>[^"]+)", type: "AWS::Lambda(::Function)?",'
    r' account\.id: "(?P<account>\d+)"\)\)'
)


class CrossAccountDouble:
    """The hooks of the module docstring, for one monitoring account and its source accounts."""

    def __init__(
        self,
        url: str,
        region: str,
        monitoring: str,
        sources: dict[str, Any],
        traces_shared: set[str] | None = None,
        groups_page: int = 50,
    ) -> None:
        self.groups_page = groups_page
        """DescribeLogGroups' page: "By default, this operation returns up to 50 log groups"
        (limit: "The maximum number of items returned"), the rest behind its nextToken."""
        self.url = url
        self.region = region
        self.monitoring = monitoring
        self.sources: dict[str, tuple[str, str]] = dict(sources)
        """Each source account's access key (id, secret)."""
        self.traces_shared = set(traces_shared or ())
        """The source accounts whose links share X-Ray traces."""
        self.linked_listings = 0
        self.expressions: list[str] = []
        """The source-account filter expressions GetTraceSummaries was asked."""
        self._clients: dict[tuple[str, str], Any] = {}

    def _as(self, account: str, service: str) -> Any:
        """A client of moto signed as one source account."""
        if (account, service) not in self._clients:
            key_id, secret = self.sources[account]
            self._clients[account, service] = boto3.client(
                service,
                endpoint_url=self.url,
                region_name=self.region,
                aws_access_key_id=key_id,
                aws_secret_access_key=secret,
            )
        return self._clients[account, service]

    async def install(self, aws: Any) -> None:
        for service, operation in (
            ("logs", "DescribeLogGroups"),
            ("logs", "FilterLogEvents"),
            ("logs", "DescribeLogStreams"),
            ("cloudwatch", "GetMetricData"),
        ):
            event = "cloudwatch-logs" if service == "logs" else service
            await hook(aws, service, f"before-parameter-build.{event}.{operation}", _keep)
        await hook(
            aws, "logs", "before-call.cloudwatch-logs.DescribeLogGroups", self.describe_log_groups
        )
        for operation in ("FilterLogEvents", "DescribeLogStreams"):
            await hook(aws, "logs", f"before-call.cloudwatch-logs.{operation}", self.by_arn)
        await hook(aws, "cloudwatch", "before-call.cloudwatch.GetMetricData", self.metric_data)
        await hook(aws, "oam", "before-call.oam.ListSinks", self.sinks)
        await hook(aws, "oam", "before-parameter-build.oam.ListAttachedLinks", _keep)
        await hook(aws, "oam", "before-call.oam.ListAttachedLinks", self.links)
        await hook(aws, "xray", "before-parameter-build.xray.GetTraceSummaries", _keep)
        await hook(aws, "xray", "before-call.xray.GetTraceSummaries", self.trace_summaries)

    def _sink(self) -> str:
        return f"arn:aws:oam:{self.region}:{self.monitoring}:sink/monitoring"

    def sinks(self, **_: Any) -> Any:
        return parsed({"Items": [{"Arn": self._sink(), "Id": "monitoring", "Name": "fleet"}]})

    def links(self, context: Any = None, **_: Any) -> Any:
        params = dict((context or {}).get(KEPT) or {})
        if params.get("SinkIdentifier") != self._sink():
            return error(404, "ResourceNotFoundException", "The sink does not exist.")
        return parsed(
            {
                "Items": [
                    {
                        "Label": account,
                        "LinkArn": f"arn:aws:oam:{self.region}:{account}:link/{account}",
                        "ResourceTypes": LINK_TYPES
                        + (["AWS::XRay::Trace"] if account in self.traces_shared else []),
                    }
                    for account in sorted(self.sources)
                ]
            }
        )

    def trace_summaries(self, context: Any = None, **_: Any) -> Any:
        params = dict((context or {}).get(KEPT) or {})
        expression = str(params.pop("FilterExpression", "") or "")
        node = SOURCE_NODE.search(expression)
        if node is None:
            return None  # the monitoring account's own: moto answers
        self.expressions.append(expression)
        account, name = node.group("account"), node.group("name")
        if account not in self.traces_shared:
            return parsed({"TraceSummaries": []})  # no copies in the monitoring account
        xray = self._as(account, "xray")
        found = []
        for summary in xray.get_trace_summaries(**params)["TraceSummaries"]:
            traces = xray.batch_get_traces(TraceIds=[summary["Id"]])["Traces"]
            segments = [json.loads(s["Document"]) for t in traces for s in t["Segments"]]
            failed = any(s.get("fault") or s.get("error") or s.get("throttle") for s in segments)
            if failed and any(s.get("name") == name for s in segments):
                service = {"Name": name, "Names": [name], "AccountId": account}
                found.append(
                    dict(summary, ServiceIds=[dict(service, Type="AWS::Lambda::Function")])
                )
        return parsed({"TraceSummaries": found})

    def describe_log_groups(self, context: Any = None, **_: Any) -> Any:
        params = dict((context or {}).get(KEPT) or {})
        if not params.pop("includeLinkedAccounts", False):
            return None  # the monitoring account's own: moto answers
        self.linked_listings += 1
        offset = int(params.pop("nextToken", None) or 0)
        size = min(int(params.pop("limit", None) or 50), self.groups_page)
        own = boto3.client(
            "logs",
            endpoint_url=self.url,
            region_name=self.region,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        ).describe_log_groups(**params)["logGroups"]
        linked = [
            group
            for account in self.sources
            for group in self._as(account, "logs").describe_log_groups(**params)["logGroups"]
        ]
        every = own + linked
        answer: dict[str, Any] = {"logGroups": every[offset : offset + size]}
        if offset + size < len(every):
            answer["nextToken"] = str(offset + size)
        return parsed(answer)

    def by_arn(self, model: Any = None, context: Any = None, **_: Any) -> Any:
        params = dict((context or {}).get(KEPT) or {})
        identifier = str(params.get("logGroupIdentifier") or "")
        account = identifier.split(":")[4] if identifier.startswith("arn:") else self.monitoring
        if account == self.monitoring:
            return None
        if account not in self.sources:
            # A before-call hook answers the parsed call: the error as botocore parses one.
            return parsed(
                {
                    "Error": {
                        "Code": "ResourceNotFoundException",
                        "Message": "The specified log group does not exist.",
                    }
                },
                400,
            )
        # The source account's own answer for its group, which it names by name.
        params["logGroupName"] = identifier.split(":log-group:", 1)[1].removesuffix(":*")
        del params["logGroupIdentifier"]
        client = self._as(account, "logs")
        method = getattr(
            client,
            "filter_log_events" if model.name == "FilterLogEvents" else "describe_log_streams",
        )
        return parsed(method(**params))

    def metric_data(self, context: Any = None, **_: Any) -> Any:
        params = dict((context or {}).get(KEPT) or {})
        queries = params.get("MetricDataQueries") or []
        accounts = {q.get("AccountId") for q in queries} - {None, self.monitoring}
        if not accounts:
            return None
        results: list[Any] = []
        for account in sorted(accounts):
            mine = [dict(q) for q in queries if q.get("AccountId") == account]
            for query in mine:
                del query["AccountId"]
            asked = dict(params, MetricDataQueries=mine)
            results += self._as(account, "cloudwatch").get_metric_data(**asked)["MetricDataResults"]
        return parsed({"MetricDataResults": results, "Messages": []})


def _keep(params: dict[str, Any] | None = None, context: Any = None, **_: Any) -> None:
    """`before-parameter-build`: the call's parameters, for the `before-call` answer."""
    if isinstance(context, dict):
        context[KEPT] = dict(params or {})
