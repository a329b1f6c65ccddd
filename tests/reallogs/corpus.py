"""The real-log corpus: its manifest, and each sample held to its expectation by running the
installed `lambdatop diagnose --logs FILE` on it as a subprocess, as an on-call engineer would.

`python -m tests.reallogs.corpus` prints how many expectations are met (the README's figures).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tomllib
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent
SAMPLES = HERE / "samples"
_BIN = Path(sys.executable).parent / "lambdatop"
COMMAND = [str(_BIN)] if _BIN.exists() else [sys.executable, "-m", "lambdatop"]
# A check's line in the text report: `  ✖ memory   Out of memory ...`.
_CHECK_LINE = re.compile(r"^\s+(?P<glyph>[✖▲✔?])\s+(?P<id>[a-z_]+)\s", re.M)
_STATUS = {"✖": "fail", "▲": "warn", "✔": "ok", "?": "unknown"}


@dataclass(frozen=True)
class Sample:
    file: str
    source: str
    runtime: str
    log_format: str
    form: str
    reassembled: str
    families: tuple[str, ...]
    expectation: str
    expect: dict[str, Any] = field(hash=False)
    pending: str | None = None
    """Why a check must change before the expectation can be met (PENDING.md)."""
    stricter: str | None = None
    """Why the expectation, kept as written, asks more than the report should give."""

    @property
    def path(self) -> Path:
        return SAMPLES / self.file


@cache
def samples() -> tuple[Sample, ...]:
    manifest = tomllib.loads((HERE / "manifest.toml").read_text(encoding="utf-8"))
    return tuple(
        Sample(
            file=entry["file"],
            source=entry["source"],
            runtime=entry["runtime"],
            log_format=entry["log_format"],
            form=entry["form"],
            reassembled=entry["reassembled"],
            families=tuple(entry["families"]),
            expectation=entry["expectation"],
            expect=entry.get("expect", {}),
            pending=entry.get("pending"),
            stricter=entry.get("stricter"),
        )
        for entry in manifest["sample"]
    )


@dataclass(frozen=True)
class Report:
    code: int
    text: str
    err: str

    @property
    def statuses(self) -> dict[str, str]:
        return {m["id"]: _STATUS[m["glyph"]] for m in _CHECK_LINE.finditer(self.text)}


def run(sample: Sample) -> Report:
    """`lambdatop diagnose --logs SAMPLE`, the installed command, with no user settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LAMBDATOP_", "NO_COLOR"))}
    env["XDG_CONFIG_HOME"] = str(HERE / "no-such-config")
    done = subprocess.run(
        [*COMMAND, "diagnose", "--logs", str(sample.path), "--color", "never"],
        capture_output=True,
        env=env,
        timeout=120,
        check=False,
    )
    return Report(done.returncode, done.stdout.decode("utf-8"), done.stderr.decode("utf-8"))


def unmet(sample: Sample, report: Report) -> list[str]:
    """Each way the report misses the sample's expectation, in words; none when it is met."""
    problems: list[str] = []
    if "Traceback" in report.err or report.code not in (0, 1):
        return [f"not read (exit {report.code}): {report.err.strip()}"]
    statuses = report.statuses
    text = report.text.lower()
    expect = sample.expect
    for check in expect.get("fail", []):
        if statuses.get(check) != "fail":
            problems.append(f"{check} is {statuses.get(check)}, expected fail")
    if expect.get("fail_any") and not any(statuses.get(c) == "fail" for c in expect["fail_any"]):
        problems.append(f"none of {expect['fail_any']} fails")
    if expect.get("not_ok_any") and not any(
        statuses.get(c) in ("warn", "fail") for c in expect["not_ok_any"]
    ):
        problems.append(f"none of {expect['not_ok_any']} warns or fails")
    for check in expect.get("not_fail", []):
        if statuses.get(check) == "fail":
            problems.append(f"{check} fails, expected not to")
    if expect.get("nothing_failing"):
        bad = sorted(c for c, s in statuses.items() if s in ("warn", "fail"))
        if bad:
            problems.append(f"expected nothing failing, but {bad} warn or fail")
    problems += [f"does not say {s!r}" for s in expect.get("says", []) if s.lower() not in text]
    problems += [f"says {s!r}" for s in expect.get("not_says", []) if s.lower() in text]
    return problems


def main() -> int:
    met = 0
    families: dict[str, list[int]] = {}
    for sample in samples():
        problems = unmet(sample, run(sample))
        met += not problems
        for family in sample.families:
            families.setdefault(family, [0, 0])
            families[family][0] += not problems
            families[family][1] += 1
        mark = "met  " if not problems else "UNMET"
        if problems and (sample.pending or sample.stricter):
            mark = "PEND " if sample.pending else "STRICT"
        print(f"{mark} {sample.file}{'' if not problems else ': ' + '; '.join(problems)}")
    print(f"\n{met} / {len(samples())} expectations met")
    for family, (good, total) in sorted(families.items()):
        print(f"  {family:22} {good} / {total}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
