"""`lambdatop [FUNCTION ...]`: the monitor (the TUI), against AWS or the simulated account."""

from __future__ import annotations

import argparse
import atexit
import contextlib
import gc
import os
import signal
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from lambdatop.commands.backend import MonitorAfterFirstFrame
from lambdatop.core.fleet import split_linked
from lambdatop.core.sources import Context
from lambdatop.core.store import Store
from lambdatop.defaults import DefaultSettings
from lambdatop.exit_codes import EXIT_OK, EXIT_USAGE, fail
from lambdatop.paths import settings_customised

if TYPE_CHECKING:
    from lambdatop.aws.session import Aws
    from lambdatop.config import Settings


def _settings(args: argparse.Namespace) -> Settings | DefaultSettings | None:
    # `lambdatop demo` has neither option: the settings file's or the defaults then.
    refresh, window = getattr(args, "refresh", None), getattr(args, "window", None)
    live_tail = getattr(args, "live_tail", None)
    if refresh is None and window is None and live_tail is None and not settings_customised():
        return DefaultSettings()  # as Settings() would be, without loading pydantic
    from lambdatop.config import ConfigError, load_settings

    try:
        return load_settings(refresh=refresh, window=window, live_tail=live_tail)
    except ConfigError as error:
        fail(str(error))
        return None


def _run_app(
    connect: Callable[[], Aws],
    functions: list[str],
    settings: Settings | DefaultSettings,
    *,
    live_tail: bool,
    redact: bool = False,
    contexts: Sequence[tuple[Context, Callable[[], Aws]]] = (),
    linked_accounts: bool = False,
) -> int:
    from lambdatop.ui.app import LambdatopApp

    store: Store
    if len(contexts) > 1 or linked_accounts:  # rows of several accounts: a fleet
        from lambdatop.core.fleet import FleetStore

        store = fleet = FleetStore(tail_lines=settings.tail_lines)
        fleet.profile = ", ".join(dict.fromkeys(str(c.profile or "default") for c, _ in contexts))
        fleet.region = ", ".join(dict.fromkeys(str(c.region or "?") for c, _ in contexts))
        backend = MonitorAfterFirstFrame(
            store,
            connect,
            live_tail=live_tail,
            linked_accounts=linked_accounts,
            contexts=[(fleet.add_context(context), open_) for context, open_ in contexts],
        )
    else:
        store = Store(tail_lines=settings.tail_lines)
        backend = MonitorAfterFirstFrame(store, connect, live_tail=live_tail)
    app = LambdatopApp(
        store,
        backend,
        functions=functions,
        refresh_s=settings.refresh,
        window=settings.window,
        thresholds=settings.thresholds,
        keys=settings.keys,
        theme=settings.theme,
        redact=redact or settings.redact,
    )
    backend.app = app
    # Until the app's own handlers are in (once its screens are up), a SIGTERM or SIGHUP would
    # kill the process on the alternate screen in raw mode: it is asked to exit as it mounts.
    for sig in (signal.SIGTERM, signal.SIGHUP):
        with contextlib.suppress(ValueError, OSError):  # not the main thread: nothing to cover
            signal.signal(sig, lambda *_: app.stop_asked())
    result = app.run()
    # The session's objects die with the process: out of the collector's reach, the
    # interpreter's last collection does not walk them on the way out (about 120,000 objects,
    # 0.6 s of a closed terminal's 0.9 s exit at a load of 10, over 2 s once under more).
    gc.freeze()
    if app.crash is not None:
        return _crashed(app.crash)
    if backend.error is not None:
        raise backend.error  # AWS's own words, in one line, by cli.main
    code = app.return_code or (result if isinstance(result, int) else EXIT_OK)
    if backend.still_connecting:
        # Closed right after its first frame, while a daemon thread still imports and loads the
        # AWS SDK: the interpreter's finalisation would run beside that import and can crash
        # (SIGSEGV, 3 in 15 SIGTERMs 0.2 s after the first frame). The terminal is restored and
        # nothing is left to write: the process ends here, with its code, once the exit hooks
        # have run (they run before the finalisation too; only the finalisation is left out).
        with contextlib.suppress(Exception):
            atexit._run_exitfuncs()
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):
                stream.flush()
        os._exit(code)
    return code


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

    contexts = [
        (Context(profile, region), _connector(profile, region, args.endpoint_url))
        for profile in args.profile or settings.profiles or [None]
        for region in args.region or settings.regions or [None]
    ]
    contexts = list(dict(contexts).items())  # a profile or region given twice is one context
    if not sys.stdout.isatty():
        # A bad profile is said first, in one line (by cli.main), terminal or not.
        for _, connect in contexts:
            connect()
    linked = bool(args.linked_accounts or settings.linked_accounts)
    # `NAME@ACCOUNT` (or its ARN) names one function in one context, as diagnose and tail take
    # it: opened by itself, its shared log group by ARN and its metrics in its account.
    accounted = all(split_linked(name)[1] is not None for name in args.functions)
    if linked and accounted and args.functions and len(contexts) == 1:
        linked = False
    if (len(contexts) > 1 or linked) and args.functions:
        # A bare name may be in every context; opened from the fleet, it is one row's.
        return fail(
            "with several profiles or regions, or --linked-accounts, a FUNCTION may be in more"
            " than one account or region: open it from the fleet (enter), or name one --profile"
            " and --region to open it at start"
        )
    if not sys.stdout.isatty():
        return fail("the monitor needs a terminal; for scripts use `lambdatop diagnose` or `tail`")
    functions = list(args.functions)
    if functions and any(split_linked(name)[1] is not None for name in functions):
        opened = _opened_names(contexts[0][0], args.endpoint_url, functions)
        if isinstance(opened, str):
            return fail(opened)
        functions = opened
    return _run_app(
        contexts[0][1],
        functions,
        settings,
        live_tail=settings.live_tail,
        redact=args.redact,
        contexts=contexts,
        linked_accounts=linked,
    )


def _opened_names(
    context: Context, endpoint_url: str | None, functions: list[str]
) -> list[str] | str:
    """`NAME@ACCOUNT` as `diagnose` reads it, before the monitor opens it (in the one context
    of the flags): the credentials' own account's function by its bare name, a source
    account's once its log group is found shared; else the one line that says why not. One STS
    call and a log group's, only when a FUNCTION names its account, as a command's at the
    prompt."""
    import asyncio

    from lambdatop.aws.errors import describe
    from lambdatop.aws.pollers.linked import NotShared, opened_name
    from lambdatop.aws.session import AT_THE_PROMPT, Aws, AwsTarget

    async def opened() -> list[str]:
        target = AwsTarget.resolve(context.profile, context.region, endpoint_url)
        async with Aws(target, patience=AT_THE_PROMPT) as aws:
            return [await opened_name(aws, function) for function in functions]

    try:
        return asyncio.run(opened())
    except NotShared as refused:
        return str(refused)
    except Exception as error:  # noqa: BLE001 - never a traceback for the user
        return describe(error).final


def _connector(
    profile: str | None, region: str | None, endpoint_url: str | None
) -> Callable[[], Aws]:
    """One context's session, built when called (in the backend's thread)."""

    def connect() -> Aws:
        from lambdatop.aws.session import Aws, AwsTarget

        return Aws(AwsTarget.resolve(profile, region, endpoint_url))

    return connect


def run_demo_monitor(args: argparse.Namespace) -> int:
    """The monitor against the simulated account, started beside it and stopped on quit."""
    settings = _settings(args)
    if settings is None:
        return 2
    import importlib.util

    if importlib.util.find_spec("moto") is None:
        return fail(
            "the simulated account needs the demo extra (moto): pip install 'lambdatop[demo]'"
        )
    from lambdatop.demo.account_process import AccountFailed, AccountProcess
    from lambdatop.demo.loopback import port_is_free
    from lambdatop.demo.scenarios import REGION, select_scenarios

    if settings.live_tail:
        # moto's StartLiveTail answers one snapshot and closes: there is no stream to follow.
        print("note: the simulated account has no Live Tail stream; its logs are polled")
    speed = getattr(args, "speed", 1.0)
    scenarios = getattr(args, "scenario", None)
    port = getattr(args, "port", 0)
    functions = list(getattr(args, "functions", []) or [])
    try:
        select_scenarios(scenarios)
    except ValueError as error:
        return fail(str(error))
    if port and not port_is_free(port):
        return fail(f"cannot start the simulated account: port {port} is in use")
    # The account is created and its history written in a process of its own, on the other
    # core: the monitor paints at once, its fleet "listing…" until the account is ready (the
    # connection waits for it, in the backend's thread), then every function with its figures.
    account = AccountProcess(port=port, speed=speed, scenarios=scenarios)
    account.start()
    # However the monitor ends (os._exit after the exit hooks included), the account goes too
    atexit.register(account.stop)
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")

    def connect() -> Aws:
        from lambdatop.aws.policy import ALLOWED
        from lambdatop.aws.session import Aws, AwsTarget

        aws = Aws(AwsTarget(profile=None, region=REGION, endpoint_url=account.endpoint()))
        aws.load_models(ALLOWED)  # while the account is created (read once: botocore keeps them)
        account.wait_ready()
        return aws

    try:
        return _run_app(connect, functions, settings, live_tail=False)  # polled, as said
    except AccountFailed as error:
        return fail(str(error))
    finally:
        account.stop()
