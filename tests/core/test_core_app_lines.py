"""Application lines as each runtime's logger writes them: request id, level, timestamp, and
whether the line says the invocation itself failed (an unhandled error) or merely logs one."""

from __future__ import annotations

import json
from typing import Any

import pytest
from core_corpus import RID, TRACE, TS, TS_MS, assert_fields

from lambdatop.core.parse import parse
from lambdatop.core.records import ErrorFamily, Level, LineKind

TRACEBACK = (
    "Traceback (most recent call last):\n"
    '  File "/var/task/app.py", line 14, in handler\n'
    '    order = event["order_id"]'
)
NODE_STACK = (
    "[\"TypeError: Cannot read properties of undefined (reading 'id')\","
    '"    at Runtime.handler (file:///var/task/index.mjs:5:22)",'
    '"    at Runtime.handleOnceNonStreaming (file:///var/runtime/index.mjs:1173:29)"]'
)

# (message, expected ParsedLine fields, expected family or None)
PYTHON = [
    pytest.param(
        f"[INFO]\t{TS}\t{RID}\tProcessed 12 records from queue",
        {"request_id": RID, "level": Level.INFO, "timestamp_ms": TS_MS, "unhandled": False},
        None,
        id="py-info",
    ),
    pytest.param(
        f"[DEBUG]\t{TS}\t{RID}\tevent: {{'Records': []}}",
        {"request_id": RID, "level": Level.DEBUG},
        None,
        id="py-debug",
    ),
    pytest.param(
        f"[WARNING]\t{TS}\t{RID}\tretrying charge, attempt 2",
        {"request_id": RID, "level": Level.WARN},
        None,
        id="py-warning",
    ),
    pytest.param(
        f"[ERROR]\t{TS}\t{RID}\tcharge failed: card declined",
        {"request_id": RID, "level": Level.ERROR, "unhandled": False, "error_type": None},
        None,
        id="py-logged-error",
    ),
    pytest.param(
        f"[CRITICAL]\t{TS}\t{RID}\tledger out of balance",
        {"request_id": RID, "level": Level.FATAL},
        None,
        id="py-critical",
    ),
    pytest.param(
        f"[INFO]\t{TS}\t\tLoading config from SSM",
        {"request_id": None, "level": Level.INFO, "timestamp_ms": TS_MS},
        None,
        id="py-init-empty-request-id",
    ),
    pytest.param(
        f"[INFO]\t{TS}\t\tLoaded\tconfig\tv3",
        {"request_id": None, "level": Level.INFO},
        None,
        id="py-init-tabs-in-message",
    ),
    pytest.param(
        f"[ERROR]\t{TS}\t{RID}\tTraceback (most recent call last):\n  File ...",
        {"request_id": RID, "level": Level.ERROR, "unhandled": False},
        None,
        id="py-logged-traceback",
    ),
    pytest.param(
        "[ERROR] KeyError: 'order_id'\n" + TRACEBACK,
        {"request_id": None, "level": Level.ERROR, "unhandled": True, "error_type": "KeyError"},
        None,
        id="py-unhandled-keyerror",
    ),
    pytest.param(
        "[ERROR] ValueError: invalid literal for int() with base 10: 'abc'\r"
        + TRACEBACK.replace("\n", "\r"),
        {"unhandled": True, "error_type": "ValueError"},
        None,
        id="py-unhandled-cr-newlines",
    ),
    pytest.param(
        "[ERROR] MemoryError\n" + TRACEBACK,
        {"unhandled": True, "error_type": "MemoryError"},
        ErrorFamily.OUT_OF_MEMORY,
        id="py-unhandled-no-message",
    ),
    pytest.param(
        "[ERROR] Exception\n" + TRACEBACK,
        {"unhandled": True, "error_type": "Exception"},
        None,
        id="py-bare-exception",
    ),
    pytest.param(
        "[ERROR] Exception: boom",
        {"unhandled": True, "error_type": "Exception"},
        None,
        id="py-exception-no-traceback",
    ),
    pytest.param(
        "[ERROR] ClientError: An error occurred (AccessDeniedException) when calling the GetItem "
        "operation: User: arn:aws:sts::123456789012:assumed-role/r/f is not authorized to perform: "
        "dynamodb:GetItem on resource: arn:aws:dynamodb:us-east-1:123456789012:table/orders\n"
        + TRACEBACK,
        {"unhandled": True, "error_type": "ClientError"},
        ErrorFamily.PERMISSION,
        id="py-unhandled-client-error",
    ),
    pytest.param(
        "[ERROR] botocore.exceptions.ConnectTimeoutError: Connect timeout on endpoint URL: "
        '"https://sqs.us-east-1.amazonaws.com/"',
        {"unhandled": True, "error_type": "botocore.exceptions.ConnectTimeoutError"},
        ErrorFamily.NETWORK,
        id="py-unhandled-dotted-type",
    ),
    pytest.param(
        "[ERROR] Runtime.ImportModuleError: Unable to import module 'app': "
        "No module named 'requests'\n"
        "Traceback (most recent call last):",
        {"unhandled": True, "error_type": "Runtime.ImportModuleError"},
        ErrorFamily.INIT,
        id="py-import-module-error",
    ),
    pytest.param(
        "[ERROR] Runtime.HandlerNotFound: Handler 'lambda_handler' missing on module 'app'\n"
        "Traceback (most recent call last):",
        {"unhandled": True, "error_type": "Runtime.HandlerNotFound"},
        ErrorFamily.INIT,
        id="py-handler-not-found",
    ),
    pytest.param(
        "[ERROR] Runtime.UserCodeSyntaxError: Syntax error in module 'app': invalid syntax "
        '(app.py, line 12)\nTraceback (most recent call last):\n  File "/var/task/app.py" Line 12',
        {"unhandled": True, "error_type": "Runtime.UserCodeSyntaxError"},
        ErrorFamily.INIT,
        id="py-syntax-error",
    ),
    pytest.param(
        "[ERROR] Runtime.MarshalError: Unable to marshal response: Object of type datetime is not "
        "JSON serializable",
        {"unhandled": True, "error_type": "Runtime.MarshalError"},
        None,
        id="py-marshal-error",
    ),
    pytest.param(
        "[ERROR] Failed to process order 12",
        {"unhandled": False, "level": Level.ERROR},
        None,
        id="bracket-error-sentence",
    ),
    pytest.param(
        "LAMBDA_WARNING: Unhandled exception. The most likely cause is an issue in the function "
        "code. However, in rare cases, a Lambda runtime update can cause unexpected function "
        "behavior. For functions using managed runtimes, runtime updates can be triggered by a "
        "function change, or can be applied automatically. To determine if the runtime has been "
        "updated, check the runtime version in the INIT_START log entry.",
        {"level": Level.WARN, "unhandled": False},
        None,
        id="lambda-warning",
    ),
]

PYTHON_JSON = [
    pytest.param(
        json.dumps(
            {
                "@timestamp": TS,
                "log.level": "ERROR",
                "message": "order lookup failed",
                "ecs.version": "1.2.0",
                "error.type": "java.lang.NullPointerException",
                "AWSRequestId": RID,
            }
        ),
        {"level": Level.ERROR},
        None,
        id="ecs-log-level-dotted",
    ),
    pytest.param(
        json.dumps(
            {
                "@timestamp": TS,
                "log": {"level": "warn", "logger": "orders"},
                "message": "retrying",
            }
        ),
        {"level": Level.WARN},
        None,
        id="ecs-log-level-nested",
    ),
    pytest.param(
        json.dumps(
            {
                "timestamp": TS,
                "level": "INFO",
                "message": "Processed 12 records",
                "logger": "root",
                "requestId": RID,
            }
        ),
        {"request_id": RID, "level": Level.INFO, "timestamp_ms": TS_MS, "unhandled": False},
        None,
        id="py-json-info",
    ),
    pytest.param(
        json.dumps(
            {
                "timestamp": TS,
                "log_level": "ERROR",
                "errorMessage": "'order_id'",
                "errorType": "KeyError",
                "requestId": RID,
                "stackTrace": ['  File "/var/task/app.py", line 14, in handler\n'],
            }
        ),
        {"request_id": RID, "level": Level.ERROR, "unhandled": True, "error_type": "KeyError"},
        None,
        id="py-json-unhandled",
    ),
    pytest.param(
        json.dumps(
            {
                "timestamp": TS,
                "level": "ERROR",
                "message": "charge failed",
                "logger": "root",
                "requestId": RID,
                "errorType": "ValueError",
                "errorMessage": "bad amount",
                "stackTrace": ['  File "/var/task/app.py", line 30'],
            }
        ),
        {"request_id": RID, "level": Level.ERROR, "unhandled": False, "error_type": None},
        None,
        id="py-json-logged-exception",
    ),
    pytest.param(
        json.dumps(
            {
                "level": "INFO",
                "location": "collect_payment:23",
                "message": "Collecting payment",
                "timestamp": "2026-03-02 09:14:55,120+0000",
                "service": "payment",
                "cold_start": True,
                "function_name": "payment",
                "function_memory_size": "512",
                "function_arn": "arn:aws:lambda:us-east-1:123456789012:function:payment",
                "function_request_id": RID,
                "xray_trace_id": TRACE,
            }
        ),
        {"request_id": RID, "level": Level.INFO, "timestamp_ms": TS_MS, "unhandled": False},
        None,
        id="powertools-python",
    ),
    pytest.param(
        json.dumps(
            {
                "level": "ERROR",
                "location": "handler:40",
                "message": "Payment failed",
                "timestamp": "2026-03-02 09:14:55,120+0000",
                "service": "payment",
                "exception": 'Traceback (most recent call last):\n  File "/var/task/app.py"\n'
                "botocore.errorfactory.ConditionalCheckFailedException: An error occurred "
                "(ConditionalCheckFailedException) when calling the PutItem operation",
                "exception_name": "ConditionalCheckFailedException",
                "function_request_id": RID,
                "xray_trace_id": TRACE,
            }
        ),
        {"request_id": RID, "level": Level.ERROR, "unhandled": False},
        None,
        id="powertools-python-exception",
    ),
    pytest.param(
        json.dumps(
            {
                "cold_start": True,
                "function_arn": "arn:aws:lambda:eu-west-1:123456789012:function:orders",
                "function_memory_size": 128,
                "function_name": "orders",
                "function_request_id": RID,
                "level": "WARN",
                "message": "slow downstream",
                "sampling_rate": 0,
                "service": "orders",
                "timestamp": TS,
                "xray_trace_id": TRACE,
            }
        ),
        {"request_id": RID, "level": Level.WARN, "timestamp_ms": TS_MS},
        None,
        id="powertools-typescript",
    ),
]

NODE = [
    pytest.param(
        f"{TS}\t{RID}\tINFO\tfetched 3 items",
        {"request_id": RID, "level": Level.INFO, "timestamp_ms": TS_MS, "unhandled": False},
        None,
        id="node-info",
    ),
    pytest.param(
        f"{TS}\t{RID}\tWARN\tcache miss for user 42",
        {"request_id": RID, "level": Level.WARN},
        None,
        id="node-warn",
    ),
    pytest.param(
        f"{TS}\t{RID}\tDEBUG\t{{ body: '...' }}",
        {"request_id": RID, "level": Level.DEBUG},
        None,
        id="node-debug",
    ),
    pytest.param(
        f"{TS}\t{RID}\tTRACE\tentering handler",
        {"request_id": RID, "level": Level.TRACE},
        None,
        id="node-trace",
    ),
    pytest.param(
        f"{RID}\tINFO\tfetched 3 items (timestamp stripped by a tool)",
        {"request_id": RID, "level": Level.INFO, "unhandled": False},
        None,
        id="node-rid-prefix",
    ),
    pytest.param(
        f'{RID}\tERROR\tInvoke Error \t{{"errorType":"TypeError","errorMessage":"x"}}',
        {"request_id": RID, "level": Level.ERROR, "unhandled": True, "error_type": "TypeError"},
        None,
        id="node-rid-prefix-invoke-error",
    ),
    pytest.param(
        f"{TS}\tundefined\tINFO\tLoading function",
        {"request_id": None, "level": Level.INFO, "timestamp_ms": TS_MS},
        None,
        id="node-init-undefined",
    ),
    pytest.param(
        f"{TS}\t{RID}\tERROR\tfailed to charge card 4242",
        {"request_id": RID, "level": Level.ERROR, "unhandled": False},
        None,
        id="node-logged-error",
    ),
    pytest.param(
        f'{TS}\t{RID}\tERROR\tInvoke Error \t{{"errorType":"TypeError","errorMessage":'
        f'"Cannot read properties of undefined (reading \'id\')","trace":{NODE_STACK}}}',
        {"request_id": RID, "level": Level.ERROR, "unhandled": True, "error_type": "TypeError"},
        None,
        id="node-invoke-error",
    ),
    pytest.param(
        f'{TS}\tundefined\tERROR\tUncaught Exception \t{{"errorType":"Runtime.ImportModuleError",'
        '"errorMessage":"Error: Cannot find module \'axios\'\\nRequire stack:\\n- '
        '/var/task/index.js\\n- /var/runtime/index.mjs","stack":["Runtime.ImportModuleError: '
        'Error: Cannot find module"]}',
        {"request_id": None, "unhandled": True, "error_type": "Runtime.ImportModuleError"},
        ErrorFamily.INIT,
        id="node-uncaught-import",
    ),
    pytest.param(
        f'{TS}\t{RID}\tERROR\tUnhandled Promise Rejection \t{{"errorType":'
        '"Runtime.UnhandledPromiseRejection","errorMessage":"Error: boom","reason":{"errorType":'
        '"Error","errorMessage":"boom"},"promise":{},"stack":["Runtime.UnhandledPromiseRejection"]}',
        {"request_id": RID, "unhandled": True, "error_type": "Runtime.UnhandledPromiseRejection"},
        None,
        id="node-unhandled-rejection",
    ),
    pytest.param(
        f"{TS}\t{RID}\tERROR\tError: connect ECONNREFUSED 10.0.1.5:5432\r    at "
        "TCPConnectWrap.afterConnect [as oncomplete] (node:net:1555:16)",
        {"request_id": RID, "level": Level.ERROR, "unhandled": False},
        ErrorFamily.DATABASE,
        id="node-cr-newlines",
    ),
    pytest.param(
        f'{TS}\tundefined\tERROR\tUncaught Exception \t{{"errorType":"Error","errorMessage":'
        "\"Cannot find package 'pg' imported from /var/task/index.mjs\","
        '"code":"ERR_MODULE_NOT_FOUND"}',
        {"unhandled": True, "error_type": "Error"},
        ErrorFamily.INIT,
        id="node-esm-not-found",
    ),
    pytest.param(
        "FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory",
        {"level": Level.FATAL, "unhandled": True, "error_type": "Runtime.OutOfMemory"},
        ErrorFamily.OUT_OF_MEMORY,
        id="node-heap-oom",
    ),
    pytest.param(
        "FATAL ERROR: Ineffective mark-compacts near heap limit Allocation failed - JavaScript "
        "heap out of memory",
        {"unhandled": True},
        ErrorFamily.OUT_OF_MEMORY,
        id="node-mark-compacts-oom",
    ),
    pytest.param(
        json.dumps(
            {
                "timestamp": TS,
                "level": "ERROR",
                "requestId": RID,
                "message": "Invoke Error",
                "errorType": "Error",
                "errorMessage": "boom",
                "stackTrace": ["Error: boom", "    at handler (/var/task/index.js:3:9)"],
            }
        ),
        {"request_id": RID, "unhandled": True, "error_type": "Error"},
        None,
        id="node-json-invoke-error",
    ),
    pytest.param(
        json.dumps(
            {
                "timestamp": TS,
                "level": "ERROR",
                "requestId": RID,
                "message": {"errorType": "TypeError", "errorMessage": "x is not a function"},
            }
        ),
        {"request_id": RID, "unhandled": True, "error_type": "TypeError"},
        None,
        id="node-json-error-object",
    ),
    pytest.param(
        json.dumps({"timestamp": TS, "level": "INFO", "requestId": "undefined", "message": "init"}),
        {"request_id": None, "level": Level.INFO},
        None,
        id="node-json-undefined",
    ),
    pytest.param(
        json.dumps(
            {"level": 50, "time": TS_MS, "pid": 8, "msg": "query failed", "err": {"type": "Error"}}
        ),
        {"level": Level.ERROR, "timestamp_ms": TS_MS, "unhandled": False},
        None,
        id="pino-numeric-level",
    ),
    pytest.param(
        json.dumps({"level": 30, "time": TS_MS, "msg": "ok"}),
        {"level": Level.INFO},
        None,
        id="pino-info",
    ),
]

JAVA = [
    pytest.param(
        "Processing order 12 for customer 7",
        {"request_id": None, "level": None, "unhandled": False},
        None,
        id="java-lambdalogger-raw",
    ),
    pytest.param(
        "[ERROR] Failed to write order 12",
        {"level": Level.ERROR, "unhandled": False},
        None,
        id="java-level-prefix",
    ),
    pytest.param(
        f"2026-03-02 09:14:55 {RID} ERROR OrderHandler - Failed to write order",
        {"request_id": RID, "level": Level.ERROR, "timestamp_ms": TS_MS - 120},
        None,
        id="log4j2-default",
    ),
    pytest.param(
        f"2026-03-02 09:14:55 {RID} INFO  OrderHandler:42 - started",
        {"request_id": RID, "level": Level.INFO},
        None,
        id="log4j2-padded-level",
    ),
    pytest.param(
        "2026-03-02 09:14:55  WARN OrderHandler - no request id during init",
        {"request_id": None, "level": Level.WARN},
        None,
        id="log4j2-empty-mdc",
    ),
    pytest.param(
        "2026-03-02 09:14:55.120 [main] WARN  c.a.OrderHandler - slow downstream",
        {"request_id": None, "level": Level.WARN, "timestamp_ms": TS_MS},
        None,
        id="logback-thread",
    ),
    pytest.param(
        '{"errorMessage":"Cannot invoke \\"String.length()\\" because \\"s\\" is null",'
        '"errorType":"java.lang.NullPointerException","stackTrace":['
        '"com.acme.Handler.handleRequest(Handler.java:21)"]}',
        {"level": Level.ERROR, "unhandled": True, "error_type": "java.lang.NullPointerException"},
        None,
        id="java-unhandled",
    ),
    pytest.param(
        '{"errorMessage":"Java heap space","errorType":"java.lang.OutOfMemoryError",'
        '"stackTrace":["java.base/java.util.Arrays.copyOf(Unknown Source)"]}',
        {"unhandled": True, "error_type": "java.lang.OutOfMemoryError"},
        ErrorFamily.OUT_OF_MEMORY,
        id="java-unhandled-oom",
    ),
    pytest.param(
        "Class not found: com.acme.OrderHandler: java.lang.ClassNotFoundException\n"
        "java.lang.ClassNotFoundException: com.acme.OrderHandler\n"
        "\tat java.base/java.net.URLClassLoader.findClass(Unknown Source)",
        {"unhandled": True, "error_type": "java.lang.ClassNotFoundException"},
        ErrorFamily.INIT,
        id="java-class-not-found",
    ),
    pytest.param(
        "HikariPool-1 - Connection is not available, request timed out after 30000ms.:"
        " java.sql.SQLTransientConnectionException\n"
        "java.sql.SQLTransientConnectionException: HikariPool-1 - Connection is not available,"
        " request timed out after 30000ms.\n"
        "\tat com.zaxxer.hikari.pool.HikariPool.createTimeoutException(HikariPool.java:696)",
        {
            "level": Level.ERROR,
            "unhandled": True,
            "error_type": "java.sql.SQLTransientConnectionException",
        },
        ErrorFamily.CONNECTION_POOL,
        id="java-runtime-unhandled",
    ),
    pytest.param(
        "null: java.lang.NullPointerException\r\njava.lang.NullPointerException\r\n"
        "\tat com.acme.Handler.handleRequest(Handler.java:21)",
        {"unhandled": True, "error_type": "java.lang.NullPointerException"},
        None,
        id="java-runtime-unhandled-no-message",
    ),
    pytest.param(
        "Loading settings: com.acme.config.Settings\ncom.acme.config.Settings loaded in 12 ms",
        {"unhandled": False},
        None,
        id="java-class-name-after-colon-is-not-an-error",
    ),
    pytest.param(
        json.dumps(
            {
                "timestamp": TS,
                "level": "ERROR",
                "message": "failed",
                "logger": "com.acme.Handler",
                "AWSRequestId": RID,
            }
        ),
        {"request_id": RID, "level": Level.ERROR},
        None,
        id="java-json",
    ),
]

GO_RUBY_DOTNET_CUSTOM = [
    pytest.param(
        "2026/03/02 09:14:55 processing record 12",
        {"level": None, "timestamp_ms": TS_MS - 120, "unhandled": False},
        None,
        id="go-log",
    ),
    pytest.param(
        '2026/03/02 09:14:55 {"errorMessage":"boom","errorType":"errorString"}',
        {"level": Level.ERROR, "unhandled": True, "error_type": "errorString"},
        None,
        id="go-log-error-payload",
    ),
    pytest.param(
        "panic: runtime error: invalid memory address or nil pointer dereference\n"
        "[signal SIGSEGV: segmentation violation code=0x1 addr=0x0 pc=0x4a8b5c]\n\n"
        "goroutine 1 [running]:\nmain.handler(...)\n\t/var/task/main.go:42 +0x1d",
        {"level": Level.FATAL, "unhandled": True, "error_type": "Runtime.ExitError"},
        None,
        id="go-panic",
    ),
    pytest.param(
        "fatal error: runtime: out of memory",
        # Lambda names it Runtime.ExitError: a search for that finds the invocations
        {"level": Level.FATAL, "unhandled": True, "error_type": "Runtime.ExitError"},
        ErrorFamily.OUT_OF_MEMORY,
        id="go-oom",
    ),
    pytest.param(
        "thread 'main' panicked at src/tenant.rs:61:38:\ncalled `Result::unwrap()` on an `Err`"
        ' value: Missing("tenant")\nnote: run with `RUST_BACKTRACE=1` to display a backtrace',
        {"level": Level.FATAL, "unhandled": True, "error_type": "Rust.Panic"},
        None,
        id="rust-panic",
    ),
    pytest.param(
        "NOTICE: PHP message: PHP Fatal error:  Allowed memory size of 134217728 bytes exhausted"
        " (tried to allocate 20480 bytes) in /var/task/src/Report.php on line 88",
        {"level": Level.FATAL, "unhandled": True, "error_type": "PHP.FatalError"},
        ErrorFamily.OUT_OF_MEMORY,
        id="php-fpm-fatal-memory-limit",
    ),
    pytest.param(
        'time="2026-03-02T09:14:55Z" level=error msg="put item failed" error="AccessDenied"',
        {"level": Level.ERROR, "unhandled": False},
        ErrorFamily.PERMISSION,
        id="logrus-error",
    ),
    pytest.param(
        'level=info msg="processed batch" count=10',
        {"level": Level.INFO},
        None,
        id="logrus-info",
    ),
    pytest.param(
        'level=info msg="ERROR count=0 after retry"',
        {"level": Level.INFO},
        None,
        id="logfmt-level-beats-word",
    ),
    pytest.param(
        "time=2026-03-02T09:14:55.120Z level=WARN msg=retrying attempt=2",
        {"level": Level.WARN},
        None,
        id="slog-text",
    ),
    pytest.param(
        json.dumps({"time": TS, "level": "ERROR", "msg": "query failed", "err": "x"}),
        {"level": Level.ERROR, "timestamp_ms": TS_MS},
        None,
        id="slog-json",
    ),
    pytest.param(
        json.dumps(
            {"level": "error", "ts": 1772442895.12, "caller": "main.go:42", "msg": "failed"}
        ),
        {"level": Level.ERROR},
        None,
        id="zap-json",
    ),
    pytest.param(
        f"I, [2026-03-02T09:14:55.120000 #8]  INFO -- {RID}: ## ENVIRONMENT VARIABLES",
        {"request_id": RID, "level": Level.INFO, "timestamp_ms": TS_MS},
        None,
        id="ruby-logger",
    ),
    pytest.param(
        f"E, [2026-03-02T09:14:55.120000 #8] ERROR -- {RID}: charge failed",
        {"request_id": RID, "level": Level.ERROR},
        None,
        id="ruby-logger-error",
    ),
    pytest.param(
        "W, [2026-03-02T09:14:55.120000 #8]  WARN -- : during init",
        {"request_id": None, "level": Level.WARN},
        None,
        id="ruby-logger-no-progname",
    ),
    pytest.param(
        '{"errorMessage":"undefined method `[]\' for nil:NilClass","errorType":'
        '"Function<NoMethodError>","stackTrace":["/var/task/function.rb:5:in `handler\'"]}',
        {"unhandled": True, "error_type": "Function<NoMethodError>"},
        None,
        id="ruby-unhandled",
    ),
    pytest.param(
        "Init error when loading handler function.handler\n"
        '{"errorMessage":"cannot load such file -- httparty","errorType":"Init<LoadError>"}',
        {"unhandled": False},
        ErrorFamily.INIT,
        id="ruby-init-error",
    ),
    pytest.param(
        "Critical exception from handler\n"
        '{"errorMessage":"failed to allocate memory","errorType":"Function<NoMemoryError>"}',
        # Ruby's runtime says so of the error that ends the invocation (and exits after it).
        {"unhandled": True, "error_type": "Function<NoMemoryError>"},
        ErrorFamily.OUT_OF_MEMORY,
        id="ruby-no-memory",
    ),
    pytest.param(
        f"{TS}\t{RID}\tinfo\tProcessing order 12",
        {"request_id": RID, "level": Level.INFO, "timestamp_ms": TS_MS},
        None,
        id="dotnet-info",
    ),
    pytest.param(
        f"{TS}\t{RID}\tfail\tSystem.InvalidOperationException: order is closed\n   at"
        " Orders.Function.Handle(Order order) in /src/Function.cs:line 42",
        {
            "request_id": RID,
            "level": Level.ERROR,
            "unhandled": True,
            "error_type": "System.InvalidOperationException",
        },
        None,
        id="dotnet-unhandled-fail",
    ),
    pytest.param(
        f"{TS}\t{RID}\tfail\tOrder 12 could not be charged: System.TimeoutException: late",
        {"request_id": RID, "level": Level.ERROR, "unhandled": False},
        None,
        id="dotnet-logged-fail",
    ),
    pytest.param(
        json.dumps(
            {
                "timestamp": TS,
                "level": "Error",
                "requestId": RID,
                "message": None,
                "errorType": "System.ApplicationException",
                "errorMessage": "Application goes bad",
                "stackTrace": ["System.ApplicationException: Application goes bad", "at X()"],
            }
        ),
        {"level": Level.ERROR, "unhandled": True, "error_type": "System.ApplicationException"},
        None,
        id="dotnet-json-unhandled",
    ),
    pytest.param(
        f"{TS}\t{RID}\tcrit\tSystem.OutOfMemoryException: Exception of type "
        "'System.OutOfMemoryException' was thrown.",
        {"request_id": RID, "level": Level.FATAL},
        ErrorFamily.OUT_OF_MEMORY,
        id="dotnet-crit-oom",
    ),
    pytest.param(
        f"{TS}\t\twarn\tduring init",
        {"request_id": None, "level": Level.WARN},
        None,
        id="dotnet-init",
    ),
    pytest.param(
        f"{TS}\t{RID}\tdbug\tevent body",
        {"level": Level.DEBUG},
        None,
        id="dotnet-dbug",
    ),
    pytest.param(
        "+ echo 'processing event'",
        {"level": None, "unhandled": False},
        None,
        id="bash-xtrace",
    ),
    pytest.param(
        "/var/task/bootstrap: line 12: jq: command not found",
        {"unhandled": False},
        None,
        id="bash-command-not-found",
    ),
    pytest.param(
        "Error: fork/exec /var/task/bootstrap: exec format error\nRuntime.InvalidEntrypoint",
        {"unhandled": True, "error_type": "Runtime.InvalidEntrypoint"},
        ErrorFamily.INIT,
        id="custom-exec-format",
    ),
    pytest.param(
        "Error: fork/exec /var/task/bootstrap: permission denied",
        {"unhandled": False},
        ErrorFamily.INIT,
        id="custom-bootstrap-not-executable",
    ),
    pytest.param(
        "Runtime.ImportModuleError: Error: Cannot find module 'index'\nRequire stack:\n"
        "- /var/runtime/index.mjs",
        {"unhandled": True, "error_type": "Runtime.ImportModuleError"},
        ErrorFamily.INIT,
        id="runtime-type-leading",
    ),
]

ALL = PYTHON + PYTHON_JSON + NODE + JAVA + GO_RUBY_DOTNET_CUSTOM


@pytest.mark.parametrize(("message", "expected", "family"), ALL)
def test_application_lines(
    message: str, expected: dict[str, Any], family: ErrorFamily | None
) -> None:
    line = parse(message)
    assert line.kind in (LineKind.APP, LineKind.RUNTIME_EXIT)
    assert_fields(line, expected)
    if family is None:
        assert line.classification is None, line.classification
    else:
        assert line.classification is not None
        assert line.classification.family is family


@pytest.mark.parametrize(
    "message",
    [
        pytest.param(f"[INFO]\t{TS}\t{RID}\tProcessed 12 records", id="python"),
        pytest.param(f"{TS}\t{RID}\tINFO\tfetched 3 items", id="node"),
        pytest.param("goroutine 1 [running]:", id="go-stack"),
        pytest.param("\tat com.acme.Handler.handleRequest(Handler.java:21)", id="java-frame"),
        pytest.param('  File "/var/task/app.py", line 14, in handler', id="python-frame"),
        pytest.param("just some words", id="words"),
        pytest.param("ünïcödé ✓ 日本語 🚀", id="unicode"),
        pytest.param("[bold red]not markup[/]", id="rich-markup"),
        pytest.param("[", id="lone-bracket"),
        pytest.param("{", id="lone-brace"),
        pytest.param("2026", id="year-only"),
        pytest.param("2026-03-02T09:14:55.120Z", id="timestamp-only"),
        pytest.param(f"{TS}\t{RID}", id="timestamp-and-id"),
        pytest.param("I, [broken", id="ruby-like-broken"),
        pytest.param("x" * 300_000, id="huge"),
    ],
)
def test_unknown_and_ordinary_lines_are_kept_whole(message: str) -> None:
    line = parse(message)
    assert line.kind is LineKind.APP
    assert line.text == message.strip()


def test_text_is_sanitised_but_not_otherwise_changed() -> None:
    line = parse(f"{TS}\t{RID}\tINFO\t\x1b[31mred\x1b[0m and [bold]markup[/]\x00")
    assert line.text == f"{TS}\t{RID}\tINFO\tred and [bold]markup[/]"


def test_node_carriage_returns_become_newlines() -> None:
    line = parse(f"{TS}\t{RID}\tERROR\tError: boom\r    at handler (/var/task/index.js:3:9)")
    assert line.text.splitlines() == [
        f"{TS}\t{RID}\tERROR\tError: boom",
        "    at handler (/var/task/index.js:3:9)",
    ]


def test_empty_and_blank_lines() -> None:
    for message in ("", " ", "\n", "\t\t", "\x00\x1b[0m"):
        line = parse(message)
        assert line.kind is LineKind.APP
        assert line.text == ""
