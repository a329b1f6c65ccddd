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

import time
from collections import Counter
from collections.abc import Callable

from lambdatop.aws.insights import Insights, number
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

    async def tick(self) -> float:
        if not self.store.inventory_complete:
            return LISTING_RETRY_S
        names = sorted(set(self.store.inventory) - self.watched)
        function_of = {self.store.inventory[n].effective_log_group: n for n in names}
        end = self.clock()
        result = await self.insights.query(
            sorted(function_of), TROUBLE_QUERY, end - SCAN_SPAN_S, end
        )
        counts: dict[str, Counter[str]] = {}
        for row in result.rows:
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
        self.store.log_trouble = LogTroubleScan(
            end_s=end,
            span_s=SCAN_SPAN_S,
            scanned=frozenset(names),
            counts=counts,
            bytes_scanned=result.bytes_scanned,
            capped=result.capped,
        )
        self.store.touch()
        return self.interval_s
