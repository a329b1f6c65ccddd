"""The export reader behind `diagnose --logs` (core/export.py), in-process: the shapes exports
come in, and the ones that must be refused with one clear sentence."""

from __future__ import annotations

import gzip
import json

import pytest
from lambdalogs import FUNCTION, Logs

from lambdatop.core.export import ExportError, read_export


def small() -> Logs:
    logs = Logs()
    logs.healthy(6, streams=2)
    return logs


def messages(data: bytes) -> list[str]:
    return [event.message for event in read_export(data).events]


def test_raw_python_lines_starting_with_a_bracket_are_text_not_json() -> None:
    text = (
        "[ERROR]\t2026-03-02T09:15:00.120Z\t3f1c2a9e-6d0b-4f7e-9a51-0c2d8e7b4a10\tboom\n"
        "[INFO]\t2026-03-02T09:15:00.220Z\t3f1c2a9e-6d0b-4f7e-9a51-0c2d8e7b4a10\tok\n"
    )
    exported = read_export(text.encode())
    assert len(exported.events) == 2
    assert exported.events[0].timestamp_ms == 1_772_442_900_120


def test_a_json_array_of_events() -> None:
    events = json.loads(small().filter_log_events())["events"]
    assert len(read_export(json.dumps(events).encode()).events) == len(events)


def test_bom_and_crlf_are_tolerated() -> None:
    logs = small()
    data = ("\ufeff" + logs.tail_text().replace("\n", "\r\n")).encode()
    exported = read_export(data)
    assert len(exported.events) == len(logs.events)
    assert not any(event.message.endswith("\r") for event in exported.events)


def test_firehose_objects_gzipped_and_concatenated() -> None:
    logs = small()
    data = gzip.compress(logs.subscription().replace("\n", "").encode())
    exported = read_export(data)
    assert exported.form == "subscription"
    assert exported.function_name == FUNCTION
    assert len(exported.events) == len(logs.events)


def test_events_keep_their_stream_and_come_out_in_time_order() -> None:
    logs = small()
    exported = read_export(logs.jsonl().encode())
    stamps = [event.timestamp_ms for event in exported.events]
    assert stamps == sorted(stamps)
    assert {event.stream for event in exported.events} == {event.stream for event in logs.events}


def test_a_lone_json_log_line_is_a_log_line() -> None:
    line = b'{"level":"ERROR","message":"boom","timestamp":"2026-03-02T09:15:00.120Z"}'
    assert messages(line) == [line.decode()]


@pytest.mark.parametrize(
    ("data", "says"),
    [
        (b'{"events": [{"timestamp": 1', "malformed JSON"),
        (b'{"events": "none"}', "neither an export nor events"),
        (b'[{"timestamp": 1772442895120}]', "no message"),
        (b"PK\x03\x04rest-of-a-zip", "zip archive"),
        (gzip.compress(b"x" * 100)[:12], "gzip"),
        (bytes(range(32)) * 200, "binary data"),
    ],
    ids=["truncated", "events-not-a-list", "no-message", "zip", "truncated-gzip", "binary"],
)
def test_refused_with_one_sentence(data: bytes, says: str) -> None:
    with pytest.raises(ExportError) as caught:
        read_export(data)
    message = str(caught.value)
    assert says in message
    assert "\n" not in message


def test_nul_bytes_and_invalid_utf8_inside_lines_are_data() -> None:
    logs = small()
    data = logs.raw_text().encode().replace(b"order accepted", b"order \x00\xff accepted")
    exported = read_export(data)
    assert len(exported.events) == len(logs.events)


def _insights_rows(logs: Logs) -> list[dict[str, str]]:
    """The events as the Logs Insights console downloads them (`@` fields, UTC without a T)."""
    from datetime import UTC, datetime

    rows = []
    for event in json.loads(logs.filter_log_events())["events"]:
        stamp = datetime.fromtimestamp(event["timestamp"] / 1000, UTC)
        rows.append(
            {
                "@timestamp": stamp.strftime("%Y-%m-%d %H:%M:%S.%f")[:-3],
                "@message": event["message"],
                "@logStream": event["logStreamName"],
                "@log": f"123456789012:/aws/lambda/{FUNCTION}",
            }
        )
    return rows


def test_a_logs_insights_download_names_its_function_and_keeps_times() -> None:
    logs = small()
    expected = json.loads(logs.filter_log_events())["events"]
    exported = read_export(json.dumps(_insights_rows(logs)).encode())
    assert exported.function_name == FUNCTION
    assert [e.message for e in exported.events] == [e["message"] for e in expected]
    assert [e.timestamp_ms for e in exported.events] == [e["timestamp"] for e in expected]
    assert {e.stream for e in exported.events} == {e["logStreamName"] for e in expected}


def test_get_query_results_rows_are_events() -> None:
    rows = _insights_rows(small())
    answer = {
        "results": [
            [{"field": key, "value": value} for key, value in row.items()]
            + [{"field": "@ptr", "value": "CmAKJwoj"}]
            for row in rows
        ],
        "status": "Complete",
    }
    exported = read_export(json.dumps(answer).encode())
    assert [e.message for e in exported.events] == [row["@message"] for row in rows]


def test_a_csv_download_with_a_message_column() -> None:
    import csv
    import io

    events = json.loads(small().filter_log_events())["events"]
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["timestamp", "message"])
    for event in events:
        writer.writerow([event["timestamp"], event["message"]])
    exported = read_export(buffer.getvalue().encode())
    assert [e.message for e in exported.events] == [e["message"] for e in events]
    assert [e.timestamp_ms for e in exported.events] == [e["timestamp"] for e in events]


def test_a_log_line_that_merely_contains_commas_is_not_csv() -> None:
    text = "START RequestId: r1 Version: $LATEST\nprocessed a, b, c message, done\n"
    assert messages(text.encode()) == [
        "START RequestId: r1 Version: $LATEST",
        "processed a, b, c message, done",
    ]


def test_a_gzip_bomb_is_refused_once_it_passes_the_cap(monkeypatch: pytest.MonkeyPatch) -> None:
    import lambdatop.core.export as export

    monkeypatch.setattr(export, "MAX_INPUT_BYTES", 1_000_000)
    member = gzip.compress(b"order accepted\n" * 40_000)  # 600 KB
    read_export(member)  # under the cap
    with pytest.raises(ExportError, match="too large: more than 2 GiB after decompression"):
        read_export(member + member)  # two members, 1.2 MB together


def test_input_past_the_cap_is_refused_without_reading_on(monkeypatch: pytest.MonkeyPatch) -> None:
    import io

    import lambdatop.core.export as export

    monkeypatch.setattr(export, "MAX_INPUT_BYTES", 1_000)
    assert export.read_input(io.BytesIO(b"x" * 1_000)) == b"x" * 1_000
    with pytest.raises(ExportError, match="too large: more than 2 GiB"):
        export.read_input(io.BytesIO(b"\0" * 5_000))


def test_a_truncated_gzip_member_is_refused() -> None:
    with pytest.raises(ExportError, match="gzip data that cannot be read"):
        read_export(gzip.compress(small().raw_text().encode())[:-30])
