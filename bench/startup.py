"""Start-up figures for `make bench` (figures, not pass/fail), each the median of several runs of
the real command, its bytecode compiled as an installed package's is:

- `lambdatop --version` and `--help`, target ≤ 0.10 s;
- `lambdatop diagnose --logs` on a small export, target ≤ 0.12 s, loading no Textual or
  AWS layer;
- against the simulated account (`lambdatop demo --no-ui`, its own process), in a 160x45
  pseudo-terminal: the monitor's first frame (≤ 0.40 s), the fleet's names (≤ 1.0 s), an opened
  function's first log lines (≤ 1.5 s) and its diagnosis from them.

    python -m bench startup     # the command-line figures
    python -m bench monitor     # the monitor's, against the simulated account
"""

from __future__ import annotations

import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.corpus import export
from bench.terminal import (
    LAMBDATOP,
    AllOf,
    Painted,
    Pattern,
    Seen,
    compile_bytecode,
    installed_env,
    simulated_account,
    time_to_markers,
)

RUNS = int(os.environ.get("LAMBDATOP_BENCH_RUNS", "7"))
MONITOR_RUNS = int(os.environ.get("LAMBDATOP_BENCH_MONITOR_RUNS", "5"))
SMALL_EXPORT_EVENTS = 2_000
HEAVY = ("textual", "aiobotocore", "botocore", "aiohttp", "pydantic")
OPENED = "payment-processor"
"""The function opened for its log lines and diagnosis: busy, and failing."""
LOG_LINE = r"\d\d:\d\d:\d\d\.\d{3} [0-9a-f]{6} "
"""A line of the log pane: its time (UTC, to the millisecond) and short stream id."""
DIAGNOSED = r"logs {2,}[\d,]+ log l"
"""The diagnosis's `logs` check counting the lines read (before them: "No log events")."""


def _seconds(command: list[str], runs: int = RUNS) -> str:
    """The median wall time of `runs` runs (output discarded), and the median CPU time the
    command itself used: on a shared machine the second says what the first cannot."""
    walls, cpus = [], []
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        subprocess.run(
            command,
            check=False,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=installed_env(),
        )
        walls.append(time.perf_counter() - start)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
    return f"{statistics.median(walls):.2f} s ({statistics.median(cpus):.2f} s CPU)"


def _heavy_modules(args: list[str]) -> list[str]:
    """Which of HEAVY the command loaded, read from `sys.modules` when it ended."""
    with tempfile.TemporaryDirectory() as folder:
        listing = Path(folder) / "modules.json"
        script = (
            "import json, sys\n"
            "from lambdatop.cli import main\n"
            "try:\n    main(sys.argv[2:])\nexcept SystemExit:\n    pass\n"
            "json.dump(sorted(sys.modules), open(sys.argv[1], 'w'))\n"
        )
        subprocess.run(
            [sys.executable, "-c", script, str(listing), *args],
            check=False,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=installed_env(),
        )
        modules = {name.split(".")[0] for name in json.loads(listing.read_text())}
    return [name for name in HEAVY if name in modules]


def _line(what: str, value: str, target: str, note: str = "") -> None:
    print(f"  {what:<48} {value:>22}   target {target}{('   ' + note) if note else ''}")


def bench_commands() -> None:
    compile_bytecode()
    bare = _seconds([sys.executable, "-c", "pass"])
    print(f"the command line (median of {RUNS} runs; a bare Python starts in {bare}):")
    for args in (["--version"], ["--help"], ["diagnose", "--help"], ["tail", "--help"]):
        heavy = _heavy_modules(args)
        _line(
            f"lambdatop {' '.join(args)}",
            _seconds([*LAMBDATOP, *args]),
            "≤ 0.10 s",
            f"loads {', '.join(heavy)}" if heavy else "",
        )
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "small.json"
        path.write_text(export(SMALL_EXPORT_EVENTS), encoding="utf-8")
        args = ["diagnose", "--logs", str(path)]
        heavy = _heavy_modules(args)
        _line(
            f"lambdatop diagnose --logs, {SMALL_EXPORT_EVENTS:,}-event export",
            _seconds([*LAMBDATOP, *args]),
            "≤ 0.12 s",
            f"loads {', '.join(heavy)}" if heavy else "loads no Textual, AWS layer or pydantic",
        )


def _median_of(samples: list[dict[str, Seen]], name: str) -> str:
    seen = [sample[name] for sample in samples if name in sample]
    if not seen:
        return "never"
    missed = len(samples) - len(seen)
    wall = statistics.median(s.wall_s for s in seen)
    cpu = statistics.median(s.cpu_s for s in seen)
    # The CPU time is read when the bench sees the output: on a loaded machine the command
    # works on meanwhile (the AWS SDK loads right after the first frame), so the least is given.
    least = min(s.cpu_s for s in seen)
    never = f", {missed} of {len(samples)} never" if missed else ""
    return f"{wall:.2f} s ({cpu:.2f} s CPU, least {least:.2f}{never})"


def bench_monitor() -> None:
    compile_bytecode()
    one, five, _ = os.getloadavg()
    print(
        f"the monitor against the simulated account, in a 160x45 terminal (median of"
        f" {MONITOR_RUNS} runs, from the command's start; load average {one:.1f}, 5 min"
        f" {five:.1f}, on {os.cpu_count()} cores):"
    )
    with simulated_account() as account:
        fleet = [
            time_to_markers([], account, {"frame": Painted(), "names": AllOf(account.functions)})
            for _ in range(MONITOR_RUNS)
        ]
        opened = [
            time_to_markers(
                [OPENED],
                account,
                {"frame": Painted(), "lines": Pattern(LOG_LINE), "diagnosis": Pattern(DIAGNOSED)},
            )
            for _ in range(MONITOR_RUNS)
        ]
    _line("the fleet's first frame", _median_of(fleet, "frame"), "≤ 0.40 s")
    _line(
        f"the fleet's {len(account.functions)} function names on screen",
        _median_of(fleet, "names"),
        "≤ 1.0 s",
    )
    _line(f"`lambdatop {OPENED}`: first frame", _median_of(opened, "frame"), "≤ 0.40 s")
    _line("  its first log lines on screen", _median_of(opened, "lines"), "≤ 1.5 s")
    _line(
        "  its diagnosis from the log backfill",
        _median_of(opened, "diagnosis"),
        "as soon as read",
    )
