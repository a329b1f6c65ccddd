"""`lambdatop tail FUNCTION`: every log event of a function, exactly once, for people or scripts."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import signal
import sys
import time
from datetime import UTC, datetime
from typing import TextIO

from lambdatop.aws.errors import describe, describe_source
from lambdatop.aws.pacing import Backoff, Turns
from lambdatop.aws.pollers.inventory import function_details
from lambdatop.aws.pollers.linked import source_function
from lambdatop.aws.pollers.livetail import LiveTail
from lambdatop.aws.pollers.logs import LogTail, no_log_group
from lambdatop.aws.session import AT_THE_PROMPT, Aws, AwsTarget
from lambdatop.commands.colour import colour_wanted
from lambdatop.commands.waiting import SayWaiting
from lambdatop.core.fleet import split_linked
from lambdatop.core.parse import parse
from lambdatop.core.records import Level, LogEvent
from lambdatop.core.sanitize import clean
from lambdatop.core.store import retrying_in
from lambdatop.core.timeutil import parse_duration
from lambdatop.exit_codes import EXIT_OK, fail

_LEVEL_COLOUR = {
    Level.ERROR: "\x1b[31m",
    Level.FATAL: "\x1b[1;31m",
    Level.WARN: "\x1b[33m",
    Level.DEBUG: "\x1b[2m",
    Level.TRACE: "\x1b[2m",
}
IDLE_MAX_S = 5.0
LIVE_POLL_S = 0.5


def run_tail(args: argparse.Namespace) -> int:
    from lambdatop.commands.redacting import redacted_output, redaction_wanted

    with redacted_output(redaction_wanted(args)):
        return _run_tail(args)


def _run_tail(args: argparse.Namespace) -> int:
    try:
        since_s = parse_duration(args.since)
    except ValueError as error:
        return fail(f"--since: {error}")
    if args.live_tail is None:
        from lambdatop.config import ConfigError, load_settings

        try:
            args.live_tail = load_settings().live_tail
        except ConfigError as error:
            return fail(str(error))
    if args.live_tail and not args.follow:
        args.live_tail = False  # Live Tail only streams what comes: the history is read anyway
    target = AwsTarget.resolve(args.profile, args.region, args.endpoint_url)
    colour = args.format == "text" and colour_wanted("auto")
    try:
        return asyncio.run(_tail(target, args, since_s, colour))
    except KeyboardInterrupt:
        return EXIT_OK


async def _tail(target: AwsTarget, args: argparse.Namespace, since_s: float, colour: bool) -> int:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    async with Aws(target, patience=AT_THE_PROMPT) as aws, SayWaiting(aws.in_flight) as waiting:
        try:
            group = await _log_group(aws, args.function)
        except Exception as error:  # noqa: BLE001 - one line, exit 2
            trouble = describe(error)
            if trouble.kind == "missing":
                return fail(f"function {args.function!r} not found in {aws.region}")
            if trouble.kind != "denied":
                return fail(trouble.final)
            group = f"/aws/lambda/{args.function}"  # may read logs without lambda:Get*
        start_ms = int((time.time() - since_s) * 1000)
        tail: LogTail | LiveTail
        if args.live_tail:
            tail = LiveTail(aws, group, start_ms, filter_pattern=args.filter)
        else:
            tail = LogTail(aws, group, start_ms, filter_pattern=args.filter)
        try:
            return await _follow(tail, args, colour, stop, waiting)
        finally:
            if isinstance(tail, LiveTail):
                await tail.close()


async def _log_group(aws: Aws, function: str) -> str:
    """The function's log group: from its configuration, or for a source account's function
    (`NAME@ACCOUNT`, through a monitoring account) the ARN of its shared group."""
    source = await source_function(aws, function)
    if source is not None:
        return source.effective_log_group
    config, _ = await function_details(aws, split_linked(function)[0])
    return config.effective_log_group


async def _follow(
    tail: LogTail | LiveTail,
    args: argparse.Namespace,
    colour: bool,
    stop: asyncio.Event,
    waiting: SayWaiting,
) -> int:
    """Print what the tail hands on until stopped (or once, without --follow)."""
    backoff = Backoff()
    turns = Turns.of_this_task()
    quiet = 0
    sampled = polling = False
    while True:
        turns.next_try()
        try:
            events = await tail.poll()
        except Exception as error:  # noqa: BLE001 - say it, back off, carry on
            trouble = describe_source(error, "CloudWatch Logs")  # as the monitor's banner
            if not args.follow:
                return fail(trouble.final)
            delay = turns.retry_in(backoff.next_delay())  # said for when it goes out
            sys.stderr.write(f"lambdatop: {retrying_in(trouble.message, delay)}\n")
        else:
            backoff.success()
            waiting.answered()
            _print(events, args.format, colour, sys.stdout)
            if not args.follow:
                if not tail.group_exists:
                    sys.stderr.write(f"lambdatop: {no_log_group(tail.log_group)}\n")
                return EXIT_OK
            quiet = 0 if events else quiet + 1
            delay = min(IDLE_MAX_S, 1.0 * 1.3**quiet)
        if isinstance(tail, LiveTail):
            if tail.polling != polling:
                polling = tail.polling
                if polling:
                    sys.stderr.write(
                        f"lambdatop: note: Live Tail refused ({tail.refused}): polling instead\n"
                    )
            if not polling:
                delay = LIVE_POLL_S  # pushed: handing it on costs no call
            if tail.sampled != sampled:
                sampled = tail.sampled
                sys.stderr.write(
                    "lambdatop: note: Live Tail is sampling (over 500 matching events a second):"
                    " lines are a sample\n"
                    if sampled
                    else "lambdatop: note: Live Tail stopped sampling: every line again\n"
                )
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=delay)
        if stop.is_set():
            return EXIT_OK


def _print(events: list[LogEvent], form: str, colour: bool, out: TextIO) -> None:
    if not events:
        return
    if form == "jsonl":
        for event in events:
            out.write(
                json.dumps(
                    {
                        "eventId": event.event_id,
                        "logStreamName": event.stream,
                        "timestamp": event.timestamp_ms,
                        "message": event.message,
                    },
                    ensure_ascii=True,
                )
                + "\n"
            )
    else:
        for event in events:
            out.write(format_line(event, colour) + "\n")
    out.flush()


def format_line(event: LogEvent, colour: bool) -> str:
    """`09:14:55.120 a1b2c3 message`, sanitised; continuation lines indented."""
    stamp = datetime.fromtimestamp(event.timestamp_ms / 1000, UTC).strftime("%H:%M:%S.%f")[:-3]
    env = event.stream[-6:] if event.stream else "------"
    text = clean(event.message).rstrip("\n").replace("\t", "  ")
    lines = text.split("\n")
    body = lines[0] + "".join(f"\n{' ' * 20}{line}" for line in lines[1:])
    if colour:
        level = parse(event.message).level
        code = _LEVEL_COLOUR.get(level) if level is not None else None
        if code:
            body = f"{code}{body}\x1b[0m"
        return f"\x1b[2m{stamp} {env}\x1b[0m {body}"
    return f"{stamp} {env} {body}"
