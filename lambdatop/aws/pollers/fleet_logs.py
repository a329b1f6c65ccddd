"""The fleet's log-only trouble: what metrics cannot show (a pool exhausted, a role denied, a task
timed out, memory exhausted, an invocation cut by API Gateway at 29 s), counted for every function
of the region nobody opened, by Logs Insights queries over 50 log groups each (the insights
runner splits and paces them), on a slow cadence that keeps the bytes scanned, and so the bill,
small: every 15 minutes over the last 15 minutes, so each byte of log is scanned once.

One query a part counts, per log group (`@log`), the lines that hold a trouble phrase, grouped
by the words matched; the classifier then says which family those words are. REPORT lines of
invocations that ran 29 s or more are counted too (no words matched: the row's `trouble` is
absent).
"""

from __future__ import annotations

import asyncio
import math
import re
import time
from collections import Counter
from collections.abc import Awaitable, Callable

from botocore.exceptions import ClientError

from lambdatop.aws.insights import (
    MAX_GROUPS_PER_QUERY,
    POLL_FIRST_S,
    POLL_MAX_S,
    Insights,
    QueryResult,
    number,
)
from lambdatop.aws.pacing import SERVICE_RATES
from lambdatop.core.aggregate import DURATION_MS, REPORTS, RESTORE_PARSE, SIZE_MB, START_MS, USED_MB
from lambdatop.core.fleetlogs import (
    API_CUT,
    API_CUT_MS,
    TROUBLE_PHRASES,
    LogTroubleScan,
    ReportTally,
    family_of,
)
from lambdatop.core.store import Store

Clock = Callable[[], float]

SCAN_EVERY_S = 15 * 60
"""How often the fleet's logs are scanned, at the least; each query reads the span since the
same query of the scan before, so no byte is scanned twice."""
SCAN_LOGS_SHARE = 0.2
"""The share of lambdatop's CloudWatch Logs rate (the pacer's, shared with the opened
functions' tails) a scan may take on average: its queries are spread over the period, and a
fleet too big for 15 minutes is scanned less often."""
LISTING_RETRY_S = 5.0
"""Until the functions are listed there is nothing to scan: look again shortly."""
MISSING_RECHECK_S = 3600.0
"""A log group found missing is asked for again after this long (the function may have run)."""
UNSUPPORTED_RECHECK_S = 3600.0
"""An endpoint that cannot run the scan's query (an emulator) is asked again after this long."""
MISSING_RETRIES = 3
"""Missing groups left out of one query before it is asked once more as it stands."""
QUERY_RUN_S = 5.0
"""How long a 15-minute scan of 50 groups runs (an assumption: Insights answers such a
question in seconds)."""


def result_polls(run_s: float = QUERY_RUN_S) -> int:
    """GetQueryResults calls the insights runner makes for a query that runs `run_s`."""
    polls, waited, pause = 1, 0.0, POLL_FIRST_S
    while waited < run_s:
        waited += pause
        pause = min(POLL_MAX_S, pause * 2)
        polls += 1
    return polls


def scan_period_s(functions: int) -> float:
    """How often a fleet of `functions` is scanned: every 15 minutes, or as often as its queries
    (StartQuery and the GetQueryResults polls) fit in SCAN_LOGS_SHARE of the pacer's rate."""
    queries = math.ceil(functions / MAX_GROUPS_PER_QUERY)
    calls = queries * (1 + result_polls())
    return max(float(SCAN_EVERY_S), calls / (SCAN_LOGS_SHARE * SERVICE_RATES["logs"]))


def _alternatives() -> str:
    """The phrases as one regular expression's alternatives, `/` escaped for Insights."""
    words = [p for phrases in TROUBLE_PHRASES.values() for p in phrases]
    return "|".join(words).replace("/", "\\/")


# Insights' regular expressions take a leading `(?i)` for case-insensitive matching and
# `(?<name>...)` for the field `parse` extracts. `least(a, b)` "Returns the smallest value",
# `floor` rounds down: an invocation of 29 s or more counts 1 towards `cut`.
TROUBLE_QUERY = " | ".join(
    (
        f"filter @message like /(?i){_alternatives()}/ or {REPORTS}",
        f"parse @message /(?i)(?<trouble>{_alternatives()})/",
        RESTORE_PARSE,
        f"fields {DURATION_MS} as durationMs, {START_MS} as startMs, {USED_MB} as usedMB,"
        f" {SIZE_MB} as sizeMB",
        f"fields least(1, floor(durationMs / {API_CUT_MS})) as cut",
        "stats count() as lines, count(usedMB) as reports, count(startMs) as coldStarts,"
        " sum(cut) as cut, max(usedMB) as usedMB, max(sizeMB) as sizeMB by @log, trouble",
    )
)
"""Per log group, lines of trouble by the words matched, and the span's REPORT lines (in both
log formats): how many, how many cold, how many ran past API Gateway's 29 s, the most memory
used. The REPORT lines that hold no trouble words are the row without `trouble`."""


Sleep = Callable[[float], Awaitable[None]]


def _log_key(group: str) -> str:
    """A group as a row's `@log` names it: by name, a source account's (given by its ARN,
    `arn:partition:logs:region:account:log-group:NAME`) as `account:NAME`."""
    if not group.startswith("arn:"):
        return group
    parts = group.removesuffix(":*").split(":", 6)
    return f"{parts[4]}:{parts[-1]}"


class FleetLogPoller:
    """Every 15 minutes (longer for a big fleet), the span since the last scan of every
    not-opened function's logs, its queries spread over the period."""

    def __init__(
        self,
        insights: Insights,
        store: Store,
        watched: set[str],
        clock: Clock = time.time,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.insights = insights
        self.store = store
        self.watched = watched
        self.clock = clock
        self.sleep = sleep
        self.missing: dict[str, float] = {}
        """Log groups AWS said do not exist, and when."""

    async def tick(self) -> float:
        if not self.store.inventory_complete:
            return LISTING_RETRY_S
        begin = self.clock()
        names = sorted(set(self.store.inventory) - self.watched)
        function_of = {self.store.inventory[n].effective_log_group: n for n in names}
        # A function that never ran has no log group, and one missing group fails its whole
        # query ("ResourceNotFoundException: Log group '...' does not exist"): leave out the
        # ones known missing, looked for again after an hour.
        self.missing = {g: at for g, at in self.missing.items() if begin - at < MISSING_RECHECK_S}
        groups = [g for g in sorted(function_of) if g not in self.missing]
        size = MAX_GROUPS_PER_QUERY
        parts = [groups[i : i + size] for i in range(0, len(groups), size)]
        period = scan_period_s(len(function_of))
        # The queries spread evenly over the period: query i reads the span since query i of
        # the scan before, and the opened functions' tails keep most of the logs rate.
        gap = period / max(len(parts), 1)
        tasks: list[asyncio.Task[QueryResult]] = []
        try:
            for index, part in enumerate(parts):
                if index:
                    await self.sleep(gap)
                tasks.append(asyncio.create_task(self._scan(part, self.clock(), period)))
            answers = await asyncio.gather(*tasks, return_exceptions=True)
        finally:
            for task in tasks:
                task.cancel()
        end = self.clock()
        failures = [a for a in answers if isinstance(a, BaseException)]
        results = [a for a in answers if isinstance(a, QueryResult)]
        if parts and not results:
            if all(self._cannot_run(failure) for failure in failures):
                # Not trouble to retry: this endpoint does not run Insights queries. No figure
                # is better than a column marked failing for the whole session.
                self.store.log_trouble = None
                return UNSUPPORTED_RECHECK_S
            raise failures[0]  # the loop says it and retries
        if any("lines" not in row for result in results for row in result.rows):
            # Events, not the counts asked for: the backend ignored `stats`. No figure is
            # better than a "none" that was never counted.
            self.store.log_trouble = None
            return max(1.0, begin + period - end)
        failed_groups = {
            g for part, a in zip(parts, answers, strict=True) if a in failures for g in part
        }
        counts: dict[str, Counter[str]] = {}
        tallies: dict[str, list[ReportTally]] = {}
        of_log = {_log_key(group): function for group, function in function_of.items()}
        for row in (row for result in results for row in result.rows):
            # `@log` is "account-id:log-group-name": a source account's group is known by both.
            log = row.get("@log", "")
            function = of_log.get(log) or of_log.get(log.split(":", 1)[-1])
            if function is None:
                continue
            found = counts.setdefault(function, Counter())
            hit = row.get("trouble")
            family = family_of(hit) if hit else None
            if family is not None:
                found[family] += int(number(row.get("lines")) or 0)
            found[API_CUT] += int(number(row.get("cut")) or 0)
            if reports := int(number(row.get("reports")) or 0):
                tallies.setdefault(function, []).append(_tally(row, reports))
        counts = {function: +found for function, found in counts.items() if +found}
        unscanned = failed_groups | set(self.missing)
        self.store.log_trouble = LogTroubleScan(
            end_s=end,
            span_s=period,
            scanned=frozenset(f for g, f in function_of.items() if g not in unscanned),
            counts=counts,
            bytes_scanned=sum(r.bytes_scanned for r in results),
            capped=any(r.capped for r in results),
            reports={function: _merged(each) for function, each in tallies.items()},
        )
        self.store.touch()
        return max(1.0, begin + period - end)

    def _cannot_run(self, failure: BaseException) -> bool:
        """An emulator given as the endpoint (moto, LocalStack) that fails the query with a bare
        HTTP error page, not AWS's JSON error: AWS's own errors always carry an error code
        (`__type`), so botocore's code is then the bare status (`500`)."""
        if self.insights.aws.target.endpoint_url is None or not isinstance(failure, ClientError):
            return False
        code = str(failure.response.get("Error", {}).get("Code") or "")
        return code.isdigit() and int(code) >= 500

    async def _scan(self, groups: list[str], end: float, span: float) -> QueryResult:
        """One query's groups; a group AWS says is missing is left out and the query asked
        again, at most a few times."""
        groups = list(groups)
        for _ in range(MISSING_RETRIES):
            try:
                return await self.insights.query(groups, TROUBLE_QUERY, end - span, end)
            except ClientError as error:
                missing = _missing_group(error)
                if missing is None or missing not in groups:
                    raise
                self.missing[missing] = end
                groups.remove(missing)
                if not groups:
                    return QueryResult([])
        return await self.insights.query(groups, TROUBLE_QUERY, end - span, end)


def _tally(row: dict[str, str], reports: int) -> ReportTally:
    """What one row's REPORT lines say."""
    return ReportTally(
        invocations=reports,
        cold_starts=int(number(row.get("coldStarts")) or 0),
        max_used_mb=number(row.get("usedMB")),
        size_mb=number(row.get("sizeMB")),
    )


def _merged(tallies: list[ReportTally]) -> ReportTally:
    """A function's rows as one: its REPORT lines with trouble words are rows of their own."""

    def most(values: list[float | None]) -> float | None:
        known = [value for value in values if value is not None]
        return max(known) if known else None

    return ReportTally(
        invocations=sum(t.invocations for t in tallies),
        cold_starts=sum(t.cold_starts for t in tallies),
        max_used_mb=most([t.max_used_mb for t in tallies]),
        size_mb=most([t.size_mb for t in tallies]),
    )


_MISSING = re.compile(r"Log group '(?P<group>[^']+)' does not exist")


def _missing_group(error: ClientError) -> str | None:
    """The group a ResourceNotFoundException names (`Log group 'X' does not exist for account
    ID 'N'`, as StartQuery words it), or None."""
    if error.response.get("Error", {}).get("Code") != "ResourceNotFoundException":
        return None
    found = _MISSING.search(str(error.response.get("Error", {}).get("Message") or ""))
    return found.group("group") if found else None
