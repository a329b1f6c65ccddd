"""Where the store's data comes from, and how reading it fails: the types the pollers, the store
and the UI share where they meet.

A source is a kind and, for the per-function and per-trace ones, a name:

    SourceKey
    ├── inventory                 every function in the region (ListFunctions)
    ├── metrics                   the fleet's and the opened functions' CloudWatch series
    ├── percentiles ⁺             duration p50 / p99 (an extra request: often denied, never vital)
    ├── fleet-logs ⁺              the fleet's log-only trouble, by Logs Insights every 15 minutes
    ├── apigateway ⁺              the API Gateway routes in front of the opened functions
    ├── config:<function>         one function's configuration, read once when it is opened
    ├── logs:<function>           one opened function's log tail
    ├── traces:<function>         one opened function's failed X-Ray traces
    ├── trace:<trace id> ⁺        one trace's segments, read when its waterfall opens
    ├── linked                    source accounts' functions, seen from a monitoring account
    └── metrics:linked            their CloudWatch series (GetMetricData with AccountId)

    ⁺ optional: its trouble does not raise the banner; what it feeds says it is unavailable.

`str(key)` is the name a person (and a log line) reads: `logs:checkout`, `metrics`.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum


class SourceKind(StrEnum):
    INVENTORY = "inventory"
    METRICS = "metrics"
    PERCENTILES = "metrics:percentiles"
    FLEET_LOGS = "fleet-logs"
    APIGATEWAY = "apigateway"
    CONFIG = "config"
    LOGS = "logs"
    TRACES = "traces"
    TRACE = "trace"
    LINKED = "linked"
    LINKED_METRICS = "metrics:linked"
    INSIGHTS = "insights"


@dataclass(frozen=True, slots=True)
class Context:
    """One profile × region lambdatop reads, as k9s's contexts: its own session, pollers, pacing
    and store (lambdatop/core/fleet.py merges several into one fleet)."""

    profile: str | None
    """The AWS profile; None for the AWS CLI's default credentials (AWS_PROFILE, the chain)."""
    region: str | None
    """None until the session resolves it from the profile's configuration."""

    def __str__(self) -> str:
        return f"{self.profile or 'default'}/{self.region or '?'}"


OPTIONAL_KINDS = frozenset(
    {SourceKind.PERCENTILES, SourceKind.APIGATEWAY, SourceKind.TRACE, SourceKind.FLEET_LOGS}
)
"""Extras whose trouble never raises the banner (see the module docstring)."""


@dataclass(frozen=True, slots=True)
class SourceKey:
    """One data source's key in the store's health table: build it with the constructors."""

    kind: SourceKind
    name: str = ""
    """The function (config, logs, traces) or the trace id (trace); empty for the others."""

    @classmethod
    def config(cls, function: str) -> SourceKey:
        return cls(SourceKind.CONFIG, function)

    @classmethod
    def logs(cls, function: str) -> SourceKey:
        return cls(SourceKind.LOGS, function)

    @classmethod
    def traces(cls, function: str) -> SourceKey:
        return cls(SourceKind.TRACES, function)

    @classmethod
    def trace(cls, trace_id: str) -> SourceKey:
        return cls(SourceKind.TRACE, trace_id)

    @property
    def optional(self) -> bool:
        return self.kind in OPTIONAL_KINDS

    def __str__(self) -> str:
        return f"{self.kind}:{self.name}" if self.name else str(self.kind)


INVENTORY = SourceKey(SourceKind.INVENTORY)
METRICS = SourceKey(SourceKind.METRICS)
PERCENTILES = SourceKey(SourceKind.PERCENTILES)
FLEET_LOGS = SourceKey(SourceKind.FLEET_LOGS)
APIGATEWAY = SourceKey(SourceKind.APIGATEWAY)
LINKED = SourceKey(SourceKind.LINKED)
LINKED_METRICS = SourceKey(SourceKind.LINKED_METRICS)
INSIGHTS = SourceKey(SourceKind.INSIGHTS)
"""Logs Insights' counts of opened functions' windows: in the banner only while the account's
concurrent-query quota is full (other failures leave the lines read, said to be a sample)."""


class ErrorKind(StrEnum):
    """What kind of trouble a failed read is: what the monitor does about it, and what the
    banner puts first. Which AWS exceptions make which kind is drawn in lambdatop/aws/errors.py.

        ErrorKind
        ├── passing: retried soon, with backoff
        │   ├── THROTTLED     AWS asked us to slow down (a 429, a *Throttl* code)
        │   ├── UNREACHABLE   no connection to the endpoint (network, DNS, proxy)
        │   ├── TIMEOUT       connected, but no answer in time
        │   └── SERVER        AWS answered 5xx
        ├── lasting: retried slowly; a person has to act
        │   ├── CREDENTIALS   none found, expired or rejected (aws sso login)
        │   ├── CONFIG        the AWS configuration is wrong (profile, region, endpoint)
        │   └── DENIED        the credentials lack a permission
        ├── MISSING           the thing read does not exist (a misspelt function, no log group)
        └── OTHER             anything else, worded as AWS worded it
    """

    THROTTLED = "throttled"
    UNREACHABLE = "unreachable"
    TIMEOUT = "timeout"
    SERVER = "server"
    CREDENTIALS = "credentials"
    CONFIG = "config"
    DENIED = "denied"
    MISSING = "missing"
    OTHER = "other"

    @property
    def passing(self) -> bool:
        """Likely gone by the next try: retry soon (with backoff)."""
        return self in (
            ErrorKind.THROTTLED,
            ErrorKind.UNREACHABLE,
            ErrorKind.TIMEOUT,
            ErrorKind.SERVER,
        )

    @property
    def cuts_off_aws(self) -> bool:
        """Every call would fail the same way (no credentials, no network): an optional read
        that meets it raises rather than noting it, so the caller's own trouble says so."""
        return self in (ErrorKind.CREDENTIALS, ErrorKind.UNREACHABLE, ErrorKind.TIMEOUT)


BANNER_ORDER = (
    ErrorKind.CREDENTIALS,
    ErrorKind.UNREACHABLE,
    ErrorKind.DENIED,
    ErrorKind.THROTTLED,
)
"""The banner's worst trouble first: nothing works without credentials or a network."""


SAY_WAITING_AFTER_S = 3.0
"""A request unanswered this long is said on screen while it waits: AWS's read APIs answer in
well under a second, so three seconds is already unusual, yet no blip on a slow link."""


@dataclass(frozen=True, slots=True)
class Request:
    """One AWS request sent and not answered yet (its SDK retries included)."""

    service: str
    operation: str
    started_s: float

    def waiting(self, now_s: float) -> str:
        return (
            f"waiting {max(0.0, now_s - self.started_s):.0f} s on {self.service} ({self.operation})"
        )


class InFlight:
    """The AWS requests on the wire: an endpoint that accepts and never answers is said on
    screen while it waits, not a minute later when the last attempt times out."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self.clock = clock
        self._open: dict[int, Request] = {}
        self._ids = itertools.count()

    @contextmanager
    def request(self, service: str, operation: str) -> Iterator[None]:
        key = next(self._ids)
        self._open[key] = Request(service, operation, self.clock())
        try:
            yield
        finally:
            del self._open[key]

    def longest(self, now_s: float) -> Request | None:
        """The request waiting longest, if it has waited long enough to say."""
        oldest = min(self._open.values(), key=lambda r: r.started_s, default=None)
        if oldest is None or now_s - oldest.started_s < SAY_WAITING_AFTER_S:
            return None
        return oldest
