"""Every suggestion in every report the test corpora produce (test_advice's reports: the real-log
samples, the simulated account's incidents, and a golden recording's evidences when one is on
this machine) checked for what a person pasting it would meet (tests/reallogs/pasteable.py):
a --query reading a field the answer lacks, a Logs Insights query Insights refuses or whose
fields no Lambda log has, a line bash or zsh rewrites, a value other than the evidence's."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from advice import split_command
from pasteable import (
    Known,
    problems_of_arn,
    problems_of_command_query,
    problems_of_insights,
    problems_of_policy_resources,
    problems_of_query,
    problems_of_shell,
    problems_of_values,
)
from test_advice import Report, _quoted, reports

from lambdatop.core.sanitize import one_line
from lambdatop.diagnose.evidence import Evidence
from lambdatop.diagnose.format import told
from lambdatop.diagnose.model import CheckStatus

_BACKTICKED = re.compile(r"`([^`]+)`")
_LAMBDA_OPERATION = re.compile(r"(?:aws lambda )?(?P<op>[a-z]+(?:-[a-z]+)+) (?P<rest>--.*)")


def _steps() -> Iterator[tuple[Report, str, str, bool]]:
    """(report, check, text, is a command) of every step of every report."""
    for report in reports():
        for check in report.checks:
            for step in check.steps:
                yield report, check.id, step.text, step.command


def _gather(found: dict[tuple[str, str], list[str]], check: str, problem: str, where: str) -> None:
    found.setdefault((check, problem[:90]), []).append(where)


def _say(found: dict[tuple[str, str], list[str]]) -> str:
    return "\n".join(f"{key}: {len(names)}× e.g. {names[0]}" for key, names in found.items())


def _prose_commands(text: str) -> list[str]:
    """Commands a step's prose quotes in backticks (`get-function-configuration --query
    Layers`), as the Lambda CLI command they stand for."""
    found = []
    for fragment in _BACKTICKED.findall(text):
        match = _LAMBDA_OPERATION.fullmatch(fragment)
        if match:
            found.append(f"aws lambda {match['op']} {match['rest']}")
    return found


def test_every_query_reads_fields_the_answer_has() -> None:
    wrong: dict[tuple[str, str], list[str]] = {}
    queried = 0
    for report, check, text, command in _steps():
        for line in ([text] if command else []) + _prose_commands(text):
            queried += "--query " in line
            for problem in problems_of_command_query(line):
                _gather(wrong, check, problem, f"{report.name}: {line}")
    assert queried > 100
    assert not wrong, _say(wrong)


def _json_logs(report: Report) -> bool:
    return report.evidence is not None and report.evidence.json_logs


def test_every_insights_query_is_one_insights_runs_on_fields_lambda_logs() -> None:
    wrong: dict[tuple[str, str], list[str]] = {}
    queries = 0
    for report, check, text, command in _steps():
        found = []
        if command and " start-query " in text:
            found.append(split_command(text).options["--query-string"][0])
        found += [q for q in _BACKTICKED.findall(text) if re.match(r"(fields|filter|stats) ", q)]
        for query in found:
            queries += 1
            for problem in problems_of_insights(query, json_logs=_json_logs(report)):
                _gather(wrong, check, problem, report.name)
    assert queries > 300
    assert not wrong, _say(wrong)


def test_every_command_survives_a_paste_into_bash_and_zsh() -> None:
    wrong: dict[tuple[str, str], list[str]] = {}
    for report, check, text, command in _steps():
        if command:
            for problem in problems_of_shell(text):
                _gather(wrong, check, problem, f"{report.name}: {text}")
    assert not wrong, _say(wrong)


def _known(ev: Evidence, lines: list[str]) -> Known:
    account = None
    for arn in (ev.source_arn, ev.role_arn, ev.config.arn if ev.config else None):
        if arn and arn.count(":") >= 5 and arn.split(":")[4].isdigit():
            account = arn.split(":")[4]
            break
    function = ev.function
    mappings = ev.event_sources or []
    queues = [m.source_arn for m in mappings if m.service == "sqs"]
    groups = ev.config.vpc.security_group_ids if ev.config and ev.config.vpc else ()
    # START's `Version: 12`: the published version the window's invocations ran
    versions = {inv.version for inv in ev.invocations if inv.version and inv.version.isdigit()}
    if any(inv.version == "$LATEST" for inv in ev.invocations):
        versions.add("$LATEST")
    return Known(
        function=function,
        region=ev.region,
        log_group=ev.log_group if function or ev.log_group_name else None,
        window=ev.start_ms is not None and ev.end_ms is not None,
        role=ev.role_arn,
        account=account,
        mapping=mappings[0].uuid if len(mappings) == 1 else None,
        queue=queues[0] if len(queues) == 1 else None,
        security_groups=" ".join(groups) or None,
        qualifier=next(iter(versions))
        if len(versions) == 1 and "$LATEST" not in versions
        else None,
        lines="\n".join(lines),
    )


def test_every_command_names_what_the_evidence_knows() -> None:
    wrong: dict[tuple[str, str], list[str]] = {}
    checked = 0
    for report, check, text, command in _steps():
        if command and report.evidence is not None:
            checked += 1
            for problem in problems_of_values(text, _known(report.evidence, report.lines)):
                _gather(wrong, check, problem, f"{report.name}: {text}")
    assert checked > 1000
    assert not wrong, _say(wrong)


def test_every_policy_names_resources_its_grant_can_match() -> None:
    wrong: dict[tuple[str, str], list[str]] = {}
    policies = 0
    for report, check, text, command in _steps():
        if command and "--policy-document" in text:
            policies += 1
            document = split_command(text).options["--policy-document"][0]
            for problem in problems_of_policy_resources(document):
                _gather(wrong, check, problem, f"{report.name}: {text}")
    assert policies >= 5
    assert not wrong, _say(wrong)


_LIKE = re.compile(r"filter @message like /((?:\\.|[^/\\])*)/")


def test_every_insights_search_finds_a_line_the_evidence_quotes() -> None:
    """A check whose `filter @message like /.../` queries find none of the lines it quotes
    sends the engineer looking at nothing (as a filter pattern would: test_advice)."""
    wrong: dict[tuple[str, str], list[str]] = {}
    tried = 0
    for report in reports():
        for check in report.checks:
            quoted = _quoted(check)
            if check.status not in (CheckStatus.WARN, CheckStatus.FAIL) or not quoted:
                continue
            whole = [
                line
                for line in report.lines
                if any(one_line(told(line)).startswith(q) for q in quoted)
            ]
            searches = [
                like.group(1)
                for step in check.steps
                if step.command and " start-query " in step.text
                for like in [_LIKE.search(split_command(step.text).options["--query-string"][0])]
                if like is not None
            ]
            if not searches:
                continue
            tried += 1
            # One of the check's searches finds one of the lines it quotes.
            if not any(
                re.search(search.replace("(?<", "(?P<"), line)
                for search in searches
                for line in whole or quoted
            ):
                _gather(wrong, check.id, f"{searches} find no line quoted", report.name)
    assert tried > 50
    assert not wrong, _say(wrong)


# --- the checkers themselves ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("service", "operation", "expression", "says"),
    [
        ("iam", "get-role", "Role.PermissionsBoundary", None),
        ("iam", "get-role", "Role.PermissionBoundary", "no field 'PermissionBoundary'"),
        ("lambda", "get-function", "Configuration.Layers", None),
        ("lambda", "get-function", "Layers", "no field 'Layers'"),
        ("lambda", "get-function-configuration", "Layers[].Arn", None),
        ("lambda", "get-function-configuration", "Layers.Arn", "of a list is null"),
        (
            "lambda",
            "list-event-source-mappings",
            "EventSourceMappings[].FunctionResponseTypes",
            None,
        ),
        ("lambda", "list-event-source-mappings", "EventSourceMappings[].ResponseTypes", "no field"),
        ("lambda", "get-function-configuration", "keys(Environment.Variables)", None),
        ("lambda", "get-function-configuration", "{Size: MemorySize, T: Timout}", "'Timout'"),
        ("ec2", "describe-subnets", "Subnets[?MapPublicIpOnLaunch].SubnetId", None),
        ("ec2", "describe-subnets", "Subnets[].[SubnetId,AvailableIps]", "'AvailableIps'"),
        ("sns", "get-topic-attributes", "Attributes.Policy", None),
        ("lambda", "get-function", "Configuration.[", "no JMESPath"),
    ],
)
def test_the_query_checker_finds_fields_the_answer_lacks(
    service: str, operation: str, expression: str, says: str | None
) -> None:
    problems = problems_of_query(service, operation, expression)
    if says is None:
        assert problems == []
    else:
        assert any(says in problem for problem in problems), problems


@pytest.mark.parametrize(
    ("query", "json_logs", "says"),
    [
        (
            'fields @timestamp, @initDuration | filter @type = "REPORT"'
            " | stats count(@initDuration) as cold, count(*) as total by bin(5m)",
            False,
            None,
        ),
        (
            'filter @type = "REPORT" # cold starts\n| stats max(@initDuration) by bin(1h)',
            False,
            None,
        ),
        ("fields @timestamp, @message | sort @timestamp desc | limit 20", False, None),
        ("fields @timestamp, @message | filter @message like /(?i)(error|fail)/", False, None),
        (
            "parse @message /Restore Duration: (?<restore>[\\d.]+)/"
            " | stats max(restore) by bin(5m)",
            False,
            None,
        ),
        ("fields @maxMemoryUsed/1000000 as usedMB | stats max(usedMB)", False, None),
        ("fields @maxMemoryUsed/1024/1024 as usedMB", False, "divide by 1000000"),
        ("fields @maxMemoryUsed as usedMB", False, "not 1"),
        ("fields @timestamp, @maxMemory", False, "@maxMemory is no field"),
        ("fields @timestamp | filter restore > 0", False, "restore is no field"),
        ("stats count() by bin(5m) | sort @timestamp desc", False, "not among stats' results"),
        ("stats count() as n by bin(5m) | sort n desc", False, None),
        ("fields @timestamp | filter @message like /(unclosed/", False, "regular expression"),
        ("fields @timestamp | filer @message like /x/", False, "no command 'filer'"),
        ("fields @timestamp | limit 0", False, "limit takes"),
        ("stats count(*) by bin(five)", False, "bin() takes a period"),
        ("stats pct(@duration) by bin(5m)", False, "pct() takes"),
        ("fields @timestamp, @message || sort @timestamp", False, "empty command"),
        ('filter type = "platform.report" | stats max(record.metrics.maxMemoryUsedMB)', True, None),
        ('filter @type = "REPORT" | stats max(@maxMemoryUsed)', True, "only in the text"),
        (
            'filter type = "platform.report" | stats max(record.metrics.maxMemoryUsedMB)',
            False,
            "JSON",
        ),
    ],
)
def test_the_insights_checker_reads_the_query_language(
    query: str, json_logs: bool, says: str | None
) -> None:
    problems = problems_of_insights(query, json_logs)
    if says is None:
        assert problems == []
    else:
        assert any(says in problem for problem in problems), problems


@pytest.mark.parametrize(
    ("line", "says"),
    [
        ("aws lambda get-function --function-name f --query 'Configuration.Layers[].Arn'", None),
        (
            "aws iam simulate-principal-policy --policy-source-arn"
            ' "$(aws iam get-role --role-name r --query Role.Arn --output text)"',
            None,
        ),
        ("aws lambda get-function --function-name f --query Configuration.Layers[].Arn", "'['"),
        ("aws iam get-role --role-name <execution-role>", "'<'"),
        ('aws logs start-query --query-string "filter @message like /fail!/"', "history"),
        ("aws logs start-query --start-time $(date -d '1 hour ago' +%s)", "date -d"),
        ("aws lambda get-function --function-name f # the function", "comment"),
        ("aws lambda get-function --function-name ‘f’", "characters"),
        ("aws lambda get-function --function-name f \\", "trailing backslash"),
        ("aws lambda get-function --function-name 'f", "cannot split"),
        ("aws lambda get-function --function-name {a,b}", "'{'"),
    ],
)
def test_the_shell_checker_finds_what_bash_or_zsh_rewrites(line: str, says: str | None) -> None:
    problems = problems_of_shell(line)
    if says is None:
        assert problems == []
    else:
        assert any(says in problem for problem in problems), problems


@pytest.mark.parametrize(
    ("arn", "says"),
    [
        ("arn:aws:lambda:eu-west-1:123456789012:function:checkout-api", None),
        ("arn:aws:lambda:eu-west-1:123456789012:function:checkout-api:live", None),
        ("arn:aws:iam::123456789012:role/service-role/checkout-api-role", None),
        ("arn:aws:s3:::acme-reports/*", None),
        ("arn:aws:iam:eu-west-1:123456789012:role/r", "name no region"),
        ("arn:aws:lambda:eu-west-1:1234:function:f", "not 12 digits"),
        ("arn:aws:lambda:eu-west-9x:123456789012:function:f", "no region"),
        ("arn:aws:lambda:eu-west-1:123456789012:checkout-api", "no Lambda function"),
        ("arn:amazon:sqs:eu-west-1:123456789012:q", "no partition"),
        ("arn:aws:s3:eu-west-1:123456789012:bucket", "name no region"),
    ],
)
def test_the_arn_checker_reads_each_service_s_arns(arn: str, says: str | None) -> None:
    problems = problems_of_arn(arn)
    if says is None:
        assert problems == []
    else:
        assert any(says in problem for problem in problems), problems


def test_the_value_checker_finds_placeholders_and_other_values_than_the_evidence_s() -> None:
    known = Known(
        function="checkout-api",
        region="eu-west-1",
        log_group="/aws/lambda/checkout-api",
        window=True,
        role="arn:aws:iam::123456789012:role/checkout-api-role",
        account="123456789012",
    )
    good = (
        "aws logs filter-log-events --log-group-name /aws/lambda/checkout-api"
        " --filter-pattern ERROR --region eu-west-1"
    )
    assert problems_of_values(good, known) == []
    assert problems_of_values(good.replace("checkout-api --filter", "orders --filter"), known)
    assert problems_of_values(good.replace("eu-west-1", "eu-wets-1"), known)
    assert problems_of_values(
        "aws lambda get-function --function-name '<function>' --region eu-west-1", known
    )
    assert problems_of_values("aws lambda get-policy --function-name orders", known)
    assert (
        problems_of_values(
            "aws lambda get-policy --function-name"
            " arn:aws:lambda:eu-west-1:123456789012:function:checkout-api:live",
            known,
        )
        == []
    )
