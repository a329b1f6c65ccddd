"""`lambdatop [FUNCTION ...]`: the monitor (the TUI), against AWS or the simulated account."""

from __future__ import annotations

import argparse
import logging
import os
import sys

from lambdatop.aws.monitor import Monitor
from lambdatop.aws.session import Aws, AwsTarget
from lambdatop.config import ConfigError, Settings, load_settings
from lambdatop.core.store import Store
from lambdatop.exit_codes import EXIT_OK, EXIT_USAGE, fail


def _settings(args: argparse.Namespace) -> Settings | None:
    try:
        # `lambdatop demo` has neither option: the settings file's or the defaults then.
        refresh, window = getattr(args, "refresh", None), getattr(args, "window", None)
        live_tail = getattr(args, "live_tail", None)
        return load_settings(refresh=refresh, window=window, live_tail=live_tail)
    except ConfigError as error:
        fail(str(error))
        return None


def _run_app(aws: Aws, functions: list[str], settings: Settings) -> int:
    from lambdatop.ui.app import LambdatopApp

    store = Store(tail_lines=settings.tail_lines)
    monitor = Monitor(aws, store, live_tail=settings.live_tail)
    app = LambdatopApp(
        store,
        monitor,
        functions=functions,
        refresh_s=settings.refresh,
        window=settings.window,
        thresholds=settings.thresholds,
        keys=settings.keys,
        theme=settings.theme,
    )
    result = app.run()
    if app.crash is not None:
        return _crashed(app.crash)
    if app.return_code:
        return app.return_code
    return result if isinstance(result, int) else EXIT_OK


def _crashed(error: BaseException) -> int:
    """One line for the user, the traceback in a file for the bug report."""
    import traceback

    from lambdatop.paths import state_dir

    where = state_dir() / "crash.log"
    try:
        where.parent.mkdir(parents=True, exist_ok=True)
        where.write_text("".join(traceback.format_exception(error)), encoding="utf-8")
        kept = f"; the traceback is in {where}"
    except OSError:
        kept = ""
    detail = str(error).splitlines()[0][:200] if str(error) else ""
    # The terminal's own stderr: the demo silences sys.stderr while the app runs.
    stream = sys.__stderr__ or sys.stderr
    if stream is not None:
        stream.write(
            f"lambdatop: the monitor stopped on an internal error ({type(error).__name__}:"
            f" {detail}){kept}; please report it\n"
        )
    return EXIT_USAGE


def run_monitor(args: argparse.Namespace) -> int:
    if args.demo:
        return run_demo_monitor(args)
    settings = _settings(args)
    if settings is None:
        return 2
    # Before the terminal check: a bad profile is said in one line (by cli.main), terminal or not.
    aws = Aws(AwsTarget.resolve(args.profile, args.region, args.endpoint_url))
    if not sys.stdout.isatty():
        return fail("the monitor needs a terminal; for scripts use `lambdatop diagnose` or `tail`")
    return _run_app(aws, list(args.functions), settings)


def run_demo_monitor(args: argparse.Namespace) -> int:
    """The monitor against the simulated account, started here and stopped on quit."""
    settings = _settings(args)
    if settings is None:
        return 2
    try:
        from lambdatop.demo.simulated_account import SimulatedAccount
    except ImportError as error:
        return fail(f"the simulated account needs the demo extra ({error.name})")
    if settings.live_tail:
        # moto's StartLiveTail answers one snapshot and closes: there is no stream to follow.
        print("note: the simulated account has no Live Tail stream; its logs are polled")
        settings = settings.model_copy(update={"live_tail": False})
    speed = getattr(args, "speed", 1.0)
    scenarios = getattr(args, "scenario", None)
    port = getattr(args, "port", 0)
    functions = list(getattr(args, "functions", []) or [])
    account = SimulatedAccount()
    print("Starting the simulated AWS account and writing its last half hour…", flush=True)
    try:
        account.start(port=port, speed=speed, scenarios=scenarios)
        account.wait_until_backfilled(timeout=None)
    except ValueError as error:
        account.stop()
        return fail(str(error))
    except OSError as error:
        account.stop()
        return fail(f"cannot start the simulated account: {error.strerror or error}")
    # The emulator runs in this process and prints its own errors; they must not reach the
    # terminal the monitor draws on (Textual draws through the original stderr).
    logging.getLogger("werkzeug").disabled = True
    quiet = open(os.devnull, "w")  # noqa: SIM115 - closed below, after the app
    saved, sys.stderr = sys.stderr, quiet
    try:
        os.environ.setdefault("AWS_ACCESS_KEY_ID", account.access_key_id)
        os.environ.setdefault("AWS_SECRET_ACCESS_KEY", account.secret_access_key)
        target = AwsTarget(profile=None, region=account.region, endpoint_url=account.endpoint_url)
        return _run_app(Aws(target), functions, settings)
    finally:
        sys.stderr = saved
        quiet.close()
        account.stop()
