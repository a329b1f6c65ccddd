"""Seed a moto account the way AWS would hold an incident: functions and their configuration,
reserved concurrency, a Kinesis event source, API Gateway APIs in front, CloudWatch metrics one
datum a minute, Lambda's own log lines, X-Ray traces."""

from __future__ import annotations

import contextlib
import io
import json
import random
import time
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from awsmoto import MotoAccount

ROLE = "lambdatop-test-role"


def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("handler.py", "def handler(event, context):\n    return 1\n")
    return buffer.getvalue()


def role_arn(moto: MotoAccount) -> str:
    iam = moto.client("iam")
    try:
        return str(iam.get_role(RoleName=ROLE)["Role"]["Arn"])
    except iam.exceptions.NoSuchEntityException:
        document = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "lambda.amazonaws.com"},
                    "Action": "sts:AssumeRole",
                }
            ],
        }
        return str(
            iam.create_role(RoleName=ROLE, AssumeRolePolicyDocument=json.dumps(document))["Role"][
                "Arn"
            ]
        )


def function(
    moto: MotoAccount,
    name: str,
    *,
    memory_mb: int = 128,
    timeout_s: int = 3,
    runtime: str = "python3.12",
    tracing: str | None = None,
    tmp_mb: int | None = None,
) -> dict[str, Any]:
    params: dict[str, Any] = {
        "FunctionName": name,
        "Runtime": runtime,
        "Role": role_arn(moto),
        "Handler": "handler.handler",
        "Code": {"ZipFile": _zip()},
        "MemorySize": memory_mb,
        "Timeout": timeout_s,
    }
    if tracing:
        params["TracingConfig"] = {"Mode": tracing}
    if tmp_mb is not None:
        params["EphemeralStorage"] = {"Size": tmp_mb}
    return dict(moto.client("lambda").create_function(**params))


def reserve(moto: MotoAccount, name: str, concurrency: int) -> None:
    moto.client("lambda").put_function_concurrency(
        FunctionName=name, ReservedConcurrentExecutions=concurrency
    )


def kinesis_mapping(moto: MotoAccount, name: str, stream: str = "orders") -> str:
    """A Kinesis stream feeding the function; returns the mapping's UUID."""
    kinesis = moto.client("kinesis")
    kinesis.create_stream(StreamName=stream, ShardCount=1)
    arn = kinesis.describe_stream(StreamName=stream)["StreamDescription"]["StreamARN"]
    mapping = moto.client("lambda").create_event_source_mapping(
        EventSourceArn=arn, FunctionName=name, StartingPosition="LATEST", BatchSize=100
    )
    return str(mapping["UUID"])


def rest_api(moto: MotoAccount, function_arn: str, name: str = "shop-rest") -> str:
    """A REST API whose GET / invokes the function (Lambda proxy); returns its id."""
    gateway = moto.client("apigateway")
    api_id = str(gateway.create_rest_api(name=name)["id"])
    root = gateway.get_resources(restApiId=api_id)["items"][0]["id"]
    gateway.put_method(
        restApiId=api_id, resourceId=root, httpMethod="GET", authorizationType="NONE"
    )
    gateway.put_integration(
        restApiId=api_id,
        resourceId=root,
        httpMethod="GET",
        type="AWS_PROXY",
        integrationHttpMethod="POST",
        uri=f"arn:aws:apigateway:{moto.region}:lambda:path/2015-03-31/functions/"
        f"{function_arn}/invocations",
        timeoutInMillis=29_000,
    )
    return api_id


def http_api(moto: MotoAccount, function_arn: str, name: str = "shop-http") -> str:
    """An HTTP API with a Lambda proxy integration; returns its id."""
    gateway = moto.client("apigatewayv2")
    api_id = str(gateway.create_api(Name=name, ProtocolType="HTTP")["ApiId"])
    gateway.create_integration(
        ApiId=api_id,
        IntegrationType="AWS_PROXY",
        IntegrationUri=function_arn,
        PayloadFormatVersion="2.0",
    )
    return api_id


def minutes_back(count: int, now: float | None = None) -> list[datetime]:
    """The last `count` whole minutes, oldest first, ending a minute before now."""
    top = int((now if now is not None else time.time()) // 60 * 60)
    return [datetime.fromtimestamp(top - 60 * i, UTC) for i in range(count, 0, -1)]


def metric(
    moto: MotoAccount,
    namespace: str,
    name: str,
    dimensions: dict[str, str],
    values: Sequence[float],
    minutes: Sequence[datetime] | None = None,
) -> None:
    """One datum a minute, as CloudWatch's own aggregates (Sum, Min, Max, SampleCount)."""
    stamps = list(minutes) if minutes is not None else minutes_back(len(values))
    data = [
        {
            "MetricName": name,
            "Dimensions": [{"Name": k, "Value": v} for k, v in dimensions.items()],
            "Timestamp": stamp,
            "StatisticValues": {"SampleCount": 1, "Sum": value, "Minimum": value, "Maximum": value},
        }
        for stamp, value in zip(stamps, values, strict=True)
    ]
    cloudwatch = moto.client("cloudwatch")
    for offset in range(0, len(data), 20):
        cloudwatch.put_metric_data(Namespace=namespace, MetricData=data[offset : offset + 20])


def lambda_metric(
    moto: MotoAccount, function_name: str, name: str, values: Sequence[float]
) -> None:
    metric(moto, "AWS/Lambda", name, {"FunctionName": function_name}, values)


SEEDED = {
    "Invocations": [10.0, 20.0, 30.0],
    "Errors": [1.0, 0.0, 2.0],
    "Throttles": [0.0, 5.0, 0.0],
    "Duration": [120.0, 340.0, 95.0],
    "ConcurrentExecutions": [3.0, 4.0, 5.0],
}
"""Three minutes of a function's basic series (Duration's average and maximum alike)."""


def seed_lambda_series(
    moto: MotoAccount, function: str, scale: float = 1.0, minutes: list[datetime] | None = None
) -> list[datetime]:
    """SEEDED × scale for the last three minutes (or the minutes given: seeding several
    functions at the same minutes, whenever the clock crosses one); returns the minutes."""
    minutes = minutes or minutes_back(3)
    for name, values in SEEDED.items():
        metric(
            moto,
            "AWS/Lambda",
            name,
            {"FunctionName": function},
            [v * scale for v in values],
            minutes,
        )
    return minutes


def log_events(
    moto: MotoAccount, group: str, stream: str, events: Iterable[tuple[int, str]]
) -> None:
    """Put (timestamp ms, message) events into a stream, creating the group and stream."""
    logs = moto.client("logs")
    with contextlib.suppress(logs.exceptions.ResourceAlreadyExistsException):
        logs.create_log_group(logGroupName=group)
    with contextlib.suppress(logs.exceptions.ResourceAlreadyExistsException):
        logs.create_log_stream(logGroupName=group, logStreamName=stream)
    batch = [{"timestamp": ts, "message": message} for ts, message in sorted(events)]
    for offset in range(0, len(batch), 5_000):
        logs.put_log_events(
            logGroupName=group, logStreamName=stream, logEvents=batch[offset : offset + 5_000]
        )


def stream_name(rng: random.Random, at: float | None = None) -> str:
    day = datetime.fromtimestamp(at if at is not None else time.time(), UTC).strftime("%Y/%m/%d")
    return f"{day}/[$LATEST]{rng.getrandbits(128):032x}"


@dataclass
class Invocation:
    start_ms: int
    duration_ms: float
    memory_mb: int
    used_mb: int
    app: tuple[str, ...] = ()
    trace_id: str | None = None


def request_id(rng: random.Random) -> str:
    value = f"{rng.getrandbits(128):032x}"
    return f"{value[:8]}-{value[8:12]}-4{value[13:16]}-a{value[17:20]}-{value[20:]}"


def invocation_lines(invocation: Invocation, rng: random.Random) -> list[tuple[int, str]]:
    """START, the application's lines, END and REPORT, in Lambda's text format."""
    rid = request_id(rng)
    at = invocation.start_ms
    end = at + int(invocation.duration_ms)
    lines = [(at, f"START RequestId: {rid} Version: $LATEST")]
    for index, text in enumerate(invocation.app, start=1):
        lines.append((at + index, f"{text} request {rid}"))
    report = "\t".join(
        [
            f"REPORT RequestId: {rid}",
            f"Duration: {invocation.duration_ms:.2f} ms",
            f"Billed Duration: {int(invocation.duration_ms) + 1} ms",
            f"Memory Size: {invocation.memory_mb} MB",
            f"Max Memory Used: {invocation.used_mb} MB",
        ]
        + (
            [f"XRAY TraceId: {invocation.trace_id}", "SegmentId: 0123456789abcdef", "Sampled: true"]
            if invocation.trace_id
            else []
        )
    )
    lines.append((end, f"END RequestId: {rid}"))
    lines.append((end, report + "\t"))
    return lines


def invocations(
    moto: MotoAccount,
    function_name: str,
    count: int,
    *,
    durations_ms: tuple[float, float],
    memory_mb: int,
    used_mb: tuple[int, int],
    streams: int = 3,
    seed: int = 5,
    since_s: float = 1800,
    trace_ids: Sequence[str] = (),
) -> int:
    """`count` completed invocations over the last `since_s` seconds, spread over streams (the
    last ones reporting `trace_ids`); returns the number of log events written."""
    rng = random.Random(seed)
    now_ms = int(time.time() * 1000)
    first = now_ms - int(since_s * 1000)
    names = [stream_name(rng) for _ in range(streams)]
    per_stream: dict[str, list[tuple[int, str]]] = {name: [] for name in names}
    step = (now_ms - 60_000 - first) // max(count, 1)
    for index in range(count):
        invocation = Invocation(
            start_ms=first + index * step,
            duration_ms=rng.uniform(*durations_ms),
            memory_mb=memory_mb,
            used_mb=rng.randint(*used_mb),
            trace_id=trace_ids[index - count] if index - count >= -len(trace_ids) else None,
        )
        per_stream[names[index % streams]] += invocation_lines(invocation, rng)
    for name, lines in per_stream.items():
        log_events(moto, f"/aws/lambda/{function_name}", name, lines)
    return sum(len(lines) for lines in per_stream.values())


def trace(
    moto: MotoAccount,
    function_name: str,
    *,
    fault: bool,
    at: float | None = None,
    seed: int = 3,
) -> str:
    """One X-Ray trace of the function (a segment and a DynamoDB subsegment); returns its id."""
    rng = random.Random(seed)
    start = at if at is not None else time.time() - 120
    trace_id = f"1-{int(start):08x}-{rng.getrandbits(96):024x}"
    segment: dict[str, Any] = {
        "id": f"{rng.getrandbits(64):016x}",
        "trace_id": trace_id,
        "name": function_name,
        "origin": "AWS::Lambda::Function",
        "start_time": start,
        "end_time": start + 1.5,
        "http": {"response": {"status": 502 if fault else 200}},
        "subsegments": [
            {
                "id": f"{rng.getrandbits(64):016x}",
                "name": "DynamoDB",
                "namespace": "aws",
                "start_time": start + 0.1,
                "end_time": start + 1.4,
                "http": {"response": {"status": 500 if fault else 200}},
                "cause": {
                    "exceptions": [
                        {"type": "ProvisionedThroughputExceededException", "message": "slow down"}
                    ]
                }
                if fault
                else {},
            }
        ],
    }
    if fault:
        segment["fault"] = True
    moto.client("xray").put_trace_segments(TraceSegmentDocuments=[json.dumps(segment)])
    return trace_id
