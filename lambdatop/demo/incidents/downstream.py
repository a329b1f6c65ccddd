"""Incidents downstream of the function: a database, an IAM policy, the VPC's network."""

from __future__ import annotations

import random

from lambdatop.demo.incidents.base import (
    AppLine,
    Call,
    EnvironmentState,
    Failure,
    FailureKind,
    Incident,
    InitOutcome,
    Level,
    Outcome,
    Request,
    memory_used,
)
from lambdatop.demo.incidents.helpers import python_frames, short_id
from lambdatop.demo.scenarios import ACCOUNT_ID
from lambdatop.demo.timeline import Moment

DB_HOST = "payments-db.cluster-c7xk2m9pq4ds.us-east-1.rds.amazonaws.com"
DB_IP = "10.20.11.87"
_DB_URL = f"postgresql://{DB_HOST}:5432/payments"


class PoolExhaustion(Incident):
    """payment-processor (guide case study 2): a traffic spike, a pool of 5 + 10 overflow per
    environment against a Postgres near max_connections, 25 s queries and 30 s timeouts."""

    calm_rate = 0.4
    peak_rate = 2.0

    def init(self, moment: Moment, rng: random.Random, state: EnvironmentState) -> InitOutcome:
        return InitOutcome(
            duration_ms=rng.uniform(650.0, 1100.0),
            memory_mb=rng.randint(96, 110),
            lines=[
                AppLine(
                    300.0,
                    Level.INFO,
                    "sqlalchemy engine created: pool_size=5 max_overflow=10 pool_timeout=10",
                ),
            ],
        )

    def invoke(
        self, moment: Moment, rng: random.Random, state: EnvironmentState, request: Request
    ) -> Outcome:
        order = short_id(rng, "ord_")
        amount = f"{rng.uniform(9.0, 480.0):.2f}"
        lines = [
            AppLine(
                1.0, Level.INFO, f"charge started order_id={order} amount={amount} currency=USD"
            )
        ]
        memory = memory_used(state, rng, rng.uniform(10.0, 30.0), self.scenario.memory_mb)
        trouble = moment.intensity**1.5 * 0.75
        if rng.random() >= trouble:
            return self._healthy(moment, rng, lines, memory, order)
        roll = rng.random()
        if roll < 0.40:
            return self._timed_out(rng, lines, memory)
        if roll < 0.65:
            return self._pool_timeout(rng, lines, memory)
        if roll < 0.85:
            return self._too_many_clients(rng, lines, memory)
        return self._cannot_connect(rng, lines, memory)

    def _healthy(
        self, moment: Moment, rng: random.Random, lines: list[AppLine], memory: int, order: str
    ) -> Outcome:
        stripe_ms = rng.uniform(180.0, 520.0)
        # Under load even the successes wait on the database
        query_ms = rng.uniform(15.0, 80.0) + moment.intensity * rng.uniform(0.0, 9000.0)
        duration = stripe_ms + query_ms + rng.uniform(10.0, 40.0)
        lines.append(
            AppLine(
                stripe_ms,
                Level.INFO,
                f"stripe charge ch_{order[4:]} succeeded in {stripe_ms:.0f} ms",
            )
        )
        if query_ms > 2000:
            lines.append(
                AppLine(
                    stripe_ms + query_ms,
                    Level.WARN,
                    f"slow query: INSERT INTO ledger_entries ... took {query_ms / 1000.0:.2f} s",
                )
            )
        lines.append(AppLine(duration - 1.0, Level.INFO, f"charge committed order_id={order}"))
        return Outcome(
            duration_ms=duration,
            max_memory_mb=memory,
            lines=lines,
            calls=[
                Call("api.stripe.com", 3.0, stripe_ms, http_status=200),
                Call("payments-db", stripe_ms + 5.0, query_ms, sql_url=_DB_URL),
            ],
        )

    def _timed_out(self, rng: random.Random, lines: list[AppLine], memory: int) -> Outcome:
        duration = self.scenario.timeout_s * 1000.0 + rng.uniform(4.0, 45.0)
        waiting = rng.randint(12, 60)
        lines.append(
            AppLine(
                rng.uniform(200.0, 900.0),
                Level.WARN,
                f"db pool busy: size=5 checked_out=15 overflow=10/10 waiting={waiting}",
            )
        )
        query_start = rng.uniform(3000.0, 5000.0)
        lines.append(
            AppLine(
                query_start,
                Level.INFO,
                "UPDATE accounts SET balance = balance - %s WHERE id = %s FOR UPDATE",
            )
        )
        return Outcome(
            duration_ms=duration,
            max_memory_mb=memory,
            lines=lines,
            failure=Failure(FailureKind.TIMEOUT, "Sandbox.Timedout", "Task timed out"),
            calls=[
                Call("api.stripe.com", 3.0, rng.uniform(180.0, 400.0), http_status=200),
                # The 25 s query that runs into the function's 30 s timeout
                Call(
                    "payments-db",
                    query_start,
                    rng.uniform(25000.0, 26500.0),
                    sql_url=_DB_URL,
                    fault=True,
                ),
            ],
        )

    def _pool_timeout(self, rng: random.Random, lines: list[AppLine], memory: int) -> Outcome:
        # pool_timeout=10 so the app, not Lambda's 30 s limit, reports the exhausted pool
        duration = 10000.0 + rng.uniform(60.0, 400.0)
        message = (
            "QueuePool limit of size 5 overflow 10 reached, connection timed out, timeout 10.00 "
            "(Background on this error at: https://sqlalche.me/e/20/3o7r)"
        )
        return Outcome(
            duration_ms=duration,
            max_memory_mb=memory,
            lines=lines,
            failure=Failure(
                FailureKind.UNHANDLED,
                "TimeoutError",
                message,
                python_frames(
                    (
                        "/var/task/payments/handler.py",
                        58,
                        "process",
                        "with db.session() as session:",
                    ),
                    ("/var/task/payments/db.py", 31, "session", "conn = engine.connect()"),
                    (
                        "/var/task/sqlalchemy/pool/impl.py",
                        168,
                        "_do_get",
                        "raise exc.TimeoutError(",
                    ),
                ),
            ),
            calls=[
                Call(
                    "payments-db",
                    5.0,
                    duration - 10.0,
                    sql_url=_DB_URL,
                    fault=True,
                    exception=message,
                )
            ],
        )

    def _too_many_clients(self, rng: random.Random, lines: list[AppLine], memory: int) -> Outcome:
        duration = rng.uniform(40.0, 400.0)
        message = (
            "(psycopg2.OperationalError) connection to server at "
            f'"{DB_HOST}" ({DB_IP}), port 5432 failed: FATAL:  sorry, too many clients already\n\n'
            "(Background on this error at: https://sqlalche.me/e/20/e3q8)"
        )
        return self._db_error(duration, message, lines, memory)

    def _cannot_connect(self, rng: random.Random, lines: list[AppLine], memory: int) -> Outcome:
        duration = rng.uniform(5000.0, 5200.0)
        message = (
            "(psycopg2.OperationalError) could not connect to server: Connection timed out\n"
            f'\tIs the server running on host "{DB_HOST}" ({DB_IP}) and accepting\n'
            "\tTCP/IP connections on port 5432?\n"
        )
        return self._db_error(duration, message, lines, memory)

    def _db_error(
        self, duration: float, message: str, lines: list[AppLine], memory: int
    ) -> Outcome:
        return Outcome(
            duration_ms=duration,
            max_memory_mb=memory,
            lines=lines,
            failure=Failure(
                FailureKind.UNHANDLED,
                "OperationalError",
                message,
                python_frames(
                    (
                        "/var/task/payments/handler.py",
                        58,
                        "process",
                        "with db.session() as session:",
                    ),
                    (
                        "/var/task/sqlalchemy/engine/base.py",
                        3273,
                        "connect",
                        "return self._connection_cls(self)",
                    ),
                    (
                        "/var/task/psycopg2/__init__.py",
                        122,
                        "connect",
                        "conn = _connect(dsn, connection_factory=connection_factory, **kwasync)",
                    ),
                ),
            ),
            calls=[
                Call(
                    "payments-db",
                    3.0,
                    duration - 5.0,
                    sql_url=_DB_URL,
                    fault=True,
                    exception=message.split("\n")[0],
                )
            ],
        )


class RoleChangeDenied(Incident):
    """report-exporter: a tightened execution role loses s3:GetObject; as environments pick up
    the new credentials, more and more exports fail with AccessDenied."""

    calm_rate = 0.3
    peak_rate = 0.35

    def init(self, moment: Moment, rng: random.Random, state: EnvironmentState) -> InitOutcome:
        return InitOutcome(
            duration_ms=rng.uniform(380.0, 620.0),
            memory_mb=rng.randint(88, 96),
            lines=[AppLine(200.0, Level.INFO, "exporter ready: bucket=acme-reports format=csv")],
        )

    def invoke(
        self, moment: Moment, rng: random.Random, state: EnvironmentState, request: Request
    ) -> Outcome:
        tenant = f"tenant-{rng.randint(1, 240):04d}"
        key = f"2026/{rng.randint(1, 11):02d}/{tenant}/monthly.csv"
        lines = [AppLine(1.0, Level.INFO, f"exporting s3://acme-reports/{key}")]
        memory = memory_used(state, rng, rng.uniform(10.0, 60.0), self.scenario.memory_mb)
        if rng.random() < moment.intensity:
            duration = rng.uniform(110.0, 320.0)
            role = self.scenario.execution_role
            message = (
                "An error occurred (AccessDenied) when calling the GetObject operation: User: "
                f"arn:aws:sts::{ACCOUNT_ID}:assumed-role/{role}/{self.scenario.name} is not "
                "authorized to perform: s3:GetObject on resource: "
                f'"arn:aws:s3:::acme-reports/{key}" '
                "because no identity-based policy allows the s3:GetObject action"
            )
            return Outcome(
                duration_ms=duration,
                max_memory_mb=memory,
                lines=lines,
                failure=Failure(
                    FailureKind.UNHANDLED,
                    "ClientError",
                    message,
                    python_frames(
                        (
                            "/var/task/exporter.py",
                            44,
                            "handler",
                            'body = s3.get_object(Bucket=BUCKET, Key=key)["Body"]',
                        ),
                        (
                            "/var/lang/lib/python3.12/site-packages/botocore/client.py",
                            1023,
                            "_make_api_call",
                            "raise error_class(parsed_response, operation_name)",
                        ),
                    ),
                ),
                calls=[
                    Call(
                        "S3",
                        5.0,
                        duration - 20.0,
                        namespace="aws",
                        operation="GetObject",
                        http_status=403,
                        error=True,
                        exception=message,
                    )
                ],
            )
        get_ms = rng.uniform(60.0, 400.0)
        duration = get_ms + rng.uniform(500.0, 2200.0)
        lines.append(
            AppLine(
                duration - 2.0, Level.INFO, f"exported {rng.randint(200, 9000)} rows for {tenant}"
            )
        )
        return Outcome(
            duration_ms=duration,
            max_memory_mb=memory,
            lines=lines,
            calls=[
                Call("S3", 5.0, get_ms, namespace="aws", operation="GetObject", http_status=200),
                Call(
                    "S3",
                    duration - 150.0,
                    120.0,
                    namespace="aws",
                    operation="PutObject",
                    http_status=200,
                ),
            ],
        )


_SQS_URL = "https://sqs.us-east-1.amazonaws.com/"


class VpcExhaustion(Incident):
    """inventory-sync: its /28 subnets ran out of addresses, so fan-out invokes cannot get an
    ENI, and with no NAT gateway or VPC endpoint every SQS call times out connecting."""

    calm_rate = 0.25
    peak_rate = 0.4

    def invoke(
        self, moment: Moment, rng: random.Random, state: EnvironmentState, request: Request
    ) -> Outcome:
        warehouse = f"wh-{rng.choice(['bos', 'dfw', 'sea', 'atl', 'den'])}-{rng.randint(1, 9)}"
        lines = [AppLine(1.0, Level.INFO, f"sync started warehouse={warehouse} skus=1840")]
        memory = memory_used(state, rng, rng.uniform(15.0, 40.0), self.scenario.memory_mb)
        if rng.random() >= moment.intensity * 0.8:
            duration = rng.uniform(900.0, 3500.0)
            lines.append(
                AppLine(
                    duration - 2.0, Level.INFO, f"sync done warehouse={warehouse} batches=4 sent"
                )
            )
            return Outcome(
                duration_ms=duration,
                max_memory_mb=memory,
                lines=lines,
                calls=[
                    Call(
                        "SQS",
                        duration - 300.0,
                        250.0,
                        namespace="aws",
                        operation="SendMessageBatch",
                        http_status=200,
                    )
                ],
            )
        roll = rng.random()
        if roll < 0.35:
            return self._eni_failure(rng, lines, memory, warehouse)
        if roll < 0.8:
            return self._connect_timeout(rng, lines, memory)
        return self._stuck_until_timeout(rng, lines, memory)

    def _eni_failure(
        self, rng: random.Random, lines: list[AppLine], memory: int, warehouse: str
    ) -> Outcome:
        duration = rng.uniform(600.0, 2400.0)
        if rng.random() < 0.6:
            code = "SubnetIPAddressLimitReachedException"
            detail = (
                "Lambda was not able to set up VPC access for the Lambda function because one or "
                "more configured subnets has no available IP addresses."
            )
        else:
            code = "ENILimitReachedException"
            detail = (
                "Lambda was not able to create an Elastic Network Interface (ENI) in the VPC, "
                "specified as part of the Lambda function configuration, because the limit for "
                "network interfaces has been reached."
            )
        message = (
            f"An error occurred ({code}) when calling the Invoke operation "
            f"(reached max retries: 2): {detail}"
        )
        lines.append(
            AppLine(300.0, Level.INFO, f"fanning out {warehouse} pages to inventory-sync (async)")
        )
        return Outcome(
            duration_ms=duration,
            max_memory_mb=memory,
            lines=lines,
            failure=Failure(
                FailureKind.UNHANDLED,
                "ClientError",
                message,
                python_frames(
                    ("/var/task/inventory/sync.py", 77, "handler", "fan_out(pages)"),
                    (
                        "/var/task/inventory/sync.py",
                        52,
                        "fan_out",
                        "lambda_client.invoke(FunctionName=SELF, "
                        'InvocationType="Event", Payload=page)',
                    ),
                    (
                        "/var/lang/lib/python3.12/site-packages/botocore/client.py",
                        1023,
                        "_make_api_call",
                        "raise error_class(parsed_response, operation_name)",
                    ),
                ),
            ),
            calls=[
                Call(
                    "Lambda",
                    300.0,
                    duration - 320.0,
                    namespace="aws",
                    operation="Invoke",
                    http_status=502,
                    fault=True,
                    exception=message,
                )
            ],
        )

    def _connect_timeout(self, rng: random.Random, lines: list[AppLine], memory: int) -> Outcome:
        # connect_timeout=5 s, 3 attempts: the standard retry mode gives up after ~15 s
        duration = 15000.0 + rng.uniform(150.0, 900.0)
        message = f'Connect timeout on endpoint URL: "{_SQS_URL}"'
        for attempt, at in ((1, 5100.0), (2, 10200.0)):
            lines.append(
                AppLine(at, Level.WARN, f"SendMessageBatch attempt {attempt}/3 failed: {message}")
            )
        return Outcome(
            duration_ms=duration,
            max_memory_mb=memory,
            lines=lines,
            failure=Failure(
                FailureKind.UNHANDLED,
                "ConnectTimeoutError",
                message,
                python_frames(
                    (
                        "/var/task/inventory/sync.py",
                        91,
                        "handler",
                        "sqs.send_message_batch(QueueUrl=QUEUE_URL, Entries=batch)",
                    ),
                    (
                        "/var/lang/lib/python3.12/site-packages/botocore/httpsession.py",
                        501,
                        "send",
                        "raise ConnectTimeoutError(endpoint_url=request.url, error=e)",
                    ),
                ),
            ),
            calls=[
                Call(
                    "SQS",
                    20.0,
                    duration - 40.0,
                    namespace="aws",
                    operation="SendMessageBatch",
                    fault=True,
                    exception=message,
                )
            ],
        )

    def _stuck_until_timeout(
        self, rng: random.Random, lines: list[AppLine], memory: int
    ) -> Outcome:
        duration = self.scenario.timeout_s * 1000.0 + rng.uniform(3.0, 40.0)
        message = f'Connect timeout on endpoint URL: "{_SQS_URL}"'
        for attempt, at in ((1, 5100.0), (2, 10200.0), (3, 15300.0)):
            lines.append(
                AppLine(
                    at,
                    Level.WARN,
                    f"retrying SendMessageBatch after {message} (attempt {attempt}/5)",
                )
            )
        return Outcome(
            duration_ms=duration,
            max_memory_mb=memory,
            lines=lines,
            failure=Failure(FailureKind.TIMEOUT, "Sandbox.Timedout", "Task timed out"),
            calls=[
                Call(
                    "SQS",
                    20.0,
                    duration - 30.0,
                    namespace="aws",
                    operation="SendMessageBatch",
                    fault=True,
                    exception=message,
                )
            ],
        )
