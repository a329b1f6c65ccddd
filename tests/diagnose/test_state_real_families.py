"""Memory at Lambda's ceiling, pools and databases failing alone in a pasted snippet, and AWS
endpoints out of reach from a VPC under the names the SDKs really use: the families the real-log
corpus showed read or advised wrong (tests/reallogs, branch statelogs). Every line here is written
for the test, in the shape of the real ones."""

from __future__ import annotations

from expect import config, has, lacks, run
from lambdalogs import FUNCTION, REGION, Logs, evidence, node

from lambdatop.commands.diagnose import evidence_from_export
from lambdatop.core.export import read_export
from lambdatop.core.records import VpcConfig
from lambdatop.diagnose.checks import connection_pool, database, memory, vpc
from lambdatop.diagnose.evidence import Evidence
from lambdatop.diagnose.model import CheckStatus

RID = "5d1f0a2b-6c3e-4f70-9a81-b2c3d4e5f607"
OTHER = "8e2a1b3c-4d5e-4f60-8a71-c2d3e4f5a607"


def exported(text: str) -> Evidence:
    return evidence_from_export(
        read_export(text.encode()), function=FUNCTION, region=REGION, since_s=None
    )


def out_of_memory_at(size_mb: int) -> str:
    return (
        f"START RequestId: {RID} Version: $LATEST\n"
        f"END RequestId: {RID}\n"
        f"REPORT RequestId: {RID}\tDuration: 84211.07 ms\tBilled Duration: 84212 ms\t"
        f"Memory Size: {size_mb} MB\tMax Memory Used: {size_mb} MB\t"
        "Status: error\tError Type: Runtime.OutOfMemory\n"
    )


def test_out_of_memory_at_the_ceiling_is_not_told_to_raise_memory() -> None:
    for size in (10_240, 10_000):
        result = run(exported(out_of_memory_at(size)), "memory")
        assert result.status is CheckStatus.FAIL
        has(result.evidence, f"{size} / {size} MB")
        has(result.next_steps, "ceiling of 10,240 MB", "split the work")
        lacks(result.next_steps, "--memory-size", "raise memory from")


def test_out_of_memory_below_the_ceiling_is_raised_up_to_it() -> None:
    result = run(exported(out_of_memory_at(8_192)), "memory")
    assert result.status is CheckStatus.FAIL
    has(result.next_steps, "raise memory from 8192 MB to 10240 MB", "--memory-size 10240")
    lacks(result.next_steps, memory.AT_CEILING.text)


PRISMA_POOL = (
    "PrismaClientKnownRequestError: Timed out fetching a new connection from the connection pool."
    " More info: http://pris.ly/d/connection-pool (Current connection pool timeout: 10,"
    " connection limit: 1)\n"
)
PRISMA_2_POOL = (
    "Error: Timed out fetching a new connection from the pool. Please consider reducing the"
    " number of requests. Current limit: 2.\n"
)
KNEX_POOL = (
    "KnexTimeoutError: Knex: Timeout acquiring a connection. The pool is probably full."
    " Are you missing a .transacting(trx) call?\n"
    "    at Client_PG.acquireConnection (/var/task/node_modules/knex/lib/client.js:312:26)\n"
)


def test_a_pool_timeout_alone_in_a_snippet_fails_and_says_the_pool_size() -> None:
    result = run(exported(PRISMA_POOL), "connection_pool")
    assert result.status is CheckStatus.FAIL
    has(result.evidence, "up to 1 connection per environment")
    # One connection per environment is already as small as a pool gets.
    lacks(result.next_steps, "size the pool at 1-2")
    has(result.next_steps, connection_pool.CANNOT_OPEN.text)
    older = run(exported(PRISMA_2_POOL), "connection_pool")
    has(older.evidence, "up to 2 connections per environment")


def test_a_pool_that_cannot_hand_out_a_connection_may_be_one_that_cannot_open_one() -> None:
    result = run(exported(KNEX_POOL), "connection_pool")
    assert result.status is CheckStatus.FAIL
    has(result.next_steps, "finally block", "security group may reach the database's port")


def test_one_pool_timeout_among_many_good_invocations_only_warns() -> None:
    logs = Logs()
    logs.healthy(300)
    logs.invoke(logs.stream(), app=(node("ERROR", PRISMA_POOL.strip()),))
    result = run(evidence(logs), "connection_pool")
    # One request in 301 is under the share that fails the check: the snippet rule is not it.
    assert result.status is CheckStatus.WARN


TOO_MANY_CLIENTS = (
    "error: sorry, too many clients already\n    at Parser.parseErrorMessage"
    " (/var/task/node_modules/pg-protocol/dist/parser.js:287:98)\n"
)


def test_the_database_out_of_slots_alone_in_a_snippet_fails() -> None:
    result = run(exported(TOO_MANY_CLIENTS), "database")
    assert result.status is CheckStatus.FAIL
    has(result.next_steps, "out of connection slots", "RDS Proxy")


MONGO_UNSET = (
    "MongoServerSelectionError: Server selection timed out after 30000 ms"
    " (servers: 'undefined:27017')\n"
)
MONGO_LOCAL = "MongoServerSelectionError: connect ECONNREFUSED 127.0.0.1:27017\n"


def test_a_mongo_server_never_selected_is_a_database_out_of_reach() -> None:
    result = run(exported("MongoServerSelectionError: Server selection timed out\n"), "database")
    assert result.status is CheckStatus.FAIL
    has(result.next_steps, "the database could not be reached")


def test_a_database_host_no_deployment_has_is_a_variable_not_set() -> None:
    for text, endpoint in ((MONGO_UNSET, "undefined:27017"), (MONGO_LOCAL, "127.0.0.1:27017")):
        result = run(exported(text), "database")
        assert result.status is CheckStatus.FAIL, text
        has([result.title], endpoint)
        has(result.next_steps, f"the driver connects to {endpoint}", "keys(Environment.Variables)")
    named = run(exported(MONGO_UNSET.replace("undefined", "orders.abc123.mongodb.net")), "database")
    lacks(named.next_steps, "the driver connects to", "Environment.Variables")


def in_vpc(text: str) -> Evidence:
    ev = exported(text)
    ev.config = config(
        vpc=VpcConfig(
            subnet_ids=("subnet-0a1b2c3d", "subnet-4e5f6a7b"),
            security_group_ids=("sg-0123abcd",),
            vpc_id="vpc-0f1e2d3c",
        )
    )
    return ev


LEGACY_SQS = (
    f"[ERROR]\t2026-11-02T08:00:31.004Z\t{RID}\tConnectTimeoutError: Connect timeout on endpoint"
    ' URL: "https://eu-west-1.queue.amazonaws.com/"\n'
)
GLOBAL_SQS = (
    'Connect timeout on endpoint URL: "https://queue.amazonaws.com/": ConnectTimeoutError\n'
)


def test_sqs_legacy_hosts_are_sqs_in_their_region_and_told_to_move_off_them() -> None:
    result = run(in_vpc(LEGACY_SQS), "vpc")
    assert result.status is CheckStatus.FAIL
    has([result.title], "Connections to sqs time out from inside the VPC")
    has(
        result.next_steps,
        "VPC endpoint com.amazonaws.eu-west-1.sqs to vpc-0f1e2d3c",
        "SQS's legacy endpoint",
        "https://sqs.eu-west-1.amazonaws.com",
    )
    lacks(result.next_steps, ".queue to")
    global_host = run(exported(GLOBAL_SQS), "vpc")
    has(
        global_host.next_steps, "com.amazonaws.us-east-1.sqs", "https://sqs.us-east-1.amazonaws.com"
    )


def test_the_current_sqs_host_gets_no_legacy_advice() -> None:
    current = LEGACY_SQS.replace("eu-west-1.queue.amazonaws.com", "sqs.eu-west-1.amazonaws.com")
    result = run(in_vpc(current), "vpc")
    has(result.next_steps, "com.amazonaws.eu-west-1.sqs")
    lacks(result.next_steps, "legacy")


def test_s3_and_dynamodb_are_given_a_gateway_endpoint() -> None:
    for host, service in (
        ("reports-2026.s3.eu-west-1.amazonaws.com", "s3"),
        ("dynamodb.eu-west-1.amazonaws.com", "dynamodb"),
    ):
        line = f'[ERROR] ConnectTimeoutError: Connect timeout on endpoint URL: "https://{host}/"\n'
        result = run(in_vpc(line), "vpc")
        assert result.status is CheckStatus.FAIL, host
        has(
            result.next_steps,
            f"gateway endpoint com.amazonaws.eu-west-1.{service} to vpc-0f1e2d3c",
            "route tables of the function's subnets",
        )


RUBY_OPEN_TIMEOUT = (
    '[Aws::SNS::Client 0 61.902114 3 retries] publish(topic_arn:"arn:aws:sns:eu-west-1:'
    '123456789012:orders") Seahorse::Client::NetworkingError execution expired\n'
)


def test_the_ruby_sdks_open_timeout_is_its_service_out_of_reach() -> None:
    result = run(in_vpc(RUBY_OPEN_TIMEOUT), "vpc")
    assert result.status is CheckStatus.FAIL
    has([result.title], "Connections to sns time out")
    has(result.next_steps, "com.amazonaws.eu-west-1.sns")


READ_TIMEOUT = (
    'Read timeout on endpoint URL: "https://firehose.eu-west-1.amazonaws.com/": ReadTimeoutError\n'
)


def test_a_read_timeout_is_a_slow_answer_not_a_missing_route() -> None:
    result = run(in_vpc(READ_TIMEOUT), "vpc")
    assert result.status is not CheckStatus.OK
    lacks([result.title], "no route")
    has(result.next_steps, "answered too slowly", "retry with backoff")
    lacks(result.next_steps, "VPC endpoint com.amazonaws", vpc.GATEWAY_FIX[:20])
    assert database.UNSET_HOST  # the database check's own words are not the VPC's


RDS_PROXY = (
    "SequelizeConnectionError: Timed-out waiting to acquire database connection\n"
    "    at ConnectionManager.connect (/var/task/node_modules/sequelize/lib/dialects/mysql/"
    "connection-manager.js:126:17)\n"
)


def test_rds_proxys_borrow_timeout_is_the_proxys_not_a_slow_query() -> None:
    result = run(exported(RDS_PROXY), "database")
    assert result.status is CheckStatus.FAIL
    has(
        result.next_steps,
        "aws rds describe-db-proxy-targets --db-proxy-name '<db-proxy>'",
        database.PROXY_BORROW.text,
    )
    lacks(result.next_steps, database.SLOW_QUERIES.text)


EC2_API = '[ERROR] ConnectTimeoutError: Connect timeout on endpoint URL: "https://ec2.eu-central-1.amazonaws.com/"\n'
ENI_LIMIT = (
    "EC2ThrottledException: Lambda was throttled by Amazon EC2 during Lambda function"
    " initialization using the role provided for the function.\n"
)


def test_the_ec2_api_out_of_reach_is_an_endpoint_not_an_eni_lambda_cannot_attach() -> None:
    result = run(in_vpc(EC2_API), "vpc")
    assert result.status is CheckStatus.FAIL
    has([result.title], "Connections to ec2 time out from inside the VPC")
    has(result.next_steps, "com.amazonaws.eu-central-1.ec2 to vpc-0f1e2d3c", "no public IP")
    lacks(result.next_steps, vpc.ATTACH_FIX.text)
    attaching = run(in_vpc(ENI_LIMIT), "vpc")
    has([attaching.title], "Lambda cannot attach to the VPC")


APM_RESET = (
    f"2026-11-02T08:00:31.004Z\t{RID}\tINFO\tintercepted call to https.get {{ id: null }}\n"
    f"2026-11-02T08:00:31.262Z\t{RID}\tERROR\tAPM Server transport error (ECONNRESET):"
    " socket hang up\n"
)


def test_an_apm_agent_that_cannot_reach_its_server_is_telemetry_lost() -> None:
    result = run(exported(APM_RESET), "vpc")
    assert result.status is CheckStatus.WARN
    assert result.title == vpc.TELEMETRY_LOST
    has(result.next_steps, "an APM server")


JAVA_CONNECT = (
    "com.amazonaws.SdkClientException: Unable to execute HTTP request: Connect to"
    " sqs.ap-southeast-2.amazonaws.com:443 [sqs.ap-southeast-2.amazonaws.com/52.95.128.4]"
    " failed: connect timed out\n"
)
JAVA_READ = (
    "software.amazon.awssdk.core.exception.SdkClientException: Unable to execute HTTP request:"
    " Read timed out\n"
)


def test_the_java_sdks_wrapper_is_judged_by_the_cause_after_it() -> None:
    connect = run(in_vpc(JAVA_CONNECT), "vpc")
    assert connect.status is CheckStatus.FAIL
    has(connect.next_steps, "com.amazonaws.ap-southeast-2.sqs to vpc-0f1e2d3c")
    read = run(in_vpc(JAVA_READ), "vpc")
    lacks([read.title], "no route")
    has(read.next_steps, "answered too slowly")


def test_a_failed_lookup_names_its_host() -> None:
    result = run(
        exported("Error: getaddrinfo EAI_AGAIN dynamodb.ap-southeast-2.amazonaws.com\n"), "vpc"
    )
    assert result.title == "DNS lookups fail (dynamodb.ap-southeast-2.amazonaws.com)"
