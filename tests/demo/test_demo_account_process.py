"""The simulated account in a process of its own (`lambdatop --demo`): it says its endpoint,
then that it is ready, with every function in it; it says why in one line when it cannot start;
and it never outlives the monitor, however the monitor went."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from collections.abc import Iterator

import boto3
import pytest

from lambdatop.demo.account_process import AccountFailed, AccountProcess
from lambdatop.demo.scenarios import REGION, SCENARIOS


@pytest.fixture
def process() -> Iterator[AccountProcess]:
    account = AccountProcess()
    account.start()
    try:
        yield account
    finally:
        account.stop()


def test_once_ready_the_account_holds_every_function(process: AccountProcess) -> None:
    endpoint = process.endpoint()
    process.wait_ready()
    lam = boto3.client(
        "lambda",
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    listed = {f["FunctionName"] for f in lam.list_functions()["Functions"]}
    assert listed == {scenario.name for scenario in SCENARIOS}


def test_a_port_in_use_is_said_in_one_line() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        account = AccountProcess(port=port)
        account.start()
        try:
            with pytest.raises(AccountFailed) as failed:
                account.wait_ready()
        finally:
            account.stop()
    assert str(failed.value) == f"cannot start the simulated account: port {port} is in use"


def test_the_account_ends_when_its_monitor_is_gone() -> None:
    """The monitor's end of the pipe closes (as when it is killed): the account's process
    ends by itself, its port closed."""
    child = subprocess.Popen(
        [sys.executable, "-m", "lambdatop.demo.account_process"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    )
    try:
        assert child.stdin is not None
        assert child.stdout is not None
        endpoint = json.loads(child.stdout.readline())["endpoint"]
        child.stdin.close()
        assert child.wait(timeout=60) == 0
    finally:
        child.kill()
        child.wait()
    port = int(endpoint.rsplit(":", 1)[1])
    with pytest.raises(ConnectionRefusedError), socket.create_connection(("127.0.0.1", port)):
        pass
