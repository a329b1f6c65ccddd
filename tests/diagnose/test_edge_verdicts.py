"""The edge plane's verdicts, decided from hand-built figures at their thresholds: no logs."""

from __future__ import annotations

from dataclasses import replace

import pytest
from expect import run as run_check
from lambdalogs import FUNCTION, REGION, Logs, evidence

from lambdatop.core.pipeline import Finding
from lambdatop.core.records import (
    ApiRoute,
    Classification,
    ErrorFamily,
    EventSource,
    Invocation,
    LineKind,
    ParsedLine,
    Status,
)
from lambdatop.core.store import ApiState
from lambdatop.diagnose.checks import api_gateway, changes, event_source, invocation_errors
from lambdatop.diagnose.checks.api_gateway import Api
from lambdatop.diagnose.checks.base import Verdict
from lambdatop.diagnose.checks.changes import Change, VersionRuns
from lambdatop.diagnose.checks.event_source import Poison, Reason
from lambdatop.diagnose.checks.invocation_errors import ErrorFigures, Handled, InitErrors, Pattern
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
        # Past 29 s among fast ones: a hint, since nothing says an API is in front.
        ({"past_limit": 3}, UNKNOWN, f"3 invocations ran past 29 s; {api_gateway.NO_API_READ}"),
        # A line quotes an API Gateway event: callers of the API in front got a 504.
        ({"past_limit": 3, "api_events": True}, WARN, "3 invocations ran past 29 s, and the"),
        # Some of them timed out, not all: the others still ran past 29 s and returned.
        (
            {"past_limit": 3, "past_limit_timed_out": 1, "api_events": True},
            WARN,
            "3 invocations ran past 29 s",
        ),
        (
            {"past_limit": 3, "past_limit_timed_out": 2},
            UNKNOWN,
            f"3 invocations ran past 29 s; {api_gateway.NO_API_READ}",
        ),
        # All of them timed out: the timeout check tells that story.
        ({"past_limit": 3, "past_limit_timed_out": 3}, UNKNOWN, api_gateway.NOT_READ),
        # A function that reads a queue or a stream is not behind an API.
        ({"past_limit": 3, "reads_records": True}, UNKNOWN, api_gateway.NOT_READ),
    ],
)
def test_logs_alone_warn_only_of_long_runs_that_did_not_time_out_behind_an_api(
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
    assert decided.status is UNKNOWN
    assert decided.title == f"6 invocations ran past 29 s; {api_gateway.NO_API_READ}"
    advice = api_gateway.advise(figures, decided, ev)
    assert advice.evidence == [
        "6 of 27 invocations ran 29 s or longer (22 %); max 36.1 s",
        api_gateway.IF_AN_API,
    ]
    timed_out = window(*run(20, 800.0), *run(3, 30_000.0, Status.TIMEOUT))
    assert api_gateway.verdict(api_gateway.measure(timed_out, LIMITS), LIMITS).status is UNKNOWN


def test_long_runs_among_timeouts_still_hint_from_the_logs() -> None:
    """Some invocations past 29 s timed out, others returned late: those others are callers an
    API in front would have answered with a 504, whatever the timeouts beside them."""
    logs = Logs()
    logs.healthy(20)
    env = logs.stream()
    for _ in range(2):
        logs.invoke(env, duration_ms=36_100.0)
    for _ in range(3):
        logs.invoke(env, timeout_s=30.0)
    result = run_check(evidence(logs), "api_gateway")
    assert result.status is UNKNOWN
    assert result.title == f"5 invocations ran past 29 s; {api_gateway.NO_API_READ}"
    assert api_gateway.IF_AN_API in result.evidence


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


def test_no_5xx_is_said_when_any_api_s_5xx_were_read() -> None:
    read = Api(REST, requests=1000.0, errors=0.0)
    unread = Api(HTTP)
    assert api_gateway.verdict(in_front(unread, read), LIMITS).title == "2 APIs in front, no 5XX"
    assert api_gateway.verdict(in_front(unread, unread), LIMITS).title == "2 APIs in front"


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


# --- invocation_errors -----------------------------------------------------------------------


def errors(reported: int = 1000, failed: int = 0, **changes: object) -> ErrorFigures:
    types = (("Runtime.ExitError", failed),) if failed else ()
    base: dict[str, object] = {"reported": reported, "failed": failed, "types": types}
    base.update(changes)
    return ErrorFigures(**base)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("failed", "status"),
    [(0, OK), (9, OK), (10, WARN), (49, WARN), (50, FAIL), (51, FAIL), (1000, FAIL)],
)
def test_invocation_errors_warn_at_1_and_fail_at_5_percent(
    failed: int, status: CheckStatus
) -> None:
    decided = invocation_errors.verdict(errors(failed=failed), LIMITS)
    assert decided.status is status
    if failed:
        assert decided.title.startswith(f"{failed:,} of 1,000 invocations failed")
        assert decided.title.endswith(f"most with Runtime.ExitError (×{failed})")
    else:
        assert decided.title == "No failed invocations"


@pytest.mark.parametrize(
    ("metric_errors", "metric_invocations", "status", "title"),
    [
        (9.0, 1000.0, OK, "0.9 % of invocations failed (CloudWatch)"),
        (10.0, 1000.0, WARN, "1.0 % of invocations failed (CloudWatch)"),
        (50.0, 1000.0, FAIL, "5.0 % of invocations failed (CloudWatch)"),
        (None, 1000.0, UNKNOWN, "No completed invocations in the window"),
        (0.0, 0.0, UNKNOWN, "No completed invocations in the window"),
    ],
)
def test_without_completed_invocations_cloudwatch_s_errors_decide(
    metric_errors: float | None, metric_invocations: float, status: CheckStatus, title: str
) -> None:
    figures = errors(reported=0, metric_errors=metric_errors, metric_invocations=metric_invocations)
    decided = invocation_errors.verdict(figures, LIMITS)
    assert (decided.status, decided.title) == (status, title)
    advice = invocation_errors.advise(figures, decided, window())
    assert len(advice.evidence) == (status is not UNKNOWN)


@pytest.mark.parametrize(
    ("types", "message", "status"),
    [
        # Every failure an authorizer's "Unauthorized": callers denied, a warning at most.
        ((("Error", 100),), "Unauthorized", WARN),
        # Some failures of another kind beside them: the code fails too.
        ((("Error", 99), ("TypeError", 1)), "Unauthorized", FAIL),
        ((("Error", 100),), "Forbidden", FAIL),
    ],
)
def test_an_authorizer_s_denials_are_not_the_code_failing(
    types: tuple[tuple[str, int], ...], message: str, status: CheckStatus
) -> None:
    figures = errors(failed=100, types=types, message=message)
    decided = invocation_errors.verdict(figures, LIMITS)
    assert decided.status is status
    assert f'most with Error("{message}")' in decided.title
    advice = invocation_errors.advise(figures, decided, window())
    assert (invocation_errors.AUTHORIZER in advice.evidence) is (status is WARN)


def change(
    before: int, failed_before: int, after: int, failed_after: int, **more: object
) -> Change:
    base: dict[str, object] = {
        "at_ms": 1_772_442_900_000,
        "before": before,
        "failed_before": failed_before,
        "after": after,
        "failed_after": failed_after,
        "failing_at_change": True,
        "old_version": "6",
        "new_version": "7",
    }
    base.update(more)
    return Change(**base)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("since", "found"),
    [
        (change(100, 0, 20, 3), Pattern.BEGAN_WITH_CHANGE),
        (change(100, 0, 60, 3), Pattern.BEGAN_WITH_CHANGE),  # exactly 5 % since
        (change(100, 0, 61, 3), None),  # 4.9 % since: not enough to blame the change
        (change(100, 0, 20, 2), None),  # two failures blame nothing
        (change(1000, 9, 60, 3), Pattern.BEGAN_WITH_CHANGE),  # 0.9 % before: calm
        (change(1000, 10, 60, 3), None),  # 1 % before: already failing
        # Calm before is also at most a quarter of the rate since.
        (change(100, 2, 30, 3), Pattern.BEGAN_WITH_CHANGE),
        (change(100, 3, 30, 3), None),
        # Failures that stopped with the change, none since, and that is not luck:
        (change(20, 10, 20, 0), Pattern.STOPPED_WITH_CHANGE),
        (change(100, 5, 59, 0), Pattern.STOPPED_WITH_CHANGE),  # 0.95 ** 59 < 0.05
        (change(100, 5, 58, 0), None),  # 0.95 ** 58 > 0.05: could be luck
        (change(20, 10, 20, 0, failing_at_change=False), None),  # had stopped before it
        (change(20, 10, 20, 1), None),
    ],
)
def test_failures_began_or_stopped_with_a_change(since: Change, found: Pattern | None) -> None:
    limits = Thresholds(error_rate_warn=0.05) if since.failed_before in (2, 3) else LIMITS
    failed = since.failed_before + since.failed_after
    figures = errors(since.before + since.after, failed, change=since)
    decided = invocation_errors.verdict(figures, limits)
    assert decided.reason == found
    if found is Pattern.BEGAN_WITH_CHANGE:
        assert decided.title.startswith("Errors began with version 7 at ")
        assert decided.title.endswith(
            f"{since.failed_after} of {since.after} failed since,"
            f" {since.failed_before} of {since.before:,} before"
        )
    if found is Pattern.STOPPED_WITH_CHANGE:
        assert decided.title.endswith(f"; none of the {since.after} since")
        assert decided.status is not FAIL  # fixed already
    advice = invocation_errors.advise(figures, decided, window())
    said = {line.split(" with ")[0] for line in advice.evidence if " with version 7 at " in line}
    assert (
        said
        == {
            Pattern.BEGAN_WITH_CHANGE: {"errors began"},
            Pattern.STOPPED_WITH_CHANGE: {"failures stopped"},
            None: set(),
        }[found]
    )
    check = any(step.text.startswith("Check: a dependency failing since") for step in advice.steps)
    assert check is (found is Pattern.BEGAN_WITH_CHANGE)


def test_failures_that_stopped_with_a_change_warn_instead_of_failing() -> None:
    figures = errors(40, 10, change=change(20, 10, 20, 0))
    assert invocation_errors.verdict(figures, LIMITS).status is WARN
    assert invocation_errors.verdict(errors(40, 10), LIMITS).status is FAIL


@pytest.mark.parametrize(
    ("since", "step"),
    [
        (change(100, 0, 20, 3), "--function-version 6"),
        (change(100, 0, 20, 3, old_version="$LATEST", new_version="8"), changes.ROLL_BACK.text),
        (change(100, 0, 20, 3, old_version=None, new_version="8"), changes.ROLL_BACK.text),
        (
            change(100, 0, 20, 3, old_version="7", old_memory_mb=512, new_memory_mb=256),
            "--memory-size 512",
        ),
    ],
)
def test_a_change_that_broke_the_function_is_rolled_back(since: Change, step: str) -> None:
    figures = errors(120, 3, change=since)
    advice = invocation_errors.advise(figures, invocation_errors.verdict(figures, LIMITS), window())
    steps = [s.text for s in advice.steps]
    assert steps[-2].startswith("Check: a dependency failing since")
    assert step in steps[-1]
    assert any(line.startswith("errors began with ") for line in advice.evidence)


@pytest.mark.parametrize(
    ("versions", "bad"),
    [
        ((VersionRuns("6", 100, 0), VersionRuns("7", 20, 5)), "7"),
        ((VersionRuns("6", 100, 0), VersionRuns("7", 60, 3)), "7"),  # exactly 5 %
        ((VersionRuns("6", 100, 0), VersionRuns("7", 61, 3)), None),
        ((VersionRuns("6", 100, 0), VersionRuns("7", 20, 2)), None),  # two failures
        # The other version must be calm: under 1 %.
        ((VersionRuns("6", 111, 1), VersionRuns("7", 20, 5)), "7"),
        ((VersionRuns("6", 100, 1), VersionRuns("7", 20, 5)), None),
        ((VersionRuns("5", 100, 1), VersionRuns("6", 100, 0), VersionRuns("7", 20, 5)), None),
        # Both failing: a version is not the story.
        ((VersionRuns("6", 20, 5), VersionRuns("7", 20, 5)), None),
        # The failing one first, beside two healthy ones.
        ((VersionRuns("5", 20, 6), VersionRuns("6", 50, 0), VersionRuns("7", 50, 0)), "5"),
    ],
)
def test_a_version_that_fails_beside_a_healthy_one_is_named(
    versions: tuple[VersionRuns, ...], bad: str | None
) -> None:
    runs = sum(v.runs for v in versions)
    figures = errors(runs, sum(v.failed for v in versions), versions=versions)
    decided = invocation_errors.verdict(figures, LIMITS)
    if bad is None:
        assert decided.reason is None
        return
    assert decided.reason == Pattern.ONE_VERSION_FAILING
    assert decided.title.startswith(f"Errors only on version {bad}: ")
    advice = invocation_errors.advise(figures, decided, window())
    assert advice.evidence[1] == f"versions served side by side; the failures are version {bad}'s"
    good = next(v.version for v in versions if v.version != bad)
    assert f"--function-version {good} --routing-config" in advice.steps[-1].text


@pytest.mark.parametrize(
    ("failed", "handled", "status", "reason"),
    [
        (0, Handled(succeeded=1000, invocations=10, lines=14), WARN, Pattern.HANDLED_ERRORS),
        (0, Handled(succeeded=1000, invocations=9, lines=14), OK, None),
        (0, Handled(), OK, None),
        # Already warning of failures: handled errors do not take the title.
        (10, Handled(succeeded=990, invocations=500, lines=500), WARN, None),
        (5, Handled(succeeded=995, invocations=10, lines=10), WARN, Pattern.HANDLED_ERRORS),
    ],
)
def test_invocations_that_logged_errors_but_succeeded_warn_at_1_percent(
    failed: int, handled: Handled, status: CheckStatus, reason: Pattern | None
) -> None:
    figures = errors(failed=failed, handled=handled)
    decided = invocation_errors.verdict(figures, LIMITS)
    assert (decided.status, decided.reason) == (status, reason)
    advice = invocation_errors.advise(figures, decided, window())
    said = any("at ERROR level in" in line for line in advice.evidence)
    assert said is (reason is not None)
    assert ('"ERROR"' in advice.steps[0].text) is (reason is not None)
    if reason is not None:
        assert decided.title.startswith(f"{handled.invocations} invocations logged errors")


INIT = InitErrors(lines=6, signature="Runtime.ImportModuleError", last_ms=1_772_442_900_000)


@pytest.mark.parametrize(
    ("reported", "failed", "failed_in_init", "init", "status", "title", "leads"),
    [
        # Most failures failed in init: the deploy is the story, and leads when most fail.
        (20, 10, 5, INIT, FAIL, "Deploy or init error: Runtime.ImportModuleError", True),
        (21, 10, 5, INIT, FAIL, "Deploy or init error: Runtime.ImportModuleError", False),
        (
            20,
            10,
            10,
            INIT._replace(restores=True),
            FAIL,
            "SnapStart restore error: Runtime.ImportModuleError",
            True,
        ),
        # Fewer than half: an aside; the failures keep the title.
        (20, 10, 4, INIT, FAIL, "10 of 20 invocations failed", False),
        # An init error that failed nobody and was followed by success: recovered.
        (1000, 0, 0, INIT, WARN, "Init error, recovered: Runtime.ImportModuleError", False),
        (1000, 0, 0, INIT._replace(next_failed=True), WARN, "No failed invocations", False),
        (1000, 5, 0, INIT, WARN, "Init error, recovered: Runtime.ImportModuleError", False),
        (1000, 10, 0, INIT, WARN, "10 of 1,000 invocations failed", False),
    ],
)
def test_init_errors_lead_the_report_only_when_most_failures_failed_in_init(
    reported: int,
    failed: int,
    failed_in_init: int,
    init: InitErrors,
    status: CheckStatus,
    title: str,
    leads: bool,
) -> None:
    figures = errors(reported, failed, failed_in_init=failed_in_init, init=init)
    decided = invocation_errors.verdict(figures, LIMITS)
    assert (decided.status, decided.leads) == (status, leads)
    assert decided.title.startswith(title)


def test_an_init_error_aside_says_how_it_ended() -> None:
    def aside(**changes: object) -> str:
        figures = errors(1000, **changes)  # type: ignore[arg-type]
        return invocation_errors.advise(
            figures, invocation_errors.verdict(figures, LIMITS), window()
        ).evidence[1]

    assert aside(failed=10, failed_in_init=4, init=INIT).startswith(
        "also 4 invocations failed in init (Runtime.ImportModuleError), the last at "
    )
    assert "the invocations that followed failed too" in aside(init=INIT._replace(next_failed=True))
    assert aside(init=INIT).startswith(
        "init error, then served: Runtime.ImportModuleError (6 lines"
    )


def test_the_evidence_under_the_count_comes_in_the_guide_s_order() -> None:
    figures = errors(
        200,
        10,
        types=(("Error", 10),),
        message="Unauthorized",
        failed_in_init=1,
        init=INIT,
        change=change(100, 0, 100, 10),
        cold_only=True,
        warm=150,
        retries=invocation_errors.Retries(requests=3, runs=7, failed=2),
        metric_errors=12.0,
        metric_invocations=210.0,
        last_modified="2026-03-02T09:00:00.000+0000",
    )
    decided = invocation_errors.verdict(figures, LIMITS)
    advice = invocation_errors.advise(figures, decided, window())
    starts = [line.split(" ")[0] for line in advice.evidence]
    assert starts == [
        "10",  # the count
        "also",  # the init aside
        "3",  # the retries
        "every",  # cold starts only
        "errors",  # began with the change
        "a",  # an authorizer's denials
        "CloudWatch",
        "Error",
    ]
    steps = [step.text for step in advice.steps]
    assert steps[0].startswith("aws logs start-query")  # a generic type has no search of its own
    assert steps[-3] == invocation_errors.COLD_FIX.text
    assert "get-function-event-invoke-config" in steps[-2]
    assert steps[-1] == invocation_errors.KEEP_FAILED_EVENTS.text


def test_a_deploy_that_cannot_start_says_when_the_function_last_changed() -> None:
    figures = errors(
        20, 10, types=(("Init.error", 10),), failed_in_init=10, init=INIT, last_modified="09:00"
    )
    advice = invocation_errors.advise(figures, invocation_errors.verdict(figures, LIMITS), window())
    assert advice.evidence[-1] == "function last modified 09:00"
    assert '"INIT_REPORT"' in advice.steps[0].text
    assert "list-versions-by-function" in advice.steps[-2].text
    assert advice.steps[-1] == invocation_errors.ROLL_BACK_DEPLOY


# --- changes: what the invocations' order says --------------------------------------------


def served(n: int, version: str, failed: int = 0, memory_mb: int | None = 512) -> list[Invocation]:
    return [
        Invocation(
            f"v{version}-{memory_mb}-{i}",
            start_ms=0,
            version=version,
            memory_size_mb=memory_mb,
            reported=True,
            status=Status.ERROR if i < failed else Status.SUCCESS,
        )
        for i in range(n)
    ]


def in_order(*groups: list[Invocation]) -> list[Invocation]:
    runs = [inv for group in groups for inv in group]
    for at, inv in enumerate(runs):
        inv.start_ms = 1_772_442_900_000 + at * 1000
    return runs


def test_one_change_with_enough_runs_either_side_is_compared() -> None:
    found, versions = changes.measure(in_order(served(5, "6"), served(5, "7", failed=3)))
    assert versions == ()
    assert found is not None
    assert (found.before, found.failed_before, found.after, found.failed_after) == (5, 0, 5, 3)
    assert found.what == "version 7"
    too_few = changes.measure(in_order(served(4, "6"), served(5, "7", failed=3)))
    assert too_few == (None, ())
    memory = changes.measure(in_order(served(5, "7"), served(5, "7", memory_mb=1024)))[0]
    assert memory is not None
    assert memory.what == "memory 512 → 1024 MB"
    unknown = changes.measure(in_order(served(5, "7", memory_mb=None), served(5, "7")))
    assert unknown == (None, ())


def test_still_failing_when_the_change_came_looks_at_the_last_quarter_before_it() -> None:
    early = served(20, "6", failed=5)  # the first five failed, the last fifteen did not
    found = changes.measure(in_order(early, served(20, "7")))[0]
    assert found is not None
    assert not found.failing_at_change
    late = served(20, "6", failed=1)[::-1]  # the very last failed
    found = changes.measure(in_order(late, served(20, "7")))[0]
    assert found is not None
    assert found.failing_at_change


def test_runs_without_a_start_are_placed_by_their_end() -> None:
    """A run whose START line is outside the window is ordered, and a change dated, by its end."""
    old = served(5, "6")
    new = served(5, "7", failed=3)
    for at, inv in enumerate([*new, *old]):
        inv.start_ms = None
        inv.end_ms = 1_772_442_960_000 + (at - 5 if at >= 5 else at + 5) * 1000
    found = changes.measure([*new, *old])[0]
    assert found is not None
    assert (found.old_version, found.new_version, found.failed_after) == ("6", "7", 3)
    assert found.at_ms == new[0].end_ms


def test_versions_back_and_forth_are_compared_side_by_side() -> None:
    runs = in_order(served(5, "6"), served(5, "7", failed=3), served(5, "6"))
    assert changes.measure(runs) == (
        None,
        (VersionRuns("6", 10, 0), VersionRuns("7", 5, 3)),
    )
    few = in_order(served(5, "6"), served(4, "7", failed=3), served(5, "6"))
    assert changes.measure(few) == (None, ())


# --- invocation_errors: what the invocations and their lines measure -------------------------

T = 1_772_442_900_000


def started(
    request_id: str,
    *,
    failed: bool = False,
    cold: bool = False,
    stream: str = "env-1",
    start_ms: int | None = T,
    end_ms: int | None = T + 500,
    error_type: str | None = None,
    families: set[ErrorFamily] | None = None,
) -> Invocation:
    return Invocation(
        request_id,
        stream=stream,
        start_ms=start_ms,
        end_ms=end_ms,
        duration_ms=500.0,
        init_ms=800.0 if cold else None,
        status=Status.ERROR if failed else Status.SUCCESS,
        error_type=error_type,
        reported=True,
        families=families or set(),
    )


@pytest.mark.parametrize(
    ("cold_failures", "warm_failures", "warm", "init_family", "cold_only"),
    [
        (3, 0, 5, False, True),
        (2, 0, 5, False, False),  # two failures say nothing
        (3, 0, 4, False, False),  # too few warm runs to compare
        (3, 1, 5, False, False),  # a warm one failed too
        (3, 0, 5, True, False),  # failed in init: the deploy is that story
    ],
)
def test_failures_only_on_cold_starts_are_told_apart(
    cold_failures: int, warm_failures: int, warm: int, init_family: bool, cold_only: bool
) -> None:
    families = {ErrorFamily.INIT} if init_family else set()
    runs = [
        *(
            started(f"c-{i}", failed=True, cold=True, families=families if i == 0 else None)
            for i in range(cold_failures)
        ),
        *(started(f"w-{i}", failed=True) for i in range(warm_failures)),
        *(started(f"s-{i}") for i in range(warm)),
    ]
    figures = invocation_errors.measure(window(*runs), LIMITS)
    assert figures.cold_only is cold_only
    assert figures.warm == warm + warm_failures


def init_line(at_ms: int, stream: str = "env-1") -> Finding:
    line = ParsedLine(
        LineKind.INIT_REPORT,
        "INIT_REPORT Init Duration: 9999.71 ms Phase: init Status: timeout",
        classification=Classification(ErrorFamily.INIT, "Init.timeout"),
    )
    return Finding(at_ms, stream, None, line)


def test_an_init_error_is_followed_by_the_next_run_of_its_environment() -> None:
    runs = [
        # Ended at the very moment of the init line: it counts as after it, and it failed.
        started("a", failed=True, stream="env-1", start_ms=T - 900, end_ms=T),
        started("b", stream="env-1", start_ms=T + 100, end_ms=T + 600),
        # In env-2, the run with no START (placed by its end) comes after the one that has one.
        started("c", failed=True, stream="env-2", start_ms=None, end_ms=T + 5_000),
        started("d", stream="env-2", start_ms=T + 1_000, end_ms=T + 2_000),
        *(started(f"s-{i}", stream="env-3") for i in range(20)),
    ]
    ev = window(*runs)
    ev.findings = {ErrorFamily.INIT: [init_line(T, "env-1")]}
    assert invocation_errors.measure(ev, LIMITS).init == InitErrors(
        1, "Init.timeout", T, False, True
    )
    ev.findings = {ErrorFamily.INIT: [init_line(T, "env-2")]}
    init = invocation_errors.measure(ev, LIMITS).init
    assert init is not None
    assert not init.next_failed
    # Followed by a failure once in two: not most of them.
    ev.findings = {ErrorFamily.INIT: [init_line(T, "env-1"), init_line(T, "env-2")]}
    init = invocation_errors.measure(ev, LIMITS).init
    assert init is not None
    assert not init.next_failed


def failure(request_id: str, text: str, error_type: str = "Error") -> Finding:
    line = ParsedLine(LineKind.APP, text, request_id, error_type=error_type, unhandled=True)
    return Finding(T, "env-1", request_id, line)


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        # Most of the failures carry the message: it names the generic type.
        (
            [
                failure(f"r-{i}", '{"errorType":"Error","errorMessage":"Unauthorized"}')
                for i in range(3)
            ],
            "Unauthorized",
        ),
        # A message at the very start of the line, after the type.
        (
            [failure(f"r-{i}", "Error: Unauthorized\n    at handler") for i in range(3)],
            "Unauthorized",
        ),
        # Lines of another type in the same invocations do not vote.
        (
            [
                failure("r-0", "Error: Unauthorized"),
                failure("r-1", "Error: Unauthorized"),
                *(failure("r-2", "TypeError: boom", "TypeError") for _ in range(3)),
            ],
            "Unauthorized",
        ),
        # Half is not most.
        ([failure("r-0", "Error: a"), failure("r-1", "Error: b")], None),
        (
            [
                failure("r-0", "Error: a"),
                failure("r-1", "Error: a"),
                failure("r-2", "Error: b"),
                failure("r-3", "Error: b"),
            ],
            None,
        ),
    ],
)
def test_a_generic_error_is_named_by_the_message_most_of_its_failures_carry(
    lines: list[Finding], message: str | None
) -> None:
    ids = sorted({f.request_id for f in lines if f.request_id})
    ev = window(*(started(rid, failed=True, error_type="Error") for rid in ids))
    ev.failures = lines
    assert invocation_errors.measure(ev, LIMITS).message == message
