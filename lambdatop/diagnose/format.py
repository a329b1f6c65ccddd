"""Numbers and sample lines as a person reads them: with their unit and their limit."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from lambdatop.core.pipeline import Finding
from lambdatop.core.sanitize import one_line

SAMPLE_LIMIT = 3
COPED = (
    "handled: logged below ERROR, with no level, or outside the handler (init, an extension),"
    " and every invocation concerned succeeded"
)
"""Evidence for lines the function coped with (`Evidence.coped`): why they only warn."""
SAMPLE_WIDTH = 240


def ms(value: float | None) -> str:
    """`412 ms`, `28.1 s`."""
    if value is None:
        return "n/a"
    if value < 1000:
        return f"{value:.0f} ms"
    return f"{value / 1000:.1f} s"


def pct(part: float, whole: float) -> str:
    """`2.5 %` of a whole; `n/a` for nothing."""
    if not whole:
        return "n/a"
    share = 100.0 * part / whole
    if share and share < 0.1:
        return "<0.1 %"
    return f"{share:.1f} %" if share < 10 else f"{share:.0f} %"


def count(n: float, noun: str) -> str:
    """`1 invocation`, `3 invocations`, `2 batches`."""
    whole = int(n)
    if whole == 1:
        return f"{whole:,} {noun}"
    return f"{whole:,} {noun}es" if noun.endswith(("ch", "sh", "ss", "x")) else f"{whole:,} {noun}s"


def samples(findings: Iterable[Finding], limit: int = SAMPLE_LIMIT) -> list[str]:
    """Up to `limit` distinct sample lines, sanitised, one line each: the newest, as they
    were logged (an incident under way shows its latest lines, not the window's first)."""
    return [f"› {text}" for _, text in _sampled(findings, limit)]


def sampled(findings: Iterable[Finding], limit: int = SAMPLE_LIMIT) -> list[Finding]:
    """The findings `samples` quotes: a search advised beside them must find one."""
    return [finding for finding, _ in _sampled(findings, limit)]


def _sampled(findings: Iterable[Finding], limit: int) -> list[tuple[Finding, str]]:
    seen: set[str] = set()
    out: list[tuple[Finding, str]] = []
    for finding in reversed(list(findings)):
        text = _sample_text(finding)
        key = text[:120]
        if key in seen:
            continue
        seen.add(key)
        out.append((finding, text))
        if len(out) >= limit:
            break
    out.reverse()  # oldest of them first, as a log reads
    return out


_HEAD_WIDTH = 100
_BEFORE_SIGNATURE = 30


def _sample_text(finding: Finding) -> str:
    """A line as one display line; when what it was classified by lies past what fits (the
    message after a long traceback, a JSON log's `exception` field), the line's start and
    then the words that matched. A JSON log record leads with its level, error and message
    (`told`)."""
    raw = told(finding.line.text)
    text = one_line(raw, SAMPLE_WIDTH)
    classification = finding.line.classification
    if classification is None or not text.endswith("…"):
        return text
    at = raw.find(classification.signature)
    if at < 0 or one_line(classification.signature) in text[:-1]:
        return text
    head = one_line(raw, _HEAD_WIDTH).removesuffix("…")
    start = max(at - _BEFORE_SIGNATURE, 0)
    start = max(raw.rfind(" ", start, at), raw.rfind("\n", start, at), start - 1) + 1
    context = one_line(raw[start:], SAMPLE_WIDTH - len(head) - 3)
    return f"{head} … {context}"


_JSON_QUOTE_MAX = 100_000
"""Longer JSON lines are quoted as they are: parsing them would cost more than it tells."""
_LEVEL_KEYS = ("level", "log_level", "levelname", "severity", "log.level", "lvl", "@l", "LogLevel")
# structlog's `event`; Serilog's rendered `@m` and its template `@mt`; .NET's `Message`.
_MESSAGE_KEYS = ("message", "msg", "errorMessage", "error_message", "@m", "Message", "@mt", "event")
_ERROR_TYPE_KEYS = (
    "errorType",
    "error_type",
    "exception_name",
    "exceptionType",
    "exception_type",
    "error.type",  # Elastic Common Schema
)
_ERROR_MESSAGE_KEYS = ("error.message",)
_EXCEPTION_TEXT_KEYS = ("@x", "Exception", "exception")
"""An exception as text whose first line is `Type: message` (Serilog's `@x`, .NET's JSON
console `Exception`), or a traceback whose last line is."""
_EXCEPTION_HEAD = re.compile(
    r"(?P<type>[A-Za-z_][\w.$]*(?:Exception|Error)\w*): (?P<message>[^\n]+)"
)
_ERROR_OBJECT_KEYS = ("error", "err", "exception")
"""An error as an object of its own (pino's `err`, a logger's `error`): its name and message."""
_ENVELOPE = frozenset(
    (
        "timestamp",
        "time",
        "ts",
        "@timestamp",
        "@t",
        "Timestamp",
        "requestId",
        "request_id",
        "awsRequestId",
        "AWSRequestId",
        "function_request_id",
        "xray_trace_id",
        "traceId",
        "trace_id",
        "function_name",
        "function_arn",
        "function_memory_size",
        "cold_start",
        "sampling_rate",
        "hostname",
        "pid",
        "v",
    )
)
"""Fields every line of a logger carries, which tell nothing of what went wrong."""
_TYPE_NAME = re.compile(r"[A-Za-z_$][\w$.]*(?:Error|Exception|Fault|Failure)")


def told(text: str) -> str:
    """A JSON log record as a person tells it: its level, its error's type and its message,
    unescaped, then its other fields as `key=value`; its envelope (time, request id, trace)
    left out. A message that is itself a JSON record (a logger's line inside Lambda's JSON
    format) is told as part of it. Any other line is returned as it is. Not sanitised: the
    caller makes a display line of it."""
    if text[:1] != "{" or len(text) > _JSON_QUOTE_MAX:
        return text
    try:
        record = json.loads(text)
    except ValueError:
        return text
    if not isinstance(record, dict) or ("type" in record and "record" in record):
        return text  # not a record (Lambda's platform events are quoted as they are)
    outer = {key: value for key, value in record.items() if key not in _ENVELOPE}
    inner = _inner_record(outer)
    layers = [outer] if inner is None else [inner, outer]
    level = _pop_first(layers, _LEVEL_KEYS, numbers=False)  # pino's `50` is no word
    message = _pop_first(layers, _MESSAGE_KEYS)
    for layer in layers:
        layer.pop("@mt", None)  # Serilog's template: the message told is its rendering
    error_type = _pop_first(layers, _ERROR_TYPE_KEYS)
    fields = layers[0] | {key: value for key, value in outer.items() if key not in layers[0]}
    error_type, error_message = _error_of(fields, error_type)
    if message is None or message == error_message:
        message, error_message = message or error_message, None
    if level is None and message is None and error_type is None:
        return text
    said = _said(level, message, error_type, error_message)
    rest = " ".join(
        f"{key}={_value(value)}" for key, value in fields.items() if value not in ("", [], {}, None)
    )
    return f"{said} · {rest}" if rest else said


def _said(
    level: str | None, message: str | None, error_type: str | None, error_message: str | None
) -> str:
    """The quote's lead: the level, the logger's own words, then the error's (`ERROR charge
    refused · CardExpired: 04/26`); the error's type before the message when they are one."""
    words = [level.upper()] if level else []
    if error_message is not None:
        words.append(message or "")
        return " ".join(words) + f" · {error_type or 'error'}: {error_message}"
    if error_type:
        words.append(f"{error_type}:" if message else error_type)
    return " ".join([*words, message] if message else words)


def _error_of(fields: dict[str, Any], error_type: str | None) -> tuple[str | None, str | None]:
    """The error a record holds, its type and its message, taken out of `fields`: an error
    object (its frames left out), an SDK's error class, ECS's `error.*`, a traceback's last
    line, an exception's text whose first line is `Type: message`."""
    error_message = None
    for key in _error_object_keys(fields):
        error = fields.get(key)
        if isinstance(error, dict):
            error_type = error_type or _pop_text(error, ("name", "type", *_ERROR_TYPE_KEYS))
            error_message = error_message or _pop_text(error, _MESSAGE_KEYS)
            for stack in _STACK_KEYS:
                error.pop(stack, None)  # the frames fill a one-line quote and tell little
            if not error:
                del fields[key]
        elif error_type is None and isinstance(error, str) and _TYPE_NAME.fullmatch(error):
            error_type = fields.pop(key)
    code = fields.get("code")
    if error_type is None and isinstance(code, str) and _TYPE_NAME.fullmatch(code):
        error_type = fields.pop("code")  # the AWS SDK for JavaScript v2's error class
    if error_message is None:
        error_message = _pop_text(fields, _ERROR_MESSAGE_KEYS)
    if error_message is None and error_type is not None:
        error_message = _raised_message(fields.get("exception"), error_type)
    if error_type is None:
        for key in _EXCEPTION_TEXT_KEYS:
            head = _EXCEPTION_HEAD.match(str(fields.get(key) or "").lstrip())
            if head is not None:
                del fields[key]  # the rest is the stack: it fills the quote and tells little
                return head.group("type"), head.group("message").strip()
    return error_type, error_message


_STACK_KEYS = ("stack", "stackTrace", "stack_trace", "trace")


def _error_object_keys(fields: dict[str, Any]) -> list[str]:
    """The fields that hold an error as an object: the usual names (pino's `err`, a logger's
    `error`), and any other whose object has a stack and a message or name (Powertools for
    TypeScript logs an error under the key the call gives)."""
    named = [key for key in _ERROR_OBJECT_KEYS if key in fields]
    return named + [
        key
        for key, value in fields.items()
        if key not in named
        and isinstance(value, dict)
        and any(stack in value for stack in _STACK_KEYS)
        and ("message" in value or "name" in value)
    ]


def _raised_message(exception: Any, error_type: str) -> str | None:
    """The message a Python traceback ends with (`CardExpired: 04/26`), for its type."""
    if not isinstance(exception, str):
        return None
    at = exception.rfind(f"{error_type}: ")
    if at < 0:
        return None
    said = exception[at + len(error_type) + 2 :].split("\n", 1)[0].strip()
    return said or None


def _inner_record(outer: dict[str, Any]) -> dict[str, Any] | None:
    """A message that is itself a record (an object, or a JSON object as a string: a logger's
    line inside Lambda's JSON format), its envelope left out; taken out of `outer`."""
    inner = outer.get("message")
    if isinstance(inner, str) and inner[:1] == "{":
        try:
            inner = json.loads(inner)
        except ValueError:
            return None
    if not isinstance(inner, dict):
        return None
    del outer["message"]
    return {key: value for key, value in inner.items() if key not in _ENVELOPE}


def _pop_first(
    layers: list[dict[str, Any]], keys: Iterable[str], numbers: bool = True
) -> str | None:
    """`_pop_text` of the first layer (the inner record first) that has one of `keys`."""
    for layer in layers:
        found = _pop_text(layer, keys, numbers)
        if found is not None:
            return found
    return None


def _pop_text(fields: dict[str, Any], keys: Iterable[str], numbers: bool = True) -> str | None:
    """The first of `keys` whose value is text (or a number), taken out of `fields`."""
    kinds = (str, int, float) if numbers else (str,)
    for key in keys:
        value = fields.get(key)
        if isinstance(value, kinds) and not isinstance(value, bool) and value != "":
            del fields[key]
            return str(value)
    return None


def _value(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def memory_step(mb: float) -> int:
    """A memory size Lambda accepts, rounded up to 64 MB and within 128-10,240 MB."""
    return int(min(max(128, math.ceil(mb / 64) * 64), 10_240))


def timeout_step(seconds_needed: float) -> int:
    """A timeout in whole seconds within Lambda's 1-900 s."""
    return int(min(max(1, math.ceil(seconds_needed)), 900))


def clock(epoch_ms: int) -> str:
    """The time of day (UTC) of an event, as the report's window is given."""
    return datetime.fromtimestamp(epoch_ms / 1000, UTC).strftime("%H:%M")
