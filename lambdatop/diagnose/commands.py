"""The guide's investigation commands, filled in for one function, region and time window.

Every command here only reads. The fixes a check suggests (`update-function-configuration`) are
for the user to run after reading them; lambdatop itself never changes an account.
"""

from __future__ import annotations

import json
import math
import re
import shlex
import time
from collections.abc import Iterable

from lambdatop.core.timeutil import iso
from lambdatop.diagnose.evidence import Evidence
from lambdatop.diagnose.model import Step


def _q(value: str) -> str:
    return shlex.quote(value)


class Commands:
    """Command lines for one function's evidence."""

    def __init__(self, evidence: Evidence) -> None:
        self.function = evidence.function or "<function>"
        self.source_arn = evidence.source_arn
        self.region = evidence.region
        self.log_group = evidence.log_group
        self.start_ms, self.end_ms = _window(evidence)
        self.json_logs = evidence.json_logs
        self.role_arn = evidence.role_arn
        self.role = self.role_arn.rsplit("/", 1)[-1] if self.role_arn else None
        self.role_from_config = evidence.config is not None and bool(evidence.config.role_arn)
        self.qualifier = _published_version(evidence)

    @property
    def fn(self) -> str:
        """The function as Lambda's --function-name takes it, a shell word (a name read from a
        log group is not trusted): a source account's by its ARN, for that account's profile."""
        return _q(self.source_arn or self.function)

    # --- pieces ---

    def _region(self) -> str:
        return f" --region {_q(self.region)}" if self.region else ""

    def region_option(self) -> str:
        """` --region R` for a command built elsewhere, or nothing."""
        return self._region()

    def _ms_window(self) -> str:
        parts = ""
        if self.start_ms is not None:
            parts += f" --start-time {self.start_ms}"
        if self.end_ms is not None:
            parts += f" --end-time {self.end_ms}"
        return parts

    def _iso_window(self, period_s: int) -> str:
        """The window in ISO-8601, out to whole periods: a data point stands at the start of
        its period, and a window inside one period holds none."""
        step = period_s * 1000
        start_ms = None if self.start_ms is None else self.start_ms - self.start_ms % step
        end_ms = None if self.end_ms is None else -(-self.end_ms // step) * step
        start, end = iso(start_ms), iso(end_ms)
        if start is None or end is None:
            return " --start-time '<start>' --end-time '<end>'"
        return f" --start-time {start} --end-time {end}"

    def _seconds_window(self) -> str:
        if self.start_ms is None or self.end_ms is None:
            return " --start-time '<epoch-seconds>' --end-time '<epoch-seconds>'"
        return f" --start-time {self.start_ms // 1000} --end-time {_seconds_up(self.end_ms)}"

    # --- logs ---

    def _group(self, by_arn: str) -> str:
        """The log group option: by name, or a source account's group, read from a monitoring
        account, by its ARN ("If the log group is in a source account and you are using a
        monitoring account, you must use the log group ARN")."""
        option = by_arn if self.log_group.startswith("arn:") else "--log-group-name"
        return f"{option} {_q(self.log_group)}"

    def filter_logs(self, pattern: str) -> Step:
        return Step(
            f"aws logs filter-log-events {self._group('--log-group-identifier')}"
            f" --filter-pattern {_q(pattern)}{self._ms_window()}{self._region()}",
            command=True,
        )

    def filter_reports(self, text: str, json: str, quoted: Iterable[str] = ()) -> Step:
        """A search of the REPORT lines: `text` for the text log format, `json` (a JSON
        filter pattern on `platform.report` events) for the JSON one. With lines quoted
        beside it, the form they are in decides: a search that finds none of them misleads."""
        # A JSON line that is no platform event (a runtime's `{"errorType": ...}` record,
        # written in either format) says nothing of the form REPORT lines are in.
        forms = {is_platform_event(line) for line in quoted if not _json_record(line)}
        as_json = forms == {True} if forms else self.json_logs
        return self.filter_logs(json if as_json else text)

    def insights_reports(self, text: str, json: str) -> Step:
        """A Logs Insights query of the REPORT fields: `@initDuration`, `@maxMemoryUsed`...
        exist only for the text format; JSON `platform.report` events hold `record.metrics`."""
        return self.insights(json if self.json_logs else text)

    def insights(self, query: str) -> Step:
        return Step(
            f"aws logs start-query {self._group('--log-group-identifiers')}"
            f"{self._seconds_window()} --query-string {_q(query)}{self._region()}",
            command=True,
        )

    # --- metrics ---

    def metric(
        self,
        metric: str,
        statistics: Iterable[str],
        namespace: str = "AWS/Lambda",
        dimension: str | None = None,
        period: int = 60,
    ) -> Step:
        dimension = dimension or f"Name=FunctionName,Value={self.function}"
        if self.source_arn:
            return self._source_metric(metric, statistics, namespace, dimension, period)
        # GetMetricStatistics takes statistics or percentiles, never both in one call: with a
        # percentile asked for, the maximum is asked as p100 and the rest is left out.
        wanted = list(statistics)
        extended = [s for s in wanted if s.startswith("p")]
        if extended:
            extended += ["p100"] if "Maximum" in wanted else []
            stats = f" --extended-statistics {' '.join(extended)}"
        else:
            stats = f" --statistics {' '.join(wanted)}"
        period = self._period(period)
        return Step(
            f"aws cloudwatch get-metric-statistics --namespace {namespace}"
            f" --metric-name {metric} --dimensions {_q(dimension)}{self._iso_window(period)}"
            f" --period {period}{stats}{self._region()}",
            command=True,
        )

    def _source_metric(
        self, metric: str, statistics: Iterable[str], namespace: str, dimension: str, period: int
    ) -> Step:
        """A source account's metric, read from the monitoring account: GetMetricStatistics
        has no account to name, GetMetricData's query has: "AccountId: The ID of the account
        where the metrics are located. If you are performing a GetMetricData operation in a
        monitoring account, use this to specify which account to retrieve this metric from"
        (MetricDataQuery). One query a statistic (percentiles included)."""
        account = (self.source_arn or "").split(":")[4]
        dimensions = [
            {"Name": name, "Value": value}
            for name, value in re.findall(r"Name=([^,\s]+),Value=([^\s]+)", dimension)
        ]
        period = self._period(period)
        queries = [
            {
                "Id": f"m{i}",
                "AccountId": account,
                "MetricStat": {
                    "Metric": {
                        "Namespace": namespace,
                        "MetricName": metric,
                        "Dimensions": dimensions,
                    },
                    "Period": period,
                    "Stat": stat,
                },
            }
            for i, stat in enumerate(statistics)
        ]
        return Step(
            "aws cloudwatch get-metric-data --metric-data-queries"
            f" {_q(json.dumps(queries, separators=(',', ':')))}{self._iso_window(period)}"
            f"{self._region()}",
            command=True,
        )

    def _period(self, wanted: int) -> int:
        """A period CloudWatch accepts for the window: at most 1,440 data points a call, and
        the coarser periods it keeps older data at (5 min past 15 days, 1 h past 63)."""
        if self.start_ms is None or self.end_ms is None:
            return wanted
        period = max(wanted, math.ceil((self.end_ms - self.start_ms) / 1000 / 1440 / 60) * 60)
        age_days = (time.time() * 1000 - self.start_ms) / 86_400_000
        step = 3600 if age_days > 63 else 300 if age_days > 15 else 60
        return math.ceil(period / step) * step

    # --- configuration ---

    def _qualifier(self) -> str:
        """` --qualifier N` when the window's invocations all ran published version N: its
        settings are "version-specific" (GetFunctionConfiguration), and without a qualifier
        the answer is $LATEST's, which may not be what ran."""
        return f" --qualifier {_q(self.qualifier)}" if self.qualifier else ""

    def function_config(self, query: str | None = None) -> Step:
        tail = f" --query {_q(query)}" if query else ""
        return Step(
            f"aws lambda get-function-configuration --function-name {self.fn}"
            f"{self._qualifier()}{tail}{self._region()}",
            command=True,
        )

    def lambda_call(self, operation: str, extra: str, changes: bool = False) -> Step:
        return Step(f"aws lambda {operation}{extra}{self._region()}", command=True, changes=changes)

    def lambda_function(self, operation: str, extra: str = "", changes: bool = False) -> Step:
        """`aws lambda <operation> --function-name <this function> ...`."""
        return self.lambda_call(operation, f" --function-name {self.fn}{extra}", changes)

    def reserve_concurrency(self, executions: int) -> Step:
        """A fix for the user to apply: the function's reserved concurrency."""
        return self.lambda_function(
            "put-function-concurrency",
            f" --reserved-concurrent-executions {executions}",
            changes=True,
        )

    def allow(self, statements: list[dict[str, str]]) -> Step:
        """A fix for the user to apply: an inline policy on the execution role."""
        document = json.dumps(
            {"Version": "2012-10-17", "Statement": statements}, separators=(",", ":")
        )
        role = _q(self.role or "<execution-role>")
        # A policy of the same name is replaced: each grant gets its own, named by its actions.
        actions = sorted({s["Action"].replace(":", "-") for s in statements if s.get("Action")})
        name = _POLICY_NAME_UNSAFE.sub("", "-".join(["lambdatop-allow", *actions]))[:128]
        return Step(
            f"aws iam put-role-policy --role-name {role} --policy-name {_q(name)}"
            f" --policy-document {_q(document)}",
            command=True,
            changes=True,
        )

    def role_policies(self) -> list[Step]:
        role = _q(self.role or "<execution-role>")
        return [
            Step(
                f"aws lambda get-function-configuration --function-name {self.fn}"
                f"{self._qualifier()} --query Role{self._region()}",
                command=True,
            ),
            Step(f"aws iam list-attached-role-policies --role-name {role}", command=True),
            Step(f"aws iam list-role-policies --role-name {role}", command=True),
        ]

    def simulate(self, action: str, resource: str | None) -> Step:
        source = _q(self.role_arn or "<execution-role-arn>")
        if self.role and not self.role_from_config:
            # A denial names the role without its path (`/service-role/` for the console's
            # roles): IAM says the whole ARN.
            source = (
                f'"$(aws iam get-role --role-name {_q(self.role)} --query Role.Arn --output text)"'
            )

        resources = f" --resource-arns {_q(resource)}" if resource else ""
        return Step(
            f"aws iam simulate-principal-policy --policy-source-arn {source}"
            f" --action-names {_q(action)}{resources}",
            command=True,
        )

    def permissions_boundary(self, role: str) -> Step:
        return Step(
            f"aws iam get-role --role-name {_q(role)} --query Role.PermissionsBoundary",
            command=True,
        )

    def trust_policy(self, role: str) -> Step:
        return Step(
            f"aws iam get-role --role-name {_q(role)} --query Role.AssumeRolePolicyDocument",
            command=True,
        )

    def organization_policies(self, account: str, kind: str) -> Step:
        """The organization's policies of `kind` (SERVICE_CONTROL_POLICY,
        RESOURCE_CONTROL_POLICY) on an account: readable from its management account only."""
        return Step(
            f"aws organizations list-policies-for-target --target-id {_q(account)} --filter {kind}",
            command=True,
        )

    def endpoint_policies(self, service: str, region: str | None) -> Step:
        """The policies of the VPC endpoints of a service (`com.amazonaws.<region>.<service>`)."""
        where = region or self.region or "<region>"
        return Step(
            "aws ec2 describe-vpc-endpoints --filters"
            f" {_q(f'Name=service-name,Values=com.amazonaws.{where}.{service}')}"
            " --query 'VpcEndpoints[].[VpcEndpointId,PolicyDocument]'"
            + (f" --region {_q(region)}" if region else self._region()),
            command=True,
        )

    def resource_policy(self, arn: str) -> Step | None:
        """The command that reads the resource-based policy of the resource an ARN names, in its
        own region, or None for a kind of resource this does not know."""
        parts = arn.split(":", 5)
        if len(parts) < 6:
            return None
        _, partition, service, region, account, rest = parts
        where = f" --region {_q(region)}" if region else ""
        kind, _, name = rest.partition("/") if "/" in rest else rest.partition(":")
        command = None
        if service == "lambda" and kind == "function":
            command = f"aws lambda get-policy --function-name {_q(arn)}"
        elif service == "lambda" and kind == "layer" and name.count(":") == 1:
            layer, version = name.split(":")
            layer_arn = f"arn:{partition}:lambda:{region}:{account}:layer:{layer}"
            command = (
                f"aws lambda get-layer-version-policy --layer-name {_q(layer_arn)}"
                f" --version-number {_q(version)}"
            )
        elif service == "kms" and kind == "key":
            command = f"aws kms get-key-policy --key-id {_q(arn)} --policy-name default"
        elif service == "sqs" and region and account:
            url = f"https://sqs.{region}.amazonaws.com/{account}/{rest}"
            command = f"aws sqs get-queue-attributes --queue-url {_q(url)} --attribute-names Policy"
        elif service == "sns":
            command = (
                f"aws sns get-topic-attributes --topic-arn {_q(arn)} --query Attributes.Policy"
            )
        elif service == "secretsmanager":
            command = f"aws secretsmanager get-resource-policy --secret-id {_q(arn)}"
        elif service == "dynamodb" and kind == "table":
            # A table's, or its stream's, policy: an index is governed by its table's.
            table = rest.split("/index/", 1)[0]
            command = (
                f"aws dynamodb get-resource-policy --resource-arn"
                f" {_q(f'arn:{partition}:dynamodb:{region}:{account}:{table}')}"
            )
        elif service == "kinesis" and kind == "stream":
            command = f"aws kinesis get-resource-policy --resource-arn {_q(arn)}"
        elif service == "ecr" and kind == "repository":
            command = (
                f"aws ecr get-repository-policy --repository-name {_q(name)}"
                f" --registry-id {_q(account)}"
            )
        elif service == "events" and kind == "event-bus":
            command = f"aws events describe-event-bus --name {_q(arn)} --query Policy"
        elif service == "s3" and rest:
            # S3 answers a bucket of another region with a redirect the CLI follows.
            command = f"aws s3api get-bucket-policy --bucket {_q(rest.split('/', 1)[0])}"
            where = self._region()
        elif service == "es" and kind == "domain":
            command = (
                f"aws opensearch describe-domain-config --domain-name"
                f" {_q(name.split('/', 1)[0])} --query DomainConfig.AccessPolicies"
            )
        return Step(command + where, command=True) if command else None

    def allow_account(self, function_arn: str, action: str, account: str) -> Step:
        """A fix for the owner of a function to apply: its resource-based policy lets another
        account call `action` on it (that account's own policies then decide who may)."""
        statement = _STATEMENT_ID_UNSAFE.sub("", f"lambdatop-{account}-{action.replace(':', '-')}")
        region = function_arn.split(":")[3] if function_arn.count(":") >= 6 else ""
        return Step(
            f"aws lambda add-permission --function-name {_q(function_arn)}"
            f" --statement-id {_q(statement[:100])} --action {_q(action)}"
            f" --principal {_q(account)}" + (f" --region {_q(region)}" if region else ""),
            command=True,
            changes=True,
        )

    def traces(self) -> Step:
        node = f'service("{self.function}")'
        if self.source_arn:  # its node in its own account, as a monitoring account reads it
            account = self.source_arn.split(":")[4]
            kind = "AWS::Lambda::Function"
            node = f'service(id(name: "{self.function}", type: "{kind}", account.id: "{account}"))'
        expression = f"{node} AND (error = true OR fault = true)"
        if self.start_ms is None or self.end_ms is None:
            window = " --start-time '<start>' --end-time '<end>'"
        else:
            window = f" --start-time {self.start_ms // 1000} --end-time {_seconds_up(self.end_ms)}"
        # GetTraceSummaries' TimeRangeType is TraceId (the default: when the trace started),
        # Event or Service; the traces of the window's invocations started in it.
        return Step(
            f"aws xray get-trace-summaries{window} --filter-expression {_q(expression)}"
            f"{self._region()}",
            command=True,
        )

    def trace(self, trace_id: str) -> Step:
        return Step(
            f"aws xray batch-get-traces --trace-ids {_q(trace_id)}{self._region()}", command=True
        )

    def ec2(self, operation: str, extra: str) -> Step:
        return Step(f"aws ec2 {operation}{extra}{self._region()}", command=True)

    def update(self, setting: str) -> Step:
        """A fix for the user to apply (lambdatop never runs it)."""
        return Step(
            f"aws lambda update-function-configuration --function-name {self.fn}"
            f" {setting}{self._region()}",
            command=True,
            changes=True,
        )


_PLATFORM_EVENT = re.compile(r'^\s*\{.*"type"\s*:\s*"platform\.')


def is_platform_event(line: str) -> bool:
    """A JSON-format log's platform event (`platform.report`, `platform.runtimeDone`), whose
    `record` the JSON filter patterns search."""
    return _PLATFORM_EVENT.search(line[:2000]) is not None


def _json_record(line: str) -> bool:
    """A JSON line other than a platform event."""
    return line.lstrip().startswith("{") and not is_platform_event(line)


def _published_version(evidence: Evidence) -> str | None:
    """The one published version every invocation of the window ran (START's `Version: 12`),
    or None: $LATEST, several versions, or none named."""
    versions = {inv.version for inv in evidence.invocations if inv.version}
    if len(versions) != 1:
        return None
    version = versions.pop()
    return version if version.isdigit() else None


_NARROWEST_MS = 60_000
"""The narrowest window a command is given: a metric's data point covers a minute."""


def _window(evidence: Evidence) -> tuple[int | None, int | None]:
    """The evidence's window, widened when it is narrower than a minute (one timestamped
    line, or a few within a second): back by the longest invocation read (a REPORT line is
    written when its invocation ends), and out to whole minutes, so that no command asks for
    an empty or sub-minute span."""
    start, end = evidence.start_ms, evidence.end_ms
    if start is None or end is None or end - start >= _NARROWEST_MS:
        return start, end
    longest = max((inv.duration_ms or 0.0 for inv in evidence.invocations), default=0.0)
    start = min(start, end - math.ceil(longest))
    if end - start < _NARROWEST_MS:
        start -= start % _NARROWEST_MS
        end += _NARROWEST_MS - end % _NARROWEST_MS
    return start, end


def _seconds_up(epoch_ms: int) -> int:
    """A window's end in whole seconds, rounded up: the newest events (often the newest
    failures) stay inside it."""
    return -(-epoch_ms // 1000)


_POLICY_NAME_UNSAFE = re.compile(r"[^\w+=,.@-]")
"""What an IAM policy name may not hold."""
_STATEMENT_ID_UNSAFE = re.compile(r"[^A-Za-z0-9_-]")
"""What a Lambda permission's statement id may not hold (AddPermission: `^[a-zA-Z0-9-_]+$`)."""
