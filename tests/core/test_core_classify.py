"""The error families in the wordings of every runtime and SDK (boto3/botocore, AWS SDK for
JavaScript v2 and v3, Java SDK v1 and v2, Go SDK v1 and v2, database drivers), with the service,
action, resource and endpoint pulled out; and the ordinary lines that must not be classified."""

from __future__ import annotations

from typing import Any

import pytest
from core_corpus import ROLE, TABLE

from lambdatop.core.classify import classify, is_connection_limit
from lambdatop.core.parse import parse
from lambdatop.core.records import ErrorFamily

P = ErrorFamily.PERMISSION
T = ErrorFamily.THROTTLING
POOL = ErrorFamily.CONNECTION_POOL
DB = ErrorFamily.DATABASE
NET = ErrorFamily.NETWORK
INIT = ErrorFamily.INIT
OOM = ErrorFamily.OUT_OF_MEMORY

RDS = "orders-db.cluster-abc123xyz.us-east-1.rds.amazonaws.com"
NODE_V3_STACK = (
    "\n    at throwDefaultError (/var/runtime/node_modules/@aws-sdk/smithy-client/dist-cjs/"
    "default-error-handler.js:8:22)\n    at de_{op}CommandError (/var/runtime/node_modules/"
    "@aws-sdk/client-{client}/dist-cjs/index.js:2210:14)"
)

PERMISSION = [
    pytest.param(
        "[ERROR] ClientError: An error occurred (AccessDeniedException) when calling the PutItem "
        f"operation: User: {ROLE} is not authorized to perform: dynamodb:PutItem on resource: "
        f"{TABLE} because no identity-based policy allows the dynamodb:PutItem action",
        {"service": "dynamodb", "action": "dynamodb:PutItem", "resource": TABLE},
        id="boto3-dynamodb-identity-policy",
    ),
    pytest.param(
        "botocore.exceptions.ClientError: An error occurred (AccessDenied) when calling the "
        "GetObject operation: Access Denied",
        {"service": "s3", "action": "s3:GetObject", "resource": None},
        id="boto3-s3-access-denied",
    ),
    pytest.param(
        "An error occurred (AccessDenied) when calling the PutObject operation: Access Denied",
        {"service": "s3", "action": "s3:PutObject"},
        id="boto3-s3-put",
    ),
    pytest.param(
        "An error occurred (403) when calling the HeadObject operation: Forbidden",
        {"service": "s3", "action": "s3:HeadObject"},
        id="boto3-s3-head-403",
    ),
    pytest.param(
        "An error occurred (AccessDenied) when calling the GetObject operation: User: "
        f"{ROLE} is not authorized to perform: s3:GetObject on resource: "
        '"arn:aws:s3:::invoices-prod/2026/03/inv-1.pdf" because no identity-based policy allows '
        "the s3:GetObject action",
        {
            "service": "s3",
            "action": "s3:GetObject",
            "resource": "arn:aws:s3:::invoices-prod/2026/03/inv-1.pdf",
        },
        id="boto3-s3-quoted-resource",
    ),
    pytest.param(
        '{"timestamp": "2026-03-02T09:14:55Z", "log_level": "ERROR", "errorMessage": "An error '
        "occurred (AccessDenied) when calling the GetObject operation: User: "
        f"{ROLE} is not authorized to perform: s3:GetObject on resource: "
        '\\"arn:aws:s3:::acme-reports/2026/03/x.csv\\" because no identity-based policy allows '
        'the s3:GetObject action", "errorType": "ClientError", "requestId": "r1"}',
        {
            "service": "s3",
            "action": "s3:GetObject",
            "resource": "arn:aws:s3:::acme-reports/2026/03/x.csv",
        },
        id="python-json-format-escaped-quotes",
    ),
    pytest.param(
        f"AccessDenied: User: {ROLE}\nis not authorized to perform: s3:GetObject on resource: "
        "arn:aws:s3:::bucket/key",
        {"service": "s3", "action": "s3:GetObject", "resource": "arn:aws:s3:::bucket/key"},
        id="guide-two-lines",
    ),
    pytest.param(
        f"User: {ROLE} is not authorized to perform: dynamodb:GetItem on resource: "
        "arn:aws:dynamodb:eu-west-1:123456789012:table/orders/index/by-customer.",
        {
            "service": "dynamodb",
            "action": "dynamodb:GetItem",
            "resource": "arn:aws:dynamodb:eu-west-1:123456789012:table/orders/index/by-customer",
        },
        id="index-resource-trailing-dot",
    ),
    pytest.param(
        "An error occurred (AccessDeniedException) when calling the SendMessage operation: User: "
        f"{ROLE} is not authorized to perform: sqs:SendMessage on resource: "
        "arn:aws:sqs:us-east-1:123456789012:orders-queue with an explicit deny in a service "
        "control policy",
        {
            "service": "sqs",
            "action": "sqs:SendMessage",
            "resource": "arn:aws:sqs:us-east-1:123456789012:orders-queue",
        },
        id="explicit-deny-scp",
    ),
    pytest.param(
        f"AccessDeniedException: User: {ROLE} is not authorized to perform: lambda:InvokeFunction "
        "on resource: arn:aws:lambda:us-east-1:123456789012:function:billing because no "
        "resource-based policy allows the lambda:InvokeFunction action",
        {
            "service": "lambda",
            "action": "lambda:InvokeFunction",
            "resource": "arn:aws:lambda:us-east-1:123456789012:function:billing",
        },
        id="resource-policy",
    ),
    pytest.param(
        f"AccessDeniedException: User: {ROLE} is not authorized to perform: "
        "secretsmanager:GetSecretValue on resource: prod/db/password because no identity-based "
        "policy allows the secretsmanager:GetSecretValue action",
        {
            "service": "secretsmanager",
            "action": "secretsmanager:GetSecretValue",
            "resource": "prod/db/password",
        },
        id="js-v3-secret-name",
    ),
    pytest.param(
        "Lambda was unable to decrypt the environment variables because KMS access was denied. "
        "Please check the function's KMS key settings. KMS Exception: AccessDeniedException KMS "
        f"Message: User: {ROLE} is not authorized to perform: kms:Decrypt on resource: "
        "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
        {
            "service": "kms",
            "action": "kms:Decrypt",
            "resource": "arn:aws:kms:us-east-1:123456789012:key/"
            "1234abcd-12ab-34cd-56ef-1234567890ab",
        },
        id="kms-env-vars",
    ),
    pytest.param(
        '{"errorType":"KMSAccessDeniedException","errorMessage":"Lambda was unable to decrypt the '
        'environment variables because KMS access was denied."}',
        {"service": "kms", "action": "kms:Decrypt"},
        id="kms-access-denied-exception",
    ),
    pytest.param(
        "An error occurred (AuthorizationError) when calling the Publish operation: User: "
        f"{ROLE} is not authorized to perform: SNS:Publish on resource: "
        "arn:aws:sns:us-east-1:123456789012:alerts because no identity-based policy allows the "
        "SNS:Publish action",
        {
            "service": "sns",
            "action": "sns:Publish",
            "resource": "arn:aws:sns:us-east-1:123456789012:alerts",
        },
        id="sns-upper-prefix",
    ),
    pytest.param(
        "An error occurred (AccessDenied) when calling the AssumeRole operation: User: "
        f"{ROLE} is not authorized to perform: sts:AssumeRole on resource: "
        "arn:aws:iam::999999999999:role/cross-account-reader",
        {
            "service": "sts",
            "action": "sts:AssumeRole",
            "resource": "arn:aws:iam::999999999999:role/cross-account-reader",
        },
        id="sts-assume-role",
    ),
    pytest.param(
        f"User: {ROLE} is not authorized to perform: iam:PassRole on resource: "
        "arn:aws:iam::123456789012:role/step-role",
        {"service": "iam", "action": "iam:PassRole"},
        id="iam-pass-role",
    ),
    pytest.param(
        "An error occurred (UnauthorizedOperation) when calling the DescribeInstances operation: "
        "You are not authorized to perform this operation.",
        {"action": "DescribeInstances"},
        id="ec2-unauthorized-operation",
    ),
    pytest.param(
        "software.amazon.awssdk.services.s3.model.S3Exception: Access Denied (Service: S3, Status "
        "Code: 403, Request ID: 8XKT9X2Q4W1ZKQ3M, Extended Request ID: abc=)",
        {"service": "s3"},
        id="java-v2-s3",
    ),
    pytest.param(
        "com.amazonaws.services.s3.model.AmazonS3Exception: Access Denied (Service: Amazon S3; "
        "Status Code: 403; Error Code: AccessDenied; Request ID: 6Q7X; S3 Extended Request ID: x=)",
        {"service": "s3"},
        id="java-v1-s3",
    ),
    pytest.param(
        "com.amazonaws.services.dynamodbv2.model.AmazonDynamoDBException: User: "
        f"{ROLE} is not authorized to perform: dynamodb:PutItem on resource: {TABLE} (Service: "
        "AmazonDynamoDBv2; Status Code: 400; Error Code: AccessDeniedException; Request ID: Q1)",
        {"service": "dynamodb", "action": "dynamodb:PutItem", "resource": TABLE},
        id="java-v1-dynamodb",
    ),
    pytest.param(
        "software.amazon.awssdk.services.dynamodb.model.DynamoDbException: Access denied "
        "(Service: DynamoDb, Status Code: 400, Request ID: ABC) AccessDeniedException",
        {"service": "dynamodb"},
        id="java-v2-dynamodb-service-name",
    ),
    pytest.param(
        "operation error S3: GetObject, https response error StatusCode: 403, RequestID: "
        "XR9Q, HostID: abc=, api error AccessDenied: Access Denied",
        {"service": "s3", "action": "s3:GetObject"},
        id="go-v2-s3",
    ),
    pytest.param(
        "operation error DynamoDB: PutItem, https response error StatusCode: 400, RequestID: X, "
        f"api error AccessDeniedException: User: {ROLE} is not authorized to perform: "
        f"dynamodb:PutItem on resource: {TABLE}",
        {"service": "dynamodb", "action": "dynamodb:PutItem", "resource": TABLE},
        id="go-v2-dynamodb",
    ),
    pytest.param(
        f"AccessDeniedException: User: {ROLE} is not authorized to perform: dynamodb:Query on "
        f"resource: {TABLE}\n\tstatus code: 400, request id: 4PBG",
        {"service": "dynamodb", "action": "dynamodb:Query"},
        id="go-v1",
    ),
    pytest.param(
        "AccessDenied: Access Denied" + NODE_V3_STACK.format(op="GetObject", client="s3"),
        {"service": "s3", "action": "s3:GetObject"},
        id="js-v3-stack",
    ),
    pytest.param(
        "AccessDeniedException: User is not authorized"
        + NODE_V3_STACK.format(op="GetSecretValue", client="secrets-manager"),
        {"service": "secretsmanager", "action": "secretsmanager:GetSecretValue"},
        id="js-v3-secrets-manager-stack",
    ),
    pytest.param(
        f"AccessDeniedException: User: {ROLE} is not authorized to perform: ssm:GetParameter on "
        "resource: arn:aws:ssm:us-east-1:123456789012:parameter/app/config\n  code: "
        "'AccessDeniedException',\n  statusCode: 400,\n  retryable: false",
        {
            "service": "ssm",
            "action": "ssm:GetParameter",
            "resource": "arn:aws:ssm:us-east-1:123456789012:parameter/app/config",
        },
        id="js-v2",
    ),
    pytest.param(
        "ForbiddenException: Forbidden",
        {},
        id="forbidden-exception",
    ),
    pytest.param(
        "is not authorized to perform: logs:CreateLogStream on resource: "
        "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/x:log-stream:y",
        {"service": "logs", "action": "logs:CreateLogStream"},
        id="logs",
    ),
    pytest.param(
        f"User: {ROLE} is not authorized to perform: kinesis:PutRecords on resource: "
        "arn:aws:kinesis:us-east-1:123456789012:stream/clicks with an explicit deny in an "
        "identity-based policy",
        {"service": "kinesis", "action": "kinesis:PutRecords"},
        id="explicit-deny-identity",
    ),
]

THROTTLING = [
    pytest.param(
        "An error occurred (ThrottlingException) when calling the PutMetricData operation "
        "(reached max retries: 4): Rate exceeded",
        {"service": "cloudwatch", "action": "cloudwatch:PutMetricData"},
        id="boto3-cloudwatch",
    ),
    pytest.param(
        "An error occurred (ProvisionedThroughputExceededException) when calling the PutItem "
        "operation (reached max retries: 9): The level of configured provisioned throughput for "
        "the table was exceeded. Consider increasing your provisioning level with the "
        "UpdateTable API.",
        {"service": "dynamodb", "action": "dynamodb:PutItem"},
        id="boto3-dynamodb-provisioned",
    ),
    pytest.param(
        "An error occurred (ProvisionedThroughputExceededException) when calling the PutRecords "
        "operation: Rate exceeded for shard shardId-000000000001 in stream clicks under account "
        "123456789012.",
        {"service": "kinesis", "action": "kinesis:PutRecords"},
        id="boto3-kinesis-provisioned",
    ),
    pytest.param(
        "ProvisionedThroughputExceededException: Rate exceeded for shard shardId-000000000003 in "
        "stream orders under account 123456789012.",
        {"service": "kinesis"},
        id="js-kinesis-no-operation",
    ),
    pytest.param(
        "ProvisionedThroughputExceededException: The level of configured provisioned throughput "
        "for the table was exceeded.",
        {"service": "dynamodb"},
        id="js-dynamodb-no-operation",
    ),
    pytest.param(
        "software.amazon.awssdk.services.dynamodb.model.ProvisionedThroughputExceededException: "
        "Throughput exceeds the current capacity of your table or index. (Service: DynamoDb, "
        "Status Code: 400, Request ID: ABC)",
        {"service": "dynamodb"},
        id="java-v2-dynamodb",
    ),
    pytest.param(
        "com.amazonaws.services.kinesis.model.ProvisionedThroughputExceededException: Rate "
        "exceeded for shard shardId-000000000000 in stream s under account 1. (Service: "
        "AmazonKinesis; Status Code: 400; Error Code: ProvisionedThroughputExceededException)",
        {"service": "kinesis"},
        id="java-v1-kinesis",
    ),
    pytest.param(
        "operation error DynamoDB: BatchWriteItem, exceeded maximum number of attempts, 3, https "
        "response error StatusCode: 400, RequestID: X, ProvisionedThroughputExceededException: "
        "The level of configured provisioned throughput for one or more global secondary indexes "
        "of the table was exceeded.",
        {"service": "dynamodb", "action": "dynamodb:BatchWriteItem"},
        id="go-v2-dynamodb",
    ),
    pytest.param(
        "An error occurred (SlowDown) when calling the PutObject operation (reached max retries: "
        "4): Please reduce your request rate.",
        {"service": "s3", "action": "s3:PutObject"},
        id="boto3-s3-slowdown",
    ),
    pytest.param(
        "SlowDown: Please reduce your request rate.",
        {"service": "s3"},
        id="js-s3-slowdown",
    ),
    pytest.param(
        "An error occurred (RequestLimitExceeded) when calling the DescribeInstances operation "
        "(reached max retries: 4): Request limit exceeded.",
        {"action": "DescribeInstances"},
        id="ec2-request-limit",
    ),
    pytest.param(
        "An error occurred (TooManyRequestsException) when calling the Invoke operation (reached "
        "max retries: 4): Rate Exceeded.",
        {"service": "lambda", "action": "lambda:Invoke"},
        id="boto3-lambda-invoke",
    ),
    pytest.param(
        "TooManyRequestsException: Rate Exceeded."
        + NODE_V3_STACK.format(op="Invoke", client="lambda"),
        {"service": "lambda", "action": "lambda:Invoke"},
        id="js-v3-lambda",
    ),
    pytest.param(
        "ThrottlingException: Rate exceeded\n  code: 'ThrottlingException',\n  statusCode: 400",
        {},
        id="js-v2-throttling",
    ),
    pytest.param(
        "An error occurred (ThrottlingException) when calling the GetParameter operation "
        "(reached max retries: 4): Rate exceeded",
        {"service": "ssm", "action": "ssm:GetParameter"},
        id="boto3-ssm",
    ),
    pytest.param(
        "An error occurred (ThrottlingException) when calling the Decrypt operation: You have "
        "exceeded the rate at which you may call KMS. Reduce the frequency of your calls.",
        {"service": "kms", "action": "kms:Decrypt"},
        id="boto3-kms",
    ),
    pytest.param(
        "An error occurred (Throttling) when calling the Publish operation: Rate exceeded",
        {"service": "sns", "action": "sns:Publish"},
        id="boto3-sns-throttling-code",
    ),
    pytest.param(
        "Throttling: Rate exceeded\n    at Request.extractError (/var/task/node_modules/aws-sdk/"
        "lib/protocol/query.js:50:29)",
        {},
        id="js-v2-throttling-code",
    ),
    pytest.param(
        "Request failed with status code 429: Too Many Requests",
        {"service": None},
        id="third-party-429",
    ),
    pytest.param(
        "LimitExceededException: Rate exceeded for stream orders under account 123456789012.",
        {},
        id="limit-exceeded",
    ),
    pytest.param(
        "operation error SQS: SendMessage, exceeded maximum number of attempts, 3, https "
        "response error StatusCode: 400, RequestID: X, api error ThrottlingException: "
        "Rate exceeded",
        {"service": "sqs", "action": "sqs:SendMessage"},
        id="go-v2-sqs",
    ),
    pytest.param(
        "software.amazon.awssdk.services.sfn.model.SfnException: Rate exceeded (Service: Sfn, "
        "Status Code: 400, Request ID: X) ThrottlingException",
        {"service": "states"},
        id="java-v2-step-functions",
    ),
]

POOLS = [
    pytest.param(
        "Timed out fetching a new connection from the pool. Please consider reducing the number"
        " of requests or increasing the `connection_limit` parameter. Current limit: 1.",
        {},
        id="prisma-2-pool",
    ),
    pytest.param(
        "sqlalchemy.exc.TimeoutError: QueuePool limit of size 5 overflow 10 reached, connection "
        "timed out, timeout 30.00 (Background on this error at: https://sqlalche.me/e/20/3o7r)",
        {"endpoint": None},
        id="sqlalchemy-queuepool",
    ),
    pytest.param(
        "java.sql.SQLTransientConnectionException: HikariPool-1 - Connection is not available, "
        "request timed out after 30000ms.",
        {},
        id="hikari",
    ),
    pytest.param(
        "HikariPool-1 - Connection is not available, request timed out after 30005ms (total=10, "
        "active=10, idle=0, waiting=3)",
        {},
        id="hikari-new",
    ),
    pytest.param(
        "Failed to obtain JDBC Connection; nested exception is java.sql.SQLTransientConnection"
        "Exception: HikariPool-1 - Connection is not available, request timed out after 30000ms.",
        {},
        id="spring-hikari",
    ),
    pytest.param(
        "Error: timeout exceeded when trying to connect\r    at /var/task/node_modules/pg-pool/"
        "index.js:45:11",
        {"endpoint": None},
        id="node-postgres",
    ),
    pytest.param(
        "KnexTimeoutError: Knex: Timeout acquiring a connection. The pool is probably full. Are "
        "you missing a .transacting(trx) call?",
        {},
        id="knex",
    ),
    pytest.param("SequelizeConnectionAcquireTimeoutError: Operation timeout", {}, id="sequelize"),
    pytest.param("TimeoutError: ResourceRequest timed out", {}, id="generic-pool"),
    pytest.param(
        "org.apache.commons.dbcp2.SQLException: Cannot get a connection, pool error Timeout "
        "waiting for idle object",
        {},
        id="dbcp",
    ),
    pytest.param("psycopg2.pool.PoolError: connection pool exhausted", {}, id="psycopg2-pool"),
    pytest.param(
        "Timed out fetching a new connection from the connection pool. More info: "
        "http://pris.ly/d/connection-pool (Current connection pool timeout: 10, "
        "connection limit: 5)",
        {"endpoint": None},
        id="prisma",
    ),
    pytest.param(
        "java.sql.SQLException: An attempt by a client to checkout a Connection has timed out.",
        {},
        id="c3p0",
    ),
    pytest.param("Error: No connections available.", {}, id="mysql-pool"),
    pytest.param("Unable to acquire JDBC Connection", {}, id="hibernate"),
]

DATABASES = [
    pytest.param(
        "SequelizeConnectionError: Timed-out waiting to acquire database connection",
        {"signature": "Timed-out waiting to acquire database connection"},
        id="rds-proxy-borrow-timeout",
    ),
    pytest.param(
        "pymongo.errors.ServerSelectionTimeoutError: cluster0-shard-00-01.ab1cd.mongodb.net:27017:"
        " timed out, Timeout: 30s",
        {"endpoint": "cluster0-shard-00-01.ab1cd.mongodb.net:27017"},
        id="pymongo-server-selection",
    ),
    pytest.param(
        "redis.exceptions.TimeoutError: Timeout connecting to server", {}, id="redis-py-timeout"
    ),
    pytest.param(
        "Npgsql.NpgsqlException (0x80004005): Exception while connecting\n ---> "
        "System.TimeoutException: The operation has timed out.",
        {},
        id="npgsql-connecting",
    ),
    pytest.param(
        "Error: Connection terminated due to connection timeout (db.example.com:5432)",
        {"endpoint": "db.example.com:5432"},
        id="node-postgres-connection-timeout",
    ),
    pytest.param(
        "psycopg2.OperationalError: could not connect to server: Connection timed out\n\tIs the "
        f'server running on host "{RDS}" (10.0.12.34) and accepting\n'
        "\tTCP/IP connections on port 5432?",
        {"endpoint": f"{RDS}:5432"},
        id="libpq-old",
    ),
    pytest.param(
        f'psycopg2.OperationalError: connection to server at "{RDS}" (10.0.12.34), port 5432 '
        "failed: Connection timed out\n\tIs the server running on that host and accepting TCP/IP "
        "connections?",
        {"endpoint": f"{RDS}:5432"},
        id="libpq-new",
    ),
    pytest.param(
        'connection to server at "10.0.1.5", port 5432 failed: FATAL:  password authentication '
        'failed for user "app"',
        {"endpoint": "10.0.1.5:5432"},
        id="libpq-auth",
    ),
    pytest.param(
        '{"level": "ERROR", "location": "get_conn:31", "message": "Database unavailable", '
        '"exception": "pymysql.err.OperationalError: (2003, \\"Can\'t connect to MySQL server '
        f"on '{RDS}' (timed out)\\\")\"}}",
        {"endpoint": RDS, "signature": "Can't connect to MySQL server"},
        id="powertools-location-is-not-the-endpoint",
    ),
    pytest.param(
        'psycopg2.OperationalError: connection to server at "db.internal" (10.0.1.5), port 5432 '
        "failed: FATAL:  sorry, too many clients already",
        {"endpoint": "db.internal:5432", "signature": "sorry, too many clients already"},
        id="too-many-clients",
    ),
    pytest.param(
        "FATAL: remaining connection slots are reserved for non-replication superuser connections",
        {},
        id="reserved-slots",
    ),
    pytest.param(
        "pymysql.err.OperationalError: (1040, 'Too many connections')", {}, id="mysql-1040"
    ),
    pytest.param("Error: ER_CON_COUNT_ERROR: Too many connections", {}, id="mysql-node-count"),
    pytest.param(
        "pymysql.err.OperationalError: (2003, \"Can't connect to MySQL server on "
        "'orders.cluster-xyz.eu-west-1.rds.amazonaws.com' (timed out)\")",
        {"endpoint": "orders.cluster-xyz.eu-west-1.rds.amazonaws.com"},
        id="mysql-2003",
    ),
    pytest.param(
        "pymysql.err.OperationalError: (2013, 'Lost connection to MySQL server during query "
        "([Errno 104] Connection reset by peer)')",
        {},
        id="mysql-lost-connection",
    ),
    pytest.param(
        "Error: connect ECONNREFUSED 10.0.2.15:3306",
        {"endpoint": "10.0.2.15:3306"},
        id="node-mysql-refused",
    ),
    pytest.param(
        "Error: connect ETIMEDOUT 10.0.3.7:5432\n    at TCPConnectWrap.afterConnect [as "
        "oncomplete] (node:net:1555:16)",
        {"endpoint": "10.0.3.7:5432"},
        id="node-pg-timedout",
    ),
    pytest.param(
        "MongoServerSelectionError: connect ECONNREFUSED 127.0.0.1:27017",
        {"endpoint": "127.0.0.1:27017"},
        id="mongo-refused",
    ),
    pytest.param(
        "MongoServerSelectionError: Server selection timed out after 30000 ms",
        {},
        id="mongo-selection",
    ),
    pytest.param(
        "MongoNetworkError: failed to connect to server [cluster0-shard-00-01.abcde.mongodb.net:"
        "27017] on first connect",
        {"endpoint": "cluster0-shard-00-01.abcde.mongodb.net:27017"},
        id="mongo-network",
    ),
    pytest.param(
        "Error: connect ECONNREFUSED 10.0.4.20:6379",
        {"endpoint": "10.0.4.20:6379"},
        id="redis-refused",
    ),
    pytest.param(
        "redis.exceptions.ConnectionError: Error 110 connecting to my-cache.abc123.0001.use1."
        "cache.amazonaws.com:6379. Connection timed out.",
        {"endpoint": "my-cache.abc123.0001.use1.cache.amazonaws.com:6379"},
        id="redis-py",
    ),
    pytest.param(
        "[ioredis] Unhandled error event: Error: connect ETIMEDOUT\n    at Socket.<anonymous> "
        "(/var/task/node_modules/ioredis/built/Redis.js:170:41)",
        {},
        id="ioredis-timeout",
    ),
    pytest.param(
        "PrismaClientInitializationError: Can't reach database server at"
        " `orders.cluster-c9x2.eu-west-1.rds.amazonaws.com`:`5432`\n\nPlease make sure your"
        " database server is running at `orders.cluster-c9x2.eu-west-1.rds.amazonaws.com`:`5432`.",
        {"endpoint": "orders.cluster-c9x2.eu-west-1.rds.amazonaws.com:5432"},
        id="prisma-p1001",
    ),
    pytest.param("Error: Connection terminated unexpectedly", {}, id="node-pg-terminated"),
    pytest.param(
        "Error: Connection terminated due to connection timeout", {}, id="node-pg-connect-timeout"
    ),
    pytest.param(
        "MaxRetriesPerRequestError: Reached the max retries per request limit (which is 20)."
        ' Refer to "maxRetriesPerRequest" option for details.',
        {},
        id="ioredis-gave-up",
    ),
    pytest.param(
        "psycopg2.errors.QueryCanceled: canceling statement due to statement timeout",
        {},
        id="statement-timeout",
    ),
    pytest.param(
        "org.postgresql.util.PSQLException: Connection to orders-db.internal:5432 refused. Check "
        "that the hostname and port are correct and that the postmaster is accepting TCP/IP "
        "connections.",
        {"endpoint": "orders-db.internal:5432"},
        id="jdbc-postgres",
    ),
    pytest.param(
        "com.mysql.cj.jdbc.exceptions.CommunicationsException: Communications link failure\n\n"
        "The last packet sent successfully to the server was 0 milliseconds ago.",
        {},
        id="jdbc-mysql",
    ),
    pytest.param(
        "dial tcp 10.0.3.7:5432: connect: connection refused",
        {"endpoint": "10.0.3.7:5432"},
        id="go-dial-refused",
    ),
    pytest.param(
        "failed to connect to `host=db.internal user=app database=orders`: dial error (dial tcp "
        "10.0.3.7:5432: i/o timeout)",
        {"endpoint": "10.0.3.7:5432"},
        id="go-pgx",
    ),
    pytest.param(
        "ConnectionError: Failed to connect to orders-sql.internal:1433 in 15000ms",
        {"endpoint": "orders-sql.internal:1433"},
        id="tedious-sqlserver",
    ),
    pytest.param(
        "Lock wait timeout exceeded; try restarting transaction",
        {},
        id="mysql-lock-wait",
    ),
    pytest.param("ERROR: deadlock detected", {}, id="pg-deadlock"),
    pytest.param(
        "server closed the connection unexpectedly\n\tThis probably means the server terminated "
        "abnormally\n\tbefore or while processing the request.",
        {},
        id="server-closed",
    ),
    pytest.param(
        "sqlalchemy.exc.OperationalError: (psycopg2.OperationalError) SSL connection has been "
        "closed unexpectedly",
        {},
        id="sqlalchemy-operational",
    ),
    pytest.param(
        f"getaddrinfo EAI_AGAIN {RDS}",
        {"endpoint": RDS},
        id="dns-of-rds-host",
    ),
    pytest.param(
        "(1045, \"Access denied for user 'app'@'10.0.1.5' (using password: YES)\")",
        {},
        id="mysql-access-denied-is-database",
    ),
]

NETWORK = [
    # The Java SDK's wrapper first, the cause after it: the cause is the signature.
    pytest.param(
        "com.amazonaws.SdkClientException: Unable to execute HTTP request: Connect to"
        " sqs.ap-southeast-2.amazonaws.com:443 [sqs.ap-southeast-2.amazonaws.com/52.95.128.4]"
        " failed: connect timed out",
        {"signature": "connect timed out", "service": "sqs"},
        id="java-sdk-connect-timed-out",
    ),
    pytest.param(
        "software.amazon.awssdk.core.exception.SdkClientException: Unable to execute HTTP"
        " request: Read timed out",
        {"signature": "Read timed out"},
        id="java-sdk-read-timed-out",
    ),
    pytest.param(
        "com.amazonaws.SdkClientException: Unable to execute HTTP request: Connection pool shut"
        " down",
        {"signature": "SdkClientException"},
        id="java-sdk-wrapper-alone",
    ),
    # An error as Node's inspect prints it (one event): the host its fields name.
    pytest.param(
        "{ Error: socket hang up\n    at TLSSocket.onHangUp (_tls_wrap.js:1137:19)\n"
        "  code: 'ECONNRESET',\n  host: 'hooks.slack.com',\n  port: 443 }",
        {"endpoint": "hooks.slack.com"},
        id="node-inspect-host",
    ),
    # SQS's legacy hosts name no `sqs` label: the service is still SQS.
    pytest.param(
        'Connect timeout on endpoint URL: "https://ap-south-1.queue.amazonaws.com/"',
        {"service": "sqs", "endpoint": "ap-south-1.queue.amazonaws.com"},
        id="botocore-legacy-sqs-host",
    ),
    pytest.param(
        'Connect timeout on endpoint URL: "https://queue.amazonaws.com/": ConnectTimeoutError',
        {"service": "sqs", "endpoint": "queue.amazonaws.com"},
        id="botocore-global-sqs-host",
    ),
    # The Ruby SDK's own log line names the client; `execution expired` is its open timeout.
    pytest.param(
        '[Aws::DynamoDB::Client 0 60.871 3 retries] get_item(table_name:"carts") '
        "Seahorse::Client::NetworkingError execution expired",
        {"service": "dynamodb", "endpoint": None},
        id="ruby-sdk-open-timeout",
    ),
    pytest.param(
        "Seahorse::Client::NetworkingError: Failed to open TCP connection to "
        "sts.eu-west-1.amazonaws.com:443 (execution expired)",
        {"service": "sts", "endpoint": "sts.eu-west-1.amazonaws.com:443"},
        id="ruby-sdk-tcp-open",
    ),
    pytest.param(
        'Invoke Error \t{"errorType":"Error","errorMessage":"read ECONNRESET","code":"ECONNRESET",'
        '"errno":-104,"syscall":"read","host":"api.stripe.com"}',
        {"endpoint": "api.stripe.com"},
        id="node-reset-host-in-json",
    ),
    pytest.param(
        'Invoke Error \t{"errorType":"Error","errorMessage":"connect ETIMEDOUT 10.0.3.27:443",'
        '"code":"ETIMEDOUT","syscall":"connect","address":"10.0.3.27","port":443}',
        {"endpoint": "10.0.3.27:443"},
        id="node-connect-address-in-json",
    ),
    pytest.param(
        "Error: Client network socket disconnected before secure TLS connection was established",
        {},
        id="node-tls-disconnected",
    ),
    pytest.param("[Errno 104] Connection reset by peer", {}, id="reset-by-peer"),
    pytest.param(
        "Lambda was not able to create an ENI in the VPC of the Lambda function because the limit "
        "for Network Interfaces has been reached. ENILimitReachedException",
        {"service": "ec2"},
        id="eni-limit",
    ),
    pytest.param(
        "EC2ThrottledException: Lambda was throttled by Amazon EC2 during Lambda function "
        "initialization using the role provided for the function.",
        {"service": "ec2"},
        id="ec2-throttled",
    ),
    pytest.param(
        "SubnetIPAddressLimitReachedException: Lambda was not able to set up VPC access for the "
        "Lambda function because one or more configured subnets has no available IP addresses.",
        {"service": "ec2"},
        id="subnet-ips",
    ),
    pytest.param(
        'botocore.exceptions.ConnectTimeoutError: Connect timeout on endpoint URL: "https://sqs.'
        'us-east-1.amazonaws.com/"',
        {"service": "sqs", "endpoint": "sqs.us-east-1.amazonaws.com"},
        id="botocore-connect-timeout-sqs",
    ),
    pytest.param(
        "botocore.exceptions.EndpointConnectionError: Could not connect to the endpoint URL: "
        '"https://dynamodb.eu-west-1.amazonaws.com/"',
        {"service": "dynamodb", "endpoint": "dynamodb.eu-west-1.amazonaws.com"},
        id="botocore-endpoint-connection",
    ),
    pytest.param(
        'botocore.exceptions.ReadTimeoutError: Read timeout on endpoint URL: "https://lambda.us-'
        'east-1.amazonaws.com/2015-03-31/functions/billing/invocations"',
        {"service": "lambda"},
        id="botocore-read-timeout",
    ),
    pytest.param(
        'Connect timeout on endpoint URL: "https://invoices-prod.s3.eu-west-1.amazonaws.com/2026/'
        'inv-1.pdf"',
        {"service": "s3"},
        id="botocore-s3-virtual-host",
    ),
    pytest.param(
        'Connect timeout on endpoint URL: "https://secretsmanager.us-east-1.amazonaws.com/"',
        {"service": "secretsmanager"},
        id="botocore-secretsmanager",
    ),
    pytest.param(
        "Error: connect ETIMEDOUT 52.94.133.131:443\n    at TCPConnectWrap.afterConnect [as "
        "oncomplete] (node:net:1555:16)",
        {"endpoint": "52.94.133.131:443", "service": None},
        id="node-etimedout-443",
    ),
    pytest.param(
        "Error: getaddrinfo ENOTFOUND api.stripe.com",
        {"endpoint": "api.stripe.com"},
        id="node-enotfound",
    ),
    pytest.param(
        "Error: getaddrinfo EAI_AGAIN secretsmanager.us-east-1.amazonaws.com",
        {"service": "secretsmanager", "endpoint": "secretsmanager.us-east-1.amazonaws.com"},
        id="node-eai-again",
    ),
    pytest.param(
        "dial tcp: lookup sqs.us-east-1.amazonaws.com: no such host",
        {"service": "sqs", "endpoint": "sqs.us-east-1.amazonaws.com"},
        id="go-no-such-host",
    ),
    pytest.param(
        "operation error SQS: SendMessage, https response error StatusCode: 0, RequestID: , "
        'request send failed, Post "https://sqs.us-east-1.amazonaws.com/": dial tcp 10.0.0.5:443: '
        "i/o timeout",
        {"service": "sqs"},
        id="go-v2-io-timeout",
    ),
    pytest.param(
        "java.net.UnknownHostException: dynamodb.us-east-1.amazonaws.com",
        {"service": "dynamodb", "endpoint": "dynamodb.us-east-1.amazonaws.com"},
        id="java-unknown-host",
    ),
    pytest.param(
        "software.amazon.awssdk.core.exception.SdkClientException: Unable to execute HTTP "
        "request: Connect to sqs.us-east-1.amazonaws.com:443 [sqs.us-east-1.amazonaws.com/"
        "3.236.169.0] failed: connect timed out",
        {"service": "sqs", "endpoint": "sqs.us-east-1.amazonaws.com:443"},
        id="java-v2-connect-timed-out",
    ),
    pytest.param(
        "com.amazonaws.SdkClientException: Unable to execute HTTP request: Connect to "
        "s3.amazonaws.com:443 failed: connect timed out",
        {"service": "s3", "endpoint": "s3.amazonaws.com:443"},
        id="java-v1-connect-timed-out",
    ),
    pytest.param(
        "requests.exceptions.ConnectionError: HTTPSConnectionPool(host='api.partner.com', "
        "port=443): Max retries exceeded with url: /v1/orders (Caused by NewConnectionError('"
        "<urllib3.connection.HTTPSConnection object at 0x7f>: Failed to establish a new "
        "connection: [Errno -3] Temporary failure in name resolution'))",
        {"endpoint": "api.partner.com:443"},
        id="python-requests-dns",
    ),
    pytest.param(
        "urllib3.exceptions.NewConnectionError: <urllib3.connection.HTTPSConnection object at "
        "0x7f>: Failed to establish a new connection: [Errno 111] Connection refused",
        {},
        id="urllib3-refused",
    ),
    pytest.param("Error: socket hang up", {"endpoint": None}, id="node-socket-hang-up"),
    pytest.param(
        "Error: read ECONNRESET\n    at TLSWrap.onStreamRead (node:internal/stream_base_commons:"
        "217:20)",
        {"endpoint": None},
        id="node-econnreset-stack",
    ),
    pytest.param(
        "Error: connect ECONNREFUSED 127.0.0.1:2773",
        {"endpoint": "127.0.0.1:2773"},
        id="params-secrets-extension",
    ),
    pytest.param(
        "curl: (28) Failed to connect to api.example.com port 443 after 10001 ms: "
        "Timeout was reached",
        {"endpoint": "api.example.com:443"},
        id="curl",
    ),
    pytest.param("[Errno 110] Connection timed out", {"endpoint": None}, id="errno-110"),
    pytest.param(
        "java.net.SocketTimeoutException: Read timed out",
        {},
        id="java-read-timed-out",
    ),
]

INIT_ERRORS = [
    pytest.param(
        "Error [ERR_MODULE_NOT_FOUND]: Cannot find package 'aws-sdk' imported from "
        "/var/task/index.mjs",
        id="node-esm-package",
    ),
    pytest.param(
        "[ERROR] Runtime.ImportModuleError: Unable to import module 'app': "
        "No module named 'requests'",
        id="py-import",
    ),
    pytest.param(
        "Runtime.ImportModuleError: Error: Cannot find module 'index'\nRequire stack:",
        id="node-import",
    ),
    pytest.param(
        "Runtime.HandlerNotFound: index.handler is undefined or not exported", id="node-handler"
    ),
    pytest.param(
        "[ERROR] Runtime.HandlerNotFound: Handler 'lambda_handler' missing on module 'app'",
        id="py-handler",
    ),
    pytest.param(
        "Handler 'handler' missing on module 'lambda_function'", id="handler-missing-bare"
    ),
    pytest.param(
        "Runtime.UserCodeSyntaxError: SyntaxError: Unexpected token '}'", id="node-syntax"
    ),
    pytest.param("Error: Cannot find module '/var/task/index'", id="cannot-find-module"),
    pytest.param(
        "Class not found: com.acme.OrderHandler: java.lang.ClassNotFoundException", id="java-class"
    ),
    pytest.param("java.lang.NoClassDefFoundError: org/slf4j/LoggerFactory", id="java-noclassdef"),
    pytest.param(
        "No public method named handleRequest with appropriate method signature found on class "
        "com.acme.OrderHandler",
        id="java-no-method",
    ),
    pytest.param("Error: fork/exec /var/task/bootstrap: exec format error", id="exec-format"),
    pytest.param("fork/exec /var/task/bootstrap: no such file or directory", id="no-bootstrap"),
    pytest.param("Runtime.InvalidEntrypoint", id="invalid-entrypoint"),
    pytest.param(
        "Runtime.MalformedHandlerName: Bad handler 'app': not enough values to unpack",
        id="malformed",
    ),
    pytest.param(
        '{"errorMessage":"cannot load such file -- httparty","errorType":"Init<LoadError>"}',
        id="ruby",
    ),
    pytest.param(
        "Error [ERR_REQUIRE_ESM]: require() of ES Module /var/task/node_modules/x", id="node-esm"
    ),
    pytest.param(
        "ModuleNotFoundError: No module named 'psycopg2._psycopg'", id="py-module-not-found"
    ),
    pytest.param(
        "Could not find the specified handler assembly with the file name 'Orders'",
        id="dotnet-assembly",
    ),
    pytest.param("Extension.Crash", id="extension-crash"),
    # Native code the loader cannot start (lines written here, in the loaders' wording).
    pytest.param(
        "/var/task/bootstrap: /lib64/libc.so.6: version `GLIBC_2.28' not found (required by"
        " /var/task/bootstrap)",
        id="glibc-bootstrap",
    ),
    pytest.param(
        "require': /lib64/libc.so.6: version GLIBC_2.38' not found (required by"
        " /var/task/vendor/date_core.so) (LoadError)",
        id="glibc-markdown-lost-backtick",
    ),
    pytest.param(
        "Error: /var/task/node_modules/sharp/build/Release/sharp.node: invalid ELF header",
        id="elf-header",
    ),
    pytest.param("OSError: /var/task/lib/libfoo.so: wrong ELF class: ELFCLASS32", id="elf-class"),
    pytest.param(
        "OSError: libGL.so.1: cannot open shared object file: No such file or directory",
        id="shared-object",
    ),
]

OUT_OF_MEMORY = [
    pytest.param(
        "FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory",
        id="node-heap",
    ),
    pytest.param("[ERROR] MemoryError\nTraceback (most recent call last):", id="py-memoryerror"),
    pytest.param(
        "numpy.core._exceptions._ArrayMemoryError: Unable to allocate 3.73 GiB for an array with "
        "shape (500000000,) and data type float64",
        id="numpy",
    ),
    pytest.param("java.lang.OutOfMemoryError: Java heap space", id="java-heap"),
    pytest.param("java.lang.OutOfMemoryError: Metaspace", id="java-metaspace"),
    pytest.param(
        'Exception in thread "main" java.lang.OutOfMemoryError: GC overhead limit exceeded',
        id="java-gc",
    ),
    pytest.param("fatal error: runtime: out of memory", id="go"),
    pytest.param("NoMemoryError: failed to allocate memory", id="ruby"),
    pytest.param(
        "System.OutOfMemoryException: Exception of type 'System.OutOfMemoryException' was thrown.",
        id="dotnet",
    ),
    pytest.param(
        "Runtime.OutOfMemory: Runtime exited with error: signal: killed", id="runtime-oom"
    ),
    pytest.param(
        "RequestId: x Error: Runtime exited with error: signal: killed", id="signal-killed"
    ),
    pytest.param("terminate called after throwing an instance of 'std::bad_alloc'", id="cpp"),
    pytest.param("OSError: [Errno 12] Cannot allocate memory", id="enomem"),
]

POSITIVE = (
    [pytest.param(*p.values, P, id=f"permission-{p.id}") for p in PERMISSION]
    + [pytest.param(*p.values, T, id=f"throttling-{p.id}") for p in THROTTLING]
    + [pytest.param(*p.values, POOL, id=f"pool-{p.id}") for p in POOLS]
    + [pytest.param(*p.values, DB, id=f"database-{p.id}") for p in DATABASES]
    + [pytest.param(*p.values, NET, id=f"network-{p.id}") for p in NETWORK]
    + [pytest.param(*p.values, {}, INIT, id=f"init-{p.id}") for p in INIT_ERRORS]
    + [pytest.param(*p.values, {}, OOM, id=f"oom-{p.id}") for p in OUT_OF_MEMORY]
)


@pytest.mark.parametrize(("text", "fields", "family"), POSITIVE)
def test_error_families(text: str, fields: dict[str, Any], family: ErrorFamily) -> None:
    classification = classify(text)
    assert classification is not None, "not classified"
    assert classification.family is family, classification
    for name, want in fields.items():
        got = getattr(classification, name)
        assert got == want, f"{name}: got {got!r}, want {want!r} ({classification})"
    assert classification.signature
    assert classification.signature in text


@pytest.mark.parametrize(("text", "fields", "family"), POSITIVE)
def test_a_family_does_not_depend_on_the_request_id(
    text: str, fields: dict[str, Any], family: ErrorFamily
) -> None:
    """The quick word test before the rules must pass every line a rule matches, whatever
    else the line holds (a request id with `403` in it used to let some through)."""
    line = f"2026-03-02T09:14:55.120Z\t4403c2a9-6d0b-4f7e-9a51-0c2d8e7b4a10\tERROR\t{text}"
    plain = f"2026-03-02T09:14:55.120Z\t3f1c2a9e-6d0b-4f7e-9a51-0c2d8e7b4a10\tERROR\t{text}"
    with_403, without = parse(line).classification, parse(plain).classification
    assert with_403 is not None
    assert without is not None, "classified only when the request id holds 403"
    assert (with_403.family, with_403.signature) == (without.family, without.signature)


@pytest.mark.parametrize(("text", "fields", "family"), POSITIVE)
def test_families_survive_the_runtime_prefixes(
    text: str, fields: dict[str, Any], family: ErrorFamily
) -> None:
    """The same words inside a Python or Node.js log line classify the same."""
    for line in (
        f"[ERROR]\t2026-03-02T09:14:55.120Z\t3f1c2a9e-6d0b-4f7e-9a51-0c2d8e7b4a10\t{text}",
        f"2026-03-02T09:14:55.120Z\t3f1c2a9e-6d0b-4f7e-9a51-0c2d8e7b4a10\tERROR\t{text}",
    ):
        classification = parse(line).classification
        assert classification is not None
        assert classification.family is family


NEGATIVE = [
    pytest.param("Processed 12 records", id="processed"),
    pytest.param("memory cache warmed (512 entries)", id="memory-cache"),
    pytest.param("heap used 120MB of 512MB", id="heap-stats"),
    pytest.param("Free memory: 300 MB", id="free-memory"),
    pytest.param(
        '{"function_memory_size": "512", "level": "INFO", "message": "cold start"}',
        id="powertools-memory-size",
    ),
    pytest.param("memoryLimitInMB: '1024',", id="node-context-dump"),
    pytest.param("connection pool initialised with 5 connections", id="pool-init"),
    pytest.param("pool: min=2 max=10 idle=30s", id="pool-config"),
    pytest.param("SQLAlchemy pool timeout set to 30s", id="pool-timeout-config"),
    pytest.param("Returning connection to pool", id="pool-return"),
    pytest.param("thread pool size 8", id="thread-pool"),
    pytest.param("SyntaxError: Unexpected token u in JSON at position 0", id="json-parse-syntax"),
    pytest.param("JSON.parse SyntaxError on body, returning 400", id="json-parse-words"),
    pytest.param(
        "json.decoder.JSONDecodeError: Expecting value: line 1 column 1 (char 0)", id="json-decode"
    ),
    pytest.param("throttling config loaded: max 100 rps", id="throttling-config"),
    pytest.param("rate limiter initialised at 50 req/s", id="rate-limiter"),
    pytest.param("Rate limit remaining: 4900", id="rate-limit-header"),
    pytest.param("batch done: ERROR count=0, processed=12", id="error-count-zero"),
    pytest.param("errors: 0, warnings: 2", id="errors-zero"),
    pytest.param('{"statusCode": 200, "body": "{\\"ok\\": true}"}', id="http-200-json"),
    pytest.param("GET /orders 200 12ms", id="http-200"),
    pytest.param("POST /admin 403 3ms", id="http-403-access-log"),
    pytest.param("User 42 is not authorized to view order 7", id="app-authz"),
    pytest.param("access denied: token expired for session 9", id="app-access-denied"),
    pytest.param("Permission check passed for user 42", id="permission-ok"),
    pytest.param("Access granted to user 42", id="access-granted"),
    pytest.param("Connected to database orders-db in 35 ms", id="db-connected"),
    pytest.param("Query returned 12 rows", id="query-rows"),
    pytest.param("redis cache hit ratio 0.93", id="redis-hit-ratio"),
    pytest.param("mongo: inserted 3 documents", id="mongo-insert"),
    pytest.param("took 403 ms", id="403-ms"),
    pytest.param("Handler started; runtime version python:3.12", id="runtime-version"),
    pytest.param(
        "    at Runtime.handler (file:///var/task/index.mjs:5:22)", id="node-runtime-frame"
    ),
    pytest.param("Invoking Runtime.handleOnce", id="runtime-dot-lower"),
    pytest.param("Loaded 3 assemblies", id="assemblies"),
    pytest.param("Allocation failed for seat 12A, retrying", id="allocation-business"),
    pytest.param("timeout=30 retries=3", id="timeout-config"),
    pytest.param("Lambda function initialised in 120 ms", id="init-ok"),
    pytest.param("deny list refreshed (12 entries)", id="deny-list"),
    pytest.param("KeyError: 'order_id'", id="keyerror"),
    pytest.param(
        "ValidationException: 1 validation error detected: Value null at 'tableName'",
        id="validation",
    ),
    pytest.param(
        "An error occurred (ConditionalCheckFailedException) when calling the PutItem operation: "
        "The conditional request failed",
        id="conditional-check",
    ),
    pytest.param("ResourceNotFoundException: Requested resource not found", id="not-found"),
    pytest.param(
        "An error occurred (ExpiredTokenException) when calling the GetObject operation: The "
        "provided token has expired.",
        id="expired-token",
    ),
    pytest.param("Invocation took 903 ms, status=500", id="status-500"),
    pytest.param("cold start detected, init took 812 ms", id="cold-start"),
    pytest.param("AccessLog: 10.0.0.1 GET /health 200", id="access-log"),
    pytest.param("Retrying request (attempt 2 of 3)", id="retrying"),
    pytest.param("Processing SQS message from queue orders-dlq", id="dlq-word"),
    pytest.param("", id="empty"),
    pytest.param("glibc version 2.34 detected", id="glibc-said"),
    pytest.param("loaded 3 shared objects from /opt/lib", id="shared-objects-loaded"),
]


@pytest.mark.parametrize("text", NEGATIVE)
def test_ordinary_lines_are_not_classified(text: str) -> None:
    assert classify(text) is None


@pytest.mark.parametrize(
    ("text", "limit"),
    [
        pytest.param(
            "psycopg2.OperationalError: FATAL:  sorry, too many clients already",
            True,
            id="pg-clients",
        ),
        pytest.param(
            "pymysql.err.OperationalError: (1040, 'Too many connections')", True, id="mysql-1040"
        ),
        pytest.param(
            "FATAL: remaining connection slots are reserved for non-replication "
            "superuser connections",
            True,
            id="pg-slots",
        ),
        pytest.param("Error: ER_CON_COUNT_ERROR: Too many connections", True, id="mysql-node"),
        pytest.param(
            "QueuePool limit of size 5 overflow 10 reached, connection timed out, timeout 30.00",
            False,
            id="local-pool",
        ),
        pytest.param("could not connect to server: Connection refused", False, id="refused"),
    ],
)
def test_connection_limit_is_the_databases_not_the_pools(text: str, limit: bool) -> None:
    classification = classify(text)
    assert classification is not None
    assert is_connection_limit(classification) is limit


@pytest.mark.parametrize(
    ("text", "endpoint"),
    [
        ("dial tcp: lookup orders-db.internal on 10.0.0.2:53: no such host", "orders-db.internal"),
        ("dial tcp: lookup orders-db: no such host", "orders-db"),
        (
            "order lookup failed: HikariPool-1 - Connection is not available, request timed out"
            " after 30004ms.",
            None,
        ),
        (
            "GuzzleHttp\\Exception\\ConnectException: cURL error 28: Connection timed out after"
            " 10001 milliseconds (see https://curl.haxx.se/libcurl/c/libcurl-errors.html) for"
            " https://api.stripe.com/v1/charges",
            "api.stripe.com",
        ),
    ],
)
def test_the_host_is_the_one_that_failed_not_a_word_or_a_documentation_link(
    text: str, endpoint: str | None
) -> None:
    classification = classify(text)
    assert classification is not None
    assert classification.endpoint == endpoint


def test_signature_is_found_early_in_a_huge_line() -> None:
    text = "AccessDeniedException: nope " + "x" * 1_000_000
    classification = classify(text)
    assert classification is not None
    assert classification.family is P


_FRAMES = "".join(
    f'\n  File "/var/task/vendor/sqlalchemy/pool/impl{n}.py", line {n}, in _do_get\n'
    f"    return self._create_connection_{n}()"
    for n in range(120)
)


@pytest.mark.parametrize(
    ("text", "family"),
    [
        pytest.param(
            "[ERROR]\t2026-03-02T09:15:01.120Z\tc0ffee00-1111-4222-8333-444455556666\torder lookup"
            " failed\nTraceback (most recent call last):"
            + _FRAMES
            + "\nsqlalchemy.exc.TimeoutError: QueuePool limit of size 5 overflow 10 reached,"
            " connection timed out, timeout 30.00",
            POOL,
            id="python-traceback-message-last",
        ),
        pytest.param(
            "org.springframework.transaction.CannotCreateTransactionException: Could not open JPA"
            " EntityManager for transaction"
            + "".join(
                f"\n\tat com.example.orders.Service{n}.call(Service{n}.java:{n})"
                for n in range(150)
            )
            + "\nCaused by: java.sql.SQLTransientConnectionException: HikariPool-1 - Connection is"
            " not available, request timed out after 30004ms."
            + "".join(
                f"\n\tat com.zaxxer.hikari.pool.HikariPool{n}.getConnection(HikariPool.java:{n})"
                for n in range(40)
            )
            + "\n\t... 42 more",
            POOL,
            id="java-root-cause-last",
        ),
    ],
)
def test_signature_at_the_end_of_a_long_stack_trace_is_found(
    text: str, family: ErrorFamily
) -> None:
    """The message of a Python traceback comes last, and so does Java's root cause: a long
    trace (8 KB and more is ordinary) is searched at its tail as well as its head."""
    assert len(text) > 9000
    classification = classify(text)
    assert classification is not None
    assert classification.family is family
    assert parse(text).classification == classification


def test_signature_in_the_middle_of_a_huge_line_is_not_searched() -> None:
    """A 1 MB line is searched at its head and tail only: the cost of a line is bounded."""
    assert classify("x" * 500_000 + " AccessDeniedException " + "y" * 500_000) is None


@pytest.mark.parametrize(
    ("text", "signature"),
    [
        pytest.param(
            "pymysql.err.OperationalError: (2013, 'Lost connection to MySQL server during query')",
            "Lost connection to MySQL server",
            id="mysql-lost",
        ),
        pytest.param(
            "sqlalchemy.exc.OperationalError: (psycopg2.OperationalError) could not connect to "
            'server: Connection refused\n\tIs the server running on host "db" and accepting',
            "could not connect to server",
            id="sqlalchemy-libpq",
        ),
        pytest.param(
            "sqlalchemy.exc.OperationalError: (pymysql.err.OperationalError) (2003, 'timed out "
            "[Errno 110] Connection timed out')",
            "Connection timed out",
            id="wrapper-then-network-words",
        ),
        pytest.param(
            "org.postgresql.util.PSQLException: Connection to db.internal:5432 refused.",
            "Connection to db.internal:5432 refused",
            id="jdbc-refused",
        ),
        pytest.param(
            "psycopg2.InterfaceError: connection already closed",
            "connection already closed",
            id="interface-error",
        ),
        pytest.param(
            "sqlalchemy.exc.OperationalError: (psycopg2.OperationalError) unexpected response",
            "OperationalError",
            id="only-the-wrapper",
        ),
    ],
)
def test_database_signature_names_what_happened(text: str, signature: str) -> None:
    classification = classify(text)
    assert classification is not None
    assert classification.family is DB
    assert classification.signature == signature


def test_a_denial_wrapped_after_on_resource_names_no_resource() -> None:
    # A message wrapped by whoever pasted it: the resource is on the next line, never `:`.
    wrapped = classify(
        "AccessDeniedExceptionKMS Message: User: arn:aws:sts::210987654321:assumed-role/r/f is"
        " not authorized to perform: kms:Decrypt on resource:"
    )
    assert wrapped is not None
    assert wrapped.family is P
    assert (wrapped.action, wrapped.resource) == ("kms:Decrypt", None)


def test_a_dotnet_package_without_its_deps_json_cannot_start() -> None:
    found = classify(
        "LambdaException: Could not find the required 'Orders.Api.deps.json'.  This file should"
        " be present at the root of the deployment package."
    )
    assert found is not None
    assert found.family is INIT
    assert classify("wrote settings to /tmp/app.deps.json.bak") is None


@pytest.mark.parametrize(
    ("text", "signature"),
    [
        (
            "Lambda was not able to create an ENI in the VPC of the Lambda function because the"
            " limit for Network Interfaces has been reached.",
            "the limit for Network Interfaces has been reached",
        ),
        ("ENILimitReachedException: the account's quota", "ENILimitReachedException"),
        (
            "Lambda was not able to create an ENI in the VPC of the Lambda function because"
            " the subnet has no free IP addresses.",
            "create an ENI",
        ),
    ],
)
def test_the_network_interface_quota_is_named_before_the_eni(text: str, signature: str) -> None:
    found = classify(text)
    assert found is not None
    assert found.family is NET
    assert (found.signature, found.service) == (signature, "ec2")


@pytest.mark.parametrize(
    ("line", "signature"),
    [
        ("Error: ENOSPC: no space left on device, write", "ENOSPC"),
        (
            '{"errorMessage": "[Errno 28] No space left on device", "errorType": "OSError"}',
            "Errno 28",
        ),
        ("[Errno 24] Too many open files: OSError", "Errno 24"),
        ("Error: getaddrinfo EMFILE smtp.example.com", "EMFILE"),
        (
            "java.lang.OutOfMemoryError: unable to create native thread",
            "unable to create native thread",
        ),
    ],
)
def test_an_environments_limit_is_its_own_family_not_dns_or_memory(
    line: str, signature: str
) -> None:
    found = classify(line)
    assert found is not None
    assert found.family is ErrorFamily.ENVIRONMENT_LIMIT
    assert found.signature.lower() == signature.lower()


def test_a_df_of_tmp_in_a_traceback_is_no_limit_reached() -> None:
    assert classify("    stdout = os.popen('df -h /tmp').read()") is None
