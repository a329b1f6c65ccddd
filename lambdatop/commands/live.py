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
from lambdatop.commands.waiting import SayWaiting
from lambdatop.core.aggregate import parse_size
from lambdatop.core.sources import ErrorKind
from lambdatop.diagnose.engine import diagnose
from lambdatop.diagnose.evidence import from_state, with_window
from lambdatop.diagnose.model import Diagnosis
from lambdatop.diagnose.thresholds import Thresholds
from lambdatop.exit_codes import fail
from lambdatop.paths import settings_customised

DEFAULT_MAX_SCAN = "5GB"
"""What a window's count may scan unless --max-scan says otherwise: $0.025 at $0.005 a GB."""


def diagnose_live(
    args: argparse.Namespace,
    since_s: float,
    thresholds: Thresholds,
    emit: Callable[[Diagnosis, argparse.Namespace], int],
) -> int:
    target = AwsTarget.resolve(args.profile, args.region, args.endpoint_url)
    # A source account's function (`NAME@ACCOUNT`) is read through the one monitoring account
    # the flags and variables name, never looked for in the config file's contexts.
    contexts = [] if "@" in args.function else _configured_contexts(args)
    if len(contexts) > 1:
        # The config file's fleet, and no --profile or --region: the one context that has it.
        try:
            found = asyncio.run(_one_holding(contexts, args.function))
        except Exception as error:  # noqa: BLE001 - never a traceback for the user
            return fail(describe(error).final)
        if isinstance(found, str):
            return fail(found)
        target = found
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


def _configured_contexts(args: argparse.Namespace) -> list[AwsTarget]:
    """The monitor's contexts from the config file (`profiles` × `regions`) when neither
    --profile nor --region names one; else none (the one target of the flags and variables)."""
    if args.profile is not None or args.region is not None or not settings_customised():
        return []
    from lambdatop.config import load_settings

    settings = load_settings()
    targets = [
        AwsTarget.resolve(profile, region, args.endpoint_url)
        for profile in settings.profiles or [None]
        for region in settings.regions or [None]
    ]
    return list(dict.fromkeys(targets))


async def _one_holding(contexts: list[AwsTarget], function: str) -> AwsTarget | str:
    """The context where the function is, or the one line that says why there is not one."""

    async def holds(target: AwsTarget) -> bool | BaseException:
        try:
            async with Aws(target, patience=AT_THE_PROMPT) as aws:
                await aws.call("lambda", "GetFunctionConfiguration", FunctionName=function)
        except Exception as error:  # noqa: BLE001 - said below, with its context
            return False if describe(error).kind is ErrorKind.MISSING else error
        return True

    answers = await asyncio.gather(*(holds(target) for target in contexts))
    for target, answer in zip(contexts, answers, strict=True):
        if isinstance(answer, BaseException) and describe(answer).kind is ErrorKind.CONFIG:
            return f"{_context(target)}: {describe(answer).final}"  # as for one profile
    where = [target for target, answer in zip(contexts, answers, strict=True) if answer is True]
    if len(where) == 1:
        return where[0]
    if where:
        named = ", ".join(_context(target) for target in where)
        return (
            f"function {function!r} is in {len(where)} contexts ({named}): "
            "name one with --profile and --region"
        )
    failed = [
        f"{_context(target)}: {describe(answer).final}"
        for target, answer in zip(contexts, answers, strict=True)
        if isinstance(answer, BaseException)
    ]
    if failed:
        return f"function {function!r} not found; could not look in {failed[0]}"
    named = ", ".join(_context(target) for target in contexts)
    return f"function {function!r} not found in any of {len(contexts)} contexts ({named})"


def _context(target: AwsTarget) -> str:
    return f"{target.profile or 'default'}/{target.region or '?'}"


async def _diagnose(
    target: AwsTarget,
    function: str,
    since_s: float,
    thresholds: Thresholds,
    choice: InsightsChoice | None = None,
) -> tuple[Diagnosis, list[str]]:
    async with Aws(target, patience=AT_THE_PROMPT) as aws, SayWaiting(aws.in_flight):
        fetched = await fetch_window(aws, function, since_s, insights=choice)
    return report_of(fetched, thresholds)


def report_of(fetched: Fetched, thresholds: Thresholds) -> tuple[Diagnosis, list[str]]:
    """The diagnosis of what was read, and the notes to print beside it: the events read, or a
    sample of them with the whole window's figures from Logs Insights."""
    evidence = from_state(
        fetched.state, fetched.store, start_ms=fetched.start_ms, end_ms=fetched.end_ms
    )
    evidence.unanswered = frozenset(fetched.unanswered)
    notes = list(fetched.notes)
    if fetched.window is not None:
        evidence = with_window(evidence, fetched.window, fetched.family_lines)
    elif fetched.logs_truncated:
        notes.append("the window holds more log events than were read; the oldest were skipped")
    return diagnose(evidence, thresholds), notes
