"""Shared test set-up: the Lambda log factory (tests/diagnose/lambdalogs.py) and the terminal
helpers (tests/ptyterm.py) are importable from every test folder, whatever pytest's import mode;
and an endpoint that hangs, for the UI's signal tests and the monitor's waiting tests."""

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent / "diagnose"))
sys.path.append(str(Path(__file__).parent))  # tests/ptyterm.py, tests/hanging.py

from hanging import HangingEndpoint


@pytest.fixture
def hanging() -> Iterator[HangingEndpoint]:
    endpoint = HangingEndpoint()
    try:
        yield endpoint
    finally:
        endpoint.close()


@pytest.fixture
def hanging_endpoint(hanging: HangingEndpoint) -> str:
    """The URL of an endpoint that accepts every connection and never answers."""
    return hanging.url
