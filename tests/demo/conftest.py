"""Fixtures for the simulated account's tests: a fresh account per test (moto state is
process-wide and other test modules on the same worker reset it between their tests)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config

from lambdatop.demo.simulated_account import SimulatedAccount

FAST_SPEED = 30.0
"""A 40-second incident cycle: a short backfill then holds many full cycles."""
SHORT_BACKFILL = 8 * 60.0


@pytest.fixture
def account() -> Iterator[SimulatedAccount]:
    simulated = SimulatedAccount()
    simulated.start(port=0, speed=FAST_SPEED, backfill_seconds=SHORT_BACKFILL, seed=11)
    try:
        assert simulated.wait_until_backfilled(timeout=60)
        yield simulated
    finally:
        simulated.stop()


@pytest.fixture
def aws(account: SimulatedAccount) -> Any:
    """`aws("logs")` → a boto3 client on the simulated account, with retries off."""

    def make(service: str) -> Any:
        return boto3.client(
            service,
            endpoint_url=account.endpoint_url,
            region_name=account.region,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            config=Config(retries={"max_attempts": 1}),
        )

    return make
