"""`lambdatop diagnose FUNCTION`: the report from what AWS holds for the window."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Callable

from lambdatop.aws.errors import describe
from lambdatop.aws.fetch import (
    MAX_WINDOW_EVENTS,
    Fetched,
    FetchError,
    InsightsChoice,
    InsightsMode,
    fetch_window,
)
from lambdatop.aws.insights import ScanLimit, ScanRefused
from lambdatop.aws.session import AT_THE_PROMPT, Aws, AwsTarget
from lambdatop.core.aggregate import parse_size
from lambdatop.diagnose.engine import diagnose
from lambdatop.diagnose.evidence import from_state, with_window
from lambdatop.diagnose.model import Diagnosis
from lambdatop.diagnose.thresholds import Thresholds
from lambdatop.exit_codes import fail

DEFAULT_MAX_SCAN = "5GB"
"""What a window's count may scan unless --max-scan says otherwise: $0.025 at $0.005 a GB."""


def diagnose_live(
    args: argparse.Namespace,
    since_s: float,
    thresholds: Thresholds,
    emit: Callable[[Diagnosis, argparse.Namespace], int],
) -> int:
    target = AwsTarget.resolve(args.profile, args.region, args.endpoint_url)
    try:
        choice = insights_choice(args)
    except ValueError as error:
        return fail(str(error))
    try:
        diagnosis, notes = asyncio.run(
            _diagnose(target, args.function, since_s, thresholds, choice)
        )
    except FetchError as error:
        return fail(str(error))
    except ScanRefused as refused:
        return fail(
            f"{refused}: pass --allow-scan or a larger --max-scan, a shorter --since, or"
            f" --insights never (the newest {MAX_WINDOW_EVENTS:,} events only)"
        )
    except Exception as error:  # noqa: BLE001 - never a traceback for the user
        return fail(describe(error).final)
    for note in notes:
        sys.stderr.write(f"lambdatop: note: {note}\n")
    return emit(diagnosis, args)


def insights_choice(args: argparse.Namespace) -> InsightsChoice:
    """--insights, --max-scan and --allow-scan; raises ValueError with one line for a person."""
    mode = InsightsMode(getattr(args, "insights", None) or InsightsMode.AUTO)
    try:
        limit = parse_size(getattr(args, "max_scan", None) or DEFAULT_MAX_SCAN)
    except ValueError as error:
        raise ValueError(f"--max-scan: {error}") from None
    return InsightsChoice(mode, ScanLimit(limit, allowed=bool(getattr(args, "allow_scan", False))))


async def _diagnose(
    target: AwsTarget,
    function: str,
    since_s: float,
    thresholds: Thresholds,
    choice: InsightsChoice | None = None,
) -> tuple[Diagnosis, list[str]]:
    async with Aws(target, patience=AT_THE_PROMPT) as aws:
        fetched = await fetch_window(aws, function, since_s, insights=choice)
    return report_of(fetched, thresholds)


def report_of(fetched: Fetched, thresholds: Thresholds) -> tuple[Diagnosis, list[str]]:
    """The diagnosis of what was read, and the notes to print beside it: the events read, or a
    sample of them with the whole window's figures from Logs Insights."""
    evidence = from_state(
        fetched.state, fetched.store, start_ms=fetched.start_ms, end_ms=fetched.end_ms
    )
    notes = list(fetched.notes)
    if fetched.window is not None:
        evidence = with_window(evidence, fetched.window, fetched.family_lines)
    elif fetched.logs_truncated:
        notes.append("the window holds more log events than were read; the oldest were skipped")
    return diagnose(evidence, thresholds), notes
