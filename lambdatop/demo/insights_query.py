"""The part of the CloudWatch Logs Insights query language that lambdatop sends, run over the
simulated account's own log events (moto's Insights cannot run `stats`: its parser fails them).

Written from the Insights query syntax documentation for just what lambdatop asks:
- commands joined by `|`: `filter`, `parse FIELD /regex/`, `fields`, `stats ... by ...`,
  `sort FIELD asc|desc`, `limit N`;
- expressions: `and`, `or`, `not`, `=`, `!=`, `<`, `<=`, `>`, `>=`, `like /regex/`, `+ - * /`,
  parentheses, and the functions `coalesce`, `strcontains`, `floor`, `least`, `ispresent`,
  `concat`;
- aggregations: `count()`, `count(field)` (records where it is present), `sum`, `min`, `max`,
  `avg`, `pct(field, p)`, `earliest`, `latest`;
- the fields Insights discovers in Lambda's logs: `@timestamp`, `@message`, `@logStream`, `@log`
  (`account:group`); in text REPORT lines `@type`, `@requestId`, `@duration`,
  `@billedDuration`, `@initDuration`, `@memorySize` and `@maxMemoryUsed` (bytes on a 10^6
  scale: "Memory Size: 128 MB" reads 1.28E8); `@type` and `@requestId` of START and END lines;
  every key of a JSON event, nested keys joined by dots (`record.metrics.durationMs`).

A query outside this subset raises `QueryError`, which the account answers as Insights answers
a query it cannot parse (MalformedQueryException).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

Fields = dict[str, Any]
Expression = Callable[[Fields], Any]


class QueryError(ValueError):
    """The query is outside the subset (or not a query)."""


@dataclass(frozen=True, slots=True)
class LogLine:
    """One event of a log group, as FilterLogEvents answers it."""

    group: str
    stream: str
    timestamp_ms: int
    message: str


_REPORT_FIELDS = {
    "Duration": ("@duration", 1.0),
    "Billed Duration": ("@billedDuration", 1.0),
    "Init Duration": ("@initDuration", 1.0),
    "Memory Size": ("@memorySize", 1e6),
    "Max Memory Used": ("@maxMemoryUsed", 1e6),
}
_PLATFORM_LINE = re.compile(r"^(?P<type>START|END|REPORT) RequestId: (?P<id>[\w-]+)")
_FIGURE = re.compile(r"^\s*(?P<key>[A-Za-z ]+):\s*(?P<value>\d+(?:\.\d+)?)")


def discovered(line: LogLine, account: str) -> Fields:
    """The fields Insights discovers in one event."""
    fields: Fields = {
        "@timestamp": line.timestamp_ms,
        "@message": line.message,
        "@logStream": line.stream,
        "@log": f"{account}:{line.group}",
    }
    text = line.message.strip()
    platform = _PLATFORM_LINE.match(text)
    if platform is not None:
        fields["@type"] = platform["type"]
        fields["@requestId"] = platform["id"]
        if platform["type"] == "REPORT":
            for part in text.split("\t"):
                figure = _FIGURE.match(part)
                known = _REPORT_FIELDS.get(figure["key"].strip()) if figure else None
                if figure is not None and known is not None:
                    fields[known[0]] = float(figure["value"]) * known[1]
    elif text.startswith("{"):
        try:
            document = json.loads(text)
        except ValueError:
            return fields
        if isinstance(document, dict):
            _flatten(document, "", fields)
    return fields


def _flatten(document: dict[str, Any], prefix: str, into: Fields) -> None:
    for key, value in document.items():
        if isinstance(value, dict):
            _flatten(value, f"{prefix}{key}.", into)
        elif not isinstance(value, list):
            into[f"{prefix}{key}"] = value


# ---- reading a query -------------------------------------------------------------------------

_LEXEME = re.compile(
    r"""\s*(?:
        (?P<string>"(?:\\.|[^"\\])*"|'(?:\\.|[^'\\])*')
      | (?P<number>\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)
      | (?P<symbol><=|>=|!=|=|<|>|\(|\)|,|\*|/|\+|-)
      | (?P<name>[@A-Za-z_][\w.@]*)
    )""",
    re.VERBOSE,
)
_REGEX = re.compile(r"\s*/((?:\\.|[^/\\])*)/")


def regex(body: str) -> re.Pattern[str]:
    """An Insights regular expression's body: `(?i)` leads for case-insensitive matching, named
    groups are written `(?<name>...)`, and `\\/` is a slash."""
    flags = 0
    if body.startswith("(?i)"):
        body, flags = body[4:], re.IGNORECASE
    body = re.sub(r"\(\?<(?=[A-Za-z_])", "(?P<", body).replace("\\/", "/")
    try:
        return re.compile(body, flags)
    except re.error as error:
        raise QueryError(f"bad regular expression: {error}") from None


class _Reader:
    """One expression, read by precedence: or, and, not, comparison, sum, product, operand."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.at = 0

    def _lexeme(self) -> tuple[str, str] | None:
        found = _LEXEME.match(self.text, self.at)
        if found is None or found.end() == self.at:
            return None
        kind = found.lastgroup or ""
        return kind, found[kind]

    def peek(self) -> str:
        lexeme = self._lexeme()
        return "" if lexeme is None else lexeme[1].lower()

    def take(self, expected: str | None = None) -> tuple[str, str]:
        found = _LEXEME.match(self.text, self.at)
        if found is None or found.end() == self.at:
            raise QueryError(f"cannot read {self.text[self.at : self.at + 20]!r}")
        kind = found.lastgroup or ""
        if expected is not None and found[kind].lower() != expected:
            raise QueryError(f"expected {expected!r}, read {found[kind]!r}")
        self.at = found.end()
        return kind, found[kind]

    def finished(self) -> bool:
        return not self.text[self.at :].strip()

    def whole(self) -> Expression:
        expression = self.either()
        if not self.finished():
            raise QueryError(f"unexpected {self.text[self.at :].strip()[:20]!r}")
        return expression

    def either(self) -> Expression:
        left = self.both()
        while self.peek() == "or":
            self.take()
            left = _or(left, self.both())
        return left

    def both(self) -> Expression:
        left = self.negated()
        while self.peek() == "and":
            self.take()
            left = _and(left, self.negated())
        return left

    def negated(self) -> Expression:
        if self.peek() == "not":
            self.take()
            inner = self.negated()
            return lambda fields: not inner(fields)
        return self.comparison()

    def comparison(self) -> Expression:
        left = self.sum()
        if self.peek() == "like":
            self.take()
            found = _REGEX.match(self.text, self.at)
            if found is not None:
                self.at = found.end()
                pattern = regex(found[1])
            else:
                pattern = re.compile(re.escape(_unquoted(self.take()[1])))
            return lambda fields: isinstance(v := left(fields), str) and bool(pattern.search(v))
        operator = self.peek()
        if operator in ("=", "!=", "<", "<=", ">", ">="):
            self.take()
            right = self.sum()
            return lambda fields: _compare(operator, left(fields), right(fields))
        return left

    def sum(self) -> Expression:
        left = self.product()
        while self.peek() in ("+", "-"):
            operator = self.take()[1]
            left = _arithmetic(operator, left, self.product())
        return left

    def product(self) -> Expression:
        left = self.operand()
        while self.peek() in ("*", "/"):
            operator = self.take()[1]
            left = _arithmetic(operator, left, self.operand())
        return left

    def operand(self) -> Expression:
        kind, text = self.take()
        if text == "(":
            inner = self.either()
            self.take(")")
            return inner
        if text == "-":
            inner = self.operand()
            return lambda fields: None if (v := _number(inner(fields))) is None else -v
        if kind == "number":
            value = float(text)
            return lambda fields: value
        if kind == "string":
            literal = _unquoted(text)
            return lambda fields: literal
        if kind != "name":
            raise QueryError(f"unexpected {text!r}")
        if self.peek() != "(":
            return lambda fields: fields.get(text)
        self.take("(")
        arguments: list[Expression] = []
        while self.peek() != ")":
            arguments.append(self.either())
            if self.peek() == ",":
                self.take()
        self.take(")")
        return _function(text.lower(), arguments)


def _or(a: Expression, b: Expression) -> Expression:
    return lambda fields: bool(a(fields)) or bool(b(fields))


def _and(a: Expression, b: Expression) -> Expression:
    return lambda fields: bool(a(fields)) and bool(b(fields))


def _function(name: str, arguments: list[Expression]) -> Expression:
    if name == "coalesce":
        return lambda f: next((v for v in (a(f) for a in arguments) if v is not None), None)
    if name == "strcontains" and len(arguments) == 2:
        # "Returns 1 if stringField contains searchValue and 0 otherwise."
        text, part = arguments
        return lambda f: None if (v := text(f)) is None else int(str(part(f)) in str(v))
    if name == "floor" and len(arguments) == 1:
        return lambda f: None if (v := _number(arguments[0](f))) is None else math.floor(v)
    if name == "least" and arguments:
        # "Returns the smallest value"; a record lacking one of them has none.
        return lambda f: _smallest([_number(a(f)) for a in arguments])
    if name == "ispresent" and len(arguments) == 1:
        return lambda f: arguments[0](f) is not None
    if name == "concat":
        # "Concatenates the strings"; lambdatop coalesces each part, so none is absent.
        return lambda f: None if None in (v := [a(f) for a in arguments]) else "".join(map(str, v))
    raise QueryError(f"the function {name} is not one lambdatop sends")


def _smallest(values: list[float | None]) -> float | None:
    return None if None in values else min(v for v in values if v is not None)


def _unquoted(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text[1:-1])


def _number(value: Any) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        result = float(value)
    except (TypeError, ValueError):
        return None
    return result if math.isfinite(result) else None


def _compare(operator: str, a: Any, b: Any) -> bool:
    if a is None or b is None:
        return operator == "!=" and (a is None) != (b is None)
    x, y = _number(a), _number(b)
    left, right = (x, y) if x is not None and y is not None else (str(a), str(b))
    if operator == "=":
        return left == right
    if operator == "!=":
        return left != right
    if operator == "<":
        return left < right  # type: ignore[operator]
    if operator == "<=":
        return left <= right  # type: ignore[operator]
    if operator == ">":
        return left > right  # type: ignore[operator]
    return left >= right  # type: ignore[operator]


def _arithmetic(operator: str, a: Expression, b: Expression) -> Expression:
    def apply(fields: Fields) -> float | None:
        x, y = _number(a(fields)), _number(b(fields))
        if x is None or y is None:
            return None
        if operator == "+":
            return x + y
        if operator == "-":
            return x - y
        if operator == "*":
            return x * y
        return x / y if y else None

    return apply


def _items(text: str) -> list[str]:
    """Comma-separated items; commas inside parentheses or quotes belong to their item."""
    items, depth, quote, current = [], 0, "", ""
    for char in text:
        if quote:
            quote = "" if char == quote else quote
        elif char in "\"'":
            quote = char
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "," and depth == 0:
            items.append(current.strip())
            current = ""
            continue
        current += char
    if current.strip():
        items.append(current.strip())
    return items


def _named(item: str) -> tuple[str, str]:
    """`expression as name`; an unnamed item is named by its text."""
    found = re.match(r"^(?P<expression>.+?)\s+as\s+(?P<name>[@\w.]+)$", item, re.IGNORECASE)
    return (item, item) if found is None else (found["expression"], found["name"])


def _commands(query: str) -> list[tuple[str, str]]:
    """`a x | b y` -> [("a", "x"), ("b", "y")]; a `|` inside a regex or a string stays."""
    commands: list[str] = []
    current, at = "", 0
    while at < len(query):
        char = query[at]
        closing = ""
        if char in "\"'":
            closing = char
        elif char == "/" and re.search(r"(?:\blike|^\s*parse\s+\S+)\s*$", current, re.I):
            closing = "/"
        if closing:
            end = at + 1
            while end < len(query) and query[end] != closing:
                end += 2 if query[end] == "\\" else 1
            current += query[at : end + 1]
            at = end + 1
            continue
        if char == "|":
            commands.append(current)
            current = ""
        else:
            current += char
        at += 1
    commands.append(current)
    out = []
    for command in commands:
        verb, _, rest = command.strip().partition(" ")
        if not verb:
            raise QueryError("an empty command")
        out.append((verb.lower(), rest.strip()))
    return out


# ---- running a query -------------------------------------------------------------------------

_AGGREGATION = re.compile(r"^(?P<name>\w+)\s*\((?P<arguments>.*)\)$", re.DOTALL)


def _aggregate(item: str) -> Callable[[list[Fields]], Any]:
    found = _AGGREGATION.match(item.strip())
    if found is None:
        raise QueryError(f"not an aggregation: {item!r}")
    name, arguments = found["name"].lower(), _items(found["arguments"])
    if name == "count" and arguments in ([], ["*"]):
        return len
    if not arguments:
        raise QueryError(f"{name}() needs a field")
    value = _Reader(arguments[0]).whole()

    def present(records: list[Fields]) -> list[tuple[Fields, Any]]:
        return [(r, v) for r in records if (v := value(r)) is not None]

    def numbers(records: list[Fields]) -> list[float]:
        return [n for _, v in present(records) if (n := _number(v)) is not None]

    if name == "count":
        return lambda records: len(present(records))
    if name in ("earliest", "latest"):
        # The records are in time order: the first, or the last, of those with the field.
        at = 0 if name == "earliest" else -1
        return lambda records: found[at][1] if (found := present(records)) else None
    if name == "pct" and len(arguments) == 2:
        rank = float(arguments[1])
        return lambda records: _percentile(numbers(records), rank)
    reducers: dict[str, Callable[[list[float]], float]] = {
        "sum": sum,
        "min": min,
        "max": max,
        "avg": lambda values: sum(values) / len(values),
    }
    if name not in reducers:
        raise QueryError(f"the aggregation {name} is not one lambdatop sends")
    reduce = reducers[name]
    return lambda records: reduce(values) if (values := numbers(records)) else None


def _percentile(values: list[float], rank: float) -> float | None:
    """The value at `rank` percent of the sorted values (nearest rank)."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(len(ordered) * rank / 100) - 1)]


def _text(name: str, value: Any) -> str:
    """Insights answers every value as text, `@timestamp` as `2026-03-02 09:14:55.120` (UTC)."""
    if name == "@timestamp" and isinstance(value, int | float):
        moment = datetime.fromtimestamp(value / 1000, UTC)
        return moment.strftime("%Y-%m-%d %H:%M:%S.") + f"{int(value) % 1000:03d}"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


@dataclass(frozen=True, slots=True)
class Answer:
    rows: list[dict[str, str]]
    matched: int
    """Events the query's filters kept ("recordsMatched"): before `stats` and `limit`."""
    scanned: int
    scanned_bytes: int


def run(query: str, lines: Iterable[LogLine], account: str, limit: int = 10_000) -> Answer:
    """The rows `query` answers over `lines`. Raises QueryError."""
    ordered = sorted(lines, key=lambda line: line.timestamp_ms)
    records = [discovered(line, account) for line in ordered]
    shown: list[str] | None = None
    matched: int | None = None
    for verb, rest in _commands(query):
        if verb == "filter":
            keep = _Reader(rest).whole()
            records = [r for r in records if keep(r)]
        elif verb == "parse":
            field, _, pattern_text = rest.partition(" ")
            found = _REGEX.fullmatch(pattern_text.strip())
            if found is None:
                raise QueryError("parse takes a field and a /regular expression/")
            pattern = regex(found[1])
            for record in records:
                match = pattern.search(str(record.get(field) or ""))
                if match is not None:
                    record.update({k: v for k, v in match.groupdict().items() if v is not None})
        elif verb == "fields":
            named = [_named(item) for item in _items(rest)]
            compiled = [(_Reader(expression).whole(), name) for expression, name in named]
            for record in records:
                for expression, name in compiled:
                    record[name] = expression(record)
            shown = [*(shown or []), *(name for _, name in named)]
        elif verb == "stats":
            parts = re.split(r"\s+by\s+", rest, maxsplit=1)
            body, keys = parts[0], (_items(parts[1]) if len(parts) > 1 else [])
            aggregations = [(_aggregate(e), n) for e, n in (_named(i) for i in _items(body))]
            matched = len(records)
            groups: dict[tuple[Any, ...], list[Fields]] = {}
            for record in records:
                groups.setdefault(tuple(record.get(k) for k in keys), []).append(record)
            if not keys and not groups:
                groups[()] = []
            records = [
                {
                    **dict(zip(keys, key, strict=True)),
                    **{name: aggregate(members) for aggregate, name in aggregations},
                }
                for key, members in groups.items()
            ]
            shown = keys + [name for _, name in aggregations]
        elif verb == "sort":
            field, _, order = rest.partition(" ")
            with_value = [r for r in records if r.get(field) is not None]
            without = [r for r in records if r.get(field) is None]
            with_value.sort(
                key=lambda r: (_number(r[field]) is None, _number(r[field]) or 0, str(r[field])),
                reverse=order.strip().lower() == "desc",
            )
            records = with_value + without
        elif verb == "limit":
            try:
                records = records[: int(rest)]
            except ValueError:
                raise QueryError(f"limit takes a number, not {rest!r}") from None
        else:
            raise QueryError(f"the command {verb!r} is not one lambdatop sends")
    names = shown if shown is not None else ["@timestamp", "@message"]
    rows = [
        {name: _text(name, record[name]) for name in names if record.get(name) is not None}
        for record in records[:limit]
    ]
    return Answer(
        rows=rows,
        matched=len(records) if matched is None else matched,
        scanned=len(ordered),
        scanned_bytes=sum(len(line.message.encode()) for line in ordered),
    )
