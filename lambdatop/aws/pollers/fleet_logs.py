"""The fleet's log-only trouble: what metrics cannot show (a pool exhausted, a role denied, an API
cut at 29 s, a task timed out, memory exhausted), counted for every function of the region by a
few Logs Insights queries over up to 50 log groups each, on a slow cadence that keeps the bytes
scanned, and so the bill, small: every 15 minutes over the last 15 minutes, so each byte of log
is scanned once.
"""

from __future__ import annotations

SCAN_EVERY_S = 15 * 60
"""How often the fleet's logs are scanned."""
SCAN_SPAN_S = 15 * 60
"""How far back each scan reads: the span since the last one, so no byte is scanned twice."""
GROUPS_PER_QUERY = 50
"""Logs Insights: "You can specify up to 50 log groups" a query (StartQuery, logGroupNames)."""
CONCURRENT_QUERIES = 5
"""Queries run at once: a sixth of the account's 30, which colleagues' consoles share."""
RESULT_POLLS_PER_QUERY = 3
"""GetQueryResults asked per query until it completes (an assumption: a 15-minute span over 50
groups completes in a few seconds)."""
