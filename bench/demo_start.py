"""`lambdatop --demo` from a new user's seat (issue 14): what creating the simulated account and
writing its history cost, and how soon the demo's monitor shows the fleet and its figures.

- the account alone, in a process of its own as `--demo` runs it: wall and CPU time (every
  thread: the simulation, moto's server) until it is ready for the monitor (every function, every
  metric and the newest quarter hour written) and until the whole half hour is;
- the real `lambdatop --demo` in a 160x45 pseudo-terminal: the first frame of the monitor (drawn
  at once, beside the account's process), the fleet's names, its first figures (a p99 over its
  timeout), which come once the account is ready.

    python -m bench demo
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys

from bench.startup import _line, _median_of
from bench.terminal import (
    COLUMNS,
    LAMBDATOP,
    ROWS,
    AllOf,
    Pattern,
    command_to_markers,
    compile_bytecode,
    installed_env,
)

RUNS = int(os.environ.get("LAMBDATOP_BENCH_DEMO_RUNS", "3"))
DEMO_TIMEOUT_S = 240.0
FRAME = r"p99 / timeout"
"""The fleet table's header: the monitor's own first frame (the start-up line comes before)."""
FIGURES = r"ms(?: max)? / \d+(?:\.\d+)? s"
"""A p99 beside its timeout: the fleet's metrics have been read."""

HISTORY = r"""
import json, resource, sys, time

def cpu():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime

# From the imports on (moto's among them), as the account's process of `--demo` runs
start, cpu_start = time.perf_counter(), 0.0
from lambdatop.demo.simulated_account import SimulatedAccount

account = SimulatedAccount()
account.start(freeze_history=True)
generator = account.generator
recent = getattr(generator, "recent_written", generator.backfilled)
recent.wait()
first = time.perf_counter() - start, cpu() - cpu_start
generator.backfilled.wait()
whole = time.perf_counter() - start, cpu() - cpu_start
publisher = generator.publisher
print(json.dumps({
    "first": first, "whole": whole, "generator_cpu": generator.stats.cpu_seconds,
    "calls": getattr(publisher, "calls", None), "events": publisher.events_written,
    "streams": len(publisher.stream_last_event),
}))
account.stop()
"""


def bench_demo() -> None:
    compile_bytecode()
    one, five, _ = os.getloadavg()
    print(
        f"`lambdatop --demo` (median of {RUNS} runs; load average {one:.1f}, 5 min {five:.1f},"
        f" on {os.cpu_count()} cores):"
    )
    histories = [_history() for _ in range(RUNS)]
    last = histories[-1]
    calls = f"{last['calls']:,} API calls, " if last["calls"] is not None else ""
    print(
        f"  its history: {calls}{last['events']:,} log events in {last['streams']:,} streams,"
        " with the account's creation and moto's start"
    )
    _line("the account ready (the monitor reads it)", _both(histories, "first"), "≤ 3 s")
    _line("the whole half hour written", _both(histories, "whole"), "behind the monitor")
    names = _function_names()
    runs = [
        command_to_markers(
            ["--demo"],
            _terminal_env(),
            {"frame": Pattern(FRAME), "names": AllOf(names), "figures": Pattern(FIGURES)},
            DEMO_TIMEOUT_S,
        )
        for _ in range(RUNS)
    ]
    _line("the monitor's first frame", _median_of(runs, "frame"), "≤ 1 s")
    _line(f"the fleet's {len(names)} function names", _median_of(runs, "names"), "≤ 3 s")
    _line("the fleet's first figures (p99 / timeout)", _median_of(runs, "figures"), "≤ 3 s")


def _history() -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-c", HISTORY],
        capture_output=True,
        text=True,
        check=True,
        env=installed_env(),
    )
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _both(samples: list[dict[str, object]], key: str) -> str:
    walls = [sample[key][0] for sample in samples]  # type: ignore[index]
    cpus = [sample[key][1] for sample in samples]  # type: ignore[index]
    return f"{statistics.median(walls):.1f} s ({statistics.median(cpus):.1f} s CPU)"


def _function_names() -> list[str]:
    listed = subprocess.run(
        [*LAMBDATOP, "demo", "--list"], capture_output=True, text=True, check=True
    )
    return [line.split()[0] for line in listed.stdout.splitlines() if line.strip()]


def _terminal_env() -> dict[str, str]:
    env = installed_env()
    env.update(TERM="xterm-256color", COLUMNS=str(COLUMNS), LINES=str(ROWS))
    for key in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "NO_COLOR"):
        env.pop(key, None)
    return env


if __name__ == "__main__":
    bench_demo()
