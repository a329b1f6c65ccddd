"""The account every cell of the fault matrix watches, and the numbered invocations it logs: each
invocation's request id carries its sequence number, so a reader can count every REPORT line it
was handed and say which came twice and which never came."""

from __future__ import annotations

import os
import re
import sys
import time
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

import awsseed
from awsmoto import MotoAccount

FUNCTION = "checkout"
GROUP = f"/aws/lambda/{FUNCTION}"
LAMBDATOP = [sys.executable, "-m", "lambdatop"]
SEQUENCE = re.compile(r"REPORT RequestId: 00000000-0000-4000-a000-(\d{12})")
WAITED = re.compile(
    r"lambdatop: (waiting \d+ s on \w+ \(\w+\): no answer yet|AWS answers again, after \d+ s)"
)
"""What a command says of a request that took a few seconds (lambdatop/commands/waiting.py)."""


def request_id(seq: int) -> str:
    return f"00000000-0000-4000-a000-{seq:012d}"


def seed(moto: MotoAccount) -> None:
    """The function, a second one in the fleet, and a few minutes of metrics."""
    awsseed.function(moto, FUNCTION, timeout_s=30)
    awsseed.function(moto, "billing")
    awsseed.seed_lambda_series(moto, FUNCTION)


def stream(label: str) -> str:
    """A stream name as Lambda writes them, one per label (an execution environment)."""
    day = time.strftime("%Y/%m/%d", time.gmtime())
    return f"{day}/[$LATEST]{label.encode().hex():0<32.32}"


def ship(moto: MotoAccount, seqs: Iterable[int], label: str = "first") -> None:
    """Invocations `seqs`, just finished, into one stream: START, a line, END, REPORT each."""
    now_ms = int(time.time() * 1000)
    lines: list[tuple[int, str]] = []
    for offset, seq in enumerate(seqs):
        at = now_ms - 50 + offset
        rid = request_id(seq)
        lines += [
            (at, f"START RequestId: {rid} Version: $LATEST"),
            (at, f"order {seq} paid request {rid}"),
            (at, f"END RequestId: {rid}"),
            (
                at,
                f"REPORT RequestId: {rid}\tDuration: 12.00 ms\tBilled Duration: 13 ms\t"
                "Memory Size: 128 MB\tMax Memory Used: 70 MB\t",
            ),
        ]
    awsseed.log_events(moto, GROUP, stream(label), lines)


def reports(lines: Iterable[str]) -> Counter[int]:
    """How many times each invocation's REPORT line was seen."""
    return Counter(int(m.group(1)) for line in lines for m in SEQUENCE.finditer(line))


def exactly_once(seen: Counter[int], expected: Iterable[int]) -> str | None:
    """What is wrong with the count, in words; None when every invocation came once."""
    wanted = set(expected)
    missing = sorted(wanted - set(seen))
    doubled = sorted(seq for seq, n in seen.items() if n > 1)
    unexpected = sorted(set(seen) - wanted)
    if missing or doubled or unexpected:
        return f"missing {missing}, doubled {doubled}, unexpected {unexpected}"
    return None


def environment(tmp: Path, endpoint_env: dict[str, str] | None = None) -> dict[str, str]:
    """A `lambdatop` subprocess's environment: the test's keys, nothing of the user's AWS set-up
    or lambdatop configuration, the SDK's own retry settings (no AWS_MAX_ATTEMPTS)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "LAMBDATOP_"))}
    env.update(
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_CONFIG_FILE=str(tmp / "no-aws-config"),
        AWS_SHARED_CREDENTIALS_FILE=str(tmp / "no-aws-credentials"),
        XDG_CONFIG_HOME=str(tmp / "xdg"),
        NO_COLOR="1",
    )
    env.update(endpoint_env or {})
    return env


class Shipper:
    """A busy function: an invocation finished every `every_s` seconds, numbered from 1, into
    the stream `label` names (a new label, a new execution environment's stream), until
    stopped. `shipped` is every number written."""

    def __init__(self, moto: MotoAccount, every_s: float = 0.25) -> None:
        import threading

        self.moto = moto
        self.every_s = every_s
        self.label = "first"
        self.shipped: list[int] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> Shipper:
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.wait(self.every_s):  # the function's own pace, not a test's wait
            seq = len(self.shipped) + 1
            ship(self.moto, [seq], self.label)
            self.shipped.append(seq)

    def mark(self) -> int:
        """The number of the last invocation written so far."""
        return len(self.shipped)

    def stop(self) -> None:
        self._stop.set()
        if self._thread.ident is not None:
            self._thread.join()
