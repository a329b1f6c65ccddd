"""Advice a person can paste, checked by machine: the `--query` JMESPath of each suggested AWS CLI
command against the fields its operation answers with (botocore's output shapes), each Logs
Insights query against the query language and the fields Lambda's log groups have, each command
line against what bash and zsh do with it on Linux and macOS, and the values it names (ARNs,
regions, the function, its log group) against what the evidence knows.

botocore and jmespath (which botocore depends on) are used here, in the tests only.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from typing import Any

import jmespath
from advice import _model, _operations, _session, split_command
from botocore.model import Shape

# --- --query: JMESPath against the operation's output shape ------------------------------
# "If you specify a field that doesn't exist, the expression returns null" (AWS CLI User
# Guide, "Filtering AWS CLI output"): a misspelt or misplaced field prints nothing, silently.


@dataclass(frozen=True)
class _List:
    """A list the expression made (a projection, a multi-select)."""

    of: Any


@dataclass(frozen=True)
class _Object:
    """An object the expression made (a multi-select hash)."""

    members: tuple[tuple[str, Any], ...]


_ANY = "any"
"""A value whose shape is not known (a literal, a function's result): not checked further."""
_SCALAR = "scalar"


def _kind(value: Any) -> str:
    if isinstance(value, Shape):
        return {"structure": "object", "list": "list", "map": "map"}.get(value.type_name, "scalar")
    if isinstance(value, _List):
        return "list"
    if isinstance(value, _Object):
        return "object"
    return "any" if value == _ANY else "scalar"


def _element(value: Any) -> Any:
    if isinstance(value, _List):
        return value.of
    if isinstance(value, Shape) and value.type_name == "list":
        return value.member  # type: ignore[attr-defined]
    return _ANY


class _Query:
    def __init__(self, where: str) -> None:
        self.where = where
        self.problems: list[str] = []

    def field(self, value: Any, name: str) -> Any:
        kind = _kind(value)
        if kind == "object":
            members = (
                dict(value.members) if isinstance(value, _Object) else value.members  # type: ignore[union-attr]
            )
            if name not in members:
                known = ", ".join(sorted(members))
                self.problems.append(f"{self.where} has no field {name!r} there (it has {known})")
                return _ANY
            return members[name]
        if kind == "map":
            return value.value  # a map's keys are data: any key may be there
        if kind == "list":
            self.problems.append(f"{name!r} of a list is null: project it with []")
        elif kind == "scalar":
            self.problems.append(f"{name!r} of a {getattr(value, 'type_name', value)} is null")
        return _ANY

    def evaluate(self, node: dict[str, Any], value: Any) -> Any:
        kind, children = node["type"], node.get("children", [])
        if kind == "field":
            return self.field(value, node["value"])
        if kind in ("subexpression", "pipe"):
            return self.evaluate(children[1], self.evaluate(children[0], value))
        if kind in ("projection", "filter_projection"):
            left = self.evaluate(children[0], value)
            if _kind(left) not in ("list", "any"):
                self.problems.append(f"a projection of a non-list in {self.where}")
                return _ANY
            element = _element(left)
            if kind == "filter_projection":
                self.evaluate(children[2], element)
            return _List(self.evaluate(children[1], element))
        if kind == "value_projection":
            left = self.evaluate(children[0], value)
            element = left.value if _kind(left) == "map" else _ANY  # type: ignore[union-attr]
            return _List(self.evaluate(children[1], element))
        if kind == "flatten":
            inner = self.evaluate(children[0], value)
            if _kind(inner) not in ("list", "any"):
                self.problems.append(f"[] of a non-list in {self.where}")
                return _ANY
            element = _element(inner)
            return _List(_element(element)) if _kind(element) == "list" else _List(element)
        if kind == "index_expression":
            return self.evaluate(children[1], self.evaluate(children[0], value))
        if kind == "index":
            if _kind(value) not in ("list", "any"):
                self.problems.append(f"an index of a non-list in {self.where}")
            return _element(value)
        if kind == "slice":
            return value
        if kind == "multi_select_list":
            for child in children:
                self.evaluate(child, value)
            return _List(_ANY)
        if kind == "multi_select_dict":
            return _Object(
                tuple(
                    (pair["value"], self.evaluate(pair["children"][0], value)) for pair in children
                )
            )
        if kind in ("identity", "current"):
            return value
        if kind == "function_expression":
            return self.function(node["value"], children, value)
        for child in children:  # comparators, and/or/not: their operands are read here
            self.evaluate(child, value)
        return _ANY if kind in ("or_expression", "literal") else _SCALAR

    def function(self, name: str, args: list[dict[str, Any]], value: Any) -> Any:
        first = self.evaluate(args[0], value) if args and args[0]["type"] != "expref" else _ANY
        for arg in args[1:]:
            if arg["type"] == "expref":  # `&field`: read of each element of the first argument
                self.evaluate(arg["children"][0], _element(first))
            else:
                self.evaluate(arg, value)
        if name == "keys":
            if _kind(first) not in ("object", "map", "any"):
                self.problems.append(f"keys() of a non-object in {self.where}")
            return _List(_SCALAR)
        if name in ("sort_by", "sort", "reverse"):
            return first
        if name in ("max_by", "min_by"):
            return _element(first)
        return _ANY


def problems_of_query(service: str, operation: str, expression: str) -> list[str]:
    """What a `--query` reads that the operation's answer does not hold."""
    try:
        parsed = jmespath.compile(expression).parsed
    except jmespath.exceptions.JMESPathError as error:
        return [f"--query {expression!r} is no JMESPath: {error}"]
    model = _model(service).operation_model(_operations(service)[operation])
    if model.output_shape is None:
        return [f"{service} {operation} answers nothing to --query"]
    query = _Query(f"{service} {operation}'s answer")
    query.evaluate(parsed, model.output_shape)
    return [f"--query {expression!r}: {problem}" for problem in query.problems]


def problems_of_command_query(text: str) -> list[str]:
    """The --query of a command line (and of the commands inside it), checked."""
    problems = [
        p
        for inner in re.findall(r"\$\((aws [^)]*)\)", text)
        for p in problems_of_command_query(inner)
    ]
    command = split_command(text)
    expressions = command.options.get("--query")
    if expressions and command.operation in _operations(command.service):
        problems += problems_of_query(command.service, command.operation, expressions[0])
    return problems


# --- Logs Insights queries ---------------------------------------------------------------
# The commands and functions of "CloudWatch Logs Insights language query syntax" (CloudWatch
# Logs User Guide): commands joined by `|`, comments after `#`; `fields`, `display`, `filter`,
# `stats ... by ...`, `sort ... asc|desc`, `limit`, `parse`, `dedup`.

_COMMANDS = {"fields", "display", "filter", "stats", "sort", "limit", "parse", "dedup"}
_AGGREGATES = {
    "avg",
    "count",
    "count_distinct",
    "max",
    "min",
    "pct",
    "stddev",
    "sum",
    "earliest",
    "latest",
    "sortsFirst",
    "sortsLast",
}
_FUNCTIONS = {
    "bin",
    "ispresent",
    "isempty",
    "isblank",
    "strlen",
    "toupper",
    "tolower",
    "trim",
    "ltrim",
    "rtrim",
    "concat",
    "substr",
    "replace",
    "strcontains",
    "abs",
    "ceil",
    "floor",
    "greatest",
    "least",
    "log",
    "sqrt",
    "datefloor",
    "dateceil",
    "fromMillis",
    "toMillis",
    "coalesce",
}
# "Supported logs and discovered fields" (CloudWatch Logs User Guide): the system fields of
# every log group, and Lambda's: "@timestamp, @logStream, @message, @requestId, @duration,
# @billedDuration, @type, @maxMemoryUsed, @memorySize" (with @initDuration on a cold start's
# REPORT line and @xrayTraceId, @xraySegmentId when tracing is on).
LAMBDA_FIELDS = {
    "@message",
    "@timestamp",
    "@ingestionTime",
    "@logStream",
    "@log",
    "@requestId",
    "@duration",
    "@billedDuration",
    "@type",
    "@maxMemoryUsed",
    "@memorySize",
    "@initDuration",
    "@xrayTraceId",
    "@xraySegmentId",
}
# Fields of Lambda's JSON log format, which Insights discovers from each JSON event's keys:
# the platform events' ("Telemetry API schema reference": platform.report's record) and the
# application's ("Using the JSON log format": timestamp, level, message, requestId...).
JSON_FIELDS = {
    "time",
    "type",
    "record.requestId",
    "record.status",
    "record.errorType",
    "record.metrics.durationMs",
    "record.metrics.billedDurationMs",
    "record.metrics.memorySizeMB",
    "record.metrics.maxMemoryUsedMB",
    "record.metrics.initDurationMs",
    "record.metrics.restoreDurationMs",
    "record.metrics.billedRestoreDurationMs",
    "timestamp",
    "level",
    "message",
    "requestId",
    "errorType",
    "errorMessage",
    "stackTrace",
}
_BYTES_ON_A_MILLION_SCALE = {"@maxMemoryUsed", "@memorySize"}
"""Their values are the REPORT line's MB times 10^6: 128 MB reads 1.28E8."""

_INSIGHTS_TOKEN = re.compile(
    r"""\s*(?:
        (?P<string>"(?:\\.|[^"\\])*"|'(?:\\.|[^'\\])*')
      | (?P<duration>\d+(?:ms|mo|s|m|h|d|w|q|y)\b)
      | (?P<number>\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)
      | (?P<op><=|>=|!=|=~|=|<|>|\(|\)|\[|\]|,|\*|/|\+|-|%)
      | (?P<name>@?[A-Za-z_][\w.@]*|`[^`]+`)
    )""",
    re.VERBOSE,
)


def _split_commands(query: str) -> list[str]:
    """`cmd | cmd`, with `|` inside strings and regular expressions kept, comments dropped."""
    parts, current = [], ""
    quote: str | None = None
    position = 0
    while position < len(query):
        char = query[position]
        if quote is not None:
            current += char
            if char == "\\" and position + 1 < len(query):
                current += query[position + 1]
                position += 1
            elif char == quote:
                quote = None
        elif char in "\"'":
            quote = char
            current += char
        elif char == "/" and re.search(r"(?:\blike|=~|^\s*parse\s+\S+)\s*$", current, re.I):
            quote = "/"
            current += char
        elif char == "#":
            end = query.find("\n", position)
            position = len(query) if end < 0 else end
            continue
        elif char == "|":
            parts.append(current)
            current = ""
        else:
            current += char
        position += 1
    if quote is not None:
        raise ValueError(f"an unclosed {quote} in the query")
    parts.append(current)
    return [part.strip() for part in parts]


class _Insights:
    """One query read command by command; `problems` what Insights would refuse or answer
    emptily (a field no event has)."""

    def __init__(self, json_logs: bool) -> None:
        self.json_logs = json_logs
        self.made: set[str] = set()
        self.after_stats: set[str] | None = None
        self.problems: list[str] = []
        self.tokens: list[tuple[str, str]] = []
        self.at = 0

    # tokens
    def read(self, text: str, parse: bool = False) -> None:
        """Tokens; a `/` opens a regular expression after `like` or `=~`, or as `parse`'s
        pattern; elsewhere it divides."""
        self.tokens, self.at = [], 0
        position = 0
        while position < len(text):
            if not text[position:].strip():
                break
            last = self.tokens[-1][1].lower() if self.tokens else ""
            regex_here = last in ("like", "=~") or (parse and len(self.tokens) == 1)
            if regex_here and text[position:].lstrip().startswith("/"):
                start = text.index("/", position)
                end = start + 1
                while end < len(text) and text[end] != "/":
                    end += 2 if text[end] == "\\" else 1
                if end >= len(text):
                    raise ValueError("an unclosed regular expression")
                self.tokens.append(("regex", text[start + 1 : end]))
                position = end + 1
                continue
            match = _INSIGHTS_TOKEN.match(text, position)
            if match is None or match.end() == position:
                raise ValueError(f"cannot read the query at {text[position : position + 20]!r}")
            kind = match.lastgroup or ""
            self.tokens.append((kind, match.group(kind)))
            position = match.end()

    def peek(self, *values: str) -> bool:
        if self.at >= len(self.tokens):
            return False
        return not values or self.tokens[self.at][1].lower() in values

    def take(self, *values: str) -> tuple[str, str]:
        if not self.peek(*values):
            found = self.tokens[self.at][1] if self.at < len(self.tokens) else "the end"
            raise ValueError(f"expected {' or '.join(values) or 'more'}, found {found!r}")
        token = self.tokens[self.at]
        self.at += 1
        return token

    def end(self) -> None:
        if self.at < len(self.tokens):
            raise ValueError(f"unexpected {self.tokens[self.at][1]!r}")

    # fields
    def use(self, name: str) -> None:
        name = name.strip("`")
        available = self.after_stats
        if available is not None:
            if name not in available:
                self.problems.append(f"{name} is not among stats' results ({sorted(available)})")
            return
        if name in self.made:
            return
        if name.startswith("@"):
            if name not in LAMBDA_FIELDS:
                self.problems.append(f"{name} is no field Lambda's log groups have")
            elif self.json_logs and name in {"@type", "@duration", "@initDuration"} | set(
                _BYTES_ON_A_MILLION_SCALE
            ):
                self.problems.append(f"{name} is discovered only in the text log format")
        elif name not in JSON_FIELDS:
            self.problems.append(f"{name} is no field of Lambda's logs and the query makes none")
        elif not self.json_logs and name.startswith("record."):
            self.problems.append(f"{name} exists only in the JSON log format")

    # expressions: or > and > not > comparison > sum > product > atom; each returns its tree
    def expression(self) -> Any:
        left = self.conjunction()
        while self.peek("or"):
            self.take()
            left = ("or", left, self.conjunction())
        return left

    def conjunction(self) -> Any:
        left = self.negation()
        while self.peek("and"):
            self.take()
            left = ("and", left, self.negation())
        return left

    def negation(self) -> Any:
        if self.peek("not"):
            self.take()
            return ("not", self.negation())
        return self.comparison()

    def comparison(self) -> Any:
        left = self.sum()
        negated = False
        if self.peek("not") and self.at + 1 < len(self.tokens):
            self.take()
            negated = True
        if self.peek("like", "=~"):
            self.take()
            kind, pattern = self.take()
            if kind == "regex":
                try:
                    re.compile(pattern.replace("(?<", "(?P<").replace("(?P<=", "(?<="))
                except re.error as error:
                    raise ValueError(f"the regular expression /{pattern}/: {error}") from None
            elif kind != "string":
                raise ValueError(f"like takes a string or /regex/, not {pattern!r}")
            return ("like", left, pattern)
        if self.peek("in"):
            self.take()
            return ("in", left, self.atom())
        if negated:
            raise ValueError("`not` before neither like nor in")
        if self.peek("=", "!=", "<", "<=", ">", ">="):
            op = self.take()[1]
            return (op, left, self.sum())
        return left

    def sum(self) -> Any:
        left = self.product()
        while self.peek("+", "-"):
            op = self.take()[1]
            left = (op, left, self.product())
        return left

    def product(self) -> Any:
        left = self.atom()
        while self.peek("*", "/", "%"):
            op = self.take()[1]
            left = (op, left, self.atom())
        return left

    def atom(self) -> Any:
        kind, text = self.take()
        if text == "(":
            inner = self.expression()
            self.take(")")
            return inner
        if text == "[":
            items = [self.expression()]
            while self.peek(","):
                self.take()
                items.append(self.expression())
            self.take("]")
            return ("list", items)
        if text == "-":
            return ("neg", self.atom())
        if kind in ("number", "string", "duration"):
            return (kind, text)
        if kind != "name":
            raise ValueError(f"unexpected {text!r}")
        if self.peek("("):
            return self.call(text)
        self.use(text)
        return ("field", text.strip("`"))

    def call(self, name: str) -> Any:
        self.take("(")
        if name not in _FUNCTIONS | _AGGREGATES:
            raise ValueError(f"no function {name}()")
        args: list[Any] = []
        if name == "count" and self.peek("*"):
            self.take()
            args.append(("star",))
        elif not self.peek(")"):
            args.append(self.expression())
            while self.peek(","):
                self.take()
                args.append(self.expression())
        self.take(")")
        if name == "bin" and (len(args) != 1 or args[0][0] != "duration"):
            raise ValueError("bin() takes a period: bin(5m)")
        if name == "pct" and (len(args) != 2 or args[1][0] != "number"):
            raise ValueError("pct() takes a field and a percentile: pct(@duration, 99)")
        return ("call", name, args)

    def named(self) -> tuple[Any, str | None]:
        """`expression [as name]`, the name made available to the commands after."""
        tree = self.expression()
        name = None
        if self.peek("as"):
            self.take()
            name = self.take()[1].strip("`")
        self._units(tree, name)
        return tree, name

    def _units(self, tree: Any, name: str | None) -> None:
        """A figure named in MB of a field in bytes on a 10^6 scale must be divided by 10^6."""
        if name is None or not name.lower().endswith("mb"):
            return
        divisor = 1.0
        node = tree
        while isinstance(node, tuple) and node[0] in ("/", "call"):
            if node[0] == "call":
                if len(node[2]) != 1:
                    return
                node = node[2][0]
                continue
            if node[2][0] != "number":
                return
            divisor *= float(node[2][1])
            node = node[1]
        in_bytes = isinstance(node, tuple) and node[0] == "field"
        if in_bytes and node[1] in _BYTES_ON_A_MILLION_SCALE and divisor != 1e6:
            self.problems.append(
                f"{name}: {node[1]} is in bytes on a 10^6 scale: divide by 1000000, not {divisor:g}"
            )

    def command(self, text: str) -> None:
        verb, _, rest = text.partition(" ")
        if verb not in _COMMANDS:
            raise ValueError(f"no command {verb!r}")
        self.read(rest, parse=verb == "parse")
        if verb in ("fields", "display", "dedup", "sort"):
            made = []
            while True:
                if verb == "fields":
                    _, name = self.named()
                    made += [name] if name else []
                else:
                    _, name = self.take()
                    self.use(name)
                    if verb == "sort" and self.peek("asc", "desc"):
                        self.take()
                if not self.peek(","):
                    break
                self.take()
            self.made.update(made)
        elif verb == "filter":
            self.expression()
        elif verb == "limit":
            _, number = self.take()
            if not number.isdigit() or not 1 <= int(number) <= 10_000:
                raise ValueError(f"limit takes 1..10000, not {number!r}")
        elif verb == "parse":
            _, field = self.take()
            self.use(field)
            kind, pattern = self.take()
            if kind == "regex":
                self.made.update(re.findall(r"\(\?P?<(\w+)>", pattern))
            elif kind == "string":
                self.take("as")
                self.made.add(self.take()[1])
                while self.peek(","):
                    self.take()
                    self.made.add(self.take()[1])
            else:
                raise ValueError('parse takes a /regex/ or a "glob" as names')
        elif verb == "stats":
            results: set[str] = set()
            while True:
                tree, name = self.named()
                if not (isinstance(tree, tuple) and tree[0] == "call" and tree[1] in _AGGREGATES):
                    raise ValueError("stats takes aggregate functions: count(), avg(f)...")
                results.add(name or _text(tree))
                if not self.peek(","):
                    break
                self.take()
            if self.peek("by"):
                self.take()
                while True:
                    tree, name = self.named()
                    results.add(name or _text(tree))
                    if not self.peek(","):
                        break
                    self.take()
            self.after_stats = results
        self.end()


def _text(tree: Any) -> str:
    if tree[0] == "field":
        return str(tree[1])
    if tree[0] == "call":
        return f"{tree[1]}({', '.join(_text(a) for a in tree[2])})"
    if tree[0] == "star":
        return "*"
    return str(tree[-1])


def problems_of_insights(query: str, json_logs: bool = False) -> list[str]:
    """What Logs Insights would refuse in a query, or what of it reads a field no event of a
    Lambda log group in that log format has."""
    reader = _Insights(json_logs)
    try:
        for command in _split_commands(query):
            if not command:
                raise ValueError("an empty command between pipes")
            reader.command(command)
    except ValueError as error:
        return [f"{query!r}: {error}"]
    return [f"{query!r}: {problem}" for problem in reader.problems]


# --- the shell ---------------------------------------------------------------------------

_SMART = re.compile(r"[‘’“”′″–—…\u00a0\u2009\u200b]")


def problems_of_shell(text: str) -> list[str]:
    """What bash or zsh (Linux or macOS) would do to this line other than run it as written:
    expand, glob, redirect, comment out, or fail to read."""
    problems: list[str] = []
    if _SMART.search(text) or not text.isascii():
        problems.append(f"characters a shell does not read as written: {set(_SMART.findall(text))}")
    if "\n" in text or text.rstrip().endswith("\\"):
        problems.append("a line break or a trailing backslash: pasted, it runs half the command")
    try:
        shlex.split(text)
    except ValueError as error:
        problems.append(f"a shell cannot split it: {error}")
        return problems
    if re.search(r"\bdate\b[^|;]*(?:\s-d\s|--date|\s-v[+-]?\d)", text):
        problems.append("date -d is GNU's, date -v BSD's (macOS): computed times only")
    problems += _unquoted(text)
    return problems


def _unquoted(text: str) -> list[str]:
    """Characters a shell acts on, outside quotes; `!` inside double quotes (bash's history
    expansion); `$`/backticks inside double quotes other than a `$(aws ...)` sub-command."""
    problems: list[str] = []
    state = ""
    position = 0
    word_start = True
    while position < len(text):
        char = text[position]
        if state == "'":
            if char == "'":
                state = ""
        elif state == '"':
            if char == "\\":
                position += 1
            elif char == '"':
                state = ""
            elif char == "!":
                problems.append("! inside double quotes: bash's history expansion rewrites it")
            elif char == "`":
                problems.append("a backtick inside double quotes runs a command")
            elif char == "$":
                inner = re.match(r"\$\((aws [^()]*)\)", text[position:])
                if inner is None:
                    problems.append(f"$ inside double quotes expands: {text[position:][:20]!r}")
                else:
                    position += len(inner.group(0)) - 1
        elif char == "\\":
            position += 1
        elif char in "'\"":
            state = char
        elif char in "*?[]{}<>|;&()!`~^" or (char == "$" and not text[position:].startswith("$(")):
            problems.append(
                f"an unquoted {char!r}: bash or zsh acts on it ({_around(text, position)})"
            )
        elif char == "#" and word_start:
            problems.append("an unquoted # starts a comment in bash, not in zsh")
        elif char == "=" and word_start:
            problems.append("a word starting with = is a command path in zsh")
        word_start = char.isspace()
        position += 1
    return problems


def _around(text: str, position: int) -> str:
    return text[max(0, position - 15) : position + 15]


# --- values ------------------------------------------------------------------------------

_PARTITIONS = {"aws", "aws-cn", "aws-us-gov", "aws-iso", "aws-iso-b", "aws-iso-e", "aws-iso-f"}
_GLOBAL_SERVICES = {"iam", "s3", "organizations", "route53", "cloudfront", "sts"}
"""Services whose ARNs name no region ("arn:aws:iam::123456789012:role/..."); S3's name no
account either."""
_ARN = re.compile(r"arn:[^\s'\"]+")
_ACCOUNT = re.compile(r"\d{12}")


def regions() -> set[str]:
    found: set[str] = set()
    for partition in _session().get_available_partitions():
        found.update(_session().get_available_regions("lambda", partition))
        found.update(_session().get_available_regions("logs", partition))
    return found


def problems_of_arn(arn: str) -> list[str]:
    """An ARN the service would not read: "arn:partition:service:region:account-id:resource"
    (IAM User Guide, "IAM ARNs"; "Amazon Resource Names (ARNs)")."""
    if _PLACEHOLDER_IN.search(arn):
        return []
    parts = arn.split(":", 5)
    if len(parts) < 6:
        return [f"{arn}: fewer than six parts"]
    _, partition, service, region, account, resource = parts
    problems = []
    if partition not in _PARTITIONS:
        problems.append(f"{arn}: no partition {partition!r}")
    if service in _GLOBAL_SERVICES:
        if region:
            problems.append(f"{arn}: {service} ARNs name no region")
    elif region not in regions() and not re.fullmatch(r"[a-z]{2}(-[a-z]+)+-\d", region):
        problems.append(f"{arn}: no region {region!r}")
    if service == "s3":
        if account:
            problems.append(f"{arn}: S3 bucket ARNs name no account")
    elif service != "s3" and not _ACCOUNT.fullmatch(account):
        problems.append(f"{arn}: the account {account!r} is not 12 digits")
    if not resource:
        problems.append(f"{arn}: no resource")
    if service == "lambda" and not re.fullmatch(
        r"function:[\w-]{1,64}(:(\$LATEST|[\w-]+))?|layer:[\w-]+(:\d+)?|event-source-mapping:[\w-]+",
        resource,
    ):
        problems.append(f"{arn}: no Lambda function, layer or mapping {resource!r}")
    if service == "iam" and not re.fullmatch(r"(role|user|policy|group)/[\w+=,.@/-]+", resource):
        problems.append(f"{arn}: no IAM role, user, policy or group {resource!r}")
    if service == "logs" and not resource.startswith("log-group:"):
        problems.append(f"{arn}: no log group {resource!r}")
    return problems


_PLACEHOLDER_IN = re.compile(r"<[^<>]+>")


def arns_in(text: str) -> list[str]:
    return [m.rstrip(",}])") for m in _ARN.findall(text)]


@dataclass(frozen=True)
class Known:
    """What the evidence holds that a command may name: a placeholder for any of it is a
    failure, a different value too."""

    function: str | None
    region: str | None
    log_group: str | None
    window: bool
    role: str | None
    account: str | None
    qualifier: str | None = None
    """The one published version the window's invocations ran."""
    mapping: str | None = None
    """The event source mapping, when the evidence holds one only."""
    queue: str | None = None
    """The SQS queue the function reads, when the evidence holds one only."""
    security_groups: str | None = None
    """The function's security groups, from its configuration."""
    lines: str = ""
    """The lines read: a function or ARN they name (the callee a throttle names, the resource a
    denial names) is the evidence's too, and an ARN is theirs as they wrote it."""


_PLACEHOLDERS_FOR = {
    "function": ("<function>", "<function-name>"),
    "region": ("<region>",),
    "log_group": ("<log-group>",),
    "window": ("<start>", "<end>", "<epoch-seconds>", "<epoch-ms>"),
    "role": ("<execution-role>", "<execution-role-arn>", "<role>"),
    "account": ("<account-id>", "<account>"),
    "mapping": ("<mapping-uuid>",),
    "queue": ("<queue-url>", "<queue-arn>"),
    "security_groups": ("<function-and-mount-target-sgs>", "<function-sg-ids>"),
}


def problems_of_values(text: str, known: Known) -> list[str]:
    problems = []
    for what, placeholders in _PLACEHOLDERS_FOR.items():
        value = getattr(known, what)
        for placeholder in placeholders:
            if value and placeholder in text:
                problems.append(f"{placeholder} where the evidence holds {value}")
    for arn in arns_in(text):
        if arn not in known.lines:
            problems += problems_of_arn(arn)
    try:
        command = split_command(text)
    except ValueError:
        return problems
    for region in command.options.get("--region", []):
        if region not in regions():
            problems.append(f"--region {region}: no such region")
    if known.function and command.service == "lambda":
        for name in command.options.get("--function-name", []):
            bare = name.split(":")[6] if name.startswith("arn:") and name.count(":") >= 6 else name
            if bare != known.function and name not in known.lines:
                problems.append(f"--function-name {name}, not the evidence's {known.function}")
    qualified = "--qualifier" in command.options or any(
        name.count(":") == 7 for name in command.options.get("--function-name", [])
    )
    if known.qualifier and command.operation == "get-function-configuration" and not qualified:
        problems.append(f"no --qualifier {known.qualifier}: the answer is $LATEST's, not what ran")
    if known.log_group:
        for option in ("--log-group-name", "--log-group-identifier", "--log-group-identifiers"):
            for group in command.options.get(option, []):
                if group != known.log_group and not group.endswith(f":log-group:{known.log_group}"):
                    problems.append(f"{option} {group}, not the function's {known.log_group}")
    return problems


def problems_of_policy_resources(document: str) -> list[str]:
    """Resources a policy's statements name that match nothing they mean: a malformed ARN, or
    a secret's ARN without the "six random characters" Secrets Manager ends each with
    (CreateSecret), which the secret's own ARN never equals."""
    import json

    problems: list[str] = []
    for statement in json.loads(document).get("Statement", []):
        resources = statement.get("Resource", [])
        for resource in [resources] if isinstance(resources, str) else resources:
            if resource == "*" or _PLACEHOLDER_IN.search(resource):
                continue
            problems += problems_of_arn(resource)
            parts = resource.split(":")
            secret = parts[2:3] == ["secretsmanager"] and len(parts) == 7
            if secret and not re.search(r"-(?:[A-Za-z0-9]{6}|\?{6})$|\*$", parts[6]):
                problems.append(f"{resource}: no secret's ARN (it ends in -?????? or six)")
    return problems
