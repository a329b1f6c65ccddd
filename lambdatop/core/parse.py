"""Understand one Lambda log message, in any of Lambda's text or JSON formats and any runtime.

`parse(message)` never raises and never drops a line: whatever it does not recognise comes back
as an application line. It runs on every line of a live tail, so the common cases are decided by
the first characters of the message before any regular expression runs.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from lambdatop.core.classify import classify, classify_after, may_classify
from lambdatop.core.lazy_pattern import LazyPattern
from lambdatop.core.records import (
    Classification,
    ErrorFamily,
    Level,
    LineKind,
    ParsedLine,
    Report,
)
from lambdatop.core.sanitize import clean
from lambdatop.core.timeutil import to_epoch_ms

# Read on every line: an enum member read from its class costs more than a global.
_APP = LineKind.APP
_START = LineKind.START
_END = LineKind.END
_REPORT = LineKind.REPORT
_ERROR = Level.ERROR
_FATAL = Level.FATAL

_LEVELS: dict[str, Level] = {
    "TRACE": Level.TRACE,
    "DEBUG": Level.DEBUG,
    "INFO": Level.INFO,
    "NOTICE": Level.INFO,
    "WARN": Level.WARN,
    "WARNING": Level.WARN,
    "ERROR": Level.ERROR,
    "ERR": Level.ERROR,
    "SEVERE": Level.ERROR,
    "FATAL": Level.FATAL,
    "CRITICAL": Level.FATAL,
    "CRIT": Level.FATAL,
    "PANIC": Level.FATAL,
    # .NET writes Microsoft.Extensions.Logging's short labels.
    "TRCE": Level.TRACE,
    "DBUG": Level.DEBUG,
    "FAIL": Level.ERROR,
    # Serilog and Microsoft.Extensions.Logging spell two of them out.
    "INFORMATION": Level.INFO,
    "VERBOSE": Level.TRACE,
}
# pino and bunyan write numeric levels.
_NUMERIC_LEVELS: dict[int, Level] = {
    10: Level.TRACE,
    20: Level.DEBUG,
    30: Level.INFO,
    40: Level.WARN,
    50: Level.ERROR,
    60: Level.FATAL,
}

# The keys of platform report lines. Matched anywhere, so a REPORT pasted with single spaces
# instead of tabs still splits; longer keys first so "Billed Duration" is not read as "Duration".
_REPORT_KEYS = (
    "Billed Restore Duration",
    "Restore Duration",
    "Billed Duration",
    "Init Duration",
    "Max Memory Used",
    "Memory Size",
    "Duration",
    "RequestId",
    "XRAY TraceId",
    "TraceId",
    "SegmentId",
    "Sampled",
    "Status",
    "Error Type",
    "Phase",
    "Runtime Version ARN",
    "Runtime Version",
    "Version",
    "Name",
    "State",
    "Events",
    "Types",
)
_KEY_RE = LazyPattern(
    r"(?<![\w.])(" + "|".join(re.escape(k) for k in _REPORT_KEYS) + r")\s*:\s*", re.IGNORECASE
)
_CANONICAL_KEY = {k.lower(): k for k in _REPORT_KEYS}
_NUMBER = LazyPattern(r"[-+]?\d+(?:[.,]\d+)?(?:[eE][-+]?\d+)?")

_UUIDISH = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
_ISO = r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:[.,]\d+)?(?:Z|[+-]\d{2}:?\d{2})?"
_LEVEL_NAMES = r"TRACE|DEBUG|INFO|NOTICE|WARN|WARNING|ERROR|FATAL|CRITICAL|SEVERE"
# `<timestamp> <request id> <LEVEL>? <message>`: Node.js console, .NET (`info`, `fail`...),
# log4j/logback patterns, Go's `log` (`2026/03/02 09:14:55`). The separators are tabs in
# Lambda's own format, spaces elsewhere.
# The Serverless Framework's `sls logs` rewrites the runtime's time as local time with its
# offset in brackets (`2019-05-01 12:00:00.120 (+02:00)`).
_SLS_TIME = r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{3} \([+-]\d{2}:\d{2}\)"
_TS_PREFIX = re.compile(
    rf"(?P<ts>{_SLS_TIME}|{_ISO}|\d{{4}}/\d{{2}}/\d{{2}} \d{{2}}:\d{{2}}:\d{{2}}(?:\.\d+)?)[ \t]+"
    rf"(?:(?P<rid>{_UUIDISH}|undefined)(?:[ \t]+|$))?"
    rf"(?:\[?(?P<level>(?i:{_LEVEL_NAMES}|trce|dbug|fail|crit))\]?(?:[ \t]+|$))?"
)
# Python's runtime logger: `[LEVEL]\t<timestamp>\t<request id>\t<message>`; the request id is
# empty while the environment initialises.
_BRACKET_LEVEL = re.compile(
    rf"\[(?P<level>{_LEVEL_NAMES})\][ \t]*"
    rf"(?:(?P<ts>{_ISO})(?:\t(?P<rid>{_UUIDISH}|undefined|)\t|[ \t]+"
    rf"(?:(?P<rid2>{_UUIDISH}|undefined)[ \t]+)?|$))?"
)
# `Type: message` at the start of an unhandled error (`[ERROR] KeyError: 'id'`), or the bare
# type when the exception has no message (`[ERROR] MemoryError` + traceback).
_ERROR_TYPE_HEAD = LazyPattern(r"(?P<type>[A-Za-z_][\w.$]*(?:<[\w.:]+>)?)(?::(?:\s|$)|\n|$)")
_EXCEPTION_NAME = LazyPattern(
    r"(?:Error|Exception|Exit|Interrupt|Timeout|Failure|Fault|Iteration)(?:<|$)|\.|^Exception"
)
_DOTNET_UNHANDLED = LazyPattern(r"(?P<type>[A-Z]\w*(?:\.[A-Z]\w*)+(?:`\d+)?): ")
_JSON_ERROR_TYPE = LazyPattern(r'"errorType"\s*:\s*"(?P<type>[^"]{1,200})"')
# Node.js's runtime, and Ruby's (`Critical exception from handler {...}`, `Error raised from
# handler method {...}`), on the error that ended the invocation, its dump after.
_NODE_FAILURE = re.compile(
    r"^(?:Invoke Error|Uncaught Exception|Unhandled Promise Rejection"
    r"|Critical exception from handler|Error raised from handler method)\b"
)
# An error printed as its name and message (`TypeError: ...`, its stack after): what Node.js
# up to 6.10 logged, with no level, for the error that ended an invocation.
_PRINTED_JS_ERROR = LazyPattern(r"[A-Z][\w$]*(?:Error|Exception)(?::[ \t]|[ \t]*(?:\n|$))")
_TIMEOUT_AFTER_TS = LazyPattern(rf"{_ISO}\s+(?:(?P<rid>[^\s:]+)\s+)?(?:Error: )?Task timed out")
_REQUEST_ID_FIELD = LazyPattern(r"RequestId:\s*(?P<rid>[^\s,;]+)")
# What the platform writes when the runtime process dies (or the sandbox kills it).
_RUNTIME_EXIT = LazyPattern(
    r"(?:RequestId:\s*\S+\s+)?(?:Error:?\s*)?"
    r"(?:Runtime exited|Process exited before completing|Task timed out"
    r"|(?:Runtime|Sandbox|Extension)\.[A-Z]\w*(?=:|[ \t]*(?:\n|$))"
    r"|Unknown application error occurred)"
)
_RUNTIME_ERROR_TYPE = LazyPattern(r"(?:Runtime|Sandbox|Extension)\.[A-Z]\w*(?=:|\s|$)")
# `RequestId: <id> Error: fork/exec /var/task/bootstrap: exec format error` + `Runtime.X`.
_TRAILING_ERROR_TYPE = LazyPattern(r"\s(?:Runtime|Sandbox|Extension)\.[A-Z]\w*\s*$")
_LEVEL_WORD = re.compile(
    r"(?:^|[\s\[|:(\"'])(?P<level>TRACE|DEBUG|INFO|NOTICE|WARN|WARNING|ERROR|ERR|FATAL|CRITICAL"
    r"|SEVERE|PANIC)(?=$|[\s\]|:)\"',])"
)
_LOGFMT_LEVEL = LazyPattern(r"\b(?:level|lvl|severity)[=:]\s*\"?(?P<level>[A-Za-z]+)")
# Ruby's Logger: `E, [2026-03-02T09:14:55.120312 #8] ERROR -- <request id>: message`.
_RUBY_LOGGER = LazyPattern(
    r"[DIWEFA], \[(?P<ts>[^\]#]*?)\s*#\d+\]\s+(?P<level>[A-Z]+) -- (?P<rid>[^:]*):"
)
# A line led by a bare request id, as tools print once they strip the timestamp:
# `<request id> Task timed out after 3.00 seconds`, `<request id>\tINFO\t<message>`.
_RID_PREFIX = LazyPattern(
    rf"(?P<rid>{_UUIDISH})[ \t]+(?:(?P<level>(?i:{_LEVEL_NAMES}|trce|dbug|fail|crit))(?:[ \t]+|$))?"
)
_OOM_FATAL = LazyPattern(r"^FATAL ERROR:.*out of memory", re.IGNORECASE)
# Go's `panic: ` and `fatal error: `; Rust's `thread 'main' panicked at src/x.rs:61:38:`.
_PANIC = re.compile(r"^(?:panic: |fatal error: |thread '[^'\n]{0,100}' panicked at )")
# The Java runtime reports an exception the handler threw as one event: `<message>: <class>`,
# then the stack trace, which starts with the class again (`<class>: <message>` or `<class>`).
# Java's runtime without the JSON format writes an exception that ended the invocation as
# `<message>: <class>` on a line of its own, the stack trace after it.
_JAVA_ENDING = LazyPattern(
    r"[^\n]*: (?P<type>(?:[a-z_$][\w$]*\.)+[A-Z][\w$]*(?:Exception|Error|Throwable))\s*"
)
_JVM_OUT_OF_MEMORY = LazyPattern(r"(?:Exception in thread \S+ )?java\.lang\.OutOfMemoryError\b")
# Older runtimes' words for a function that could not start, printed alone (python2.7,
# python3.6): the invocation fails with that error.
_INIT_FAILURE = LazyPattern(
    r"(?P<import>Unable to import module '[^'\n]+': )"
    r"|(?P<handler>Handler '[^'\n]+' missing on module '[^'\n]+')"
    r"|(?P<go>calling the handler function resulted in a panic\b)"
    # python2.7 to 3.6 and nodejs4.3 to 8.10 said `module initialization error` (then the
    # error's message or, Node.js, its type) when the function's module failed to load: the
    # request waiting on that init failed with it.
    r"|(?P<legacy>module initialization error\b)"
)
_INIT_FAILURE_TYPES: dict[str, str | None] = {
    "import": "Runtime.ImportModuleError",
    "handler": "Runtime.HandlerNotFound",
    "go": None,
    "legacy": None,
}
# The error's type, when the legacy words name one (`module initialization error: TypeError`).
_LEGACY_INIT_TYPE = LazyPattern(
    r"module initialization error: (?P<type>[A-Z][\w$]*(?:Error|Exception))(?=[:\s]|$)"
)
_LEADING_LEVEL = re.compile(r"(?:ERROR|FATAL|ERR)[ \t]+")
_JAVA_UNHANDLED = LazyPattern(
    r"\A[^\n]*: (?P<type>(?:[A-Za-z_$][\w$]*\.)+[A-Za-z_$][\w$]*)\r?\n(?P=type)(?=:|\r?\n|\Z)"
)


_WHOLE_SECOND = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}")
_SECONDS_MS: dict[str, int] = {}
"""Epoch milliseconds of recent whole seconds, `2026-03-02T09:14:55`: lines come in bursts."""


def _iso_ms(value: object) -> int | None:
    """`to_epoch_ms`, sooner for the timestamps runtimes write (`2026-03-02T09:14:55.120Z`):
    the whole second is looked up, and the milliseconds added as `to_epoch_ms` adds them (as
    microseconds over a million, in floating point, times a thousand)."""
    if type(value) is str and len(value) == 24 and value[19] == "." and value[23] == "Z":
        millis = value[20:23]
        if millis.isascii() and millis.isdigit():
            second = value[:19]
            base = _SECONDS_MS.get(second)
            if base is None:
                base = _second_ms(second)
            if base is not None:
                return int((base * 1000 + int(millis) * 1000) / 1_000_000 * 1000)
    return to_epoch_ms(value)


def _second_ms(second: str) -> int | None:
    if _WHOLE_SECOND.fullmatch(second) is None:
        return None
    base = to_epoch_ms(second + "Z")  # whole seconds: exact
    if base is not None:
        if len(_SECONDS_MS) >= 4096:
            _SECONDS_MS.clear()
        _SECONDS_MS[second] = base
    return base


def parse(message: str) -> ParsedLine:
    """Parse one event's message. Never raises."""
    try:
        return _parse(message)
    except Exception:  # noqa: BLE001 - a hostile line must never stop the pipeline
        return ParsedLine(kind=LineKind.APP, text=clean(message).rstrip())


def _parse(message: str) -> ParsedLine:
    text = clean(message).strip()
    if not text:
        return ParsedLine(kind=LineKind.APP, text="")
    first = text[0]
    if first == "{":
        return _parse_json(text)
    if first in "SERIXTLP":
        platform = _parse_platform_text(text)
        if platform is not None:
            return platform
    if first == "[":
        return _parse_bracket_level(text)
    if text[8:9] == "-" and text[13:14] == "-":
        found = _RID_PREFIX.match(text)
        if found is not None:
            return _parse_rid_prefixed(text, found)
    if first.isdigit():
        return _parse_timestamped(text)
    if text[1:4] == ", [" and first in "DIWEFA":
        return _parse_ruby_logger(text)
    return _app_line(text)


# --- lines that change nothing but the counts ----------------------------------------------

_LOWER_UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
_ISO_MILLIS = r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z"
_ORDINARY = r"(?:INFO|DEBUG|TRACE|WARN)"
_VISIBLE = r"[^\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ufeff]"
"""A character `clean` keeps (tabs and newlines included)."""
# Lambda's own text layouts of an application line at an ordinary level, Node.js's and
# Python's, and the END line: exactly, with nothing `clean` would remove, and a message that
# `strip` cannot reach into (it starts with a visible character). Matched up to the line's
# last newline, which Lambda adds (`_quiet_text`): the message then runs to the end, greedily.
_QUIET_TEXT = re.compile(
    rf"(?:{_ISO_MILLIS}\t(?P<node>{_LOWER_UUID})\t{_ORDINARY}\t"
    rf"|\[{_ORDINARY}\]\t{_ISO_MILLIS}\t(?P<python>{_LOWER_UUID})\t)"
    rf"(?P<body>(?!\s){_VISIBLE}+)"
    rf"|END RequestId: (?P<end>{_LOWER_UUID})"
)
# Lambda's JSON log format at an ordinary level, Node.js's key order and Python's: strings
# with only the escapes JSON allows and nothing `clean` would remove.
_JSON_PLAIN = r'[^"\\\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ufeff]*'
_JSON_STRING = rf'"{_JSON_PLAIN}(?:\\(?:["\\/bfnrt]|u[0-9a-fA-F]{{4}}){_JSON_PLAIN})*"'
_QUIET_JSON = re.compile(
    rf'\{{"timestamp": ?"(?P<ts>[0-9T:.Z+-]{{10,35}})", ?"level": ?"{_ORDINARY}", ?'
    rf'(?:"requestId": ?"(?P<node>{_LOWER_UUID})", ?"message": ?(?P<message>{_JSON_STRING})'
    rf'|"message": ?(?P<text>{_JSON_STRING}), ?"logger": ?(?P<logger>{_JSON_STRING}), ?'
    rf'"requestId": ?"(?P<python>{_LOWER_UUID})")\}}\n?'
)


def _quiet_text(message: str) -> re.Match[str] | None:
    """`_QUIET_TEXT` over the message without one newline at its end (a newline before it is
    the message's own): as `fullmatch` of the pattern with a lazy message and `\\n?` after it,
    a fifth sooner."""
    return _QUIET_TEXT.fullmatch(message, 0, len(message) - (message[-1:] == "\n"))


def quiet_request_id(message: str) -> str | None:
    """The request id of a line certain to parse as an ordinary line of that request, else None.

    Ordinary: an END line, or an application line at an ordinary level (INFO, DEBUG, TRACE,
    WARN) in one of Lambda's layouts, with no trigger word of an error family, none of the
    shapes of a failure, and no name the pipeline notes (an event source's record, an API
    Gateway event's `apiId`). Fed to the invocation running in its stream, such a line changes
    nothing but the line count, so a bulk reader may count it without parsing it. Every other
    line (and many ordinary ones, in other layouts) gets None: it needs `parse`.

    No trigger word holds a tab, a bracket or a quote, and none can be spelt with the characters
    of a timestamp, a request id, a level or a JSON key here but `403`: so a line whose parts
    hold no `403` can only be classified by words in its message.
    """
    if message[:1] == "{":
        return _quiet_json(message)
    match = _quiet_text(message)
    if match is None:
        return None
    end = match.group("end")
    if end is not None:
        return end
    body = match.group("body")
    if (
        "403" in message[: match.start("body")]
        or may_classify(body)
        or _UNDELIVERED.search(body, 0, 300) is not None
        or names_a_record(body)
        or API_ID_KEY in body
    ):
        return None
    node = match.group("node")
    if node is not None and (
        "Task timed out" in body[:80]
        or body.startswith("TIMEOUT RequestId:")
        or _NODE_FAILURE.match(body) is not None
    ):
        return None
    return node or match.group("python")


def _quiet_json(message: str) -> str | None:
    match = _QUIET_JSON.fullmatch(message)
    if match is None:
        return None
    request_id = match.group("node") or match.group("python")
    if "403" in match.group("ts") or "403" in request_id:
        return None
    for string in match.group("message", "text", "logger"):
        if string is not None and (
            may_classify(string) or names_a_record(string) or API_ID_KEY in string
        ):
            return None
    return request_id


# An event source's record, named in a line: an SQS message, a Kinesis or DynamoDB stream
# record. The same record in many failed invocations is a poison message.
# The event's own field names (an SNS or SQS API answer says `MessageId`, a producer's Kinesis
# answer `SequenceNumber`); ids of their shapes: an SQS message id is a UUID, a stream's
# sequence number 20 digits or more, a DynamoDB stream's event id 32 hex digits.
RECORD_ID = LazyPattern(
    r"(?<![A-Za-z_])(?:(?P<key>messageId)\\?[\"']?\s*[=:]\s*\\?[\"']?"
    r"(?P<id>[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})"
    r"|(?P<key2>sequenceNumber)\\?[\"']?\s*[=:]\s*\\?[\"']?(?P<id2>\d{20,})"
    r"|(?P<key3>eventID)\\?[\"']?\s*[=:]\s*\\?[\"']?(?P<id3>[0-9a-fA-F]{32}))(?![\w-])"
)


def record_keys(text: str, end: int) -> Iterator[str]:
    """The records the first `end` characters name, as `messageid=<id>`, `sequencenumber=<n>`
    or `eventid=<hex>`."""
    for match in RECORD_ID.finditer(text, 0, end):
        for key, value in (match.group("key", "id"), match.group("key2", "id2")):
            if key:
                yield f"{key.lower()}={value}"
                break
        else:
            yield f"eventid={match.group('id3')}"


BATCH_RESPONSE = "batchItemFailures"
"""The key of a partial batch response (`{"batchItemFailures": [{"itemIdentifier": ...}]}`):
a line holding it may be the function's answer to its event source, logged (the pipeline keeps
such lines)."""


def names_a_record(text: str) -> bool:
    """Whether the line may name an event source's record (the pipeline keeps which), or the
    records a partial batch response hands back as failed."""
    # RECORD_ID's three names, each tested on its own: this runs on most lines, and a loop over
    # a tuple of them costs four times as much.
    return (
        "messageId" in text
        or "sequenceNumber" in text
        or "eventID" in text
        or BATCH_RESPONSE in text
    )


API_ID_KEY = "apiId"
"""The key of an API Gateway event's `requestContext` that names the API: a line holding it
may quote an event (the substring test that comes before any other)."""
# An API Gateway event the function printed, in any way it prints one: JSON, JSON escaped
# inside a JSON log line, Python's repr, Node.js's inspect (keys unquoted).
_API_ID = LazyPattern(r"""(?<![A-Za-z_])apiId\\*["']?\s*[:=]\s*\\*["']?(?P<id>[0-9A-Za-z]{1,64})""")
_STAGE = LazyPattern(r"""(?<![A-Za-z_])stage\\*["']?\s*[:=]\s*\\*["']?(?P<stage>[\w$.-]{1,128})""")


def api_event(text: str, end: int) -> tuple[str, str | None] | None:
    """The API (its id) and stage of the API Gateway event the first `end` characters quote:
    an event whose `requestContext` has an `apiId`, REST (payload 1.0), HTTP API (2.0) or
    WebSocket. None for no event, and for a Function URL's, which has the same shape: "the
    request payload for function URLs has the same schema as the API Gateway HTTP API
    payload format version 2.0" (Lambda Developer Guide), with a `lambda-url` domain, and no
    29 s limit before it."""
    head = text[:end]
    if "requestContext" not in head or "lambda-url" in head:
        return None
    found = _API_ID.search(head)
    if found is None:
        return None
    stage = _STAGE.search(head)
    return found.group("id"), None if stage is None else stage.group("stage")


# --- text platform lines --------------------------------------------------------------------


def _parse_platform_text(text: str) -> ParsedLine | None:
    canonical = _canonical_platform(text)
    if canonical is not None:
        return canonical
    return _platform_by_fields(text)


def _platform_by_fields(text: str) -> ParsedLine | None:
    """A platform line in any spacing and with any fields, or None for the function's own."""
    head = text.split(None, 1)[0]
    if head == "START":
        fields = _fields(text)
        if "RequestId" not in fields:
            return None  # `START processing batch 3`: the function's own words
        return ParsedLine(
            kind=_START,
            text=text,
            request_id=fields["RequestId"] or None,
            # One word: a line after it (a note's `...`) is joined to it, not its version.
            version=_first_word(fields.get("Version")),
        )
    if head == "END":
        fields = _fields(text)
        if "RequestId" not in fields:
            return None
        return ParsedLine(kind=_END, text=text, request_id=fields["RequestId"] or None)
    if head == "REPORT":
        fields = _fields(text)
        if "RequestId" not in fields and "Duration" not in fields:
            return None
        report = _report_from_fields(fields)
        failed = report.status not in (None, "success")
        return ParsedLine(
            kind=_REPORT,
            text=text,
            request_id=fields.get("RequestId") or None,
            report=report,
            error_type=_failure_type(report.status, report.error_type) if failed else None,
        )
    if head in ("INIT_START", "RESTORE_START"):
        kind = LineKind.INIT_START if head == "INIT_START" else LineKind.RESTORE_START
        return ParsedLine(kind=kind, text=text, version=_fields(text).get("Runtime Version"))
    if head in ("INIT_REPORT", "RESTORE_REPORT"):
        fields = _fields(text)
        report = _report_from_fields(fields)
        if head == "RESTORE_REPORT" and report.restore_ms is None:
            report.restore_ms = _number(fields.get("Duration"))
        failed = report.status not in (None, "success")
        return ParsedLine(
            kind=LineKind.INIT_REPORT if head == "INIT_REPORT" else LineKind.RESTORE_REPORT,
            text=text,
            report=report,
            level=Level.ERROR if failed else None,
            error_type=(report.error_type or f"Init.{report.status}") if failed else None,
            unhandled=failed,
            classification=_init_failure(report) if failed else None,
        )
    if head in ("EXTENSION", "TELEMETRY", "LOGS"):
        if "Name:" not in text:
            return None
        return _extension_line(text)
    if head == "XRAY":
        if "TraceId" not in text:
            return None
        return ParsedLine(kind=LineKind.XRAY, text=text, report=_report_from_fields(_fields(text)))
    if text.startswith("Task timed out"):
        return _timeout_line(text, None)
    if head == "TIMEOUT":
        match = _REQUEST_ID_FIELD.search(text)
        return _timeout_line(text, match.group("rid")) if match else None
    if _RUNTIME_EXIT.match(text):
        return _runtime_exit_line(text)
    if (head == "Error:" or head == "RequestId:") and _TRAILING_ERROR_TYPE.search(text[-80:]):
        return _runtime_exit_line(text)
    return None


# Lambda's line for each extension of the environment: `EXTENSION Name: x State: Ready Events:
# [INVOKE,SHUTDOWN]`. A state that is an error (InitError, ExitError, LaunchError) is the
# extension failing the environment: the Extensions API says that after an extension's "init
# error" or "exit error" Lambda fails the environment's init with `Extension.InitError` or
# `Extension.ExitError`, and the request that was waiting on it with that error.
_EXTENSION_FAILED = LazyPattern(r"\bState: ?(?P<state>[A-Z]\w*Error)\b")


def _extension_line(text: str) -> ParsedLine:
    failed = _EXTENSION_FAILED.search(text)
    if failed is None:
        return ParsedLine(kind=LineKind.EXTENSION, text=text)
    error_type = f"Extension.{failed.group('state')}"
    return ParsedLine(
        kind=LineKind.EXTENSION,
        text=text,
        level=Level.ERROR,
        error_type=error_type,
        unhandled=True,
        # The words the line holds, so that a search for the line finds it.
        classification=Classification(ErrorFamily.INIT, failed.group()),
    )


# START, END and REPORT exactly as Lambda writes them (one space after each colon, tabs
# between REPORT's fields, X-Ray's line after it when tracing is on): nearly every platform line.
# Each decodes to what `_fields` makes of it, without the scan for every key.
_RID = r"(?P<rid>[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})"
_CANONICAL_START = re.compile(rf"START RequestId: {_RID} Version: (?P<version>\$LATEST|[0-9]+)")
_CANONICAL_END = re.compile(rf"END RequestId: {_RID}")
_CANONICAL_REPORT = re.compile(
    rf"REPORT RequestId: {_RID}\tDuration: (?P<duration>[0-9]+(?:\.[0-9]+)?) ms"
    r"\tBilled Duration: (?P<billed>[0-9]+) ms\tMemory Size: (?P<size>[0-9]+) MB"
    r"\tMax Memory Used: (?P<used>[0-9]+) MB"
    r"(?:\tInit Duration: (?P<init>[0-9]+(?:\.[0-9]+)?) ms)?"
    r"(?:[ \t]*\nXRAY TraceId: (?P<trace>[0-9a-f-]+)\tSegmentId: [0-9a-f]+"
    r"\tSampled: (?:true|false))?"
)


def _canonical_platform(text: str) -> ParsedLine | None:
    """START, END or REPORT in Lambda's exact layout, as `_platform_by_fields` reads it; else
    None (and `_platform_by_fields` decides)."""
    first = text[0]
    if first == "R":
        match = _CANONICAL_REPORT.fullmatch(text)
        if match is None:
            return None
        init = match.group("init")
        report = Report(
            duration_ms=float(match.group("duration")),
            billed_ms=float(match.group("billed")),
            memory_size_mb=round(float(match.group("size"))),
            max_memory_mb=round(float(match.group("used"))),
            init_ms=float(init) if init is not None else None,
            trace_id=match.group("trace"),
        )
        return ParsedLine(kind=_REPORT, text=text, request_id=match.group("rid"), report=report)
    if first == "S":
        match = _CANONICAL_START.fullmatch(text)
        if match is None:
            return None
        return ParsedLine(
            kind=_START,
            text=text,
            request_id=match.group("rid"),
            version=match.group("version"),
        )
    if first == "E":
        match = _CANONICAL_END.fullmatch(text)
        if match is None:
            return None
        return ParsedLine(kind=_END, text=text, request_id=match.group("rid"))
    return None


def _fields(text: str) -> dict[str, str]:
    """`Key: value` pairs of a platform line, whatever its spacing."""
    fields: dict[str, str] = {}
    matches = list(_KEY_RE.finditer(text))
    for index, match in enumerate(matches):
        end = matches[index + 1].start() if index + 1 < len(matches) else len(text)
        key = _CANONICAL_KEY[match.group(1).lower()]
        value = text[match.end() : end].strip(" \t\n;,")
        if key == "TraceId" and "XRAY TraceId" in fields:
            continue
        fields.setdefault(key, value)
    return fields


def _number(value: str | None) -> float | None:
    if not value:
        return None
    match = _NUMBER.search(value)
    if match is None:
        return None
    number = float(match.group().replace(",", "."))
    if "second" in value or value.rstrip().endswith(" s"):
        number *= 1000.0
    return number


def _megabytes(value: str | None) -> int | None:
    number = _number(value)
    if number is None or value is None:
        return None
    unit = value.upper()
    if "GB" in unit:
        number *= 1024
    elif "KB" in unit:
        number /= 1024
    return round(number)


def _first_word(value: str | None) -> str | None:
    words = value.split() if value else None
    return words[0] if words else None


def _report_from_fields(fields: dict[str, str]) -> Report:
    status = fields.get("Status")
    trace = fields.get("XRAY TraceId") or fields.get("TraceId")
    return Report(
        duration_ms=_number(fields.get("Duration")),
        billed_ms=_number(fields.get("Billed Duration")),
        memory_size_mb=_megabytes(fields.get("Memory Size")),
        max_memory_mb=_megabytes(fields.get("Max Memory Used")),
        init_ms=_number(fields.get("Init Duration")),
        restore_ms=_number(fields.get("Restore Duration")),
        billed_restore_ms=_number(fields.get("Billed Restore Duration")),
        status=(_first_word(status) or "").lower() or None,
        error_type=_first_word(fields.get("Error Type")),
        trace_id=_first_word(trace),
        phase=_first_word(fields.get("Phase")),
    )


def _failure_type(status: str | None, error_type: str | None) -> str | None:
    """The error type of a failed phase: as written, else what its status implies."""
    if error_type:
        return error_type
    if status == "timeout":
        return "Sandbox.Timedout"
    return status


def _init_failure(report: Report) -> Classification:
    """A failed init or restore phase: a deploy error, or init running out of its time."""
    if report.error_type and "OutOfMemory" in report.error_type:
        return Classification(ErrorFamily.OUT_OF_MEMORY, report.error_type)
    if report.status == "timeout":
        return Classification(ErrorFamily.INIT, "init phase timed out")
    return Classification(ErrorFamily.INIT, report.error_type or f"init {report.status}")


def _timeout_line(text: str, request_id: str | None, timestamp_ms: int | None = None) -> ParsedLine:
    return ParsedLine(
        kind=LineKind.TIMEOUT,
        text=text,
        request_id=request_id,
        timestamp_ms=timestamp_ms,
        level=Level.ERROR,
        error_type="Sandbox.Timedout",
        unhandled=True,
        classification=classify(text) or _TIMED_OUT,
    )


_TIMED_OUT = Classification(ErrorFamily.TIMEOUT, "Task timed out")


def _runtime_exit_line(text: str) -> ParsedLine:
    """`RequestId: <id> Error: Runtime exited with error: ...` and its relatives.

    The error type, when the platform names it, is on a line of its own after the message
    (`Runtime.ExitError`) or starts the message (`Runtime.OutOfMemory: ...`).
    """
    match = _REQUEST_ID_FIELD.match(text)
    request_id = match.group("rid") if match else None
    if "Task timed out" in text[:200] or text.startswith("Sandbox.Timedout"):
        return _timeout_line(text, request_id)
    error_type = None
    for candidate in reversed(text.split("\n")):
        found = _RUNTIME_ERROR_TYPE.search(candidate)
        if found is not None:
            error_type = found.group()
            break
    crashed = "exited" in text or "Unknown application error" in text
    return ParsedLine(
        kind=LineKind.RUNTIME_EXIT if crashed or "Exit" in (error_type or "") else _APP,
        text=text,
        request_id=request_id,
        level=Level.ERROR,
        error_type=error_type or ("Runtime.ExitError" if crashed else None),
        unhandled=True,
        classification=classify(text),
    )


# --- application lines ------------------------------------------------------------------------


def _parse_bracket_level(text: str) -> ParsedLine:
    match = _BRACKET_LEVEL.match(text)
    if match is None:
        return _app_line(text)
    level_name, ts, rid, rid2 = match.group("level", "ts", "rid", "rid2")
    level = _LEVELS[level_name]
    rid = rid or rid2
    line = ParsedLine(
        kind=_APP,
        text=text,
        request_id=rid if rid and rid != "undefined" else None,
        level=level,
        timestamp_ms=_iso_ms(ts),
    )
    if (level is _ERROR or level is _FATAL) and ts is None:
        # Python's runtime reports an unhandled error as `[ERROR] Type: message` + traceback,
        # with no timestamp or request id: the logger's own lines always carry both.
        body = text[match.end() :]
        head = _ERROR_TYPE_HEAD.match(body)
        traceback = "Traceback (most recent call last)" in body
        if head is not None and (traceback or _EXCEPTION_NAME.search(head.group("type"))):
            line.error_type = head.group("type")
            line.unhandled = True
        elif _UNDELIVERED.search(body, 0, 300) is not None:
            _mark_undelivered(line)
    line.classification = classify_after(text, match.end())
    return line


def _parse_timestamped(text: str) -> ParsedLine:
    match = _TS_PREFIX.match(text)
    if match is None:
        return _app_line(text)
    body = text[match.end() :]
    ts, rid, level_name = match.group("ts", "rid", "level")
    request_id = rid if rid and rid != "undefined" else None
    timestamp_ms = _iso_ms(ts.replace("/", "-") if ts[4] == "/" else ts)
    if "Task timed out" in body[:80]:
        timed_out = _TIMEOUT_AFTER_TS.match(text)
        if timed_out is not None:
            return _timeout_line(text, request_id or timed_out.group("rid"), timestamp_ms)
    elif body.startswith("TIMEOUT RequestId:"):
        found = _REQUEST_ID_FIELD.search(body)
        rid_field = found.group("rid") if found else None
        return _timeout_line(text, request_id or rid_field, timestamp_ms)
    line = ParsedLine(
        kind=_APP,
        text=text,
        request_id=request_id,
        level=_LEVELS[level_name.upper()] if level_name else _guess_level(body),
        timestamp_ms=timestamp_ms,
    )
    if _NODE_FAILURE.match(body):
        _mark_invoke_error(line, body)
    elif _UNDELIVERED.search(body, 0, 300) is not None:
        _mark_undelivered(line)
    elif level_name == "fail" and (dotnet := _DOTNET_UNHANDLED.match(body)) is not None:
        # .NET's runtime writes the exception that ended an invocation at its `fail` level,
        # the exception's `ToString()` first: `System.ApplicationException: message`.
        line.unhandled = True
        line.error_type = dotnet.group("type")
    elif level_name is None and body.startswith("{"):
        # Go's `log` prefix before the runtime's `{"errorMessage", "errorType"}` dump.
        _mark_error_document(line, body)
    elif level_name is None and _PANIC.match(body):
        _mark_fatal(line, body)
    elif line.level is None and _PRINTED_JS_ERROR.match(body):
        line.level = Level.ERROR  # Node.js up to 6.10 logged without a level
    line.classification = classify_after(text, match.end())
    return line


def _parse_rid_prefixed(text: str, match: re.Match[str]) -> ParsedLine:
    rid = match.group("rid")
    body = text[match.end() :]
    if body.startswith("Task timed out"):
        return _timeout_line(text, rid)
    level_name = match.group("level")
    line = _app_line(text)
    line.request_id = rid
    if level_name is not None:
        line.level = _LEVELS[level_name.upper()]
    if _NODE_FAILURE.match(body):
        _mark_invoke_error(line, body)
    elif level_name is None and body.startswith("{"):
        _mark_error_document(line, body)
    return line


def _mark_error_document(line: ParsedLine, body: str) -> None:
    """The runtime's `{"errorMessage", "errorType"}` document after a line's prefix: the
    invocation failed with it."""
    error_type = _json_error_type(body[:2000])
    if error_type is None and '"errorMessage"' in body[:2000]:
        error_type = _bare_error_type(body)
    if error_type is not None and '"errorMessage"' in body:
        line.error_type = error_type
        line.unhandled = True
        line.level = Level.ERROR


def _parse_ruby_logger(text: str) -> ParsedLine:
    match = _RUBY_LOGGER.match(text)
    if match is None:
        return _app_line(text)
    rid = match.group("rid").strip()
    return ParsedLine(
        kind=_APP,
        text=text,
        request_id=rid if rid and re.fullmatch(_UUIDISH, rid) else None,
        level=_LEVELS.get(match.group("level"), Level.INFO if text[0] == "A" else None),
        timestamp_ms=_iso_ms(match.group("ts")),
        classification=classify(text),
    )


def _app_line(text: str) -> ParsedLine:
    line = ParsedLine(kind=_APP, text=text, level=_guess_level(text))
    if _PANIC.match(text):
        _mark_fatal(line, text)
    elif _NODE_FAILURE.match(text) or _NODE_FAILURE.match(_LEADING_LEVEL.sub("", text, 1)):
        # `Invoke Error {...}`, or `ERROR\tInvoke Error {...}` as pasted without its time and
        # request id.
        _mark_invoke_error(line, text)
    elif (init := _INIT_FAILURE.match(text)) is not None:
        line.level = Level.ERROR
        line.unhandled = True
        line.error_type = init.lastgroup and _INIT_FAILURE_TYPES[init.lastgroup]
        if init.lastgroup == "legacy" and (named := _LEGACY_INIT_TYPE.match(text)) is not None:
            line.error_type = named.group("type")
    elif text.startswith("LAMBDA_WARNING: Unhandled exception"):
        line.level = Level.WARN
    elif text.startswith("Unknown application error occurred"):
        return _runtime_exit_line(text)
    elif "PHP Fatal error:" in text[:200]:
        # PHP-FPM (Bref) passes the script's fatal error on as a NOTICE: the request got a 500.
        line.level = Level.FATAL
        line.unhandled = True
        line.error_type = "PHP.FatalError"
    elif _UNDELIVERED.search(text, 0, 300) is not None:
        _mark_undelivered(line)
    elif (java := _JAVA_UNHANDLED.match(text) or _JAVA_ENDING.fullmatch(text)) is not None:
        line.level = Level.ERROR
        line.unhandled = True
        line.error_type = java.group("type")
    elif _JVM_OUT_OF_MEMORY.match(text):
        # The JVM's OutOfMemoryError, thrown out of the handler: the runtime prints it and
        # the invocation fails.
        line.level = Level.ERROR
        line.unhandled = True
        line.error_type = "java.lang.OutOfMemoryError"
    elif _OOM_FATAL.match(text):
        # Node.js: `FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of
        # memory`. V8 aborts the process right after.
        line.level = Level.FATAL
        line.unhandled = True
        line.error_type = "Runtime.OutOfMemory"
    line.classification = classify(text)
    return line


def _json_error_type(text: str) -> str | None:
    """The `errorType` of a runtime's JSON error dump, its JSON escapes undone (a PHP class
    name's backslashes come doubled)."""
    found = _JSON_ERROR_TYPE.search(text)
    if found is None:
        return None
    raw = found.group("type")
    if "\\" not in raw:
        return raw
    try:
        decoded = json.loads(f'"{raw}"')
    except ValueError:
        return raw
    return decoded if isinstance(decoded, str) else raw


def _mark_invoke_error(line: ParsedLine, body: str) -> None:
    """Node.js's and other runtimes' `Invoke Error {...}` / `Uncaught Exception {...}`: the
    invocation failed with the dump's error type."""
    line.error_type = _json_error_type(body) or "Error"
    line.unhandled = True
    line.level = Level.ERROR


# The runtime could not hand the function's result back: over the 6 MB response limit (Node.js's
# runtime says so with the Runtime API's 413; the API names it `Function.ResponseSizeTooLarge`).
_UNDELIVERED = re.compile(
    r"Failed to post handler success response\. Http response code: 413"
    r"|Response payload size (?:\(\d+ bytes\) )?exceeded maximum allowed payload size"
    r"|Function\.ResponseSizeTooLarge"
)


def _mark_undelivered(line: ParsedLine) -> None:
    """The invocation failed: its caller got an error instead of the result."""
    line.level = Level.ERROR
    line.unhandled = True
    line.error_type = "Function.ResponseSizeTooLarge"


def _mark_fatal(line: ParsedLine, body: str) -> None:
    """Go's `panic: ...` and `fatal error: ...` end the process (Lambda says
    `Runtime.ExitError`); a Rust panic fails the invocation, whether `lambda_runtime` caught it
    or it ended the process."""
    line.level = Level.FATAL
    line.unhandled = True
    line.error_type = "Rust.Panic" if body.startswith("thread") else "Runtime.ExitError"


def _guess_level(text: str) -> Level | None:
    head = text[:80]
    if "lev" in head or "lvl" in head or "severity" in head:
        # logfmt (`level=error msg="..."`) says its level outright: prefer it to a capitalised
        # word inside the message.
        logfmt = _LOGFMT_LEVEL.search(head)
        if logfmt is not None:
            level = _LEVELS.get(logfmt.group("level").upper())
            if level is not None:
                return level
    match = _LEVEL_WORD.search(head)
    if match is not None:
        return _LEVELS[match.group("level")]
    return None


# --- JSON -------------------------------------------------------------------------------------


def _parse_json(text: str) -> ParsedLine:
    try:
        data = json.loads(text)
    except ValueError:
        line = _app_line(text)
        error_type = _json_error_type(text[:2000])
        if error_type is not None and '"errorMessage"' in text and not line.unhandled:
            # A runtime's error dump cut short (a console's copy, an export's last event): the
            # error it names still ended its invocation.
            line.unhandled = True
            line.error_type = error_type
            line.level = line.level or Level.ERROR
        return line
    if not isinstance(data, dict):
        return _app_line(text)
    kind = data.get("type")
    if isinstance(kind, str) and kind.startswith("platform."):
        return _parse_platform_json(text, kind, data)
    if kind == "Performance" and "used_memory_max" in data:
        # Lambda Insights' own record of an invocation (log group /aws/lambda-insights): a
        # metric, not a line the function logged; it opens no invocation.
        return ParsedLine(kind=LineKind.PLATFORM, text=text)
    return _parse_json_app(text, data)


def _as_dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _as_float(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


def _as_int(value: Any) -> int | None:
    number = _as_float(value)
    return None if number is None else round(number)


def _as_str(value: Any) -> str | None:
    if value is None:
        return None
    return clean(str(value)) or None


def _trace_from_record(record: dict[str, Any]) -> str | None:
    tracing = _as_dict(record.get("tracing"))
    value = tracing.get("value")
    if isinstance(value, str):
        for part in value.split(";"):
            if part.startswith("Root="):
                return clean(part[5:])
        return clean(value) or None
    return None


def _parse_platform_json(text: str, kind: str, data: dict[str, Any]) -> ParsedLine:
    record = _as_dict(data.get("record"))
    metrics = _as_dict(record.get("metrics"))
    request_id = _as_str(record.get("requestId"))
    status = _as_str(record.get("status"))
    status = status.lower() if status else None
    error_type = _as_str(record.get("errorType"))
    failed = status not in (None, "success")
    failure_type = _failure_type(status, error_type) if failed else None
    timestamp = _iso_ms(data.get("time")) if isinstance(data.get("time"), str) else None

    def line(line_kind: LineKind, **extra: Any) -> ParsedLine:
        return ParsedLine(
            kind=line_kind,
            text=text,
            request_id=request_id,
            timestamp_ms=timestamp,
            **extra,
        )

    if kind == "platform.start":
        trace = _trace_from_record(record)
        return line(
            _START,
            version=_as_str(record.get("version")),
            report=Report(trace_id=trace) if trace else None,
        )
    if kind == "platform.report":
        report = Report(
            duration_ms=_as_float(metrics.get("durationMs")),
            billed_ms=_as_float(metrics.get("billedDurationMs")),
            memory_size_mb=_as_int(metrics.get("memorySizeMB")),
            max_memory_mb=_as_int(metrics.get("maxMemoryUsedMB")),
            init_ms=_as_float(metrics.get("initDurationMs")),
            restore_ms=_as_float(metrics.get("restoreDurationMs")),
            billed_restore_ms=_as_float(metrics.get("billedRestoreDurationMs")),
            status=status,
            error_type=error_type,
            trace_id=_trace_from_record(record),
        )
        return line(_REPORT, report=report, error_type=failure_type)
    if kind == "platform.runtimeDone":
        report = Report(
            duration_ms=_as_float(metrics.get("durationMs")),
            status=status,
            error_type=error_type,
            trace_id=_trace_from_record(record),
        )
        return line(
            LineKind.RUNTIME_DONE,
            report=report,
            level=Level.ERROR if failed else None,
            error_type=failure_type,
            unhandled=failed,
            classification=_TIMED_OUT if status == "timeout" else None,
        )
    if kind in ("platform.initStart", "platform.restoreStart"):
        start_kind = LineKind.INIT_START if kind == "platform.initStart" else LineKind.RESTORE_START
        return line(start_kind, version=_as_str(record.get("runtimeVersion")))
    if kind in ("platform.initReport", "platform.restoreReport"):
        duration = _as_float(metrics.get("durationMs"))
        restore = kind == "platform.restoreReport"
        # Provisioned concurrency initialises ahead of any request: no caller waited on it, as
        # the text format's REPORT lines (no Init Duration) say too.
        ahead = record.get("initializationType") == "provisioned-concurrency"
        report = Report(
            init_ms=None if restore or ahead else duration,
            restore_ms=duration if restore else None,
            status=status,
            error_type=error_type,
            phase=_as_str(record.get("phase")),
        )
        return line(
            LineKind.RESTORE_REPORT if restore else LineKind.INIT_REPORT,
            report=report,
            level=Level.ERROR if failed else None,
            error_type=(error_type or f"Init.{status}") if failed else None,
            unhandled=failed,
            classification=_init_failure(report) if failed else None,
        )
    if kind in ("platform.initRuntimeDone", "platform.restoreRuntimeDone"):
        return line(
            LineKind.PLATFORM,
            level=Level.ERROR if failed else None,
            error_type=(error_type or f"Init.{status}") if failed else None,
            unhandled=failed,
        )
    if kind == "platform.extension":
        return line(LineKind.EXTENSION)
    if kind == "platform.logsDropped":
        return line(LineKind.LOGS_DROPPED, level=Level.WARN)
    return line(LineKind.PLATFORM)


_REQUEST_ID_KEYS = (
    "requestId",
    "AWSRequestId",
    "awsRequestId",
    "aws_request_id",
    "request_id",
    "function_request_id",
    "lambda_request_id",
    "requestID",
)


def _json_level(data: dict[str, Any]) -> tuple[Level | None, bool]:
    """The level of a JSON application line, and whether it was written as `log_level`."""
    value = data.get("level")
    by_log_level = False
    if value is None:
        value = data.get("log_level")
        by_log_level = value is not None
    if value is None:
        value = data.get("levelname", data.get("severity", data.get("lvl")))
    if value is None:
        # Serilog's compact JSON (`@l`, left out for Information) and .NET's JSON console
        # formatter (`LogLevel`).
        value = data.get("@l", data.get("LogLevel"))
    if value is None:
        # Elastic Common Schema (log4j2's EcsLayout and JsonTemplateLayout, ecs-logging):
        # `"log.level"`, or `"log": {"level"}`.
        value = data.get("log.level")
        nested = data.get("log")
        if value is None and isinstance(nested, dict):
            value = nested.get("level")
    if value is None:
        return None, by_log_level
    if isinstance(value, int | float) and not isinstance(value, bool):
        return _NUMERIC_LEVELS.get(int(value)), by_log_level
    return _LEVELS.get(str(value).upper()), by_log_level


_UNCAUGHT_HOOK = LazyPattern(r"log_uncaught_exception_hook\b")
_LOG_RECORD_KEYS = frozenset(("level", "log_level", "timestamp", "time", "@timestamp"))


def _is_error_dump(data: dict[str, Any]) -> bool:
    """A runtime's dump of the error that ended an invocation (`errorType`, `errorMessage`,
    a stack) and nothing of a log record: its own fields may look like a level (a PostgreSQL
    error's `"severity": "FATAL"`), but no logger wrote it."""
    return "errorMessage" in data and not _LOG_RECORD_KEYS & data.keys()


_BARE_ERROR_KEYS = frozenset(("errorMessage", "stackTrace", "trace"))


def _is_bare_error_message(data: dict[str, Any]) -> bool:
    return isinstance(data.get("errorMessage"), str) and data.keys() <= _BARE_ERROR_KEYS


def _bare_error_type(body: str) -> str | None:
    """`string` for a runtime's dump of a thrown value that is not an Error (see
    `_parse_json_app`), else None."""
    try:
        data = json.loads(body)
    except ValueError:
        return None
    return "string" if isinstance(data, dict) and _is_bare_error_message(data) else None


def _parse_json_app(text: str, data: dict[str, Any]) -> ParsedLine:
    level, by_log_level = _json_level(data)
    has_level = level is not None or by_log_level or "level" in data
    request_id = None
    for key in _REQUEST_ID_KEYS:
        value = data.get(key)
        if isinstance(value, str) and value and value != "undefined":
            request_id = clean(value)
            break
    error_type = _as_str(data.get("errorType"))
    message = data.get("message")
    if error_type is None and isinstance(message, dict):
        error_type = _as_str(message.get("errorType"))
    if error_type is None and _is_bare_error_message(data):
        # A thrown value that is not an Error (`callback("card declined")`): Node.js runtimes
        # up to 6.10 logged `{"errorMessage": ...}` alone; today's name its type as `typeof`.
        error_type = "string"
    timestamp_value = data.get("timestamp", data.get("time"))
    line = ParsedLine(
        kind=_APP,
        text=text,
        request_id=request_id,
        level=level,
        timestamp_ms=_iso_ms(timestamp_value),
    )
    if error_type is None and _UNCAUGHT_HOOK.match(_as_str(data.get("location")) or ""):
        # Powertools' Logger records the exception that is about to end the invocation.
        error_type = _as_str(data.get("exception_name")) or "Exception"
        line.unhandled = True
        line.error_type = error_type
        line.level = Level.ERROR
    elif error_type is not None:
        # Runtimes dump an unhandled error as `{"errorType", "errorMessage", ...}`: with no level
        # (Java, Go, Ruby), with `log_level` (Python), or as an `Invoke Error` (Node.js).
        message_text = message if isinstance(message, str) else ""
        unhandled = (
            not has_level
            or _is_error_dump(data)
            or by_log_level
            or bool(_NODE_FAILURE.match(message_text))
            or isinstance(message, dict)
            # .NET's JSON format: the ending exception with `"message": null`, its frames a list
            or (message is None and "message" in data and isinstance(data.get("stackTrace"), list))
        )
        if unhandled:
            line.unhandled = True
            line.error_type = error_type
            if line.level is None:
                line.level = Level.ERROR
    line.classification = classify(text)
    return line
