"""One-shot reads for the headless commands: everything about one function over a window, read
by the same pollers the monitor runs, into a store of its own."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TypeVar

from lambdatop.aws.errors import Trouble, describe
from lambdatop.aws.pollers.inventory import account_limits, api_routes, function_details
from lambdatop.aws.pollers.logs import LogTail
from lambdatop.aws.pollers.metrics import MetricsPoller
from lambdatop.aws.pollers.traces import failed_traces
from lambdatop.aws.session import Aws
from lambdatop.core.sources import PERCENTILES, ErrorKind
from lambdatop.core.store import ApiState, FunctionState, Store

Clock = Callable[[], float]
T = TypeVar("T")
MAX_WINDOW_EVENTS = 1_000_000


class FetchError(RuntimeError):
    """The function cannot be read at all; the message is one line for a person."""


@dataclass(slots=True)
class Fetched:
    store: Store
    state: FunctionState
    start_ms: int
    end_ms: int
    notes: list[str] = field(default_factory=list)
    """What could not be read (the diagnosis says unknown there), one line each."""
    logs_truncated: bool = False


async def fetch_window(
    aws: Aws, function: str, since_s: float, clock: Clock = time.time
) -> Fetched:
    """Configuration, logs, metrics and traces of one function for the last `since_s` seconds."""
    now = clock()
    store = Store(clock=clock)
    store.region = aws.region
    state = store.function(function)
    fetched = Fetched(store, state, int((now - since_s) * 1000), int(now * 1000))
    try:
        config, sources = await function_details(aws, function)
    except Exception as error:  # noqa: BLE001 - becomes one line and exit 2
        trouble = describe(error)
        if trouble.kind is ErrorKind.MISSING:
            raise FetchError(f"function {function!r} not found in {aws.region}") from None
        raise FetchError(trouble.final) from None
    state.config = config
    store.inventory[function] = config
    state.event_sources = sources
    limits = await _optional(fetched, "account settings", account_limits(aws))
    store.account_concurrency_limit, store.account_unreserved_limit = limits or (None, None)
    routes = await _optional(fetched, "API Gateway", api_routes(aws))
    state.apis = {r.api_id: ApiState(r) for r in (routes or {}).get(config.arn or "", [])}
    if routes is None:
        state.apis = None

    tail = LogTail(
        aws,
        config.effective_log_group,
        fetched.start_ms,
        clock=clock,
        max_initial_events=MAX_WINDOW_EVENTS,
    )
    try:
        state.add_events(await tail.poll())
    except Exception as error:  # noqa: BLE001 - becomes one line and exit 2
        raise FetchError(describe(error, "CloudWatch Logs").final) from None
    if not tail.group_exists:
        fetched.notes.append(f"log group {config.effective_log_group} does not exist")
    fetched.logs_truncated = tail.truncated_before_ms is not None

    metrics = MetricsPoller(aws, store, {function}, lambda: since_s, clock)
    if await _optional(fetched, "CloudWatch metrics", metrics.tick()) is None:
        state.metrics.clear()
    if PERCENTILES in store.health and store.health[PERCENTILES].error:
        fetched.notes.append("duration percentiles unavailable from CloudWatch")

    traces = await _optional(
        fetched,
        "X-Ray",
        failed_traces(aws, function, now - since_s, now, known_ids=state.trace_ids()),
    )
    if traces is not None:
        state.set_traces(traces[0])
    return fetched


async def _optional(fetched: Fetched, what: str, call: Awaitable[T]) -> T | None:
    """An optional source: its trouble becomes a note, unless AWS is unreachable altogether."""
    try:
        return await call
    except Exception as error:  # noqa: BLE001 - optional sources never stop the report
        trouble: Trouble = describe(error, what)
        # The logs were read: AWS answers. One slow source (a week of metrics) is a note on
        # the report, not the end of it.
        if trouble.kind in (ErrorKind.CREDENTIALS, ErrorKind.UNREACHABLE):
            raise FetchError(trouble.final) from None
        fetched.notes.append(trouble.final)
        return None
