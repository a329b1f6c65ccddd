"""The monitor through an incident's worst hour: the TUI headless through Pilot (an opened
function, the fleet behind it) with `lambdatop diagnose` and `lambdatop tail --follow` running
beside it as real subprocesses, all against the test double that behaves as AWS documents,
through a fault-injecting endpoint (faultproxy.py). One cell a fault; in each, what a user would
notice:

- no traceback anywhere: the app did not crash, none on screen, none on any command's stderr;
- while the fault lasts, the banner names the trouble and when it is retried, on both screens,
  and the panes' ages are true (they keep growing from the last answer, not from the last try);
  a request left unanswered is said while it waits;
- the banner clears and the data flows again within two refresh intervals of the retry the
  banner announced (the source answering again), and the ages are small again;
- every invocation's REPORT line lands exactly once in the log pane and in `tail`'s output,
  across the fault;
- `diagnose` run during the fault gives a complete report, or exit 2 and one clear line naming
  the trouble.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from pathlib import Path

import pytest
from awsdouble import AwsDouble
from awsfakes import until
from awsmoto import MotoAccount
from faultproxy import FaultProxy
from incident import (
    FUNCTION,
    WAITED,
    Shipper,
    environment,
    exactly_once,
    reports,
    seed,
    ship,
)
from insightsdouble import InsightsDouble
from matrix import FAULTS, IDS, Fault, expiring_credentials
from running import Running
from textual.app import App
from uitools import screen_text

from lambdatop.aws.monitor import Monitor
from lambdatop.aws.pacing import make_buckets
from lambdatop.aws.session import Aws, AwsTarget
from lambdatop.core.store import Store

REFRESH_S = 0.5
CREDENTIAL_PROCESSES_S = 10.0
"""In the credentials cell every request starts a credential_process (a Python process: up to
a second on a loaded machine; botocore renews sets that expire within ten minutes at each use),
and reading the function list is several requests."""
PATIENCE_S = 60.0
"""The bound on every wait (a loaded CI machine); what is timed is asserted on its own."""
SLACK_S = 1.5
"""Frames and the event loop's turns, on a loaded 2-core machine."""
SDK_ATTEMPTS_S = 5.0
"""A try's three attempts: botocore's standard mode sleeps up to 2 s, then 4 s, between them
("exponential backoff with a base of 2 ... full jitter", the AWS SDKs' retry behavior), and an
attempt that began while the endpoint was down still has to run out."""


def banner_on(app: App[int]) -> str | None:
    found = re.search(r"⚠ (.*)", screen_text(app))
    return found.group(1).strip() if found else None


def data_age_s(app: App[int]) -> int | None:
    """The incident view's `data N s old` (or minutes), in seconds."""
    found = re.search(r"data (\d+) (s|min)\b", screen_text(app))
    if found is None:
        return None
    return int(found.group(1)) * (60 if found.group(2) == "min" else 1)


def fleet_metrics_age_s(app: App[int]) -> int | None:
    """The fleet's `metrics N s old` (`, failing` after it while its reads fail)."""
    found = re.search(r"metrics (\d+) s old", screen_text(app))
    return int(found.group(1)) if found else None


def log_title(app: App[int]) -> str:
    from lambdatop.ui.widgets.log_view import LogView

    return str(app.screen.query_one(LogView).border_title)


def log_age_s(app: App[int]) -> int | None:
    found = re.search(r"· (\d+) s old$", log_title(app))
    return int(found.group(1)) if found else None


def logged(store: Store) -> list[str]:
    return [record.event.message for record in store.function(FUNCTION).tail]


@pytest.mark.parametrize("fault", FAULTS, ids=IDS)
async def test_the_monitor_the_tail_and_diagnose_through_the_fault(
    fault: Fault,
    moto: MotoAccount,
    proxy: FaultProxy,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from lambdatop.ui.app import LambdatopApp

    seed(moto)
    ship(moto, [0])
    credentials = None
    profile = None
    extra: dict[str, str] = {}
    if fault.name == "credentials":
        credentials = expiring_credentials(tmp_path)
        proxy.credentials = credentials
        profile = "double"
        extra = {"AWS_CONFIG_FILE": str(credentials.config), "AWS_PROFILE": profile}
        monkeypatch.setenv("AWS_CONFIG_FILE", str(credentials.config))
        monkeypatch.delenv("AWS_ACCESS_KEY_ID")
        monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    env = environment(tmp_path, extra)
    if credentials is not None:
        del env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"]
    aws_flags = ["--endpoint-url", proxy.url, "--region", "us-east-1"]

    aws = Aws(
        AwsTarget(region="us-east-1", endpoint_url=proxy.url, profile=profile),
        buckets=make_buckets(),
    )
    double = AwsDouble(time.time)
    await double.install(aws)
    # The fleet's log scan asks Insights for `stats`, which moto ignores (and refuses for the
    # fleet's query): the Insights double answers it as AWS documents, beside the faults.
    await InsightsDouble().install(aws)
    # DescribeLogStreams goes to the endpoint, whose metadata is the one that goes stale.
    (await aws.client("logs")).meta.events.unregister(
        "before-call.cloudwatch-logs.DescribeLogStreams", double.streams
    )
    store = Store()
    monitor = Monitor(aws, store)
    app = LambdatopApp(store, monitor, functions=[FUNCTION], refresh_s=REFRESH_S)
    shipper = Shipper(moto)
    tail = Running(["tail", FUNCTION, "--follow", "--since", "5m", *aws_flags], env)
    diagnose: Running | None = None
    try:
        async with app.run_test(size=(160, 45)) as pilot:
            await until(
                lambda: (
                    "REPORT" in screen_text(app)
                    and data_age_s(app) is not None  # its first reads ended (a loaded machine)
                    and FUNCTION in store.inventory
                    and 0 in reports(tail.stdout())
                    and banner_on(app) is None
                ),
                within=PATIENCE_S,
                what="the monitor and the tail reading, no banner",
            )
            shipper.start()
            fault.start(proxy, credentials)
            if fault.name == "stale":
                shipper.label = "during"  # a stream the stale metadata does not know yet
            diagnose = Running(["diagnose", FUNCTION, "--format", "json", *aws_flags], env)

            if fault.said is not None:
                # The source is named, unless the trouble cuts off every read (network, keys).
                named = "" if fault.name in ("down", "reset", "credentials") else "[a-z ]+: "
                said = re.compile(rf"{named}{fault.said}[;,] retrying (in \d+ s|now)")
                await until(
                    lambda: said.match(banner_on(app) or "") is not None,
                    within=PATIENCE_S,
                    what=f"the banner to say {fault.said!r}",
                )
                # The ages are true: nothing read since the endpoint's last answer (a request
                # already on the wire when the fault began may still have been answered).
                age = data_age_s(app)
                assert age is not None, screen_text(app)
                assert age >= int(time.time() - proxy.last_answered_s) - 1, screen_text(app)
                # The fleet behind says it too, its metrics' age as true.
                await pilot.press("escape")
                await until(
                    lambda: (
                        said.match(banner_on(app) or "") is not None
                        and fleet_metrics_age_s(app) is not None
                    ),
                    within=PATIENCE_S,
                    what="the fleet's banner",
                )
                age = fleet_metrics_age_s(app)
                assert age is not None
                assert age >= int(time.time() - proxy.last_answered_s) - 1 - REFRESH_S, age
                # `diagnose` meets the fault: exit 2, one clear line.
                await asyncio.to_thread(diagnose.finish, PATIENCE_S)
                assert diagnose.process.returncode == 2, diagnose.stdout()
                # (and what waited a few seconds, on a loaded machine)
                said_once = [line for line in diagnose.stderr() if not WAITED.fullmatch(line)]
                assert len(said_once) == 1, diagnose.stderr()
                # Said as final: nothing retries once it has exited.
                final = fault.said.removesuffix("; slowing down")
                # The account's trouble (keys, network) alone, as the banner says it.
                source = "" if fault.name in ("down", "reset", "credentials") else ".*"
                assert re.fullmatch(rf"lambdatop: {source}{final}", said_once[0]), said_once
            elif fault.name == "hang":
                await until(
                    lambda: (
                        re.search(r"waiting \d+ s on \w+ \(\w+\)", banner_on(app) or "") is not None
                    ),
                    within=PATIENCE_S,
                    what="the banner to say what waits",
                )
                await pilot.press("escape")
            else:  # late answers, stale metadata: the data still comes, nothing is wrong
                during = shipper.mark() + 2
                await until(
                    lambda: during in reports(logged(store)) and during in reports(tail.stdout()),
                    within=PATIENCE_S,
                    what="the lines shipped during the fault",
                )
                assert banner_on(app) is None
                await asyncio.to_thread(diagnose.finish, PATIENCE_S)
                await pilot.press("escape")

            fault.end(proxy, credentials)
            ended = time.time()
            after = shipper.mark() + 1
            announced = ended

            troubled = store.troubles()

            def recovered() -> bool:
                nonlocal announced
                for health in store.troubles():
                    # A retry announced by a try made before the fault ended.
                    if health.next_retry_s is not None and (health.last_attempt_s or 0) <= ended:
                        announced = max(announced, health.next_retry_s)
                return banner_on(app) is None and "failing" not in screen_text(app)

            await until(recovered, within=PATIENCE_S, what="the fleet's banner to clear")
            cleared = time.time()
            answered = max([h.last_ok_s or ended for h in troubled] + [ended])
            # Each source was tried again when the banner said (its SDK's own attempts, whose
            # backoff the banner cannot know, on top; after throttling, lambdatop's own slower
            # pace for a couple of calls) ...
            paced = max(1 / bucket.rate for bucket in aws.buckets.values())
            allowed = SDK_ATTEMPTS_S + (2 * paced if fault.name == "throttle" else 0)
            if fault.name == "credentials":
                allowed += CREDENTIAL_PROCESSES_S
            assert answered - announced <= allowed, (answered - ended, announced - ended, paced)
            # ... and the banner cleared within two refreshes of the last one answering.
            assert cleared - answered <= 2 * REFRESH_S + SLACK_S, (
                cleared - ended,
                answered - ended,
            )
            if fault.name == "hang":  # what it held was answered when it came back
                await asyncio.to_thread(diagnose.finish, PATIENCE_S)
            app.open_function(FUNCTION)
            await until(
                lambda: after in reports(logged(store)) and banner_on(app) is None,
                within=PATIENCE_S,
                what="the lines after the fault in the opened function",
            )
            # The log pane's age is its last answer's, after the fault (not the fault's length)
            # by the next refresh of the view shown again.
            await until(
                lambda: (log_age_s(app) or 10**6) <= time.time() - ended,
                within=2 * REFRESH_S + SLACK_S,
                what="the log pane's age to be its last answer's",
            )
            shipper.stop()
            last = shipper.mark()
            await until(
                lambda: last in reports(logged(store)) and last in reports(tail.stdout()),
                within=PATIENCE_S,
                what="the last line in the pane and the tail",
            )
            assert "Traceback" not in screen_text(app)
        assert app.crash is None, app.crash
        assert await asyncio.to_thread(tail.interrupt) == 0
    finally:
        shipper.stop()
        tail.kill()
        if diagnose is not None:
            diagnose.kill()
        await monitor.stop()
    expected = [0, *shipper.shipped]
    problem = exactly_once(reports(logged(store)), expected)
    assert problem is None, f"the log pane: {problem}"
    problem = exactly_once(reports(tail.stdout()), expected)
    assert problem is None, f"tail: {problem}"
    assert not any("Traceback" in line for line in tail.stderr()), tail.stderr()
    assert diagnose is not None
    if fault.said is None:
        assert diagnose.finish(PATIENCE_S) in (0, 1), diagnose.stderr()
        report = json.loads("\n".join(diagnose.stdout()))
        assert report["summary"]["timeout_s"] == 30
        assert report["summary"]["invocations"] >= 1
        # moto has no percentiles (the double answers them in-process only): a note, no more;
        # and, if a request it sent hung for a few seconds, what it waited on.
        assert all(
            line.startswith("lambdatop: note: ") or WAITED.fullmatch(line)
            for line in diagnose.stderr()
        ), diagnose.stderr()
    else:
        # As the banner names it: the source, unless it is the account's trouble (keys, network).
        named = "" if fault.name in ("down", "reset", "credentials") else "CloudWatch Logs: "
        for line in tail.stderr():
            # One clear line each: the source, the trouble's words, when it is retried (and
            # what it waited on, a request that took a few seconds on a loaded machine).
            assert re.fullmatch(
                rf"lambdatop: {named}{fault.said}[;,] retrying in \d+ s", line
            ) or WAITED.fullmatch(line), line
    if credentials is not None:
        assert credentials.rejected == 0, "a request signed with an expired set"
        assert len(set(credentials.keys_used)) >= 2, "the sets were renewed"
