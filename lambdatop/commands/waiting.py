"""What a headless command waits on: an AWS request unanswered for a few seconds is said on
stderr while it waits, once a hang, in the words the monitor's banner uses; and, for a command
that goes on reading (`tail --follow`), when AWS answers again. Never on stdout: scripts read it.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
import time
from collections.abc import Callable
from types import TracebackType
from typing import TextIO

from lambdatop.core.sources import InFlight
from lambdatop.core.timeutil import human_duration

LOOK_EVERY_S = 0.5
"""How often the requests on the wire are looked at: a wait is said within half a second of
the few seconds (core.sources.SAY_WAITING_AFTER_S) that make it worth saying."""


class SayWaiting:
    """Watches `in_flight` while the command runs (`async with`); `answered()` after an
    answer ends the hang, if one was said."""

    def __init__(
        self,
        in_flight: InFlight,
        out: TextIO | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.in_flight = in_flight
        self.out = out
        self.clock = clock
        self.since_s: float | None = None
        """When the request said to wait was sent, while the hang lasts; None between hangs."""
        self._watching: asyncio.Task[None] | None = None

    async def __aenter__(self) -> SayWaiting:
        self._watching = asyncio.create_task(self._watch(), name="lambdatop: say waiting")
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._watching is not None:
            self._watching.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watching

    async def _watch(self) -> None:
        while True:
            await asyncio.sleep(LOOK_EVERY_S)
            self.look()

    def look(self) -> None:
        """Say the request waiting longest, if it has waited a few seconds and this hang has
        not been said yet (a read timeout and the retry after it are the same hang)."""
        if self.since_s is not None:
            return
        now = self.clock()
        request = self.in_flight.longest(now)
        if request is not None:
            self.since_s = request.started_s
            self._say(f"{request.waiting(now)}: no answer yet")

    def answered(self) -> None:
        """AWS answered: the hang said, if any, is over."""
        if self.since_s is None:
            return
        waited = human_duration(max(0.0, self.clock() - self.since_s))
        self.since_s = None
        self._say(f"AWS answers again, after {waited}")

    def _say(self, words: str) -> None:
        out = self.out or sys.stderr
        out.write(f"lambdatop: {words}\n")
        out.flush()
