"""The headless commands while AWS hangs (issue 13: "a request that has not answered within a
few seconds is said on screen while it waits"): `lambdatop tail --follow` and `lambdatop
diagnose` through an endpoint that reads each request and answers nothing until the fault ends.
They say on stderr what they wait on, once a hang, in the monitor's banner's words (`waiting
4 s on logs (FilterLogEvents)`); the tail says when AWS answers again; stdout holds only what
scripts read."""

from __future__ import annotations

import json
import re
from pathlib import Path

from awsmoto import MotoAccount
from faultproxy import FaultProxy
from incident import FUNCTION, environment, exactly_once, reports, seed, ship
from running import Running

PATIENCE_S = 60.0
"""The bound on every wait (a loaded machine); a read timeout is 10 s."""
WAITING = re.compile(r"lambdatop: waiting \d+ s on (\w+) \((\w+)\): no answer yet")
TIMED_OUT = re.compile(
    r"lambdatop: the AWS endpoint http://127\.0\.0\.1:\d+ did not answer in time \(read timeout\)"
    r"; retrying in \d+ s"
)
ANSWERS_AGAIN = re.compile(r"lambdatop: AWS answers again, after \d+ s")


def _flags(proxy: FaultProxy) -> list[str]:
    return ["--endpoint-url", proxy.url, "--region", "us-east-1"]


def test_tail_says_once_what_it_waits_on_through_a_hang_and_when_aws_answers_again(
    moto: MotoAccount, proxy: FaultProxy, tmp_path: Path
) -> None:
    seed(moto)
    ship(moto, [0])
    # One attempt a read: the hang outlasts a read timeout and the retry after it.
    env = environment(tmp_path, {"AWS_MAX_ATTEMPTS": "1"})
    tail = Running(["tail", FUNCTION, "--follow", "--since", "5m", *_flags(proxy)], env)
    try:
        tail.wait_for(lambda: 0 in reports(tail.stdout()), PATIENCE_S, "the first line")
        proxy.start("hang")
        tail.wait_for(
            lambda: any(WAITING.fullmatch(line) for line in tail.stderr()),
            PATIENCE_S,
            "the tail to say what it waits on",
        )
        # A read timed out and the read after it hung as long: the same hang, said once.
        tail.wait_for(
            lambda: sum(bool(TIMED_OUT.fullmatch(line)) for line in tail.stderr()) >= 2,
            PATIENCE_S,
            "two read timeouts",
        )
        ship(moto, [1])  # written while AWS hangs, read once it answers
        proxy.end()
        tail.wait_for(
            lambda: (
                1 in reports(tail.stdout()) and bool(ANSWERS_AGAIN.fullmatch(tail.stderr()[-1]))
            ),
            PATIENCE_S,
            "the tail to say AWS answers again",
        )
        assert tail.interrupt() == 0
    finally:
        tail.kill()
    said = tail.stderr()
    waited = [line for line in said if WAITING.fullmatch(line)]
    assert len(waited) == 1, said
    assert " on logs (" in waited[0], waited
    kinds = (WAITING, TIMED_OUT, ANSWERS_AGAIN)
    assert all(any(kind.fullmatch(line) for kind in kinds) for line in said), said
    assert TIMED_OUT.fullmatch(said[1]), "said while it waited, before the read timed out"
    assert exactly_once(reports(tail.stdout()), [0, 1]) is None, tail.stdout()
    assert all("lambdatop" not in line for line in tail.stdout()), "stdout is the log's only"


def test_diagnose_says_what_it_waits_on_and_reports_once_aws_answers(
    moto: MotoAccount, proxy: FaultProxy, tmp_path: Path
) -> None:
    seed(moto)
    ship(moto, [0])
    proxy.start("hang")
    diagnose = Running(
        ["diagnose", FUNCTION, "--format", "json", *_flags(proxy)], environment(tmp_path)
    )
    try:
        diagnose.wait_for(
            lambda: any(WAITING.fullmatch(line) for line in diagnose.stderr()),
            PATIENCE_S,
            "diagnose to say what it waits on",
        )
        proxy.end()
        code = diagnose.finish(PATIENCE_S)
    finally:
        diagnose.kill()
    said = diagnose.stderr()
    assert code in (0, 1), said
    waited = [line for line in said if WAITING.fullmatch(line)]
    assert len(waited) == 1, said
    assert " on lambda (GetFunctionConfiguration)" in waited[0], "its first read"
    assert all(line in waited or line.startswith("lambdatop: note: ") for line in said), said
    assert json.loads("\n".join(diagnose.stdout()))["summary"]["timeout_s"] == 30
