"""Recognise the guide's error families in application lines, in any runtime's wording.

Most lines are not errors, so one regular expression over the lower-cased line decides whether
any family can match before the family rules run. Service, action, resource and endpoint are
pulled out where the message carries them, so the diagnosis can say which permission to grant or
which host is unreachable.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache
from typing import Any

from lambdatop.core.lazy_pattern import LazyPattern
from lambdatop.core.records import Classification, ErrorFamily

# Signatures live early in a line, or at its end: the message after a Python traceback, the
# root cause in Java's last `Caused by:`. A 256 KB line is scanned at its head and its tail.
_SCAN_HEAD = 8192
_SCAN_TAIL = 8192


def _scanned(text: str) -> str:
    """What of a line is searched for a signature: all of it, or its head and its tail."""
    if len(text) <= _SCAN_HEAD + _SCAN_TAIL:
        return text
    return text[:_SCAN_HEAD] + "\n" + text[-_SCAN_TAIL:]


_TRIGGERS = (
    # permission
    "denied",
    "not authorized",
    "unauthorized",
    "explicit deny",
    "policy allows",
    "forbidden",
    "403",
    "access was denied",
    # throttling
    "throttl",
    "too many requests",
    "toomanyrequests",
    "rate exceeded",
    "throughputexceeded",
    "slowdown",
    "slow down",
    "requestlimitexceeded",
    "limitexceeded",
    "reduce your request rate",
    # pools and databases
    "pool",
    "connection is not available",
    "acquir",
    "resourcerequest",
    "refused",
    "psqlexception",
    "timeout exceeded when trying to connect",
    "too many connections",
    "too many clients",
    "connection slots",
    "could not connect",
    "failed to connect",
    "failed to establish",
    "checkout a connection",
    "no connections available",
    "fetching a new connection",
    "can't connect",
    "cannot connect",
    "unable to connect",
    "communications link failure",
    "lost connection",
    "server closed the connection",
    "connection attempt failed",
    "connection to server",
    "statement timeout",
    "lock wait timeout",
    "deadlock",
    "operationalerror",
    "interfaceerror",
    "already closed",
    "cannotcreatetransaction",
    "closed unexpectedly",
    "mongo",
    "sequelize",
    "redis",
    "jdbc",
    # networking and VPC
    "econnrefused",
    "etimedout",
    "econnreset",
    "enotfound",
    "eai_again",
    "ehostunreach",
    "enetunreach",
    "getaddrinfo",
    "name resolution",
    "name or service not known",
    "no such host",
    "unknownhost",
    "i/o timeout",
    "connect timeout",
    "connecttimeout",
    "connect timed out",
    "connection timed out",
    "connection refused",
    "read timeout",
    "read timed out",
    "socket hang up",
    "endpoint url",
    "networkingerror",
    "open tcp connection",
    "enilimit",
    "subnetipaddresslimit",
    "ec2throttled",
    "invalidsubnet",
    "invalidsecuritygroup",
    "network interface",
    # init and deploy
    "runtime.",
    "unable to import",
    "import module",
    "importerror",
    "modulenotfound",
    "cannot find module",
    "err_module_not_found",
    "err_require_esm",
    "missing on module",
    "class not found",
    "classnotfound",
    "noclassdeffound",
    "nosuchmethod",
    "syntaxerror",
    "exec format error",
    "fork/exec",
    "glibc_",
    "elf header",
    "elf class",
    "shared object file",
    "extension.",
    "init<",
    "cannot load such file",
    "no public method",
    "assembly",
    "deps.json",
    # memory
    "memory",
    "heap",
    "signal: killed",
    "bad_alloc",
    "allocation failed",
    "unable to allocate",
)


def _trie_pattern(words: tuple[str, ...]) -> str:
    """One regular expression matching any of the words, factored by common prefixes.

    Python's engine tries an alternation's branches one by one at every position; a trie
    tries one branch per character, which makes the prefilter several times faster. Only
    whether a word occurs matters, so a word that is a prefix of others ends its branch.
    """
    trie: dict[str, dict[str, Any]] = {}
    for word in words:
        node = trie
        for char in word:
            node = node.setdefault(char, {})
        node[""] = {}

    def build(node: dict[str, Any]) -> str:
        if "" in node:
            return ""
        branches, singles = [], []
        for char, child in sorted(node.items()):
            rest = build(child)
            if rest:
                branches.append(re.escape(char) + rest)
            else:
                singles.append(re.escape(char))
        if singles:
            branches.append(singles[0] if len(singles) == 1 else "[" + "".join(singles) + "]")
        return branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"

    return build(trie)


_ARN = LazyPattern(r"arn:aws[\w-]*:(?P<service>[\w-]+):[^\s\"'`,)\]}]*")
_NOT_AUTHORIZED = LazyPattern(
    r"(?:is )?not authorized to perform:?\s*(?P<action>[\w-]+:[\w*]+)"
    # The resource may be quoted, and the quotes escaped when the line is itself JSON; a line
    # wrapped after `on resource:` names none (never the colon itself).
    r"(?:\s+on\s+resource:?\s*(?:\\?[\"'`])?(?P<resource>[^\s\"'`,\\:][^\s\"'`,\\]*))?",
    re.IGNORECASE,
)
_POLICY_ALLOWS = LazyPattern(r"policy allows the (?P<action>[\w-]+:[\w*]+) action", re.IGNORECASE)
_OPERATION = LazyPattern(r"when calling the (?P<op>\w+) operation")
_SDK_SERVICE = LazyPattern(r"\(Service:\s*(?P<service>[\w -]+?)\s*[,;)]")
# Where an SDK's error class names its service: Ruby's `Aws::SES::Errors::Throttling`, Java's
# `software.amazon.awssdk.services.dynamodb.` and `com.amazonaws.services.dynamodbv2.`.
_SDK_CLASS_SERVICE = LazyPattern(
    r"\bAws::(?P<ruby>\w+)::(?:Errors::|Client\b)"
    r"|\bsoftware\.amazon\.awssdk\.services\.(?P<java2>\w+)\."
    r"|\bcom\.amazonaws\.services\.(?P<java1>\w+)\."
)
# Go SDK v2: `operation error DynamoDB: PutItem, https response error ...`.
_GO_OPERATION = LazyPattern(r"operation error (?P<service>\w[\w ]{0,40}?): (?P<op>[A-Z]\w+)")
# Java SDK v1/v2 exception classes and the JavaScript SDK v3 package in a stack trace.
_SDK_PACKAGE = LazyPattern(
    r"(?:software\.amazon\.awssdk\.services|com\.amazonaws\.services)\.(?P<java>\w+)\."
    r"|@aws-sdk/client-(?P<js>[\w-]+)"
)
_JS_COMMAND = LazyPattern(r"\b(?:de_|se_)?(?P<op>[A-Z]\w+?)Command(?:Error)?\b")
_AWS_HOST = LazyPattern(r"(?P<labels>[\w.-]+?)\.amazonaws\.com(?:\.cn)?\b", re.IGNORECASE)
_REGION_LABEL = LazyPattern(r"[a-z]{2}(?:-gov|-iso[a-z]?)?-[a-z]+-\d")

# Operations whose name alone says which service answered (botocore and SDK error messages
# name the operation, not the service).
_OPERATION_SERVICE = {
    **dict.fromkeys(
        (
            "GetObject",
            "PutObject",
            "HeadObject",
            "DeleteObject",
            "ListObjects",
            "ListObjectsV2",
            "CopyObject",
            "ListBucket",
            "HeadBucket",
            "CreateMultipartUpload",
            "UploadPart",
            "CompleteMultipartUpload",
            "GetObjectAcl",
            "PutObjectAcl",
        ),
        "s3",
    ),
    **dict.fromkeys(
        (
            "GetItem",
            "PutItem",
            "UpdateItem",
            "DeleteItem",
            "Query",
            "Scan",
            "BatchGetItem",
            "BatchWriteItem",
            "TransactWriteItems",
            "TransactGetItems",
            "DescribeTable",
        ),
        "dynamodb",
    ),
    **dict.fromkeys(
        (
            "SendMessage",
            "SendMessageBatch",
            "ReceiveMessage",
            "DeleteMessage",
            "DeleteMessageBatch",
            "ChangeMessageVisibility",
            "ChangeMessageVisibilityBatch",
            "GetQueueUrl",
            "GetQueueAttributes",
        ),
        "sqs",
    ),
    **dict.fromkeys(("Publish", "PublishBatch"), "sns"),
    **dict.fromkeys(("GetSecretValue", "DescribeSecret"), "secretsmanager"),
    **dict.fromkeys(("Decrypt", "Encrypt", "GenerateDataKey", "ReEncrypt"), "kms"),
    **dict.fromkeys(("GetParameter", "GetParameters", "GetParametersByPath"), "ssm"),
    **dict.fromkeys(("Invoke", "InvokeAsync"), "lambda"),
    **dict.fromkeys(("PutRecord", "PutRecords", "GetRecords", "GetShardIterator"), "kinesis"),
    **dict.fromkeys(("PutRecordBatch",), "firehose"),
    **dict.fromkeys(("PutEvents",), "events"),
    **dict.fromkeys(("StartExecution", "SendTaskSuccess"), "states"),
    **dict.fromkeys(("AssumeRole", "GetCallerIdentity"), "sts"),
    **dict.fromkeys(("PutMetricData",), "cloudwatch"),
    **dict.fromkeys(("SendEmail", "SendRawEmail"), "ses"),
}
# SDK spellings of a service (after lower-casing and dropping `amazon`/`aws` and spaces) to
# the IAM prefix of its actions.
_SERVICE_ALIASES = {
    "dynamo": "dynamodb",
    "dynamodbv2": "dynamodb",
    "dynamodbstreams": "dynamodb",
    "simplequeueservice": "sqs",
    "simplenotificationservice": "sns",
    "simpleemailservice": "ses",
    "sesv2": "ses",
    "email": "ses",
    "simplesystemsmanagement": "ssm",
    "simplesystemsmanagementservice": "ssm",
    "keymanagementservice": "kms",
    "cloudwatchlogs": "logs",
    "monitoring": "cloudwatch",
    "eventbridge": "events",
    "cloudwatchevents": "events",
    "sfn": "states",
    "stepfunctions": "states",
    "kinesisfirehose": "firehose",
    "securitytokenservice": "sts",
    "elasticache": "elasticache",
    # SQS's legacy hosts: `queue.amazonaws.com`, `us-west-1.queue.amazonaws.com`.
    "queue": "sqs",
}

_POOL = LazyPattern(
    r"QueuePool limit of size (?P<size>\d+) overflow (?P<overflow>-?\d+) reached"
    r"|Connection is not available, request timed out after (?P<hikari>\d+) ?ms"
    r"|timeout exceeded when trying to connect"
    r"|Timeout acquiring a connection"
    r"|ConnectionAcquireTimeoutError|ResourceRequest timed out"
    r"|pool (?:is )?(?:probably )?(?:exhausted|full|timed out)"
    r"|(?:connection )?pool exhausted|exhausted (?:the )?(?:connection )?pool"
    r"|Cannot get a connection, pool error"
    r"|Timeout waiting for idle object"
    r"|Unable to acquire JDBC Connection"
    r"|(?:could not|unable to|failed to) (?:acquire|obtain|get) (?:a )?connection"
    r" from (?:the )?pool"
    r"|Timed out fetching a new connection from the (?:connection )?pool"
    r"|checkout a Connection has timed out|No connections available",
    re.IGNORECASE,
)
_DB_SERVER_FULL = LazyPattern(
    r"sorry, too many clients already|Too many connections|remaining connection slots are reserved"
    r"|ER_CON_COUNT_ERROR|max_user_connections|connection limit exceeded",
    re.IGNORECASE,
)
_DB_SPECIFIC = LazyPattern(
    r"could not connect to server|connection to server (?:at|on) .{0,120}failed"
    r"|Can'?t connect to (?:MySQL|PostgreSQL|MariaDB) server|Lost connection to MySQL server"
    r"|Communications link failure|The connection attempt failed"
    r"|server closed the connection unexpectedly|terminating connection due to"
    r"|the database system is (?:starting up|shutting down|in recovery mode)"
    r"|password authentication failed|Access denied for user"
    r"|canceling statement due to statement timeout|Lock wait timeout exceeded"
    r"|deadlock detected|Deadlock found|SSL connection has been closed unexpectedly"
    r"|Connection to [\w.-]+:\d+ refused|connection already closed"
    r"|MongoServerSelectionError|MongoNetworkError|MongoNetworkTimeoutError"
    r"|Error \d+ connecting to|Connection to Redis|redis.*ECONNREFUSED"
    r"|ServerSelectionTimeoutError|Timeout connecting to server|Exception while connecting"
    r"|NpgsqlException|MongoTimeoutError"
    # Prisma's P1001; node-postgres when the server or a proxy drops it; ioredis giving up.
    r"|Can'?t reach database server"
    r"|Connection terminated (?:unexpectedly|due to connection timeout)"
    r"|MaxRetriesPerRequestError"
    # RDS Proxy, when no database connection came within its connection borrow timeout.
    r"|Timed-out waiting to acquire database connection",
    re.IGNORECASE,
)
# The drivers' wrapper classes: a database failure, but they do not say which. The words that
# do (`Lost connection to MySQL server`, `Connection timed out`) make a better signature.
_DB_GENERIC = LazyPattern(
    r"SequelizeConnection\w*|OperationalError|InterfaceError|Redis(?:Connection)?Error"
    r"|JDBCConnectionException|CannotCreateTransactionException|PSQLException"
)
_NETWORK_VPC = LazyPattern(
    r"ENILimitReached\w*|SubnetIPAddressLimitReached\w*|EC2ThrottledException|EC2UnexpectedException"
    r"|InvalidSubnetIDException|InvalidSecurityGroupIDException|InvalidZipFileException"
    r"|(?:create|attach|delete) (?:an |the )?(?:ENI|elastic network interface|network interface)",
    re.IGNORECASE,
)
# The account's network interface quota, in Lambda's words ("Lambda was not able to create an
# ENI in the VPC of the Lambda function because the limit for Network Interfaces has been
# reached") and its API's (ENILimitReachedException): named before the ENI it could not create.
ENI_QUOTA = LazyPattern(
    r"(?:the )?limit for Network Interfaces has been reached|ENILimitReached\w*", re.IGNORECASE
)
# Lambda's own words when the function's EFS file system cannot be mounted or used.
_NETWORK_EFS = LazyPattern(r"EFSMount[A-Za-z]{0,40}|EFSIOException", re.IGNORECASE)
# The errno codes as Node.js and Go spell them, whole words (`ResourceNotFoundException` holds
# `eNotFound`); the class names and phrases in any case.
_NETWORK = LazyPattern(
    r"(?P<dns>\b(?:ENOTFOUND|EAI_AGAIN)\b|(?i:Temporary failure in name resolution"
    r"|Name or service not known|no such host|UnknownHostException|nodename nor servname"
    r"|Could not resolve host))"
    r"|(?P<connect>\b(?:ETIMEDOUT|ECONNREFUSED|EHOSTUNREACH|ENETUNREACH)\b"
    r"|(?i:Connect timeout on endpoint URL|ConnectTimeoutError|ConnectTimeout"
    r"|connect timed out|Connection timed out|i/o timeout"
    r"|Connection refused|Network is unreachable|No route to host"
    r"|Could not connect to the endpoint URL|Unable to execute HTTP request|SdkClientException"
    r"|connection timeout|timed out connecting|Failed to connect to"
    r"|Failed to establish a new connection"
    r"|socket disconnected before secure TLS connection"
    # Ruby's SDK: its open timeout (`execution expired`) and a refused or unreachable host.
    r"|NetworkingError execution expired|Failed to open TCP connection))"
    r"|(?P<read>\bECONNRESET\b|(?i:Read timeout on endpoint URL|ReadTimeoutError|Read timed out"
    r"|socket hang up|Connection reset by peer|SocketTimeoutException))"
)
# A network error of traces or metrics not delivered, not of the function's work: the X-Ray
# daemon (Lambda's link-local 169.254.79.129:2000) or an OpenTelemetry collector (OTLP on 4317,
# 4318) out of reach. The VPC check sets such lines apart; the window's count groups them apart.
TELEMETRY_WORDS = LazyPattern(
    r"Failed to send segment|X-?Ray daemon|Exporting failed|otlp|opentelemetry"
    # Elastic's APM agent: `APM Server transport error (ECONNRESET): socket hang up`.
    r"|otel[-_ ]?collector|APM Server",
    re.IGNORECASE,
)
TELEMETRY_PORTS = ("2000", "4317", "4318")
_TELEMETRY_ADDRESS = r"169\.254\.\d|:(?:" + "|".join(TELEMETRY_PORTS) + r")\b"
# Error codes are matched as AWS spells them; the phrases in any case.
_THROTTLE = LazyPattern(
    r"ProvisionedThroughputExceeded\w*|ThrottlingException|\(Throttling\)|Throttling:"
    r"|(?<!EC2)ThrottledException|TooManyRequestsException|RequestLimitExceeded|SlowDown"
    r"|RequestThrottled\w*|LimitExceededException|TransactionInProgressException"
    r"|(?i:too many requests|rate exceeded|reduce your request rate|request was throttled"
    r"|requests? (?:are|is|were|was|being) throttled)"
)
# Error codes as AWS spells them; the policy phrases in any case. An application saying that
# *its* user is not authorized, or an HTTP access log with a 403, is not an IAM problem: only
# the SDKs' own wordings count.
_PERMISSION = LazyPattern(
    r"KMSAccessDenied\w*|AccessDenied\w*|Access Denied|UnauthorizedOperation"
    r"|AuthorizationError\w*|AuthorizationErrorException|ForbiddenException|\bForbidden:"
    r"|\(403\) when calling|Status ?Code: 403"
    r"|(?i:not authorized to perform|explicit deny|no identity-based policy allows"
    r"|no resource-based policy allows|no session policy allows|no permissions boundary allows"
    r"|KMS access was denied)"
)
_INIT = LazyPattern(
    r"Runtime\.(?:ImportModuleError|HandlerNotFound|UserCodeSyntaxError|MalformedHandlerName"
    r"|InvalidEntrypoint|InvalidRuntime|CallbackHandlerDeprecated|InvalidWorkingDirectory)"
    r"|Unable to import module|Handler '[^']*' missing on module|Cannot find (?:module|package)"
    r"|ERR_MODULE_NOT_FOUND|ERR_REQUIRE_ESM|ModuleNotFoundError|ImportError"
    r"|Class not found|ClassNotFoundException|NoClassDefFoundError|NoSuchMethodException"
    r"|No public method named \w+ with appropriate method signature"
    r"|exec format error|fork/exec [^:]*: (?:no such file|permission denied)"
    r"|GLIBC_\d+\.\d+(?='? not found)|invalid ELF header|wrong ELF class: ELFCLASS\d+"
    r"|cannot open shared object file"
    r"|Extension\.(?:Crash|InitError|ExitError|LaunchError)"
    r"|Init\.(?:error|timeout)|Init<\w+>|cannot load such file"
    r"|Could not find the specified handler assembly|Could not load file or assembly"
    r"|Unable to load assembly"
    # python2.7 to 3.6 and nodejs4.3 to 8.10: the function's module failed to load.
    r"|module initialization error"
    # The .NET runtime's LambdaException when the package lacks the handler assembly's
    # `<assembly>.deps.json` (dotnetcore2.x).
    r"|Could not find the required '[\w.-]*deps\.json'",
    re.IGNORECASE,
)
_OOM = LazyPattern(
    r"Runtime\.OutOfMemory|JavaScript heap out of memory|Allocation failed - "
    r"|java\.lang\.OutOfMemoryError|OutOfMemoryError|OutOfMemoryException|\b\w*MemoryError\b"
    r"|fatal error: runtime: out of memory|NoMemoryError|failed to allocate memory"
    r"|Cannot allocate memory|signal: killed|std::bad_alloc|out of memory"
    r"|Unable to allocate [\d.]+ ?[KMGTP]i?B|Allowed memory size of \d+ bytes exhausted",
    re.IGNORECASE,
)
THREAD_LIMIT = LazyPattern(
    r"unable to create (?:new )?native thread|can't start new thread"
    r"|failed to create new OS thread|fatal error: newosproc|pthread_create failed",
    re.IGNORECASE,
)
"""A thread the runtime could not start: Lambda's 1,024 processes and threads an environment,
not its memory, though the JVM calls it an `OutOfMemoryError`."""
# An environment's fixed limits in the runtimes' words: /tmp full (Node.js's ENOSPC, Python's
# `[Errno 28]`), no file descriptor left (EMFILE, `[Errno 24]`: Node.js's `getaddrinfo EMFILE` is
# this, not DNS), no thread. Read before memory and the network, whose words such lines hold.
ENVIRONMENT_LIMIT = LazyPattern(
    r"No space left on device|\bENOSPC\b|\bErrno 28\b|Too many open files|\bEMFILE\b"
    r"|\bErrno 24\b|" + THREAD_LIMIT.pattern,
    re.IGNORECASE,
)

_HOST_PORT = LazyPattern(
    r"(?:host \"(?P<qhost>[^\"]+)\"[\s\S]{0,120}?port (?P<qport>\d{2,5}))"
    r"|(?:server (?:at|on) [\"'](?P<shost>[^\"']+)[\"'](?:.{0,40}?port (?P<sport>\d{2,5}))?)"
    r"|(?:host=[\"'](?P<phost>[^\"']+)[\"'], port=(?P<pport>\d{2,5}))"
    r"|(?:https?://(?P<uhost>[\w.-]+)(?::(?P<uport>\d{2,5}))?)"
    r"|(?:(?<![\w.:/-])(?P<host>\d{1,3}(?:\.\d{1,3}){3}|[A-Za-z][\w-]*(?:\.[\w-]+)*"
    r"|\[[0-9a-fA-F:]+\]):(?P<port>\d{2,5})\b(?!:\d))"
    r"|(?:\bto (?P<chost>[A-Za-z0-9][\w.-]*) port (?P<cport>\d{2,5}))"
    # Go's resolver: `lookup db.internal on 10.0.0.2:53: no such host` (not `lookup failed`)
    r"|(?:(?:lookup(?= [\w.-]+(?: on |: (?:no such host|server misbehaving|i/o timeout)))"
    r"|resolve host:?|ENOTFOUND|EAI_AGAIN|UnknownHostException:?) (?P<dhost>[\w.-]+))"
    # Prisma: ``Can't reach database server at `db.internal`:`5432` ``.
    r"|(?:`(?P<bhost>[A-Za-z0-9][\w.-]*)`:`(?P<bport>\d{2,5})`)"
    # Node.js errors serialised as JSON: `"host":"api.stripe.com"`, `"address":"10.0.1.5"`.
    r"|(?:\\?\"(?:host|hostname|address)\\?\"\s*:\s*\\?\"(?P<jhost>[A-Za-z0-9][\w.-]*)\\?\")"
    # ... and as Node's inspect prints them: `host: 'api.mailgun.net',`.
    r"|(?:\b(?:host|hostname): '(?P<ihost>[A-Za-z0-9][\w.-]*)')"
)
_HOST_GROUPS = (
    ("qhost", "qport"),
    ("shost", "sport"),
    ("phost", "pport"),
    ("uhost", "uport"),
    ("host", "port"),
    ("chost", "cport"),
    ("bhost", "bport"),
    ("dhost", None),
    ("jhost", None),
    ("ihost", None),
)
# `Handler.java:21`, `index.js:12`: a stack frame, not a host and port.
_SOURCE_FILE = LazyPattern(r"\.(?:java|kt|scala|js|mjs|cjs|ts|py|go|rb|cs|fs|php|rs)$")
_DB_PORTS = frozenset({"5432", "5439", "3306", "1433", "1521", "27017", "6379", "11211", "9042"})
_AWS_DB_HOSTS = ("rds.amazonaws.com", "cache.amazonaws.com", "docdb", "redshift.amazonaws.com")
_DB_HOST_HINTS = (
    "docdb",
    "postgres",
    "mysql",
    "aurora",
    "redis",
    "mongo",
    "database",
    "-db",
    "db.",
    "db-",
)
# Drivers and databases whose name in a connect error makes it a database's.
_DB_WORDS = LazyPattern(
    r"redis|mongo|postgres|psycopg|pg-pool|node-postgres|mysql|mariadb|jdbc|sqlalchemy|knex"
    r"|sequelize|typeorm|prisma|pgx|rds\.amazonaws|docdb|aurora|sqlserver|mssql|tedious|oracle"
)


def _required_words(pattern: LazyPattern) -> tuple[str, ...] | None:
    """Lower-cased words one of which every match of `pattern` holds, from the pattern's own
    parse; None when its shape does not say (it is then always searched)."""
    try:
        # No public API gives a pattern's parse (`sre_parse` is a deprecated alias of this same
        # private module): the shortcut is optional, and without it every rule is searched.
        from re import _constants, _parser  # type: ignore[attr-defined]

        tree = _parser.parse(pattern.pattern, pattern.flags)
        words = _words_of(list(tree), _constants)
    except Exception:  # noqa: BLE001 - another Python's parser: no shortcut, same result
        return None
    if not words or not all(word.isascii() for word in words):
        return None
    # A word holding another adds nothing: where it shows, so does the other.
    return tuple(sorted(w for w in words if not any(o != w and o in w for o in words)))


def _words_of(items: list[tuple[Any, Any]], sre: Any) -> set[str] | None:
    """For a sequence of parsed items: the most telling set of words one of which every match
    holds. A run of literal characters is one such word; a group or a repetition of at least
    one gives its own set; an alternation the union of its branches' (if each has one)."""
    candidates: list[set[str]] = []
    run: list[str] = []
    for op, arg in [*items, (None, None)]:
        if op is sre.LITERAL:
            run.append(chr(arg))
            continue
        if len(run) >= 3:
            candidates.append({"".join(run).lower()})
        run = []
        found: set[str] | None = None
        if op is sre.SUBPATTERN:
            found = _words_of(list(arg[-1]), sre)
        elif op is sre.ATOMIC_GROUP:
            found = _words_of(list(arg), sre)
        elif op in (sre.MAX_REPEAT, sre.MIN_REPEAT, sre.POSSESSIVE_REPEAT) and arg[0] >= 1:
            found = _words_of(list(arg[2]), sre)
        elif op is sre.BRANCH:
            branches = [_words_of(list(branch), sre) for branch in arg[1]]
            if all(branch is not None for branch in branches):
                found = set().union(*[branch for branch in branches if branch is not None])
        if found:
            candidates.append(found)
    # The set whose shortest word is longest rules out the most lines.
    return max(candidates, key=lambda words: min(map(len, words)), default=None)


class _Guarded:
    """A rule's regular expression, searched only where it could match.

    In ASCII text (nearly every log line), a match holds one of the pattern's literal words
    (in any case, for the case-insensitive parts), so a line whose lower-cased text holds none
    is ruled out by a few substring tests, instead of an alternation of dozens of phrases tried,
    case-insensitively, at every character. Lines with a trigger word but no family (a request
    id with `403` in it) and the error lines of every family go through all the rules.
    """

    __slots__ = ("_told", "_words", "pattern")

    def __init__(self, pattern: LazyPattern) -> None:
        self.pattern = pattern
        self._words: tuple[str, ...] | None = None
        self._told = False

    @property
    def words(self) -> tuple[str, ...] | None:
        """The pattern's required words (`_required_words`), read from its parse at the first
        search, not at import."""
        if not self._told:
            self._words = _required_words(self.pattern)
            self._told = True
        return self._words

    def search(self, text: str, lowered: str) -> re.Match[str] | None:
        """`pattern.search(text)`, where `lowered` is `text.lower()`."""
        words = self.words
        if words is not None and text.isascii():
            for word in words:
                if word in lowered:
                    break
            else:
                return None
        return self.pattern.search(text)


_LIMIT_RULE = _Guarded(ENVIRONMENT_LIMIT)
_OOM_RULE = _Guarded(_OOM)
_INIT_RULE = _Guarded(_INIT)
_PERMISSION_RULE = _Guarded(_PERMISSION)
_POOL_RULE = _Guarded(_POOL)
_DB_SERVER_FULL_RULE = _Guarded(_DB_SERVER_FULL)
_THROTTLE_RULE = _Guarded(_THROTTLE)
_DB_SPECIFIC_RULE = _Guarded(_DB_SPECIFIC)
_DB_GENERIC_RULE = _Guarded(_DB_GENERIC)
_NETWORK_VPC_RULE = _Guarded(_NETWORK_VPC)
_NETWORK_EFS_RULE = _Guarded(_NETWORK_EFS)
_NETWORK_RULE = _Guarded(_NETWORK)
_GUARDED_RULES = (
    _LIMIT_RULE,
    _OOM_RULE,
    _INIT_RULE,
    _PERMISSION_RULE,
    _POOL_RULE,
    _DB_SERVER_FULL_RULE,
    _THROTTLE_RULE,
    _DB_SPECIFIC_RULE,
    _DB_GENERIC_RULE,
    _NETWORK_VPC_RULE,
    _NETWORK_EFS_RULE,
    _NETWORK_RULE,
)


@cache
def _trigger_words() -> tuple[str, ...] | None:
    """Words one of which every classified line holds: the hand-picked triggers and each rule's
    own required words (so a rule can never match a line the quick test ruled out: a line's
    family must not depend on whether its request id happens to hold `403`). None when a rule's
    words cannot be told: then every line goes through the rules."""
    words = set(_TRIGGERS)
    for rule in _GUARDED_RULES:
        if rule.words is None:
            return None
        words.update(rule.words)
    return tuple(sorted(words))


_trigger_re: re.Pattern[str] | None = None
"""The quick test every classified line passes first, once built (`_trigger`)."""


def _trigger() -> re.Pattern[str]:
    """One prefix-factored expression of the trigger words, built when the first line is
    classified: reading the rules' words from their parses and compiling it was a tenth of what
    the monitor imports before its first frame, which classifies nothing."""
    global _trigger_re
    if _trigger_re is None:
        words = _trigger_words()
        _trigger_re = re.compile(_trie_pattern(words) if words else "")
    return _trigger_re


def trigger_words() -> tuple[str, ...]:
    """The lower-case words one of which every classified line holds (see `_trigger_words`): a
    search for them (Logs Insights' `core.aggregate.FAMILY_LINES`) misses no classified line."""
    words = _trigger_words()
    if words is None:
        raise RuntimeError("a rule's required words cannot be told: no word search is complete")
    return words


def deciding_patterns() -> tuple[tuple[str, str, int], ...]:
    """(name, pattern, flags) of what `classify` reads of a line to decide its family: each
    rule's expression in the order the rules run, then what a rule's decision also reads (a
    denial's action, a stack frame, a database's words or endpoint), and the telemetry words
    the VPC check sets a network line apart by. Two lines that match the same text of each
    classify alike (and the VPC check sorts them alike); Logs Insights groups a window's lines
    by them (`core.aggregate.FAMILY_COUNTS`) so the classifier classifies a group, not each
    line."""
    rules = (
        ("limit", ENVIRONMENT_LIMIT),
        ("oom", _OOM),
        ("threadLimit", THREAD_LIMIT),  # read by `_oom`: not memory
        ("init", _INIT),
        ("permission", _PERMISSION),
        ("pool", _POOL),
        ("dbFull", _DB_SERVER_FULL),
        ("throttle", _THROTTLE),
        ("dbSpecific", _DB_SPECIFIC),
        ("dbGeneric", _DB_GENERIC),
        ("vpc", _NETWORK_VPC),
        ("efs", _NETWORK_EFS),
        ("network", _NETWORK),
        ("wrapped", _WRAPPED),  # read by `_network`: the cause after an SDK's wrapper
        ("authorized", _NOT_AUTHORIZED),
        ("frame", _STACK_FRAME),
    )
    context = (
        # `_permission`'s own exclusion, and `_is_database_endpoint`'s ports and hosts.
        ("dbWords", _DB_WORDS.pattern, re.IGNORECASE),  # read of the lower-cased line
        ("loginDenied", "access denied for user", re.IGNORECASE),
        ("dbEndpoint", r":(?:" + "|".join(sorted(_DB_PORTS)) + r")\b", 0),
        ("dbHost", "|".join(re.escape(h) for h in (*_AWS_DB_HOSTS, *_DB_HOST_HINTS)), re.I),
        ("awsHost", r"amazonaws\.com", re.IGNORECASE),
        # Not the classifier's: what sets a network line of telemetry apart (the VPC check).
        ("telemetry", f"{TELEMETRY_WORDS.pattern}|{_TELEMETRY_ADDRESS}", re.IGNORECASE),
    )
    return (*((name, rule.pattern, rule.flags) for name, rule in rules), *context)


def is_connection_limit(classification: Classification) -> bool:
    """The database refuses new connections: every environment's pool together is too big."""
    return _DB_SERVER_FULL.search(classification.signature) is not None


def classify(text: str) -> Classification | None:
    """The error family a line belongs to, or None for the ordinary lines."""
    head = _scanned(text)
    lowered = head.lower()
    if (_trigger_re or _trigger()).search(lowered) is None:
        return None
    for rule in _RULES:
        found = rule(head, lowered)
        if found is not None:
            return found
    return None


def may_classify(text: str) -> bool:
    """False when no family can match anywhere in `text`: the cheap half of `classify`."""
    return (_trigger_re or _trigger()).search(_scanned(text).lower()) is not None


def classify_after(text: str, start: int) -> Classification | None:
    """`classify(text)` for a line whose first `start` characters are a runtime's log prefix:
    a timestamp, a request id and a level, each followed by a tab (the caller's regular
    expression vouches for that shape; a prefix with a space is scanned whole).

    No trigger word holds a tab or a bracket, so a trigger found in such a line lies inside one
    of the prefix's parts or inside the message; and the only trigger spelt with the characters
    of a timestamp or a request id, and none inside a level's name, is `403`. So, when the
    prefix holds no `403`, only the message needs the scan. Most lines have no trigger at all,
    and the prefix is two thirds of a short line.
    """
    prefix = text[:start]
    if " " in prefix or "403" in prefix or start > _SCAN_HEAD:
        return classify(text)
    if (_trigger_re or _trigger()).search(_scanned(text)[start:].lower()) is None:
        return None
    return classify(text)


def _environment_limit(text: str, lowered: str) -> Classification | None:
    match = _LIMIT_RULE.search(text, lowered)
    if match is None:
        return None
    return Classification(ErrorFamily.ENVIRONMENT_LIMIT, match.group())


def _oom(text: str, lowered: str) -> Classification | None:
    match = _OOM_RULE.search(text, lowered)
    if match is None or THREAD_LIMIT.search(text) is not None:
        return None
    return Classification(ErrorFamily.OUT_OF_MEMORY, match.group())


def _init(text: str, lowered: str) -> Classification | None:
    match = _INIT_RULE.search(text, lowered)
    if match is None:
        return None
    return Classification(ErrorFamily.INIT, match.group())


def _permission(text: str, lowered: str) -> Classification | None:
    match = _PERMISSION_RULE.search(text, lowered)
    if match is None:
        return None
    if "access denied for user" in lowered:
        return None  # a database refusing a login: the database rule's
    signature = match.group()
    action = resource = None
    service = None
    authorized = _NOT_AUTHORIZED.search(text)
    if authorized is None and _STACK_FRAME.search(text, 0, _SCAN_HEAD) is not None:
        return (
            None  # a frame of the denial's stack trace names its class: the message is the denial
        )
    if authorized is not None:
        action = authorized.group("action")
        resource = authorized.group("resource")
    else:
        allows = _POLICY_ALLOWS.search(text)
        if allows is not None:
            action = allows.group("action")
    sdk_service = None
    if action is None or ":" not in action:
        sdk_service, op = _sdk_context(text)
        action = action or op
    if "kmsaccessdenied" in lowered or "kms access" in lowered:
        service, action = "kms", action or "kms:Decrypt"
    if resource is None:
        arn = _ARN.search(text)
        if arn is not None and ":sts:" not in arn.group() and ":iam:" not in arn.group():
            resource = arn.group()
    resource = resource.rstrip(".;") if resource else None
    if service is None:
        service = _service_of(text, action, resource, sdk_service)
    action = _qualified(action, service)
    return Classification(
        ErrorFamily.PERMISSION, signature, service=service, action=action, resource=resource
    )


# A stack trace's frame, after a runtime's log prefix or alone: JavaScript's and Java's
# `at Class.method (file:line)`, Python's `File "...", line N`.
_STACK_FRAME = LazyPattern(r'(?:^|\t)\s*(?:at [\w$.<>\[\]/@-]+ \(|File "[^"\n]+", line \d+)')


def _pool(text: str, lowered: str) -> Classification | None:
    match = _POOL_RULE.search(text, lowered)
    if match is None:
        return None
    return Classification(
        ErrorFamily.CONNECTION_POOL, match.group(), endpoint=_endpoint(text, urls=False)
    )


def _database_server_full(text: str, lowered: str) -> Classification | None:
    match = _DB_SERVER_FULL_RULE.search(text, lowered)
    if match is None:
        return None
    return Classification(ErrorFamily.DATABASE, match.group(), endpoint=_endpoint(text, urls=False))


def _throttling(text: str, lowered: str) -> Classification | None:
    match = _THROTTLE_RULE.search(text, lowered)
    if match is None:
        return None
    sdk_service, op = _sdk_context(text)
    service = _service_of(text, op, None, sdk_service)
    if service is None and "provisionedthroughputexceeded" in lowered:
        service = "kinesis" if "shard" in lowered else "dynamodb"
    if service is None and ("slowdown" in lowered or "reduce your request rate" in lowered):
        service = "s3"
    return Classification(
        ErrorFamily.THROTTLING, match.group(), service=service, action=_qualified(op, service)
    )


def _database(text: str, lowered: str) -> Classification | None:
    match = _DB_SPECIFIC_RULE.search(text, lowered)
    if match is None:
        match = _DB_GENERIC_RULE.search(text, lowered)
        if match is None:
            return None
        match = _NETWORK_RULE.search(text, lowered) or match
    return Classification(ErrorFamily.DATABASE, match.group(), endpoint=_endpoint(text, False))


def _network(text: str, lowered: str) -> Classification | None:
    vpc = _NETWORK_VPC_RULE.search(text, lowered)
    if vpc is not None:
        quota = ENI_QUOTA.search(text)
        return Classification(ErrorFamily.NETWORK, (quota or vpc).group(), service="ec2")
    efs = _NETWORK_EFS_RULE.search(text, lowered)
    if efs is not None:
        return Classification(ErrorFamily.NETWORK, efs.group(), service="efs")
    match = _NETWORK_RULE.search(text, lowered)
    if match is None:
        return None
    match = _specific(match, text)
    endpoint = _endpoint(text)
    if (endpoint is not None and _is_database_endpoint(endpoint)) or (
        _DB_WORDS.search(lowered) is not None and "amazonaws.com" not in (endpoint or "")
    ):
        return Classification(ErrorFamily.DATABASE, match.group(), endpoint=endpoint)
    service = _aws_service_of_host(endpoint) if endpoint is not None else _sdk_service_of(text)
    return Classification(ErrorFamily.NETWORK, match.group(), service=service, endpoint=endpoint)


# The Java SDK's wrappers: `SdkClientException: Unable to execute HTTP request: Connect to
# sqs...:443 failed: connect timed out` says what happened only after them.
_NETWORK_WRAPPER = r"SdkClientException|Unable to execute HTTP request"
_AFTER_WRAPPER = LazyPattern(
    r"(?i:connect timed out|read timed out|connection refused|connection reset"
    r"|network is unreachable|no route to host)"
)
_WRAPPED_SPAN = 2000
"""How far after a wrapper its cause is looked for (the deciding pattern's span too)."""


def _specific(match: re.Match[str], text: str) -> re.Match[str]:
    """The cause a wrapper's message gives after it (`connect timed out`, `Read timed out`),
    or the wrapper's own words when none follows."""
    if re.fullmatch(_NETWORK_WRAPPER, match.group(), re.IGNORECASE) is None:
        return match
    cause = _AFTER_WRAPPER.search(text, match.end(), match.end() + _WRAPPED_SPAN)
    return cause or match


def _sdk_service_of(text: str) -> str | None:
    """The service an SDK's own words name (`[Aws::SQS::Client 0 62.1 3 retries]`,
    `(Service: AmazonSQS; ...)`), never an ARN: a network error names no resource."""
    sdk_service, op = _sdk_context(text)
    if op in _OPERATION_SERVICE:
        return _OPERATION_SERVICE[op]
    if sdk_service is not None:
        return sdk_service
    named = _SDK_SERVICE.search(text) or _SDK_CLASS_SERVICE.search(text)
    if named is None:
        return None
    return _service_name(next(group for group in named.groups() if group).strip())


_WRAPPED = LazyPattern(
    rf"(?i:{_NETWORK_WRAPPER})[\s\S]{{0,{_WRAPPED_SPAN}}}?(?:{_AFTER_WRAPPER.pattern})"
)

_RULES: tuple[Callable[[str, str], Classification | None], ...] = (
    _environment_limit,
    _oom,
    _init,
    _permission,
    _pool,
    _database_server_full,
    _throttling,
    _database,
    _network,
)


_DOCUMENTATION_HOSTS = frozenset(
    (
        "curl.haxx.se",
        "curl.se",
        "sqlalche.me",
        "docs.aws.amazon.com",
        "aws.amazon.com",
        "www.postgresql.org",
        "dev.mysql.com",
        "nodejs.org",
        "github.com",
        "stackoverflow.com",
        "docs.guzzlephp.org",
    )
)
"""Hosts of the documentation links error messages carry (cURL's `see https://curl.haxx.se/...`),
never the endpoint that failed."""


def _endpoint(text: str, urls: bool = True) -> str | None:
    """The host (and port) the message names; URLs only where they can be the endpoint (an
    AWS service's), not the documentation link of a database driver's error. A driver's own
    wording (`server on 'db.internal'`, `host "db" ... port 5432`) wins over a bare `name:port`
    met earlier, which may be a logger's `function:line` (`get_conn:31`)."""
    bare: str | None = None
    for match in _HOST_PORT.finditer(text):
        groups = match.groupdict()
        for host_key, port_key in _HOST_GROUPS:
            host = groups.get(host_key)
            if not host:
                continue
            if host_key == "uhost" and (not urls or host.lower() in _DOCUMENTATION_HOSTS):
                break  # a driver's or library's link to its documentation
            if host_key == "host" and (_SOURCE_FILE.search(host) or _CODE_NAME.fullmatch(host)):
                break
            port = groups.get(port_key) if port_key else None
            endpoint = f"{host}:{port}" if port else host
            if host_key not in ("host", "jhost", "ihost"):
                return endpoint
            if bare is None:
                bare = endpoint
            break
    return bare


# `get_conn:31`, `handler:12`: a function and a line number, not a host (no dots; host names
# hold no underscore).
_CODE_NAME = LazyPattern(r"[A-Za-z][\w-]*_[\w-]*")


def _is_database_endpoint(endpoint: str) -> bool:
    host, _, port = endpoint.rpartition(":") if ":" in endpoint else (endpoint, "", "")
    if port in _DB_PORTS:
        return True
    lowered = (host or endpoint).lower()
    if "amazonaws.com" in lowered:
        # `dynamodb.us-east-1.amazonaws.com` is an API, not a database connection.
        return any(hint in lowered for hint in _AWS_DB_HOSTS)
    return any(hint in lowered for hint in _DB_HOST_HINTS)


def _aws_service_of_host(host: str) -> str | None:
    """`sqs` of `sqs.us-east-1.amazonaws.com`, `s3` of `bucket.s3.eu-west-1.amazonaws.com`."""
    match = _AWS_HOST.search(host)
    if match is None:
        return None
    labels = [
        label
        for label in match.group("labels").lower().split(".")
        if label
        and not _REGION_LABEL.fullmatch(label)
        and label not in ("dualstack", "fips", "vpce", "api")
    ]
    return _service_name(labels[-1]) if labels else None


def _service_name(name: str) -> str:
    """An SDK's or endpoint's name of a service as the prefix of its IAM actions."""
    key = name.lower().replace(" ", "").replace("-", "").replace("_", "")
    for prefix in ("amazon", "aws"):
        if key.startswith(prefix) and len(key) > len(prefix):
            key = key[len(prefix) :]
    return _SERVICE_ALIASES.get(key, key)


def _sdk_context(text: str) -> tuple[str | None, str | None]:
    """The service and operation an SDK error names, in any SDK's wording."""
    service = op = None
    operation = _OPERATION.search(text)
    if operation is not None:
        op = operation.group("op")
    else:
        go = _GO_OPERATION.search(text)
        if go is not None:
            service, op = _service_name(go.group("service")), go.group("op")
    if service is None:
        package = _SDK_PACKAGE.search(text)
        if package is not None:
            service = _service_name(package.group("java") or package.group("js"))
            if op is None and package.group("js"):
                command = _JS_COMMAND.search(text)
                op = command.group("op") if command is not None else None
    return service, op


def _qualified(action: str | None, service: str | None) -> str | None:
    """`dynamodb:PutItem` from `PutItem` and `dynamodb`; the IAM prefix in lower case."""
    if action is None:
        return None
    if ":" in action:
        prefix, _, name = action.partition(":")
        prefix = prefix.lower()
        # SQS names the action in lower case (`sqs:sendmessage`): IAM matches actions in any
        # case, but the advice spells it as the API does.
        known = _OPERATION_BY_LOWER.get(name.lower()) if name.islower() else None
        if known is not None and _OPERATION_SERVICE[known] == prefix:
            name = known
        return f"{prefix}:{name}"
    return f"{service}:{action}" if service is not None else action


_OPERATION_BY_LOWER = {operation.lower(): operation for operation in _OPERATION_SERVICE}


def _service_of(
    text: str, action: str | None, resource: str | None, sdk_service: str | None = None
) -> str | None:
    if action and ":" in action:
        return action.split(":", 1)[0].lower()
    if action and action in _OPERATION_SERVICE:
        return _OPERATION_SERVICE[action]
    if sdk_service is not None:
        return sdk_service
    sdk = _SDK_SERVICE.search(text)
    if sdk is not None:
        return _service_name(sdk.group("service").strip())
    named = _SDK_CLASS_SERVICE.search(text)
    if named is not None:
        return _service_name(next(group for group in named.groups() if group))
    if resource:
        arn = _ARN.match(resource)
        if arn is not None:
            return arn.group("service")
    arn = _ARN.search(text)
    if arn is not None and arn.group("service") not in ("sts", "iam"):
        return arn.group("service")
    return None
