"""The window's figures by Logs Insights mean what the raw path counts: over every scenario of
the diagnose tests (their own fixtures, built invocation by invocation as Lambda writes them),
the queries of `core.aggregate`, evaluated by the Insights evaluator over the same events, give
the same report as the events counted one by one. Then a sample: the newest events alone, with
the window's figures, report the whole window's numbers."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Any

import lambdalogs
import pytest
import test_control_checks
import test_edge_checks
import test_service_checks
import test_state_checks
from evaluator import Event, evaluate
from expect import Case
from lambdalogs import LOG_GROUP, Logs

from lambdatop.core.aggregate import (
    FAMILY_COUNTS,
    FAMILY_LINES,
    MAX_ROWS,
    MEMORY_BY_ENVIRONMENT,
    REPORT_FIGURES,
    WindowFigures,
    family_line,
    window_figures,
)
from lambdatop.core.pipeline import LogPipeline
from lambdatop.diagnose.engine import diagnose
from lambdatop.diagnose.evidence import Evidence, from_pipeline, with_window
from lambdatop.diagnose.render import to_json

TABLES = {
    "control": test_control_checks,
    "service": test_service_checks,
    "state": test_state_checks,
    "edge": test_edge_checks,
}


def _cases() -> Iterator[Any]:
    for module in TABLES.values():
        for name in dir(module):
            rows = getattr(module, name)
            if name.isupper() and isinstance(rows, list):
                for row in rows:
                    if hasattr(row, "values") and isinstance(row.values[0], Case):
                        yield pytest.param(module, row.values[0], id=f"{name.lower()}-{row.id}")


def _built(module: Any, case: Case) -> tuple[Evidence, list[tuple[Logs, int, int]]]:
    """The case's evidence, and the logs (and window) each `evidence(logs)` call was given."""
    seen: list[tuple[Logs, int, int]] = []
    original: Callable[..., Evidence] = lambdalogs.evidence

    def recording(logs: Logs, **kwargs: Any) -> Evidence:
        built = original(logs, **kwargs)
        seen.append((logs, built.start_ms or 0, built.end_ms or 0))
        return built

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(module, "evidence", recording, raising=False)
        patch.setattr(lambdalogs, "evidence", recording)
        built = case.build()
    return built, seen


def insights_figures(logs: Logs, start_ms: int, end_ms: int) -> tuple[WindowFigures, list[Any]]:
    """What the window's queries answer over it, as `aws.insights` would read them."""
    events = [
        Event(LOG_GROUP, e.stream, e.timestamp_ms, e.message)
        for e in logs.events
        if start_ms <= e.timestamp_ms <= end_ms
    ]
    report = evaluate(REPORT_FIGURES, events)
    lines_read = [line for row in evaluate(FAMILY_LINES, events) if (line := family_line(row))]
    figures = window_figures(
        report,
        [m for _, _, m in lines_read],
        start_ms=start_ms,
        end_ms=end_ms,
        environment_rows=evaluate(MEMORY_BY_ENVIRONMENT, events),
        family_rows=evaluate(FAMILY_COUNTS, events),
    )
    return replace(figures, sample_events=len(events)), lines_read


def _report(ev: Evidence) -> dict[str, Any]:
    report: dict[str, Any] = json.loads(to_json(diagnose(ev)))
    report["summary"].pop("figures_from", None)
    return report


KNOWN = {
    "invocation_errors-fail-import-module-error": (
        # The raw path gives a failed init's INIT_REPORT to the invocation after it (a cold
        # start, with that init's duration); a stats query cannot join two lines.
        {"cold_starts", "init_duration_ms"},
        {"cold_start"},
    ),
}
"""Where a query cannot count what the raw path counts: the summary's keys and the checks that
differ, and why."""


@pytest.mark.parametrize(("module", "case"), list(_cases()))
def test_the_insights_figures_give_the_report_the_events_give(
    module: Any, case: Case, request: pytest.FixtureRequest
) -> None:
    raw, seen = _built(module, case)
    if len(seen) != 1 or raw.window is not None:
        pytest.skip("not built from one log group's events")
    logs, start_ms, end_ms = seen[0]
    figures, lines = insights_figures(logs, start_ms, end_ms)
    counted, expected = _report(with_window(copy.deepcopy(raw), figures, lines)), _report(raw)
    case_id = request.node.callspec.id
    keys, checks = KNOWN.get(case_id, (set(), set()))
    for report in (counted, expected):
        for key in keys:
            report["summary"].pop(key)
        report["checks"] = [c for c in report["checks"] if c["id"] not in checks]
    assert counted == expected


def _sample(raw: Evidence, logs: Logs, newest: int) -> tuple[Evidence, int]:
    """The evidence of the newest `newest` events only, with the rest of `raw` (configuration,
    metrics, traces) as it was: what a download capped at `newest` events would give."""
    kept = sorted(logs.events, key=lambda e: e.timestamp_ms)[-newest:]
    pipeline = LogPipeline()
    pipeline.ingest_all(kept)
    read = from_pipeline(
        pipeline,
        function=raw.function,
        region=raw.region,
        start_ms=raw.start_ms,
        end_ms=raw.end_ms,
        config=raw.config,
    )
    sample = copy.deepcopy(raw)
    for name in (
        "invocations",
        "findings",
        "failures",
        "dropped",
        "logged_errors",
        "lines",
        "error_lines",
        "json_logs",
        "records",
        "inferred_timeout_s",
    ):
        setattr(sample, name, getattr(read, name))
    return sample, kept[0].timestamp_ms


SAMPLED = [
    ("test_service_checks", "TIMEOUT", "fail-timeouts"),
    ("test_service_checks", "MEMORY", "fail-oom-python"),
    ("test_service_checks", "PERMISSION", "fail-dynamodb"),
    ("test_service_checks", "COLD_START", "fail-storm"),
    ("test_state_checks", "CONNECTION_POOL", "fail-sqlalchemy"),
    ("test_service_checks", "MEMORY", "warn-leak"),
]


@pytest.mark.parametrize(("module_name", "table", "case_id"), SAMPLED)
def test_the_newest_events_with_the_window_s_figures_report_the_whole_window(
    module_name: str, table: str, case_id: str
) -> None:
    module = next(m for m in TABLES.values() if m.__name__ == module_name)
    case = next(r.values[0] for r in getattr(module, table) if r.id == case_id)
    raw, seen = _built(module, case)
    logs, start_ms, end_ms = seen[0]
    figures, lines = insights_figures(logs, start_ms, end_ms)
    sample, since = _sample(raw, logs, len(logs.events) // 3)
    alone = _report(copy.deepcopy(sample))
    counted = _report(with_window(sample, replace(figures, sample_start_ms=since), lines))
    whole = _report(raw)
    assert counted["summary"] == whole["summary"]
    assert alone["summary"] != whole["summary"]  # the sample alone describes less than the window
    # Every decision is the whole window's; the logs check says how many lines were read.
    decided = [(c["id"], c["status"], c["title"]) for c in counted["checks"] if c["id"] != "logs"]
    assert decided == [
        (c["id"], c["status"], c["title"]) for c in whole["checks"] if c["id"] != "logs"
    ]
    logs_check = next(c for c in counted["checks"] if c["id"] == "logs")
    assert logs_check["title"].startswith(f"{sample.lines:,} log lines read")


def test_the_family_query_fetches_the_error_lines_not_every_report() -> None:
    """Every REPORT line says "Memory": fetched, a busy function's REPORT lines alone would
    fill the 10,000 rows a query returns, and the families would be floors."""
    logs = Logs()
    logs.healthy(300, memory_mb=512, used_mb=(120, 150))
    env = logs.stream()
    logs.invoke(env, app=[lambdalogs.py("ERROR", "MemoryError: cannot allocate 2 GB")])
    events = [Event(LOG_GROUP, e.stream, e.timestamp_ms, e.message) for e in logs.events]
    fetched = [row["@message"] for row in evaluate(FAMILY_LINES, events)]
    assert not [m for m in fetched if m.startswith("REPORT")]
    assert [m for m in fetched if "MemoryError" in m]
    # A few others hold a word by chance (`403` in a request id): the parser gives them none.
    assert len(fetched) < 301 / 4


def test_a_busy_window_s_families_are_the_window_s_not_the_lines_returned() -> None:
    """More error lines than the lines query returns (10,000 in AWS; 40 here): each family's
    lines are counted over the whole window (`FAMILY_COUNTS`, grouped by what the classifier
    reads), so the checks say the window's totals, as the raw path does, and quote real lines."""
    logs = Logs()
    env = logs.stream()
    pool = (
        "sqlalchemy.exc.TimeoutError: QueuePool limit of size 5 overflow 10 reached,"
        " connection timed out, timeout 30"
    )
    denied = (
        "botocore.exceptions.ClientError: An error occurred (AccessDeniedException) when calling"
        " the PutItem operation: User: arn:aws:sts::123456789012:assumed-role/checkout-role/"
        "checkout is not authorized to perform: dynamodb:PutItem on resource:"
        " arn:aws:dynamodb:us-east-1:123456789012:table/orders"
    )
    throttled = (
        "botocore.exceptions.ClientError: An error occurred (ThrottlingException) when calling"
        " the PutEvents operation (reached max retries: 4): Rate exceeded"
    )
    for i in range(150):
        logs.invoke(env, app=[lambdalogs.py("ERROR", denied if i % 3 == 0 else pool)])
    for _ in range(30):
        logs.invoke(env, app=[lambdalogs.py("ERROR", throttled)])
    logs.healthy(150, memory_mb=512, used_mb=(120, 150))
    raw = lambdalogs.evidence(logs)
    events = [Event(LOG_GROUP, e.stream, e.timestamp_ms, e.message) for e in logs.events]
    matched = evaluate(FAMILY_LINES, events)
    returned = [line for row in matched[:40] if (line := family_line(row))]
    figures = window_figures(
        evaluate(REPORT_FIGURES, events),
        [m for _, _, m in returned],
        start_ms=raw.start_ms or 0,
        end_ms=raw.end_ms or 0,
        family_lines_matched=len(matched),
        family_rows=evaluate(FAMILY_COUNTS, events),
    )
    assert figures.families_complete
    sample, since = _sample(raw, logs, len(logs.events) // 4)
    counted = _report(
        with_window(sample, replace(figures, sample_start_ms=since, sample_events=1), returned)
    )
    whole = _report(raw)

    def said(report: dict[str, Any]) -> dict[str, tuple[str, str]]:
        return {
            c["id"]: (c["status"], c["title"])
            for c in report["checks"]
            if c["id"] in ("connection_pool", "permission")
        }

    assert said(counted) == said(whole)
    # The lines are the window's; the invocations those the lines read name (a floor).
    evidence = {c["id"]: c["evidence"][0] for c in counted["checks"] if c["evidence"]}
    assert evidence["connection_pool"].startswith("100 lines in at least ")
    assert next(c for c in whole["checks"] if c["id"] == "connection_pool")["evidence"][0] == (
        "100 lines in 100 invocations (30 % of 330)"
    )
    assert evidence["permission"].startswith("50 denials in at least ")
    # Throttling the window counted, none of it among the newest lines read: said so, unnamed.
    throttling = next(c for c in counted["checks"] if c["id"] == "throttling")
    assert throttling["title"] == "A dependency throttles this function's calls"
    assert "downstream throttling: 30 lines in the window, none read" in throttling["evidence"]
    pool_check = next(c for c in counted["checks"] if c["id"] == "connection_pool")
    assert any("QueuePool limit of size 5" in line for line in pool_check["evidence"])


def test_a_count_that_may_have_left_lines_out_says_what_it_counted_over_which_span() -> None:
    """`diagnose` notes it when the families' lines are floors: the family counts answered as
    many groups as a query returns (one may be missing), or, not grouped, the lines query
    returned fewer lines than it matched."""
    hour_ms = 3_600_000
    line = "[ERROR]\t2026-03-02T09:14:55.120Z\t{rid}\tError: connect ETIMEDOUT 10.0.1.{i}:443"

    def grouped(groups: int) -> WindowFigures:
        rows = [
            {"deciding": str(i), "lines": "3", "example": line.format(rid=f"r{i}", i=i % 250)}
            for i in range(groups)
        ]
        return window_figures([], [], start_ms=0, end_ms=hour_ms, family_rows=rows)

    assert grouped(MAX_ROWS - 1).families_floor is None
    assert grouped(MAX_ROWS).families_floor == (
        "CloudWatch Logs Insights grouped the error lines over 60 min in 10,000 groups, the most"
        " a query returns: some may be left out, so each error family's lines in the 60 min are"
        " at least those counted"
    )
    returned = [line.format(rid="r1", i=1)] * 40
    ungrouped = window_figures(
        [], returned, start_ms=0, end_ms=12 * hour_ms, family_lines_matched=25_000
    )
    assert ungrouped.families_floor == (
        "CloudWatch Logs Insights found 25,000 lines with an error family's words over 12.0 h"
        " and returned the oldest 40: each error family's lines in the 12.0 h are at least"
        " those counted"
    )
    assert window_figures([], returned, start_ms=0, end_ms=hour_ms).families_floor is None
