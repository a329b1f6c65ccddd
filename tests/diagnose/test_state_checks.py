"""State plane: connection pools, databases, VPC and networking, at every status."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from _pytest.mark import ParameterSet
from expect import FAIL, OK, UNKNOWN, WARN, Case, config, has, lacks, logs_not_read, run, table
from lambdalogs import Logs, evidence, metrics, node, py, py_unhandled

from lambdatop.core.classify import classify
from lambdatop.core.records import ErrorFamily, VpcConfig
from lambdatop.diagnose.evidence import Evidence

IN_VPC = VpcConfig(
    subnet_ids=("subnet-0a1b2c3d", "subnet-0e4f5a6b"),
    security_group_ids=("sg-0123abcd",),
    vpc_id="vpc-0f00ba47",
)
ONE_SUBNET = VpcConfig(
    subnet_ids=("subnet-0a1b2c3d",), security_group_ids=("sg-1",), vpc_id="vpc-1"
)


def hit(
    *lines: str,
    invocations: int,
    total: int = 300,
    vpc: VpcConfig | None = None,
    status: str = "error",
) -> Callable[[], Evidence]:
    """`total` invocations of which `invocations` log `lines` and fail."""

    def build() -> Evidence:
        logs = Logs()
        logs.healthy(total - invocations)
        env = logs.stream()
        for _ in range(invocations):
            logs.invoke(env, app=lines, status=status, duration_ms=3_100.0)
        ev = evidence(logs)
        if vpc is not None:
            ev.config = config(vpc=vpc)
        return ev

    return build


SQLALCHEMY = py_unhandled(
    "sqlalchemy.exc.TimeoutError",
    "QueuePool limit of size 5 overflow 10 reached, connection timed out, timeout 30.00 "
    "(Background on this error at: https://sqlalche.me/e/20/3o7r)",
)
HIKARI = (
    "2026-03-02 09:15:01.220 ERROR 8 --- [main] com.zaxxer.hikari.pool.HikariPool : "
    "HikariPool-1 - Connection is not available, request timed out after 30000ms."
)
NODE_PG = node("ERROR", "Error: timeout exceeded when trying to connect")
TOO_MANY_CLIENTS = py(
    "ERROR",
    'psycopg2.OperationalError: connection to server at "orders-db.cluster-c9x2.'
    'eu-west-1.rds.amazonaws.com" (10.0.3.17), port 5432 failed: FATAL:  sorry, too many '
    "clients already",
)
MYSQL_FULL = node("ERROR", "Error: ER_CON_COUNT_ERROR: Too many connections")


def pool_with_peak() -> Evidence:
    ev = hit(SQLALCHEMY, invocations=20)()
    ev.metrics = metrics(ConcurrentExecutions=[18, 40, 33], Invocations=[100, 100, 100])
    return ev


CONNECTION_POOL = [
    pytest.param(
        Case(lambda: hit(invocations=0)(), OK, ("No connection-pool exhaustion",)),
        id="ok",
    ),
    pytest.param(
        Case(
            hit(
                py("INFO", "connection pool warmed: 2 connections"), invocations=3, status="success"
            ),
            OK,
        ),
        id="ok-pool-mentioned-in-passing",
    ),
    pytest.param(Case(logs_not_read, UNKNOWN, ("Logs not read",)), id="unknown"),
    pytest.param(
        Case(
            hit(SQLALCHEMY, invocations=1),
            WARN,
            ("Connection pool exhausted: QueuePool limit of size 5 overflow 10 reached",),
            ("1 line in 1 invocation (0.3 % of 300)",),
        ),
        id="warn-stray",
    ),
    pytest.param(
        Case(
            hit(SQLALCHEMY, invocations=12),
            FAIL,
            ("Connection pool exhausted: QueuePool limit of size 5 overflow 10 reached",),
            (
                "12 lines in 12 invocations (4.0 % of 300)",
                "up to 15 connections per environment × 5 environments seen in the logs"
                " = up to 75 database connections",
                "QueuePool limit of size 5 overflow 10 reached",
            ),
            (
                "connections are not returned",
                "size the pool at 1-2 connections: 5 environments then hold at most 10 "
                "connections instead of 75",
                "RDS Proxy",
            ),
        ),
        id="fail-sqlalchemy",
    ),
    pytest.param(
        Case(
            pool_with_peak,
            FAIL,
            ("Connection pool exhausted",),
            ("× 40 concurrent environments (peak) = up to 600 database connections",),
            ("hold at most 80 connections instead of 600",),
        ),
        id="fail-sqlalchemy-with-concurrency",
    ),
    pytest.param(
        Case(
            hit(HIKARI, invocations=8),
            FAIL,
            ("Connection pool exhausted: Connection is not available, request timed out after",),
            ("HikariPool-1",),
        ),
        id="fail-hikari",
    ),
    pytest.param(
        Case(
            hit(NODE_PG, invocations=8),
            FAIL,
            ("Connection pool exhausted: timeout exceeded when trying to connect",),
        ),
        id="fail-node-postgres",
    ),
    pytest.param(
        Case(
            hit(TOO_MANY_CLIENTS, invocations=9),
            FAIL,
            ("The database refuses new connections: too many clients",),
            ("9 lines in 9 invocations",),
            ("reserved concurrency ≤ max_connections ÷",),
        ),
        id="fail-postgres-full",
    ),
    pytest.param(
        Case(hit(MYSQL_FULL, invocations=9), FAIL, ("refuses new connections",)),
        id="fail-mysql-full",
    ),
]

RDS_TIMEOUT = (
    "[ERROR] OperationalError: could not connect to server: Connection timed out\n"
    '\tIs the server running on host "orders-db.cluster-c9x2.eu-west-1.rds.amazonaws.com" '
    "(10.0.3.17) and accepting\n\tTCP/IP connections on port 5432?\n"
    "Traceback (most recent call last):\n"
)
NODE_REFUSED = node("ERROR", "Error: connect ECONNREFUSED 10.0.3.17:5432")
MONGO = node("ERROR", "MongoServerSelectionError: connect ETIMEDOUT 10.0.1.5:27017")
MYSQL_LOST = py(
    "ERROR", "pymysql.err.OperationalError: (2013, 'Lost connection to MySQL server during query')"
)

DATABASE = [
    pytest.param(
        Case(lambda: hit(invocations=0)(), OK, ("No database connectivity errors",)), id="ok"
    ),
    pytest.param(Case(logs_not_read, UNKNOWN, ("Logs not read",)), id="unknown"),
    pytest.param(
        Case(
            hit(NODE_REFUSED, invocations=1),
            WARN,
            ("Database errors: ECONNREFUSED (10.0.3.17:5432)",),
            ("1 line in 1 invocation (0.3 % of 300)", "endpoint 10.0.3.17:5432 ×1"),
        ),
        id="warn-stray",
    ),
    pytest.param(
        Case(
            hit(RDS_TIMEOUT, invocations=10, vpc=IN_VPC),
            FAIL,
            ("Database errors:", "orders-db.cluster-c9x2.eu-west-1.rds.amazonaws.com:5432"),
            ("10 lines in 10 invocations (3.3 % of 300)", "could not connect to server"),
            (
                "--namespace AWS/RDS --metric-name DatabaseConnections "
                "--dimensions Name=DBClusterIdentifier,Value=orders-db",
                "the database could not be reached",
                "security group",
                "routes of the function's subnets",
            ),
        ),
        id="fail-rds-postgres-in-vpc",
    ),
    pytest.param(
        Case(hit(MONGO, invocations=6), FAIL, ("10.0.1.5:27017",), ("MongoServerSelectionError",)),
        id="fail-mongo",
    ),
    pytest.param(
        Case(
            hit(MYSQL_LOST, invocations=6),
            FAIL,
            ("Database errors:",),
            ("Lost connection to MySQL server",),
        ),
        id="fail-mysql-lost",
    ),
]

STS_TIMEOUT = py_unhandled(
    "botocore.exceptions.ConnectTimeoutError",
    'Connect timeout on endpoint URL: "https://sts.eu-west-1.amazonaws.com/"',
)
SQS_TIMEOUT = py(
    "ERROR",
    "Failed to send: Could not connect to the endpoint URL: "
    '"https://sqs.eu-west-1.amazonaws.com/123456789012/orders"',
)
ENI_LIMIT = (
    "[ERROR] ENILimitReachedException: Lambda was not able to create an ENI in the VPC of the "
    "Lambda function because the limit for Network Interfaces has been reached."
)
DNS = node("ERROR", "Error: getaddrinfo ENOTFOUND api.partner.example.com")
HANG_UP = node("ERROR", "Error: socket hang up")


def no_logs_no_config() -> Evidence:
    ev = logs_not_read()
    ev.config = None
    return ev


VPC = [
    pytest.param(Case(lambda: hit(invocations=0)(), OK, ("No VPC or network errors",)), id="ok"),
    pytest.param(
        Case(
            lambda: _configured(None),
            OK,
            ("No VPC or network errors (not in a VPC)",),
            ("not in a VPC",),
        ),
        id="ok-not-in-vpc",
    ),
    pytest.param(
        Case(no_logs_no_config, UNKNOWN, ("Neither logs nor configuration read",)), id="unknown"
    ),
    pytest.param(
        Case(
            lambda: _configured(ONE_SUBNET),
            WARN,
            ("one subnet", "one Availability Zone"),
            ("in VPC vpc-1: 1 subnet, 1 security group",),
            ("describe-subnets --subnet-ids subnet-0a1b2c3d", "another Availability Zone"),
        ),
        id="warn-one-subnet",
    ),
    pytest.param(
        Case(
            hit(STS_TIMEOUT, invocations=7, vpc=IN_VPC),
            FAIL,
            ("Connections to sts time out from inside the VPC: no route to the AWS endpoint",),
            ("7 failed connections to sts.eu-west-1.amazonaws.com", "in VPC vpc-0f00ba47"),
            (
                "VPC endpoint com.amazonaws.eu-west-1.sts to vpc-0f00ba47",
                "NAT gateway",
                "describe-vpc-endpoints --filters Name=vpc-id,Values=vpc-0f00ba47",
                "describe-nat-gateways",
            ),
        ),
        id="fail-aws-endpoint-timeout-in-vpc",
    ),
    pytest.param(
        Case(
            hit(SQS_TIMEOUT, invocations=4),
            FAIL,
            ("Connections to sqs time out from the function",),
            (),
            ("com.amazonaws.eu-west-1.sqs",),
        ),
        id="fail-aws-endpoint-logs-only",
    ),
    pytest.param(
        Case(
            hit(ENI_LIMIT, invocations=3, vpc=IN_VPC),
            FAIL,
            ("Lambda cannot attach to the VPC: ENILimitReachedException",),
            ("ENILimitReachedException",),
            ("quota of network interfaces", "Service Quotas"),
        ),
        id="fail-eni-limit",
    ),
    pytest.param(
        Case(hit(DNS, invocations=1), WARN, ("DNS lookups fail",), ("api.partner.example.com",)),
        id="warn-dns-stray",
    ),
    pytest.param(
        Case(hit(DNS, invocations=9), FAIL, ("DNS lookups fail",), (), ("DNS resolution",)),
        id="fail-dns",
    ),
    pytest.param(
        Case(hit(HANG_UP, invocations=9), FAIL, ("Network errors: socket hang up",)),
        id="fail-network-other",
    ),
]


def _configured(vpc: VpcConfig | None) -> Evidence:
    ev = hit(invocations=0)()
    ev.config = config(vpc=vpc)
    return ev


@pytest.mark.parametrize(
    ("check_id", "case"),
    table("connection_pool", CONNECTION_POOL) + table("database", DATABASE) + table("vpc", VPC),
)
def test_state_check(check_id: str, case: Case) -> None:
    ev = case.build()
    result = run(ev, check_id)
    assert result.status is case.status, (result.title, result.evidence)
    has([result.title], *case.title)
    has(result.evidence, *case.evidence)
    has(result.next_steps, *case.steps)


@pytest.mark.parametrize(
    ("table", "statuses"),
    [
        (CONNECTION_POOL, {OK, WARN, FAIL, UNKNOWN}),
        (DATABASE, {OK, WARN, FAIL, UNKNOWN}),
        (VPC, {OK, WARN, FAIL, UNKNOWN}),
    ],
)
def test_tables_reach_every_status(table: list[ParameterSet], statuses: set[object]) -> None:
    assert {p.values[0].status for p in table} == statuses  # type: ignore[union-attr]


def test_pool_check_does_not_advise_cutting_concurrency_to_a_trickle() -> None:
    """Five environments seen in an export are not the function's concurrency: no command
    should cap it at two."""
    result = run(hit(SQLALCHEMY, invocations=12)(), "connection_pool")
    lacks(result.commands, "put-function-concurrency")


def test_read_timeouts_to_aws_are_not_called_a_missing_route() -> None:
    slow = py(
        "ERROR",
        "botocore.exceptions.ReadTimeoutError: Read timeout on endpoint URL: "
        '"https://dynamodb.eu-west-1.amazonaws.com/"',
    )
    result = run(hit(slow, invocations=9, vpc=IN_VPC)(), "vpc")
    lacks([result.title], "no route")


def test_connect_timeout_to_dynamodb_endpoint_points_at_its_vpc_endpoint() -> None:
    """`dynamodb.` is an AWS API over HTTPS, not a database host: the fix is a VPC endpoint."""
    line = py_unhandled(
        "botocore.exceptions.ConnectTimeoutError",
        'Connect timeout on endpoint URL: "https://dynamodb.eu-west-1.amazonaws.com/"',
    )
    found = classify(line)
    assert found is not None
    assert found.family is ErrorFamily.NETWORK
    result = run(hit(line, invocations=9, vpc=IN_VPC)(), "vpc")
    assert result.status is FAIL
    has([result.title], "Connections to dynamodb time out from inside the VPC")
    has(result.next_steps, "com.amazonaws.eu-west-1.dynamodb to vpc-0f00ba47")


@pytest.mark.parametrize(
    ("check_id", "line"),
    [
        (
            "connection_pool",
            py(
                "WARNING",
                "QueuePool limit of size 5 overflow 10 reached, "
                "connection timed out, timeout 30.00; retrying",
            ),
        ),
        ("database", py("WARNING", "could not connect to server: Connection refused; retry 1/3")),
        (
            "vpc",
            py(
                "WARNING",
                'Connect timeout on endpoint URL: "https://sqs.eu-west-1.amazonaws.com/"; retrying',
            ),
        ),
    ],
)
def test_lines_the_function_coped_with_only_warn(check_id: str, line: str) -> None:
    """Logged at WARNING by invocations that then succeeded: a retry worked. The same lines in
    invocations that failed fail the check."""
    coped = run(hit(line, invocations=30, vpc=IN_VPC, status="success")(), check_id)
    assert coped.status is WARN, coped.title
    has(coped.evidence, "handled: logged below ERROR, with no level, or outside the handler")
    failed = run(hit(line, invocations=30, vpc=IN_VPC)(), check_id)
    assert failed.status is FAIL, failed.title


def test_database_advice_follows_how_it_failed() -> None:
    unreachable = run(hit(RDS_TIMEOUT, invocations=10)(), "database")
    lacks(unreachable.next_steps, "slow queries")
    auth = py(
        "ERROR",
        'connection to server at "db-1.c9x2.eu-west-1.rds.amazonaws.com" (10.0.3.17), port 5432 '
        'failed: FATAL:  password authentication failed for user "app"',
    )
    refused = run(hit(auth, invocations=10)(), "database")
    has(refused.next_steps, "was the secret rotated?")
    lacks(refused.next_steps, "could not be reached")
    has(refused.commands, "--dimensions Name=DBInstanceIdentifier,Value=db-1 ")
    slow = py(
        "ERROR", "psycopg2.errors.QueryCanceled: canceling statement due to statement timeout"
    )
    answered = run(hit(slow, invocations=10)(), "database")
    has(answered.next_steps, "slow queries hold connections")


def test_the_vpc_headline_is_the_failure_that_hurts_not_a_handled_warning() -> None:
    """A retried call's ENI error logged at WARN must not headline a report whose failures
    are connection timeouts; each kind is counted."""
    handled_eni = py(
        "WARNING",
        "downstream invoke failed, will retry: ENILimitReachedException: Lambda was not able to "
        "create an ENI in the VPC of the Lambda function because the limit for Network "
        "Interfaces has been reached.",
    )
    timeout = node(
        "ERROR",
        'Invoke Error \t{"errorType":"TimeoutError","errorMessage":"connect ETIMEDOUT '
        '10.0.3.27:443","code":"ETIMEDOUT"}',
    )
    logs = Logs()
    logs.healthy(100)
    env = logs.stream()
    for _ in range(5):
        logs.invoke(env, app=[handled_eni])
    for _ in range(20):
        logs.invoke(env, app=[timeout], status="error")
    ev = evidence(logs)
    ev.config = config(vpc=IN_VPC)
    result = run(ev, "vpc")
    assert result.status is FAIL
    lacks([result.title], "cannot attach")
    has([result.title], "ETIMEDOUT (10.0.3.27:443)")
    has(result.evidence, "ETIMEDOUT ×20", "ENILimitReachedException ×5")
    has(result.next_steps, "interface VPC endpoint")


def test_a_cache_that_cannot_be_reached_gets_cache_advice_not_rds_advice() -> None:
    redis = py(
        "ERROR",
        "redis.exceptions.ConnectionError: Error 110 connecting to "
        "sessions.abc123.ng.0001.euw1.cache.amazonaws.com:6379. Connection timed out.",
    )
    result = run(hit(redis, invocations=10)(), "database")
    assert result.status is FAIL
    has(result.commands, "--namespace AWS/ElastiCache --metric-name CurrConnections")
    lacks(result.commands, "AWS/RDS")
    has(result.next_steps, "the database could not be reached")
    lacks(result.next_steps, "slow queries")


def test_resets_by_a_third_party_api_get_keep_alive_advice() -> None:
    reset = node(
        "ERROR",
        'Invoke Error \t{"errorType":"Error","errorMessage":"read ECONNRESET",'
        '"code":"ECONNRESET","syscall":"read","host":"api.stripe.com"}',
    )
    result = run(hit(reset, invocations=20)(), "vpc")
    has([result.title], "ECONNRESET (api.stripe.com)")
    has(result.next_steps, "api.stripe.com dropped connections the function reused")


def test_errors_an_extension_logs_during_init_only_warn_when_every_invocation_succeeds() -> None:
    """An OpenTelemetry collector that cannot resolve its gateway while the environment starts:
    logged at ERROR, before any request, and every invocation then succeeds."""
    logs = Logs()
    logs.healthy(20)
    for _ in range(5):
        env = logs.stream()
        at = logs.clock_ms
        logs.emit(env, at, "INIT_START Runtime Version: python:3.12.v38\tRuntime Version ARN: x")
        logs.emit(
            env,
            at + 5,
            '{"level":"error","msg":"Exporting failed","error":"dial tcp: lookup '
            'otel-gateway.internal on 169.254.78.1:53: no such host"}',
        )
        logs.clock_ms = at + 400
        logs.invoke(env, init_ms=390.0)
    result = run(evidence(logs), "vpc")
    assert result.status is WARN, result.title
    has([result.title], "Traces or metrics not delivered")  # a collector's, not the function's


@pytest.mark.parametrize(
    ("line", "dimension"),
    [
        (
            py(
                "ERROR",
                "pymysql.err.OperationalError: (2003, \"Can't connect to MySQL server on"
                " 'db-1.c9x2abc.eu-west-1.rds.amazonaws.com' (timed out)\")",
            ),
            "Name=DBInstanceIdentifier,Value=db-1",
        ),
        (
            py(
                "ERROR",
                "pymongo.errors.ServerSelectionTimeoutError: orders.cluster-xyz.eu-west-1.docdb"
                ".amazonaws.com:27017: timed out",
            ),
            "Name=DBClusterIdentifier,Value=orders",
        ),
    ],
)
def test_database_metrics_name_the_instance_or_cluster_the_driver_named(
    line: str, dimension: str
) -> None:
    result = run(hit(line, invocations=10)(), "database")
    has(result.commands, dimension)


@pytest.mark.parametrize(
    "line",
    [
        py(
            "ERROR",
            "Failed to send segment to daemon at 169.254.79.129:2000: [Errno 111] Connection"
            " refused",
        ),
        '{"level":"error","msg":"Exporting failed. Dropping data.","error":"rpc error: code ='
        ' Unavailable desc = connection error: dial tcp 10.20.4.17:4317: i/o timeout"}',
    ],
)
def test_telemetry_that_cannot_be_delivered_is_no_vpc_failure(line: str) -> None:
    """The X-Ray daemon (link-local, run only with active tracing) or a collector out of reach
    loses traces; the function's own work goes on."""
    result = run(hit(line, invocations=30, status="success")(), "vpc")
    assert result.status is WARN
    has([result.title], "Traces or metrics not delivered")
    has(result.next_steps, "Mode=Active")
    lacks(result.next_steps, "security groups")


def test_a_database_out_of_connection_slots_gets_connection_advice_not_reachability() -> None:
    full = py_unhandled(
        "psycopg2.OperationalError",
        'connection to server at "db-1.c9x2.eu-west-1.rds.amazonaws.com" (10.0.3.17), port 5432'
        " failed: FATAL:  sorry, too many clients already",
    )
    result = run(hit(full, invocations=20)(), "database")
    assert result.status is FAIL
    has(result.next_steps, "out of connection slots", "RDS Proxy")
    lacks(result.next_steps, "could not be reached")


def test_an_eni_error_does_not_hide_an_endpoint_out_of_reach() -> None:
    sqs = py(
        "ERROR",
        'Connect timeout on endpoint URL: "https://sqs.eu-west-1.amazonaws.com/"',
    )
    logs = Logs()
    logs.healthy(100)
    env = logs.stream()
    for _ in range(5):
        logs.invoke(env, app=[ENI_LIMIT], status="error")
    for _ in range(15):
        logs.invoke(env, app=[sqs], status="error")
    ev = evidence(logs)
    ev.config = config(vpc=IN_VPC)
    result = run(ev, "vpc")
    has([result.title], "Lambda cannot attach to the VPC")
    has(result.evidence, "also: Connections to sqs time out")
    has(result.next_steps, "com.amazonaws.eu-west-1.sqs")


@pytest.mark.parametrize(
    "line",
    [
        "RequestId: {rid} Error: EFSMountConnectivityException: The function couldn't connect to"
        " the Amazon EFS file system with access point arn:aws:elasticfilesystem:eu-west-1:"
        "123456789012:access-point/fsap-0a1b2c3d.",
        "RequestId: {rid} Error: EFSIOException: An input/output error occurred",
    ],
)
def test_an_efs_file_system_out_of_reach_gets_its_own_checks(line: str) -> None:
    result = run(hit(line, invocations=10, vpc=IN_VPC)(), "vpc")
    assert result.status is FAIL
    has([result.title], "The function cannot use its EFS file system")
    has(result.commands, "aws efs describe-mount-targets", "--query FileSystemConfigs")
    has(result.next_steps, "NFS (TCP 2049)")


def test_a_lone_refused_database_connection_with_no_invocation_fails() -> None:
    """An export holding only the line that the database cannot be reached: that is the
    function failing to reach it, not a stray line."""
    logs = Logs()
    logs.emit(
        logs.stream(),
        1_772_442_900_000,
        "2026-03-02T09:15:00.120Z\t1c9e7d2a-0b3f-4f8e-a1d2-9e8f7a6b5c4d\tERROR\t"
        "Error: connect ECONNREFUSED 10.0.3.17:5432 (pg Pool, database orders)",
    )
    result = run(evidence(logs), "database")
    assert result.status is FAIL
    has([result.title], "Database errors")
