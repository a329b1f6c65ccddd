"""What the fleet's logs say of the functions nobody opened: how many lines of each trouble only
the logs show (a pool exhausted, a role denied, a task timed out, memory exhausted, code that
cannot start, a full /tmp, an invocation past API Gateway's 29 s), and what their REPORT lines say
(invocations, cold starts, the most memory used), counted per function by a periodic Logs
Insights scan over many log groups at once (lambdatop/aws/pollers/fleet_logs.py), with the span
the counts cover.

The phrases the scan searches for are the classifier's own trigger words (a test holds each to
the family core.classify gives it), and each line found is counted under the family the
classifier gives the words it matched.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from lambdatop.core.classify import classify
from lambdatop.core.records import ErrorFamily

API_CUT = "api_cut"
"""An invocation that ran for API Gateway's whole integration timeout: its caller got a 504."""
API_CUT_MS = 29_000
"""API Gateway's default integration timeout: "29 seconds" (aws-apis.md)."""

TROUBLE_PHRASES: dict[str, tuple[str, ...]] = {
    ErrorFamily.CONNECTION_POOL: (
        r"QueuePool limit of size \d+ overflow -?\d+ reached",
        r"Connection is not available, request timed out after \d+ ?ms",
        "timeout exceeded when trying to connect",
        "Timeout acquiring a connection",
        "ConnectionAcquireTimeoutError",
        "pool exhausted",
        "Cannot get a connection, pool error",
        "Timeout waiting for idle object",
        "Unable to acquire JDBC Connection",
    ),
    ErrorFamily.PERMISSION: (
        "AccessDenied",
        "Access Denied",
        "not authorized to perform",
        "UnauthorizedOperation",
        "explicit deny",
    ),
    ErrorFamily.OUT_OF_MEMORY: (
        r"Runtime\.OutOfMemory",
        "OutOfMemoryError",
        "JavaScript heap out of memory",
        "MemoryError",
        "signal: killed",
        "out of memory",
        "Cannot allocate memory",
    ),
    ErrorFamily.TIMEOUT: ("Task timed out", r"Sandbox\.Timedout"),
    # Code that cannot start (a bad deploy, the commonest cause of a sudden error rate): the
    # metrics say errors, only the logs say the handler cannot even be loaded. Lambda's own
    # error types, and the runtimes' and the loader's words for it.
    ErrorFamily.INIT: (
        r"Runtime\.ImportModuleError",
        r"Runtime\.HandlerNotFound",
        r"Runtime\.UserCodeSyntaxError",
        r"Runtime\.InvalidEntrypoint",
        r"Extension\.Crash",
        "Unable to import module",
        "Cannot find module",
        "ClassNotFoundException",
        "exec format error",
        "invalid ELF header",
        "cannot open shared object file",
    ),
    # The execution environment's own limits: a full /tmp, its file descriptors. More memory
    # lifts neither; only the logs say which.
    ErrorFamily.ENVIRONMENT_LIMIT: (
        "No space left on device",
        "ENOSPC",
        "Too many open files",
        "EMFILE",
    ),
}
"""Per family, the words a scan searches for: regular expressions in the subset Insights and
Python share (no groups, no flags), matched case-insensitively."""

SHORT_NAMES = {
    ErrorFamily.CONNECTION_POOL: "pool",
    ErrorFamily.PERMISSION: "denied",
    ErrorFamily.OUT_OF_MEMORY: "OOM",
    ErrorFamily.TIMEOUT: "timeout",
    ErrorFamily.INIT: "init",
    ErrorFamily.ENVIRONMENT_LIMIT: "limit",
    API_CUT: "≥29 s",
}
"""How the fleet's narrow column names each trouble."""


def family_of(hit: str) -> str | None:
    """The trouble a line's matched words stand for: the classifier's family, else the family
    whose phrase they are (a timeout is told by the platform line, not the classifier)."""
    classified = classify(hit)
    if classified is not None and classified.family in TROUBLE_PHRASES:
        return str(classified.family)
    for family, phrases in TROUBLE_PHRASES.items():
        if any(re.search(phrase, hit, re.IGNORECASE) for phrase in phrases):
            return str(family)
    return None


@dataclass(frozen=True, slots=True)
class ReportTally:
    """A function's REPORT lines over the scan's span: what metrics do not say of it (CloudWatch
    has no memory-used or cold-start metric without Lambda Insights)."""

    invocations: int
    cold_starts: int
    max_used_mb: float | None
    size_mb: float | None

    @property
    def cold_pct(self) -> float | None:
        return 100 * self.cold_starts / self.invocations if self.invocations else None


@dataclass(slots=True)
class LogTroubleScan:
    """One scan of the fleet's logs: counts per function and family, and what it covered."""

    end_s: float
    span_s: float
    scanned: frozenset[str]
    """The functions whose log groups were scanned (absent from `counts`: nothing found)."""
    counts: dict[str, Counter[str]] = field(default_factory=dict)
    bytes_scanned: float = 0.0
    capped: bool = False
    """A query returned its most rows: some counts may be missing."""
    reports: dict[str, ReportTally] = field(default_factory=dict)
    """Per function with REPORT lines in the span, what they say."""

    def of(self, function: str) -> Counter[str] | None:
        """The function's counts; None when its logs were not scanned."""
        if function not in self.scanned:
            return None
        return self.counts.get(function, Counter())

    def reports_of(self, function: str) -> ReportTally | None:
        """What the function's REPORT lines in the span say; None when none were scanned."""
        return self.reports.get(function) if function in self.scanned else None


def trouble_text(counts: Counter[str] | None) -> str:
    """`3 pool · 1 denied`, `none`, or `·` when not scanned; worst (most lines) first."""
    if counts is None:
        return "·"
    found = [(n, family) for family, n in counts.items() if n > 0]
    if not found:
        return "none"
    found.sort(key=lambda item: (-item[0], item[1]))
    return " · ".join(f"{n:,} {SHORT_NAMES.get(family, family)}" for n, family in found)
