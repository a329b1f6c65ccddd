"""A source account's function opened in the monitor by name (`lambdatop NAME@ACCOUNT`, one
context, no fleet of linked accounts): its shared log group read by ARN, its metrics in its
account, as `diagnose` and `tail` read it. Real aiobotocore over HTTP to moto holding both
accounts, the cross-account calls answered as AWS documents them (awslinked.py)."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from awscontexts import SOURCE_LINE, STAGING_ACCOUNT, WEST, WEST_LINE, seed
from awsfakes import until
from awslinked import CrossAccountDouble
from awsmoto import ACCOUNT, MotoAccount

from lambdatop.aws.monitor import Monitor
from lambdatop.aws.pollers.linked import NotShared, opened_name
from lambdatop.aws.session import Aws, AwsTarget
from lambdatop.core.fleet import linked_name
from lambdatop.core.store import Store

LINKED = linked_name("checkout", STAGING_ACCOUNT)


async def test_a_source_account_s_function_named_at_start_is_opened(
    moto: MotoAccount, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    staging_key = seed(moto, tmp_path, monkeypatch)
    aws = Aws(AwsTarget("prod", WEST, moto.url), buckets={}, max_attempts=1)
    await CrossAccountDouble(moto.url, WEST, ACCOUNT, {STAGING_ACCOUNT: staging_key}).install(aws)
    store = Store()
    monitor = Monitor(aws, store)
    try:
        monitor.start()
        monitor.set_focus(LINKED)
        state = store.function(LINKED)
        await until(lambda: bool(state.tail), what="the source account's log lines")
        assert [record.event.message for record in state.tail] == [SOURCE_LINE]
        assert state.config is not None
        assert state.config.from_log_group
        assert state.config.effective_log_group == (
            f"arn:aws:logs:{WEST}:{STAGING_ACCOUNT}:log-group:/aws/lambda/checkout"
        )
    finally:
        await monitor.stop()
        await aws.close()


async def test_the_monitor_opens_a_source_account_s_function_named_at_start(
    moto: MotoAccount, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`lambdatop checkout@ACCOUNT`: the app opens it, and its screen shows the source
    account's log line (read from its shared group, by ARN)."""
    from uitools import screen_text, wait_until

    from lambdatop.ui.app import LambdatopApp

    staging_key = seed(moto, tmp_path, monkeypatch)
    aws = Aws(AwsTarget("prod", WEST, moto.url), buckets={}, max_attempts=1)
    await CrossAccountDouble(moto.url, WEST, ACCOUNT, {STAGING_ACCOUNT: staging_key}).install(aws)
    store = Store()
    monitor = Monitor(aws, store)
    app = LambdatopApp(store, monitor, functions=[LINKED], refresh_s=0.5)
    try:
        async with app.run_test(size=(160, 40)) as pilot:
            await wait_until(pilot, lambda: SOURCE_LINE in screen_text(app))
            assert LINKED in screen_text(app)
            await pilot.press("q")
    finally:
        await aws.close()


@pytest.mark.parametrize(
    "function", [LINKED, f"arn:aws:lambda:{WEST}:{STAGING_ACCOUNT}:function:checkout"]
)
def test_the_command_takes_a_source_account_s_function_with_linked_accounts(
    moto: MotoAccount, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, function: str
) -> None:
    """With --linked-accounts, a FUNCTION that names its account is one function of the one
    context: not refused as ambiguous (here, with no terminal, the monitor says it needs one);
    a bare name still is."""
    seed(moto, tmp_path, monkeypatch)

    def run(name: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [
                *(sys.executable, "-m", "lambdatop", name, "--linked-accounts"),
                *("--profile", "prod", "--region", WEST, "--endpoint-url", moto.url),
            ],
            capture_output=True,
            text=True,
            timeout=120,
            env={**os.environ, "AWS_MAX_ATTEMPTS": "1"},
        )

    taken = run(function)
    assert (taken.returncode, taken.stderr) == (
        2,
        "lambdatop: the monitor needs a terminal; for scripts use `lambdatop diagnose` or `tail`\n",
    )
    refused = run("checkout")
    assert refused.returncode == 2
    assert "a FUNCTION may be in more than one account" in refused.stderr


async def test_a_named_account_is_opened_as_diagnose_reads_it(
    moto: MotoAccount, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`NAME@ACCOUNT` of the credentials' own account is its own function, by its bare name (no
    log group by ARN, no metrics with an AccountId); a linked source account's stays as it is;
    an account that is neither (or a function whose group is not shared) is one line."""
    staging_key = seed(moto, tmp_path, monkeypatch)
    aws = Aws(AwsTarget("prod", WEST, moto.url), buckets={}, max_attempts=1)
    await CrossAccountDouble(moto.url, WEST, ACCOUNT, {STAGING_ACCOUNT: staging_key}).install(aws)
    try:
        assert await opened_name(aws, linked_name("checkout", ACCOUNT)) == "checkout"
        assert await opened_name(aws, LINKED) == LINKED
        with pytest.raises(NotShared) as unlinked:
            await opened_name(aws, "checkout@999999999999")
        assert str(unlinked.value) == (
            "no log group of checkout@999999999999 is shared with these credentials"
            f" (arn:aws:logs:{WEST}:999999999999:log-group:/aws/lambda/checkout): account"
            " 999999999999 is neither theirs nor a source account linked to theirs, or checkout"
            " never logged"
        )
        with pytest.raises(NotShared, match="no log group of never-ran@"):
            await opened_name(aws, linked_name("never-ran", STAGING_ACCOUNT))
    finally:
        await aws.close()


def test_the_monitor_opens_its_own_account_s_function_named_with_its_account(
    moto: MotoAccount, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`lambdatop checkout@<own account>` in a terminal opens the account's own checkout, read
    whole: its configuration (1024 MB) and its own log line, under its bare name."""
    from ptyterm import drain, plain, read_until, spawn, wait

    seed(moto, tmp_path, monkeypatch)
    env = {k: v for k, v in os.environ.items() if not k.startswith("LAMBDATOP_")}
    env.update(XDG_CONFIG_HOME=str(tmp_path), TERM="xterm-256color", COLUMNS="160", LINES="40")
    named = linked_name("checkout", ACCOUNT)
    pid, fd = spawn([named, "--profile", "prod", "--region", WEST, "--endpoint-url", moto.url], env)
    deadline = time.monotonic() + 60
    try:
        drawn = read_until(fd, WEST_LINE.encode(), deadline)
        drawn = read_until(fd, b"1024", deadline, seen=drawn)
        os.write(fd, b"q")
        rest = drain(fd, deadline)
        assert named not in plain(drawn + rest)
        assert "source account" not in plain(drawn + rest)
        assert wait(pid, deadline) == 0
    finally:
        with contextlib.suppress(ProcessLookupError, ChildProcessError):
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        os.close(fd)
