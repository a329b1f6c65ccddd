"""The subset of the CloudWatch Logs Insights query language lambdatop uses, evaluated over log
events in the test: moto's Insights ignores `filter` and `stats` and knows no Lambda fields.

Written from the Insights query syntax documentation, not from lambdatop's code:
- commands joined by `|`: `fields`, `filter`, `parse`, `stats ... by ...`, `sort`, `limit`;
- `fields a, b / 1000000 as c`; `filter` with `=`, `!=`, `<`, `<=`, `>`, `>=`, `like /re/`,
  `like "text"`, `in [...]`, `and`, `or`, `not`, parentheses, `ispresent(field)`;
- `parse @message /(?<name>...)/` (named groups become fields);
- `stats` with `count()`, `count(field)` (records where the field is present), `sum`, `avg`,
  `min`, `max`, `pct(field, p)`, `earliest`, `latest`, each `as name`, grouped `by` fields;
- the fields Insights discovers: `@timestamp`, `@message`, `@logStream`, `@log`
  (`account:group`), `@ingestionTime`; in Lambda's text REPORT lines `@type`, `@requestId`,
  `@duration`, `@billedDuration`, `@initDuration` (cold starts only), `@memorySize` and
  `@maxMemoryUsed` (in bytes on a 10^6 scale: 128 MB reads 1.28E8); `@type` and `@requestId`
  of START and END lines; and every key of a JSON message, nested keys joined by dots
  (`record.metrics.durationMs`).

`pct` interpolates linearly between ranks; Insights documents only "the relative standing of a
value", and on large data may approximate: a difference the README lists among what a real
account has to confirm.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

Record = dict[str, Any]

_REPORT = re.compile(r"^REPORT RequestId:\s*(?P<id>[\w-]+)")
_START_END = re.compile(r"^(?P<type>START|END) RequestId:\s*(?P<id>[\w-]+)")
_REPORT_FIELDS = {
    "Duration": ("@duration", 1.0),
    "Billed Duration": ("@billedDuration", 1.0),
    "Init Duration": ("@initDuration", 1.0),
    "Memory Size": ("@memorySize", 1e6),
    "Max Memory Used": ("@maxMemoryUsed", 1e6),
}


@dataclass(frozen=True)
class Event:
    """A log event as Insights sees it."""

    group: str
    stream: str
    timestamp_ms: int
    message: str
    ingestion_ms: int = 0


def discover(event: Event, account: str = "123456789012") -> Record:
    """The fields Insights discovers in one event."""
    record: Record = {
        "@timestamp": event.timestamp_ms,
        "@message": event.message,
        "@logStream": event.stream,
        "@log": f"{account}:{event.group}",
        "@ingestionTime": event.ingestion_ms,
    }
    text = event.message.strip()
    report = _REPORT.match(text)
    if report is not None:
        record["@type"] = "REPORT"
        record["@requestId"] = report.group("id")
        for part in re.split(r"\t+", text):
            key, _, value = part.partition(":")
            known = _REPORT_FIELDS.get(key.strip())
            number = re.match(r"\s*(\d+(?:\.\d+)?)", value)
            if known is not None and number is not None:
                record[known[0]] = float(number.group(1)) * known[1]
        return record
    start_end = _START_END.match(text)
    if start_end is not None:
        record["@type"] = start_end.group("type")
        record["@requestId"] = start_end.group("id")
        return record
    if text.startswith("{"):
        try:
            loaded = json.loads(text)
        except ValueError:
            return record
        if isinstance(loaded, dict):
            record.update(_flatten(loaded))
    return record


def _flatten(value: dict[str, Any], prefix: str = "") -> Record:
    out: Record = {}
    for key, item in value.items():
        name = f"{prefix}{key}"
        if isinstance(item, dict):
            out.update(_flatten(item, f"{name}."))
        elif not isinstance(item, list):
            out[name] = item
    return out


# ---- the query language -------------------------------------------------------------------

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<regex>/(?:\\.|[^/\\])*/)
      | (?P<string>"(?:\\.|[^"\\])*"|'(?:\\.|[^'\\])*')
      | (?P<number>\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)
      | (?P<op><=|>=|!=|=|<|>|\(|\)|\[|\]|,|\*|/|\+|-)
      | (?P<name>[@\w][\w.@]*)
    )""",
    re.VERBOSE,
)


def _tokens(text: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    position = 0
    text = text.strip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None or match.end() == position:
            raise ValueError(f"cannot read the query at {text[position : position + 20]!r}")
        kind = match.lastgroup or ""
        out.append((kind, match.group(kind)))
        position = match.end()
    return out


def _regex_starts(before: str) -> bool:
    """A `/` opens a regular expression after `like`, or as `parse FIELD`'s pattern; elsewhere
    it divides."""
    return re.search(r"(?:\blike|^\s*parse\s+\S+)\s*$", before, re.IGNORECASE) is not None


def _commands(query: str) -> list[tuple[str, str]]:
    """`cmd args | cmd args` -> [(cmd, args)], `|` inside regexes and strings kept."""
    parts: list[str] = []
    current = ""
    quote: str | None = None
    escaped = False
    for char in query:
        if escaped:
            current += char
            escaped = False
            continue
        if char == "\\":
            current += char
            escaped = True
            continue
        if quote is not None:
            current += char
            if char == quote:
                quote = None
            continue
        if char in "\"'" or (char == "/" and _regex_starts(current)):
            quote = char
            current += char
            continue
        if char == "|":
            parts.append(current)
            current = ""
            continue
        current += char
    parts.append(current)
    out = []
    for part in parts:
        stripped = part.strip()
        name, _, rest = stripped.partition(" ")
        out.append((name.lower(), rest.strip()))
    return out


class _Parser:
    """Expressions: or > and > not > comparison > sum > product > atom."""

    def __init__(self, text: str) -> None:
        self.tokens = _tokens(text)
        self.at = 0

    def peek(self, value: str | None = None) -> bool:
        if self.at >= len(self.tokens):
            return False
        return value is None or self.tokens[self.at][1].lower() == value

    def take(self, value: str | None = None) -> tuple[str, str]:
        if not self.peek(value):
            raise ValueError(f"expected {value!r} in the query")
        token = self.tokens[self.at]
        self.at += 1
        return token

    def done(self) -> bool:
        return self.at >= len(self.tokens)

    def expression(self) -> Callable[[Record], Any]:
        left = self.conjunction()
        while self.peek("or"):
            self.take()
            right = self.conjunction()
            left = (lambda a, b: lambda r: bool(a(r)) or bool(b(r)))(left, right)
        return left

    def conjunction(self) -> Callable[[Record], Any]:
        left = self.negation()
        while self.peek("and"):
            self.take()
            right = self.negation()
            left = (lambda a, b: lambda r: bool(a(r)) and bool(b(r)))(left, right)
        return left

    def negation(self) -> Callable[[Record], Any]:
        if self.peek("not"):
            self.take()
            inner = self.negation()
            return lambda r: not inner(r)
        return self.comparison()

    def comparison(self) -> Callable[[Record], Any]:
        left = self.sum()
        if self.peek("like"):
            self.take()
            kind, raw = self.take()
            pattern = _regex(raw) if kind == "regex" else re.compile(re.escape(_string(raw)))
            return lambda r: _like(pattern, left(r))
        if self.peek("in"):
            self.take()
            self.take("[")
            values: list[Any] = []
            while not self.peek("]"):
                values.append(self.atom()({}))
                if self.peek(","):
                    self.take()
            self.take("]")
            return lambda r: left(r) in values
        for op in ("<=", ">=", "!=", "=", "<", ">"):
            if self.peek(op):
                self.take()
                right = self.sum()
                return lambda r, op=op: _compare(op, left(r), right(r))
        return left

    def sum(self) -> Callable[[Record], Any]:
        left = self.product()
        while self.peek("+") or self.peek("-"):
            op = self.take()[1]
            right = self.product()
            left = _binary(op, left, right)
        return left

    def product(self) -> Callable[[Record], Any]:
        left = self.atom()
        while self.peek("*") or self.peek("/"):
            op = self.take()[1]
            right = self.atom()
            left = _binary(op, left, right)
        return left

    def atom(self) -> Callable[[Record], Any]:
        kind, raw = self.take()
        if raw == "(":
            inner = self.expression()
            self.take(")")
            return inner
        if kind == "number":
            value = float(raw)
            return lambda r: value
        if kind == "string":
            text = _string(raw)
            return lambda r: text
        if kind == "name" and self.peek("("):
            self.take("(")
            args: list[Callable[[Record], Any]] = []
            while not self.peek(")"):
                args.append(self.expression())
                if self.peek(","):
                    self.take()
            self.take(")")
            return _function(raw.lower(), args)
        if kind == "name":
            return lambda r: r.get(raw)
        raise ValueError(f"unexpected {raw!r} in the query")


def _function(name: str, args: list[Callable[[Record], Any]]) -> Callable[[Record], Any]:
    """`ispresent(f)`; `coalesce(a, b, ...)`, the first present; `strcontains(s, t)`, "1 if
    stringField contains searchValue and 0 otherwise"; `floor(n)`; `least(a, b, ...)`, "Returns
    the smallest value" (absent when one is); `concat(a, b, ...)`, "Concatenates the strings"
    (absent when one is)."""
    if name == "ispresent":
        return lambda r: args[0](r) is not None
    if name == "coalesce":
        return lambda r: next((v for v in (a(r) for a in args) if v is not None), None)
    if name == "concat":
        return lambda r: _concat([a(r) for a in args])
    if name == "floor":
        return lambda r: None if _numeric(args[0](r)) is None else math.floor(_numeric(args[0](r)))
    if name == "strcontains":
        return lambda r: None if args[0](r) is None else int(str(args[1](r)) in str(args[0](r)))
    if name == "least":
        return lambda r: _least([_numeric(a(r)) for a in args])
    raise ValueError(f"function {name} is not in the subset")


def _least(values: list[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return min(known) if len(known) == len(values) else None


def _concat(values: list[Any]) -> str | None:
    if any(v is None for v in values):
        return None
    return "".join(_text(v) for v in values)


def _binary(
    op: str, a: Callable[[Record], Any], b: Callable[[Record], Any]
) -> Callable[[Record], Any]:
    return lambda r: _arith(op, a(r), b(r))


def _like(pattern: re.Pattern[str], value: Any) -> bool:
    return isinstance(value, str) and pattern.search(value) is not None


def _string(raw: str) -> str:
    return raw[1:-1].replace('\\"', '"').replace("\\'", "'")


def _regex(raw: str) -> re.Pattern[str]:
    body = raw[1:-1]
    flags = 0
    if body.startswith("(?i)"):
        body, flags = body[4:], re.IGNORECASE
    # Insights' named groups are written `(?<name>...)`, Python's `(?P<name>...)`.
    return re.compile(re.sub(r"\(\?<(?=[A-Za-z_])", "(?P<", body), flags)


def _numeric(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return float(value)
    try:
        return float(str(value))
    except ValueError:
        return None


def _compare(op: str, a: Any, b: Any) -> bool:
    if a is None or b is None:
        return op == "!=" and (a is None) != (b is None)
    x, y = _numeric(a), _numeric(b)
    left, right = (x, y) if x is not None and y is not None else (str(a), str(b))
    return {
        "=": left == right,
        "!=": left != right,
        "<": left < right,  # type: ignore[operator]
        "<=": left <= right,  # type: ignore[operator]
        ">": left > right,  # type: ignore[operator]
        ">=": left >= right,  # type: ignore[operator]
    }[op]


def _arith(op: str, a: Any, b: Any) -> float | None:
    x, y = _numeric(a), _numeric(b)
    if x is None or y is None:
        return None
    if op == "/":
        return x / y if y else None
    return {"+": x + y, "-": x - y, "*": x * y}[op]


def _split(text: str) -> list[str]:
    """Comma-separated items, commas inside parentheses kept."""
    out, depth, current = [], 0, ""
    for char in text:
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        if char == "," and depth == 0:
            out.append(current.strip())
            current = ""
            continue
        current += char
    if current.strip():
        out.append(current.strip())
    return out


def _named(item: str) -> tuple[str, str]:
    """`expr as name` -> (expr, name); a bare expression is named by its text."""
    match = re.match(r"^(?P<expr>.+?)\s+as\s+(?P<name>[\w@.]+)$", item, re.IGNORECASE)
    if match is None:
        return item, item
    return match.group("expr"), match.group("name")


def _percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    rank = (len(ordered) - 1) * p / 100
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def _aggregate(expr: str, records: list[Record]) -> Any:
    match = re.match(r"^(?P<fn>\w+)\((?P<args>.*)\)$", expr.strip())
    if match is None:
        raise ValueError(f"not an aggregation: {expr!r}")
    fn, args = match.group("fn").lower(), _split(match.group("args"))
    if fn == "count" and (not args or args == ["*"]):
        return len(records)
    value = _Parser(args[0]).expression()
    present = [(r, value(r)) for r in records]
    present = [(r, v) for r, v in present if v is not None]
    if fn == "count":
        return len(present)
    if fn in ("earliest", "latest"):
        if not present:
            return None
        ordered = sorted(present, key=lambda rv: rv[0]["@timestamp"])
        return (ordered[0] if fn == "earliest" else ordered[-1])[1]
    numbers = [n for n in (_numeric(v) for _, v in present) if n is not None]
    if not numbers:
        return None
    if fn == "sum":
        return sum(numbers)
    if fn == "avg":
        return sum(numbers) / len(numbers)
    if fn == "min":
        return min(numbers)
    if fn == "max":
        return max(numbers)
    if fn == "pct":
        return _percentile(numbers, float(args[1]))
    raise ValueError(f"aggregation {fn} is not in the subset")


def _text(value: Any, name: str = "") -> str:
    """Insights answers every value as text (`@timestamp` as `2026-03-02 09:14:55.120`)."""
    if name == "@timestamp" and isinstance(value, int | float):
        when = datetime.fromtimestamp(value / 1000, UTC)
        return when.strftime("%Y-%m-%d %H:%M:%S.") + f"{int(value) % 1000:03d}"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def evaluate(query: str, events: Iterable[Event], limit: int = 10_000) -> list[dict[str, str]]:
    """The rows `query` returns over `events`, each field -> value as text."""
    records = [discover(e) for e in sorted(events, key=lambda e: e.timestamp_ms)]
    shown: list[str] | None = None
    for command, args in _commands(query):
        if command == "fields":
            items = [_named(item) for item in _split(args)]
            compiled = [(_Parser(expr).expression(), name) for expr, name in items]
            for record in records:
                for value, name in compiled:
                    record[name] = value(record)
            shown = (shown or []) + [name for _, name in items]
        elif command == "filter":
            keep = _Parser(args).expression()
            records = [r for r in records if keep(r)]
        elif command == "parse":
            field, _, raw = args.partition(" ")
            pattern = _regex(raw.strip())
            for record in records:
                found = pattern.search(str(record.get(field) or ""))
                if found is not None:
                    record.update({k: v for k, v in found.groupdict().items() if v is not None})
        elif command == "stats":
            if re.search(r"\s+by\s+", args):
                body, by = re.split(r"\s+by\s+", args, maxsplit=1)
            else:
                body, by = args, ""
            keys = _split(by) if by else []
            items = [_named(item) for item in _split(body)]
            groups: dict[tuple[Any, ...], list[Record]] = {}
            for record in records:
                key = tuple(record.get(k) for k in keys)
                groups.setdefault(key, []).append(record)
            if not keys and not groups:
                groups[()] = []
            rows: list[Record] = []
            for key, members in groups.items():
                row: Record = dict(zip(keys, key, strict=True))
                for expr, name in items:
                    row[name] = _aggregate(expr, members)
                rows.append(row)
            records, shown = rows, keys + [name for _, name in items]
        elif command == "sort":
            field, _, order = args.partition(" ")
            descending = order.strip().lower() == "desc"
            present = [r for r in records if r.get(field) is not None]
            absent = [r for r in records if r.get(field) is None]
            present.sort(
                key=lambda r: (_numeric(r[field]) is None, _numeric(r[field]) or 0, str(r[field])),
                reverse=descending,
            )
            records = present + absent
        elif command == "limit":
            records = records[: int(args)]
        else:
            raise ValueError(f"command {command!r} is not in the subset")
    names = shown if shown is not None else ["@timestamp", "@message"]
    out = []
    for record in records[:limit]:
        out.append({n: _text(record[n], n) for n in names if record.get(n) is not None})
    return out
