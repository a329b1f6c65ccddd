"""State plane: connection pools exhausted, in one environment or across all of them together."""

from __future__ import annotations

import re
from collections import Counter
from typing import NamedTuple

from lambdatop.core import metrics as m
from lambdatop.core.classify import is_connection_limit
from lambdatop.core.pipeline import Finding
from lambdatop.core.records import ErrorFamily
from lambdatop.diagnose.checks.base import Advice, Verdict
from lambdatop.diagnose.checks.hits import Hits, hits, nothing_found
from lambdatop.diagnose.commands import Commands
from lambdatop.diagnose.evidence import Evidence
from lambdatop.diagnose.format import COPED, count, samples
from lambdatop.diagnose.model import CheckStatus, Step
from lambdatop.diagnose.thresholds import Thresholds

POOL_LINES_BY_MINUTE = (
    "fields @timestamp, @logStream, @message | filter @message like "
    "/(?i)(pool|too many (connections|clients)|connection is not available|connection slots|"
    "timeout exceeded when trying to connect)/"
    " | stats count() by bin(1m)"
)
POOL_UNREAD = "Connection pool exhausted in the window, none of it among the lines read"
# Lambda sends one request at a time to an environment: a full pool there is a leak.
RETURN_CONNECTIONS = Step(
    "Fix: one environment serves one request at a time, so a full pool means connections are "
    "not returned: close them in a finally block (or a context manager), also on errors"
)
RDS_PROXY = Step("Fix: put RDS Proxy between the functions and the database to share connections")
# A pool also times out when it cannot open a connection at all (knex's and Prisma's wait for one
# to be made): the database out of reach looks like a full pool.
CANNOT_OPEN = Step(
    "Check: a pool times out the same way when no connection can be opened: that the function's"
    " security group may reach the database's port, the database's security group lets it in,"
    " and the database is up"
)
CAP_CONCURRENCY = (
    "Fix: cap the function so every pool together fits the database: reserved concurrency"
    " ≤ max_connections ÷ {per}"
)

_POOL_SIZE = re.compile(r"size (?P<size>\d+) overflow (?P<overflow>\d+)")
# Prisma's P2024: `(Current connection pool timeout: 10, connection limit: 1)`, or, before 3.x,
# `Current limit: 1.`
_POOL_LIMIT = re.compile(r"connection limit: (?P<limit>\d+)|Current limit: (?P<current>\d+)")


class PoolFigures(NamedTuple):
    logs_read: bool
    lines: int
    """Log lines read in the window."""
    hits: Hits = Hits()
    pool_full: bool = False
    """A pool said it was exhausted (rather than only the database refusing clients)."""
    database_full: bool = False
    """The database refused new connections: too many clients."""
    signature: str = ""
    """The commonest error's words."""
    per_environment: int | None = None
    """Connections one environment's pool may open (size + overflow)."""
    environments: float | None = None
    environments_peak: bool = False
    """Environments counted by the ConcurrentExecutions peak, else by the logs' streams."""

    @property
    def connections(self) -> float | None:
        """Connections every environment's pool together may open."""
        if self.per_environment and self.environments:
            return self.per_environment * self.environments
        return None


def pool_size(signature: str) -> int | None:
    """`QueuePool limit of size 5 overflow 10` allows 15 connections per environment; Prisma's
    `connection limit: 1`, one."""
    match = _POOL_SIZE.search(signature)
    if match is not None:
        return int(match.group("size")) + int(match.group("overflow"))
    limit = _POOL_LIMIT.search(signature)
    if limit is None:
        return None
    return int(limit.group("limit") or limit.group("current"))


# Words that prove the pool held all its connections (SQLAlchemy raises only at size +
# overflow checked out): no doubt that connections could be opened.
_PROVEN_FULL = ("queuepool limit", "exhausted")


def _may_be_connecting(found: Finding) -> bool:
    """A pool's timeout that also fires while a connection is being opened (knex, Prisma,
    node-postgres, HikariCP wait for one to be made, not only for one to be returned)."""
    said = found.classification.signature.lower() if found.classification else ""
    return not any(word in said for word in _PROVEN_FULL)


def _found(ev: Evidence) -> tuple[list[Finding], list[Finding]]:
    """The pools that said they were full, and the database refusing clients."""
    database_full = [
        f
        for f in ev.family(ErrorFamily.DATABASE)
        if f.classification and is_connection_limit(f.classification)
    ]
    return ev.family(ErrorFamily.CONNECTION_POOL), database_full


def measure(ev: Evidence, limits: Thresholds) -> PoolFigures:
    pool, database_full = _found(ev)
    found = pool + database_full
    signatures = Counter(f.classification.signature for f in found if f.classification)
    # The size is in the message, not always in the signature (Prisma's follows its words).
    sizes = (pool_size(f.line.text[:2000]) for f in found)
    peak = ev.metric_peak(m.CONCURRENCY)
    streams = ev.shared.environments
    return PoolFigures(
        logs_read=ev.logs_read,
        lines=ev.lines,
        hits=hits(ev, found, ev.family_lines(ErrorFamily.CONNECTION_POOL) + len(database_full)),
        pool_full=ev.family_lines(ErrorFamily.CONNECTION_POOL) > 0,
        database_full=bool(database_full),
        signature=signatures.most_common(1)[0][0] if signatures else "",
        per_environment=next((size for size in sizes if size), None),
        environments=peak or streams or None,
        environments_peak=bool(peak),
    )


def verdict(f: PoolFigures, limits: Thresholds) -> Verdict:
    quiet = nothing_found(f.logs_read, f.lines, f.hits, "No connection-pool exhaustion in the logs")
    if quiet is not None:
        return quiet
    if f.pool_full and f.hits.read == 0:
        # Counted over the window by Logs Insights; none of them among the lines read.
        return Verdict(f.hits.status(limits), POOL_UNREAD)
    status = f.hits.status(limits)
    if not f.hits.reported and not f.hits.coped:
        # Nothing else in the export: the one thing it shows is the function getting no
        # connection, an error its request fails with.
        status = CheckStatus.FAIL
    if f.pool_full:
        return Verdict(status, f"Connection pool exhausted: {f.signature}")
    return Verdict(status, "The database refuses new connections: too many clients")


def advise(f: PoolFigures, decided: Verdict, ev: Evidence) -> Advice:
    advice = Advice(steps=[Commands(ev).insights(POOL_LINES_BY_MINUTE)])
    if decided.status is CheckStatus.UNKNOWN or not f.hits.lines:
        return advice
    advice.evidence = [f.hits.affected, *([COPED] if f.hits.coped else [])]
    seen = (
        "concurrent environments (peak)" if f.environments_peak else "environments seen in the logs"
    )
    if f.connections:
        advice.evidence.append(
            f"up to {f.per_environment} connections per environment × {f.environments:,.0f} {seen}"
            f" = up to {f.connections:,.0f} database connections"
        )
    elif f.environments:
        advice.evidence.append(f"{f.environments:,.0f} {seen}, each with its own pool")
    if f.per_environment and not f.connections:
        advice.evidence.append(f"up to {count(f.per_environment, 'connection')} per environment")
    pool, database_full = _found(ev)
    advice.evidence.extend(samples(pool + database_full))
    if f.pool_full:
        advice.steps.append(RETURN_CONNECTIONS)
    if f.connections and f.environments and (f.per_environment or 0) > 2:
        advice.steps.append(
            Step(
                f"Fix: size the pool at 1-2 connections: {f.environments:,.0f} environments then "
                f"hold at most {2 * f.environments:,.0f} connections instead of "
                f"{f.connections:,.0f}"
            )
        )
    if f.pool_full and any(_may_be_connecting(found) for found in pool):
        advice.steps.append(CANNOT_OPEN)
    advice.steps.append(RDS_PROXY)
    if f.database_full:
        per = f.per_environment or "<connections per environment>"
        advice.steps.append(Step(CAP_CONCURRENCY.format(per=per)))
    return advice
