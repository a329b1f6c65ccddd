"""Edge plane: API Gateway in front, which gives up on the function at 29 s (or 30 s)."""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

from lambdatop.core import metrics as m
from lambdatop.core.apigateway_log import ExecutionLog
from lambdatop.core.records import ApiRoute, Status
from lambdatop.core.stats import percentiles
from lambdatop.diagnose.checks import api_log
from lambdatop.diagnose.checks.base import Advice, Verdict
from lambdatop.diagnose.commands import Commands
from lambdatop.diagnose.evidence import Evidence
from lambdatop.diagnose.format import count, ms, pct
from lambdatop.diagnose.model import STATUS_SEVERITY, CheckStatus, Step
from lambdatop.diagnose.thresholds import Thresholds

if TYPE_CHECKING:  # only named: `diagnose --logs` never loads the live store
    from lambdatop.core.store import ApiState

API_LIMIT_MS = 29_000
"""A REST API gives up on its integration at 29 s (an HTTP API at 30 s)."""
GAVE_UP_SHARE = 0.97
"""Integration latency this close to the integration timeout is the API giving up."""
OK, WARN, FAIL = CheckStatus.OK, CheckStatus.WARN, CheckStatus.FAIL
NOT_READ = "API Gateway integrations were not read (logs only)"
NO_API_READ = "no API in front was read (logs only)"
IF_AN_API = (
    "if an API Gateway API invokes the function, those callers got a 504 at 29 s while it ran"
    " on; nothing read says one does (no trigger or API was read, no line quotes an API event)"
)
API_EVENTS = (
    "lines read quote API Gateway events ({apis}: a requestContext with an apiId): an API"
    " invokes the function, and gives up on it at 29 s"
)
DOES_AN_API_INVOKE = Step(
    "Check: does an API invoke the function? (an apigateway.amazonaws.com principal)"
)
ANSWER_IN_29_S = Step(
    "Fix: if an API invokes it, answer within 29 s (hand long work to a queue or Step Functions"
    " and return 202), or use a Function URL or response streaming, which have no 29 s limit"
)
FINISH_INSIDE = (
    "Fix: make the request path finish well inside {limit:g} s, or answer 202 at once and do the"
    " slow work asynchronously (SQS, Step Functions)"
)


class Api(NamedTuple):
    """One API in front, and what its CloudWatch metrics say over the window."""

    route: ApiRoute
    requests: float | None = None
    errors: float | None = None
    """Requests answered with a 5XX."""
    latency_ms: float | None = None
    """The integration latency's peak."""

    @property
    def gave_up(self) -> bool:
        limit = self.route.integration_timeout_ms
        return self.latency_ms is not None and self.latency_ms >= limit * GAVE_UP_SHARE


class ApiFigures(NamedTuple):
    apis: tuple[Api, ...] | None
    """None: the APIs in front were not read (logs only)."""
    limit_ms: float = API_LIMIT_MS
    """The first of the APIs in front to give up decides (29 s when none was read)."""
    runs: int = 0
    """Invocations with a duration."""
    longest_ms: float | None = None
    p99_ms: float | None = None
    past_limit: int = 0
    """Invocations that ran as long as the limit, or longer."""
    past_limit_timed_out: int = 0
    """Of those, the ones that timed out (the timeout check tells their story)."""
    reads_records: bool = False
    """The function reads a queue or a stream (its lines name the records): no API invokes it."""
    api_events: tuple[tuple[str, str | None], ...] = ()
    """The APIs (id, stage) whose API Gateway events lines quote: an API invokes the function."""
    api_log: ExecutionLog | None = None
    """API Gateway's execution log was read: what it says of each request decides."""
    timeout_s: float | None = None

    @property
    def outlasts(self) -> bool:
        """The function's timeout is longer than the API waits."""
        return self.timeout_s is not None and self.timeout_s * 1000 > self.limit_ms


def measure(ev: Evidence, limits: Thresholds) -> ApiFigures:
    apis = None if ev.apis is None else tuple(_api(api, ev.start_s) for api in ev.apis)
    # REST APIs give up at 29 s, HTTP APIs at 30 s: the first to give up decides.
    limit_ms = min((float(api.route.integration_timeout_ms) for api in apis or ()), default=None)
    limit_ms = API_LIMIT_MS if limit_ms is None else limit_ms
    durations = ev.complete.durations
    long = [inv for inv in ev.reported if (inv.duration_ms or 0.0) >= limit_ms]
    return ApiFigures(
        apis=apis,
        limit_ms=limit_ms,
        runs=len(durations),
        longest_ms=max(durations, default=None),
        p99_ms=percentiles(ev.complete.sorted_durations, 99)[0] if durations else None,
        past_limit=len(long),
        past_limit_timed_out=sum(1 for inv in long if inv.status is Status.TIMEOUT),
        reads_records=bool(ev.records),
        api_events=tuple(sorted(ev.api_events, key=str)),
        timeout_s=ev.timeout_s,
        api_log=ev.api_log,
    )


def _api(api: ApiState, since: int | None) -> Api:
    series = api.metrics
    return Api(
        route=api.route,
        requests=sum(series[m.API_COUNT].values(since)) if m.API_COUNT in series else None,
        errors=sum(series[m.API_5XX].values(since)) if m.API_5XX in series else None,
        latency_ms=(
            series[m.API_INTEGRATION_LATENCY].peak(since)
            if m.API_INTEGRATION_LATENCY in series
            else None
        ),
    )


def verdict(f: ApiFigures, limits: Thresholds) -> Verdict:
    if f.api_log is not None:
        return api_log.verdict(f.api_log)
    if f.apis is None:
        return _logs_only(f)
    if not f.apis:
        return Verdict(OK, "Not behind API Gateway")
    by_apis = [found for api in f.apis for found in _what_the_api_says(api, limits)]
    by_runs: list[tuple[CheckStatus, str]] = []
    limit_s = f.limit_ms / 1000
    if f.past_limit:
        outlived = f"{count(f.past_limit, 'invocation')} outlived API Gateway's {limit_s:g} s"
        by_runs.append((FAIL, f"{outlived}: callers got 504"))
    if f.outlasts:
        by_runs.append((WARN, f"Timeout {f.timeout_s:g} s outlasts API Gateway's {limit_s:g} s"))
    statuses = [status for status, _ in by_apis + by_runs]
    status = max(statuses, key=STATUS_SEVERITY.__getitem__, default=OK)
    # What the APIs say leads; else the first of what the durations and the timeout say.
    titles = [title for _, title in by_apis] or [title for _, title in by_runs[:1]]
    if titles:
        return Verdict(status, "; ".join(titles))
    read = any(api.errors is not None for api in f.apis)
    return Verdict(status, f"{count(len(f.apis), 'API')} in front" + (", no 5XX" if read else ""))


def _what_the_api_says(api: Api, limits: Thresholds) -> list[tuple[CheckStatus, str]]:
    """Its 5XX answers (failing from a share of its requests), and its giving up."""
    said: list[tuple[CheckStatus, str]] = []
    name = api.route.name
    if api.requests and api.errors:
        share = pct(api.errors, api.requests)
        if api.errors / api.requests >= limits.api_5xx_ratio_fail:
            said.append((FAIL, f"{name} answers {share} of requests with a 5XX"))
        else:
            said.append((WARN, f"{name} answers {api.errors:,.0f} requests with a 5XX ({share})"))
    if api.gave_up:
        gives_up = api.route.integration_timeout_ms / 1000
        said.append((FAIL, f"{name} gives up at {gives_up:g} s: callers get 504"))
    return said


def _logs_only(f: ApiFigures) -> Verdict:
    """Logs alone seldom say what invokes the function. Invocations past 29 s are what an API
    in front answers with a 504 while the function runs on: a warning when a line quotes an
    API Gateway event, else a hint (most functions that run that long have no API in front).
    None, or only timeouts: the timeout check tells that story."""
    if not _ran_past_the_api(f):
        return Verdict(CheckStatus.UNKNOWN, NOT_READ)
    ran = f"{count(f.past_limit, 'invocation')} ran past 29 s"
    if f.api_events:
        return Verdict(WARN, f"{ran}, and the logs show API Gateway events: callers got a 504")
    return Verdict(CheckStatus.UNKNOWN, f"{ran}; {NO_API_READ}")


def _ran_past_the_api(f: ApiFigures) -> bool:
    """Invocations ran past 29 s other than by timing out, in a function no queue or stream
    invokes: what an API in front would have answered with a 504."""
    return not f.reads_records and f.past_limit_timed_out < f.past_limit


def advise(f: ApiFigures, decided: Verdict, ev: Evidence) -> Advice:
    if f.api_log is not None:
        return api_log.advise(f.api_log, ev)
    cmd = Commands(ev)
    if f.apis is None:
        if not _ran_past_the_api(f):
            return Advice()
        evidence = [
            f"{f.past_limit:,} of {count(f.runs, 'invocation')} ran 29 s or longer"
            f" ({pct(f.past_limit, f.runs)}); max {ms(f.longest_ms)}"
        ]
        if decided.status is not WARN:
            evidence.append(IF_AN_API)
            return Advice(evidence, [DOES_AN_API_INVOKE, cmd.lambda_function("get-policy")])
        evidence.append(API_EVENTS.format(apis=_named(f.api_events)))
        return Advice(evidence, [cmd.lambda_function("get-policy"), ANSWER_IN_29_S])
    advice = Advice()
    for api in f.apis:
        advice.evidence.append(_api_line(api))
        route = api.route
        # REST APIs publish 5XXError by ApiName; HTTP APIs 5xx by ApiId.
        rest = route.kind == "REST"
        dimension = (
            f"Name=ApiName,Value={route.name}" if rest else f"Name=ApiId,Value={route.api_id}"
        )
        advice.steps += [
            cmd.metric(
                "5XXError" if rest else "5xx",
                ["Sum"],
                namespace="AWS/ApiGateway",
                dimension=dimension,
            ),
            cmd.metric(
                "IntegrationLatency", ["Maximum"], namespace="AWS/ApiGateway", dimension=dimension
            ),
        ]
    limit_s = f.limit_ms / 1000
    if f.past_limit:
        advice.evidence.append(
            f"{count(f.past_limit, 'invocation')} ran {limit_s:g} s or longer (p99 {ms(f.p99_ms)})"
            + (f"; the function's timeout is {f.timeout_s:g} s" if f.timeout_s else "")
        )
    if f.outlasts:
        advice.evidence.append(
            f"timeout {f.timeout_s:g} s is longer than API Gateway waits ({limit_s:g} s):"
            f" work after {limit_s:g} s is wasted"
        )
        advice.steps.append(cmd.update(f"--timeout {max(1, int(limit_s) - 1)}"))
    if decided.status is not OK:
        advice.steps.append(Step(FINISH_INSIDE.format(limit=limit_s)))
    return advice


def _named(apis: tuple[tuple[str, str | None], ...]) -> str:
    """`API a1b2c3 stage prod, API d4e5f6`."""
    return ", ".join(f"API {api}" + (f" stage {stage}" if stage else "") for api, stage in apis)


def _api_line(api: Api) -> str:
    route = api.route
    line = f"{route.kind} API {route.name} ({route.api_id})"
    if api.requests is not None:
        line += f": {api.requests:,.0f} requests, {api.errors or 0:,.0f} 5XX"
        line += f" ({pct(api.errors or 0, api.requests)})"
    if api.latency_ms is not None:
        line += (
            f", integration latency max {ms(api.latency_ms)} of {ms(route.integration_timeout_ms)}"
        )
    return line
