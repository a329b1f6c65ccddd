"""The simulated account's failed traces look as X-Ray shows them: the root cause names the
exception and the service that raised it, with the HTTP status, the response time and the
duration (moto alone leaves these empty, a response time of 1 and whole-second durations)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError

from lambdatop.aws.convert import trace_summary
from lambdatop.demo.simulated_account import SimulatedAccount
from lambdatop.demo.xray_summaries import ExpressionError, parse_expression, summarize


def failed_summaries(aws: Any) -> list[dict[str, Any]]:
    now = datetime.now(UTC)
    answer = aws("xray").get_trace_summaries(
        StartTime=now - timedelta(minutes=30), EndTime=now + timedelta(minutes=1)
    )
    return [s for s in answer["TraceSummaries"] if s["HasFault"] or s["HasError"]]


def segments(aws: Any, trace_id: str) -> list[dict[str, Any]]:
    traces = aws("xray").batch_get_traces(TraceIds=[trace_id])["Traces"]
    return [json.loads(s["Document"]) for s in traces[0]["Segments"]]


def test_failed_traces_carry_root_cause_http_status_and_timings(
    account: SimulatedAccount, aws: Any
) -> None:
    failed = failed_summaries(aws)
    assert failed
    shown = [trace_summary(s) for s in failed]
    assert all(t.http_status in (500, 502, 504) for t in shown), "the HTTP column filled"
    assert all(t.root_cause for t in shown), "every failure names its root cause"
    # Durations as X-Ray measures them, to the millisecond, not moto's whole seconds.
    assert any(t.duration_s and t.duration_s % 1 for t in shown)
    for summary in failed[:10]:
        documents = segments(aws, summary["Id"])
        starts = [d["start_time"] for d in documents]
        ends = [d["end_time"] for d in documents]
        assert summary["Duration"] == round(max(ends) - min(starts), 3)
        root = next(d for d in documents if "parent_id" not in d)
        assert summary["ResponseTime"] == round(root["end_time"] - root["start_time"], 3)
        assert summary["Http"]["HttpStatus"] == root["http"]["response"]["status"]
        names = {service["Name"] for service in summary["ServiceIds"]}
        assert {d["name"] for d in documents} <= names


def test_a_timeout_behind_api_gateway_is_the_stage_s_504_and_a_db_fault_is_the_database(
    account: SimulatedAccount, aws: Any
) -> None:
    causes = [trace_summary(s).root_cause or "" for s in failed_summaries(aws)]
    assert any(c.startswith("checkout-public/prod: IntegrationTimeout") for c in causes), causes
    assert any(c.startswith("payment-processor: ") for c in causes)
    assert any("Lambda.Timeout" in c or "TimeoutError" in c for c in causes)


def test_summarize_follows_the_fault_to_the_deepest_entity_that_recorded_it() -> None:
    api = {
        "id": "a",
        "name": "shop/prod",
        "origin": "AWS::ApiGateway::Stage",
        "start_time": 100.0,
        "end_time": 100.5,
        "fault": True,
        "http": {"request": {"method": "POST", "url": "https://x/y"}, "response": {"status": 502}},
    }
    function = {
        "id": "f",
        "parent_id": "a",
        "name": "checkout",
        "origin": "AWS::Lambda::Function",
        "start_time": 100.01,
        "end_time": 100.75,
        "fault": True,
        "cause": {"exceptions": [{"type": "OperationalError", "message": "too many clients"}]},
        "subsegments": [
            {
                "id": "i",
                "name": "Invocation",
                "start_time": 100.02,
                "end_time": 100.7,
                "subsegments": [
                    {
                        "id": "d",
                        "name": "orders-db",
                        "namespace": "remote",
                        "fault": True,
                        "cause": {"exceptions": [{"message": "connection refused"}]},
                    }
                ],
            }
        ],
    }
    filled = summarize({"Id": "1-x", "HasFault": True, "Duration": 0}, [api, function])
    assert filled["Http"] == {"HttpURL": "https://x/y", "HttpMethod": "POST", "HttpStatus": 502}
    assert filled["ResponseTime"] == 0.5
    assert filled["Duration"] == 0.75
    assert filled["EntryPoint"]["Name"] == "shop/prod"
    [cause] = filled["FaultRootCauses"]
    [service] = cause["Services"]
    assert service["Name"] == "checkout"
    assert [e["Name"] for e in service["EntityPath"]] == ["checkout", "Invocation", "orders-db"]
    assert service["EntityPath"][-1] == {
        "Name": "orders-db",
        "Exceptions": [{"Message": "connection refused"}],
        "Remote": True,
    }
    assert trace_summary(filled).root_cause == "checkout: orders-db: connection refused"


def test_a_filter_expression_is_answered_as_x_ray_answers_it(
    account: SimulatedAccount, aws: Any
) -> None:
    """moto fails any expression with HTTP 500; X-Ray applies the ones lambdatop asks."""
    now = datetime.now(UTC)
    # A window the account has finished writing: both questions see the same traces.
    window = {"StartTime": now - timedelta(minutes=30), "EndTime": now - timedelta(minutes=1)}
    xray = aws("xray")
    asked = xray.get_trace_summaries(
        **window,
        FilterExpression='service("payment-processor") AND (error = true OR fault = true)',
    )["TraceSummaries"]
    everything = xray.get_trace_summaries(**window)["TraceSummaries"]
    expected = {
        s["Id"]
        for s in everything
        if (s["HasError"] or s["HasFault"])
        and any(i["Name"] == "payment-processor" for i in s["ServiceIds"])
    }
    assert expected
    assert {s["Id"] for s in asked} == expected
    with pytest.raises(ClientError) as refused:
        xray.get_trace_summaries(**window, FilterExpression='annotation.tier = "gold"')
    assert refused.value.response["Error"]["Code"] == "InvalidRequestException"


@pytest.mark.parametrize(
    ("expression", "summary", "matches"),
    [
        ('service("a") AND fault', {"ServiceIds": [{"Name": "a"}], "HasFault": True}, True),
        ('service("a") AND fault', {"ServiceIds": [{"Name": "b"}], "HasFault": True}, False),
        ("error = true OR fault = true", {"HasError": False, "HasFault": True}, True),
        ("throttle = false AND (error OR fault)", {"HasThrottle": True, "HasError": True}, False),
        ("ok", {}, True),
        ("fault || error && throttle", {"HasFault": True}, True),
    ],
)
def test_filter_expressions_follow_x_ray_s_keywords(
    expression: str, summary: dict[str, Any], matches: bool
) -> None:
    assert parse_expression(expression)(summary) is matches


@pytest.mark.parametrize("expression", ["service(", "fault AND", "(error", "responsetime > 5"])
def test_an_expression_outside_the_language_is_refused(expression: str) -> None:
    with pytest.raises(ExpressionError):
        parse_expression(expression)


def _wsgi(app: Any, path: str, body: dict[str, Any]) -> dict[str, Any]:
    import io

    raw = json.dumps(body).encode()
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": path,
        "CONTENT_LENGTH": str(len(raw)),
        "wsgi.input": io.BytesIO(raw),
    }
    answered: dict[str, Any] = {}
    chunks = app(environ, lambda status, headers, *_: answered.update(status=status))
    return {"status": answered["status"], **json.loads(b"".join(chunks) or b"{}")}


def test_segments_written_through_the_account_fill_its_summaries_for_as_long_as_it_keeps_them() -> (
    None
):
    """The summaries are filled from the segments as they were written (not read back from moto
    five traces a request), and only for as long as the account keeps traces: hours of a
    running demo do not pile up."""
    from lambdatop.demo.xray_summaries import KEPT_S, TraceSummaries

    def trace(start: float, name: str) -> tuple[str, str]:
        trace_id = f"1-{int(start):08x}-{'0' * 24}"
        document = {
            "trace_id": trace_id,
            "id": "a" * 16,
            "name": name,
            "start_time": start,
            "end_time": start + 1.25,
            "fault": True,
            "http": {"response": {"status": 502}},
        }
        return trace_id, json.dumps(document)

    listed: list[str] = []

    def moto(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        """moto as the middleware sees it: every trace listed, none read back."""
        start_response("200 OK", [("Content-Type", "application/json")])
        if environ["PATH_INFO"] == "/TraceSummaries":
            summaries = [{"Id": t, "Duration": 1, "ResponseTime": 1} for t in listed]
            return [json.dumps({"TraceSummaries": summaries}).encode()]
        return [b"{}"]

    app = TraceSummaries(moto)
    t0 = 1_780_300_800.0
    old_id, old = trace(t0, "billing-old")
    new_id, new = trace(t0 + KEPT_S + 3600, "billing-new")
    for trace_id, document in ((old_id, old), (new_id, new)):
        assert _wsgi(app, "/TraceSegments", {"TraceSegmentDocuments": [document]})["status"]
        listed.append(trace_id)
    answer = _wsgi(app, "/TraceSummaries", {"StartTime": t0, "EndTime": t0 + 99_999})
    by_id = {s["Id"]: s for s in answer["TraceSummaries"]}
    assert by_id[new_id]["Duration"] == 1.25, "filled from the segments written"
    assert by_id[new_id]["Http"]["HttpStatus"] == 502
    assert by_id[old_id]["Duration"] == 1, "older than the account keeps: let go"
