"""Lambda's `EXTENSION` line for an extension that failed (lines written here): the state is an
error, the extension failed the environment, and the request waiting on it fails with
`Extension.<state>`; a ready or subscribed extension's line is none of that."""

from __future__ import annotations

import pytest

from lambdatop.core.parse import parse
from lambdatop.core.records import ErrorFamily, Level, LineKind


@pytest.mark.parametrize(
    ("message", "error_type"),
    [
        pytest.param(
            "EXTENSION\tName: audit-shipper\tState: InitError\tEvents: [INVOKE,SHUTDOWN]",
            "Extension.InitError",
            id="init-error",
        ),
        pytest.param(
            "EXTENSION Name: otel-collector State: LaunchError Events: [] Error Type: UnknownError",
            "Extension.LaunchError",
            id="launch-error-with-its-own-type",
        ),
        pytest.param(
            "EXTENSION\tName: secrets-cache\tState: ExitError\tEvents: [INVOKE]\tEr",
            "Extension.ExitError",
            id="exit-error-cut-short",
        ),
    ],
)
def test_an_extension_in_an_error_state_fails_its_request(message: str, error_type: str) -> None:
    line = parse(message)
    assert line.kind is LineKind.EXTENSION
    assert line.unhandled
    assert line.level is Level.ERROR
    assert line.error_type == error_type
    assert line.classification is not None
    assert line.classification.family is ErrorFamily.INIT
    # The signature is words the line holds: a log search for it finds the line.
    assert line.classification.signature in message


@pytest.mark.parametrize(
    "message",
    [
        "EXTENSION\tName: audit-shipper\tState: Ready\tEvents: [INVOKE,SHUTDOWN]",
        "TELEMETRY\tName: audit-shipper\tState: Subscribed\tTypes: [Platform, Function]",
        "LOGS\tName: audit-shipper\tState: Subscribed\tTypes: [function]",
        # A word that merely ends in `Error` elsewhere on the line is no state.
        "EXTENSION\tName: ErrorReporter\tState: Ready\tEvents: [INVOKE]",
    ],
)
def test_a_healthy_extension_line_is_no_failure(message: str) -> None:
    line = parse(message)
    assert line.kind is LineKind.EXTENSION
    assert not line.unhandled
    assert line.level is None
    assert line.classification is None


@pytest.mark.parametrize(
    ("record", "level"),
    [
        pytest.param({"@l": "Error", "@m": "charge failed"}, Level.ERROR, id="serilog-error"),
        pytest.param({"@l": "Fatal", "@m": "host stopped"}, Level.FATAL, id="serilog-fatal"),
        # Serilog's compact JSON leaves `@l` out for Information.
        pytest.param({"@m": "charged", "@t": "2026-09-14T08:02:11Z"}, None, id="serilog-info"),
        pytest.param({"LogLevel": "Error", "Message": "x"}, Level.ERROR, id="dotnet-console"),
        pytest.param(
            {"LogLevel": "Information", "Message": "x"}, Level.INFO, id="dotnet-information"
        ),
        pytest.param({"level": 50, "msg": "boot failed"}, Level.ERROR, id="pino-50"),
        pytest.param({"level": "error", "event": "refund rejected"}, Level.ERROR, id="structlog"),
    ],
)
def test_a_structured_records_level_is_read(record: dict[str, object], level: Level | None) -> None:
    import json

    assert parse(json.dumps(record)).level is level
