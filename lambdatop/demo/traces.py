"""X-Ray segment documents for traced invocations, shaped as Lambda and API Gateway send them.

Each trace has the `AWS::Lambda` service segment, the `AWS::Lambda::Function` segment with its
downstream subsegments, and, when an API fronted the request, the API Gateway stage segment.
`error`/`fault`/`throttle` keys appear only when true (X-Ray omits them otherwise, and moto
counts a present key as true).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from lambdatop.demo.api_gateway import INTEGRATION_TIMEOUT_MS, api_response
from lambdatop.demo.incidents.base import Call, FailureKind
from lambdatop.demo.invocation import SimulatedInvocation
from lambdatop.demo.scenarios import ACCOUNT_ID, REGION


def _sub_id(seed: str) -> str:
    # Deterministic subsegment ids keep seeded runs identical
    return hashlib.blake2b(seed.encode(), digest_size=8).hexdigest()


def _flags(error: bool, fault: bool, throttle: bool = False) -> dict[str, bool]:
    flags: dict[str, bool] = {}
    if error:
        flags["error"] = True
    if fault:
        flags["fault"] = True
    if throttle:
        flags["throttle"] = True
    return flags


def _call_subsegment(call: Call, start: float, trace_id: str, index: int) -> dict[str, Any]:
    began = start + call.offset_ms / 1000.0
    doc: dict[str, Any] = {
        "id": _sub_id(f"{trace_id}:{index}"),
        "name": call.name,
        "start_time": began,
        "end_time": began + call.duration_ms / 1000.0,
        "namespace": call.namespace,
    }
    if call.namespace == "aws":
        doc["aws"] = {"operation": call.operation, "region": REGION, "retries": 0}
    if call.http_status is not None:
        doc["http"] = {"response": {"status": call.http_status}}
    if call.sql_url is not None:
        doc["sql"] = {
            "url": call.sql_url,
            "database_type": "PostgreSQL",
            "driver_version": "psycopg2",
        }
    doc.update(_flags(call.error, call.fault, call.throttle))
    if call.exception:
        doc["cause"] = {
            "exceptions": [
                {"id": _sub_id(f"{trace_id}:{index}:x"), "message": call.exception, "remote": True}
            ]
        }
    return doc


def segment_documents(invocation: SimulatedInvocation) -> list[str]:
    """The trace's segment documents (JSON strings), or none for an untraced function."""
    trace = invocation.trace
    if trace is None:
        return []
    scenario, outcome = invocation.scenario, invocation.outcome
    arrival = invocation.cold_start.start if invocation.cold_start else invocation.start
    failure = outcome.failure
    function_arn = scenario.function_arn
    request_id = invocation.request.request_id

    subsegments: list[dict[str, Any]] = []
    if invocation.cold_start is not None:
        subsegments.append(
            {
                "id": _sub_id(f"{trace.trace_id}:init"),
                "name": "Restore" if invocation.cold_start.restore else "Initialization",
                "start_time": invocation.cold_start.start,
                "end_time": invocation.start,
            }
        )
    invocation_sub: dict[str, Any] = {
        "id": _sub_id(f"{trace.trace_id}:invocation"),
        "name": "Invocation",
        "start_time": invocation.start,
        "end_time": invocation.end,
        "subsegments": [
            _call_subsegment(call, invocation.start, trace.trace_id, index)
            for index, call in enumerate(outcome.calls)
        ],
    }
    subsegments.append(invocation_sub)

    function_segment: dict[str, Any] = {
        "name": scenario.name,
        "id": trace.segment_id,
        "trace_id": trace.trace_id,
        "parent_id": trace.service_segment_id,
        "start_time": invocation.start,
        "end_time": invocation.end,
        "origin": "AWS::Lambda::Function",
        "aws": {
            "function_arn": function_arn,
            "resource_names": [scenario.name],
            "account_id": ACCOUNT_ID,
        },
        "subsegments": subsegments,
    }
    service_status = 200
    if failure is not None:
        function_segment["fault"] = True
        kind = failure.kind
        error_type = "Lambda.Timeout" if kind is FailureKind.TIMEOUT else failure.error_type
        message = failure.message
        if kind is FailureKind.TIMEOUT:
            message = f"Task timed out after {outcome.duration_ms / 1000.0:.2f} seconds"
        function_segment["cause"] = {
            "working_directory": "/var/task",
            "exceptions": [
                {
                    "id": _sub_id(f"{trace.trace_id}:cause"),
                    "message": message,
                    "type": error_type,
                    "stack": [
                        {"label": frame.strip().splitlines()[0]} for frame in failure.stack[:5]
                    ],
                }
            ],
        }
        service_status = 500 if kind is FailureKind.UNHANDLED else 502

    service_segment: dict[str, Any] = {
        "name": scenario.name,
        "id": trace.service_segment_id,
        "trace_id": trace.trace_id,
        "start_time": arrival,
        "end_time": invocation.end,
        "origin": "AWS::Lambda",
        "http": {"response": {"status": service_status}},
        "aws": {"request_id": request_id, "function_arn": function_arn},
        "resource_arn": function_arn,
    }
    service_segment.update(_flags(False, service_status >= 500))
    documents = [service_segment, function_segment]

    response = api_response(invocation)
    if response is not None and scenario.rest_api and response.api == "rest":
        api_id = _sub_id(f"{trace.trace_id}:api")
        service_segment["parent_id"] = api_id
        api_end = arrival + min(response.latency_ms, INTEGRATION_TIMEOUT_MS + 40.0) / 1000.0
        api_segment: dict[str, Any] = {
            "name": f"{scenario.rest_api}/prod",
            "id": api_id,
            "trace_id": trace.trace_id,
            "start_time": arrival - 0.004,
            "end_time": api_end,
            "origin": "AWS::ApiGateway::Stage",
            "http": {
                "request": {
                    "method": "POST",
                    "url": f"https://api.acme.io/{scenario.rest_api}/checkout",
                },
                "response": {"status": response.status},
            },
        }
        api_segment.update(_flags(400 <= response.status < 500, response.status >= 500))
        if response.status == 504:
            api_segment["cause"] = {
                "exceptions": [
                    {
                        "id": _sub_id(f"{trace.trace_id}:api:x"),
                        "message": "Endpoint request timed out",
                        "type": "IntegrationTimeout",
                    }
                ]
            }
        documents.insert(0, api_segment)
    return [json.dumps(document, separators=(",", ":")) for document in documents]
