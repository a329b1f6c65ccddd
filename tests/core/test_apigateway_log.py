"""API Gateway's execution log read as what the API saw of each request to the function: in the
CloudWatch form, the console test's form, and as bare messages; with lines written here (the
real-log corpus holds public samples of each form)."""

from __future__ import annotations

import json

from lambdatop.core.apigateway_log import ApiFailure, is_execution_log, read_execution_log
from lambdatop.core.export import read_export

A = "5f0c9a12-7b3e-4d61-9a8f-0e1d2c3b4a59"
B = "c81e4f77-2a90-4b1c-8d3e-6f5a4b3c2d10"
C = "0a9b8c7d-6e5f-4a3b-9c2d-1e0f9a8b7c6d"
LAMBDA_B = "e4d3c2b1-a098-4f76-8e54-3d2c1b0a9f8e"

URI = (
    "https://lambda.eu-west-1.amazonaws.com/2015-03-31/functions/"
    "arn:aws:lambda:eu-west-1:210987654321:function:orders-api/invocations"
)
HEADERS = (
    "{Date=Mon, 07 Dec 2026 09:12:03 GMT, "
    f"x-amzn-RequestId={LAMBDA_B}, X-Amz-Function-Error=Unhandled, X-Amz-Executed-Version=14}}"
)
DOCUMENT = (
    '{"errorType":"KeyError","errorMessage":"\'customer_id\'",'
    f'"requestId":"{LAMBDA_B}",'
    '"stackTrace":["  File \\"/var/task/app.py\\", line 40, in handler\\n"]}'
)
CLOUDWATCH = "\n".join(
    [
        f"({A}) Extended Request Id: Qx3vFh8LoAMEbcd=",
        f"({A}) Starting execution for request: {A}",
        f"({A}) HTTP Method: POST, Resource Path: /orders",
        f"({A}) Method request path:",
        "{}",
        f"({A}) Endpoint request URI: {URI}",
        f"({A}) Execution failed due to a timeout error",
        f"({A}) Method completed with status: 504",
        f"({B}) Starting execution for request: {B}",
        f"({B}) HTTP Method: GET, Resource Path: /orders/{{id}}",
        f"({B}) Endpoint response headers: {HEADERS}",
        f"({B}) Endpoint response body before transformations: {DOCUMENT}",
        f"({B}) Method completed with status: 502",
        f"({C}) Starting execution for request: {C}",
        f'({C}) Endpoint response body before transformations: {{"statusCode":200,"body":"[]"}}',
        f"({C}) Method completed with status: 200",
        f"({C}) Successfully completed execution",
    ]
)


def test_each_request_is_told_as_the_api_saw_it() -> None:
    lines = CLOUDWATCH.splitlines()
    assert is_execution_log(lines)
    log = read_execution_log(lines)
    assert (log.function, log.region) == ("orders-api", "eu-west-1")
    timed_out, failed, fine = log.requests
    assert (timed_out.request_id, timed_out.method) == (A, "POST /orders")
    assert (timed_out.cause, timed_out.status) == (ApiFailure.TIMEOUT, 504)
    assert failed.cause is ApiFailure.FUNCTION_ERROR
    assert (failed.lambda_request_id, failed.error_type) == (LAMBDA_B, "KeyError")
    assert not fine.failed
    assert fine.status == 200
    assert [r.request_id for r in log.failed] == [A, B]


def test_the_console_test_and_bare_messages_are_read_too() -> None:
    console = (
        "Execution log for request test-request\n"
        "Mon Dec 07 09:12:03 UTC 2026 : Starting execution for request: test-invoke-request\n"
        "Mon Dec 07 09:12:03 UTC 2026 : Endpoint response body before transformations: "
        '{"statusCode":"200","body":"ok"}\n'
        "Mon Dec 07 09:12:03 UTC 2026 : Execution failed due to configuration error:"
        " Malformed Lambda proxy response\n"
        "Mon Dec 07 09:12:03 UTC 2026 : Method completed with status: 502\n"
    ).splitlines()
    log = read_execution_log(console)
    assert is_execution_log(console)
    (request,) = log.requests
    assert request.cause is ApiFailure.MALFORMED
    assert request.started_ms == 1_796_634_723_000  # 2026-12-07T09:12:03Z

    bare = [
        "Starting execution for request: 1b2c...",
        "HTTP Method: DELETE, Resource Path: /carts/{id}",
        "Lambda invocation failed with status: 429. Lambda request id: " + LAMBDA_B,
        "Execution failed due to configuration error: Rate Exceeded.",
        "Method completed with status: 500",
        "Starting execution for request: 9f8e...",
        "Method completed with status: 200",
    ]
    assert is_execution_log(bare)
    throttled, fine = read_execution_log(bare).requests
    assert (throttled.cause, throttled.lambda_request_id) == (ApiFailure.THROTTLED, LAMBDA_B)
    assert not fine.failed


def test_a_function_s_own_log_is_never_taken_for_one() -> None:
    # A function that logs the words API Gateway uses is still a function's log.
    lines = [
        "START RequestId: 7d6c5b4a-3f2e-4d1c-9b0a-8f7e6d5c4b3a Version: $LATEST",
        "2026-12-07T09:12:03.120Z\t7d6c5b4a-3f2e-4d1c-9b0a-8f7e6d5c4b3a\tINFO\tMethod completed"
        " with status: 200 upstream",
        "END RequestId: 7d6c5b4a-3f2e-4d1c-9b0a-8f7e6d5c4b3a",
    ]
    assert not is_execution_log(lines)
    assert read_export("\n".join(lines).encode()).form != "apigateway"


def test_the_reader_keeps_the_function_s_error_documents_as_its_events() -> None:
    exported = read_export(CLOUDWATCH.encode())
    assert exported.form == "apigateway"
    assert exported.function_name == "orders-api"
    assert [event.message for event in exported.events] == [
        line.split("before transformations: ", 1)[1]
        for line in CLOUDWATCH.splitlines()
        if "KeyError" in line
    ]


def test_an_export_of_its_log_group_is_read_the_same_way() -> None:
    events = [
        {"logStreamName": "7f3c1e", "timestamp": 1_796_634_723_000 + i, "message": line}
        for i, line in enumerate(CLOUDWATCH.splitlines())
    ]
    exported = read_export(json.dumps({"events": events}).encode())
    assert exported.form == "apigateway"
    assert exported.api_log is not None
    timed_out, failed, _ = exported.api_log.requests
    assert timed_out.cause is ApiFailure.TIMEOUT
    assert timed_out.started_ms == 1_796_634_723_000  # the event's own time
    assert failed.error_type == "KeyError"
