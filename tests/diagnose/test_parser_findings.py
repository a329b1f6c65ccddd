"""What the diagnosis needs from the parser and classifier: a timeout line keeps its own time
(so a raw-text export's window ends where it should), and a database error is titled by the
words that say what happened."""

from __future__ import annotations

from lambdalogs import Logs, evidence, py

from lambdatop.core.classify import classify
from lambdatop.core.export import read_export
from lambdatop.core.parse import parse
from lambdatop.core.timeutil import to_epoch_ms

TIMED_OUT = (
    "2026-03-02T09:16:01.085Z 0d75985d-99c9-4309-a70d-c1951c2442f9 "
    "Task timed out after 30.00 seconds"
)


def test_timeout_line_keeps_its_own_timestamp() -> None:
    assert parse(TIMED_OUT).timestamp_ms == to_epoch_ms("2026-03-02T09:16:01.085Z")


def test_raw_text_window_ends_at_the_last_timeout() -> None:
    logs = Logs()
    logs.healthy(5)
    env = logs.stream()
    logs.invoke(env, timeout_s=30.0)
    exported = read_export(logs.raw_text().encode())
    newest = max(event.timestamp_ms for event in exported.events)
    assert newest >= logs.end_ms - 1


def test_database_signature_names_what_happened() -> None:
    line = py(
        "ERROR",
        "pymysql.err.OperationalError: (2013, 'Lost connection to MySQL server during query')",
    )
    found = classify(line.replace("{ts}", "2026-03-02T09:15:00.000Z").replace("{rid}", "x"))
    assert found is not None
    assert "Lost connection to MySQL server" in found.signature


def test_the_findings_above_do_not_hide_a_working_pipeline() -> None:
    """The rest of a raw-text export is read and grouped."""
    logs = Logs()
    logs.healthy(5)
    exported = read_export(logs.raw_text().encode())
    assert len(exported.events) == len(logs.events)
    assert len(evidence(logs).reported) == 5
