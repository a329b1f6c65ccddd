"""`lambdatop diagnose` whose credentials expire while it runs: the function's configuration is
read, then the SSO session expires while its log read is on the wire (held by the endpoint), and
the next request cannot be signed. The run ends with the account's trouble in one line, as the
monitor's banner and `tail` say it, not with the name of the source that happened to meet it."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from awsfakes import until
from awsmoto import MotoAccount
from faultproxy import FaultProxy
from incident import FUNCTION, WAITED, environment, seed, ship
from matrix import expiring_credentials
from running import Running

from lambdatop.exit_codes import EXIT_USAGE

PATIENCE_S = 60.0
EXPIRED = (
    "lambdatop: Error when retrieving credentials from custom-process: "
    "The SSO session has expired. Run aws sso login"
)


async def test_credentials_expiring_mid_diagnose_are_said_alone_in_one_line(
    moto: MotoAccount, proxy: FaultProxy, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed(moto)
    ship(moto, [0])
    credentials = expiring_credentials(tmp_path)
    proxy.credentials = credentials
    env = environment(
        tmp_path, {"AWS_CONFIG_FILE": str(credentials.config), "AWS_PROFILE": "double"}
    )
    del env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"]
    proxy.start("hang", only={"logs"})  # Lambda answers; the log read waits at the endpoint
    diagnose = Running(
        ["diagnose", FUNCTION, "--endpoint-url", proxy.url, "--region", "us-east-1"], env
    )
    try:
        await until(lambda: proxy.held() >= 1, within=PATIENCE_S, what="the log read on the wire")
        assert any(service == "lambda" for _, service, _ in proxy.arrivals), proxy.arrivals
        credentials.sign_out()  # the SSO session expires: the next set cannot be had
        proxy.end()  # the held read is answered (its set still valid); the next cannot be signed
        code = await asyncio.to_thread(diagnose.finish, PATIENCE_S)
    finally:
        proxy.end()
        diagnose.kill()
    assert code == EXIT_USAGE, diagnose.stdout()
    # One line for the trouble (and what waited a few seconds, on a loaded machine).
    said = [line for line in diagnose.stderr() if not WAITED.fullmatch(line)]
    assert said == [EXPIRED], diagnose.stderr()
    assert credentials.rejected == 0, "a request signed with an expired set"
