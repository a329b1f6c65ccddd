"""State plane: the database could not be reached, refused the function, or answered too slowly."""

from __future__ import annotations

from collections import Counter
from enum import Enum
from typing import NamedTuple

from lambdatop.core.classify import is_connection_limit
from lambdatop.core.pipeline import Finding
from lambdatop.core.records import ErrorFamily
from lambdatop.diagnose.checks.base import Advice, Verdict
from lambdatop.diagnose.checks.hits import Hits, hits, nothing_found
from lambdatop.diagnose.commands import Commands
from lambdatop.diagnose.evidence import Evidence
from lambdatop.diagnose.format import COPED, samples
from lambdatop.diagnose.model import CheckStatus, Step
from lambdatop.diagnose.thresholds import Thresholds

DATABASE_UNREAD = "Database errors in the window, none among the lines read"
DATABASE_LINES_BY_MINUTE = (
    "fields @timestamp, @message | filter @message like "
    "/(?i)(could not connect|connection refused|timed out|too many|lost connection|"
    "econnrefused|etimedout|econnreset|communications link failure|"
    "server closed the connection|authentication failed|no such host|connection slots|"
    "serverselection|statement timeout|deadlock)/ | stats count() by bin(1m)"
)
OUT_OF_SLOTS = Step(
    "Fix: the database is out of connection slots: every environment's pool together is too"
    " many; put RDS Proxy in front, shrink each pool (1-2 connections per environment), or cap"
    " the function's reserved concurrency"
)
UNREACHABLE = (
    "Fix: the database could not be reached: check that it is up (a failover refuses "
    "connections for 30-60 s), that the function's security group may reach its "
    "port and the database's security group lets it in"
)
UNREACHABLE_IN_VPC = ", and the routes of the function's subnets"
# RDS Proxy "will buffer any new connections for a time limit that you specify called the
# Connection borrow timeout" (default 2 minutes) once its share of max_connections is in use.
PROXY_BORROW = Step(
    "Fix: RDS Proxy waited its connection borrow timeout for a connection to the database: is"
    " each target AVAILABLE (describe-db-proxy-targets), is the database up and not failing"
    " over, and is the proxy's MaxConnectionsPercent of max_connections in use"
)
CREDENTIALS = Step(
    "Fix: the database refused the credentials: was the secret rotated? Check the secret the"
    " function reads (and any copy cached across invocations) and the user's grants"
)
SLOW_QUERIES = Step(
    "Fix: slow queries hold connections: add the missing index, or a statement timeout shorter"
    " than the function's timeout"
)
_UNREACHABLE_WORDS = (
    "could not connect",
    "can't connect",
    "cannot connect",
    "unable to connect",
    "connect timeout",
    "timed out",
    "refused",
    "unreachable",
    "etimedout",
    "no route",
    "communications link failure",
    "server has gone away",
    "could not translate host",
    # The drivers' words for no server reached in time: Mongo's selection, its network errors.
    "serverselection",
    "mongonetwork",
    "can't reach database server",
    "connection terminated due to connection timeout",
)
# A host no configuration meant: a connection string built from a variable that is not set
# (`undefined:27017`, `None:5432`), or the function's own sandbox, where no database listens.
_UNSET_HOSTS = frozenset({"undefined", "null", "none", "nil", "localhost", "127.0.0.1", "::1"})
UNSET_HOST = (
    "Fix: the driver connects to {host}, where nothing listens in Lambda (unless an extension"
    " does): its host comes from an environment variable the function does not set, or one"
    " meant for a local database; set it to the database's endpoint"
)
_PROXY_WORDS = ("timed-out waiting to acquire database connection",)
_CREDENTIALS_WORDS = ("password", "authentication", "access denied for user", "login failed")
_SLOW_WORDS = ("statement timeout", "deadlock", "lock wait", "canceling statement", "query")
_CACHE_METRICS = ("CurrConnections", "EngineCPUUtilization")
_SQL_METRICS = ("DatabaseConnections", "CPUUtilization")


class Engine(Enum):
    """Which kind of database failed, for the metrics and the advice."""

    SQL = "sql"
    REDIS = "redis"
    MONGO = "mongo"


class Symptoms(NamedTuple):
    """How the database failed, by the drivers' words: it may fail several ways at once."""

    out_of_slots: bool = False
    """Most lines are the database's "too many clients": it is reached, and full."""
    unreachable: bool = False
    credentials: bool = False
    slow: bool = False
    """Words of slow queries (a statement timeout, a deadlock)."""
    proxy: bool = False
    """RDS Proxy gave no database connection in time."""


class DatabaseFigures(NamedTuple):
    logs_read: bool
    lines: int
    hits: Hits = Hits()
    signatures: tuple[tuple[str, int], ...] = ()
    """The three commonest errors' words and their lines, the commonest first."""
    endpoint: str | None = None
    """The endpoint the errors name most."""
    endpoints: tuple[tuple[str, int], ...] = ()
    """Of the two commonest endpoint values, those named, with their lines."""
    engine: Engine = Engine.SQL
    symptoms: Symptoms = Symptoms()
    in_vpc: bool = False


def measure(ev: Evidence, limits: Thresholds) -> DatabaseFigures:
    found = ev.family(ErrorFamily.DATABASE)
    endpoints = Counter(f.classification.endpoint or "" for f in found if f.classification)
    signatures = Counter(f.classification.signature for f in found if f.classification)
    endpoint = next((e for e, _ in endpoints.most_common() if e), None)
    engine = _engine(found, endpoint)
    return DatabaseFigures(
        logs_read=ev.logs_read,
        lines=ev.lines,
        hits=hits(ev, found, ev.family_lines(ErrorFamily.DATABASE)),
        signatures=tuple(signatures.most_common(3)),
        endpoint=endpoint,
        endpoints=tuple((e, n) for e, n in endpoints.most_common(2) if e),
        engine=engine,
        symptoms=_symptoms(found),
        in_vpc=ev.config is not None and ev.config.in_vpc,
    )


def verdict(f: DatabaseFigures, limits: Thresholds) -> Verdict:
    quiet = nothing_found(
        f.logs_read, f.lines, f.hits, "No database connectivity errors in the logs"
    )
    if quiet is not None:
        return quiet
    if not f.signatures:
        # Counted over the window by Logs Insights; none of them among the lines read.
        return Verdict(f.hits.status(limits), DATABASE_UNREAD)
    where = f" ({f.endpoint})" if f.endpoint else ""
    status = f.hits.status(limits)
    if (
        not f.hits.reported
        and not f.hits.coped
        and (f.symptoms.unreachable or f.symptoms.out_of_slots or f.symptoms.proxy)
    ):
        # Nothing else in the export: the one thing it shows is the function failing to
        # reach its database.
        status = CheckStatus.FAIL
    return Verdict(status, f"Database errors: {f.signatures[0][0]}{where}")


def advise(f: DatabaseFigures, decided: Verdict, ev: Evidence) -> Advice:
    cmd = Commands(ev)
    query = DATABASE_LINES_BY_MINUTE
    if f.symptoms.proxy:
        # RDS Proxy spells it `Timed-out`.
        query = query.replace("|too many|", "|timed-out waiting|too many|")
    advice = Advice(steps=[cmd.insights(query)])
    if decided.status is CheckStatus.UNKNOWN or not f.hits.lines:
        return advice
    advice.evidence = [
        f.hits.affected,
        *([COPED] if f.hits.coped else []),
        *(f"{signature} ×{n}" for signature, n in f.signatures),
        *(f"endpoint {endpoint} ×{n}" for endpoint, n in f.endpoints),
        *samples(ev.family(ErrorFamily.DATABASE)),
    ]
    if f.engine is Engine.REDIS:
        dimension = "Name=CacheClusterId,Value=<cache-cluster-id>"
        advice.steps.extend(
            cmd.metric(metric, ["Maximum"], namespace="AWS/ElastiCache", dimension=dimension)
            for metric in _CACHE_METRICS
        )
    elif f.engine is Engine.SQL or "docdb" in (f.endpoint or ""):
        namespace = "AWS/DocDB" if f.engine is Engine.MONGO else "AWS/RDS"
        dimension = _rds_dimension(f.endpoint)
        advice.steps.extend(
            cmd.metric(metric, ["Maximum"], namespace=namespace, dimension=dimension)
            for metric in _SQL_METRICS
        )
    if f.symptoms.proxy:
        advice.steps.append(
            Step(
                "aws rds describe-db-proxy-targets --db-proxy-name '<db-proxy>'"
                + cmd.region_option(),
                command=True,
            )
        )
    unset = _unset_host(f.endpoint)
    if unset is not None:
        # The names only: the values may be secrets, and a name missing is what to see.
        advice.steps.append(cmd.function_config("keys(Environment.Variables)"))
        advice.steps.append(Step(UNSET_HOST.format(host=unset)))
    advice.steps.extend(fixes(f.symptoms, f.engine, f.in_vpc))
    return advice


def _unset_host(endpoint: str | None) -> str | None:
    """The endpoint, when its host is one no deployed database has (`undefined:27017`)."""
    if not endpoint:
        return None
    host = endpoint.rsplit(":", 1)[0] if endpoint.count(":") == 1 else endpoint
    return endpoint if host.strip("[]").lower() in _UNSET_HOSTS else None


def fixes(symptoms: Symptoms, engine: Engine, in_vpc: bool) -> list[Step]:
    """What to do depends on how the database failed: it is full, it could not be reached, it
    refused the credentials, or it answered too slowly."""
    sql = engine is Engine.SQL
    found: list[Step] = []
    if symptoms.out_of_slots:
        found.append(OUT_OF_SLOTS)
    if symptoms.proxy:
        found.append(PROXY_BORROW)
    # A cache or document store has no slow queries to blame: its errors are reaching it.
    if symptoms.unreachable or (not sql and not symptoms.credentials):
        found.append(Step(UNREACHABLE + (UNREACHABLE_IN_VPC if in_vpc else "")))
    if symptoms.credentials:
        found.append(CREDENTIALS)
    if sql and (not found or symptoms.slow) and not symptoms.proxy:
        found.append(SLOW_QUERIES)
    return found


def _symptoms(found: list[Finding]) -> Symptoms:
    full = [f for f in found if f.classification and is_connection_limit(f.classification)]
    out_of_slots = bool(full) and 2 * len(full) >= len(found)
    # Mostly "too many clients": the database is reached and full; the other lines' words say
    # whether it also fails another way.
    words = " ".join(
        f.classification.signature.lower()
        for f in found
        if f.classification and not (out_of_slots and f in full)
    )
    return Symptoms(
        out_of_slots=out_of_slots,
        unreachable=any(word in words for word in _UNREACHABLE_WORDS),
        credentials=any(word in words for word in _CREDENTIALS_WORDS),
        slow=any(word in words for word in _SLOW_WORDS),
        proxy=any(word in words for word in _PROXY_WORDS),
    )


def _engine(found: list[Finding], endpoint: str | None) -> Engine:
    """`redis`, `mongo` or `sql`, by the drivers' words and the endpoint's name and port."""
    text = " ".join(f.classification.signature.lower() for f in found if f.classification)
    host = (endpoint or "").lower()
    if "redis" in text or "cache.amazonaws.com" in host or host.endswith(":6379"):
        return Engine.REDIS
    if "mongo" in text or "docdb" in host or "mongodb.net" in host or host.endswith(":27017"):
        return Engine.MONGO
    return Engine.SQL


def _rds_dimension(endpoint: str | None) -> str:
    """The CloudWatch dimension of the RDS instance or Aurora (or DocumentDB) cluster an
    endpoint names, with or without its port:
    `db-1.abc.eu-west-1.rds.amazonaws.com` is instance db-1; `orders.cluster-abc...` and
    `orders.cluster-ro-abc...` are cluster orders."""
    host = (endpoint or "").rsplit(":", 1)[0] if (endpoint or "").count(":") == 1 else endpoint
    if not host or not host.endswith((".rds.amazonaws.com", ".docdb.amazonaws.com")):
        return "Name=DBInstanceIdentifier,Value=<db-instance>"
    name, rest = host.split(".", 1)
    if rest.startswith(("cluster-", "cluster-ro-", "cluster-custom-")):
        return f"Name=DBClusterIdentifier,Value={name}"
    return f"Name=DBInstanceIdentifier,Value={name}"
