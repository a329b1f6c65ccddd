"""The reusable handle on a running simulated account: moto server + resources + generator.

with SimulatedAccount() as account:          # or account.start(port=0, speed=10)
    account.wait_until_backfilled()
    boto3.client("logs", endpoint_url=account.endpoint_url, region_name=account.region, ...)
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from lambdatop.demo.account import create_account
from lambdatop.demo.generator import (
    DEFAULT_BACKFILL_SECONDS,
    DEFAULT_RETENTION_SECONDS,
    Generator,
    GeneratorSettings,
    GeneratorStats,
)
from lambdatop.demo.scenarios import ACCOUNT_ID, REGION, Scenario, select_scenarios
from lambdatop.demo.server import MotoServer, reset_moto

logger = logging.getLogger(__name__)

DEFAULT_SEED = 7
QUIET_S = 0.25
QUIET_AT_MOST_S = 1.0
"""Each step of the older minutes waits for the server to have been quiet this long, at most
that long: a monitor polling without a pause still sees them all written within seconds."""


class SimulatedAccount:
    """A simulated AWS account on 127.0.0.1, living through the guide's incidents.

    moto keeps its state in process-wide backends: run one simulated account per process.
    """

    region = REGION
    account_id = ACCOUNT_ID
    access_key_id = "testing"
    secret_access_key = "testing"

    def __init__(self) -> None:
        self._server: MotoServer | None = None
        self._generator: Generator | None = None
        self._scenarios: tuple[Scenario, ...] = ()

    def start(
        self,
        port: int = 0,
        speed: float = 1.0,
        scenarios: list[str] | None = None,
        seed: int = DEFAULT_SEED,
        backfill_seconds: float = DEFAULT_BACKFILL_SECONDS,
        retention_seconds: float = DEFAULT_RETENTION_SECONDS,
        clock: Callable[[], float] = time.time,
        freeze_history: bool = False,
        listening: Callable[[str], object] | None = None,
    ) -> None:
        """Start moto, create the account and start the generator (which backfills first).
        `freeze_history`: see GeneratorSettings. `listening` is told the endpoint as soon as the
        server listens, before the account is created.

        Raises ValueError for an unknown scenario name, before anything is started.
        """
        if self._server is not None:
            raise RuntimeError("simulated account already started")
        selected = select_scenarios(scenarios)
        if speed <= 0:
            raise ValueError(f"speed must be positive, got {speed}")
        server = MotoServer(port)
        server.start()
        self._server = server
        try:
            if listening is not None:
                listening(server.endpoint_url)
            # A previous account in this process (tests) would otherwise leak into this one
            reset_moto(server.endpoint_url)
            provisioned = create_account(server.endpoint_url, selected)
            settings = GeneratorSettings(
                speed=speed,
                seed=seed,
                backfill_seconds=backfill_seconds,
                retention_seconds=retention_seconds,
                freeze_history=freeze_history,
            )
            self._generator = Generator(
                server.endpoint_url,
                selected,
                provisioned,
                settings,
                clock,
                traces_seen=server.trace_summaries.keep,
                quiet=lambda: server.requests.wait_quiet(QUIET_S, QUIET_AT_MOST_S),
            )
            self._generator.start()
        except BaseException:
            self.stop()
            raise
        self._scenarios = selected

    def wait_until_recent(self, timeout: float | None = 60.0) -> bool:
        """Block until every metric and the newest quarter hour of logs and traces are written
        (what a monitor reads); True when they were within `timeout` seconds."""
        if self._generator is None:
            raise RuntimeError("simulated account not started")
        return self._generator.recent_written.wait(timeout)

    def wait_until_backfilled(self, timeout: float | None = 60.0) -> bool:
        """Block until the history is written; True when it was within `timeout` seconds."""
        if self._generator is None:
            raise RuntimeError("simulated account not started")
        return self._generator.backfilled.wait(timeout)

    def stop(self) -> None:
        """Stop the generator, then the server; idempotent. Leaves no thread or port behind."""
        generator, self._generator = self._generator, None
        if generator is not None:
            generator.stop()
        server, self._server = self._server, None
        if server is not None:
            server.stop()

    @property
    def running(self) -> bool:
        return self._server is not None

    @property
    def endpoint_url(self) -> str:
        if self._server is None:
            raise RuntimeError("simulated account not started")
        return self._server.endpoint_url

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("simulated account not started")
        return self._server.port

    @property
    def scenarios(self) -> tuple[Scenario, ...]:
        return self._scenarios

    @property
    def function_names(self) -> list[str]:
        return [scenario.name for scenario in self._scenarios]

    @property
    def stats(self) -> GeneratorStats:
        if self._generator is None:
            raise RuntimeError("simulated account not started")
        return self._generator.stats

    @property
    def generator(self) -> Generator:
        if self._generator is None:
            raise RuntimeError("simulated account not started")
        return self._generator

    def environment(self) -> dict[str, str]:
        """Environment variables that point the AWS SDKs and CLI at this account."""
        return {
            "AWS_ENDPOINT_URL": self.endpoint_url,
            "AWS_REGION": self.region,
            "AWS_DEFAULT_REGION": self.region,
            "AWS_ACCESS_KEY_ID": self.access_key_id,
            "AWS_SECRET_ACCESS_KEY": self.secret_access_key,
        }

    def __enter__(self) -> SimulatedAccount:
        if self._server is None:
            self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
