"""Traces against moto: failed traces by filter expression, filtered here where the backend
refuses expressions, and one trace's segments only when it is opened."""

from __future__ import annotations

import time
from typing import Any

import awsseed
from awsfakes import Attempts, error, hook
from awsmoto import MotoAccount

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
