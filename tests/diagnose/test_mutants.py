"""What a one-character change in the diagnosis would get wrong and no other test noticed (found
by `make mutation MUTATION_MODULES=diagnose`): each test is what the engineer reading the report
would see differ."""

from __future__ import annotations

import re
import shlex

from expect import has, lacks, run
from lambdalogs import FUNCTION, T0, Logs, evidence, node, py_unhandled

from lambdatop.core.records import LineKind
from lambdatop.core.store import Store
from lambdatop.diagnose.commands import Commands
from lambdatop.diagnose.engine import diagnose
from lambdatop.diagnose.evidence import from_state
from lambdatop.diagnose.model import CheckStatus
from lambdatop.diagnose.render import to_markdown, to_text


def failing_function() -> Logs:
    logs = Logs()
    logs.healthy(40)
    env = logs.stream()
    for _ in range(10):
        logs.invoke(
            env,
            app=[py_unhandled("KeyError", "'customer_id'")],
            status="error",
            error_type="Unhandled",
        )
    return logs


# --- the report's frame ----------------------------------------------------------------------


def test_both_reports_say_the_window_they_describe() -> None:
    logs = failing_function()
    diagnosis = diagnose(evidence(logs))
    start, end = diagnosis.window_start, diagnosis.window_end
    assert start
    assert end
    assert f"window {start} → {end}" in to_text(diagnosis)
    assert f"Window: {start} → {end}" in to_markdown(diagnosis)


def test_each_checks_mark_is_coloured_by_its_verdict() -> None:
    coloured = to_text(diagnose(evidence(failing_function())), colour=True)
    marks = re.findall(r"^  (\x1b\[[0-9;]*m)[✖▲✔?]\x1b\[0m (\w+)", coloured, re.M)
    by_check = {check: code for code, check in marks}
    assert by_check["invocation_errors"] == "\x1b[1;31m"  # failing: bold red
    assert by_check["cold_start"] == "\x1b[32m"  # fine: green


def test_the_markdown_summary_is_a_table_github_and_slack_render() -> None:
    markdown = to_markdown(diagnose(evidence(failing_function())))
    lines = markdown.splitlines()
    header = next(i for i, line in enumerate(lines) if "invocations" in line and "|" in line)
    rows = lines[header : header + 3]
    for row in rows:
        assert row.startswith("|"), row
        assert row.endswith("|"), row
    assert len({row.count("|") for row in rows}) == 1, rows


# --- commands the report suggests --------------------------------------------------------------


def test_a_window_known_at_one_end_only_leaves_placeholders_not_none() -> None:
    for start_ms, end_ms in ((T0, None), (None, T0)):
        ev = evidence(failing_function())
        ev.start_ms, ev.end_ms = start_ms, end_ms
        cmd = Commands(ev)
        for step in (
            cmd.insights("stats count(*)"),
            cmd.metric("Errors", ["Sum"]),
            cmd.traces(),
        ):
            assert "None" not in step.text, step.text
            assert "<" in step.text, step.text  # a placeholder the user fills in
            shlex.split(step.text)


def test_metric_commands_ask_lambdas_namespace_for_this_function() -> None:
    step = Commands(evidence(failing_function())).metric("Errors", ["Sum"])
    words = shlex.split(step.text)
    assert words[words.index("--namespace") + 1] == "AWS/Lambda"
    assert words[words.index("--dimensions") + 1] == f"Name=FunctionName,Value={FUNCTION}"


def test_the_traces_command_asks_for_this_functions_failed_traces() -> None:
    words = shlex.split(Commands(evidence(failing_function())).traces().text)
    expression = words[words.index("--filter-expression") + 1]
    assert expression == f'service("{FUNCTION}") AND (error = true OR fault = true)'


def test_a_suggested_policy_is_marked_as_a_change_to_the_account() -> None:
    # lambdatop never changes an account; the report sets apart what the user would change.
    step = Commands(evidence(failing_function())).allow(
        [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}]
    )
    assert step.changes
    assert step.command


def test_the_lambda_commands_that_only_read_are_not_marked_as_changes() -> None:
    cmd = Commands(evidence(failing_function()))
    for step in (
        cmd.lambda_call("get-account-settings", " --query AccountLimit"),
        cmd.lambda_function("get-function-concurrency", ""),
    ):
        assert step.command
        assert not step.changes, step.text
    assert cmd.reserve_concurrency(50).changes


def test_the_memory_queries_follow_the_log_format() -> None:
    """Insights knows `@maxMemoryUsed` only in the text format; JSON `platform.report`
    events hold `record.metrics.maxMemoryUsedMB`."""
    for json_format, field in ((False, "@maxMemoryUsed"), (True, "record.metrics.maxMemoryUsedMB")):
        logs = Logs(json_format=json_format)
        env = logs.stream()
        for index in range(12):
            logs.invoke(env, memory_mb=512, used_mb=180 + index * 20)
        result = run(evidence(logs), "memory")
        queries = [c for c in result.commands if "start-query" in c]
        assert queries, result.commands
        query = shlex.split(queries[0])
        assert field in query[query.index("--query-string") + 1]


# --- the checks' own figures ---------------------------------------------------------------------


def test_the_monthly_saving_of_a_smaller_size_is_priced_to_the_cent() -> None:
    # 20 invocations back to back, each billed 60,001 ms at 10,240 MB, using 150 MB: 256 MB
    # would do. 20 × 60.001 s × (10,240 − 256) / 1,024 GB × $0.0000166667 over the 1,200 s
    # they span, scaled to 30 days: $421.21.
    logs = Logs()
    env = logs.stream()
    for _ in range(20):
        logs.invoke(env, duration_ms=60_000.0, memory_mb=10_240, used_mb=150, gap_ms=0)
    result = run(evidence(logs), "memory")
    has(result.evidence, "setting 256 MB (1.5 × the peak) saves about $421.21 a month")


def test_no_saving_is_priced_over_a_window_of_no_length() -> None:
    logs = Logs()
    env = logs.stream()
    for _ in range(20):
        logs.invoke(env, duration_ms=60_000.0, memory_mb=10_240, used_mb=150, gap_ms=0)
    ev = evidence(logs)
    ev.end_ms = ev.start_ms
    memory = next(c for c in diagnose(ev).checks if c.id == "memory")
    has([memory.title], "Over-provisioned: at most 150 of 10240 MB used")
    lacks([memory.title, *memory.evidence], "a month")


def test_a_report_that_says_timeout_is_a_timeout_without_the_task_timed_out_line() -> None:
    # An export holding the REPORT lines (Status: timeout) but not the runtime's own line.
    logs = Logs()
    env = logs.stream()
    for _ in range(20):
        logs.invoke(env)
    for _ in range(5):
        logs.invoke(env, duration_ms=3_001.0, status="timeout")
    result = run(evidence(logs), "timeout")
    assert result.status is CheckStatus.FAIL
    has(result.evidence, "5 of 25 invocations timed out")


def test_a_timeout_without_an_error_type_is_named_as_lambda_names_it() -> None:
    # Older REPORT lines carry no Status or Error Type: the name comes from how it failed.
    logs = Logs()
    env = logs.stream()
    for _ in range(10):
        logs.invoke(env, timeout_s=3.0, legacy=True)
    for _ in range(20):
        logs.invoke(env)
    result = run(evidence(logs), "invocation_errors")
    has(result.evidence, "Sandbox.Timedout ×10")
    lacks(result.evidence, "Unhandled")


def test_an_init_failure_beside_the_main_error_says_when_it_last_happened() -> None:
    logs = Logs()
    env = logs.stream()
    logs.emit(
        env,
        logs.clock_ms,
        "INIT_REPORT Init Duration: 212.40 ms\tPhase: init\tStatus: error\t"
        "Error Type: Runtime.ImportModuleError",
    )
    last_init_ms = logs.clock_ms
    logs.clock_ms += 10
    logs.invoke(env, status="error", error_type="Runtime.ImportModuleError")
    env = logs.stream()
    for _ in range(20):
        logs.invoke(env)
        logs.invoke(
            env, app=[py_unhandled("KeyError", "'sku'")], status="error", error_type="Unhandled"
        )
    result = run(evidence(logs), "invocation_errors")
    hh_mm = f"{last_init_ms // 3_600_000 % 24:02d}:{last_init_ms // 60_000 % 60:02d}"
    has(result.evidence, f"(Runtime.ImportModuleError), the last at {hh_mm}")


def test_a_telemetry_collectors_port_out_of_reach_is_not_the_functions_network() -> None:
    # OTLP over HTTP (4318): the ADOT collector, not a dependency the function's work needs.
    logs = Logs()
    env = logs.stream()
    for _ in range(20):
        logs.invoke(env, app=[node("ERROR", "Error: connect ETIMEDOUT 10.0.3.17:4318")])
    result = run(evidence(logs), "vpc")
    assert result.status is CheckStatus.WARN
    has([result.title], "Traces or metrics not delivered")
    has(result.evidence, "the function's own work is not hurt")


def test_a_throttled_kinesis_stream_is_named_in_its_metric_command() -> None:
    logs = Logs()
    env = logs.stream()
    line = py_unhandled(
        "ProvisionedThroughputExceededException",
        "An error occurred (ProvisionedThroughputExceededException) when calling the PutRecord "
        "operation: Rate exceeded for shard shardId-000000000001 in stream clickstream under "
        "account 123456789012.",
    )
    for _ in range(20):
        logs.invoke(env)
        logs.invoke(env, app=[line], status="error", error_type="Unhandled")
    result = run(evidence(logs), "throttling")
    kinesis = [c for c in result.commands if "AWS/Kinesis" in c]
    assert kinesis, result.commands
    assert "Name=StreamName,Value=clickstream" in kinesis[0]


# --- what the monitor hands the checks ----------------------------------------------------------


def test_the_live_store_counts_only_the_tails_interruptions_inside_the_window() -> None:
    logs = failing_function()
    store = Store(clock=lambda: logs.end_ms / 1000)
    state = store.function(FUNCTION)
    state.add_gap(logs.start_ms - 120_000, "the tail fell behind; events skipped")
    state.add_events(logs.ordered())
    state.add_gap(logs.end_ms - 1_000, "AWS answered HTTP 503; events may be missing")
    assert sum(1 for r in state.tail if r.line.kind is LineKind.GAP) == 2
    result = diagnose(from_state(state, store, start_ms=logs.start_ms, end_ms=logs.end_ms))
    logs_check = next(c for c in result.checks if c.id == "logs")
    assert logs_check.status is CheckStatus.WARN
    has([logs_check.title, *logs_check.evidence], "the tail was interrupted 1 time")
    invocation_errors = next(c for c in result.checks if c.id == "invocation_errors")
    assert invocation_errors.status is CheckStatus.FAIL  # the logs were read: judged on them


def test_no_lines_to_judge_never_count_as_the_function_coping() -> None:
    ev = evidence(failing_function())
    assert ev.reported
    assert not ev.coped([])


def test_an_error_in_an_export_without_report_lines_is_not_taken_as_coped_with() -> None:
    # A partial export (no REPORT line survived): a denial is a failure, not a risk to watch.
    logs = Logs()
    env = logs.stream()
    denied = node(
        "ERROR",
        "AccessDeniedException: User: arn:aws:sts::123456789012:assumed-role/checkout-api-role/"
        "checkout-api is not authorized to perform: secretsmanager:GetSecretValue on resource: "
        "arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/db-AbCdEf",
    )
    for _ in range(3):
        logs.invoke(env, app=[denied], report=False)
    ev = evidence(logs)
    assert not ev.reported
    result = run(ev, "permission")
    assert result.status is CheckStatus.FAIL, result.title
