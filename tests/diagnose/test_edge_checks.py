"""Edge plane: event sources, API Gateway in front, and the errors invocations end with."""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable

import pytest
from _pytest.mark import ParameterSet
from expect import FAIL, OK, UNKNOWN, WARN, Case, config, has, lacks, run, table, with_config
from lambdalogs import (
    FUNCTION,
    REGION,
    Logs,
    evidence,
    metrics,
    node,
    node_invoke_error,
    py,
    py_unhandled,
    series,
)

from lambdatop.commands.diagnose import evidence_from_export
from lambdatop.core import metrics as m
from lambdatop.core.export import read_export
from lambdatop.core.records import ApiRoute, EventSource
from lambdatop.core.store import ApiState
from lambdatop.diagnose.evidence import Evidence
from lambdatop.diagnose.model import CheckResult

KINESIS = "arn:aws:kinesis:eu-west-1:123456789012:stream/orders-stream"
SQS = "arn:aws:sqs:eu-west-1:123456789012:orders-queue"


def healthy_logs(count: int = 300) -> Logs:
    logs = Logs()
    logs.healthy(count)
    return logs


def sources(
    *mappings: EventSource, iterator_age_ms: list[float] | None = None, async_age_ms: float = 0
) -> Callable[[], Evidence]:
    def build() -> Evidence:
        ev = evidence(healthy_logs())
        ev.event_sources = list(mappings)
        named: dict[str, list[float]] = {"Invocations": [100, 100, 100]}
        if iterator_age_ms is not None:
            named["IteratorAge"] = iterator_age_ms
        if async_age_ms:
            named["AsyncEventAge"] = [async_age_ms]
        ev.metrics = metrics(**named)
        return ev

    return build


def stream(**fields: object) -> EventSource:
    defaults: dict[str, object] = {
        "uuid": "6d9bce8e-836b-461a-b1e2-5f1a3c1d0a11",
        "source_arn": KINESIS,
        "state": "Enabled",
        "batch_size": 100,
        "last_processing_result": "OK",
        "bisect_on_error": True,
        "on_failure_destination": "arn:aws:sqs:eu-west-1:123456789012:orders-dlq",
    }
    defaults.update(fields)
    return EventSource(**defaults)  # type: ignore[arg-type]


def not_read() -> Evidence:
    return evidence(healthy_logs(10))


EVENT_SOURCE = [
    pytest.param(Case(not_read, UNKNOWN, ("Event source mappings were not read",)), id="unknown"),
    pytest.param(Case(sources(), OK, ("No event source mappings",)), id="ok-none"),
    pytest.param(
        Case(
            sources(stream(), iterator_age_ms=[800, 1_200, 950]),
            OK,
            ("1 event source healthy",),
            (
                "kinesis orders-stream: Enabled, batch size 100, last result OK",
                "IteratorAge peak 1 s",
            ),
            ("--metric-name IteratorAge",),
        ),
        id="ok-kinesis",
    ),
    pytest.param(
        Case(
            sources(stream(), iterator_age_ms=[30_000, 310_000, 290_000]),
            WARN,
            ("Stream consumer 5 min behind",),
            ("IteratorAge peak 5 min",),
            (
                "update-event-source-mapping --uuid 6d9bce8e-836b-461a-b1e2-5f1a3c1d0a11 "
                "--parallelization-factor 10",
            ),
        ),
        id="warn-iterator-age",
    ),
    pytest.param(
        Case(
            sources(stream(source_arn=SQS, state="Disabled", batch_size=10)),
            WARN,
            ("sqs mapping is Disabled",),
            ("sqs orders-queue: Disabled, batch size 10",),
        ),
        id="warn-disabled",
    ),
    pytest.param(
        Case(
            sources(async_age_ms=240_000),
            WARN,
            ("Async events wait 4 min before running",),
        ),
        id="warn-async-event-age",
    ),
    pytest.param(
        Case(
            sources(stream(), iterator_age_ms=[600_000, 1_500_000, 2_400_000]),
            FAIL,
            ("Stream consumer 40 min behind",),
            ("IteratorAge peak 40 min",),
            ("parallelization factor", "--parallelization-factor 10"),
        ),
        id="fail-iterator-age",
    ),
    pytest.param(
        Case(
            sources(
                stream(
                    last_processing_result="PROBLEM: Function call failed",
                    bisect_on_error=False,
                    on_failure_destination=None,
                )
            ),
            FAIL,
            ("kinesis batches fail: PROBLEM: Function call failed",),
            ("no on-failure destination (failed batches are lost)",),
            ("--bisect-batch-on-function-error --maximum-retry-attempts 3",),
        ),
        id="fail-batches-failing",
    ),
]


def apis(
    *states: ApiState, timeout_s: float | None = None, durations_ms: float | None = None
) -> Callable[[], Evidence]:
    def build() -> Evidence:
        logs = healthy_logs()
        if durations_ms is not None:
            env = logs.stream()
            for _ in range(4):
                logs.invoke(env, duration_ms=durations_ms)
        ev = with_config(logs, timeout_s=timeout_s) if timeout_s else evidence(logs)
        ev.apis = list(states)
        return ev

    return build


def api(
    requests: list[float] | None = None,
    errors: list[float] | None = None,
    latency: list[float] | None = None,
    kind: str = "REST",
    timeout_ms: int = 29_000,
) -> ApiState:
    state = ApiState(ApiRoute("k3l9x2", "orders-api", kind, "prod", timeout_ms))
    if requests is not None:
        state.metrics[m.API_COUNT] = series(m.API_COUNT, requests)
    if errors is not None:
        state.metrics[m.API_5XX] = series(m.API_5XX, errors)
    if latency is not None:
        state.metrics[m.API_INTEGRATION_LATENCY] = series(m.API_INTEGRATION_LATENCY, latency)
    return state


API_GATEWAY = [
    pytest.param(
        Case(not_read, UNKNOWN, ("API Gateway integrations were not read",)), id="unknown"
    ),
    pytest.param(Case(apis(), OK, ("Not behind API Gateway",)), id="ok-not-behind"),
    pytest.param(
        Case(
            apis(api([1000, 1200], [0, 0], [420, 900]), timeout_s=10.0),
            OK,
            ("1 API in front, no 5XX",),
            ("REST API orders-api (k3l9x2): 2,200 requests, 0 5XX (0.0 %)", "of 29.0 s"),
        ),
        id="ok-no-5xx",
    ),
    pytest.param(
        Case(
            apis(api([1000, 1000], [0, 6], [400, 800]), timeout_s=10.0),
            WARN,
            ("orders-api answers 6 requests with a 5XX (0.3 %)",),
            (),
            ("--namespace AWS/ApiGateway --metric-name 5XXError", "Name=ApiName,Value=orders-api"),
        ),
        id="warn-few-5xx",
    ),
    pytest.param(
        Case(
            apis(api([1000], [0], [700]), timeout_s=60.0),
            WARN,
            ("Timeout 60 s outlasts API Gateway's 29 s",),
            ("timeout 60 s is longer than API Gateway waits (29 s)",),
            ("--timeout 28",),
        ),
        id="warn-timeout-past-29-s",
    ),
    pytest.param(
        Case(
            apis(api([1000, 1000], [10, 60], [2_000, 4_000]), timeout_s=10.0),
            FAIL,
            ("orders-api answers 3.5 % of requests with a 5XX",),
            ("2,000 requests, 70 5XX (3.5 %)",),
            ("--metric-name 5XXError --dimensions Name=ApiName,Value=orders-api",),
        ),
        id="fail-5xx",
    ),
    pytest.param(
        Case(
            apis(api([500], [40], [29_000]), timeout_s=60.0, durations_ms=31_000.0),
            FAIL,
            ("orders-api gives up at 29 s: callers get 504",),
            (
                "integration latency max 29.0 s of 29.0 s",
                "4 invocations ran 29 s or longer",
                "the function's timeout is 60 s",
            ),
            ("well inside 29 s", "--timeout 28"),
        ),
        id="fail-29-s-limit",
    ),
    pytest.param(
        Case(
            apis(api(kind="HTTP", timeout_ms=30_000), durations_ms=30_500.0),
            FAIL,
            ("4 invocations outlived API Gateway's 30 s: callers got 504",),
            (),
            ("--metric-name 5xx --dimensions Name=ApiId,",),
        ),
        id="fail-http-api-30-s",
    ),
]


def failing(
    count: int, line: str, error_type: str | None = None, total: int = 300
) -> Callable[[], Evidence]:
    def build() -> Evidence:
        logs = healthy_logs(total - count)
        env = logs.stream()
        for _ in range(count):
            logs.invoke(env, app=[line], status="error", error_type=error_type)
        return evidence(logs)

    return build


KEY_ERROR = py_unhandled("KeyError", "'customer_id'")
TYPE_ERROR = node_invoke_error("TypeError", "Cannot read properties of undefined (reading 'id')")


def mixed_errors() -> Evidence:
    logs = healthy_logs(270)
    env = logs.stream()
    for _ in range(20):
        logs.invoke(env, app=[KEY_ERROR], status="error")
    for _ in range(6):
        logs.invoke(env, app=[TYPE_ERROR], status="error")
    for _ in range(4):
        logs.invoke(env, timeout_s=30.0)
    return evidence(logs)


def import_error() -> Evidence:
    """A deploy shipped without a dependency: every cold start fails to import the handler."""
    logs = healthy_logs(100)
    message = (
        "[ERROR] Runtime.ImportModuleError: Unable to import module 'app': "
        "No module named 'stripe'\nTraceback (most recent call last):"
    )
    for _ in range(3):
        env = logs.stream("14")
        at = logs.clock_ms
        logs.emit(env, at, "INIT_START Runtime Version: python:3.12.v38\tRuntime Version ARN: x")
        logs.emit(env, at + 180, message)
        logs.emit(
            env,
            at + 190,
            "INIT_REPORT Init Duration: 190.21 ms\tPhase: init\tStatus: error\t"
            "Error Type: Runtime.ImportModuleError",
        )
        logs.clock_ms = at + 200
        logs.invoke(
            env,
            duration_ms=211.0,
            app=[message],
            status="error",
            error_type="Runtime.ImportModuleError",
        )
    ev = evidence(logs)
    ev.config = config(last_modified="2026-03-02T09:12:40.000+0000")
    return ev


def metrics_only(errors: float, invocations: float) -> Callable[[], Evidence]:
    def build() -> Evidence:
        ev = evidence(Logs())
        ev.metrics = metrics(Invocations=[invocations], Errors=[errors])
        return ev

    return build


def handled_errors() -> Evidence:
    """A queue consumer whose batches partly fail: each failed record is logged at ERROR and
    returned for retry, and the invocation succeeds."""
    logs = Logs()
    logs.healthy(100)
    env = logs.stream()
    line = (
        '{"level": "ERROR", "location": "failure_handler:283", "message": "Record processing '
        'exception: ValueError(\'order_id missing in payload\')", "function_request_id": '
        '"{rid}"}'
    )
    for _ in range(8):
        logs.invoke(env, app=[line])
    return evidence(logs)


INVOCATION_ERRORS = [
    pytest.param(
        Case(
            handled_errors,
            WARN,
            ("8 invocations logged errors but succeeded (7.4 %)",),
            ("8 lines at ERROR level in 8 invocations that did not fail", "order_id missing"),
            ("--filter-pattern '\"ERROR\"'",),
        ),
        id="warn-errors-handled",
    ),
    pytest.param(
        Case(lambda: evidence(Logs()), UNKNOWN, ("No completed invocations",)), id="unknown"
    ),
    pytest.param(
        Case(lambda: evidence(healthy_logs()), OK, ("No failed invocations",)), id="ok-healthy"
    ),
    pytest.param(
        Case(metrics_only(2, 1000), OK, ("0.2 % of invocations failed (CloudWatch)",)),
        id="ok-metrics-only",
    ),
    pytest.param(
        Case(
            failing(6, KEY_ERROR),
            WARN,
            ("6 of 300 invocations failed (2.0 %), most with KeyError (×6)",),
            (
                "6 of 300 invocations failed (2.0 %)",
                "KeyError ×6",
                "[ERROR] KeyError: 'customer_id'",
            ),
            ("--filter-pattern '\"KeyError\"'",),
        ),
        id="warn-error-rate",
    ),
    pytest.param(
        Case(metrics_only(30, 1000), WARN, ("3.0 % of invocations failed (CloudWatch)",)),
        id="warn-metrics-only",
    ),
    pytest.param(
        Case(
            mixed_errors,
            FAIL,
            ("30 of 300 invocations failed (10 %), most with KeyError (×20)",),
            ("KeyError ×20", "TypeError ×6", "Sandbox.Timedout ×4"),
        ),
        id="fail-error-rate-by-type",
    ),
    pytest.param(
        Case(metrics_only(90, 1000), FAIL, ("9.0 % of invocations failed (CloudWatch)",)),
        id="fail-metrics-only",
    ),
    pytest.param(
        Case(
            import_error,
            FAIL,
            ("Deploy or init error: Runtime.ImportModuleError",),
            (
                "Runtime.ImportModuleError ×3",
                "Unable to import module 'app': No module named 'stripe'",
                "function last modified 2026-03-02T09:12:40",
            ),
            ("list-versions-by-function --function-name checkout-api", "roll back"),
        ),
        id="fail-import-module-error",
    ),
]


@pytest.mark.parametrize(
    ("check_id", "case"),
    table("event_source", EVENT_SOURCE)
    + table("api_gateway", API_GATEWAY)
    + table("invocation_errors", INVOCATION_ERRORS),
)
def test_edge_check(check_id: str, case: Case) -> None:
    ev = case.build()
    result = run(ev, check_id)
    assert result.status is case.status, (result.title, result.evidence)
    has([result.title], *case.title)
    has(result.evidence, *case.evidence)
    has(result.next_steps, *case.steps)


@pytest.mark.parametrize("cases", [EVENT_SOURCE, API_GATEWAY, INVOCATION_ERRORS])
def test_tables_reach_every_status(cases: list[ParameterSet]) -> None:
    reached = {p.values[0].status for p in cases}  # type: ignore[union-attr]
    assert reached == {OK, WARN, FAIL, UNKNOWN}


def test_api_without_metrics_does_not_claim_no_5xx() -> None:
    result = run(apis(api())(), "api_gateway")
    assert result.status is OK
    lacks([result.title], "no 5XX")


def test_failed_init_counts_once_per_invocation() -> None:
    ev = import_error()
    failed = [inv for inv in ev.reported if inv.failed]
    assert len(failed) == 3
    assert {inv.error_type for inv in failed} == {"Runtime.ImportModuleError"}


def test_an_image_built_for_the_other_architecture_is_named_as_the_cause() -> None:
    logs = Logs()
    for _ in range(6):
        env = logs.stream()
        logs.emit(
            env,
            logs.clock_ms,
            "IMAGE\tLaunch error: fork/exec /lambda-entrypoint.sh: exec format error\t"
            "Entrypoint: [/lambda-entrypoint.sh]",
        )
        logs.emit(
            env,
            logs.clock_ms + 2,
            "INIT_REPORT Init Duration: 1.74 ms\tPhase: init\tStatus: error\t"
            "Error Type: Runtime.InvalidEntrypoint",
        )
        logs.clock_ms += 10
        logs.invoke(env, status="error", error_type="Runtime.InvalidEntrypoint")
    result = run(evidence(logs), "invocation_errors")
    assert result.status is FAIL
    has(result.next_steps, "built for the other architecture")


def test_an_init_that_timed_out_and_then_served_is_no_deploy_error() -> None:
    """`Phase: init Status: timeout`, then the init run again in the invocation's time
    (`Phase: invoke`) succeeds: nobody failed, nothing to roll back."""
    logs = Logs()
    env = logs.stream()
    logs.emit(
        env, logs.clock_ms, "INIT_REPORT Init Duration: 9999.71 ms\tPhase: init\tStatus: timeout"
    )
    logs.clock_ms += 10_010
    logs.emit(
        env, logs.clock_ms, "INIT_REPORT Init Duration: 4210.10 ms\tPhase: invoke\tStatus: success"
    )
    logs.clock_ms += 10
    for _ in range(5):
        logs.invoke(env)
    result = run(evidence(logs), "invocation_errors")
    assert result.status is WARN, result.title
    has([result.title], "Init error, recovered: init phase timed out")
    has(result.evidence, "the invocations that followed succeeded")
    lacks(result.next_steps, "roll back")


def test_a_few_init_failures_beside_the_main_error_do_not_take_over() -> None:
    """Two invocations of a bad version failed in init, then twenty fail with the throttled
    table: the title, samples and advice are the table's; the init failures are said."""
    logs = Logs()
    for _ in range(2):
        env = logs.stream()
        logs.emit(
            env,
            logs.clock_ms,
            "INIT_REPORT Init Duration: 212.40 ms\tPhase: init\tStatus: error\t"
            "Error Type: Runtime.ImportModuleError",
        )
        logs.clock_ms += 10
        logs.invoke(env, status="error", error_type="Runtime.ImportModuleError")
    env = logs.stream()
    throttled = py_unhandled(
        "ProvisionedThroughputExceededException",
        "An error occurred (ProvisionedThroughputExceededException) when calling the PutItem "
        "operation: The level of configured provisioned throughput for the table was exceeded.",
    )
    for _ in range(20):
        logs.invoke(env)
        logs.invoke(env, app=[throttled], status="error", error_type="Unhandled")
    result = run(evidence(logs), "invocation_errors")
    assert result.status is FAIL
    assert not result.title.startswith("Deploy or init error"), result.title
    has(result.evidence, "also 2 invocations failed in init (Runtime.ImportModuleError)")
    lacks(result.next_steps, "roll back")
    samples = [item for item in result.evidence if item.startswith("›")]
    assert any("ProvisionedThroughputExceeded" in item for item in samples), samples


@pytest.mark.parametrize(
    "line",
    [
        "[ERROR] [1795662032400] LAMBDA_RUNTIME Failed to post handler success response. Http"
        " response code: 413.",
        "2026-03-02T09:15:01.120Z\t{rid}\tERROR\tResponse payload size exceeded maximum allowed"
        " payload size (6291556 bytes).",
    ],
)
def test_a_result_over_the_response_limit_failed_the_invocation(line: str) -> None:
    logs = Logs()
    logs.healthy(12)
    env = logs.stream()
    for _ in range(8):
        logs.invoke(env, app=[line], duration_ms=2400.0)
    result = run(evidence(logs), "invocation_errors")
    assert result.status is FAIL
    has([result.title], "8 of 20 invocations failed", "Function.ResponseSizeTooLarge")
    has(result.next_steps, "6 MB response limit", "presigned URL")
    has(result.commands, "Failed to post handler success response")


def test_logs_alone_hint_at_invocations_an_api_would_have_cut_off() -> None:
    """Logs seldom say what invokes the function; invocations past 29 s would be the 504s of
    an API in front: a hint, with the command that shows whether an API invokes it."""
    logs = Logs()
    logs.healthy(20)
    env = logs.stream()
    for _ in range(10):
        logs.invoke(env, duration_ms=36_100.0)
    long = run(evidence(logs), "api_gateway")
    assert long.status is UNKNOWN
    has([long.title], "10 invocations ran past 29 s; no API in front was read")
    has(long.evidence, "10 of 30 invocations ran 29 s or longer (33 %)", "got a 504")
    has(long.commands, "aws lambda get-policy --function-name")
    short = run(evidence(healthy_logs(30)), "api_gateway")
    assert short.status is UNKNOWN
    has([short.title], "not read (logs only)")


def test_a_restore_that_failed_on_a_stale_connection_points_at_the_after_restore_hook() -> None:
    logs = Logs()
    for _ in range(4):
        env = logs.stream("7")
        logs.invoke(env, restore_ms=410.0)
        logs.invoke(env)
    env = logs.stream("7")
    logs.emit(env, logs.clock_ms, "RESTORE_START Runtime Version: python:3.12.v38")
    logs.emit(
        env,
        logs.clock_ms + 1_900,
        '[ERROR] OperationalError: connection to server at "orders-db.cluster-abc.eu-west-1.rds'
        '.amazonaws.com" (10.0.3.7), port 5432 failed: Connection timed out\nTraceback (most'
        ' recent call last):\n  File "/var/task/app.py", line 12, in reconnect',
    )
    logs.emit(
        env,
        logs.clock_ms + 2_003,
        "RESTORE_REPORT Restore Duration: 2003.10 ms\tStatus: error\tError Type: Runtime.Unknown",
    )
    logs.clock_ms += 2_010
    logs.invoke(env, status="error", error_type="Runtime.Unknown")
    ev = evidence(logs)
    errors = run(ev, "invocation_errors")
    has([errors.title], "SnapStart restore error")
    has(errors.next_steps, "after-restore hook")
    database = run(ev, "database")
    assert database.status is FAIL, database.evidence
    has(database.evidence, "1 line in 1 invocation")


@pytest.mark.parametrize(
    ("message", "status"),
    [("Unauthorized", WARN), ("cannot read the price table", FAIL)],
)
def test_a_generic_error_type_is_named_by_its_message(message: str, status: object) -> None:
    """`Error` alone says nothing; a Lambda authorizer throws `Error("Unauthorized")` to answer
    401, which denies a caller and is no fault of the code."""
    logs = Logs()
    logs.healthy(32)
    env = logs.stream()
    for _ in range(8):
        logs.invoke(
            env, app=[node_invoke_error("Error", message)], status="error", error_type="Error"
        )
    result = run(evidence(logs), "invocation_errors")
    assert result.status is status
    has([result.title], f'most with Error("{message}") (×8)')


def test_errors_that_began_with_a_new_version_name_it_and_the_rollback() -> None:
    logs = Logs(version="11")
    env = logs.stream("11")
    for _ in range(20):
        logs.invoke(env)
    logs.version = "12"
    env = logs.stream("12")
    crash = node_invoke_error("TypeError", "Cannot read properties of undefined (reading 'x')")
    for _ in range(20):
        logs.invoke(env, app=[crash], status="error", error_type="TypeError")
    result = run(evidence(logs), "invocation_errors")
    assert result.status is FAIL
    has([result.title], "Errors began with version 12 at", "20 of 20 failed since, 0 of 20 before")
    has(
        result.commands,
        "update-alias --function-name checkout-api --name '<alias>' --function-version 11",
    )


def test_failures_that_stopped_with_more_memory_only_warn() -> None:
    logs = Logs()
    env = logs.stream()
    for _ in range(10):
        logs.invoke(env, memory_mb=256, used_mb=120)
    for _ in range(5):
        logs.invoke(
            env, memory_mb=256, used_mb=256, status="error", error_type="Runtime.OutOfMemory"
        )
    env = logs.stream()
    for _ in range(15):
        logs.invoke(env, memory_mb=1024, used_mb=300)
    result = run(evidence(logs), "invocation_errors")
    assert result.status is WARN
    has([result.title], "5 failed before memory 256 → 1024 MB at", "none of the 15 since")


def test_failures_that_come_only_with_cold_starts_say_so() -> None:
    logs = Logs()
    crash = py_unhandled("ReadTimeoutError", "Read timeout on endpoint URL: appconfigdata")
    for _ in range(6):
        env = logs.stream()
        logs.invoke(env, init_ms=900.0, app=[crash], status="error", error_type="ReadTimeoutError")
        for _ in range(5):
            logs.invoke(env)
    result = run(evidence(logs), "invocation_errors")
    has(result.evidence, "every failure was a cold start (6 of 6); of 30 warm invocations, none")
    has(result.next_steps, "what the first invocation of an environment does")


POISON_ID = "5f3c9a1e-2b7d-4e0a-9c6f-8d1b2a3c4e5f"


def _consumer(
    poisoned: int, line: str = "[INFO]\t{ts}\t{rid}\tprocessing messageId={id} receiveCount=1"
) -> Logs:
    """An SQS consumer: each invocation names its message; `poisoned` deliveries of one
    message fail."""
    logs = Logs()
    env = logs.stream()
    for n in range(24):
        bad = n % 3 == 0 and n // 3 < poisoned
        message = POISON_ID if bad else f"00000000-0000-4000-8000-{n:012d}"
        app = [line.replace("{id}", message)]
        if bad:
            logs.invoke(env, app=[*app, py_unhandled("KeyError", "'sku'")], status="error")
        else:
            logs.invoke(env, app=app)
    return logs


def test_one_message_failing_every_delivery_is_a_poison_message() -> None:
    result = run(evidence(_consumer(poisoned=5)), "event_source")
    assert result.status is FAIL
    has([result.title], f"A poison SQS message: messageId {POISON_ID} failed 5 of 5 deliveries")
    has(result.next_steps, "redrive policy", "ReportBatchItemFailures")


def test_a_stream_record_failing_every_retry_blocks_its_shard() -> None:
    sequence = "49654212345678901234567890123456789012345678901234567890"
    logs = Logs()
    env = logs.stream()
    failing = node("ERROR", f"Failed to deserialize record sequenceNumber={sequence}")
    for _ in range(6):
        logs.invoke(env, app=[failing], status="error", error_type="JsonParseException")
    result = run(evidence(logs), "event_source")
    assert result.status is FAIL
    has([result.title], "A poison stream record: sequenceNumber 4965")
    has(result.next_steps, "--bisect-batch-on-function-error", "--maximum-retry-attempts")


def test_messages_each_seen_once_say_nothing_of_the_source() -> None:
    result = run(evidence(_consumer(poisoned=0)), "event_source")
    assert result.status is UNKNOWN
    has([result.title], "not read (logs only)")


def test_a_message_delivered_again_while_still_running_points_at_the_visibility_timeout() -> None:
    logs = Logs()
    first, second = logs.stream(), logs.stream()
    message = "processing SQS messageId=d78e1dec-f977-4359-aca9-a372eb7b00e0"
    started = logs.clock_ms
    logs.invoke(first, app=[py("INFO", message)], duration_ms=52_000.0, gap_ms=0)
    logs.clock_ms = started + 45_000
    logs.invoke(second, app=[py("INFO", message)], duration_ms=40.0)
    logs.clock_ms = started + 60_000
    logs.healthy(10)
    result = run(evidence(logs), "event_source")
    assert result.status is WARN
    has([result.title], "delivered again while still being processed")
    has(result.next_steps, "at least 6 times the function's timeout")


def test_requests_run_again_under_the_same_id_are_called_retries() -> None:
    logs = Logs()
    logs.healthy(20)
    crash = py_unhandled("ValueError", "order total mismatch")
    for _ in range(2):
        rid = logs.request_id()
        for _ in range(3):  # the event, then Lambda's two retries
            logs.invoke(logs.stream(), request_id=rid, app=[crash], status="error")
    result = run(evidence(logs), "invocation_errors")
    has(result.evidence, "2 requests ran again under the same id (asynchronous retries, 6 runs)")
    has(result.commands, "aws lambda get-function-event-invoke-config --function-name")
    has(result.next_steps, "on-failure destination")


def _deliveries(logs: Logs, message: str, runs: int, *, fail: int, line: str | None = None) -> None:
    """`runs` deliveries of one SQS message in their own environment, the first `fail` failing."""
    for n in range(runs):
        app = [py("INFO", line or f"processing messageId={message} receiveCount={n + 1}")]
        if n < fail:
            logs.invoke(
                logs.stream(), app=[*app, py_unhandled("PartnerApiError", "503")], status="error"
            )
        else:
            logs.invoke(logs.stream(), app=app)


@pytest.mark.parametrize(
    "case",
    ["every-message-failing", "failed-then-succeeded", "not-a-queue-s-id", "not-an-id"],
)
def test_what_is_no_poison_message(case: str) -> None:
    """An outage fails every message alike; a message that went through on its fourth try was
    not poison; an idempotency key or `messageId: undefined` names no queue's message."""
    logs = Logs()
    if case == "every-message-failing":
        for n in range(6):
            _deliveries(logs, f"00000000-0000-4000-8000-{n:012d}", 4, fail=4)
    elif case == "failed-then-succeeded":
        _deliveries(logs, POISON_ID, 4, fail=3)
        logs.healthy(20)
    elif case == "not-a-queue-s-id":
        _deliveries(logs, POISON_ID, 4, fail=4, line=f"idempotency check messageId={POISON_ID}")
        logs.healthy(20)
    else:
        _deliveries(logs, POISON_ID, 4, fail=4, line="received messageId: undefined from queue")
        logs.healthy(20)
    result = run(evidence(logs), "event_source")
    assert result.status is UNKNOWN, result.title


def test_of_a_batch_failing_whole_the_message_the_error_names_is_the_poison() -> None:
    batch = [f"a8f1e2d3-0000-4000-8000-0000000bcc0{n}" for n in range(5)]
    logs = Logs()
    logs.healthy(20)
    for _ in range(3):
        logs.invoke(
            logs.stream(),
            app=[
                py("INFO", "received batch of 5: " + ", ".join(f"messageId={m}" for m in batch)),
                py_unhandled(
                    "JSONDecodeError", f"Expecting value while decoding messageId={batch[4]}"
                ),
            ],
            status="error",
        )
    result = run(evidence(logs), "event_source")
    assert result.status is FAIL
    has(
        [result.title],
        f"messageId {batch[4]} failed 3 of 3",
        "the 4 others of its batch, the error names it",
    )


def test_a_change_is_not_blamed_or_credited_on_too_little() -> None:
    """One failure after a deploy is no deploy gone wrong; five quiet invocations after a
    change that came at a 25 % failure rate are no fix."""
    logs = Logs(version="7")
    env = logs.stream("7")
    for _ in range(6):
        logs.invoke(env)
    logs.version = "8"
    env = logs.stream("8")
    logs.invoke(env, app=[py_unhandled("InternalServerError", "try again")], status="error")
    for _ in range(5):
        logs.invoke(env)
    blamed = run(evidence(logs), "invocation_errors")
    assert not blamed.title.startswith("Errors began"), blamed.title
    logs = Logs()
    env = logs.stream()
    for n in range(40):
        logs.invoke(env, memory_mb=512, timeout_s=30.0 if n % 4 == 0 else None)
    env = logs.stream()
    for _ in range(5):
        logs.invoke(env, memory_mb=1024)
    credited = run(evidence(logs), "invocation_errors")
    assert credited.status is FAIL, credited.title
    assert "none of the 5 since" not in credited.title


def test_timeouts_alone_past_29_s_are_the_timeout_check_s_story() -> None:
    logs = Logs()
    logs.healthy(20)
    env = logs.stream()
    for _ in range(5):
        logs.invoke(env, timeout_s=30.0)
    result = run(evidence(logs), "api_gateway")
    assert result.status is UNKNOWN


def test_an_init_that_timed_out_before_invocations_that_timed_out_says_so() -> None:
    logs = Logs()
    for _ in range(3):
        env = logs.stream()
        logs.emit(
            env,
            logs.clock_ms,
            "INIT_REPORT Init Duration: 9999.71 ms\tPhase: init\tStatus: timeout",
        )
        logs.clock_ms += 10_010
        # Lambda runs the init again inside the invocation: a second INIT_START
        logs.emit(
            env, logs.clock_ms, "INIT_START Runtime Version: java:21.v22\tRuntime Version ARN: x"
        )
        logs.clock_ms += 5
        logs.invoke(env, timeout_s=15.0)
    result = run(evidence(logs), "invocation_errors")
    assert result.status is FAIL
    has(result.evidence, "the invocations that followed failed too: the init ran again inside them")
    lacks(result.evidence, "succeeded")


def test_a_canary_version_failing_beside_a_healthy_one_is_named() -> None:
    """A weighted alias sends a share of traffic to version 8: its failures, and none on 7."""
    logs = Logs()
    old, new = logs.stream("7"), logs.stream("8")
    crash = py_unhandled("KeyError", "'currency'")
    for n in range(12):
        logs.version = "7"
        logs.invoke(old)
        if n % 2 == 0:
            logs.version = "8"
            logs.invoke(new, app=[crash], status="error", error_type="KeyError")
    result = run(evidence(logs), "invocation_errors")
    assert result.status is FAIL
    has([result.title], "Errors only on version 8: 6 of 6 failed (version 7: 0 of 12)")
    has(result.commands, "--function-version 7 --routing-config")


# --- what is quoted, what is searched, and the two agree (real logs, PENDING 5, 6, 11) --------


def _searched_terms(result: CheckResult) -> list[str]:
    """The quoted terms of the `--filter-pattern` the check suggests first."""
    command = next(c for c in result.commands if "--filter-pattern" in c)
    words = shlex.split(command)
    return re.findall(r'"([^"]*)"', words[words.index("--filter-pattern") + 1])


def _quoted(result: CheckResult) -> list[str]:
    return [item for item in result.evidence if item.startswith("›")]


def _agree(result: CheckResult) -> None:
    terms, quoted = _searched_terms(result), _quoted(result)
    assert any(term in line for term in terms for line in quoted), (terms, quoted)


def test_the_commonest_type_is_quoted_beside_newer_failures_of_other_types() -> None:
    """Mostly ValueError, then newer timeouts: the search is for the ValueError, so a
    ValueError line is among those quoted, though the timeouts are newer."""
    logs = Logs()
    env = logs.stream()
    bad_amount = py_unhandled("ValueError", "invalid literal for int() with base 10: 'abc'")
    for _ in range(8):
        logs.invoke(env)
        logs.invoke(env, app=[bad_amount], status="error", error_type="ValueError")
    for _ in range(5):
        logs.invoke(env, timeout_s=6.0)
    result = run(evidence(logs), "invocation_errors")
    assert _searched_terms(result) == ["ValueError"]
    _agree(result)
    has(_quoted(result), "Task timed out")  # the newest failures are still shown


@pytest.mark.parametrize(
    ("line", "searched"),
    [
        # python3.6's bare words, no `Runtime.ImportModuleError` on the line
        ("Unable to import module 'app': No module named 'yaml'", "Unable to import module"),
        ("Handler 'lambda_handler' missing on module 'app'", "missing on module"),
    ],
)
def test_an_older_runtime_s_init_words_are_what_is_searched(line: str, searched: str) -> None:
    logs = Logs()
    env = logs.stream()
    for _ in range(3):
        logs.invoke(env, app=[line], legacy=True)
    result = run(evidence(logs), "invocation_errors")
    assert result.status is FAIL
    _agree(result)
    assert any(searched in term for term in _searched_terms(result))


def test_an_old_node_exit_is_quoted_with_the_error_logged_before_it() -> None:
    """Node.js 4.3 printed the error with no level, then the runtime's own words."""
    logs = Logs()
    env = logs.stream()
    for _ in range(4):
        logs.invoke(env, legacy=True)
    logs.invoke(
        env,
        app=[
            "{ts}\t{rid}\tReferenceError: orderTotal is not defined\n"
            "    at Runtime.exports.handler (/var/task/index.js:12:7)",
            "RequestId: {rid} Process exited before completing request",
        ],
        legacy=True,
    )
    result = run(evidence(logs), "invocation_errors")
    assert result.status is FAIL
    quoted = _quoted(result)
    assert "ReferenceError: orderTotal is not defined" in quoted[0], quoted
    assert "Process exited before completing request" in quoted[1], quoted
    _agree(result)


def _exported(logs: Logs) -> Evidence:
    """The evidence of these lines read as an export (read to its end: an init that failed
    with no request after it is the invocation made for it)."""
    exported = read_export(logs.raw_text().encode())
    return evidence_from_export(exported, function=FUNCTION, region=REGION, since_s=None)


_SIGTERM_DOCUMENT = (
    '{"errorMessage":"SIGTERM","errorType":"Init<SignalException>","stackTrace":'
    '["/var/runtime/lib/lambda_server.rb:41:in `read_nonblock\'"]}'
)


@pytest.mark.parametrize("beside_healthy", [False, True], ids=["alone", "beside-healthy"])
def test_an_environment_lambda_stopped_during_init_is_no_deploy_error(
    beside_healthy: bool,
) -> None:
    """Ruby reports the SIGTERM of a scale-in as an init error: not the code failing to start,
    so no rollback; alone in an export, or beside environments serving."""
    logs = Logs()
    if beside_healthy:
        logs.healthy(20)
    env = logs.stream()
    logs.emit(env, logs.clock_ms, "Init error when loading handler")
    logs.emit(env, logs.clock_ms + 1, _SIGTERM_DOCUMENT)
    result = run(evidence(logs) if beside_healthy else _exported(logs), "invocation_errors")
    assert result.status is WARN, result.title
    has([result.title], "stopped by Lambda", "Init<SignalException>")
    has(result.evidence, "not the code failing to start")
    lacks(result.next_steps, "roll back to", "list-versions-by-function")


def test_an_init_error_of_the_code_s_own_still_rolls_back() -> None:
    logs = Logs()
    env = logs.stream()
    logs.emit(env, logs.clock_ms, "Init error when loading handler")
    logs.emit(
        env,
        logs.clock_ms + 1,
        '{"errorMessage":"cannot load such file -- nokogiri","errorType":"Init<LoadError>",'
        '"stackTrace":["/var/task/app.rb:3:in `require\'"]}',
    )
    result = run(_exported(logs), "invocation_errors")
    assert result.status is FAIL
    has([result.title], "Deploy or init error")
    has(result.next_steps, "roll back to")
