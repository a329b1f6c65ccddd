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
import re
import time
from collections import Counter
from collections.abc import Callable

from botocore.exceptions import ClientError

from lambdatop.aws.insights import MAX_GROUPS_PER_QUERY, Insights, QueryResult, number
from lambdatop.core.fleetlogs import (
    API_CUT,
    API_CUT_MS,
    TROUBLE_PHRASES,
    LogTroubleScan,
    family_of,
)
from lambdatop.core.store import Store

Clock = Callable[[], float]

SCAN_EVERY_S = 15 * 60
"""How often the fleet's logs are scanned."""
SCAN_SPAN_S = 15 * 60
"""How far back each scan reads: the span since the last one, so no byte is scanned twice."""
LISTING_RETRY_S = 5.0
"""Until the functions are listed there is nothing to scan: look again shortly."""
MISSING_RECHECK_S = 3600.0
"""A log group found missing is asked for again after this long (the function may have run)."""
MISSING_RETRIES = 3
"""Missing groups left out of one query before it is asked once more as it stands."""
QUERY_RUN_S = 5.0
"""How long a 15-minute scan of 50 groups runs (an assumption for the cost model: Insights
answers such a question in seconds)."""


def _alternatives() -> str:
    """The phrases as one regular expression's alternatives, `/` escaped for Insights."""
    words = [p for phrases in TROUBLE_PHRASES.values() for p in phrases]
    return "|".join(words).replace("/", "\\/")


# Insights' regular expressions take a leading `(?i)` for case-insensitive matching and
# `(?<name>...)` for the field `parse` extracts.
TROUBLE_QUERY = (
    f"filter @message like /(?i){_alternatives()}/"
    f' or (@type = "REPORT" and @duration >= {API_CUT_MS})'
    f" | parse @message /(?i)(?<trouble>{_alternatives()})/"
    " | stats count() as lines by @log, trouble"
)
"""Lines of trouble per log group and matched words; `@duration` is the field Insights
discovers in a text-format REPORT line."""


class FleetLogPoller:
    """Every 15 minutes, the last 15 minutes of every not-opened function's logs."""

    interval_s = float(SCAN_EVERY_S)

    def __init__(
        self,
        insights: Insights,
        store: Store,
        watched: set[str],
        clock: Clock = time.time,
    ) -> None:
        self.insights = insights
        self.store = store
        self.watched = watched
        self.clock = clock
        self.missing: dict[str, float] = {}
        """Log groups AWS said do not exist, and when."""

    async def tick(self) -> float:
        if not self.store.inventory_complete:
            return LISTING_RETRY_S
        end = self.clock()
        names = sorted(set(self.store.inventory) - self.watched)
        function_of = {self.store.inventory[n].effective_log_group: n for n in names}
        # A function that never ran has no log group, and one missing group fails its whole
        # query ("ResourceNotFoundException: Log group '...' does not exist"): leave out the
        # ones known missing, looked for again after an hour.
        self.missing = {g: at for g, at in self.missing.items() if end - at < MISSING_RECHECK_S}
        groups = [g for g in sorted(function_of) if g not in self.missing]
        parts = [
            groups[i : i + MAX_GROUPS_PER_QUERY]
            for i in range(0, len(groups), MAX_GROUPS_PER_QUERY)
        ]
        answers = await asyncio.gather(
            *(self._scan(part, end) for part in parts), return_exceptions=True
        )
        failures = [a for a in answers if isinstance(a, BaseException)]
        results = [a for a in answers if isinstance(a, QueryResult)]
        if parts and not results:
            raise failures[0]  # the loop says it and retries
        if any("lines" not in row for result in results for row in result.rows):
            # Events, not the counts asked for: the backend ignored `stats`. No figure is
            # better than a "none" that was never counted.
            self.store.log_trouble = None
            return self.interval_s
        failed_groups = {
            g for part, a in zip(parts, answers, strict=True) if a in failures for g in part
        }
        counts: dict[str, Counter[str]] = {}
        for row in (row for result in results for row in result.rows):
            # `@log` is "account-id:log-group-name".
            group = row.get("@log", "").split(":", 1)[-1]
            function = function_of.get(group)
            lines = number(row.get("lines"))
            if function is None or not lines:
                continue
            hit = row.get("trouble")
            family = family_of(hit) if hit else API_CUT
            if family is not None:
                counts.setdefault(function, Counter())[family] += int(lines)
        unscanned = failed_groups | set(self.missing)
        self.store.log_trouble = LogTroubleScan(
            end_s=end,
            span_s=SCAN_SPAN_S,
            scanned=frozenset(f for g, f in function_of.items() if g not in unscanned),
            counts=counts,
            bytes_scanned=sum(r.bytes_scanned for r in results),
            capped=any(r.capped for r in results),
        )
        self.store.touch()
        return self.interval_s

    async def _scan(self, groups: list[str], end: float) -> QueryResult:
        """One query's groups; a group AWS says is missing is left out and the query asked
        again, at most a few times."""
        groups = list(groups)
        for _ in range(MISSING_RETRIES):
            try:
                return await self.insights.query(groups, TROUBLE_QUERY, end - SCAN_SPAN_S, end)
            except ClientError as error:
                missing = _missing_group(error)
                if missing is None or missing not in groups:
                    raise
                self.missing[missing] = end
                groups.remove(missing)
                if not groups:
                    return QueryResult([])
        return await self.insights.query(groups, TROUBLE_QUERY, end - SCAN_SPAN_S, end)


_MISSING = re.compile(r"Log group '(?P<group>[^']+)' does not exist")


def _missing_group(error: ClientError) -> str | None:
    """The group a ResourceNotFoundException names (`Log group 'X' does not exist for account
    ID 'N'`, as StartQuery words it), or None."""
    if error.response.get("Error", {}).get("Code") != "ResourceNotFoundException":
        return None
    found = _MISSING.search(str(error.response.get("Error", {}).get("Message") or ""))
    return found.group("group") if found else None
