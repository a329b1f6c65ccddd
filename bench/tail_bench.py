"""`make bench` line for the log tail: the issue's busy group through tests/aws/tailsim.py, with
DescribeLogStreams fresh (as moto answers) and as AWS documents it, 90 s and 10 min stale
(tests/aws/awsdouble.py). Rerun alone: `.venv/bin/python -m bench.tail_bench`.

The group: about 500 events a second over 12 streams, three of them shipping 4-14 s late, four
appearing while the tail runs, six batches overtaken within their stream, 150 older streams; 120
seconds written, a poll a second, time a fake clock (moto stamps ingestion with it too).
"""

from __future__ import annotations

import asyncio
import logging
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "aws"))

SCENARIOS: list[tuple[str, float | None]] = [
    ("fresh metadata", None),
    ("metadata 90 s stale", 90.0),
    ("metadata 10 min stale", 600.0),
]


async def run_one(url: str, stale_s: float | None, seed: int = 20) -> Any:
    from awsfakes import FakeClock
    from awsmoto import MotoAccount
    from tailsim import GROUP, Simulation, patch_moto_clock

    from lambdatop.aws.pollers.logs import LogTail
    from lambdatop.aws.session import Aws

    class Patch:
        def __init__(self) -> None:
            self.undo: list[tuple[Any, str, Any]] = []

        def setattr(self, target: Any, name: str, value: Any) -> None:
            self.undo.append((target, name, getattr(target, name)))
            setattr(target, name, value)

        def restore(self) -> None:
            for target, name, value in reversed(self.undo):
                setattr(target, name, value)

    moto = MotoAccount(url)
    moto.reset()
    clock = FakeClock(float(int(time.time())))
    patch = Patch()
    patch_moto_clock(clock, patch)
    try:
        async with Aws(moto.target(), buckets={}, max_attempts=1) as aws:
            simulation = Simulation(
                moto,
                aws,
                clock,
                write_s=120,
                late_s=(4.0, 14.0),
                outage=(0, 0),
                older_streams=150,
                stale_s=stale_s,
                seed=seed,
            )
            simulation.create()
            tail = LogTail(aws, GROUP, simulation.tail_start_ms, clock=clock)
            return await simulation.run(tail, max_ticks=400)
    finally:
        patch.restore()


def main() -> None:
    import os

    from moto.server import ThreadedMotoServer

    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ENDPOINT_URL", "AWS_SESSION_TOKEN"):
        os.environ.pop(name, None)
    os.environ.update(
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_DEFAULT_REGION="us-east-1",
        AWS_CONFIG_FILE="/nonexistent/aws-config",
        AWS_SHARED_CREDENTIALS_FILE="/nonexistent/aws-credentials",
    )
    logging.getLogger("werkzeug").disabled = True
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        print(
            "log tail, 500 events/s over 12 streams (3 shipping 4-14 s late, 4 appearing), "
            "150 older streams, 120 s, a poll a second:"
        )
        for label, stale_s in SCENARIOS:
            figures = asyncio.run(run_one(f"http://{host}:{port}", stale_s))
            print(f"  {label:<22} {figures.line()}")
    finally:
        server.stop()


if __name__ == "__main__":
    main()
