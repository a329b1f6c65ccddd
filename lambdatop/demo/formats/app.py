"""Application lines, as each runtime's logger writes them, in the Text and JSON log formats."""

from __future__ import annotations

import json

from lambdatop.demo.formats.clock import iso_ms
from lambdatop.demo.incidents.base import AppLine, Failure, Level
from lambdatop.demo.scenarios import LogFormat, RuntimeFamily

_PYTHON_LEVELS = {
    Level.DEBUG: "DEBUG",
    Level.INFO: "INFO",
    Level.WARN: "WARNING",
    Level.ERROR: "ERROR",
}


def app_line(
    family: RuntimeFamily,
    log_format: LogFormat,
    line: AppLine,
    at: float,
    request_id: str | None,
) -> str:
    """One application line; `request_id` is None for lines written during init."""
    if line.raw or family is RuntimeFamily.GO:
        return line.message + "\n"
    if log_format is LogFormat.JSON:
        return _json_line(family, line, at, request_id)
    if family is RuntimeFamily.PYTHON:
        # The Python runtime's log formatter: [LEVEL]\t<timestamp>\t<request id>\t<message>
        level = _PYTHON_LEVELS[line.level]
        return f"[{level}]\t{iso_ms(at)}\t{request_id or ''}\t{line.message}\n"
    if family is RuntimeFamily.NODE:
        # console.* patched by the Node.js runtime; newlines inside a message become \r
        message = line.message.replace("\n", "\r")
        return f"{iso_ms(at)}\t{request_id or 'undefined'}\t{line.level.value}\t{message}\n"
    # Java: LambdaLogger with a level set writes `[LEVEL] message`
    return f"[{line.level.value}] {line.message}\n"


def _json_line(family: RuntimeFamily, line: AppLine, at: float, request_id: str | None) -> str:
    record: dict[str, object] = {"timestamp": iso_ms(at), "level": line.level.value}
    if family is RuntimeFamily.PYTHON:
        record["message"] = line.message
        record["logger"] = "root"
        if request_id:
            record["requestId"] = request_id
    elif family is RuntimeFamily.NODE:
        if request_id:
            record["requestId"] = request_id
        record["message"] = line.message
    else:
        record["message"] = line.message
        if request_id:
            record["AWSRequestId"] = request_id
    return json.dumps(record, separators=(",", ":"))


def unhandled_error(
    family: RuntimeFamily,
    log_format: LogFormat,
    failure: Failure,
    at: float,
    request_id: str,
) -> str:
    """How the runtime reports an error the handler did not catch."""
    if log_format is LogFormat.JSON and family in (RuntimeFamily.PYTHON, RuntimeFamily.NODE):
        # The Python runtime's unhandled-error record uses `log_level`, not `level`
        level_key = "log_level" if family is RuntimeFamily.PYTHON else "level"
        record = {
            "timestamp": iso_ms(at),
            level_key: "ERROR",
            "errorMessage": failure.message,
            "errorType": failure.error_type,
            "requestId": request_id,
            "stackTrace": list(failure.stack),
        }
        return json.dumps(record, separators=(",", ":"))
    if family is RuntimeFamily.PYTHON:
        trace = "".join(failure.stack)
        return (
            f"[ERROR] {failure.error_type}: {failure.message}\n"
            f"Traceback (most recent call last):\n{trace}"
        )
    if family is RuntimeFamily.NODE:
        payload = {
            "errorType": failure.error_type,
            "errorMessage": failure.message,
            "stack": [f"{failure.error_type}: {failure.message}", *failure.stack],
        }
        body = json.dumps(payload, separators=(",", ":"))
        return f"{iso_ms(at)}\t{request_id}\tERROR\tInvoke Error \t{body}\n"
    if family is RuntimeFamily.JAVA:
        payload = {
            "errorMessage": failure.message,
            "errorType": failure.error_type,
            "stackTrace": list(failure.stack),
        }
        return json.dumps(payload, indent=2) + "\n"
    # aws-lambda-go reports the returned error to the Runtime API; the platform logs its JSON
    payload = {"errorMessage": failure.message, "errorType": failure.error_type}
    return json.dumps(payload, separators=(",", ":")) + "\n"


def init_error(family: RuntimeFamily, log_format: LogFormat, failure: Failure, at: float) -> str:
    """The runtime's report of a failed init (import error, missing module)."""
    if log_format is LogFormat.JSON:
        record = {
            "timestamp": iso_ms(at),
            "log_level": "ERROR",
            "errorMessage": failure.message,
            "errorType": failure.error_type,
            "requestId": "",
            "stackTrace": list(failure.stack),
        }
        return json.dumps(record, separators=(",", ":"))
    if family is RuntimeFamily.PYTHON:
        return (
            f"[ERROR] {failure.error_type}: {failure.message}\nTraceback (most recent call last):\n"
        )
    if family is RuntimeFamily.NODE:
        payload = {
            "errorType": failure.error_type,
            "errorMessage": failure.message,
            "stack": [f"{failure.error_type}: {failure.message}", *failure.stack],
        }
        body = json.dumps(payload, separators=(",", ":"))
        return f"{iso_ms(at)}\tundefined\tERROR\tUncaught Exception \t{body}\n"
    return f"{failure.error_type}: {failure.message}\n"
