"""Service plane: cold starts, timeouts, memory, permissions, throttling, at every status, from
realistic log lines through the real parser, grouper and classifier."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from expect import (
    FAIL,
    OK,
    UNKNOWN,
    WARN,
    Case,
    config,
    has,
    lacks,
    logs_not_read,
    run,
    table,
    with_config,
)
from lambdalogs import (
    LOG_GROUP,
    REGION,
    Logs,
    evidence,
    metrics,
    node,
    node_invoke_error,
    py,
    py_unhandled,
)

from lambdatop.core.records import ApiRoute, ErrorFamily
from lambdatop.core.store import ApiState
from lambdatop.diagnose.engine import summarise
from lambdatop.diagnose.evidence import Evidence
from lambdatop.diagnose.thresholds import Thresholds


def healthy(count: int = 300, **kwargs: object) -> Logs:
    logs = Logs()
    logs.healthy(count, **kwargs)  # type: ignore[arg-type]
    return logs


def nothing_reported() -> Evidence:
    """Lines, but no invocation finished (the export cut before any REPORT)."""
    logs = Logs()
    env = logs.stream()
    logs.invoke(env, app=[py("INFO", "starting")], report=False)
    return evidence(logs)


# --- cold_start ------------------------------------------------------------------------------


def cold_share(cold: int, warm_each: int, init_ms: float, count: int | None = None) -> Evidence:
    """`cold` environments each serving `warm_each` more requests after their cold start."""
    logs = Logs()
    for index in range(cold):
        env = logs.stream()
        logs.invoke(env, init_ms=init_ms + 37 * (index % 5), duration_ms=120.0)
        for _ in range(warm_each):
            logs.invoke(env, duration_ms=60.0)
    return evidence(logs)


def scheduled(init_ms: float, every_min: int) -> Evidence:
    """A schedule: one invocation every `every_min` minutes, each in a new environment."""
    logs = Logs()
    for _ in range(24):
        logs.invoke(logs.stream(), init_ms=init_ms, duration_ms=900.0)
        logs.clock_ms += every_min * 60_000
    return evidence(logs)


def storm_after_a_quiet_night() -> Evidence:
    """Health checks every 6 minutes all night, each cold; then the morning rush: 40 cold
    starts in 90 s."""
    logs = Logs()
    for _ in range(30):
        logs.invoke(logs.stream(), init_ms=4_000.0, duration_ms=50.0)
        logs.clock_ms += 6 * 60_000
    for _ in range(40):
        logs.invoke(logs.stream(), init_ms=4_500.0, duration_ms=300.0, gap_ms=2_000)
    return evidence(logs)


def init_timed_out() -> Evidence:
    """The init phase ran out of its 10 s; Lambda retried it inside the first invoke."""
    logs = Logs()
    logs.healthy(40)
    env = logs.stream()
    at = logs.clock_ms
    logs.emit(env, at, "INIT_START Runtime Version: python:3.12.v38\tRuntime Version ARN: arn:x")
    logs.emit(
        env, at + 10_000, "INIT_REPORT Init Duration: 10000.00 ms\tPhase: init\tStatus: timeout"
    )
    logs.clock_ms = at + 10_050
    logs.invoke(env, duration_ms=2_300.0, init_ms=2_250.0)
    return evidence(logs)


def snapstart(json_format: bool) -> Callable[[], Evidence]:
    def build() -> Evidence:
        logs = Logs(json_format=json_format)
        for _ in range(12):
            env = logs.stream("7")
            logs.invoke(env, restore_ms=1_140.0, duration_ms=90.0)
            logs.invoke(env, duration_ms=40.0)
        ev = evidence(logs)
        ev.config = config(runtime="java21", snapstart=True)
        return ev

    return build


def cold_with_peak() -> Evidence:
    ev = cold_share(cold=30, warm_each=1, init_ms=4_200.0)
    ev.metrics = metrics(ConcurrentExecutions=[12, 30, 18], Invocations=[20, 30, 10])
    return ev


COLD_START = [
    pytest.param(
        Case(lambda: evidence(healthy()), OK, ("Cold starts 1.3 %", "init p99")), id="ok-healthy"
    ),
    pytest.param(Case(nothing_reported, UNKNOWN, ("No completed invocations",)), id="unknown"),
    pytest.param(
        Case(
            lambda: cold_share(cold=20, warm_each=4, init_ms=280.0),
            OK,
            ("Cold starts 20 %, init p99 4",),
            ("20 of 100 invocations started cold",),
        ),
        id="ok-share-but-fast-init",
    ),
    pytest.param(
        Case(
            lambda: cold_share(cold=20, warm_each=4, init_ms=1_200.0),
            WARN,
            ("20 % of invocations started cold",),
            ("20 of 100 invocations started cold", "of the 10 s init limit"),
            ("Fix: move heavy initialisation",),
        ),
        id="warn-share",
    ),
    pytest.param(
        Case(
            lambda: cold_share(cold=1, warm_each=299, init_ms=4_500.0),
            WARN,
            ("init p99 4.5 s",),
            ("1 of 300 invocations started cold",),
        ),
        id="warn-slow-init",
    ),
    pytest.param(
        Case(
            lambda: cold_share(cold=30, warm_each=1, init_ms=4_200.0),
            FAIL,
            ("Cold-start storm", "50 %", "init p99 4."),
            ("30 of 60 invocations started cold", "init p50 4."),
            ('?"Init Duration" ?"Restore Duration"', "CodeSize"),
        ),
        id="fail-storm",
    ),
    pytest.param(
        Case(
            lambda: scheduled(init_ms=3_800.0, every_min=10),
            WARN,
            ("100 % of invocations started cold", "minutes after the one before", "reclaimed"),
            ("24 of the 24 cold starts came 5 min or more after", "nothing to fix"),
            (),
        ),
        id="warn-every-invocation-cold-minutes-apart",
    ),
    pytest.param(
        Case(
            lambda: scheduled(init_ms=3_800.0, every_min=1),
            FAIL,
            ("Cold-start storm",),
            (),
            (),
        ),
        id="fail-every-invocation-cold-a-minute-apart",
    ),
    pytest.param(
        Case(storm_after_a_quiet_night, FAIL, ("Cold-start storm",)),
        id="fail-a-morning-storm-after-a-quiet-night",
    ),
    pytest.param(
        Case(
            lambda: cold_share(cold=3, warm_each=60, init_ms=9_500.0),
            FAIL,
            ("at the 10 s init limit",),
            ("run again inside the invocation",),
        ),
        id="fail-init-at-the-10-s-limit",
    ),
    pytest.param(
        Case(
            init_timed_out,
            FAIL,
            ("1 init ran out of the 10 s init limit",),
            ("INIT_REPORT Init Duration: 10000.00 ms",),
        ),
        id="fail-init-timeout",
    ),
    pytest.param(
        Case(
            snapstart(json_format=False),
            WARN,
            ("50 % of invocations started cold",),
            ("12 SnapStart restores counted as cold starts", "restore p50 1.1 s"),
        ),
        id="warn-snapstart-text",
    ),
    pytest.param(
        Case(
            snapstart(json_format=True),
            WARN,
            ("50 % of invocations started cold",),
            ("12 SnapStart restores counted as cold starts",),
        ),
        id="warn-snapstart-json",
    ),
    pytest.param(
        Case(
            cold_with_peak,
            FAIL,
            ("Cold-start storm",),
            (),
            ("keep 30 environments warm", "provisioned concurrency"),
        ),
        id="fail-storm-provisioned-concurrency",
    ),
]


# --- timeout ----------------------------------------------------------------------------------

POOL_FULL = py(
    "ERROR",
    "sqlalchemy.exc.TimeoutError: QueuePool limit of size 5 overflow 10 reached, "
    "connection timed out, timeout 30.00",
)


def timeouts(
    count: int = 6, *, legacy: bool = False, json_format: bool = False, app: tuple[str, ...] = ()
) -> Callable[[], Evidence]:
    def build() -> Evidence:
        logs = Logs(json_format=json_format)
        logs.healthy(200)
        env = logs.stream()
        for _ in range(count):
            logs.invoke(env, timeout_s=30.0, legacy=legacy, app=app)
        return evidence(logs)

    return build


def slow_successes_and_timeouts() -> Evidence:
    """Timeouts at 10 s while the successful invocations already take 6-9 s."""
    logs = Logs()
    env = logs.stream()
    for index in range(60):
        logs.invoke(env, duration_ms=6_000.0 + 50 * index)
    for _ in range(3):
        logs.invoke(env, timeout_s=10.0)
    return with_config(logs, timeout_s=10.0)


def p99_near(apis: bool = False) -> Callable[[], Evidence]:
    def build() -> Evidence:
        logs = Logs()
        logs.healthy(280, duration_ms=(800.0, 2_000.0))
        env = logs.stream()
        for index in range(20):
            logs.invoke(env, duration_ms=8_600.0 + 40 * index)
        ev = with_config(logs, timeout_s=10.0)
        if apis:
            ev.apis = [ApiState(ApiRoute("a1b2c3", "orders", "REST"))]
        return ev

    return build


def no_config() -> Evidence:
    return evidence(healthy())


TIMEOUT = [
    pytest.param(
        Case(
            lambda: with_config(healthy()),
            OK,
            ("No timeouts", "of 30 s timeout"),
            ("duration p50",),
        ),
        id="ok-healthy",
    ),
    pytest.param(
        Case(no_config, OK, ("No timeouts",), ("timeout setting unknown",)), id="ok-no-config"
    ),
    pytest.param(Case(nothing_reported, UNKNOWN, ("No completed invocations",)), id="unknown"),
    pytest.param(
        Case(
            timeouts(),
            FAIL,
            ("6 invocations timed out at 30 s", "(2.9 %)"),
            (
                "6 of 206 invocations timed out at 30 s",
                "of 30 s timeout",
                "Task timed out after 30.00 seconds",
            ),
            (
                '--filter-pattern \'?"Task timed out" ?"Status: timeout"\'',
                "get-trace-summaries",
                "ConcurrentExecutions",
            ),
        ),
        id="fail-timeouts",
    ),
    pytest.param(
        Case(
            timeouts(legacy=True),
            FAIL,
            ("6 invocations timed out at 30 s",),
            ("Task timed out after 30.00 seconds",),
        ),
        id="fail-timeouts-old-report-without-status",
    ),
    pytest.param(
        Case(timeouts(json_format=True), FAIL, ("6 invocations timed out at 30 s",)),
        id="fail-timeouts-json-format",
    ),
    pytest.param(
        Case(
            timeouts(app=(POOL_FULL,)),
            FAIL,
            ("timed out",),
            ("all 6 timed-out invocations also logged connection pool errors",),
        ),
        id="fail-timeouts-waiting-on-the-pool",
    ),
    pytest.param(
        Case(
            slow_successes_and_timeouts,
            FAIL,
            ("3 invocations timed out at 10 s",),
            ("of 10 s timeout",),
            ("--timeout 14", "try 1024 MB (now 512 MB)"),
        ),
        id="fail-timeouts-with-a-timeout-to-set",
    ),
    pytest.param(
        Case(
            p99_near(),
            WARN,
            ("close to timing out", "of 10 s timeout"),
            ("p99 9.",),
            ("--timeout 14",),
        ),
        id="warn-p99-near-timeout",
    ),
    pytest.param(
        Case(
            p99_near(apis=True),
            WARN,
            ("close to timing out",),
            (),
            ("--timeout 14",),
        ),
        id="warn-p99-near-timeout-behind-api-gateway",
    ),
]


# --- memory -----------------------------------------------------------------------------------


def out_of_memory(lines: tuple[str, ...], *, legacy: bool = False) -> Callable[[], Evidence]:
    def build() -> Evidence:
        logs = Logs()
        logs.healthy(100, memory_mb=512, used_mb=(200, 260))
        env = logs.stream()
        logs.invoke(
            env,
            memory_mb=512,
            used_mb=512,
            duration_ms=4_210.0,
            app=lines,
            status="error",
            error_type="Runtime.OutOfMemory",
            legacy=legacy,
        )
        return evidence(logs)

    return build


PYTHON_OOM = (
    py("INFO", "loading 2.1 GB report into memory"),
    py_unhandled("MemoryError", ""),
    "RequestId: {rid} Error: Runtime exited with error: signal: killed\nRuntime.ExitError",
)
NODE_OOM = (
    "<--- Last few GCs --->",
    "[8:0x5a7c2d0]    41822 ms: Mark-Compact 493.2 (511.9) -> 491.9 (512.6) MB",
    "FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory",
    " 1: 0xb090e0 node::Abort() [/var/lang/bin/node]",
    "RequestId: {rid} Error: Runtime exited with error: signal: aborted (core dumped)\n"
    "Runtime.ExitError",
)
JAVA_OOM = (
    'Exception in thread "main" java.lang.OutOfMemoryError: Java heap space\n'
    "\tat java.base/java.util.Arrays.copyOf(Arrays.java:3537)",
)
GO_OOM = ("fatal error: runtime: out of memory",)


def near_limit() -> Evidence:
    return evidence(healthy(200, memory_mb=512, used_mb=(430, 488)))


def leak(streams: int = 4, growing: int = 1) -> Evidence:
    """Several environments; `growing` of them add 20 MB every invocation and keep it."""
    logs = Logs()
    envs = [logs.stream() for _ in range(streams)]
    for round_ in range(12):
        for index, env in enumerate(envs):
            used = 180 + 20 * round_ if index < growing else 170 + (round_ * 7) % 11
            logs.invoke(env, memory_mb=512, used_mb=used, init_ms=380.0 if round_ == 0 else None)
    return evidence(logs)


def overprovisioned() -> Evidence:
    logs = Logs()
    logs.healthy(300, memory_mb=1024, used_mb=(120, 150), duration_ms=(600.0, 1_000.0))
    return evidence(logs)


def overprovisioned_but_cheap() -> Evidence:
    """A quiet function: 30 short invocations over half an hour."""
    logs = Logs()
    logs.healthy(30, memory_mb=1024, used_mb=(120, 150), duration_ms=(8.0, 12.0), gap_ms=60_000)
    return evidence(logs)


MEMORY = [
    pytest.param(
        Case(
            lambda: evidence(healthy(memory_mb=256)),
            OK,
            ("Max memory used 19", "/ 256 MB"),
            ("/ 256 MB (7",),
        ),
        id="ok-healthy",
    ),
    pytest.param(Case(nothing_reported, UNKNOWN, ("No completed invocations",)), id="unknown"),
    pytest.param(
        Case(
            out_of_memory(PYTHON_OOM),
            FAIL,
            ("1 invocation ran out of memory at 512 MB",),
            (
                "1 of 101 invocations ran out of memory (1.0 %)",
                "max memory used 512 / 512 MB (100 %)",
                "MemoryError",
            ),
            ("--memory-size 768", '--filter-pattern \'?"signal: killed"', '?"MemoryError"'),
        ),
        id="fail-oom-python",
    ),
    pytest.param(
        Case(
            out_of_memory(NODE_OOM),
            FAIL,
            ("1 invocation ran out of memory at 512 MB",),
            ("JavaScript heap out of memory",),
            ("--memory-size 768",),
        ),
        id="fail-oom-node",
    ),
    pytest.param(
        Case(
            out_of_memory(JAVA_OOM), FAIL, ("ran out of memory",), ("java.lang.OutOfMemoryError",)
        ),
        id="fail-oom-java",
    ),
    pytest.param(
        Case(out_of_memory(GO_OOM), FAIL, ("ran out of memory",), ("runtime: out of memory",)),
        id="fail-oom-go",
    ),
    pytest.param(
        Case(out_of_memory((), legacy=True), FAIL, ("1 invocation ran out of memory at 512 MB",)),
        id="fail-oom-old-report-at-the-limit",
    ),
    pytest.param(
        Case(
            near_limit,
            WARN,
            ("/ 512 MB: close to the limit",),
            ("/ 512 MB (9",),
            ("--memory-size 768",),
        ),
        id="warn-near-limit",
    ),
    pytest.param(
        Case(
            leak,
            WARN,
            ("Memory grows in 1 execution environment", "180 → 400 / 512 MB", "a leak"),
            ("180 → 400 / 512 MB over 12 invocations (+20.0 MB each, at the limit in ~6 more)",),
            ("release per-invocation state",),
        ),
        id="warn-leak",
    ),
    pytest.param(
        Case(
            overprovisioned,
            WARN,
            ("Over-provisioned: at most 150 of 1024 MB used", "256 MB saves about $"),
            ("setting 256 MB (1.5 × the peak) saves about $", "a month"),
            ("--memory-size 256", "less memory also means less CPU"),
        ),
        id="warn-overprovisioned",
    ),
    pytest.param(
        Case(
            overprovisioned_but_cheap,
            OK,
            ("Max memory used 1", "/ 1024 MB"),
            ("256 MB would do, but saves only about $0.0",),
        ),
        id="ok-overprovisioned-saving-too-small",
    ),
]


# --- permission -------------------------------------------------------------------------------

DYNAMO_DENIED = py_unhandled(
    "botocore.exceptions.ClientError",
    "An error occurred (AccessDeniedException) when calling the GetItem operation: User: "
    "arn:aws:sts::123456789012:assumed-role/checkout-api-role/checkout-api is not authorized to "
    "perform: dynamodb:GetItem on resource: "
    "arn:aws:dynamodb:eu-west-1:123456789012:table/orders because no identity-based policy "
    "allows the dynamodb:GetItem action",
)
S3_DENIED = node(
    "ERROR",
    "AccessDenied: User: arn:aws:sts::123456789012:assumed-role/checkout-api-role/checkout-api "
    "is not authorized to perform: s3:GetObject on resource: "
    "arn:aws:s3:::invoices-eu/2026/03/02/inv-8812.pdf",
)
KMS_DENIED = (
    "{ts}\t{rid}\tERROR\tKMSAccessDeniedException: Lambda was unable to decrypt the environment "
    "variables because KMS access was denied. Please check the function's KMS key settings."
)
EXPLICIT_DENY = py(
    "ERROR",
    "An error occurred (AccessDeniedException) when calling the Publish operation: User: "
    "arn:aws:sts::123456789012:assumed-role/checkout-api-role/checkout-api is not authorized "
    "to perform: SNS:Publish on resource: arn:aws:sns:eu-west-1:123456789012:order-events "
    "with an explicit deny in a service control policy",
)


def denials(*lines: str, repeat: int = 3) -> Callable[[], Evidence]:
    def build() -> Evidence:
        logs = Logs()
        logs.healthy(100)
        env = logs.stream()
        for _ in range(repeat):
            for line in lines:
                logs.invoke(env, app=[line], status="error")
        return evidence(logs)

    return build


def coped_with(*lines: str, repeat: int = 3) -> Callable[[], Evidence]:
    """Lines logged below ERROR by invocations that then succeeded (a retry, a fallback)."""

    def build() -> Evidence:
        logs = Logs()
        logs.healthy(100)
        env = logs.stream()
        for _ in range(repeat):
            logs.invoke(env, app=list(lines))
        return evidence(logs)

    return build


APP_AUTHZ = py(
    "INFO",
    "audit: user 8812 denied access to profile 1200311 (AccessDenied: not owner) -> 403",
)
CACHED_SECRET = py(
    "WARNING",
    "GetSecretValue failed, using the cached secret: An error occurred (AccessDeniedException) "
    "when calling the GetSecretValue operation: User: arn:aws:sts::123456789012:assumed-role/"
    "api-role/api is not authorized to perform: secretsmanager:GetSecretValue on resource: "
    "prod/api/key",
)
RETRIED_THROTTLE = py(
    "WARNING",
    "An error occurred (ProvisionedThroughputExceededException) when calling the PutItem "
    "operation: Rate of requests exceeds the allowed throughput; retrying in 200 ms",
)


def denial_with_config() -> Evidence:
    ev = denials(S3_DENIED)()
    ev.config = config(role_arn="arn:aws:iam::123456789012:role/service-role/checkout-api-role")
    return ev


def denial_of_an_assumed_role() -> Evidence:
    """The code assumed another role (a cross-account reader), and that role was denied."""
    ev = denials(S3_DENIED)()
    ev.config = config(role_arn="arn:aws:iam::123456789012:role/service-role/checkout-prod")
    return ev


PERMISSION = [
    pytest.param(Case(lambda: evidence(healthy()), OK, ("No access denied in the logs",)), id="ok"),
    pytest.param(Case(logs_not_read, UNKNOWN, ("Logs not read",)), id="unknown"),
    pytest.param(
        Case(
            denials(DYNAMO_DENIED),
            FAIL,
            ("Access denied: dynamodb:GetItem on arn:aws:dynamodb:eu-west-1:123456789012:table/",),
            (
                "3 denials in 3 invocations, 3 of which failed",
                "execution role checkout-api-role",
                "dynamodb:GetItem on arn:aws:dynamodb:eu-west-1:123456789012:table/orders ×3",
            ),
            (
                # the role's path is not in the denial: IAM gives the whole ARN
                'aws iam simulate-principal-policy --policy-source-arn "$(aws iam get-role'
                ' --role-name checkout-api-role --query Role.Arn --output text)" --action-names'
                " dynamodb:GetItem --resource-arns"
                " arn:aws:dynamodb:eu-west-1:123456789012:table/orders",
                "aws iam list-attached-role-policies --role-name checkout-api-role",
                "put-role-policy --role-name checkout-api-role",
            ),
        ),
        id="fail-dynamodb",
    ),
    pytest.param(
        Case(
            denials(S3_DENIED, DYNAMO_DENIED, KMS_DENIED, repeat=2),
            FAIL,
            ("Access denied:", "(+2 other actions)"),
            (
                "s3:GetObject on arn:aws:s3:::invoices-eu/* ×2",
                "dynamodb:GetItem on arn:aws:dynamodb:eu-west-1:123456789012:table/orders ×2",
                "kms:Decrypt ×2",
            ),
            ("--action-names s3:GetObject --resource-arns 'arn:aws:s3:::invoices-eu/*'",),
        ),
        id="fail-per-action-and-resource",
    ),
    pytest.param(
        Case(
            denial_with_config,
            FAIL,
            ("Access denied: s3:GetObject on arn:aws:s3:::invoices-eu/*",),
            ("execution role checkout-api-role",),
            (
                "--policy-source-arn arn:aws:iam::123456789012:role/service-role/checkout-api-role",
                "--role-name checkout-api-role",
            ),
        ),
        id="fail-role-from-configuration",
    ),
    pytest.param(
        Case(
            denial_of_an_assumed_role,
            FAIL,
            ("Access denied: s3:GetObject",),
            ("denied principal: role checkout-api-role, not the execution role checkout-prod",),
            ("put-role-policy --role-name checkout-api-role",),
        ),
        id="fail-a-role-the-code-assumed",
    ),
    pytest.param(
        Case(
            denials(EXPLICIT_DENY),
            FAIL,
            ("Access denied: sns:Publish on arn:aws:sns:eu-west-1:123456789012:order-events",),
            ("explicit deny in a service control policy", "allowing it in the role will not help"),
            (
                "list-policies-for-target --target-id 123456789012 --filter SERVICE_CONTROL_POLICY",
                "Fix: a service control policy of the organization denies sns:Publish",
            ),
        ),
        id="fail-explicit-deny",
    ),
    pytest.param(
        Case(
            coped_with(APP_AUTHZ),
            OK,
            ("No IAM access denied",),
            ("3 lines of the application's own access decisions",),
        ),
        id="ok-the-application-s-own-denials",
    ),
    pytest.param(
        Case(
            coped_with(CACHED_SECRET),
            WARN,
            ("Access denied: secretsmanager:GetSecretValue",),
            (
                "3 denials in 3 invocations, 0 of which failed",
                "handled: logged below ERROR, with no level, or outside the handler",
            ),
        ),
        id="warn-handled-iam-denial",
    ),
    pytest.param(
        Case(
            coped_with(
                "2026/03/02 09:15:01 override not readable (operation error S3: GetObject, "
                "https response error StatusCode: 403, api error AccessDenied: Access Denied),"
                " using defaults"
            ),
            WARN,
            ("Access denied: s3:GetObject",),
            ("handled: logged below ERROR, with no level, or outside the handler",),
        ),
        id="warn-handled-denial-logged-with-no-level",
    ),
    pytest.param(
        Case(
            coped_with(
                node(
                    "WARN",
                    "custom template s3://acme-templates/c-0/invoice.hbs unavailable, using"
                    " default: AccessDenied: Access Denied\n    at throwDefaultError (/var/runtime/"
                    "node_modules/@smithy/smithy-client/dist-cjs/index.js:840:20)",
                )
            ),
            WARN,
            ("Access denied by S3 on s3://acme-templates: no action named",),
            ("handled: logged below ERROR",),
        ),
        id="warn-handled-sdk-denial-naming-no-action",
    ),
]


@pytest.mark.parametrize(
    ("line", "title"),
    [
        (
            # Go's SDK: the bucket in the code's own words before it
            "failed to fetch s3://reports-archive/2026/03/02.csv: AccessDenied: Access Denied\n"
            "\tstatus code: 403, request id: 4XJ2M1, host id: kq9Zb0=",
            "Access denied by S3 on s3://reports-archive: no action named",
        ),
        (
            "Amazon.S3.AmazonS3Exception: Access Denied\n ---> Amazon.Runtime.Internal."
            "HttpErrorResponseException: Exception of type 'HttpErrorResponseException'",
            "Access denied by S3: no action named",
        ),
        (
            "upload to arn:aws:s3:::invoices-prod/out/1.pdf refused: Access Denied",
            "Access denied by S3 on arn:aws:s3:::invoices-prod/*: no action named",
        ),
    ],
)
def test_s3_s_denial_naming_no_action_is_titled_by_service_and_bucket(
    line: str, title: str
) -> None:
    """S3 says only `Access Denied`: the title names who denied what, not those words again,
    and the fix says what S3's bare 403 can mean."""
    logs = healthy(20)
    env = logs.stream()
    for _ in range(3):
        logs.invoke(env, app=[py("ERROR", line)], status="error", error_type="Unhandled")
    result = run(evidence(logs), "permission")
    assert result.status is FAIL
    assert result.title == title
    has(result.evidence, "3 denials that name no action")
    has(result.next_steps, "s3:ListBucket", "404 NoSuchKey")


# --- throttling -------------------------------------------------------------------------------


def with_metrics(
    reserved: int | None = None, account: int | None = None, **series: list[float]
) -> Callable[[], Evidence]:
    def build() -> Evidence:
        ev = with_config(healthy(), reserved_concurrency=reserved)
        ev.metrics = metrics(**series)
        ev.account_concurrency_limit = account
        return ev

    return build


DOWNSTREAM_THROTTLED = py_unhandled(
    "botocore.errorfactory.ProvisionedThroughputExceededException",
    "An error occurred (ProvisionedThroughputExceededException) when calling the PutItem "
    "operation (reached max retries: 9): The level of configured provisioned throughput for the "
    "table was exceeded. Consider increasing your provisioning level with the UpdateTable API.",
)


def downstream(count: int) -> Callable[[], Evidence]:
    return denials(DOWNSTREAM_THROTTLED, repeat=count)


THROTTLING = [
    pytest.param(
        Case(lambda: evidence(healthy()), UNKNOWN, ("Throttles are a CloudWatch metric",)),
        id="unknown-logs-only",
    ),
    pytest.param(
        Case(
            with_metrics(
                Invocations=[100, 100, 100], Throttles=[0, 0, 0], ConcurrentExecutions=[3, 4, 3]
            ),
            OK,
            ("No throttling",),
            ("Throttles 0 of 300 requests",),
        ),
        id="ok",
    ),
    pytest.param(
        Case(
            with_metrics(
                Invocations=[300, 300, 300], Throttles=[0, 6, 0], ConcurrentExecutions=[8, 9, 8]
            ),
            WARN,
            ("6 requests throttled (0.7 %)",),
            ("Throttles 6 of 906 requests",),
            ("Service Quotas", "get-account-settings"),
        ),
        id="warn-few-throttles",
    ),
    pytest.param(
        Case(
            with_metrics(
                reserved=50,
                Invocations=[400, 300, 300],
                Throttles=[0, 80, 40],
                ConcurrentExecutions=[31, 50, 50],
            ),
            FAIL,
            ("120 requests throttled at reserved concurrency 50 (11 %)",),
            ("Throttles 120 of 1,120 requests", "peak concurrency 50 of 50 reserved"),
            ("put-function-concurrency", "--reserved-concurrent-executions 67"),
        ),
        id="fail-at-reserved-concurrency",
    ),
    pytest.param(
        Case(
            with_metrics(
                account=1000, Invocations=[900], Throttles=[0], ConcurrentExecutions=[960]
            ),
            WARN,
            ("Concurrency 960 of 1,000 account: close to throttling",),
            ("peak concurrency 960 of the account's 1,000",),
        ),
        id="warn-near-account-limit",
    ),
    pytest.param(
        Case(
            downstream(5),
            FAIL,
            ("dynamodb throttles this function's calls",),
            ("downstream throttling: 5 lines in 5 invocations from dynamodb ×5",),
            ("exponential backoff",),
        ),
        id="fail-downstream",
    ),
    pytest.param(
        Case(
            coped_with(RETRIED_THROTTLE, repeat=5),
            WARN,
            ("dynamodb throttles this function's calls",),
            (
                "downstream throttling: 5 lines in 5 invocations from dynamodb ×5",
                "handled: logged below ERROR, with no level, or outside the handler",
            ),
        ),
        id="warn-downstream-retried",
    ),
]


@pytest.mark.parametrize(
    ("check_id", "case"),
    table("cold_start", COLD_START)
    + table("timeout", TIMEOUT)
    + table("memory", MEMORY)
    + table("permission", PERMISSION)
    + table("throttling", THROTTLING),
)
def test_service_check(check_id: str, case: Case) -> None:
    ev = case.build()
    result = run(ev, check_id)
    assert result.status is case.status, (result.title, result.evidence)
    has([result.title], *case.title)
    has(result.evidence, *case.evidence)
    has(result.next_steps, *case.steps)


def test_every_service_check_reaches_every_status_it_claims() -> None:
    """The tables above hold an ok, a warn (where the check has one), a fail and an unknown."""
    tables = {
        "cold_start": COLD_START,
        "timeout": TIMEOUT,
        "memory": MEMORY,
        "permission": PERMISSION,
        "throttling": THROTTLING,
    }
    no_warn: set[str] = set()
    for check_id, cases in tables.items():
        reached = {param.values[0].status for param in cases}  # type: ignore[union-attr]
        wanted = {OK, FAIL, UNKNOWN} | (set() if check_id in no_warn else {WARN})
        assert wanted <= reached, (check_id, wanted - reached)


# --- behaviour worth its own test -------------------------------------------------------------


def test_one_oom_invocation_printing_five_lines_counts_once() -> None:
    logs = Logs()
    logs.healthy(50, used_mb=(200, 260))
    logs.invoke(
        logs.stream(),
        used_mb=512,
        app=(
            node("ERROR", "failed to allocate memory for a 96 MB buffer"),
            "FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory",
            "Runtime.OutOfMemory: Runtime exited with error: signal: killed",
            "RequestId: {rid} Error: Runtime exited with error: signal: killed\nRuntime.ExitError",
            node("ERROR", "std::bad_alloc"),
        ),
        status="error",
        error_type="Runtime.OutOfMemory",
    )
    ev = evidence(logs)
    assert len(ev.family(ErrorFamily.OUT_OF_MEMORY)) == 5  # five lines say so...
    result = run(ev, "memory")
    has(result.evidence, "1 of 51 invocations ran out of memory")  # ...one invocation did
    assert summarise(ev).out_of_memory == 1
    assert summarise(ev).errors == 1


def test_timeout_fix_behind_api_gateway_never_raises_past_29_s() -> None:
    logs = Logs()
    env = logs.stream()
    for _ in range(40):
        logs.invoke(env, duration_ms=21_000.0)
    ev = with_config(logs, timeout_s=25.0)
    ev.apis = [ApiState(ApiRoute("a1b2c3", "orders", "REST"))]
    result = run(ev, "timeout")
    assert result.status is WARN
    lacks(result.commands, "--timeout")
    has(result.next_steps, "API Gateway's 29 s", "a longer timeout will not help")


def test_leak_names_the_growing_environment_not_the_steady_ones() -> None:
    ev = leak(streams=5, growing=1)
    growing = ev.invocations[0].stream
    result = run(ev, "memory")
    has(result.evidence, f"environment {growing}:")
    steady = {inv.stream for inv in ev.invocations} - {growing}
    lacks(result.evidence, *(f"environment {stream}" for stream in steady))


def test_leak_in_many_environments_is_summarised() -> None:
    result = run(leak(streams=5, growing=4), "memory")
    assert result.status is WARN
    has([result.title], "Memory grows in 4 execution environments")
    has(result.evidence, "2 more environments grow the same way")


def test_memory_that_rises_and_falls_is_not_a_leak() -> None:
    logs = Logs()
    env = logs.stream()
    for index in range(30):
        logs.invoke(env, memory_mb=512, used_mb=180 + (index % 6) * 40)
    result = run(evidence(logs), "memory")
    lacks([result.title], "leak")


def test_saving_is_priced_for_arm64() -> None:
    x86 = overprovisioned()
    arm = overprovisioned()
    arm.config = config(memory_mb=1024, architectures=("arm64",))
    x86_saving = _dollars(run(x86, "memory").evidence)
    arm_saving = _dollars(run(arm, "memory").evidence)
    assert 0 < arm_saving < x86_saving


def _dollars(evidence_lines: list[str]) -> float:
    line = next(item for item in evidence_lines if "saves about $" in item)
    return float(line.split("$", 1)[1].split()[0].replace(",", ""))


def test_cold_share_is_not_judged_on_a_handful_of_invocations() -> None:
    result = run(cold_share(cold=3, warm_each=2, init_ms=800.0), "cold_start")
    assert result.status is OK


def test_node_invoke_errors_count_as_failed_invocations_for_permission() -> None:
    line = node_invoke_error(
        "AccessDeniedException",
        "User: arn:aws:sts::123456789012:assumed-role/checkout-api-role/checkout-api is not "
        "authorized to perform: secretsmanager:GetSecretValue on resource: "
        "arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/db-AbCdEf",
    )
    result = run(denials(line, repeat=2)(), "permission")
    assert result.status is FAIL
    has([result.title], "secretsmanager:GetSecretValue")
    has(result.evidence, "2 denials in 2 invocations, 2 of which failed")
    document = next(s for s in result.commands if "put-role-policy" in s)
    policy = json.loads(document.split("--policy-document ", 1)[1].strip("'"))
    assert policy["Statement"] == [
        {
            "Effect": "Allow",
            "Action": "secretsmanager:GetSecretValue",
            "Resource": "arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/db-AbCdEf",
        }
    ]


def test_thresholds_move_the_decision() -> None:
    ev = near_limit()
    assert run(ev, "memory").status is WARN
    assert run(ev, "memory", Thresholds(memory_near_ratio=0.99)).status is OK


def test_commands_use_the_log_group_and_window() -> None:
    ev = timeouts()()
    result = run(ev, "timeout")
    command = result.commands[0]
    assert f"--log-group-name {LOG_GROUP}" in command
    assert f"--start-time {ev.start_ms} --end-time {ev.end_ms}" in command
    assert f"--region {REGION}" in command


def test_a_secret_denied_by_name_is_allowed_by_its_arn() -> None:
    """Secrets Manager names the secret as the caller did (`on resource: prod/api/key`): a
    policy with that as its Resource is refused by IAM (MalformedPolicyDocument)."""
    line = py(
        "ERROR",
        "An error occurred (AccessDeniedException) when calling the GetSecretValue operation: "
        "User: arn:aws:sts::123456789012:assumed-role/api-role/api is not authorized to perform: "
        "secretsmanager:GetSecretValue on resource: prod/api/key because no identity-based "
        "policy allows the secretsmanager:GetSecretValue action",
    )
    ev = denials(line, repeat=2)()
    ev.region = "eu-west-1"
    result = run(ev, "permission")
    assert result.status is FAIL
    has(result.evidence, "secretsmanager:GetSecretValue on prod/api/key ×2")
    document = next(s for s in result.commands if "put-role-policy" in s)
    policy = json.loads(document.split("--policy-document ", 1)[1].strip("'"))
    assert policy["Statement"][0]["Resource"] == (
        "arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/api/key-??????"
    )
    simulate = next(s for s in result.commands if "simulate-principal-policy" in s)
    assert "--resource-arns" not in simulate


@pytest.mark.parametrize(
    ("line", "runtime", "fix"),
    [
        (
            "FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory",
            "Node.js",
            "NODE_OPTIONS to --max-old-space-size=1536",
        ),
        (
            # the signature is the class; the words that name the heap come after it
            'Exception in thread "main" java.lang.OutOfMemoryError: Java heap space\n\tat'
            " com.example.Report.render(Report.java:88)",
            "Java",
            "JAVA_TOOL_OPTIONS to -Xmx1536m",
        ),
    ],
)
def test_a_runtime_heap_that_runs_out_below_the_memory_size_gets_its_own_fix(
    line: str, runtime: str, fix: str
) -> None:
    logs = Logs()
    logs.healthy(60, memory_mb=2048, used_mb=(250, 400))
    env = logs.stream()
    for _ in range(3):
        logs.invoke(
            env,
            memory_mb=2048,
            used_mb=1108,
            app=[line],
            status="error",
            error_type="Runtime.ExitError",
        )
    ev = evidence(logs)
    result = run(ev, "memory")
    assert result.status is FAIL
    has(result.evidence, f"the {runtime} heap ran out at 1108 of 2048 MB")
    has(result.next_steps, fix)
    lacks(result.commands, "--memory-size")
    assert summarise(ev).out_of_memory == 3  # the summary counts what the check counts


def test_memory_that_buys_needed_cpu_is_not_called_over_provisioned() -> None:
    """Less memory means less CPU: with timeouts, or a slow init, cutting it makes things
    worse, and the report must not advise it next to 'more memory, more CPU'."""
    slow = overprovisioned()
    logs = Logs()
    logs.healthy(300, memory_mb=1024, used_mb=(120, 150), duration_ms=(600.0, 1_000.0))
    env = logs.stream()
    for _ in range(3):
        logs.invoke(env, memory_mb=1024, used_mb=140, timeout_s=30.0)
    result = run(evidence(logs), "memory")
    assert result.status is OK
    has(result.evidence, "memory also sets the CPU share and 3 invocations timed out: keep it")
    lacks(result.commands, "--memory-size")
    assert run(slow, "memory").status is WARN  # the same function without its timeouts


def test_the_throttled_dependency_named_first_is_the_one_that_failed_invocations() -> None:
    """S3 SlowDown retried to success in every invocation, and SES throttling logged at ERROR,
    while DynamoDB's throttling is the error that ended the failed ones (Ruby's SDK names the
    service in the error class)."""
    s3 = "W, [{ts} #8]  WARN -- : Aws::S3::Errors::SlowDown: Please reduce your request rate."
    ses = "E, [{ts} #8] ERROR -- : Aws::SES::Errors::Throttling: Maximum sending rate exceeded."
    dynamo = (
        '{"errorMessage": "The level of configured provisioned throughput for the table was '
        'exceeded.", "errorType": "Function<Aws::DynamoDB::Errors::'
        'ProvisionedThroughputExceededException>", "stackTrace": []}'
    )
    logs = Logs()
    logs.healthy(100)
    env = logs.stream()
    for _ in range(10):
        logs.invoke(env, app=[s3, s3])
    for _ in range(6):
        logs.invoke(env, app=[s3, ses, dynamo], status="error")
    result = run(evidence(logs), "throttling")
    assert result.status is FAIL
    has([result.title], "dynamodb throttles this function's calls")
    has(result.evidence, "from s3 ×26, ses ×6, dynamodb ×6")
    lacks(result.commands, "get-account-settings", "get-function-concurrency")  # not Lambda's


def test_an_init_that_times_out_again_when_re_run_is_one_failure_not_two() -> None:
    """Init ran out of its 10 s; Lambda re-ran it inside the invocation, which hit the
    function's 30 s timeout. One init failed the limit; the 30 s is not 'of the 10 s limit'."""
    logs = Logs()
    logs.healthy(40)
    for _ in range(3):
        env = logs.stream()
        at = logs.clock_ms
        logs.emit(env, at, "INIT_START Runtime Version: python:3.12.v38\tRuntime Version ARN: x")
        logs.emit(
            env, at + 10_000, "INIT_REPORT Init Duration: 10000.04 ms\tPhase: init\tStatus: timeout"
        )
        logs.clock_ms = at + 10_050
        rid = logs.invoke(env, duration_ms=30_000.0, init_ms=None, timeout_s=30.0, report=False)
        logs.emit(
            env,
            logs.clock_ms,
            "INIT_REPORT Init Duration: 30000.40 ms\tPhase: invoke\tStatus: timeout",
        )
        logs.emit(
            env,
            logs.clock_ms + 1,
            f"REPORT RequestId: {rid}\tDuration: 30000.00 ms\tBilled Duration: 30000 ms\t"
            "Memory Size: 512 MB\tMax Memory Used: 140 MB\tStatus: timeout",
        )
    result = run(evidence(logs), "cold_start")
    assert result.status is FAIL
    has([result.title], "3 inits ran out of the 10 s init limit")
    has(result.evidence, "3 inits re-run in an invocation also timed out")
    lacks(result.evidence, "30.0 s of the 10 s init limit")


def test_a_throttled_invoke_points_at_the_invoked_function() -> None:
    throttled = py_unhandled(
        "TooManyRequestsException",
        "An error occurred (TooManyRequestsException) when calling the Invoke operation "
        '(reached max retries: 4): Rate Exceeded.\n  File "/var/task/app.py", line 27, in '
        "handler\n    lam.invoke(FunctionName='worker-fn', Payload=json.dumps(job))",
    )
    result = run(denials(throttled, repeat=5)(), "throttling")
    assert result.status is FAIL
    has(result.evidence, "calls to worker-fn were throttled")
    assert result.commands[0].startswith(
        "aws lambda get-function-concurrency --function-name worker-fn"
    )


REFUSED = node("ERROR", "Error: connect ECONNREFUSED 10.0.3.41:5432")


def _outage(together: bool) -> Evidence:
    """Timeouts that print nothing of their cause, and database errors from other invocations
    in a burst of minutes: the timeouts in the same minutes (an outage), or spread over the
    window's hours, away from the burst."""
    logs = Logs()
    env = logs.stream()
    for _ in range(10):
        logs.healthy(20, gap_ms=20_000)
        if not together:
            logs.invoke(env, timeout_s=3.0, gap_ms=2_000)
    for _ in range(10):
        if together:
            logs.invoke(env, timeout_s=3.0, gap_ms=2_000)
        logs.invoke(env, app=[REFUSED], status="error", gap_ms=2_000)
    logs.healthy(100, gap_ms=20_000)
    return evidence(logs)


def test_timeouts_in_the_minutes_of_a_database_outage_are_its_symptom() -> None:
    linked = run(_outage(together=True), "timeout")
    assert "database" in linked.caused_by
    has(linked.evidence, "10 of the 10 timeouts came within minutes of database errors")
    lacks(linked.next_steps, "more memory means more CPU")
    apart = run(_outage(together=False), "timeout")
    assert "database" not in apart.caused_by


@pytest.mark.parametrize("json_format", [False, True])
def test_searches_of_report_fields_are_written_for_the_log_format(json_format: bool) -> None:
    """`"Max Memory Used"` and `@maxMemoryUsed` find nothing in the JSON log format, whose
    REPORT is a `platform.report` event."""
    logs = Logs(json_format=json_format)
    logs.healthy(40)
    env = logs.stream()
    for _ in range(3):
        logs.invoke(env, timeout_s=3.0, init_ms=900.0)
    ev = evidence(logs)
    commands = [c for check in ("cold_start", "timeout", "memory") for c in run(ev, check).commands]
    text_only = ('"Init Duration"', '"Max Memory Used"', '@type = "REPORT"')
    json_only = ("$.record.metrics.initDurationMs", "record.metrics")
    assert any(word in c for c in commands for word in json_only) is json_format
    assert any(word in c for c in commands for word in text_only) is not json_format
    # the timeout's search is written for the lines it quotes: `Task timed out` is text in both
    timeout = run(ev, "timeout")
    has(timeout.evidence, "Task timed out after 3.00 seconds")
    has(timeout.commands, '--filter-pattern \'?"Task timed out" ?"Status: timeout"\'')


def test_memory_raised_after_it_ran_out_is_judged_at_the_new_size() -> None:
    logs = Logs()
    env = logs.stream()
    for _ in range(10):
        logs.invoke(
            env, memory_mb=128, used_mb=128, status="error", error_type="Runtime.OutOfMemory"
        )
    env = logs.stream()
    for _ in range(30):
        logs.invoke(env, memory_mb=1024, used_mb=300)
    result = run(evidence(logs), "memory")
    assert result.status is WARN
    has(
        [result.title],
        "10 invocations ran out of memory at 128 MB; none since it was raised to 1024 MB",
    )
    has(result.evidence, "memory size changed from 128 to 1024 MB at")
    lacks(result.commands, "--memory-size")


def test_an_export_mixing_memory_sizes_judges_each_invocation_at_its_own_size() -> None:
    """A shared log group: a 128 MB and a 1024 MB function in turn. 900 MB used by the big one
    is not '703 % of 128 MB'."""
    logs = Logs()
    small, big = logs.stream(), logs.stream("7")
    for _ in range(20):
        logs.invoke(small, memory_mb=128, used_mb=70)
        logs.invoke(big, memory_mb=1024, used_mb=900)
    result = run(evidence(logs), "memory")
    lacks([result.title, *result.evidence], "/ 128 MB (7")
    has([result.title], "900 / 1024 MB")
    has(result.evidence, "several memory sizes (128, 1024 MB) in turn")


def test_php_running_out_of_its_memory_limit_is_told_apart_from_the_function_s_memory() -> None:
    """Bref: PHP's memory_limit (128 MB) is exhausted while the function has 1024 MB; Lambda
    reports the invocation as a FastCGI failure, not as out of memory."""
    logs = Logs()
    logs.healthy(15, memory_mb=1024, used_mb=(180, 210))
    env = logs.stream()
    for _ in range(5):
        logs.invoke(
            env,
            memory_mb=1024,
            used_mb=210,
            app=[
                "Fatal error: Allowed memory size of 134217728 bytes exhausted (tried to "
                "allocate 20480 bytes) in /var/task/vendor/league/csv/src/Reader.php on line 330",
                node_invoke_error("Bref\\Runtime\\FastCgiCommunicationFailed", "FastCGI"),
            ],
            status="error",
        )
    ev = evidence(logs)
    memory = run(ev, "memory")
    assert memory.status is FAIL
    has([memory.title], "5 invocations ran out of the PHP memory_limit")
    has(memory.next_steps, "set memory_limit to 768M")
    lacks(memory.commands, "--memory-size")
    errors = run(ev, "invocation_errors")
    # the error type as the runtime named it, its JSON escapes undone
    assert "Bref\\Runtime\\FastCgiCommunicationFailed ×5" in errors.evidence


def test_timeouts_after_the_handler_returned_point_at_an_extension() -> None:
    """JSON log format: `platform.runtimeDone` says the handler returned in 45 ms, the REPORT
    says the invocation timed out at 3 s: an extension held it; the handler is not the suspect."""
    logs = Logs(json_format=True)
    logs.healthy(15)
    env = logs.stream()
    for _ in range(5):
        logs.invoke(env, duration_ms=3_000.0, status="timeout", handler_ms=45.0)
    result = run(evidence(logs), "timeout")
    assert result.status is FAIL
    has(result.evidence, "5 of them had returned in 45 ms (platform.runtimeDone, p50)")
    has(result.next_steps, "find the extension (a layer) that does not finish")
    lacks(result.next_steps, "more memory means more CPU", "what the timed-out invocations wait on")


def test_a_throttled_table_gets_its_own_metrics_and_settings() -> None:
    """The table's limit was hit, not Lambda's: its throttle metrics and billing mode."""
    throttled = py_unhandled(
        "ThrottlingException",
        "An error occurred (ThrottlingException) when calling the PutItem operation: Throughput"
        " exceeds the current capacity of your table or index. arn:aws:dynamodb:eu-west-1:"
        "123456789012:table/orders",
    )
    logs = Logs()
    logs.healthy(20)
    env = logs.stream()
    for _ in range(20):
        logs.invoke(env, app=[throttled], status="error", error_type="ThrottlingException")
    result = run(evidence(logs), "throttling")
    assert result.status is FAIL
    has(
        result.commands,
        "--namespace AWS/DynamoDB --metric-name WriteThrottleEvents --dimensions"
        " Name=TableName,Value=orders ",
        "aws dynamodb describe-table --table-name orders --query",
    )
    assert result.commands[0].startswith(
        "aws cloudwatch get-metric-statistics --namespace AWS/DynamoDB"
    )


def test_memory_is_not_cut_for_a_function_near_its_api_s_limit() -> None:
    """p99 near API Gateway's 29 s: cutting memory cuts CPU and makes the 504s worse."""
    logs = Logs()
    logs.healthy(300, memory_mb=1024, used_mb=(120, 150), duration_ms=(20_000.0, 28_000.0))
    ev = evidence(logs)
    ev.config = config(timeout_s=60.0, memory_mb=1024)
    ev.apis = [ApiState(ApiRoute("a1b2c3", "orders", "REST"))]
    result = run(ev, "memory")
    assert result.status is OK, result.title
    has(result.evidence, "close to API Gateway's 29.0 s")
    lacks(result.commands, "--memory-size")


def test_the_saving_is_the_same_whatever_window_is_asked() -> None:
    """Half an hour of traffic read through a 2 h window is still half an hour's traffic."""
    logs = Logs()
    logs.healthy(300, memory_mb=1024, used_mb=(120, 150), duration_ms=(600.0, 1_000.0))
    savings = []
    for hours in (1, 2):
        ev = evidence(logs)
        assert ev.end_ms is not None
        ev.start_ms = ev.end_ms - hours * 3_600_000
        result = run(ev, "memory")
        savings.append(next(e for e in result.evidence if "saves about" in e))
    assert savings[0] == savings[1]


def test_a_denial_naming_no_action_is_never_granted_and_an_explicit_deny_gets_no_allow() -> None:
    """An SDK's status line names no action: its words are no IAM action to simulate or grant.
    With an explicit deny among the denials, no Allow in the role would lift it."""
    ev = denials(
        node(
            "ERROR",
            "User: arn:aws:sts::123456789012:assumed-role/checkout-api-role/checkout-api is not "
            "authorized to perform: kinesis:PutRecord on resource: "
            "arn:aws:kinesis:eu-west-1:123456789012:stream/clicks with an explicit deny in a "
            "resource-based policy",
        ),
        node(
            "ERROR",
            "put failed: HTTP/2 403 Forbidden (StatusCode: 403, RequestID: 7f3c1a2e-55d0) "
            "AccessDenied: Access Denied",
        ),
        repeat=2,
    )()
    result = run(ev, "permission")
    assert result.status is FAIL
    assert result.title == (
        "Access denied: kinesis:PutRecord on arn:aws:kinesis:eu-west-1:123456789012:stream/clicks"
    )
    has(result.evidence, "2 denials that name no action", "allowing it in the role will not help")
    has(result.next_steps, "--action-names kinesis:PutRecord", "aws kinesis get-resource-policy")
    has(result.next_steps, "holds a Deny matching kinesis:PutRecord")
    lacks(result.next_steps, "StatusCode", "put-role-policy", "Fix: allow the role")


def test_denials_naming_no_action_are_counted_not_simulated() -> None:
    line = py("ERROR", "upload rejected: HTTP/1.1 403 Forbidden (StatusCode: 403) AccessDenied")
    result = run(denials(line, repeat=3)(), "permission")
    assert result.status is FAIL
    lacks([result.title], "other action")
    has(result.evidence, "3 denials that name no action")
    lacks(result.next_steps, "simulate-principal-policy", "put-role-policy", "StatusCode")


def test_only_an_init_re_run_inside_the_invocation_counts_against_its_timeout() -> None:
    """On demand, init runs before the invocation: a cold timeout did not spend its init inside
    its timeout. An init that failed and ran again in the invoke phase did."""
    logs = Logs()
    logs.healthy(30)
    for _ in range(2):
        logs.invoke(logs.stream(), init_ms=2400.0, duration_ms=6000.0, timeout_s=6.0)
    cold_only = run(evidence(logs), "timeout")
    assert cold_only.status is FAIL
    lacks(cold_only.evidence, "counts against the timeout", "cold start")
    env = logs.stream()
    at = logs.clock_ms
    logs.emit(env, at, "INIT_START Runtime Version: nodejs:20.v31\tRuntime Version ARN: x")
    logs.emit(env, at + 900, "INIT_REPORT Init Duration: 900.12 ms\tPhase: init\tStatus: error")
    logs.clock_ms = at + 950
    rid = logs.invoke(env, duration_ms=6000.0, init_ms=None, timeout_s=6.0, report=False)
    logs.emit(
        env, logs.clock_ms, "INIT_REPORT Init Duration: 5999.80 ms\tPhase: invoke\tStatus: timeout"
    )
    logs.emit(
        env,
        logs.clock_ms + 1,
        f"REPORT RequestId: {rid}\tDuration: 6000.00 ms\tBilled Duration: 6000 ms\t"
        "Memory Size: 256 MB\tMax Memory Used: 80 MB\tStatus: timeout",
    )
    rerun = run(evidence(logs), "timeout")
    has(rerun.evidence, "1 of them re-ran a failed init inside the invocation")


def test_an_invocation_that_timed_out_then_was_killed_still_timed_out() -> None:
    """`Task timed out`, then the runtime killed at its memory limit: the kill is the status,
    and the timeout still happened (not 'close to timing out')."""
    logs = Logs()
    logs.healthy(20)
    for _ in range(2):
        logs.invoke(
            logs.stream(),
            timeout_s=5.0,
            status="error",
            error_type="Runtime.OutOfMemory",
            memory_mb=256,
            used_mb=256,
            app=["{ts}\t{rid}\tERROR\tRuntime exited with error: signal: killed"],
        )
    result = run(with_config(logs, timeout_s=5.0), "timeout")
    assert result.status is FAIL
    has([result.title], "2 invocations timed out at 5 s")


@pytest.mark.parametrize(
    "kill",
    [
        py_unhandled("MemoryError", "Unable to allocate 3.1 GiB for an array"),
        "PHP Fatal error:  Allowed memory size of 134217728 bytes exhausted (tried to allocate"
        " 20480 bytes) in /var/task/src/Report.php on line 88",
        "Error: Runtime exited with error: signal: killed",
    ],
)
def test_the_memory_search_finds_the_kills_it_quotes(kill: str) -> None:
    result = run(out_of_memory((kill,))(), "memory")
    assert result.status is FAIL
    search = next(s for s in result.commands if "--filter-pattern" in s)
    quoted = [line.removeprefix("› ") for line in result.evidence if line.startswith("› ")]
    assert quoted
    assert "Max Memory Used" not in search
    assert "platform.report" not in search
    terms = [t.split('"')[1] for t in search.split("--filter-pattern ", 1)[1].split('?"')[1:]]
    assert all(any(term in line for term in terms) for line in quoted), (search, quoted)
