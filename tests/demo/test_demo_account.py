"""The simulated account against moto, read back through boto3 as lambdatop would read it."""

from __future__ import annotations

import json
import re
import threading
import time
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any

from lambdatop.demo.scenarios import SCENARIOS
from lambdatop.demo.server import port_is_free
from lambdatop.demo.simulated_account import SimulatedAccount

BY_NAME = {scenario.name: scenario for scenario in SCENARIOS}


def demo_threads() -> list[threading.Thread]:
    """Threads the demo starts: the generator and moto's server loop."""
    return [
        thread
        for thread in threading.enumerate()
        if thread.name in ("lambdatop-demo-generator", "lambdatop-demo-moto")
    ]


def all_events(logs: Any, name: str) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {"logGroupName": f"/aws/lambda/{name}", "interleaved": True}
    while True:
        page = logs.filter_log_events(**kwargs)
        events.extend(page["events"])
        if not page.get("nextToken"):
            return events
        kwargs["nextToken"] = page["nextToken"]


def test_every_function_exists_with_its_configuration(account: SimulatedAccount, aws: Any) -> None:
    lam = aws("lambda")
    functions = {f["FunctionName"]: f for f in lam.list_functions()["Functions"]}
    assert set(functions) == {s.name for s in SCENARIOS}
    for scenario in SCENARIOS:
        config = functions[scenario.name]
        assert config["Runtime"] == scenario.runtime
        assert config["MemorySize"] == scenario.memory_mb
        assert config["Timeout"] == scenario.timeout_s
        assert bool(config.get("VpcConfig", {}).get("SubnetIds")) == scenario.vpc
        expected_tracing = "Active" if scenario.tracing else "PassThrough"
        assert config["TracingConfig"]["Mode"] == expected_tracing
    throttled = lam.get_function(FunctionName="notification-sender")
    assert throttled["Concurrency"]["ReservedConcurrentExecutions"] == 10

    mappings = lam.list_event_source_mappings(FunctionName="clickstream-consumer")
    assert mappings["EventSourceMappings"][0]["EventSourceArn"].endswith(
        ":stream/clickstream-events"
    )

    apigw = aws("apigateway")
    api = next(a for a in apigw.get_rest_apis()["items"] if a["name"] == "checkout-public")
    resource = next(
        r for r in apigw.get_resources(restApiId=api["id"])["items"] if r["path"] == "/checkout"
    )
    integration = apigw.get_integration(
        restApiId=api["id"], resourceId=resource["id"], httpMethod="POST"
    )
    assert BY_NAME["checkout-api"].function_arn in integration["uri"]
    http_api = next(
        a for a in aws("apigatewayv2").get_apis()["Items"] if a["Name"] == "checkout-mobile"
    )
    integrations = aws("apigatewayv2").get_integrations(ApiId=http_api["ApiId"])["Items"]
    assert integrations[0]["IntegrationUri"] == BY_NAME["checkout-api"].function_arn

    subnets = functions["inventory-sync"]["VpcConfig"]["SubnetIds"]
    described = aws("ec2").describe_subnets(SubnetIds=subnets)["Subnets"]
    assert [s["AvailableIpAddressCount"] for s in described] == [0, 0]


def test_logs_arrive_in_each_format_family(account: SimulatedAccount, aws: Any) -> None:
    logs = aws("logs")
    stream_name = re.compile(r"^\d{4}/\d{2}/\d{2}/\[(\$LATEST|\d+)\][0-9a-f]{32}$")
    events = {name: all_events(logs, name) for name in account.function_names}
    for name, items in events.items():
        assert items, f"no logs for {name}"
        assert all(stream_name.match(e["logStreamName"]) for e in items), name
    text = {name: [e["message"] for e in items] for name, items in events.items()}

    payment = text["payment-processor"]
    assert any("Task timed out after 30.0" in m for m in payment)
    assert any("QueuePool limit of size 5 overflow 10 reached" in m for m in payment)
    assert any("FATAL:  sorry, too many clients already" in m for m in payment)

    assert any(m.startswith("INIT_START ") for m in text["pricing-engine"])
    init_durations = [
        float(match.group(1))
        for m in text["pricing-engine"]
        if (match := re.search(r"Init Duration: ([\d.]+) ms", m))
    ]
    assert init_durations
    assert min(init_durations) >= 6000
    assert max(init_durations) <= 10000

    snap = text["invoice-renderer"]
    assert any("Restore Duration:" in m and "Billed Restore Duration:" in m for m in snap)
    assert not any("Init Duration" in m for m in snap)

    assert any("Runtime.ImportModuleError" in m for m in text["webhook-relay"])
    assert any(
        'Connect timeout on endpoint URL: "https://sqs.us-east-1.amazonaws.com/"' in m
        for m in text["inventory-sync"]
    )
    assert any(
        "SubnetIPAddressLimitReachedException" in m or "ENILimitReachedException" in m
        for m in text["inventory-sync"]
    )
    assert any("\tERROR\t" in m or "\tWARN\t" in m for m in text["checkout-api"])

    # The JSON-format function: every line is a JSON object; reports are platform.report
    parsed = [json.loads(m) for m in text["report-exporter"]]
    assert any(p.get("type") == "platform.report" for p in parsed)
    assert any(
        "AccessDenied" in p.get("errorMessage", "") and p.get("log_level") == "ERROR"
        for p in parsed
    )

    # video-encoder: within one stream, Max Memory Used climbs to the Memory Size
    memory_by_stream: dict[str, list[int]] = defaultdict(list)
    for event in events["video-encoder"]:
        found = re.search(r"Max Memory Used: (\d+) MB", event["message"])
        if found:
            memory_by_stream[event["logStreamName"]].append(int(found.group(1)))
    killed = [series for series in memory_by_stream.values() if series[-1] == 1024]
    assert killed, "no environment reached its memory limit"
    assert any(series[0] < 400 and len(series) >= 3 for series in killed)


def test_metrics_and_traces_are_readable(account: SimulatedAccount, aws: Any) -> None:
    now = datetime.now(UTC)
    queries = [
        {
            "Id": f"q{index}",
            "MetricStat": {
                "Metric": {"Namespace": namespace, "MetricName": metric, "Dimensions": dims},
                "Period": 60,
                "Stat": stat,
            },
        }
        for index, (namespace, metric, dims, stat) in enumerate(
            [
                (
                    "AWS/Lambda",
                    "Invocations",
                    [{"Name": "FunctionName", "Value": "payment-processor"}],
                    "Sum",
                ),
                (
                    "AWS/Lambda",
                    "Errors",
                    [{"Name": "FunctionName", "Value": "payment-processor"}],
                    "Sum",
                ),
                (
                    "AWS/Lambda",
                    "Duration",
                    [{"Name": "FunctionName", "Value": "payment-processor"}],
                    "Maximum",
                ),
                (
                    "AWS/Lambda",
                    "Throttles",
                    [{"Name": "FunctionName", "Value": "notification-sender"}],
                    "Sum",
                ),
                (
                    "AWS/Lambda",
                    "ConcurrentExecutions",
                    [{"Name": "FunctionName", "Value": "notification-sender"}],
                    "Maximum",
                ),
                (
                    "AWS/Lambda",
                    "IteratorAge",
                    [{"Name": "FunctionName", "Value": "clickstream-consumer"}],
                    "Maximum",
                ),
                (
                    "AWS/ApiGateway",
                    "5XXError",
                    [{"Name": "ApiName", "Value": "checkout-public"}],
                    "Sum",
                ),
                ("AWS/Lambda", "ConcurrentExecutions", [], "Maximum"),
            ]
        )
    ]
    result = aws("cloudwatch").get_metric_data(
        MetricDataQueries=queries, StartTime=now - timedelta(minutes=30), EndTime=now
    )
    values = {r["Id"]: r["Values"] for r in result["MetricDataResults"]}
    assert sum(values["q0"]) > 100
    assert sum(values["q1"]) > 0
    assert max(values["q2"]) >= 29_000
    assert sum(values["q3"]) > 0
    assert max(values["q4"]) == 10
    assert max(values["q5"]) > 3_600_000
    assert sum(values["q6"]) > 0
    assert max(values["q7"]) > 10

    xray = aws("xray")
    summaries = xray.get_trace_summaries(
        StartTime=now - timedelta(minutes=30), EndTime=now + timedelta(minutes=1)
    )
    faults = [s for s in summaries["TraceSummaries"] if s["HasFault"]]
    assert faults
    traces = xray.batch_get_traces(TraceIds=[s["Id"] for s in faults[:20]])["Traces"]
    documents = [json.loads(seg["Document"]) for trace in traces for seg in trace["Segments"]]
    assert any(d.get("cause", {}).get("exceptions") for d in documents)
    assert any(
        d.get("http", {}).get("response", {}).get("status") in (500, 502, 504) for d in documents
    )


def test_stop_leaves_no_thread_and_frees_the_port() -> None:
    before = set(demo_threads())
    simulated = SimulatedAccount()
    simulated.start(port=0, speed=30.0, scenarios=["catalog-search"], backfill_seconds=60.0)
    port = simulated.port
    assert simulated.wait_until_backfilled(timeout=30)
    assert not port_is_free(port)
    simulated.stop()
    deadline = time.monotonic() + 10
    while set(demo_threads()) - before and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not set(demo_threads()) - before
    assert port_is_free(port)
    simulated.stop()  # idempotent
