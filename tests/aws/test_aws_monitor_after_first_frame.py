"""The monitor's backend as `lambdatop` gives it to the app (commands/backend.py): the AWS monitor
connects in a thread once the first frame is up; what the app asked meanwhile (start, open a
function, a window) is done once it has, and AWS's configuration errors are kept for the command
to say, never raised into the app."""

from __future__ import annotations

import time

import awsseed
from awsfakes import until
from awsmoto import MotoAccount

from lambdatop.aws.session import Aws, AwsTarget
from lambdatop.commands.backend import MonitorAfterFirstFrame
from lambdatop.core.store import Store


async def test_what_the_app_asked_before_aws_was_connected_is_done_after(
    moto: MotoAccount,
) -> None:
    awsseed.function(moto, "checkout")
    now_ms = int(time.time() * 1000)
    awsseed.log_events(
        moto, "/aws/lambda/checkout", "2026/12/07/[$LATEST]0a", [(now_ms - 60_000, "hello")]
    )
    store = Store()
    backend = MonitorAfterFirstFrame(store, lambda: Aws(moto.target(), buckets={}))
    backend.set_window(900.0)
    backend.start()
    backend.set_focus("checkout")
    assert backend.monitor is None  # nothing of AWS before the event loop turns
    try:
        await until(
            lambda: "checkout" in store.inventory and store.function("checkout").tail_total == 1,
            what="the function list and the opened function's log",
        )
        assert backend.monitor is not None
        assert backend.monitor.window_s == 900.0
        assert backend.monitor.focus == "checkout"
        assert backend.error is None
    finally:
        await backend.stop()


async def test_a_profile_that_does_not_exist_is_kept_for_the_command_to_say(
    moto: MotoAccount,
) -> None:
    backend = MonitorAfterFirstFrame(
        Store(), lambda: Aws(AwsTarget(profile="doesnotexist", region="us-east-1"))
    )
    backend.start()
    backend.set_focus("checkout")
    await until(lambda: backend.error is not None, what="the configuration error")
    assert "doesnotexist" in str(backend.error)
    assert backend.monitor is None
    await backend.stop()
