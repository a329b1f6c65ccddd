"""The edge plane's verdicts, decided from hand-built figures at their thresholds: no logs."""

from __future__ import annotations

from dataclasses import replace

import pytest
from expect import run as run_check
from lambdalogs import FUNCTION, REGION, Logs, evidence

from lambdatop.core.records import ApiRoute, EventSource, Invocation, Status
from lambdatop.core.store import ApiState
from lambdatop.diagnose.checks import api_gateway, event_source
from lambdatop.diagnose.checks.api_gateway import Api
from lambdatop.diagnose.checks.base import Verdict
from lambdatop.diagnose.checks.event_source import Poison, Reason
from lambdatop.diagnose.evidence import Evidence
from lambdatop.diagnose.model import CheckStatus
from lambdatop.diagnose.thresholds import Thresholds

OK, WARN, FAIL, UNKNOWN = CheckStatus.OK, CheckStatus.WARN, CheckStatus.FAIL, CheckStatus.UNKNOWN
LIMITS = Thresholds()


def window(*invocations: Invocation) -> Evidence:
    """Evidence of these completed invocations and nothing else."""
    return Evidence(
        function=FUNCTION,
        region=REGION,
        start_ms=None,
        end_ms=None,
        invocations=list(invocations),
    )


def run(
    n: int, duration_ms: float, status: Status = Status.SUCCESS, **more: object
) -> list[Invocation]:
    return [
        Invocation(
            f"r-{duration_ms:.0f}-{status}-{i}",
            duration_ms=duration_ms,
            status=status,
            reported=True,
            **more,  # type: ignore[arg-type]
        )
        for i in range(n)
    ]


# --- api_gateway -----------------------------------------------------------------------------

REST = ApiRoute("k3l9x2", "orders-api", "REST")
HTTP = ApiRoute("a1b2c3", "orders-http", "HTTP", integration_timeout_ms=30_000)


def in_front(*apis: Api, **changes: object) -> api_gateway.ApiFigures:
    base: dict[str, object] = {"apis": apis, "runs": 1000, "timeout_s": 20.0}
    base.update(changes)
    return api_gateway.ApiFigures(**base)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("changes", "status", "title"),
    [
        ({}, UNKNOWN, api_gateway.NOT_READ),
        # Past 29 s among fast ones: callers of an API in front got a 504.
        ({"past_limit": 3}, WARN, "3 invocations ran past 29 s: if an API invokes the function"),
        # Some of them timed out, not all: the others still ran past 29 s and returned.
        ({"past_limit": 3, "past_limit_timed_out": 1}, WARN, "3 invocations ran past 29 s"),
        ({"past_limit": 3, "past_limit_timed_out": 2}, WARN, "3 invocations ran past 29 s"),
        # All of them timed out: the timeout check tells that story.
        ({"past_limit": 3, "past_limit_timed_out": 3}, UNKNOWN, api_gateway.NOT_READ),
        # A function that reads a queue or a stream is not behind an API.
        ({"past_limit": 3, "reads_records": True}, UNKNOWN, api_gateway.NOT_READ),
    ],
)
def test_logs_alone_warn_only_of_long_runs_that_did_not_time_out(
    changes: dict[str, object], status: CheckStatus, title: str
) -> None:
    decided = api_gateway.verdict(in_front(apis=None, **changes), LIMITS)
    assert decided.status is status
    assert decided.title.startswith(title)


def test_long_runs_are_measured_with_the_ones_that_timed_out_apart() -> None:
    ev = window(
        *run(20, 800.0),
        *run(2, 36_100.0),
        *run(3, 30_000.0, Status.TIMEOUT),
        *run(1, 28_999.0),
        *run(1, 29_000.0, Status.ERROR),
    )
    figures = api_gateway.measure(ev, LIMITS)
    assert (figures.past_limit, figures.past_limit_timed_out, figures.runs) == (6, 3, 27)
    decided = api_gateway.verdict(figures, LIMITS)
    assert decided.status is WARN
    assert decided.title.startswith("6 invocations ran past 29 s")
    advice = api_gateway.advise(figures, decided, ev)
    assert advice.evidence == ["6 of 27 invocations ran 29 s or longer (22 %); max 36.1 s"]
    timed_out = window(*run(20, 800.0), *run(3, 30_000.0, Status.TIMEOUT))
    assert api_gateway.verdict(api_gateway.measure(timed_out, LIMITS), LIMITS).status is UNKNOWN


def test_long_runs_among_timeouts_still_warn_from_the_logs() -> None:
    """Some invocations past 29 s timed out, others returned late: those others are callers an
    API in front answered with a 504, whatever the timeouts beside them."""
    logs = Logs()
    logs.healthy(20)
    env = logs.stream()
    for _ in range(2):
        logs.invoke(env, duration_ms=36_100.0)
    for _ in range(3):
        logs.invoke(env, timeout_s=30.0)
    result = run_check(evidence(logs), "api_gateway")
    assert result.status is WARN
    assert result.title.startswith("5 invocations ran past 29 s")


def test_the_first_api_to_give_up_sets_the_limit() -> None:
    ev = window(*run(10, 800.0), *run(2, 29_500.0))
    ev.apis = [ApiState(HTTP), ApiState(REST)]
    figures = api_gateway.measure(ev, LIMITS)
    assert (figures.limit_ms, figures.past_limit) == (29_000.0, 2)
    ev.apis = [ApiState(HTTP)]
    figures = api_gateway.measure(ev, LIMITS)
    assert (figures.limit_ms, figures.past_limit) == (30_000.0, 0)
    ev.apis = []
    decided = api_gateway.verdict(api_gateway.measure(ev, LIMITS), LIMITS)
    assert (decided.status, decided.title) == (OK, "Not behind API Gateway")


@pytest.mark.parametrize(
    ("api", "status", "title"),
    [
        (Api(REST), OK, "1 API in front"),
        (Api(REST, requests=1000.0, errors=0.0), OK, "1 API in front, no 5XX"),
        (Api(REST, requests=1000.0, errors=9.0), WARN, "orders-api answers 9 requests with a 5XX"),
        (Api(REST, requests=1000.0, errors=10.0), FAIL, "orders-api answers 1.0 % of requests"),
        (Api(REST, requests=1000.0, errors=11.0), FAIL, "orders-api answers 1.1 % of requests"),
        # Integration latency within 3 % of the integration timeout: the API gave up.
        (Api(REST, latency_ms=28_129.0), OK, "1 API in front"),
        (Api(REST, latency_ms=28_130.0), FAIL, "orders-api gives up at 29 s: callers get 504"),
        (Api(HTTP, latency_ms=29_099.0), OK, "1 API in front"),
        (Api(HTTP, latency_ms=29_100.0), FAIL, "orders-http gives up at 30 s"),
    ],
)
def test_an_api_fails_at_its_share_of_5xx_and_when_it_gives_up(
    api: Api, status: CheckStatus, title: str
) -> None:
    decided = api_gateway.verdict(in_front(api), LIMITS)
    assert decided.status is status
    assert decided.title.startswith(title)


def test_the_5xx_share_that_fails_is_a_setting() -> None:
    figures = in_front(Api(REST, requests=1000.0, errors=30.0))
    assert api_gateway.verdict(figures, Thresholds(api_5xx_ratio_fail=0.03)).status is FAIL
    assert api_gateway.verdict(figures, Thresholds(api_5xx_ratio_fail=0.031)).status is WARN


def test_one_failing_api_among_healthy_ones_fails_and_is_the_title() -> None:
    healthy = Api(HTTP, requests=500.0, errors=0.0, latency_ms=900.0)
    failing = Api(REST, requests=1000.0, errors=50.0)
    decided = api_gateway.verdict(in_front(healthy, failing), LIMITS)
    assert (decided.status, decided.title) == (
        FAIL,
        "orders-api answers 5.0 % of requests with a 5XX",
    )
    both = api_gateway.verdict(in_front(Api(HTTP, requests=900.0, errors=1.0), failing), LIMITS)
    assert both.status is FAIL
    assert both.title == (
        "orders-http answers 1 requests with a 5XX (0.1 %);"
        " orders-api answers 5.0 % of requests with a 5XX"
    )


@pytest.mark.parametrize(
    ("changes", "status", "title"),
    [
        ({"past_limit": 1}, FAIL, "1 invocation outlived API Gateway's 29 s: callers got 504"),
        ({"timeout_s": 29.0}, OK, "1 API in front"),
        ({"timeout_s": 29.001}, WARN, "Timeout 29.001 s outlasts API Gateway's 29 s"),
        ({"timeout_s": 60.0}, WARN, "Timeout 60 s outlasts API Gateway's 29 s"),
        # Both: the invocations that outlived the API say more than the setting.
        (
            {"timeout_s": 60.0, "past_limit": 4},
            FAIL,
            "4 invocations outlived API Gateway's 29 s: callers got 504",
        ),
        ({"timeout_s": 30.0, "limit_ms": 30_000.0}, OK, "1 API in front"),
    ],
)
def test_runs_and_a_timeout_past_the_api_s_limit(
    changes: dict[str, object], status: CheckStatus, title: str
) -> None:
    decided = api_gateway.verdict(in_front(Api(REST), **changes), LIMITS)
    assert decided.status is status
    assert decided.title == title


def test_what_the_api_says_comes_before_what_the_runs_say() -> None:
    figures = in_front(Api(REST, requests=1000.0, errors=5.0), past_limit=2, timeout_s=60.0)
    decided = api_gateway.verdict(figures, LIMITS)
    assert (decided.status, decided.title) == (
        FAIL,
        "orders-api answers 5 requests with a 5XX (0.5 %)",
    )
    advice = api_gateway.advise(figures, decided, window())
    assert advice.evidence[1:] == [
        "2 invocations ran 29 s or longer (p99 n/a); the function's timeout is 60 s",
        "timeout 60 s is longer than API Gateway waits (29 s): work after 29 s is wasted",
    ]
    steps = [step.text for step in advice.steps]
    assert "--timeout 28" in steps[-2]
    assert steps[-1].startswith("Fix: make the request path finish well inside 29 s")


def test_a_healthy_api_in_front_advises_its_metrics_and_no_fix() -> None:
    figures = in_front(Api(HTTP, requests=100.0, errors=0.0, latency_ms=412.0))
    advice = api_gateway.advise(figures, api_gateway.verdict(figures, LIMITS), window())
    assert advice.evidence == [
        "HTTP API orders-http (a1b2c3): 100 requests, 0 5XX (0.0 %),"
        " integration latency max 412 ms of 30.0 s"
    ]
    assert len(advice.steps) == 2
    assert all("ApiId,Value=a1b2c3" in step.text for step in advice.steps)
    assert not any(step.fix for step in advice.steps)


def test_no_api_and_no_long_runs_advise_nothing() -> None:
    figures = in_front(apis=None)
    assert api_gateway.advise(figures, Verdict(UNKNOWN, ""), window()).steps == []


# --- event_source ----------------------------------------------------------------------------

KINESIS = EventSource(
    uuid="6d9bce8e",
    source_arn="arn:aws:kinesis:eu-west-1:123456789012:stream/orders-stream",
    state="Enabled",
    last_processing_result="OK",
    bisect_on_error=True,
    on_failure_destination="arn:aws:sqs:eu-west-1:123456789012:orders-dlq",
)
SQS = EventSource(
    uuid="0a1b2c3d", source_arn="arn:aws:sqs:eu-west-1:123456789012:orders-queue", state="Enabled"
)


def poison(**changes: object) -> Poison:
    base: dict[str, object] = {
        "key": "messageid",
        "value": "3f1c2a9e-5b7d-4e8f-9a0b-1c2d3e4f5a6b",
        "failed": 4,
        "delivered": 4,
        "records": 1,
        "batches": 1,
    }
    base.update(changes)
    return Poison(**base)  # type: ignore[arg-type]


def logs_only(**changes: object) -> event_source.EventSourceFigures:
    return event_source.EventSourceFigures(mappings=None, **changes)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("changes", "status", "reason"),
    [
        ({}, UNKNOWN, None),
        # One record failing every delivery while the others pass: a poison message.
        ({"poison": poison(), "succeeded": 0}, FAIL, Reason.POISON),
        ({"poison": poison(records=4, batches=2)}, FAIL, Reason.POISON),
        # Many records failing every delivery in many batches: an outage, not a poison record ...
        ({"poison": poison(records=4, batches=3), "succeeded": 7}, UNKNOWN, None),
        # ... unless twice as many records got through beside them.
        ({"poison": poison(records=4, batches=3), "succeeded": 8}, FAIL, Reason.POISON),
        ({"redelivered": ("m-1", "m-2")}, WARN, Reason.REDELIVERED),
        # An outage that also redelivers messages: the redelivery is what the source says.
        (
            {"poison": poison(records=4, batches=3), "redelivered": ("m-1",)},
            WARN,
            Reason.REDELIVERED,
        ),
        ({"poison": poison(), "redelivered": ("m-1",)}, FAIL, Reason.POISON),
    ],
)
def test_the_records_in_the_logs_tell_a_poison_record_from_an_outage(
    changes: dict[str, object], status: CheckStatus, reason: Reason | None
) -> None:
    decided = event_source.verdict(logs_only(**changes), LIMITS)
    assert (decided.status, decided.reason) == (status, reason)


@pytest.mark.parametrize(
    ("found", "title"),
    [
        (
            poison(),
            "A poison SQS message: messageId 3f1c2a9e-5b7d-4e8f-9a0b-1c2d3e4f5a6b failed 4 of 4"
            " deliveries",
        ),
        (
            poison(key="sequencenumber", value="4959" * 15, records=3, mates=2),
            f"A poison stream record: sequenceNumber {'4959' * 10} failed 4 of 4 deliveries"
            " (with the 2 others of its batch: one of them)",
        ),
        (
            poison(key="eventid", value="e-1", records=3, mates=2, named_by_error=True),
            "A poison DynamoDB stream record: eventID e-1 failed 4 of 4 deliveries"
            " (with the 2 others of its batch, the error names it)",
        ),
        (
            poison(key="offset", value="7", failed=5, delivered=5, records=3, batches=2),
            "A poison record: offset 7 failed 5 of 5 deliveries (+2 other records)",
        ),
    ],
)
def test_a_poison_record_is_named(found: Poison, title: str) -> None:
    assert event_source.verdict(logs_only(poison=found), LIMITS).title == title


def test_a_poison_message_s_advice_depends_on_its_source() -> None:
    queue = logs_only(poison=poison())
    advice = event_source.advise(queue, event_source.verdict(queue, LIMITS), window())
    assert advice.steps[-1] == event_source.DEAD_LETTER_QUEUE
    assert "dead-letter queue" in advice.evidence[0]
    shard = logs_only(poison=poison(key="sequencenumber"))
    advice = event_source.advise(shard, event_source.verdict(shard, LIMITS), window())
    assert "--bisect-batch-on-function-error" in advice.steps[-1].text
    assert "hold up their shard's later records" in advice.evidence[0]
    outage = logs_only(poison=poison(records=4, batches=3))
    assert (
        event_source.advise(outage, event_source.verdict(outage, LIMITS), window()).evidence == []
    )


@pytest.mark.parametrize(
    ("age_s", "status"),
    [(None, OK), (59.9, OK), (60.0, WARN), (900.0, WARN)],
)
def test_async_events_waiting_warn_at_the_iterator_age_warning(
    age_s: float | None, status: CheckStatus
) -> None:
    figures = event_source.EventSourceFigures(mappings=(), async_age_s=age_s)
    assert event_source.verdict(figures, LIMITS).status is status


@pytest.mark.parametrize(
    ("age_s", "status", "title"),
    [
        (None, OK, "1 event source healthy"),
        (59.9, OK, "1 event source healthy"),
        (60.0, WARN, "Stream consumer 60 s behind"),
        (899.9, WARN, "Stream consumer 15 min behind"),
        (900.0, FAIL, "Stream consumer 15 min behind"),
    ],
)
def test_a_stream_consumer_behind_warns_then_fails(
    age_s: float | None, status: CheckStatus, title: str
) -> None:
    figures = event_source.EventSourceFigures(mappings=(KINESIS,), iterator_age_s=age_s)
    decided = event_source.verdict(figures, LIMITS)
    assert (decided.status, decided.title) == (status, title)
    steps = [step.text for step in event_source.advise(figures, decided, window()).steps]
    behind = status is not OK
    assert any("--parallelization-factor 10" in step for step in steps) is behind
    assert (steps[-1] == event_source.FASTER.text) is behind


@pytest.mark.parametrize(
    ("mappings", "status", "title"),
    [
        ((KINESIS, SQS), OK, "2 event sources healthy"),
        ((KINESIS, replace(SQS, state="Disabled")), WARN, "sqs mapping is Disabled"),
        ((replace(SQS, state="Creating"), KINESIS), OK, "2 event sources healthy"),
        (
            (replace(KINESIS, last_processing_result="PROBLEM: Function call failed"), SQS),
            FAIL,
            "kinesis batches fail: PROBLEM: Function call failed",
        ),
        (
            (replace(KINESIS, state="Disabled", last_processing_result="PROBLEM: x"), SQS),
            FAIL,
            "kinesis mapping is Disabled; kinesis batches fail: PROBLEM: x",
        ),
    ],
)
def test_each_mapping_s_state_and_last_result(
    mappings: tuple[EventSource, ...], status: CheckStatus, title: str
) -> None:
    figures = event_source.EventSourceFigures(mappings=mappings)
    decided = event_source.verdict(figures, LIMITS)
    assert (decided.status, decided.title) == (status, title)


def test_a_stream_behind_leads_a_mapping_s_problem() -> None:
    disabled = replace(
        KINESIS, state="Disabled", bisect_on_error=False, on_failure_destination=None
    )
    figures = event_source.EventSourceFigures(mappings=(disabled,), iterator_age_s=120.0)
    decided = event_source.verdict(figures, LIMITS)
    assert (decided.status, decided.title) == (
        WARN,
        "Stream consumer 2 min behind; kinesis mapping is Disabled",
    )
    advice = event_source.advise(figures, decided, window())
    assert advice.evidence == [
        "kinesis orders-stream: Disabled, last result OK",
        "kinesis orders-stream: no on-failure destination (failed batches are lost)",
        "IteratorAge peak 2 min",
    ]
    assert "IteratorAge" in advice.steps[0].text
    assert "--bisect-batch-on-function-error" in advice.steps[2].text
