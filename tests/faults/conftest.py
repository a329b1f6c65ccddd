"""The fault matrix's set-up: moto (as tests/aws has it), the test double's modules and the UI's
screen helpers importable, and a fault-injecting endpoint in front of moto for each test."""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

TESTS = Path(__file__).parent.parent
sys.path.insert(0, str(TESTS / "aws"))  # awsdouble, awsfakes, awsmoto, awsseed
sys.path.insert(0, str(TESTS / "ui"))  # uitools
sys.path.insert(0, str(TESTS / "insights"))  # insightsdouble: moto's Insights ignores `stats`

from awsmoto import MotoAccount  # noqa: E402 - after the path above
from faultproxy import FaultProxy  # noqa: E402
from moto.server import ThreadedMotoServer  # noqa: E402


@pytest.fixture(scope="session")
def moto_server() -> Iterator[str]:
    """This worker's moto server (tests/aws/conftest.py has its own: moto's backends are one
    per process, and both reset it before a test)."""
    logging.getLogger("werkzeug").disabled = True
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@pytest.fixture
def moto(moto_server: str, monkeypatch: pytest.MonkeyPatch) -> MotoAccount:
    for name in list(__import__("os").environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent/aws-config")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/aws-credentials")
    account = MotoAccount(moto_server)
    account.reset()
    return account


@pytest.fixture
def proxy(moto: MotoAccount) -> Iterator[FaultProxy]:
    endpoint = FaultProxy(moto.url)
    try:
        yield endpoint
    finally:
        endpoint.close()
