"""Measure what the simulated account costs to keep running: generator CPU and server memory.

Two ways:

- `real`: run the account as `lambdatop demo` does for N wall-clock minutes and sample the
  generator thread's CPU time and the process RSS (moto runs in this process, so the process
  RSS is the server's).
- `accelerated`: replay H hours of wall-clock time as fast as possible, with the generator's
  clock starting H hours in the past and stepped one second per tick, so retention and pruning
  reach their steady state in minutes. The CPU per simulated hour is the CPU share at speed 1.

    python -m lambdatop.demo.soak real --minutes 5
    python -m lambdatop.demo.soak accelerated --hours 1.5
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass
from typing import TextIO

from lambdatop.demo.account import create_account
from lambdatop.demo.generator import Generator, GeneratorSettings
from lambdatop.demo.scenarios import SCENARIOS
from lambdatop.demo.server import MotoServer, reset_moto
from lambdatop.demo.simulated_account import SimulatedAccount


def rss_mb() -> float:
    """Resident set size of this process, in MB (Linux /proc)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return float("nan")


@dataclass(frozen=True, slots=True)
class SoakSample:
    wall_seconds: float
    """Elapsed (simulated, for `accelerated`) wall-clock seconds since the start."""
    generator_cpu_seconds: float
    process_cpu_seconds: float
    rss_mb: float
    log_streams: int
    events_written: int


def _sample(generator: Generator, elapsed: float, cpu: float) -> SoakSample:
    return SoakSample(
        wall_seconds=elapsed,
        generator_cpu_seconds=cpu,
        process_cpu_seconds=time.process_time(),
        rss_mb=rss_mb(),
        log_streams=len(generator.publisher.stream_last_event),
        events_written=generator.publisher.events_written,
    )


def soak_real(minutes: float, speed: float, out: TextIO, every: float = 60.0) -> list[SoakSample]:
    """Run the account in real time; one sample per `every` seconds after the backfill."""
    samples: list[SoakSample] = []
    account = SimulatedAccount()
    account.start(speed=speed)
    with account:
        account.wait_until_backfilled(timeout=None)
        generator = account.generator
        base_cpu = generator.stats.cpu_seconds
        began = time.monotonic()
        print(
            f"backfill took {generator.stats.backfill_seconds:.1f} s; rss {rss_mb():.0f} MB",
            file=out,
        )
        deadline = began + minutes * 60.0
        while time.monotonic() < deadline:
            time.sleep(min(every, max(0.0, deadline - time.monotonic())))
            elapsed = time.monotonic() - began
            sample = _sample(generator, elapsed, generator.stats.cpu_seconds - base_cpu)
            samples.append(sample)
            _print(sample, out)
    return samples


def soak_accelerated(hours: float, speed: float, out: TextIO) -> list[SoakSample]:
    """Replay `hours` of wall-clock time through the generator as fast as it goes."""
    samples: list[SoakSample] = []
    server = MotoServer()
    server.start()
    try:
        reset_moto(server.endpoint_url)
        provisioned = create_account(server.endpoint_url, SCENARIOS)
        start = time.time() - hours * 3600.0
        fake_now = [start]
        settings = GeneratorSettings(speed=speed, backfill_seconds=0.0)
        generator = Generator(
            server.endpoint_url,
            SCENARIOS,
            provisioned,
            settings,
            clock=lambda: fake_now[0],
            traces_seen=server.trace_summaries.keep,
        )
        cpu_start = time.thread_time()
        next_report = start + 600.0
        while fake_now[0] < start + hours * 3600.0:
            fake_now[0] += 1.0
            generator.advance(fake_now[0])
            if fake_now[0] >= next_report:
                next_report += 600.0
                sample = _sample(generator, fake_now[0] - start, time.thread_time() - cpu_start)
                samples.append(sample)
                _print(sample, out)
    finally:
        server.stop()
    return samples


def _print(sample: SoakSample, out: TextIO) -> None:
    share = 100.0 * sample.generator_cpu_seconds / max(sample.wall_seconds, 1e-9)
    print(
        f"t={sample.wall_seconds / 60:6.1f} min"
        f"  generator cpu {sample.generator_cpu_seconds:7.1f} s"
        f" ({share:5.1f}% of one core)  process cpu {sample.process_cpu_seconds:7.1f} s"
        f"  rss {sample.rss_mb:6.0f} MB  streams {sample.log_streams:5d}"
        f"  events written {sample.events_written}",
        file=out,
    )
    out.flush()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lambdatop.demo.soak", description=__doc__)
    sub = parser.add_subparsers(dest="mode", required=True)
    real = sub.add_parser("real", help="run in real time")
    real.add_argument("--minutes", type=float, default=5.0)
    real.add_argument("--speed", type=float, default=1.0)
    fast = sub.add_parser("accelerated", help="replay hours of wall time as fast as possible")
    fast.add_argument("--hours", type=float, default=1.5)
    fast.add_argument("--speed", type=float, default=1.0)
    args = parser.parse_args(argv)
    if args.mode == "real":
        soak_real(args.minutes, args.speed, sys.stdout)
    else:
        soak_accelerated(args.hours, args.speed, sys.stdout)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
