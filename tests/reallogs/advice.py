"""Advice that AWS accepts, checked by machine: each suggested AWS CLI command against botocore's
service model, each suggested IAM policy against the actions the services have, each suggested
filter pattern run by a matcher of CloudWatch Logs' filter pattern syntax.

botocore is used here, in the tests only: the diagnosis itself never imports it.
"""

from __future__ import annotations

import fnmatch
import json
import re
import shlex
import time
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from typing import Any

import botocore.session
from botocore import xform_name
from botocore.model import OperationModel, Shape

# The AWS CLI's own options, valid on every command (`aws help`: global options), and those of
# every paginated operation.
_GLOBAL = {
    "--region",
    "--output",
    "--query",
    "--profile",
    "--endpoint-url",
    "--no-paginate",
    "--debug",
    "--no-cli-pager",
    "--cli-binary-format",
    "--color",
}
_PAGING = {"--max-items", "--starting-token", "--page-size"}
_PLACEHOLDER = re.compile(r"<[^<>]+>")
"""A value left for the person to fill in: `<function>`, `<epoch-seconds>`."""
_SUBCOMMAND = re.compile(r"\$\((?P<command>aws [^)]*)\)")

# How long each service keeps what a command would read: CloudWatch metrics 15 months (455
# days) ("Metrics retention", CloudWatch User Guide), X-Ray traces 30 days ("AWS X-Ray ...
# stores trace data for 30 days").
_RETENTION_DAYS = {"cloudwatch": 455, "xray": 30}
# The operations whose window is in epoch seconds (`start-query`), not milliseconds.
_SECONDS = {("logs", "StartQuery")}
_EARLIEST_MS = 1_388_534_400_000  # 2014: before Lambda existed, no log of one


@cache
def _session() -> botocore.session.Session:
    return botocore.session.get_session()


@cache
def _model(service: str) -> Any:
    return _session().get_service_model(service)


@cache
def _operations(service: str) -> dict[str, str]:
    """The CLI's name of each operation (`get-function-configuration`) → the API's."""
    return {xform_name(op, "-"): op for op in _model(service).operation_names}


@dataclass
class Command:
    """One `aws SERVICE OPERATION --option value ...` line, read as the AWS CLI reads it."""

    text: str
    service: str
    operation: str
    options: dict[str, list[str]]


def split_command(text: str) -> Command:
    tokens = shlex.split(text)
    if len(tokens) < 3 or tokens[0] != "aws":
        raise ValueError(f"not an AWS CLI command: {text}")
    options: dict[str, list[str]] = {}
    current: list[str] | None = None
    for token in tokens[3:]:
        if token.startswith("--") and not token[2:3].isdigit():
            if token in options:
                raise ValueError(f"{token} given twice")
            current = options[token] = []
        elif current is None:
            raise ValueError(f"a value before any option: {token!r}")
        else:
            current.append(token)
    return Command(text, _CLI_SERVICES.get(tokens[1], tokens[1]), tokens[2], options)


_CLI_SERVICES = {"s3api": "s3", "configservice": "config"}
"""The AWS CLI's names of services whose botocore model is named otherwise."""


def problems_of_command(text: str, now_ms: int | None = None) -> list[str]:
    """What the AWS CLI or the service would refuse in this command line, or what would come
    back empty (a window of no time, longer than the service keeps, or at no time a Lambda log
    could have been written); none when it is fine. Retention is judged within the window (its
    span), not against today: an old export's window is what it is."""
    now_ms = now_ms if now_ms is not None else int(time.time() * 1000)
    problems = [
        f"in {m['command']}: {p}"
        for m in _SUBCOMMAND.finditer(text)
        for p in problems_of_command(m["command"], now_ms)
    ]
    try:
        command = split_command(text)
    except ValueError as error:
        return [str(error)]
    if command.service not in _session().get_available_services():
        return [f"no service {command.service!r}"]
    operation_name = _operations(command.service).get(command.operation)
    if operation_name is None:
        return [f"no operation {command.service} {command.operation}"]
    operation = _model(command.service).operation_model(operation_name)
    members = operation.input_shape.members if operation.input_shape else {}
    by_option = {f"--{xform_name(name, '-')}": name for name in members}
    paginated = _has_paginator(command.service, operation_name)
    given: dict[str, Any] = {}
    for option, values in command.options.items():
        if option in _GLOBAL or (paginated and option in _PAGING):
            continue
        name = by_option.get(option)
        negated = None
        if name is None and option.startswith("--no-"):
            negated = by_option.get("--" + option[5:])
        if name is None and negated is None:
            problems.append(f"{command.service} {command.operation} has no option {option}")
            continue
        if negated is not None:
            if members[negated].type_name != "boolean" or values:
                problems.append(f"{option}: not a flag")
            given[negated] = False
            continue
        assert name is not None
        value, problem = _value(members[name], values, option)
        if problem:
            problems.append(problem)
        given[name] = value
    for required in operation.input_shape.required_members if operation.input_shape else []:
        if required not in given:
            problems.append(f"{command.service} {command.operation} needs {by_name(required)}")
    problems += _window_problems(command, operation, given, now_ms)
    return problems


def _has_paginator(service: str, operation: str) -> bool:
    try:
        return _session().get_paginator_model(service).get_paginator(operation) is not None
    except Exception:  # noqa: BLE001 - botocore says "no paginator" with several exceptions
        return False


def by_name(member: str) -> str:
    return f"--{xform_name(member, '-')}"


def _value(shape: Shape, values: list[str], option: str) -> tuple[Any, str | None]:
    """The value of an option as its shape reads it, and what is wrong with it, if anything."""
    kind = shape.type_name
    if kind == "boolean":
        return True, (f"{option} takes no value" if values else None)
    if not values:
        return None, f"{option} has no value"
    if kind == "list":
        member = shape.member  # type: ignore[attr-defined]
        items = []
        for value in values:
            item, problem = _value(member, [value], option)
            if problem:
                return None, problem
            items.append(item)
        return items, _bounds(shape, len(items), option, "items")
    if len(values) > 1:
        return None, f"{option} takes one value, got {values}"
    value = values[0]
    if _PLACEHOLDER.fullmatch(value) or value.startswith("$("):
        return None, None  # the person fills it in (or a sub-command does): its kind is unknown
    if kind in ("integer", "long"):
        if not re.fullmatch(r"-?\d+", value):
            return None, f"{option} takes a whole number, not {value!r}"
        number = int(value)
        low, high = shape.metadata.get("min"), shape.metadata.get("max")
        if (low is not None and number < low) or (high is not None and number > high):
            return None, f"{option} {number} outside {low}..{high}"
        return number, None
    if kind in ("double", "float"):
        try:
            return float(value), None
        except ValueError:
            return None, f"{option} takes a number, not {value!r}"
    if kind == "timestamp":
        stamp = _timestamp(value)
        return stamp, (None if stamp is not None else f"{option}: not a time: {value!r}")
    if kind == "structure":
        return _shorthand(value), None
    if kind == "string":
        if shape.enum and value not in shape.enum:
            return None, f"{option} {value!r} is none of {shape.enum}"
        problem = _bounds(shape, len(value), option, "characters")
        pattern = shape.metadata.get("pattern")
        if problem is None and pattern and not _PLACEHOLDER.search(value):
            try:
                if re.fullmatch(pattern, value) is None:
                    problem = f"{option} {value!r} does not fit the pattern {pattern}"
            except re.error:
                pass  # a pattern in a syntax Python does not read: not checked
        return value, problem
    return value, None


def _bounds(shape: Shape, size: int, option: str, what: str) -> str | None:
    low, high = shape.metadata.get("min"), shape.metadata.get("max")
    if (low is not None and size < low) or (high is not None and size > high):
        return f"{option}: {size} {what}, outside {low}..{high}"
    return None


def _shorthand(value: str) -> dict[str, str]:
    """The CLI's shorthand for a structure: `Name=FunctionName,Value=checkout-api`."""
    return dict(part.split("=", 1) for part in value.split(",") if "=" in part)


def _timestamp(value: str) -> int | None:
    """A CLI timestamp (ISO-8601 or epoch seconds) as epoch milliseconds."""
    from datetime import UTC, datetime

    if re.fullmatch(r"\d+(?:\.\d+)?", value):
        return int(float(value) * 1000)
    try:
        stamp = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=UTC)
    return int(stamp.timestamp() * 1000)


def _window_problems(
    command: Command, operation: OperationModel, given: dict[str, Any], now_ms: int
) -> list[str]:
    keys = [
        ("startTime", "endTime"),
        ("StartTime", "EndTime"),
    ]
    for start_key, end_key in keys:
        start, end = given.get(start_key), given.get(end_key)
        if isinstance(start, int) and isinstance(end, int):
            break
    else:
        return []
    scale = 1000 if (command.service, operation.name) in _SECONDS else 1
    start_ms, end_ms = start * scale, end * scale
    problems = []
    if end_ms <= start_ms:
        problems.append(f"an empty window: start {start} is not before end {end}")
    if not _EARLIEST_MS <= start_ms <= now_ms + 86_400_000:
        problems.append(f"the window's start {start} is no time a Lambda log was written")
    period = given.get("Period")
    if isinstance(period, int) and end_ms - start_ms < period * 1000:
        problems.append(f"a window of {end_ms - start_ms} ms holds no {period} s data point")
    days = _RETENTION_DAYS.get(command.service)
    if days is not None and end_ms - start_ms > days * 86_400_000:
        problems.append(f"{command.service} keeps {days} days: the window is longer than that")
    return problems


# --- IAM policies ------------------------------------------------------------------------

# IAM actions whose name is not their API operation's (the Service Authorization Reference
# lists them): lambda:InvokeFunction authorises Invoke; s3:ListBucket, ListObjects(V2).
_ACTION_OPERATIONS = {
    "lambda:InvokeFunction": ("lambda", "Invoke"),
    "s3:ListBucket": ("s3", "ListObjectsV2"),
    "s3:GetObjectVersion": ("s3", "GetObject"),
}
# Actions that authorise no API call of an SDK: connecting to a database with IAM, calling an
# API Gateway API.
_NON_API_ACTIONS = {"rds-db:connect", "execute-api:Invoke", "execute-api:ManageConnections"}


@cache
def _services_by_prefix() -> dict[str, str]:
    """IAM's service prefix (`cloudwatch`, `states`) → botocore's service name."""
    prefixes: dict[str, str] = {}
    for name in _session().get_available_services():
        metadata = _model(name).metadata
        for prefix in (metadata.get("signingName"), metadata.get("endpointPrefix"), name):
            if prefix:
                prefixes.setdefault(prefix, name)
    prefixes.update({"cloudwatch": "cloudwatch", "states": "stepfunctions", "logs": "logs"})
    return prefixes


def problems_of_policy(document: str) -> list[str]:
    try:
        policy = json.loads(document)
    except ValueError as error:
        return [f"not JSON: {error}"]
    if not isinstance(policy, dict) or policy.get("Version") != "2012-10-17":
        return ["no Version 2012-10-17"]
    statements = policy.get("Statement")
    if not isinstance(statements, list) or not statements:
        return ["no Statement list"]
    problems: list[str] = []
    for statement in statements:
        if not isinstance(statement, dict) or statement.get("Effect") not in ("Allow", "Deny"):
            problems.append(f"a statement without Effect Allow or Deny: {statement}")
            continue
        if "Resource" not in statement and "NotResource" not in statement:
            problems.append(f"a statement without a Resource: {statement}")
        actions = statement.get("Action")
        for action in [actions] if isinstance(actions, str) else actions or []:
            problems += _action_problems(action)
    return problems


def _action_problems(action: object) -> list[str]:
    if not isinstance(action, str) or not re.fullmatch(r"[a-z0-9-]+:[A-Za-z0-9*?]+", action):
        return [f"not an IAM action: {action!r}"]
    if action in _NON_API_ACTIONS:
        return []
    if action in _ACTION_OPERATIONS:
        service, operation = _ACTION_OPERATIONS[action]
        return [] if operation in _model(service).operation_names else [f"no {action}"]
    prefix, name = action.split(":", 1)
    service = _services_by_prefix().get(prefix)
    if service is None:
        return [f"no service with the IAM prefix {prefix!r} ({action})"]
    names = _model(service).operation_names
    if any(fnmatch.fnmatchcase(operation, name) for operation in names):
        return []
    return [f"{service} has no operation {name!r} ({action})"]


# --- CloudWatch Logs filter patterns -----------------------------------------------------
# As "Filter pattern syntax for metric filters, subscription filters, filter log events, and
# Live Tail" (CloudWatch Logs User Guide) describes them: terms and "quoted phrases" that must
# all appear (case-sensitive), ?terms of which one must, -terms that must not; JSON patterns
# `{ $.field = "value" }` with = != < <= > >=, `*` wildcards in string values, && || and
# parentheses, which only JSON log events match.


def matches(pattern: str, line: str) -> bool:
    body = pattern.strip()
    if not body or body == '""':
        return True
    if body.startswith("{"):
        return _json_matches(body, line)
    return _terms_match(body, line)


_TERM = re.compile(r'(?P<sign>[?-]?)(?:"(?P<quoted>(?:[^"\\]|\\.)*)"|(?P<bare>[^\s"]+))')


def _terms_match(pattern: str, line: str) -> bool:
    required: list[str] = []
    optional: list[str] = []
    excluded: list[str] = []
    for match in _TERM.finditer(pattern):
        term = match["quoted"] if match["quoted"] is not None else match["bare"]
        term = term.replace('\\"', '"').replace("\\\\", "\\")
        {"?": optional, "-": excluded, "": required}[match["sign"]].append(term)
    if any(term in line for term in excluded):
        return False
    if optional and not any(term in line for term in optional):
        return False
    return all(term in line for term in required)


_JSON_TOKEN = re.compile(
    r"\s*(?:(?P<and>&&)|(?P<or>\|\|)|(?P<open>\()|(?P<close>\))"
    r'|(?P<cmp>\$[\w.\[\]]+\s*(?:!=|<=|>=|=|<|>)\s*(?:"(?:[^"\\]|\\.)*"|[^\s()&|]+)'
    r"|\$[\w.\[\]]+\s+(?:IS\s+(?:TRUE|FALSE|NULL)|NOT\s+EXISTS)))"
)
_COMPARISON = re.compile(
    r'(?P<field>\$[\w.\[\]]+)\s*(?P<op>!=|<=|>=|=|<|>)\s*(?P<value>"(?:[^"\\]|\\.)*"|\S+)'
)


def _json_matches(pattern: str, line: str) -> bool:
    inner = pattern.strip()
    if not (inner.startswith("{") and inner.endswith("}")):
        raise ValueError(f"not a JSON filter pattern: {pattern}")
    try:
        event = json.loads(line)
    except ValueError:
        return False  # a JSON pattern matches JSON log events only
    tokens = list(_tokens(inner[1:-1]))
    result, rest = _expression(tokens, event)
    if rest:
        raise ValueError(f"cannot read the filter pattern past {rest[0]!r}: {pattern}")
    return result


def _tokens(text: str) -> Iterator[tuple[str, str]]:
    position = 0
    while position < len(text):
        if not text[position:].strip():
            return
        match = _JSON_TOKEN.match(text, position)
        if match is None:
            raise ValueError(f"cannot read the filter pattern at {text[position:]!r}")
        kind = match.lastgroup or "cmp"
        yield kind, match.group(kind) if match.group(kind) else match.group(0).strip()
        position = match.end()


def _expression(tokens: list[tuple[str, str]], event: Any) -> tuple[bool, list[tuple[str, str]]]:
    left, tokens = _conjunction(tokens, event)
    while tokens and tokens[0][0] == "or":
        right, tokens = _conjunction(tokens[1:], event)
        left = left or right
    return left, tokens


def _conjunction(tokens: list[tuple[str, str]], event: Any) -> tuple[bool, list[tuple[str, str]]]:
    left, tokens = _atom(tokens, event)
    while tokens and tokens[0][0] == "and":
        right, tokens = _atom(tokens[1:], event)
        left = left and right
    return left, tokens


def _atom(tokens: list[tuple[str, str]], event: Any) -> tuple[bool, list[tuple[str, str]]]:
    if not tokens:
        raise ValueError("a filter pattern ends where a condition was expected")
    kind, text = tokens[0]
    if kind == "open":
        value, rest = _expression(tokens[1:], event)
        if not rest or rest[0][0] != "close":
            raise ValueError("an unclosed parenthesis in a filter pattern")
        return value, rest[1:]
    if kind != "cmp":
        raise ValueError(f"a condition expected, not {text!r}")
    return _condition(text, event), tokens[1:]


_MISSING = object()


def _field(event: Any, path: str) -> Any:
    value = event
    for part in re.findall(r"[^.\[\]]+|\[\d+\]", path.removeprefix("$")):
        if part.startswith("["):
            index = int(part[1:-1])
            value = value[index] if isinstance(value, list) and index < len(value) else _MISSING
        else:
            value = value.get(part, _MISSING) if isinstance(value, dict) else _MISSING
        if value is _MISSING:
            return _MISSING
    return value


def _condition(text: str, event: Any) -> bool:
    special = re.fullmatch(r"(?P<field>\$[\w.\[\]]+)\s+(?P<test>.+)", text)
    if special and special["test"].split()[0] in ("IS", "NOT"):
        value = _field(event, special["field"])
        test = " ".join(special["test"].split())
        return {
            "IS TRUE": value is True,
            "IS FALSE": value is False,
            "IS NULL": value is None,
            "NOT EXISTS": value is _MISSING,
        }[test]
    match = _COMPARISON.fullmatch(text)
    if match is None:
        raise ValueError(f"cannot read the condition {text!r}")
    value = _field(event, match["field"])
    if value is _MISSING:
        return False
    op, wanted = match["op"], match["value"]
    if op in ("=", "!=") and (wanted.startswith('"') or not _is_number(wanted)):
        wanted = json.loads(wanted) if wanted.startswith('"') else wanted
        equal = isinstance(value, str) and fnmatch.fnmatchcase(value, wanted)
        return equal if op == "=" else not equal
    if isinstance(value, bool) or not isinstance(value, int | float) or not _is_number(wanted):
        return False
    number = float(wanted)
    return {
        "=": value == number,
        "!=": value != number,
        "<": value < number,
        "<=": value <= number,
        ">": value > number,
        ">=": value >= number,
    }[op]


def _is_number(text: str) -> bool:
    return re.fullmatch(r"-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?", text) is not None
