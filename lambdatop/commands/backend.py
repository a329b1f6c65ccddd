"""The monitor's backend as the app sees it: the AWS monitor, loaded once the first frame is
on screen.

The AWS SDK's modules (aiobotocore, botocore, aiohttp) and the reading of the AWS configuration
take about as long as everything else before the first frame: they load in a thread after it,
so the screen comes up at once and fills in as AWS answers. Calls the app makes meanwhile
(start, focus, window) are kept and made once connected, the opened function's first.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, cast

from lambdatop.core.store import FunctionState, Store
from lambdatop.exit_codes import EXIT_USAGE

if TYPE_CHECKING:
    from textual.app import App

    from lambdatop.aws.monitor import Monitor
    from lambdatop.aws.session import Aws

FIRST_LINES_WAIT_S = 3.0
"""The function list and the metrics wait at most this long for an opened function's first
log lines (a slow log endpoint must not hold the rest of the screen)."""


class MonitorAfterFirstFrame:
    """A `ui.backend.Backend`: the AWS monitor, connected after the app's first frame; with
    several contexts (a `FleetStore`), one monitor per context, each function's calls routed to
    the monitor of the context that holds it."""

    def __init__(
        self,
        store: Store,
        connect: Callable[[], Aws],
        *,
        live_tail: bool = False,
        linked_accounts: bool = False,
        contexts: Sequence[tuple[Store, Callable[[], Aws]]] = (),
    ) -> None:
        self.store = store
        self._contexts = list(contexts) or [(store, connect)]
        """Each context's store and the session that fills it (run in a thread): raises what
        `Aws` raises."""
        self._live_tail = live_tail
        """Logs by CloudWatch Live Tail (the `live_tail` setting), for the monitor."""
        self._linked_accounts = linked_accounts
        """Source accounts' functions too, in a monitoring account (`--linked-accounts`)."""
        self.app: App[int] | None = None
        """The app to wait for (its first frame) and to stop when AWS cannot be read at all."""
        self.monitors: list[Monitor] = []
        """One per context, in the contexts' order, once connected."""
        self.error: Exception | None = None
        """Why the AWS configuration could not be read (a missing profile, no region)."""
        self._pending: list[Callable[[], object]] = []
        self._connecting: threading.Thread | None = None
        self._loading: asyncio.Task[None] | None = None

    @property
    def monitor(self) -> Monitor | None:
        """The (first) context's monitor, once connected."""
        return self.monitors[0] if self.monitors else None

    def _start(self) -> None:
        for monitor in self.monitors:
            monitor.start()

    def start(self) -> None:
        self._call(self._start)
        if self.app is not None:
            self.app.call_after_refresh(self._load)
        else:
            self._load()

    def _load(self) -> None:
        if self._loading is None:
            self._loading = asyncio.get_running_loop().create_task(self._connected())

    async def _connected(self) -> None:
        try:
            sessions = await self._in_thread()
        except Exception as error:  # noqa: BLE001 - said in one line once the app has closed
            self.error = error
            if self.app is not None:
                self.app.exit(return_code=EXIT_USAGE)
            return
        from lambdatop.aws.monitor import Monitor  # loaded by the thread already

        self.monitors = [
            Monitor(aws, store, live_tail=self._live_tail, linked_accounts=self._linked_accounts)
            for (store, _), aws in zip(self._contexts, sessions, strict=True)
        ]
        # The opened function's log first (its client, the newest minute of its backfill): its
        # lines are what the person waits for; the function list and the metrics follow them.
        pending, self._pending = self._pending, []
        for call in pending:
            if call != self._start:
                call()
        if self._start in pending:
            for monitor in self.monitors:
                if monitor.focus is not None:
                    await self._first_lines(monitor, monitor.focus)
            self._start()

    async def _first_lines(self, monitor: Monitor, name: str) -> None:
        """Until the function's first log lines are in, or its first log read ended (failed,
        no log group), for at most FIRST_LINES_WAIT_S."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(FIRST_LINES_WAIT_S):
                await monitor.log_shown(name).wait()

    def _in_thread(self) -> asyncio.Future[list[Aws]]:
        """`_connect_and_load` in a daemon thread: quitting (q, a signal, the terminal closed)
        right after the first frame never waits for it, as it would for the event loop's
        default executor, which `asyncio.run` joins on the way out."""
        loop = asyncio.get_running_loop()
        connected: asyncio.Future[list[Aws]] = loop.create_future()

        def settle(aws: list[Aws] | None, error: Exception | None) -> None:
            if connected.done():
                return  # the app stopped meanwhile
            if error is not None:
                connected.set_exception(error)
            else:
                connected.set_result(cast("list[Aws]", aws))

        def work() -> None:
            aws: list[Aws] | None = None
            error: Exception | None = None
            try:
                aws = self._connect_and_load()
            except Exception as raised:  # noqa: BLE001 - handed to the event loop, said there
                error = raised
            with contextlib.suppress(RuntimeError):  # the loop has closed: nobody waits
                loop.call_soon_threadsafe(settle, aws, error)

        self._connecting = threading.Thread(
            target=work, name="lambdatop: connect to AWS", daemon=True
        )
        self._connecting.start()
        return connected

    @property
    def still_connecting(self) -> bool:
        """The thread that loads the AWS SDK is still at it (the app was closed right after its
        first frame)."""
        return self._connecting is not None and self._connecting.is_alive()

    def _connect_and_load(self) -> list[Aws]:
        """In a thread: the AWS SDK's modules, each context's configuration, the services'
        models. A context whose configuration cannot be read (a profile that does not exist)
        stops them all, in one line, as it does for one."""
        from lambdatop.aws.policy import ALLOWED
        from lambdatop.core.fleet import ContextStore

        sessions: list[Aws] = []
        for store, connect in self._contexts:
            aws = connect()
            aws.load_models(ALLOWED)
            if isinstance(store, ContextStore):  # as resolved: AWS_PROFILE, the profile's region
                store.context = replace(
                    store.context, profile=aws.target.profile, region=aws.region
                )
            sessions.append(aws)
        return sessions

    def _call(self, call: Callable[[], object]) -> None:
        if self.monitors:
            call()
        else:
            self._pending.append(call)

    def _home(self, name: str) -> tuple[Monitor, str] | None:
        """The monitor that follows a function, and the function's bare name there."""
        from lambdatop.core.fleet import FleetStore

        if not isinstance(self.store, FleetStore):
            return self.monitors[0], name
        home = self.store.locate(name)
        if home is None:
            return None
        index = next(i for i, (store, _) in enumerate(self._contexts) if store is home[0])
        return self.monitors[index], home[1]

    def watch(self, name: str) -> FunctionState:
        def watch() -> None:
            if (home := self._home(name)) is not None:
                home[0].watch(home[1])

        self._call(watch)
        return self.store.function(name)

    def set_focus(self, name: str | None) -> None:
        def focus() -> None:
            home = self._home(name) if name is not None else None
            for monitor in self.monitors:
                # The other contexts' opened functions slow down, as off-screen ones do.
                monitor.set_focus(home[1] if home is not None and home[0] is monitor else None)

        self._call(focus)

    def set_window(self, seconds: float) -> None:
        def window() -> None:
            for monitor in self.monitors:
                monitor.set_window(seconds)

        self._call(window)

    def refresh_now(self) -> None:
        def refresh() -> None:
            for monitor in self.monitors:
                monitor.refresh_now()

        self._call(refresh)

    def allow_scan(self, name: str) -> None:
        def allow() -> None:
            if (home := self._home(name)) is not None:
                home[0].allow_scan(home[1])

        self._call(allow)

    async def open_trace(self, name: str, trace_id: str) -> None:
        # A trace is opened from the list the monitor read: connected by then.
        if self.monitors and (home := self._home(name)) is not None:
            await home[0].open_trace(home[1], trace_id)

    async def stop(self) -> None:
        if self._loading is not None and not self._loading.done():
            self._loading.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._loading
        for monitor in self.monitors:
            await monitor.stop()
