"""An endpoint that accepts and never answers is said on screen while the requests wait, not a
minute later when their last attempt times out (issue 13). Real aiobotocore over HTTP to a
socket that never answers; the monitor's clock is fake, so the wait is told, never slept."""

from __future__ import annotations

import re

import pytest
from awsfakes import FakeClock, until
from hanging import ClosingEndpoint, HangingEndpoint

from lambdatop.aws.errors import describe
from lambdatop.aws.monitor import Monitor
from lambdatop.aws.session import Aws, AwsTarget
from lambdatop.core.sources import SAY_WAITING_AFTER_S
from lambdatop.core.store import Store


@pytest.fixture
def credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AWS_PROFILE", "AWS_MAX_ATTEMPTS", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent/aws-config")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/aws-credentials")


@pytest.mark.usefixtures("credentials")
async def test_a_request_that_hangs_is_said_on_the_banner_while_it_waits(
    hanging: HangingEndpoint,
) -> None:
    clock = FakeClock(1_800_000_000.0)
    store = Store(clock=clock)
    aws = Aws(AwsTarget(region="eu-west-1", endpoint_url=hanging.url), buckets={})
    monitor = Monitor(aws, store, clock=clock)
    monitor.start()
    monitor.set_focus("checkout")
    try:
        await until(lambda: hanging.accepted >= 3, what="the first requests on the wire")
        assert store.banner(clock()) is None, "a request just sent is no trouble yet"
        clock.advance(SAY_WAITING_AFTER_S - 1)
        assert store.banner(clock()) is None, "no alarm for a slow second"
        clock.advance(5)
        banner = store.banner(clock())
        assert banner is not None
        assert re.fullmatch(r"waiting 7 s on (lambda|logs|cloudwatch|xray) \(\w+\)", banner)
        # Nothing has failed yet: the wait is the only word, no source is marked failing.
        assert store.troubles() == []
    finally:
        await monitor.stop()
    assert store.banner(clock()) is None, "nothing waits once the requests are gone"


@pytest.mark.usefixtures("credentials")
async def test_a_closed_connection_is_one_line_naming_the_host_only() -> None:
    """The issue's case: botocore's sentence carried the URL's path and query over two lines."""
    endpoint = ClosingEndpoint()
    try:
        async with Aws(
            AwsTarget(region="eu-west-1", endpoint_url=endpoint.url), buckets={}, max_attempts=1
        ) as aws:
            with pytest.raises(Exception) as raised:  # noqa: PT011 - what botocore raises is the point
                await aws.call("logs", "FilterLogEvents", logGroupName="/aws/lambda/checkout")
    finally:
        endpoint.close()
    trouble = describe(raised.value, "logs")
    assert trouble.message == (
        f"logs: the AWS endpoint {endpoint.url} closed the connection before answering; retrying"
    )
