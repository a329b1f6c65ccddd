"""`lambdatop diagnose`: the flowchart as a report, from AWS or from exported logs."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from lambdatop.cli import EXIT_FAILED, EXIT_OK, EXIT_USAGE, colour_wanted, fail
from lambdatop.core.export import ExportedLogs, ExportError, read_export
from lambdatop.core.pipeline import LogPipeline
from lambdatop.core.timeutil import parse_duration
from lambdatop.diagnose.engine import diagnose
from lambdatop.diagnose.evidence import Evidence, from_pipeline
from lambdatop.diagnose.model import Diagnosis
from lambdatop.diagnose.render import to_json, to_markdown, to_text
from lambdatop.diagnose.thresholds import Thresholds
from lambdatop.paths import settings_customised


def load_thresholds() -> Thresholds:
    """The diagnosis thresholds; pydantic is loaded only when something is customised.

    Raises ValueError (ConfigError) with one line for a person."""
    if not settings_customised():
        return Thresholds()
    from lambdatop.config import load_settings

    return load_settings().thresholds


def run_diagnose(args: argparse.Namespace) -> int:
    try:
        since_s = parse_duration(args.since)
    except ValueError as error:
        return fail(f"--since: {error}")
    try:
        thresholds = load_thresholds()
    except ValueError as error:
        return fail(str(error))
    if args.logs is not None:
        return _from_logs(args, since_s, thresholds)
    if not args.function:
        return fail("name a FUNCTION to read from AWS, or give --logs FILE (see --help)")
    try:
        from lambdatop.commands.live import diagnose_live
    except ModuleNotFoundError as error:
        if error.name != "lambdatop.commands.live":
            raise
        return fail("reading a function from AWS is not in this build yet: use --logs FILE")
    code: int = diagnose_live(args, since_s, thresholds, emit)
    return code


def _read_input(path: str) -> bytes:
    if path == "-":
        return sys.stdin.buffer.read()
    return Path(path).expanduser().read_bytes()


def _from_logs(args: argparse.Namespace, since_s: float, thresholds: Thresholds) -> int:
    try:
        data = _read_input(args.logs)
    except OSError as error:
        reason = error.strerror or str(error)
        return fail(f"cannot read {args.logs}: {reason}")
    try:
        exported = read_export(data)
    except ExportError as error:
        return fail(f"{args.logs}: {error}")
    if not exported.events:
        sys.stderr.write(f"lambdatop: {args.logs}: no log events in the input\n")
    evidence = evidence_from_export(
        exported,
        function=args.function or exported.function_name,
        region=args.region,
        since_s=since_s,
    )
    return emit(diagnose(evidence, thresholds), args)


def evidence_from_export(
    exported: ExportedLogs, *, function: str | None, region: str | None, since_s: float
) -> Evidence:
    """Parse, group and window exported events: the window ends at the newest event."""
    pipeline = LogPipeline(max_invocations=10_000_000, max_findings=100_000)
    ingest = pipeline.ingest_parsed
    from lambdatop.core.parse import parse

    for event, parsed in zip(exported.events, exported.parsed, strict=True):
        ingest(event, parsed if parsed is not None else parse(event.message))
    start_ms = end_ms = None
    if exported.has_time and pipeline.last_ms is not None:
        end_ms = pipeline.last_ms
        start_ms = max(end_ms - int(since_s * 1000), pipeline.first_ms or end_ms)
    return from_pipeline(
        pipeline, function=function, region=region, start_ms=start_ms, end_ms=end_ms
    )


def emit(diagnosis: Diagnosis, args: argparse.Namespace) -> int:
    """Print the report in the chosen format; the exit code says whether a check failed."""
    if args.format == "json":
        output = to_json(diagnosis) + "\n"
    elif args.format == "markdown":
        output = to_markdown(diagnosis)
    else:
        output = to_text(diagnosis, colour=colour_wanted(getattr(args, "color", "auto")))
    sys.stdout.write(output)
    sys.stdout.flush()
    return EXIT_FAILED if diagnosis.failed else EXIT_OK


__all__ = ["EXIT_USAGE", "emit", "evidence_from_export", "run_diagnose"]
