"""`lambdatop diagnose`: the flowchart as a report, from AWS or from exported logs."""

from __future__ import annotations

import argparse
import gc
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from lambdatop.commands.colour import colour_wanted
from lambdatop.core.bulk import PARALLEL_MIN_EVENTS, ingest_export, read_and_ingest
from lambdatop.core.export import (
    MAX_INPUT_BYTES,
    TOO_LARGE,
    ExportedLogs,
    ExportError,
    read_export,
    read_input,
)
from lambdatop.core.pipeline import LogPipeline
from lambdatop.core.timeutil import human_duration, parse_duration
from lambdatop.diagnose.engine import diagnose
from lambdatop.diagnose.evidence import Evidence, from_pipeline
from lambdatop.diagnose.format import count
from lambdatop.diagnose.model import Diagnosis
from lambdatop.diagnose.render import to_json, to_markdown, to_text
from lambdatop.diagnose.thresholds import Thresholds
from lambdatop.exit_codes import EXIT_FAILED, EXIT_OK, EXIT_USAGE, fail
from lambdatop.paths import settings_customised


def load_thresholds() -> Thresholds:
    """The diagnosis thresholds; pydantic is loaded only when something is customised.

    Raises ValueError (ConfigError) with one line for a person."""
    if not settings_customised():
        return Thresholds()
    from lambdatop.config import load_settings

    return load_settings().thresholds


AWS_WINDOW_S = 3600.0
LONGEST_SINCE_S = 455 * 86400.0
"""`diagnose FUNCTION` reads the last hour unless --since says otherwise."""


def run_diagnose(args: argparse.Namespace) -> int:
    from lambdatop.commands.redacting import redacted_output, redaction_wanted

    with redacted_output(redaction_wanted(args)):
        return _run_diagnose(args)


def _run_diagnose(args: argparse.Namespace) -> int:
    try:
        since_s = parse_duration(args.since) if args.since is not None else None
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
    if since_s is not None and since_s > LONGEST_SINCE_S:
        return fail("--since: at most 455d from AWS (what CloudWatch keeps of metrics)")
    try:
        from lambdatop.commands.live import diagnose_live
    except ModuleNotFoundError as error:
        if error.name != "lambdatop.commands.live":
            raise
        return fail("reading a function from AWS is not in this build yet: use --logs FILE")
    code: int = diagnose_live(args, since_s or AWS_WINDOW_S, thresholds, emit)
    return code


def _read_input(path: str) -> bytes:
    """The input's bytes; raises OSError, or ExportError past `MAX_INPUT_BYTES`."""
    if path == "-":
        return read_input(sys.stdin.buffer)
    with open(os.path.expanduser(path), "rb") as file:
        if os.fstat(file.fileno()).st_size > MAX_INPUT_BYTES:
            raise ExportError(TOO_LARGE)  # said before reading 2 GiB for nothing
        return read_input(file)


def _from_logs(args: argparse.Namespace, since_s: float | None, thresholds: Thresholds) -> int:
    with _collector_paused():
        # Everything read is freed (by reference counting) when `_diagnose_logs` returns,
        # before the collector is back: it never walks the millions of objects of a big file.
        return _diagnose_logs(args, since_s, thresholds)


def _diagnose_logs(args: argparse.Namespace, since_s: float | None, thresholds: Thresholds) -> int:
    try:
        data = _read_input(args.logs)
    except OSError as error:
        reason = error.strerror or str(error)
        return fail(f"cannot read {args.logs}: {reason}")
    except ExportError as error:
        return fail(f"{args.logs}: {error}")
    pipeline = _export_pipeline()
    try:
        exported = read_and_ingest(data, pipeline)
    except ExportError as error:
        return fail(f"{args.logs}: {error}")
    if len(exported.log_groups) > 1:
        # One report over several functions would blame one for the others' failures: only
        # the named function's group is read, or none.
        group = _function_group(args.function, exported)
        if group is None:
            return fail(f"{args.logs}: {_several_groups(exported, args.function)}")
        sys.stderr.write(
            f"lambdatop: note: the export holds {len(exported.log_groups)} log groups:"
            f" reading {group} only\n"
        )
        exported = read_export(data, group=group)
        pipeline = _export_pipeline()
        ingest_export(pipeline, exported)
    if len(exported) == 0 and exported.api_log is None:
        sys.stderr.write(f"lambdatop: {args.logs}: no log events in the input\n")
    elif not _recognised(pipeline, exported):
        return fail(
            f"{args.logs}: no Lambda log events recognised "
            "(is this an export of a Lambda function's log group?)"
        )
    evidence = _windowed(
        pipeline,
        exported,
        function=args.function or exported.function_name,
        region=args.region or (exported.api_log.region if exported.api_log else None),
        since_s=since_s,
    )
    evidence.log_group_name = exported.log_group
    _say_what_the_window_leaves_out(pipeline, evidence, args.since)
    code = emit(diagnose(evidence, thresholds), args)
    if len(exported) >= PARALLEL_MIN_EVENTS:
        _leave_now(code)
    return code


def _leave_now(code: int) -> None:
    """End the process with `code` once the report is out: after a big export, freeing the
    millions of objects read (0.06 s for 300,000 events) is all that is left to do. Returns
    when the output cannot be flushed: the command's usual ending then says why."""
    try:
        for stream in (sys.stdout, sys.stderr):
            if stream is not None:
                stream.flush()  # the redacting wrapper's pending text too
    except Exception:  # noqa: BLE001 - any failure is the usual ending's to tell
        return
    os._exit(code)


def _function_group(function: str | None, exported: ExportedLogs) -> str | None:
    """The log group of the export that is `function`'s: `/aws/lambda/NAME`, or a custom
    group named as such."""
    if not function:
        return None
    for group in (f"/aws/lambda/{function}", function):
        if group in exported.log_groups:
            return group
    return None


def _several_groups(exported: ExportedLogs, function: str | None) -> str:
    groups = exported.log_groups
    listed = ", ".join(f"{group} ({events:,} events)" for group, events in groups.most_common(4))
    more = f" and {len(groups) - 4} more" if len(groups) > 4 else ""
    if function:
        return (
            f"no log group of {function} among the export's {len(groups)}: {listed}{more};"
            " name the function whose group it is"
        )
    return (
        f"the export holds {len(groups)} log groups: {listed}{more}; name the function to"
        " diagnose: lambdatop diagnose NAME --logs FILE"
    )


def _say_what_the_window_leaves_out(
    pipeline: LogPipeline, evidence: Evidence, since: str | None
) -> None:
    """A --since shorter than the export diagnoses its end only: say what was left out, so an
    incident early in the file is not missed unknowingly."""
    start = evidence.start_ms
    first = pipeline.first_ms
    if since is None or start is None or first is None or start <= first:
        return
    before = [
        inv
        for inv in pipeline.tracker.invocations.values()
        if inv.reported and (inv.end_ms or inv.start_ms or start) < start
    ]
    failed = sum(1 for inv in before if inv.failed)
    span = human_duration((start - first) / 1000)
    sys.stderr.write(
        f"lambdatop: note: --since {since} leaves out the export's first {span}"
        f" ({count(len(before), 'invocation')}, {failed:,} failed); without --since the whole"
        " export is diagnosed\n"
    )


def _recognised(pipeline: LogPipeline, exported: ExportedLogs) -> bool:
    """Whether the events held anything of Lambda's: a platform line or a runtime's line with a
    request id (either opens an invocation) or a classified error, or the export names a
    function's log group (Insights' `@log`, a subscription's `logGroup`: an extension's lines
    alone are still that function's). Anything else (a JSON file of another kind, a CSV in
    another layout) would be reported as "nothing failing"."""
    return bool(
        exported.function_name
        or exported.api_log is not None
        or pipeline.tracker.invocations
        or pipeline.failures
        or pipeline.dropped
        or pipeline.errors
        or any(pipeline.findings.values())
    )


def evidence_from_export(
    exported: ExportedLogs,
    *,
    function: str | None,
    region: str | None,
    since_s: float | None,
    ingest: Callable[[LogPipeline, ExportedLogs], None] = ingest_export,
) -> Evidence:
    """Parse, group and window exported events: the window ends at the newest event and goes
    back `since_s`, or to the oldest when None.

    `ingest` feeds the events to the pipeline; `bulk.ingest_every_line` is the plain way the
    default is held to."""
    pipeline = _export_pipeline()
    with _collector_paused():
        ingest(pipeline, exported)
    return _windowed(pipeline, exported, function=function, region=region, since_s=since_s)


def _export_pipeline() -> LogPipeline:
    """A pipeline that keeps everything an export holds: every invocation, and the running
    request of every stream (an export of a burst can hold tens of thousands at once)."""
    return LogPipeline(max_invocations=10_000_000, max_findings=100_000, max_streams=10_000_000)


def _windowed(
    pipeline: LogPipeline,
    exported: ExportedLogs,
    *,
    function: str | None,
    region: str | None,
    since_s: float | None,
) -> Evidence:
    start_ms = end_ms = None
    if exported.has_time and pipeline.last_ms is not None:
        end_ms = pipeline.last_ms
        first = pipeline.first_ms or end_ms
        start_ms = first if since_s is None else max(end_ms - int(since_s * 1000), first)
    elif exported.api_log is not None:
        # No error document came back, but the console's test lines bear their time.
        times = [r.started_ms for r in exported.api_log.requests if r.started_ms is not None]
        start_ms, end_ms = (min(times), max(times)) if times else (None, None)
    evidence = from_pipeline(
        pipeline, function=function, region=region, start_ms=start_ms, end_ms=end_ms
    )
    evidence.export_form = exported.form
    evidence.api_log = exported.api_log
    return evidence


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Reading an export allocates millions of objects and frees none in cycles: the cyclic
    garbage collector would walk them all again and again (a tenth of the time) for nothing.
    (Back on, its first collection walks whatever was made meanwhile and is still alive.)"""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


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
