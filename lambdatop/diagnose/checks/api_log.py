"""The api_gateway check's judgement of an API Gateway execution log, when that is what was read:
what the API says became of each request it sent the function, in its own words."""

from __future__ import annotations

import json
import shlex

from lambdatop.core.apigateway_log import ApiFailure, ApiRequest, ExecutionLog
from lambdatop.core.sanitize import clean
from lambdatop.diagnose.checks.base import Advice, Verdict
from lambdatop.diagnose.commands import Commands
from lambdatop.diagnose.evidence import Evidence
from lambdatop.diagnose.format import count, pct
from lambdatop.diagnose.model import CheckStatus, Step

SAID = {
    ApiFailure.FUNCTION_ERROR: "the function failed (X-Amz-Function-Error): callers got 502",
    ApiFailure.TIMEOUT: "the API gave up at its integration timeout (29 s): callers got 504",
    ApiFailure.MALFORMED: "the function's answer was no proxy response: callers got 502",
    ApiFailure.PERMISSION: "the API may not invoke the function: callers got 500",
    ApiFailure.THROTTLED: "Lambda throttled the API's invocations (429): callers got 500",
}
"""What each of API Gateway's failures means for the caller."""
SHORT = {
    ApiFailure.FUNCTION_ERROR: "function error (502)",
    ApiFailure.TIMEOUT: "integration timeout (504)",
    ApiFailure.MALFORMED: "malformed proxy response (502)",
    ApiFailure.PERMISSION: "no permission to invoke (500)",
    ApiFailure.THROTTLED: "throttled by Lambda (429)",
}
QUOTED = 240
SHOWN_IDS = 3
PROXY_SHAPE = (
    "Fix: answer with a proxy response, an object of exactly statusCode (a number), headers"
    " (strings), body (a string: JSON.stringify or json.dumps an object first) and"
    " isBase64Encoded (a boolean)"
)
ANSWER_IN_29_S = (
    "Fix: answer within 29 s (hand long work to a queue or Step Functions and return 202),"
    " or, for a Regional or private REST API that must answer synchronously, ask for a higher"
    " integration timeout (a Service Quotas increase, which lowers the account's throttle quota)"
)
LAMBDA_SOURCE_ARN = "arn:aws:execute-api:{region}:{account}:{api}/*"


def verdict(log: ExecutionLog) -> Verdict:
    requests, failed = log.requests, log.failed
    if not failed:
        return Verdict(CheckStatus.OK, f"{count(len(requests), 'API request')}, none failed")
    causes = log.causes()
    if len(causes) > 1:
        what = ", ".join(f"{SHORT[cause]} ×{n:,}" for cause, n in causes.most_common())
    elif causes:
        what = SAID[next(iter(causes))]
    else:
        what = "the API answered with a 5XX"
    title = f"{len(failed):,} of {count(len(requests), 'API request')} failed: {what}"
    return Verdict(CheckStatus.FAIL, title)


def advise(log: ExecutionLog, ev: Evidence) -> Advice:
    cmd = Commands(ev)
    advice = Advice()
    failed = log.failed
    if not failed:
        return advice
    advice.evidence.append(
        f"API Gateway's execution log{_api_named(log)}: {len(failed):,} of"
        f" {count(len(log.requests), 'request')} failed ({pct(len(failed), len(log.requests))})"
    )
    by_cause: dict[ApiFailure | None, list[ApiRequest]] = {}
    for request in failed:
        by_cause.setdefault(request.cause, []).append(request)
    for cause, requests in sorted(by_cause.items(), key=lambda item: -len(item[1])):
        said = SAID[cause] if cause is not None else "answered with a 5XX"
        advice.evidence.append(f"{count(len(requests), 'request')}: {said}")
        advice.evidence.extend(_quotes(requests))
        advice.steps.extend(_steps(cause, requests, log, cmd))
    return advice


def _api_named(log: ExecutionLog) -> str:
    if log.api_id is None:
        return ""
    return f" (API {log.api_id}" + (f", stage {log.stage})" if log.stage else ")")


def _quotes(requests: list[ApiRequest]) -> list[str]:
    """The API's own line of the first, and the function's answer where it shows the fault."""
    first = requests[0]
    quotes = []
    if first.failure_line:
        quotes.append(f"› {_short(first.failure_line)}")
    if first.body and first.cause in (ApiFailure.MALFORMED, ApiFailure.FUNCTION_ERROR):
        quotes.append(f"› {_short(first.body)}")
    ids = [r.lambda_request_id for r in requests if r.lambda_request_id]
    if ids:
        shown = ", ".join(ids[:SHOWN_IDS]) + (
            f" and {len(ids) - SHOWN_IDS} more" if len(ids) > SHOWN_IDS else ""
        )
        quotes.append(f"Lambda request ids: {shown}")
    return quotes


def _short(text: str) -> str:
    flat = clean(" ".join(text.split()))
    return flat if len(flat) <= QUOTED else flat[: QUOTED - 1] + "…"


def _steps(
    cause: ApiFailure | None, requests: list[ApiRequest], log: ExecutionLog, cmd: Commands
) -> list[Step]:
    ids = [r.lambda_request_id for r in requests if r.lambda_request_id]
    look_up = []
    if ids and cause is not ApiFailure.PERMISSION:
        # The function's own lines of those requests, by the id Lambda gave them.
        wanted = " or ".join(f'@requestId = "{rid}"' for rid in ids[:SHOWN_IDS])
        look_up = [cmd.insights(f"fields @timestamp, @message | filter {wanted} | sort @timestamp")]
    if cause is ApiFailure.MALFORMED:
        return [*look_up, Step(PROXY_SHAPE + _what_was_wrong(requests[0].body))]
    if cause is ApiFailure.TIMEOUT:
        return [*look_up, Step(ANSWER_IN_29_S)]
    if cause is ApiFailure.PERMISSION:
        source = LAMBDA_SOURCE_ARN.format(
            region=log.region or cmd.region or "<region>",
            account="<account-id>",
            api=log.api_id or "<api-id>",
        )
        return [
            cmd.lambda_function("get-policy"),
            Step(
                "Fix: let API Gateway invoke the function (its resource-based policy)",
            ),
            cmd.lambda_function(
                "add-permission",
                " --statement-id apigateway-invoke --action lambda:InvokeFunction"
                f" --principal apigateway.amazonaws.com --source-arn {shlex.quote(source)}",
                changes=True,
            ),
        ]
    if cause is ApiFailure.THROTTLED:
        return [
            *look_up,
            cmd.lambda_function("get-function-concurrency"),
            cmd.lambda_call("get-account-settings", ""),
            Step(
                "Fix: raise the function's reserved concurrency, or the account's concurrency"
                " quota, to the API's peak; or throttle the API's stage below it"
            ),
        ]
    return look_up


def _what_was_wrong(body: str | None) -> str:
    """What in the function's answer API Gateway could not take, when it shows."""
    try:
        document = json.loads(body) if body else None
    except ValueError:
        return ": the answer was not JSON"
    if not isinstance(document, dict):
        return ": the answer was not an object"
    wrong = []
    if "statusCode" not in document:
        wrong.append("no statusCode")
    elif not str(document["statusCode"]).isdigit():  # "200" passes as well as 200
        wrong.append("statusCode is not a number")
    if "body" in document and not isinstance(document["body"], str):
        wrong.append("body is not a string")
    headers = document.get("headers")
    if headers is not None and not (
        isinstance(headers, dict) and all(isinstance(v, str) for v in headers.values())
    ):
        wrong.append("a header's value is not a string")
    extra = set(document) - {
        "statusCode",
        "headers",
        "multiValueHeaders",
        "body",
        "isBase64Encoded",
    }  # a REST API's (only REST APIs write this log): `cookies` is an HTTP API's field
    if extra:
        wrong.append(f"unknown field {sorted(extra)[0]}")
    return f"; here: {', '.join(wrong)}" if wrong else ""
