"""What API Gateway answers for a request it proxied to a simulated invocation."""

from __future__ import annotations

from dataclasses import dataclass

from lambdatop.demo.invocation import SimulatedInvocation

INTEGRATION_TIMEOUT_MS = 29_000.0
"""The default integration timeout: past it API Gateway answers 504, whatever Lambda does next."""


@dataclass(frozen=True, slots=True)
class ApiResponse:
    api: str
    """`rest` or `http`."""
    status: int
    integration_latency_ms: float
    latency_ms: float


def api_response(invocation: SimulatedInvocation) -> ApiResponse | None:
    """The API's answer, or None when no API fronted the invocation."""
    api = invocation.request.via_api
    if api is None:
        return None
    init_ms = invocation.init_duration_ms or 0.0
    lambda_ms = init_ms + invocation.outcome.duration_ms + 12.0
    # Deterministic per request: a few ms of gateway overhead derived from the request id
    overhead = 6.0 + int(invocation.request.request_id[:2], 16) / 16.0
    if lambda_ms >= INTEGRATION_TIMEOUT_MS:
        integration = INTEGRATION_TIMEOUT_MS + overhead / 4.0
        return ApiResponse(api, 504, integration, integration + overhead)
    status = 502 if invocation.outcome.failure is not None else 200
    return ApiResponse(api, status, lambda_ms, lambda_ms + overhead)
