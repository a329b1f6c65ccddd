"""`lambdatop diagnose FUNCTION`: the report from what AWS holds for the window."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Callable

from lambdatop.aws.errors import describe
from lambdatop.aws.fetch import FetchError, fetch_window
from lambdatop.aws.session import AT_THE_PROMPT, Aws, AwsTarget
from lambdatop.diagnose.engine import diagnose
from lambdatop.diagnose.evidence import from_state
from lambdatop.diagnose.model import Diagnosis
from lambdatop.diagnose.thresholds import Thresholds
from lambdatop.exit_codes import fail


def diagnose_live(
    args: argparse.Namespace,
    since_s: float,
    thresholds: Thresholds,
    emit: Callable[[Diagnosis, argparse.Namespace], int],
) -> int:
    target = AwsTarget.resolve(args.profile, args.region, args.endpoint_url)
    try:
        diagnosis, notes = asyncio.run(_diagnose(target, args.function, since_s, thresholds))
    except FetchError as error:
        return fail(str(error))
    except Exception as error:  # noqa: BLE001 - never a traceback for the user
        return fail(describe(error).final)
    for note in notes:
        sys.stderr.write(f"lambdatop: note: {note}\n")
    return emit(diagnosis, args)


async def _diagnose(
    target: AwsTarget, function: str, since_s: float, thresholds: Thresholds
) -> tuple[Diagnosis, list[str]]:
    async with Aws(target, patience=AT_THE_PROMPT) as aws:
        fetched = await fetch_window(aws, function, since_s)
    evidence = from_state(
        fetched.state, fetched.store, start_ms=fetched.start_ms, end_ms=fetched.end_ms
    )
    notes = list(fetched.notes)
    if fetched.logs_truncated:
        notes.append("the window holds more log events than were read; the oldest were skipped")
    return diagnose(evidence, thresholds), notes
