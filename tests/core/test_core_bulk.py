"""Reading a whole export the fast way gives exactly what the straightforward way gives.

The fast way: the AWS CLI's JSON read into columns (core/export.py), ordinary lines counted
unparsed and the streams shared between two processes (core/bulk.py), and the fast paths of
core/parse.py. The straightforward way: every event a LogEvent, every line parsed and fed to
the pipeline in order. Compared on the benchmark's corpus and on the realistic fixtures of the
other tests, in every export form, as the diagnosis JSON and as the evidence behind it.
"""

from __future__ import annotations

import functools
import importlib
import json
import random
import sys
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from core_corpus import MIXED, RID, RID2, RID3, RID4, STREAM_A, STREAM_B, STREAM_C, TS_MS
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lambdalogs import Logs, node, py, py_unhandled
from test_core_classify import (
    DATABASES,
    INIT_ERRORS,
    NEGATIVE,
    NETWORK,
    OUT_OF_MEMORY,
    PERMISSION,
    POOLS,
    THROTTLING,
)
from test_core_invocations import JSON_SESSIONS, SESSIONS
from test_core_properties import FORMATTED

from lambdatop.commands.diagnose import _export_pipeline, _windowed, evidence_from_export
from lambdatop.core import bulk, export
from lambdatop.core import classify as classify_module
from lambdatop.core.bulk import ingest_every_line, ingest_export, read_and_ingest
from lambdatop.core.classify import _TRIGGERS, _Guarded, classify, classify_after
from lambdatop.core.export import ExportedLogs, ExportError, read_export
from lambdatop.core.parse import (
    _BRACKET_LEVEL,
    _TS_PREFIX,
    _canonical_platform,
    _iso_ms,
    _platform_by_fields,
    parse,
    quiet_request_id,
)
from lambdatop.core.pipeline import LogPipeline
from lambdatop.core.records import Level, LineKind
from lambdatop.core.timeutil import to_epoch_ms
from lambdatop.diagnose.engine import diagnose
from lambdatop.diagnose.evidence import Evidence
from lambdatop.diagnose.render import to_json

# The benchmark's corpus lives in bench/, at the root of the repository.
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
bench_corpus = importlib.import_module("bench.corpus")

SETTINGS = settings(
    max_examples=400,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)

Event = dict[str, Any]
Ingest = Callable[[LogPipeline, ExportedLogs], None]
Way = Callable[[bytes], Evidence]
YEAR_S = 86_400 * 365.0


def read_then(ingest: Ingest) -> Way:
    """Read the export, then feed it to the pipeline with `ingest`."""

    def way(data: bytes) -> Evidence:
        exported = read_export(data)
        return evidence_from_export(
            exported, function="f", region="eu-west-1", since_s=YEAR_S, ingest=ingest
        )

    return way


def read_in_two(data: bytes) -> Evidence:
    """As `diagnose --logs` does: each of two processes reads the export on its own."""
    pipeline = _export_pipeline()
    exported = read_and_ingest(data, pipeline, parallel_min=1)
    return _windowed(pipeline, exported, function="f", region="eu-west-1", since_s=YEAR_S)


def decoded_by_msgspec(way: Way) -> Way:
    """`way`, with a page of `filter-log-events` of any size decoded by msgspec."""

    def decoded(data: bytes) -> Evidence:
        least = export.DECODER_MIN_BYTES
        export.DECODER_MIN_BYTES = 0
        try:
            return way(data)
        finally:
            export.DECODER_MIN_BYTES = least

    return decoded


WAYS: dict[str, Way] = {
    "one process": read_then(functools.partial(ingest_export, parallel_min=10**12)),
    "two processes": read_then(functools.partial(ingest_export, parallel_min=1)),
    "two processes reading": read_in_two,
    "msgspec, two processes reading": decoded_by_msgspec(read_in_two),
}


# --- scenarios: CloudWatch events in export order -----------------------------------------------


def _event(stream: str, timestamp: int, message: str, number: int) -> Event:
    return {
        "logStreamName": stream,
        "timestamp": timestamp,
        "message": message,
        "ingestionTime": timestamp + 700,
        "eventId": f"{number:056d}",
    }


def _interleave(streams: dict[str, list[str]], seed: int, start_ms: int = TS_MS) -> list[Event]:
    """Each stream's lines in its order, the streams interleaved at random, several events in
    the same millisecond (ties between streams keep the export's order)."""
    rng = random.Random(seed)
    queues = {stream: list(lines) for stream, lines in streams.items() if lines}
    out: list[Event] = []
    clock = start_ms
    while queues:
        stream = rng.choice(sorted(queues))
        out.append(_event(stream, clock, queues[stream].pop(0), len(out) + 1))
        if not queues[stream]:
            del queues[stream]
        clock += rng.choice((0, 0, 1, 3))
    return out


def _fresh_ids(lines: list[str], rng: random.Random) -> list[str]:
    fresh = {rid: str(uuid.UUID(int=rng.getrandbits(128), version=4)) for rid in RIDS}
    out = []
    for line in lines:
        for old, new in fresh.items():
            line = line.replace(old, new)
        out.append(line)
    return out


RIDS = (RID, RID2, RID3, RID4)


def sessions() -> list[Event]:
    """Every invocation of the grouping tests (text and JSON formats, cold starts, init failures,
    timeouts, crashes, lines without request ids), each with its own request ids, many to an
    environment, the environments interleaved."""
    rng = random.Random(11)
    streams: dict[str, list[str]] = {f"2026/03/02/[$LATEST]{i:032x}": [] for i in range(7)}
    names = sorted(streams)
    for copy in range(3):
        for index, case in enumerate([*SESSIONS, *JSON_SESSIONS]):
            lines = case.values[0]
            home = names[(index + copy) % len(names)]
            split = {STREAM_A: home, STREAM_B: names[(index + 3) % 7], STREAM_C: names[-1]}
            for stream, message in _with_streams(lines, home, split, rng):
                streams[stream].append(message)
    return _interleave(streams, seed=3)


def _with_streams(
    lines: list[Any], home: str, split: dict[str, str], rng: random.Random
) -> Iterator[tuple[str, str]]:
    messages = _fresh_ids([line if isinstance(line, str) else line[1] for line in lines], rng)
    for line, message in zip(lines, messages, strict=True):
        yield (home if isinstance(line, str) else split[line[0]]), message


def incident(json_format: bool) -> list[Event]:
    """The diagnose tests' incident: pool exhaustion, timeouts, an OOM printed five ways,
    denials, unfinished invocations, cold starts; and the lines of MIXED in a stream of their
    own."""
    logs = Logs(json_format=json_format)
    logs.healthy(60, memory_mb=512, used_mb=(200, 260))
    env = logs.stream()
    pool = py("ERROR", "QueuePool limit of size 5 overflow 10 reached, connection timed out")
    for _ in range(3):
        logs.invoke(env, timeout_s=30.0, app=(pool,))
    oom = (
        py("ERROR", "MemoryError while resizing the image buffer"),
        py_unhandled("MemoryError", ""),
        "Runtime.OutOfMemory: Runtime exited with error: signal: killed",
        "RequestId: {rid} Error: Runtime exited with error: signal: killed\nRuntime.ExitError",
    )
    logs.invoke(env, used_mb=512, app=oom, status="error", error_type="Runtime.OutOfMemory")
    denied = node(
        "ERROR",
        "AccessDeniedException: User: arn:aws:sts::123456789012:assumed-role/r/f is not "
        "authorized to perform: dynamodb:PutItem on resource: arn:aws:dynamodb:eu-west-1:"
        "123456789012:table/orders",
    )
    logs.invoke(env, app=(denied, py("INFO", "retrying")), status="error")
    logs.invoke(env, report=False, app=(py("INFO", "still working"),))
    ordered = [
        _event(e.stream, e.timestamp_ms, e.message, n) for n, e in enumerate(logs.ordered(), 1)
    ]
    mixed = [
        _event("2026/03/02/[$LATEST]mixed", TS_MS + i, line, 10**6 + i)
        for i, line in enumerate(MIXED * 3)
    ]
    return sorted(ordered + mixed, key=lambda event: event["timestamp"])


def ordinary_lines_out_of_place() -> list[Event]:
    """Ordinary lines that must not be skipped: before their START, after the next request
    started, of a request running in another stream, and retried in another environment (the
    same request id in two streams: the two processes must not split it)."""
    a, b, c = (str(uuid.UUID(int=n, version=4)) for n in (1, 2, 3))
    report = "REPORT RequestId: {}\tDuration: 5.00 ms\tBilled Duration: 5 ms\tMemory Size: 128 MB"
    report += "\tMax Memory Used: 60 MB\t"
    info = "2026-03-02T09:14:55.120Z\t{}\tINFO\thello\n"
    streams = {
        STREAM_A: [
            info.format(a),
            f"START RequestId: {a} Version: $LATEST",
            info.format(a),
            f"START RequestId: {b} Version: $LATEST",
            info.format(a),
            f"END RequestId: {a}\n",
            f"[INFO]\t2026-03-02T09:14:55.120Z\t{b}\tworking\n",
            report.format(b),
            f"START RequestId: {c} Version: $LATEST",
            f"[WARN]\t2026-03-02T09:14:55.120Z\t{c}\tslow\n",
        ],
        STREAM_B: [
            f"START RequestId: {c} Version: $LATEST",
            info.format(c),
            info.format(a),
            f"[ERROR]\t2026-03-02T09:14:55.120Z\t{c}\tboom\n",
            f"END RequestId: {c}\n",
            report.format(c),
        ],
    }
    return _interleave(streams, seed=5)


def queue_consumer() -> list[Event]:
    """An SQS consumer in two environments: each invocation names its messages; one message
    fails every delivery, in both environments (the halves' records must be joined)."""
    report = "REPORT RequestId: {}\tDuration: 5.00 ms\tBilled Duration: 5 ms\tMemory Size: 128 MB"
    report += "\tMax Memory Used: 60 MB\t"
    poison = "5f3c9a1e-2b7d-4e0a-9c6f-8d1b2a3c4e5f"
    streams: dict[str, list[str]] = {STREAM_A: [], STREAM_B: []}
    for n in range(12):
        rid = str(uuid.UUID(int=100 + n, version=4))
        message = poison if n % 3 == 0 else str(uuid.UUID(int=900 + n, version=4))
        lines = streams[STREAM_A if n % 2 else STREAM_B]
        lines += [
            f"START RequestId: {rid} Version: $LATEST",
            f"[INFO]\t2026-03-02T09:14:55.120Z\t{rid}\tprocessing messageId={message}"
            " from queue orders\n",
            f'{{"timestamp": "2026-03-02T09:14:55Z", "level": "INFO", "requestId": "{rid}",'
            f' "message": "deleting messageId: {message} (sqs)"}}',
        ]
        if message == poison:
            lines.append("[ERROR] KeyError: 'sku'\nTraceback (most recent call last):\n")
        lines += [f"END RequestId: {rid}\n", report.format(rid)]
    return _interleave(streams, seed=9)


def almost_canonical(separator: bool) -> list[Event]:
    """Lines one character away from the layouts the quiet-line shortcut and the canonical
    platform expressions recognise (a NUL in one of them when `separator`), and canonical
    ones, in two environments."""
    a, b, c = (str(uuid.UUID(int=n, version=4)) for n in (31, 32, 33))
    stamp = "2026-03-02T09:14:55.120Z"
    report = "REPORT RequestId: {}\tDuration: 5.00 ms\tBilled Duration: 5 ms\tMemory Size: 128 MB"
    report += "\tMax Memory Used: {} MB"
    streams = {
        STREAM_A: [
            f"START RequestId: {a} Version: $LATEST\n",
            f"{stamp}\t{a}\tINFO\tfetched 17 items\n\n",
            f"[INFO]\t{stamp}\t{a}\tpool exhausted\n",
            f"{stamp}\t{a}\tINFO\tInvoke Error \t{{}}\n",
            f"{stamp}\t{a}\tINFO\t\\u0070ool exhausted\n",
            f"{stamp}\t{a}\tINFO\tcolour \x1b[31mred\n",
            f"[INFO]\t{stamp}\t{a}\t \n",
            f"{stamp}\t{a}\tINFO\tok\r\n",
            f"END RequestId: {a} \n",
            report.format(a, 128) + "\t\n",
            f"START RequestId: {b.upper()} Version: $LATEST\n",
            f"[WARN]\t{stamp}\t{b}\tslow\n",
            f"END RequestId: {b}\n",
            report.format(b, 60) + "\x1b[0m\n",
        ],
        STREAM_B: [
            f"START RequestId: {c} Version: 7 \n",
            f"[INFO]\t{stamp[:-1]}+00:00\t{c}\tother layout\n",
            f"{stamp}\t{c}\tINFO\tprocessing messageId={c}\n",
            f"{stamp}\t{c}\tINFO\tTask timed out after 3.00 seconds\n",
            f"END RequestId: {c}",
            report.format(c, 70) + f"\tInit Duration: 12.5 ms\nXRAY TraceId: 1-{a[:8]}-{c[:24]}"
            "\tSegmentId: 3c4d5e6f7a8b9c0d\tSampled: true\n",
        ],
    }
    if separator:
        streams[STREAM_B].insert(1, f"[INFO]\t{stamp}\t{c}\tholds a \x00 NUL\n")
    return _interleave(streams, seed=13)


def bench(count: int = 4000) -> list[Event]:
    return list(bench_corpus.events(count, seed=2))


SCENARIOS: dict[str, Callable[[], list[Event]]] = {
    "bench-corpus": bench,
    "sessions": sessions,
    "incident-text": lambda: incident(json_format=False),
    "incident-json": lambda: incident(json_format=True),
    "out-of-place": ordinary_lines_out_of_place,
    "queue-consumer": queue_consumer,
    "almost-canonical": lambda: almost_canonical(separator=False),
    "a-separator-inside": lambda: almost_canonical(separator=True),
}


def filter_log_events(events: list[Event], indent: int | None = 4) -> bytes:
    return json.dumps({"events": events, "searchedLogStreams": []}, indent=indent).encode()


FORMS: dict[str, Callable[[list[Event]], bytes]] = {
    "aws-cli": filter_log_events,
    "compact": functools.partial(filter_log_events, indent=None),
    "unsorted": lambda events: filter_log_events(
        events[len(events) // 3 :] + events[: len(events) // 3]
    ),
    "overlapping-pages": lambda events: filter_log_events(events[len(events) // 3 :] + events),
    "jsonl": lambda events: "".join(json.dumps(e) + "\n" for e in events).encode(),
    "raw-text": lambda events: "".join(e["message"].rstrip("\n") + "\n" for e in events).encode(),
}


# --- the comparison -----------------------------------------------------------------------------


def same_evidence(fast: Evidence, plain: Evidence) -> None:
    assert fast.invocations == plain.invocations
    assert fast.findings == plain.findings
    assert fast.failures == plain.failures
    assert fast.dropped == plain.dropped
    assert fast.records == plain.records
    assert (fast.lines, fast.error_lines) == (plain.lines, plain.error_lines)
    assert (fast.start_ms, fast.end_ms) == (plain.start_ms, plain.end_ms)
    assert to_json(diagnose(fast)) == to_json(diagnose(plain))


@functools.cache
def straightforward(scenario: str, form: str) -> Evidence:
    return read_then(ingest_every_line)(FORMS[form](SCENARIOS[scenario]()))


@pytest.mark.parametrize("way", list(WAYS))
@pytest.mark.parametrize("form", list(FORMS))
@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_the_fast_way_gives_the_same_diagnosis(scenario: str, form: str, way: str) -> None:
    plain = straightforward(scenario, form)
    assert plain.lines > 0
    same_evidence(WAYS[way](FORMS[form](SCENARIOS[scenario]())), plain)


@pytest.mark.parametrize("way", ["two processes", "two processes reading"])
@pytest.mark.parametrize(
    ("scenario", "merged"),
    [("bench-corpus", True), ("sessions", True), ("out-of-place", False)],
)
def test_the_two_halves_are_merged_only_when_they_cannot_interact(
    scenario: str, merged: bool, way: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    outcomes: list[bool] = []
    merge = bulk._merge

    def spy(*args: Any) -> bool:
        outcomes.append(merge(*args))
        return outcomes[-1]

    monkeypatch.setattr(bulk, "_merge", spy)
    data = filter_log_events(SCENARIOS[scenario]())
    same_evidence(WAYS[way](data), straightforward(scenario, "aws-cli"))
    assert outcomes == [merged]


def test_reading_in_two_refuses_what_reading_refuses() -> None:
    data = b'{"events": [' + b'{"timestamp": 1772442000000, "message": "x"}, ' * 20 + b"{"
    with pytest.raises(ExportError) as plain:
        read_export(data)
    with pytest.raises(ExportError) as in_two:
        read_and_ingest(data, _export_pipeline(), parallel_min=1)
    assert str(in_two.value) == str(plain.value)


def test_the_straightforward_way_really_diagnoses_something() -> None:
    report = json.loads(to_json(diagnose(straightforward("incident-text", "aws-cli"))))
    statuses = {check["id"]: check["status"] for check in report["checks"]}
    assert statuses["timeout"] == statuses["connection_pool"] == statuses["permission"] == "fail"
    assert report["summary"]["out_of_memory"] == 1


@pytest.mark.parametrize("least", [export.DECODER_MIN_BYTES, 0])
@pytest.mark.parametrize("form", ["aws-cli", "compact", "unsorted"])
def test_the_column_reader_reads_what_the_event_reader_reads(
    form: str, least: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = FORMS[form](bench())
    monkeypatch.setattr(export, "DECODER_MIN_BYTES", least)
    fast = read_export(data)
    assert fast.columns is not None
    monkeypatch.setattr(export, "DECODER_MIN_BYTES", 10**12)
    monkeypatch.setattr(export, "_plain_columns", lambda items: None)
    plain = read_export(data)
    assert plain.columns is None
    assert fast.events == plain.events
    assert fast.parsed == plain.parsed
    assert (fast.has_time, fast.form, fast.log_group) == (plain.has_time, plain.form, None)


def _extra_field(events: list[Event]) -> None:
    events[7]["extra"] = 1


def _missing_field(events: list[Event]) -> None:
    del events[9]["ingestionTime"]


def _seconds(events: list[Event]) -> None:
    events[11]["timestamp"] = 1_772_442_000


def _string_time(events: list[Event]) -> None:
    events[12]["timestamp"] = "1772442000123"


def _no_time(events: list[Event]) -> None:
    events[13]["timestamp"] = -5


def _float_time(events: list[Event]) -> None:
    events[14]["timestamp"] = 1772442000123.0


def _boolean_time(events: list[Event]) -> None:
    events[15]["ingestionTime"] = True


def _lone_surrogate(events: list[Event]) -> None:
    events[16]["message"] = "half an emoji \ud83d, kept as JSON decodes it"


def _null_message(events: list[Event]) -> None:
    events[17]["message"] = None


@pytest.mark.parametrize(
    ("change", "columns"),
    [
        (_extra_field, False),
        (_missing_field, False),
        (_string_time, False),
        (_seconds, True),
        (_no_time, False),
        (_float_time, False),
        (_boolean_time, False),
        (_lone_surrogate, True),
        (_null_message, False),
    ],
)
@pytest.mark.parametrize("least", [export.DECODER_MIN_BYTES, 0])
def test_other_shapes_read_the_same(
    change: Callable[[list[Event]], None],
    columns: bool,
    least: int,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    events = bench(50)
    change(events)
    data = filter_log_events(events)
    monkeypatch.setattr(export, "DECODER_MIN_BYTES", least)
    fast = read_export(data)
    assert (fast.columns is not None) is columns
    monkeypatch.setattr(export, "DECODER_MIN_BYTES", 10**12)
    monkeypatch.setattr(export, "_plain_columns", lambda items: None)
    assert fast.events == read_export(data).events


def _page(events: list[Event], **more: Any) -> bytes:
    return json.dumps({"events": events, "searchedLogStreams": [], **more}).encode()


@pytest.mark.parametrize(
    "data",
    [
        _page(bench(30), nextToken="Bxkq6kVGFtq2y_Moigeqscj"),
        _page(bench(30), results=[]),
        _page(bench(30), awslogs={"data": "H4sI"}),
        _page([]),
        b"\xef\xbb\xbf" + _page(bench(30)),
        b" \r\n" + _page(bench(30)) + b"\n",
        _page(bench(30)).replace(b"processed order", b"processed \xff order"),
        _page(bench(30)) + b"{}",
        _page(bench(30)).replace(b'"events"', b'"events": [], "events"', 1),
        _page(bench(30))[:-40],
    ],
    ids=[
        "next token",
        "insights key",
        "subscription key",
        "no events",
        "byte order mark",
        "whitespace",
        "invalid utf-8",
        "a second document",
        "events twice",
        "cut short",
    ],
)
def test_a_page_msgspec_decodes_reads_as_the_general_reader_reads_it(
    data: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    def read(least: int) -> tuple[Any, ...]:
        monkeypatch.setattr(export, "DECODER_MIN_BYTES", least)
        try:
            exported = read_export(data)
        except ExportError as error:
            return ("refused", str(error))
        return (
            exported.events,
            exported.parsed,
            exported.has_time,
            exported.form,
            exported.log_groups,
        )

    assert read(0) == read(10**12)


def test_msgspec_decodes_the_aws_clis_page() -> None:
    """The fast decoder does take the page `filter-log-events` prints (else the tests above
    would only ever compare the general reader with itself)."""
    page = export._plain_page(filter_log_events(bench(30)), None)
    assert page is not None
    assert page.columns is not None
    assert len(page) == 30


# --- the line-level shortcuts, against the general code they stand in for ---------------------

UUIDS = st.sampled_from([RID, RID2, "403fe2a1-0000-4000-8000-000000000403", "undefined", ""])
LEVELS = st.sampled_from(["INFO", "DEBUG", "TRACE", "WARN", "WARNING", "ERROR", "FATAL", "info"])
STAMPS = st.sampled_from(
    ["2026-03-02T09:14:55.120Z", "2026-03-02T09:14:55.403Z", "2026-03-02 09:14:55.120", "2026"]
)
SEPARATORS = st.sampled_from(["\t", "\t", " ", "\t\t", ""])
PIECES = st.sampled_from(
    [
        *_TRIGGERS[::4],
        "Task timed out after 3.00 seconds",
        "TIMEOUT RequestId: x",
        "Invoke Error ",
        "Uncaught Exception",
        "panic: ",
        '{"errorType":"E","errorMessage":"m"}',
        "403",
        "hello",
        "order 1234 done",
        " ",
        "\t",
        "\n",
        "\r",
        "\x1b[31m",
        "\x00",
        "\u202e",
        "\u2003",
        "\ufeff",
        "İ",
        "K",
        "END RequestId: ",
        "START RequestId: ",
    ]
)
BODIES = st.lists(PIECES | st.text(max_size=6), max_size=6).map("".join)


@st.composite
def prefixed_lines(draw: st.DrawFn) -> str:
    """Lines in or near the layouts `quiet_request_id` accepts: half of them exactly in it."""
    if draw(st.booleans()):
        sep, stamp, rid = ["\t"] * 3, "2026-03-02T09:14:55.120Z", RID
        level = draw(st.sampled_from(["INFO", "DEBUG", "TRACE", "WARN"]))
    else:
        sep = [draw(SEPARATORS) for _ in range(3)]
        stamp, rid, level = draw(STAMPS), draw(UUIDS), draw(LEVELS)
    shape = draw(st.sampled_from(["node", "python", "end", "json", "other"]))
    ending = draw(st.sampled_from(["", "\n", " \n", "\t"]))
    if shape == "json":
        return json_line(draw, stamp, level, rid) + ending
    if shape == "node":
        head = f"{stamp}{sep[0]}{rid}{sep[1]}{level}{sep[2]}"
    elif shape == "python":
        head = f"[{level}]{sep[0]}{stamp}{sep[1]}{rid}{sep[2]}"
    elif shape == "end":
        head = f"END RequestId: {rid}"
    else:
        head = ""
    return head + draw(BODIES) + ending


def json_line(draw: st.DrawFn, stamp: str, level: str, rid: str) -> str:
    """Lambda's JSON format (Node.js's keys or Python's), its strings written by `json.dumps`
    or as they are (invalid escapes and all), sometimes with a key more."""
    message = draw(BODIES)
    fields: dict[str, Any] = {"timestamp": stamp, "level": level}
    if draw(st.booleans()):
        fields |= {"requestId": rid, "message": message}
    else:
        fields |= {"message": message, "logger": draw(BODIES), "requestId": rid}
    if draw(st.integers(0, 4)) == 0:
        fields[draw(st.sampled_from(["errorType", "type", "level", "requestId", "x"]))] = "E"
    separators = draw(st.sampled_from([(", ", ": "), (",", ":")]))
    if draw(st.booleans()):
        return json.dumps(fields, separators=separators, ensure_ascii=draw(st.booleans()))
    comma, colon = separators
    return "{" + comma.join(f'"{k}"{colon}"{v}"' for k, v in fields.items()) + "}"


@SETTINGS
@given(prefixed_lines() | st.sampled_from(MIXED))
def test_a_quiet_line_parses_as_an_ordinary_line_of_its_request(message: str) -> None:
    assert_quiet_is_ordinary(message)


def assert_quiet_is_ordinary(message: str) -> None:
    request_id = quiet_request_id(message)
    if request_id is None:
        return
    line = parse(message)
    assert line.kind in (LineKind.APP, LineKind.END)
    assert line.request_id == request_id
    assert line.classification is None
    assert not line.unhandled
    assert line.report is None
    assert line.level not in (Level.ERROR, Level.FATAL)


TRICKY_BODIES = [
    "\\u0070ool exhausted",
    "\\not authorized to perform",
    "\\x41",
    "Invoke Error \t{}",
    "Uncaught Exception \t{}",
    "Unhandled Promise Rejection \t{}",
    "Task timed out after 3.00 seconds",
    "TIMEOUT RequestId: x",
    "panic: boom",
    '{"errorType":"E","errorMessage":"m"}',
    "QueuePool limit of size 5 overflow 10 reached",
    "ECONNREFUSED 10.0.0.1:5432",
    "(403) when calling",
    "processing messageId=5f3c9a1e-2b7d-4e0a-9c6f-8d1b2a3c4e5f",
    "Response payload size exceeded maximum allowed payload size (6291556 bytes).",
    "LAMBDA_RUNTIME Failed to post handler success response. Http response code: 413.",
    " ",
    "\u2003",
    " \u2003 x",
    "x\u2003",
    "x\r",
    "x\x1b[31m",
    "\ttab first",
    "",
]
CANONICAL_SHAPES = [
    "2026-03-02T09:14:55.120Z\t{rid}\t{level}\t{body}",
    "[{level}]\t2026-03-02T09:14:55.120Z\t{rid}\t{body}",
    "2026-03-02T09:14:55.403Z\t{rid}\t{level}\t{body}",
    '{{"timestamp":"2026-03-02T09:14:55.120Z","level":"{level}","requestId":"{rid}",'
    '"message":"{body}"}}',
    '{{"timestamp": "2026-03-02T09:14:55Z", "level": "{level}", "message": "{body}", '
    '"logger": "root", "requestId": "{rid}"}}',
    '{{"timestamp": "2026-03-02T09:14:55Z", "level": "{level}", "message": "ok", '
    '"logger": "{body}", "requestId": "{rid}"}}',
]


@pytest.mark.parametrize("body", TRICKY_BODIES)
@pytest.mark.parametrize("shape", CANONICAL_SHAPES)
@pytest.mark.parametrize("level", ["INFO", "WARN", "ERROR"])
@pytest.mark.parametrize("rid", [RID, "403fe2a1-0000-4000-8000-000000000403"])
def test_lines_that_look_quiet_and_are_not(body: str, shape: str, level: str, rid: str) -> None:
    for ending in ("", "\n"):
        assert_quiet_is_ordinary(shape.format(rid=rid, level=level, body=body) + ending)


def test_quiet_lines_are_the_common_ones() -> None:
    rid = RID
    assert quiet_request_id(f"2026-03-02T09:14:55.120Z\t{rid}\tINFO\tfetched 17 items\n") == rid
    assert quiet_request_id(f"[INFO]\t2026-03-02T09:14:55.120Z\t{rid}\tcharge started\n") == rid
    assert quiet_request_id(f"END RequestId: {rid}\n") == rid
    assert quiet_request_id(f"[INFO]\t2026-03-02T09:14:55.120Z\t{rid}\tpool exhausted\n") is None
    assert quiet_request_id(f"[ERROR]\t2026-03-02T09:14:55.120Z\t{rid}\tboom\n") is None
    node = {"timestamp": "2026-03-02T09:14:55.120Z", "level": "INFO", "requestId": rid}
    assert quiet_request_id(json.dumps(node | {"message": "processed order"})) == rid
    assert quiet_request_id(json.dumps(node | {"message": "Too many connections"})) is None


NUMBERS = st.sampled_from(["0", "12", "12.5", "900", "0012", "99999999999999999999", "1.000"])


@st.composite
def platform_lines(draw: st.DrawFn) -> str:
    rid = draw(st.sampled_from([RID, RID.upper(), "abc", RID + "x"]))
    kind = draw(st.sampled_from(["START", "END", "REPORT"]))
    if kind == "START":
        version = draw(st.sampled_from(["$LATEST", "12", "0", "$LATEST Name: x", "v1"]))
        line = f"START RequestId: {rid} Version: {version}"
    elif kind == "END":
        line = f"END RequestId: {rid}"
    else:
        d, b, m, u, i = (draw(NUMBERS) for _ in range(5))
        line = (
            f"REPORT RequestId: {rid}\tDuration: {d} ms\tBilled Duration: {b} ms\t"
            f"Memory Size: {m} MB\tMax Memory Used: {u} MB"
        )
        if draw(st.booleans()):
            line += f"\tInit Duration: {i} ms"
        if draw(st.booleans()):
            trace = draw(st.sampled_from(["1-65e2f0a7-1b2c3d4e5f6a7b8c9d0e1f2a", "x y"]))
            line += f"{draw(st.sampled_from(['', chr(9)]))}\nXRAY TraceId: {trace}\t"
            line += f"SegmentId: 3c4d5e6f7a8b9c0d\tSampled: {draw(st.sampled_from(['true', 'no']))}"
    return line + draw(st.sampled_from(["", " ", "\tStatus: error", "x"]))


@SETTINGS
@given(platform_lines())
def test_the_canonical_platform_lines_read_as_the_general_reader_reads_them(text: str) -> None:
    fast = _canonical_platform(text)
    assert fast is None or fast == _platform_by_fields(text)


def test_the_canonical_platform_lines_are_the_ones_lambda_writes() -> None:
    for line in MIXED[:4]:
        assert _canonical_platform(line.strip()) is not None


@SETTINGS
@given(prefixed_lines())
def test_classifying_after_the_prefix_is_classifying_the_line(message: str) -> None:
    text = message.strip()
    for prefix in (_TS_PREFIX, _BRACKET_LEVEL):
        match = prefix.match(text)
        if match is not None:
            assert classify_after(text, match.end()) == classify(text)


def test_no_trigger_can_hide_in_a_prefix_but_403() -> None:
    # What `classify_after` and `quiet_request_id` rely on: no trigger word spans a tab, a
    # bracket or a quote, and the only one spelt with a timestamp's or a request id's
    # characters, or inside a level or a JSON key of Lambda's format, is `403`.
    prefix_alphabet = set("0123456789abcdef-t:.,z+")
    words = "trace debug info notice warn warning error fatal critical severe trce dbug fail crit"
    words += " undefined timestamp level requestid message logger"
    for trigger in _TRIGGERS:
        assert not set(trigger) & set('\t[]"')
        if set(trigger) <= prefix_alphabet or any(trigger in word for word in words.split()):
            assert trigger == "403"


GUARDED = [rule for rule in vars(classify_module).values() if isinstance(rule, _Guarded)]
CLASSIFY_TABLES = [
    case.values[0]
    for table in (
        PERMISSION,
        THROTTLING,
        POOLS,
        DATABASES,
        NETWORK,
        INIT_ERRORS,
        OUT_OF_MEMORY,
        NEGATIVE,
    )
    for case in table
]


def test_every_rule_is_guarded_by_words() -> None:
    assert len(GUARDED) == 12  # with the environment's limits
    assert all(rule.words for rule in GUARDED)


def assert_guarded_like_plain(text: str) -> None:
    lowered = text.lower()
    for rule in GUARDED:
        plain = rule.pattern.search(text)
        guarded = rule.search(text, lowered)
        assert (guarded and (guarded.span(), guarded.group())) == (
            plain and (plain.span(), plain.group())
        ), rule.pattern.pattern[:60]


@pytest.mark.parametrize("text", CLASSIFY_TABLES)
def test_a_guarded_rule_finds_what_its_pattern_finds_in_the_tables(text: str) -> None:
    assert_guarded_like_plain(text)
    assert_guarded_like_plain(text.upper())
    assert_guarded_like_plain(text.swapcase())
    # Letters that match ASCII ones case-insensitively without lower-casing to them.
    assert_guarded_like_plain(text.replace("s", "\u017f").replace("k", "\u212a"))
    assert_guarded_like_plain(text.replace("i", "\u0131").replace("I", "\u0130"))


@SETTINGS
@given(FORMATTED | BODIES | prefixed_lines() | st.sampled_from(CLASSIFY_TABLES).map(str.title))
def test_a_guarded_rule_finds_what_its_pattern_finds(text: str) -> None:
    assert_guarded_like_plain(text)


@SETTINGS
@given(
    st.datetimes(
        min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31), timezones=st.just(UTC)
    )
)
def test_a_runtime_timestamp_reads_as_to_epoch_ms_reads_it(moment: datetime) -> None:
    text = moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    assert _iso_ms(text) == to_epoch_ms(text)


@pytest.mark.parametrize(
    "value",
    [
        "2026-02-30T09:00:00.000Z",
        "2026-03-02T24:00:00.000Z",
        "2026-03-02T09:00:60.000Z",
        "2026-03-02 09:00:00.000Z",
        "2026-03-02T09:00:00.00Z",
        "\uff12026-03-02T09:00:00.000Z",
        "2026-03-02T09:00:00.\uff1123Z",
        " 2026-03-02T09:00:00.00Z",
        None,
        1772442000,
        True,
    ],
)
def test_other_timestamps_read_as_to_epoch_ms_reads_them(value: object) -> None:
    assert _iso_ms(value) == to_epoch_ms(value)
