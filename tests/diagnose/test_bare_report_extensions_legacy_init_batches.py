"""Four families the real-log corpus showed (tests/reallogs/PENDING.md, 20 to 22 and M3, M4),
each held here by lines written for these tests, not the samples':

- a REPORT line trimmed of its RequestId is an invocation: the one running in its stream, else
  one of its own, with its duration, memory and init counted;
- an extension's crash or error at init is put to the extension by the `EXTENSION Name: ...`
  lines, and advised as the extension's layer and settings, not as the function's deploy;
- `module initialization error` (python2.7 to 3.6, nodejs4.3 to 8.10) fails the invocation;
- a partial batch response the function logged (`batchItemFailures`) is counted by the
  event_source check: its records, its batches, and whether the share is worth a warning.
"""

from __future__ import annotations

import pytest
from expect import FAIL, OK, UNKNOWN, WARN, has, lacks, run
from lambdalogs import FUNCTION, REGION

from lambdatop.commands.diagnose import evidence_from_export
from lambdatop.core.export import read_export
from lambdatop.core.parse import quiet_request_id
from lambdatop.core.records import EventSource, Status
from lambdatop.diagnose.evidence import Evidence

RID = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
RID2 = "5f4e3d2c-1b0a-4f9e-8d7c-6b5a4f3e2d1c"
RID3 = "9a8b7c6d-5e4f-4d3c-8b2a-1f0e9d8c7b6a"
MSG1 = "6d1f0c2e-8b3a-4e5f-9a7b-1c2d3e4f5a6b"
MSG2 = "7e2a1d3f-9c4b-4f6a-8b8c-2d3e4f5a6b7c"
MSG3 = "8f3b2e4a-0d5c-4a7b-9c9d-3e4f5a6b7c8d"


def exported(text: str) -> Evidence:
    return evidence_from_export(
        read_export(text.encode()), function=FUNCTION, region=REGION, since_s=None
    )


def bare_report(duration: str, size: int, used: int, tail: str = "") -> str:
    """A REPORT as pasted once its RequestId was trimmed off."""
    return (
        f"REPORT Duration: {duration} ms  Billed Duration: {duration.split('.')[0]} ms"
        f"  Memory Size: {size} MB  Max Memory Used: {used} MB{tail}"
    )


# --- a REPORT without its RequestId ----------------------------------------------------------


def test_a_bare_report_after_an_init_that_ran_out_is_an_invocation_with_its_figures() -> None:
    ev = exported(
        "INIT_REPORT Init Duration: 9999.50 ms\tPhase: init\tStatus: timeout\n"
        "loading the embeddings...\n" + bare_report("41210.33", 3008, 2700) + "\n"
    )
    (invocation,) = ev.reported
    assert invocation.duration_ms == pytest.approx(41210.33)
    assert (invocation.max_memory_mb, invocation.memory_size_mb) == (2700, 3008)
    # The init it followed is its own: the cold start that ran out of the 10 s.
    assert invocation.init_ms == pytest.approx(9999.5)
    memory = run(ev, "memory")
    assert memory.status is OK
    has([memory.title], "2700 / 3008 MB")
    cold = run(ev, "cold_start")
    assert cold.status is FAIL
    has([cold.title], "10 s")


def test_a_report_without_its_id_ends_the_invocation_running_in_its_stream() -> None:
    ev = exported(
        f"START RequestId: {RID} Version: $LATEST\n"
        f"END RequestId: {RID}\n" + bare_report("120.00", 512, 200) + "\n"
    )
    (invocation,) = ev.reported
    assert invocation.request_id == RID
    assert invocation.duration_ms == pytest.approx(120.0)
    assert invocation.status is Status.SUCCESS


def test_bare_reports_one_after_another_are_each_an_invocation_with_the_lines_before_it() -> None:
    ev = exported(
        f"START RequestId: {RID} Version: $LATEST\n"
        f"REPORT RequestId: {RID}\tDuration: 10.00 ms\tBilled Duration: 10 ms\t"
        "Memory Size: 256 MB\tMax Memory Used: 80 MB\n"
        + bare_report("30.00", 256, 90)
        + "\n[ERROR] KeyError: 'order_id'\nTraceback (most recent call last):\n"
        + bare_report("50.00", 256, 95)
        + "\n"
    )
    by_duration = {inv.duration_ms: inv for inv in ev.reported}
    assert sorted(by_duration) == [10.0, 30.0, 50.0]
    # The traceback came after the second REPORT: the third invocation's, not the first's.
    assert by_duration[10.0].status is Status.SUCCESS
    assert by_duration[30.0].status is Status.SUCCESS
    assert by_duration[50.0].failed


# --- an extension that fails the init ----------------------------------------------------------


def _init_failed_by(extensions: list[tuple[str, str]], error_type: str) -> Evidence:
    said = "".join(
        f"2026-06-01T10:00:00.0{10 + i}Z EXTENSION\tName: {name}\tState: {state}\tEvents: []\n"
        for i, (name, state) in enumerate(extensions)
    )
    return exported(
        "2026-06-01T09:58:00.000Z INIT_START Runtime Version: nodejs:20.v40\t"
        "Runtime Version ARN: x\n"
        f"{said}"
        "2026-06-01T10:00:00.100Z INIT_REPORT Init Duration: 80.20 ms\tPhase: init\t"
        f"Status: error\tError Type: {error_type}\n"
    )


def test_an_extension_crash_names_the_extension_and_its_layer_not_the_deploy() -> None:
    ev = _init_failed_by([("otel-collector", "Started")], "Extension.Crash")
    errors = run(ev, "invocation_errors")
    assert errors.status is FAIL
    has([errors.title], "otel-collector extension crashed", "Extension.Crash")
    has(errors.evidence, "otel-collector (Started)")
    has(
        errors.next_steps,
        "--query Layers",
        "--query Environment.Variables",
        "the otel-collector extension crashed: check its layer version and its settings",
    )
    # Not the function's deploy: its package and handler are not what failed.
    lacks(errors.next_steps, "package contents", "handler setting", "list-versions-by-function")


def test_of_several_extensions_the_one_in_an_error_state_is_named() -> None:
    ev = _init_failed_by(
        [("otel-collector", "Ready"), ("secrets-cache", "InitError")], "Extension.InitError"
    )
    errors = run(ev, "invocation_errors")
    has([errors.title], "the secrets-cache extension failed its init")
    lacks([errors.title], "otel-collector")


def test_a_crash_among_several_running_extensions_names_them_all() -> None:
    ev = _init_failed_by(
        [("otel-collector", "Ready"), ("secrets-cache", "Ready")], "Extension.Crash"
    )
    errors = run(ev, "invocation_errors")
    has([errors.title], "one of the extensions otel-collector, secrets-cache crashed")


def test_an_extension_failure_with_no_extension_line_still_advises_the_layers() -> None:
    ev = _init_failed_by([], "Extension.ExitError")
    errors = run(ev, "invocation_errors")
    has([errors.title], "an extension (a layer) exited with an error")
    has(errors.next_steps, "--query Layers")
    lacks(errors.next_steps, "package contents")


# --- module initialization error -------------------------------------------------------------


def test_python36_module_initialization_error_fails_its_invocation() -> None:
    ev = exported(
        f"START RequestId: {RID} Version: $LATEST\n"
        "module initialization error: [Errno 2] No such file or directory: '/var/task/cfg.yml'\n"
        f"END RequestId: {RID}\n"
        f"REPORT RequestId: {RID}\tDuration: 3.10 ms\tBilled Duration: 100 ms\t"
        "Memory Size: 128 MB\tMax Memory Used: 22 MB\n"
    )
    (invocation,) = ev.reported
    assert invocation.failed
    errors = run(ev, "invocation_errors")
    assert errors.status is FAIL
    lacks([errors.title], "recovered")
    has(errors.evidence, "module initialization error: [Errno 2]")


def test_nodejs810_module_initialization_error_fails_with_the_type_it_names() -> None:
    ev = exported(
        f"START RequestId: {RID} Version: $LATEST\n"
        "module initialization error: TypeError\n"
        "    at Object.<anonymous> (/var/task/index.js:3:9)\n"
        f"END RequestId: {RID}\n"
        f"REPORT RequestId: {RID}\tDuration: 12.00 ms\tBilled Duration: 100 ms\t"
        "Memory Size: 256 MB\tMax Memory Used: 40 MB\n"
    )
    (invocation,) = ev.reported
    assert invocation.failed
    assert invocation.error_type == "TypeError"
    assert run(ev, "invocation_errors").status is FAIL


# --- partial batch responses -------------------------------------------------------------------


def _batch(rid: str, second: int, response: str, records: tuple[str, ...] = ()) -> str:
    event = ", ".join(f'{{"messageId": "{m}", "eventSource": "aws:sqs"}}' for m in records)
    said = f'2026-06-01T10:00:{second:02d}.010Z\t{rid}\tINFO\t{{"Records": [{event}]}}\n'
    return (
        f"2026-06-01T10:00:{second:02d}.000Z START RequestId: {rid} Version: $LATEST\n"
        + (said if records else "")
        + f"2026-06-01T10:00:{second:02d}.020Z\t{rid}\tINFO\t{response}\n"
        f"2026-06-01T10:00:{second:02d}.030Z END RequestId: {rid}\n"
        f"2026-06-01T10:00:{second:02d}.031Z REPORT RequestId: {rid}\tDuration: 20.00 ms\t"
        "Billed Duration: 20 ms\tMemory Size: 256 MB\tMax Memory Used: 70 MB\n"
    )


def _listed(item: str) -> str:
    """Both messages, each in `item`'s form."""
    return ", ".join(item.replace("ID", m) for m in (MSG1, MSG2))


JSON_ITEMS = _listed('{"itemIdentifier": "ID"}')
REPR_ITEMS = _listed("{'itemIdentifier': 'ID'}")
INSPECT_ITEMS = _listed("{ itemIdentifier: 'ID' }")
ESCAPED_ITEMS = _listed('{\\"itemIdentifier\\": \\"ID\\"}')


@pytest.mark.parametrize(
    "response",
    [
        '{"batchItemFailures": [' + JSON_ITEMS + "]}",
        "{'batchItemFailures': [" + REPR_ITEMS + "]}",
        "{ batchItemFailures: [ " + INSPECT_ITEMS + " ] }",
        'response {\\"batchItemFailures\\": [' + ESCAPED_ITEMS + "]}",
    ],
    ids=["json", "python-repr", "node-inspect", "escaped"],
)
def test_a_logged_partial_batch_response_is_counted_in_any_form(response: str) -> None:
    ev = exported(_batch(RID, 1, response) + _batch(RID2, 2, '{"batchItemFailures": []}'))
    result = run(ev, "event_source")
    has([result.title], "2 records reported failed in 1 batch (partial batch response)")
    has(result.evidence, "ReportBatchItemFailures", "does not process the response")
    has(result.next_steps, "--query 'EventSourceMappings[].FunctionResponseTypes'")


def test_a_large_share_of_records_handed_back_warns_and_points_at_the_dead_letter_queue() -> None:
    ev = exported(
        _batch(RID, 1, f'{{"batchItemFailures": [{{"itemIdentifier": "{MSG1}"}}]}}', (MSG1, MSG2))
        + _batch(RID2, 2, '{"batchItemFailures": []}', (MSG3,))
    )
    result = run(ev, "event_source")
    assert result.status is WARN
    # The records its event named are the whole: 1 of the 2 this batch named.
    has([result.title], "1 record reported failed in 1 batch", "50 % of the records")
    has(result.next_steps, "RedrivePolicy", "dead-letter queue")


def test_a_few_records_handed_back_among_many_batches_is_told_not_warned() -> None:
    ok = "".join(_batch(f"{RID[:-2]}{i:02d}", i, '{"batchItemFailures": []}') for i in range(20))
    one = _batch(RID3, 30, f'{{"batchItemFailures": [{{"itemIdentifier": "{MSG1}"}}]}}')
    result = run(exported(ok + one), "event_source")
    assert result.status is OK
    has([result.title], "1 record reported failed in 1 batch", "of 21 batches read")
    lacks(result.next_steps, "RedrivePolicy")


def test_stream_records_handed_back_are_advised_as_a_shard_held_up() -> None:
    seq = "49590338271490256608559692538361571095921575989136588898"
    response = f'{{"batchItemFailures": [{{"itemIdentifier": "{seq}"}}]}}'
    result = run(exported(_batch(RID, 1, response)), "event_source")
    assert result.status is WARN
    has(result.next_steps, "holding up the shard")
    lacks(result.next_steps, "RedrivePolicy")


def test_with_the_mappings_read_the_count_is_still_evidence() -> None:
    ev = exported(_batch(RID, 1, f'{{"batchItemFailures": [{{"itemIdentifier": "{MSG1}"}}]}}'))
    ev.event_sources = [
        EventSource(
            uuid="u-1", source_arn="arn:aws:sqs:eu-west-1:123456789012:orders", state="Enabled"
        )
    ]
    result = run(ev, "event_source")
    has(result.evidence, "1 record reported failed in 1 batch (partial batch response)")


def test_no_response_logged_leaves_the_check_unread() -> None:
    result = run(exported(_batch(RID, 1, "processed 3 orders")), "event_source")
    assert result.status is UNKNOWN


def test_a_response_line_is_never_counted_unparsed() -> None:
    # The bulk reader counts quiet lines without parsing them: a response must be parsed.
    line = f'2026-06-01T10:00:01.020Z\t{RID}\tINFO\t{{"batchItemFailures": []}}'
    assert quiet_request_id(line) is None
    assert quiet_request_id(f"2026-06-01T10:00:01.020Z\t{RID}\tINFO\tprocessed 3") == RID


@pytest.mark.parametrize(
    "logged",
    [
        # Powertools' Logger: the response as the record's message, a JSON object.
        '{"level":"INFO","message":{"batchItemFailures":[' + JSON_ITEMS + "]},"
        f'"function_request_id":"{RID}"}}',
        # `print(response)` in a copy that kept no time, request id or level.
        "{'batchItemFailures': [" + REPR_ITEMS + "]}",
    ],
    ids=["json-record", "bare-print"],
)
def test_a_response_logged_as_a_record_or_with_no_level_is_counted(logged: str) -> None:
    ev = exported(
        f"START RequestId: {RID} Version: $LATEST\n{logged}\nEND RequestId: {RID}\n"
        f"REPORT RequestId: {RID}\tDuration: 20.00 ms\tBilled Duration: 20 ms\t"
        "Memory Size: 256 MB\tMax Memory Used: 70 MB\n"
    )
    result = run(ev, "event_source")
    assert result.status is WARN
    has([result.title], "2 records reported failed in 1 batch")
