"""A window too big to download, read both ways: every event through the pipeline (what
`diagnose FUNCTION` did up to 1,000,000 events), or its newest 50,000 with the whole window's
figures from Logs Insights. The local side is measured (bytes downloaded, requests, time to the
report); Insights' own side is priced from the bytes it would scan.

LAMBDATOP_BENCH_WINDOW sets the window's events (default 1,000,000)."""

from __future__ import annotations

import os
import time
from dataclasses import replace

from bench.corpus import events
from lambdatop.aws.fetch import SAMPLE_EVENTS
from lambdatop.aws.insights import POLL_FIRST_S, WINDOW_QUERIES
from lambdatop.aws.ledger import PRICE_PER_INSIGHTS_BYTE
from lambdatop.core.aggregate import Spread, WindowFigures, size
from lambdatop.core.pipeline import LogPipeline
from lambdatop.core.records import LogEvent
from lambdatop.diagnose.engine import diagnose
from lambdatop.diagnose.evidence import Evidence, from_pipeline, with_window

WINDOW = int(os.environ.get("LAMBDATOP_BENCH_WINDOW", "1000000"))
PAGE_EVENTS = 10_000
PAGE_BYTES = 1_048_576
"""FilterLogEvents: "up to 1 MB (up to 10,000 log events)" a page."""


def _evidence(corpus: list[LogEvent], start_ms: int, end_ms: int) -> Evidence:
    pipeline = LogPipeline(max_invocations=10_000_000, max_findings=100_000)
    pipeline.ingest_all(corpus)
    return from_pipeline(
        pipeline, function="bench", region="us-east-1", start_ms=start_ms, end_ms=end_ms
    )


def _pages(corpus: list[LogEvent]) -> int:
    """FilterLogEvents pages the events take at least (by count or by size)."""
    size_pages = sum(len(e.message.encode()) + 26 for e in corpus) / PAGE_BYTES
    return max(-(-len(corpus) // PAGE_EVENTS), int(size_pages) + 1)


def bench_insights() -> None:
    corpus = [
        LogEvent(
            int(str(e["timestamp"])), str(e["message"]), str(e["logStreamName"]), str(e["eventId"])
        )
        for e in events(WINDOW)
    ]
    corpus.sort(key=lambda e: e.timestamp_ms)
    start_ms, end_ms = corpus[0].timestamp_ms, corpus[-1].timestamp_ms
    window_bytes = sum(len(e.message.encode()) for e in corpus)

    began = time.perf_counter()
    whole = diagnose(_evidence(corpus, start_ms, end_ms))
    raw_s = time.perf_counter() - began

    sample = corpus[-SAMPLE_EVENTS:]
    s = whole.summary
    # The figures Insights answers (taken from the whole read: this measures the local side).
    figures = WindowFigures(
        start_ms,
        end_ms,
        invocations=s.invocations,
        errors=s.errors,
        timeouts=s.timeouts,
        out_of_memory=s.out_of_memory,
        cold_starts=s.cold_starts,
        duration_ms=Spread(s.duration_ms.p50, s.duration_ms.p99, s.duration_ms.max),
        init_ms=Spread(s.init_duration_ms.p50, s.init_duration_ms.p99, s.init_duration_ms.max),
        memory_used_mb=Spread(None, None, s.max_memory_used_mb),
    )
    began = time.perf_counter()
    counted = diagnose(
        with_window(
            _evidence(sample, start_ms, end_ms),
            replace(figures, sample_events=len(sample), sample_start_ms=sample[0].timestamp_ms),
            [],
        )
    )
    sample_s = time.perf_counter() - began
    assert counted.summary.invocations == whole.summary.invocations

    sample_bytes = sum(len(e.message.encode()) for e in sample)
    scanned = window_bytes * WINDOW_QUERIES
    print(f"\nA window of {len(corpus):,} events ({size(window_bytes)} of messages):")
    print(
        f"  every event:  {size(window_bytes)} downloaded in ≥ {_pages(corpus):,} FilterLogEvents"
        f" pages; report in {raw_s:.1f} s"
    )
    print(
        f"  Insights:     {size(sample_bytes)} downloaded in ≥ {_pages(sample):,} pages"
        f" (the newest {len(sample):,}), {WINDOW_QUERIES} StartQuery + GetQueryResults every"
        f" {POLL_FIRST_S:g}-4 s; report in {sample_s:.1f} s;"
        f" {size(scanned)} scanned ≈ ${scanned * PRICE_PER_INSIGHTS_BYTE:.4f}"
    )
    print(f"  both report {s.invocations:,} invocations, {s.errors:,} failed")
