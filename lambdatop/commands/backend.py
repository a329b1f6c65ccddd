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
from collections.abc import Callable
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
    """A `ui.backend.Backend`: the AWS monitor, connected after the app's first frame."""

    def __init__(
        self, store: Store, connect: Callable[[], Aws], *, live_tail: bool = False
    ) -> None:
        self.store = store
        self._connect = connect
        self._live_tail = live_tail
        """Logs by CloudWatch Live Tail (the `live_tail` setting), for the monitor."""
        """Builds the AWS clients' session (run in a thread): raises what `Aws` raises."""
        self.app: App[int] | None = None
        """The app to wait for (its first frame) and to stop when AWS cannot be read at all."""
        self.monitor: Monitor | None = None
        self.error: Exception | None = None
        """Why the AWS configuration could not be read (a missing profile, no region)."""
        self._pending: list[Callable[[Monitor], object]] = []
        self._loading: asyncio.Task[None] | None = None

    @staticmethod
    def _start(monitor: Monitor) -> None:
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
            aws = await self._in_thread()
        except Exception as error:  # noqa: BLE001 - said in one line once the app has closed
            self.error = error
            if self.app is not None:
                self.app.exit(return_code=EXIT_USAGE)
            return
        from lambdatop.aws.monitor import Monitor  # loaded by the thread already

        monitor = self.monitor = Monitor(aws, self.store, live_tail=self._live_tail)
        # The opened function's log first (its client, the newest minute of its backfill): its
        # lines are what the person waits for; the function list and the metrics follow them.
        pending, self._pending = self._pending, []
        for call in pending:
            if call is not self._start:
                call(monitor)
        if self._start in pending:
            if monitor.focus is not None:
                await self._first_lines(monitor, monitor.focus)
            monitor.start()

    async def _first_lines(self, monitor: Monitor, name: str) -> None:
        """Until the function's first log lines are in, or its first log read ended (failed,
        no log group), for at most FIRST_LINES_WAIT_S."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(FIRST_LINES_WAIT_S):
                await monitor.log_shown(name).wait()

    def _in_thread(self) -> asyncio.Future[Aws]:
        """`_connect_and_load` in a daemon thread: quitting (q, a signal, the terminal closed)
        right after the first frame never waits for it, as it would for the event loop's
        default executor, which `asyncio.run` joins on the way out."""
        loop = asyncio.get_running_loop()
        connected: asyncio.Future[Aws] = loop.create_future()

        def settle(aws: Aws | None, error: Exception | None) -> None:
            if connected.done():
                return  # the app stopped meanwhile
            if error is not None:
                connected.set_exception(error)
            else:
                connected.set_result(cast("Aws", aws))

        def work() -> None:
            aws: Aws | None = None
            error: Exception | None = None
            try:
                aws = self._connect_and_load()
            except Exception as raised:  # noqa: BLE001 - handed to the event loop, said there
                error = raised
            with contextlib.suppress(RuntimeError):  # the loop has closed: nobody waits
                loop.call_soon_threadsafe(settle, aws, error)

        threading.Thread(target=work, name="lambdatop: connect to AWS", daemon=True).start()
        return connected

    def _connect_and_load(self) -> Aws:
        """In a thread: the AWS SDK's modules, the configuration, the services' models."""
        from lambdatop.aws.policy import ALLOWED

        aws = self._connect()
        aws.load_models(ALLOWED)
        return aws

    def _call(self, call: Callable[[Monitor], object]) -> None:
        if self.monitor is not None:
            call(self.monitor)
        else:
            self._pending.append(call)

    def watch(self, name: str) -> FunctionState:
        self._call(lambda monitor: monitor.watch(name))
        return self.store.function(name)

    def set_focus(self, name: str | None) -> None:
        self._call(lambda monitor: monitor.set_focus(name))

    def set_window(self, seconds: float) -> None:
        self._call(lambda monitor: monitor.set_window(seconds))

    def refresh_now(self) -> None:
        self._call(lambda monitor: monitor.refresh_now())

    def allow_scan(self, name: str) -> None:
        self._call(lambda monitor: monitor.allow_scan(name))

    async def open_trace(self, name: str, trace_id: str) -> None:
        if self.monitor is not None:  # a trace is opened from the list the monitor read
            await self.monitor.open_trace(name, trace_id)

    async def stop(self) -> None:
        if self._loading is not None and not self._loading.done():
            self._loading.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._loading
        if self.monitor is not None:
            await self.monitor.stop()
