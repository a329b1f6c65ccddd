"""moto in server mode for the aws tests: one server per test process (pytest-xdist workers each
start their own on a free port), reset before every test that uses it.

`moto` gives a test fake credentials and region in its environment, a clean account, and boto3
clients to seed it; `aws` gives the lambdatop `Aws` under test, pointed at the server, with one
attempt per call (moto answers 500 for what it lacks, and retries would only slow the tests) and
no pacing (tests that check pacing build their own buckets).
"""

from __future__ import annotations

import logging
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from awsmoto import REGION, MotoAccount
from moto.server import ThreadedMotoServer

from lambdatop.aws.session import Aws

# The screen helpers of the UI tests, for the TUI run against the double (test_aws_double.py).
sys.path.insert(0, str(Path(__file__).parent.parent / "ui"))


@pytest.fixture(scope="session")
def moto_server() -> Iterator[str]:
    """The endpoint URL of this process's moto server."""
    # moto logs every request, and every 500 it answers for what it lacks, with a traceback.
    logging.getLogger("werkzeug").disabled = True
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


AWS_VARIABLES = (
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_REGION",
    "AWS_ENDPOINT_URL",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_ROLE_ARN",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_MAX_ATTEMPTS",
    "AWS_RETRY_MODE",
)


@pytest.fixture
def moto(moto_server: str, monkeypatch: pytest.MonkeyPatch) -> MotoAccount:
    for name in AWS_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent/aws-config")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/aws-credentials")
    account = MotoAccount(moto_server)
    account.reset()
    return account


@pytest.fixture
async def aws(moto: MotoAccount) -> AsyncIterator[Aws]:
    client = Aws(moto.target(), buckets={}, max_attempts=1)
    try:
        yield client
    finally:
        await client.close()
