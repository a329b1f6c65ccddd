"""The simulated account's catalogue: every function, its configuration and the incident it lives.

Declarative data only. How each incident writes its logs lives in `incidents/`; how the
functions are created lives in `account.py`. End-to-end tests read `SCENARIOS` to know which
diagnosis check should fail or warn for which function.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

REGION = "us-east-1"
ACCOUNT_ID = "123456789012"

CHECK_IDS: tuple[str, ...] = (
    "cold_start",
    "timeout",
    "memory",
    "permission",
    "throttling",
    "connection_pool",
    "database",
    "vpc",
    "event_source",
    "api_gateway",
    "invocation_errors",
)
"""The diagnosis check ids, in the order of the debugging guide's flowchart."""


class LogFormat(StrEnum):
    TEXT = "Text"
    JSON = "JSON"


class RuntimeFamily(StrEnum):
    """Which runtime interface client writes the application lines (each has its own prefix)."""

    PYTHON = "python"
    NODE = "node"
    JAVA = "java"
    GO = "go"


@dataclass(frozen=True, slots=True)
class Scenario:
    """One function of the simulated account and the incident it goes through."""

    name: str
    runtime: str
    handler: str
    incident: str
    """One line a person reads in `lambdatop demo --list`."""
    checks: tuple[str, ...]
    """Diagnosis checks that should fail or warn at the incident's peak (first = the main one).
    Empty for a healthy function: every check should be ok."""
    memory_mb: int
    timeout_s: int
    description: str = ""
    log_format: LogFormat = LogFormat.TEXT
    tracing: bool = False
    vpc: bool = False
    snapstart: bool = False
    reserved_concurrency: int | None = None
    kinesis_stream: str | None = None
    """A Kinesis stream feeding the function through an event source mapping."""
    rest_api: str | None = None
    """Name of an API Gateway REST API (v1) whose integration invokes the function."""
    http_api: str | None = None
    """Name of an API Gateway HTTP API (v2) whose integration invokes the function."""
    role_name: str | None = None
    """Execution role; defaults to `<name>-role`."""
    architecture: str = "x86_64"
    phase_offset: float = 0.0
    """Where in the incident cycle this function starts (0..1), so incidents are staggered."""
    tags: dict[str, str] = field(default_factory=dict)

    @property
    def family(self) -> RuntimeFamily:
        if self.runtime.startswith("python"):
            return RuntimeFamily.PYTHON
        if self.runtime.startswith("nodejs"):
            return RuntimeFamily.NODE
        if self.runtime.startswith("java"):
            return RuntimeFamily.JAVA
        return RuntimeFamily.GO

    @property
    def log_group(self) -> str:
        return f"/aws/lambda/{self.name}"

    @property
    def execution_role(self) -> str:
        return self.role_name or f"{self.name}-role"

    @property
    def function_arn(self) -> str:
        return f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:{self.name}"

    @property
    def healthy(self) -> bool:
        return not self.checks


SCENARIOS: tuple[Scenario, ...] = (
    Scenario(
        name="catalog-search",
        runtime="python3.12",
        handler="app.handler",
        incident="healthy: steady traffic, fast warm invocations, no errors",
        checks=(),
        memory_mb=256,
        timeout_s=10,
        description="Product catalogue search behind the storefront",
        tracing=True,
        tags={"team": "storefront", "service": "catalog"},
    ),
    Scenario(
        name="pricing-engine",
        runtime="java17",
        handler="com.acme.pricing.QuoteHandler::handleRequest",
        incident="cold-start storm: traffic burst in a VPC, JVM inits of 6-10 s on new streams",
        checks=("cold_start",),
        memory_mb=2048,
        timeout_s=30,
        description="Quote pricing (Spring Boot) in the private VPC",
        tracing=True,
        vpc=True,
        phase_offset=0.10,
        tags={"team": "pricing", "service": "quotes"},
    ),
    Scenario(
        name="invoice-renderer",
        runtime="java21",
        handler="com.acme.invoices.RenderHandler::handleRequest",
        incident="SnapStart: restores of ~0.3-0.9 s instead of JVM inits; mostly healthy",
        checks=(),
        memory_mb=1536,
        timeout_s=60,
        description="Renders invoice PDFs; SnapStart on published versions",
        tracing=True,
        snapstart=True,
        phase_offset=0.55,
        tags={"team": "billing", "service": "invoices"},
    ),
    Scenario(
        name="payment-processor",
        runtime="python3.11",
        handler="payments.handler.process",
        incident=(
            "traffic spike exhausts the DB connection pool: 25 s queries, 30 s timeouts, "
            "too many clients"
        ),
        checks=("timeout", "connection_pool", "database", "invocation_errors"),
        memory_mb=512,
        timeout_s=30,
        description="Charges cards and writes the ledger in Postgres (RDS) through the VPC",
        tracing=True,
        vpc=True,
        phase_offset=0.30,
        tags={"team": "payments", "service": "checkout"},
    ),
    Scenario(
        name="video-encoder",
        runtime="nodejs20.x",
        handler="index.handler",
        incident=(
            "memory leak: each warm environment grows until Max Memory Used hits 1024 MB "
            "and is killed"
        ),
        checks=("memory", "invocation_errors"),
        memory_mb=1024,
        timeout_s=120,
        description="Transcodes uploaded clips into HLS renditions",
        phase_offset=0.45,
        tags={"team": "media", "service": "transcoding"},
    ),
    Scenario(
        name="report-exporter",
        runtime="python3.12",
        handler="exporter.handler",
        incident="AccessDenied on s3:GetObject after a role change (JSON log format)",
        checks=("permission", "invocation_errors"),
        memory_mb=512,
        timeout_s=60,
        description="Exports monthly reports from s3://acme-reports",
        log_format=LogFormat.JSON,
        tracing=True,
        role_name="report-exporter-role",
        phase_offset=0.65,
        tags={"team": "analytics", "service": "reporting"},
    ),
    Scenario(
        name="notification-sender",
        runtime="nodejs20.x",
        handler="index.handler",
        incident="throttled at reserved concurrency 10: ConcurrentExecutions pinned, Throttles > 0",
        checks=("throttling",),
        memory_mb=256,
        timeout_s=15,
        description="Sends push and e-mail notifications",
        reserved_concurrency=10,
        phase_offset=0.80,
        tags={"team": "growth", "service": "notifications"},
    ),
    Scenario(
        name="inventory-sync",
        runtime="python3.12",
        handler="inventory.sync.handler",
        incident=(
            "VPC trouble: subnet out of IP addresses for ENIs, connect timeouts to the SQS "
            "endpoint (no NAT or VPC endpoint)"
        ),
        checks=("vpc", "invocation_errors"),
        memory_mb=512,
        timeout_s=20,
        description="Syncs warehouse stock levels; fans out per warehouse through SQS",
        vpc=True,
        phase_offset=0.20,
        tags={"team": "fulfilment", "service": "inventory"},
    ),
    Scenario(
        name="clickstream-consumer",
        runtime="provided.al2023",
        handler="bootstrap",
        incident="Kinesis consumer falls hours behind: IteratorAge climbs while batches fail",
        checks=("event_source",),
        memory_mb=256,
        timeout_s=60,
        description="Go consumer of the clickstream Kinesis stream",
        kinesis_stream="clickstream-events",
        architecture="arm64",
        phase_offset=0.70,
        tags={"team": "data", "service": "clickstream"},
    ),
    Scenario(
        name="checkout-api",
        runtime="nodejs20.x",
        handler="src/handler.main",
        incident="API Gateway 504s: the function runs 29-35 s, past the 29 s integration timeout",
        checks=("api_gateway",),
        memory_mb=1024,
        timeout_s=60,
        description="Checkout backend behind a REST API and an HTTP API",
        tracing=True,
        rest_api="checkout-public",
        http_api="checkout-mobile",
        phase_offset=0.90,
        tags={"team": "storefront", "service": "checkout"},
    ),
    Scenario(
        name="webhook-relay",
        runtime="python3.12",
        handler="app.handler",
        incident=(
            "bad deploy: Runtime.ImportModuleError, no module named 'requests', every invoke fails"
        ),
        checks=("invocation_errors",),
        memory_mb=256,
        timeout_s=30,
        description="Relays partner webhooks to internal services",
        phase_offset=0.40,
        tags={"team": "integrations", "service": "webhooks"},
    ),
)
"""Every function of the simulated account, in the order `--list` shows them."""


def scenario_names() -> list[str]:
    return [scenario.name for scenario in SCENARIOS]


def select_scenarios(names: list[str] | None) -> tuple[Scenario, ...]:
    """The scenarios named (all when `names` is empty or None), in catalogue order.

    Raises ValueError naming the valid choices when a name is unknown.
    """
    if not names:
        return SCENARIOS
    known = {scenario.name for scenario in SCENARIOS}
    unknown = [name for name in names if name not in known]
    if unknown:
        raise ValueError(
            f"unknown scenario {', '.join(repr(n) for n in unknown)}; "
            f"valid names: {', '.join(scenario_names())}"
        )
    wanted = set(names)
    return tuple(scenario for scenario in SCENARIOS if scenario.name in wanted)
