"""Traces against moto: failed traces by filter expression, filtered here where the backend
refuses expressions, and one trace's segments only when it is opened."""

from __future__ import annotations

import json
import time
from typing import Any

import awsseed
import pytest
from awsdouble import AwsDouble
from awsfakes import Attempts, FakeClock, error, hook, parsed
from awsmoto import MotoAccount

from lambdatop.aws.errors import NotYetAvailable, describe
from lambdatop.aws.pollers.traces import TracesPoller, failed_traces, trace_detail
from lambdatop.aws.session import Aws


async def test_expression_refused_falls_back_to_filtering_here(moto: MotoAccount, aws: Aws) -> None:
    failed = awsseed.trace(moto, "checkout", fault=True, seed=1)
    awsseed.trace(moto, "checkout", fault=False, seed=2)
    other = awsseed.trace(moto, "other", fault=True, seed=3)
    asked: list[dict[str, Any]] = []
    await hook(
        aws,
        "xray",
        "before-parameter-build.xray.GetTraceSummaries",
        lambda params=None, **_: asked.append(dict(params or {})),
    )
    # moto leaves ServiceIds out: the function's REPORT lines name its trace ids.
    poller = TracesPoller(aws, "checkout", lambda: 3600.0, known_ids=lambda: {failed})
    traces = await poller.poll()
    assert [t.trace_id for t in traces] == [failed]
    assert traces[0].fault
    assert not traces[0].error
    assert other not in {t.trace_id for t in traces}
    # Asked with the expression (moto answers 500), then without it.
    assert [("FilterExpression" in a) for a in asked] == [True, False]
    assert 'service("checkout")' in asked[0]["FilterExpression"]
    assert poller.filter_expressions, "one server error does not give the expression up"
    await poller.poll()
    assert not poller.filter_expressions, "failing only with it twice in a row does"
    await poller.poll()
    assert [("FilterExpression" in a) for a in asked[4:]] == [False]


async def test_invalid_expression_answer_gives_it_up_at_once(moto: MotoAccount, aws: Aws) -> None:
    awsseed.trace(moto, "checkout", fault=True)
    await hook(
        aws,
        "xray",
        "before-send.xray.GetTraceSummaries",
        lambda request=None, **_: (
            error(400, "InvalidRequestException", "bad expression")
            if b"FilterExpression" in (request.body or b"")
            else None
        ),
    )
    poller = TracesPoller(aws, "checkout", lambda: 3600.0)
    assert len(await poller.poll()) == 1
    assert not poller.filter_expressions


async def test_summaries_of_a_backend_that_filters(moto: MotoAccount, aws: Aws) -> None:
    """Where X-Ray applies the expression, what it returns is taken as is."""
    from awsfakes import response

    start = time.time() - 60
    summary = {
        "Id": f"1-{int(start):08x}-{'a' * 24}",
        "StartTime": start,
        "Duration": 2.5,
        "ResponseTime": 2.4,
        "HasError": True,
        "HasFault": False,
        "HasThrottle": False,
        "Http": {"HttpStatus": 500},
        "ServiceIds": [{"Name": "checkout", "Type": "AWS::Lambda::Function"}],
        "ErrorRootCauses": [
            {
                "Services": [
                    {
                        "Name": "checkout",
                        "Type": "AWS::Lambda::Function",
                        "EntityPath": [
                            {"Name": "checkout"},
                            {
                                "Name": "DynamoDB",
                                "Exceptions": [{"Name": "KeyError", "Message": "'order_id'"}],
                            },
                        ],
                    }
                ],
                "ClientImpacting": True,
            }
        ],
    }
    await hook(
        aws,
        "xray",
        "before-send.xray.GetTraceSummaries",
        lambda **_: response(200, {"TraceSummaries": [summary], "TracesProcessedCount": 1}),
    )
    traces, how = await failed_traces(aws, "checkout", start - 60, start + 60)
    assert how == "used"
    assert [(t.trace_id, t.error, t.http_status) for t in traces] == [(summary["Id"], True, 500)]
    assert traces[0].root_cause == "checkout: DynamoDB: KeyError 'order_id'"
    assert aws.ledger.traces_retrieved == 1


async def test_opening_a_trace_reads_it_alone_as_a_waterfall(moto: MotoAccount, aws: Aws) -> None:
    opened = awsseed.trace(moto, "checkout", fault=True, seed=1)
    awsseed.trace(moto, "checkout", fault=True, seed=2)
    attempts = Attempts()
    await hook(aws, "xray", "before-send.xray", attempts)
    segments = await trace_detail(aws, opened)
    assert attempts.counts == {"BatchGetTraces": 1}
    assert [(s.name, s.depth, s.http_status, s.fault) for s in segments] == [
        ("checkout", 0, 502, True),
        ("DynamoDB", 1, 500, False),
    ]
    assert segments[1].parent_id == segments[0].segment_id
    assert segments[1].cause == "ProvisionedThroughputExceededException slow down"
    assert segments[0].end_s is not None
    assert segments[0].end_s - segments[0].start_s == 1.5
    assert aws.ledger.traces_retrieved == 1


async def test_a_trace_not_processed_yet_says_so_and_a_paged_trace_is_read_whole(
    moto: MotoAccount, aws: Aws
) -> None:
    """BatchGetTraces as the X-Ray API reference documents it, where moto answers whole: a trace
    just sent is in "UnprocessedTraceIds: Trace IDs of requests that haven't been processed",
    and a long answer continues with "NextToken: Pagination token"."""
    start = time.time() - 120
    opened = awsseed.trace(moto, "checkout", fault=True, seed=1, at=start)
    # Lambda's own segment of the same trace, before the function's: two segments, two pages.
    lambda_segment = {
        "id": "00000000000000aa",
        "trace_id": opened,
        "name": "checkout",
        "origin": "AWS::Lambda",
        "start_time": start - 0.2,
        "end_time": start + 1.6,
    }
    moto.client("xray").put_trace_segments(TraceSegmentDocuments=[json.dumps(lambda_segment)])
    processed = False

    def not_yet(**_: Any) -> Any:
        return None if processed else parsed({"Traces": [], "UnprocessedTraceIds": [opened]})

    def paged(parsed: Any = None, **_: Any) -> None:
        """Each segment on a page of its own (moto's answer cut after the call)."""
        if not isinstance(parsed, dict) or not parsed.get("Traces"):
            return
        trace = parsed["Traces"][0]
        segments = list(trace.get("Segments") or ())
        pages.extend(dict(trace, Segments=[segment]) for segment in segments[1:])
        parsed["Traces"] = [dict(trace, Segments=segments[:1])]
        if pages:
            parsed["NextToken"] = "page-2"

    def next_page(params: dict[str, Any] | None = None, **_: Any) -> Any:
        body = json.loads((params or {}).get("body") or b"{}")
        if body.get("NextToken") != "page-2" or not pages:
            return None
        return parsed({"Traces": [pages.pop(0)]} | ({"NextToken": "page-2"} if pages else {}))

    pages: list[dict[str, Any]] = []
    await hook(aws, "xray", "before-call.xray.BatchGetTraces", not_yet)
    await hook(aws, "xray", "before-call.xray.BatchGetTraces", next_page)
    await hook(aws, "xray", "after-call.xray.BatchGetTraces", paged)
    with pytest.raises(NotYetAvailable) as raised:
        await trace_detail(aws, opened)
    assert describe(raised.value, "X-Ray").message == (
        f"X-Ray: trace {opened} is not processed yet (UnprocessedTraceIds): open it again shortly"
    )
    processed = True
    segments = await trace_detail(aws, opened)
    assert [(s.name, s.depth) for s in segments] == [
        ("checkout", 0),
        ("checkout", 0),
        ("DynamoDB", 1),
    ], "both pages' segments, in time order"
    assert aws.ledger.calls["xray.BatchGetTraces"] == 3  # refused once, then two pages
    assert aws.ledger.traces_retrieved == 1


async def test_every_page_of_failed_traces_is_read(moto: MotoAccount, aws: Aws) -> None:
    """GetTraceSummaries: "If the requested time frame contained more than one page of results,
    you can use this token to retrieve the next page" (moto answers whole: pages of two here)."""
    failed = {awsseed.trace(moto, "checkout", fault=True, seed=seed) for seed in range(5)}
    double = AwsDouble(time.time, page_size=2)
    await double.install(aws)
    traces, expression = await failed_traces(aws, "checkout", time.time() - 600, time.time())
    assert {t.trace_id for t in traces} == failed
    assert double.pages.pages["GetTraceSummaries"] == 3
    assert expression == "used"


async def test_a_trace_that_began_before_the_last_read_and_arrived_after_it_is_found(
    moto: MotoAccount, aws: Aws
) -> None:
    """GetTraceSummaries finds a trace by its start ("TraceId (trace start time)", the default
    TimeRangeType) and a segment is sent when it ends: a request that began before the last
    read and ended after it is found by the next read, which reaches back over it."""
    clock = FakeClock(time.time())
    poller = TracesPoller(aws, "checkout", lambda: 600.0, clock)
    assert await poller.poll() == []
    clock.advance(60)
    late = awsseed.trace(moto, "checkout", fault=True, seed=9, at=clock() - 90)
    assert late in {t.trace_id for t in await poller.poll()}
