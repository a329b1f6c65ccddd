"""The state plane's verdicts, decided from hand-built figures at their thresholds: no logs."""

from __future__ import annotations

import pytest
from lambdalogs import FUNCTION, REGION

from lambdatop.core.pipeline import Finding
from lambdatop.core.records import Classification, ErrorFamily, LineKind, ParsedLine
from lambdatop.diagnose.checks import connection_pool, database, vpc
from lambdatop.diagnose.checks.base import Verdict
from lambdatop.diagnose.checks.database import Engine, Symptoms
from lambdatop.diagnose.checks.hits import Hits
from lambdatop.diagnose.checks.vpc import Kind, Unreachable
from lambdatop.diagnose.evidence import Evidence
from lambdatop.diagnose.format import COPED
from lambdatop.diagnose.model import CheckStatus
from lambdatop.diagnose.thresholds import Thresholds

OK, WARN, FAIL, UNKNOWN = CheckStatus.OK, CheckStatus.WARN, CheckStatus.FAIL, CheckStatus.UNKNOWN
LIMITS = Thresholds()
NO_LOGS = Evidence(function=FUNCTION, region=REGION, start_ms=None, end_ms=None)
"""Advice from figures alone: the evidence it would sample lines from is empty."""


# --- what every state check shares: lines, and the invocations they hurt ----------------------


@pytest.mark.parametrize(
    ("hit", "status"),
    [
        (Hits(lines=10, invocations=10, reported=1000), FAIL),  # exactly 1 % fails
        (Hits(lines=9, invocations=9, reported=1000), WARN),  # 0.9 %: a stray few warn
        (Hits(lines=11, invocations=11, reported=1000), FAIL),
        (Hits(lines=1000, invocations=1000, reported=1000, coped=True), WARN),  # coped: a risk
        # No invocation to name (lines of no request, or none completed): three lines fail.
        (Hits(lines=3, invocations=0, reported=1000), FAIL),
        (Hits(lines=2, invocations=0, reported=1000), WARN),
        (Hits(lines=3, invocations=2, reported=0), FAIL),
        (Hits(lines=2, invocations=2, reported=0), WARN),
    ],
)
def test_lines_fail_a_state_check_at_a_share_of_invocations(hit: Hits, status: CheckStatus) -> None:
    assert hit.status(LIMITS) is status


def test_the_share_that_fails_is_a_setting() -> None:
    hit = Hits(lines=30, invocations=30, reported=1000)
    assert hit.status(Thresholds(family_ratio_fail=0.03)) is FAIL
    assert hit.status(Thresholds(family_ratio_fail=0.031)) is WARN


@pytest.mark.parametrize(
    ("hit", "said"),
    [
        (Hits(lines=4, invocations=3, reported=200), "4 lines in 3 invocations (1.5 % of 200)"),
        (Hits(lines=1, invocations=1, reported=0), "1 line in 1 invocation"),
        (Hits(lines=2, invocations=0, reported=200), "2 lines"),
    ],
)
def test_the_lines_are_counted_with_the_invocations_they_hurt(hit: Hits, said: str) -> None:
    assert hit.affected == said


# --- connection_pool -----------------------------------------------------------------------


def pool(**changes: object) -> connection_pool.PoolFigures:
    base: dict[str, object] = {
        "logs_read": True,
        "lines": 5000,
        "hits": Hits(lines=40, invocations=20, reported=1000),
        "pool_full": True,
        "signature": "QueuePool limit of size 5 overflow 10 reached",
        "per_environment": 15,
        "environments": 40.0,
        "environments_peak": True,
    }
    base.update(changes)
    return connection_pool.PoolFigures(**base)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("changes", "status", "title"),
    [
        ({}, FAIL, "Connection pool exhausted: QueuePool limit of size 5 overflow 10 reached"),
        ({"logs_read": False}, UNKNOWN, "Logs not read"),
        ({"lines": 0}, UNKNOWN, "No log lines in the window"),
        ({"hits": Hits()}, OK, "No connection-pool exhaustion in the logs"),
        ({"hits": Hits(lines=9, invocations=9, reported=1000)}, WARN, "Connection pool exhausted"),
        (
            {"pool_full": False, "database_full": True},
            FAIL,
            "The database refuses new connections: too many clients",
        ),
    ],
)
def test_the_connection_pool_verdict(
    changes: dict[str, object], status: CheckStatus, title: str
) -> None:
    decided = connection_pool.verdict(pool(**changes), LIMITS)
    assert decided.status is status
    assert decided.title.startswith(title)


def test_pools_in_every_environment_are_added_up_against_the_database() -> None:
    figures = pool(database_full=True)
    advice = connection_pool.advise(figures, Verdict(FAIL, ""), NO_LOGS)
    assert advice.evidence == [
        "40 lines in 20 invocations (2.0 % of 1,000)",
        "up to 15 connections per environment × 40 concurrent environments (peak)"
        " = up to 600 database connections",
    ]
    steps = [step.text for step in advice.steps]
    assert "one environment serves one request at a time" in steps[1]
    assert "hold at most 80 connections instead of 600" in steps[2]
    assert steps[3] == connection_pool.RDS_PROXY.text
    assert steps[4].endswith("reserved concurrency ≤ max_connections ÷ 15")


def test_a_pool_of_unknown_size_still_counts_the_environments() -> None:
    figures = pool(
        per_environment=None,
        environments=3.0,
        environments_peak=False,
        hits=Hits(lines=2, invocations=2, reported=10, coped=True),
        pool_full=False,
        database_full=True,
    )
    advice = connection_pool.advise(figures, Verdict(WARN, ""), NO_LOGS)
    assert advice.evidence[1:] == [COPED, "3 environments seen in the logs, each with its own pool"]
    steps = [step.text for step in advice.steps]
    assert not any("finally block" in step or "1-2 connections" in step for step in steps)
    assert steps[-1].endswith("÷ <connections per environment>")


def test_no_pool_trouble_advises_only_the_search() -> None:
    for decided in (Verdict(UNKNOWN, "Logs not read"), Verdict(OK, "")):
        advice = connection_pool.advise(pool(hits=Hits()), decided, NO_LOGS)
        assert advice.evidence == []
        assert len(advice.steps) == 1
        assert "aws logs start-query" in advice.steps[0].text


# --- database --------------------------------------------------------------------------------

PG = "orders-db.cluster-c9x2.eu-west-1.rds.amazonaws.com:5432"
UNREACHED = f"Database errors: could not connect to server ({PG})"


def db(**changes: object) -> database.DatabaseFigures:
    base: dict[str, object] = {
        "logs_read": True,
        "lines": 5000,
        "hits": Hits(lines=12, invocations=12, reported=1000),
        "signatures": (("could not connect to server", 10), ("timed out", 2)),
        "endpoint": PG,
        "endpoints": ((PG, 12),),
        "symptoms": Symptoms(unreachable=True),
    }
    base.update(changes)
    return database.DatabaseFigures(**base)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("changes", "status", "title"),
    [
        ({}, FAIL, UNREACHED),
        ({"endpoint": None}, FAIL, "Database errors: could not connect to server"),
        ({"hits": Hits(lines=9, invocations=9, reported=1000)}, WARN, UNREACHED),
        ({"hits": Hits(lines=10, invocations=10, reported=1000)}, FAIL, UNREACHED),
        ({"hits": Hits()}, OK, "No database connectivity errors in the logs"),
        ({"logs_read": False}, UNKNOWN, "Logs not read"),
        ({"lines": 0}, UNKNOWN, "No log lines in the window"),
    ],
)
def test_the_database_verdict(changes: dict[str, object], status: CheckStatus, title: str) -> None:
    decided = database.verdict(db(**changes), LIMITS)
    assert decided.status is status
    assert decided.title == title


def database_lines(*lines: tuple[str, str | None]) -> Evidence:
    """Evidence of database error lines: (the words that gave each away, its endpoint)."""
    found = [
        Finding(
            1_772_442_900_000 + i,
            "2026/03/02/[$LATEST]abc",
            f"r-{i}",
            ParsedLine(
                LineKind.APP,
                f"ERROR {signature}",
                classification=Classification(ErrorFamily.DATABASE, signature, endpoint=endpoint),
            ),
        )
        for i, (signature, endpoint) in enumerate(lines)
    ]
    return Evidence(
        function=FUNCTION,
        region=REGION,
        start_ms=None,
        end_ms=None,
        findings={ErrorFamily.DATABASE: found},
        lines=100,
    )


FULL = ("sorry, too many clients already", PG)
UNREACHABLE = ("could not connect to server: Connection refused", PG)
CREDENTIALS = ("password authentication failed for user", PG)


@pytest.mark.parametrize(
    ("lines", "symptoms"),
    [
        ((FULL,), Symptoms(out_of_slots=True)),
        # Half the lines "too many clients": full, and the rest say what else is wrong.
        ((FULL, UNREACHABLE), Symptoms(out_of_slots=True, unreachable=True)),
        ((FULL, UNREACHABLE, CREDENTIALS), Symptoms(unreachable=True, credentials=True)),
        ((UNREACHABLE,), Symptoms(unreachable=True)),
        # When the database is not mostly full, the full lines' own words count too.
        (
            (("Too many connections during query", PG), CREDENTIALS, CREDENTIALS),
            Symptoms(credentials=True, slow=True),
        ),
        ((("canceling statement due to statement timeout", PG),), Symptoms(slow=True)),
    ],
)
def test_how_the_database_failed_is_read_from_the_drivers_words(
    lines: tuple[tuple[str, str | None], ...], symptoms: Symptoms
) -> None:
    assert database.measure(database_lines(*lines), LIMITS).symptoms == symptoms


@pytest.mark.parametrize(
    ("signature", "endpoint", "engine"),
    [
        ("redis.exceptions.ConnectionError", None, Engine.REDIS),
        ("Connection refused", "orders.abc.0001.euw1.cache.amazonaws.com", Engine.REDIS),
        ("Connection refused", "10.0.3.7:6379", Engine.REDIS),
        ("MongoServerSelectionError", None, Engine.MONGO),
        ("Connection refused", "docs.cluster-abc.eu-west-1.docdb.amazonaws.com", Engine.MONGO),
        ("Connection refused", "cluster0.abc.mongodb.net", Engine.MONGO),
        ("Connection refused", "10.0.3.7:27017", Engine.MONGO),
        ("Connection refused", "10.0.3.7:5432", Engine.SQL),
        ("Connection refused", None, Engine.SQL),
    ],
)
def test_the_kind_of_database_is_told_by_its_words_name_or_port(
    signature: str, endpoint: str | None, engine: Engine
) -> None:
    figures = database.measure(database_lines((signature, endpoint)), LIMITS)
    assert figures.engine is engine


def _fixes(symptoms: Symptoms, engine: Engine = Engine.SQL, in_vpc: bool = False) -> list[str]:
    return [step.text for step in database.fixes(symptoms, engine, in_vpc)]


def test_a_full_database_is_not_advised_as_unreachable_or_slow() -> None:
    assert _fixes(Symptoms(out_of_slots=True)) == [database.OUT_OF_SLOTS.text]
    assert _fixes(Symptoms(out_of_slots=True, slow=True)) == [
        database.OUT_OF_SLOTS.text,
        database.SLOW_QUERIES.text,
    ]


def test_a_database_out_of_reach_is_a_route_only_from_inside_a_vpc() -> None:
    outside = _fixes(Symptoms(unreachable=True))
    inside = _fixes(Symptoms(unreachable=True), in_vpc=True)
    assert outside == [database.UNREACHABLE]
    assert inside == [database.UNREACHABLE + database.UNREACHABLE_IN_VPC]


def test_refused_credentials_point_at_the_secret_not_at_slow_queries() -> None:
    assert _fixes(Symptoms(credentials=True)) == [database.CREDENTIALS.text]
    assert _fixes(Symptoms(unreachable=True, credentials=True)) == [
        database.UNREACHABLE,
        database.CREDENTIALS.text,
    ]


def test_sql_errors_of_no_known_kind_are_slow_queries() -> None:
    assert _fixes(Symptoms()) == [database.SLOW_QUERIES.text]


@pytest.mark.parametrize("engine", [Engine.REDIS, Engine.MONGO])
def test_a_cache_or_document_store_has_no_slow_queries_to_blame(engine: Engine) -> None:
    assert _fixes(Symptoms(slow=True), engine) == [database.UNREACHABLE]
    assert _fixes(Symptoms(credentials=True), engine) == [database.CREDENTIALS.text]


@pytest.mark.parametrize(
    ("engine", "endpoint", "metrics"),
    [
        (Engine.SQL, PG, ["--namespace AWS/RDS", "DBClusterIdentifier,Value=orders-db"]),
        (Engine.REDIS, "cache-1.abc.cache.amazonaws.com:6379", ["AWS/ElastiCache"]),
        (Engine.MONGO, "docs.cluster-abc.eu-west-1.docdb.amazonaws.com", ["AWS/DocDB"]),
        (Engine.MONGO, "cluster0.abc.mongodb.net:27017", []),
    ],
)
def test_the_database_s_own_metrics_are_asked_of_its_service(
    engine: Engine, endpoint: str, metrics: list[str]
) -> None:
    figures = db(engine=engine, endpoint=endpoint, endpoints=((endpoint, 12),))
    advice = database.advise(figures, Verdict(FAIL, ""), NO_LOGS)
    asked = [step.text for step in advice.steps if "get-metric-statistics" in step.text]
    assert len(asked) == (2 if metrics else 0)
    for words in metrics:
        assert all(words in step for step in asked), (words, asked)
    assert advice.evidence[:4] == [
        "12 lines in 12 invocations (1.2 % of 1,000)",
        "could not connect to server ×10",
        "timed out ×2",
        f"endpoint {endpoint} ×12",
    ]


# --- vpc -------------------------------------------------------------------------------------

STS = Unreachable(
    service="sts", host="sts.eu-west-1.amazonaws.com", connections=4, region="eu-west-1"
)
FEW = Hits(lines=4, invocations=4, reported=1000)  # 0.4 %: under the share that fails
SOME = Hits(lines=10, invocations=10, reported=1000)  # exactly the share that fails


def network(**changes: object) -> vpc.VpcFigures:
    base: dict[str, object] = {
        "logs_read": True,
        "lines": 5000,
        "config_read": True,
        "in_vpc": True,
        "vpc_id": "vpc-0f00ba47",
        "subnets": ("subnet-0a1b2c3d", "subnet-0e4f5a6b"),
        "security_groups": 1,
    }
    base.update(changes)
    return vpc.VpcFigures(**base)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("changes", "status", "title"),
    [
        ({}, OK, "No VPC or network errors"),
        ({"in_vpc": False, "subnets": ()}, OK, "No VPC or network errors (not in a VPC)"),
        ({"subnets": ("subnet-0a1b2c3d",)}, WARN, vpc.ONE_SUBNET),
        ({"telemetry": 3}, WARN, vpc.TELEMETRY_LOST),
        ({"config_read": False, "in_vpc": None}, OK, "No VPC or network errors"),
        (
            {"config_read": False, "in_vpc": None, "logs_read": False},
            UNKNOWN,
            "Neither logs nor configuration read",
        ),
        (
            {"config_read": False, "in_vpc": None, "lines": 0},
            UNKNOWN,
            "No log lines in the window, configuration not read",
        ),
        # Configuration alone answers without logs: one subnet is a risk either way.
        ({"logs_read": False, "subnets": ("subnet-0a1b2c3d",)}, WARN, vpc.ONE_SUBNET),
    ],
)
def test_the_vpc_verdict_without_network_errors(
    changes: dict[str, object], status: CheckStatus, title: str
) -> None:
    decided = vpc.verdict(network(**changes), LIMITS)
    assert decided.status is status
    assert decided.title == title


@pytest.mark.parametrize(
    ("changes", "status"),
    [
        # An ENI that cannot be attached fails however few invocations it hit ...
        ({"lead": Kind.ENI, "hits": FEW}, FAIL),
        # ... unless the function coped with every line (a retried call at WARN).
        (
            {"lead": Kind.ENI, "hits": Hits(lines=40, invocations=40, reported=100, coped=True)},
            WARN,
        ),
        # An AWS endpoint out of reach from inside a VPC (or where unknown) is a missing route.
        ({"lead": Kind.UNREACHABLE, "hits": FEW}, FAIL),
        ({"lead": Kind.UNREACHABLE, "hits": FEW, "in_vpc": None}, FAIL),
        ({"lead": Kind.UNREACHABLE, "hits": Hits(lines=4, reported=9, coped=True)}, WARN),
        # Outside a VPC there is no route to miss: the share of invocations decides.
        ({"lead": Kind.UNREACHABLE, "hits": FEW, "in_vpc": False}, WARN),
        ({"lead": Kind.UNREACHABLE, "hits": SOME, "in_vpc": False}, FAIL),
        ({"lead": Kind.EFS, "hits": FEW}, WARN),
        ({"lead": Kind.EFS, "hits": SOME}, FAIL),
        ({"lead": Kind.DNS, "hits": FEW}, WARN),
        ({"lead": Kind.DNS, "hits": SOME}, FAIL),
        ({"lead": Kind.OTHER, "hits": FEW}, WARN),
        ({"lead": Kind.OTHER, "hits": SOME}, FAIL),
    ],
)
def test_the_vpc_verdict_by_the_kind_of_failure_that_leads(
    changes: dict[str, object], status: CheckStatus
) -> None:
    figures = network(signature="ENI limit reached", unreachable=STS, **changes)
    assert vpc.verdict(figures, LIMITS).status is status


@pytest.mark.parametrize(
    ("changes", "title"),
    [
        ({"lead": Kind.ENI}, "Lambda cannot attach to the VPC: EC2ThrottledException"),
        ({"lead": Kind.EFS}, "The function cannot use its EFS file system: EC2ThrottledException"),
        (
            {"lead": Kind.UNREACHABLE},
            "Connections to sts time out from inside the VPC: no route to the AWS endpoint",
        ),
        (
            {"lead": Kind.UNREACHABLE, "in_vpc": None},
            "Connections to sts time out from the function: no route to the AWS endpoint",
        ),
        ({"lead": Kind.DNS}, "DNS lookups fail"),
        ({"lead": Kind.OTHER}, "Network errors: EC2ThrottledException"),
        (
            {"lead": Kind.OTHER, "endpoint": "10.0.3.7:443", "endpoints": 1},
            "Network errors: EC2ThrottledException (10.0.3.7:443)",
        ),
        (
            {"lead": Kind.OTHER, "endpoint": "10.0.3.7:443", "endpoints": 2},
            "Network errors: EC2ThrottledException (10.0.3.7:443, and others)",
        ),
    ],
)
def test_the_vpc_title_names_the_failure(changes: dict[str, object], title: str) -> None:
    figures = network(signature="EC2ThrottledException", unreachable=STS, hits=SOME, **changes)
    assert vpc.verdict(figures, LIMITS).title == title


def test_an_endpoint_out_of_reach_beside_an_eni_failure_is_said_and_fixed_too() -> None:
    figures = network(lead=Kind.ENI, hits=SOME, signature="ENI", unreachable=STS)
    advice = vpc.advise(figures, vpc.verdict(figures, LIMITS), NO_LOGS)
    assert advice.evidence[:3] == [
        "10 lines in 10 invocations (1.0 % of 1,000)",
        "also: Connections to sts time out from inside the VPC: no route to the AWS endpoint",
        "in VPC vpc-0f00ba47: 2 subnets, 1 security group",
    ]
    assert [step.text for step in advice.steps[-2:]] == [
        vpc.ATTACH_FIX.text,
        "Fix: add a VPC endpoint com.amazonaws.eu-west-1.sts to vpc-0f00ba47, or route the"
        " function's subnets through a NAT gateway" + vpc.NO_PUBLIC_IP,
    ]
    coped = network(
        lead=Kind.ENI,
        hits=SOME,
        signature="ENI",
        unreachable=Unreachable("sts", "sts", 1, "eu-west-1", hurts=False),
    )
    advice = vpc.advise(coped, vpc.verdict(coped, LIMITS), NO_LOGS)
    assert not any(line.startswith("also:") for line in advice.evidence)
    assert advice.steps[-1] == vpc.ATTACH_FIX


def test_a_host_that_resets_or_refuses_connections_gets_its_own_advice() -> None:
    both = network(lead=Kind.OTHER, hits=SOME, endpoint="10.0.3.7:443", resets=True, connects=True)
    steps = [step.text for step in vpc.advise(both, vpc.verdict(both, LIMITS), NO_LOGS).steps]
    assert steps[-2].startswith("Fix: 10.0.3.7:443 dropped connections the function reused")
    assert steps[-1].startswith("Check: security groups and network ACLs let the function reach")
    unnamed = network(lead=Kind.OTHER, hits=SOME, resets=True)
    steps = [step.text for step in vpc.advise(unnamed, vpc.verdict(unnamed, LIMITS), NO_LOGS).steps]
    assert steps[-1].startswith("Fix: the server dropped connections")


def test_lines_the_function_coped_with_say_so_before_the_lead_s_own_evidence() -> None:
    figures = network(
        lead=Kind.UNREACHABLE,
        in_vpc=False,
        subnets=(),
        hits=Hits(lines=4, invocations=4, reported=9, coped=True),
        unreachable=STS,
        signatures=(("connect timed out", 3), ("unable to execute HTTP request", 1)),
    )
    advice = vpc.advise(figures, vpc.verdict(figures, LIMITS), NO_LOGS)
    assert advice.evidence == [
        "4 lines in 4 invocations (44 % of 9)",
        "not in a VPC",
        "connect timed out ×3",
        "unable to execute HTTP request ×1",
        COPED,
        "4 failed connections to sts.eu-west-1.amazonaws.com",
    ]
