"""The diagnosis as text for a person, Markdown for an incident document, and JSON for scripts.

Everything taken from a log line was sanitised when it was parsed; here it is only ever printed
as data (no Rich markup is interpreted, Markdown special characters are escaped).
"""

from __future__ import annotations

import json
import re

from lambdatop.diagnose.format import ms, pct
from lambdatop.diagnose.model import CheckResult, CheckStatus, Diagnosis, Plane

GLYPHS = {
    CheckStatus.FAIL: "✖",
    CheckStatus.WARN: "▲",
    CheckStatus.OK: "✔",
    CheckStatus.UNKNOWN: "?",
}
_ANSI = {
    CheckStatus.FAIL: "\x1b[1;31m",
    CheckStatus.WARN: "\x1b[33m",
    CheckStatus.OK: "\x1b[32m",
    CheckStatus.UNKNOWN: "\x1b[2m",
}
_PLANE_ANSI = {
    Plane.CONTROL: "\x1b[1;31m",
    Plane.SERVICE: "\x1b[1;32m",
    Plane.STATE: "\x1b[1;33m",
    Plane.EDGE: "\x1b[1;34m",
}
_RESET = "\x1b[0m"
_DIM = "\x1b[2m"
_BOLD = "\x1b[1m"


def to_json(diagnosis: Diagnosis) -> str:
    return json.dumps(diagnosis.to_json(), indent=2, ensure_ascii=False)


def summary_lines(diagnosis: Diagnosis) -> list[str]:
    """The headline numbers in three lines."""
    s = diagnosis.summary
    throttles = "throttles n/a" if s.throttles is None else f"{s.throttles:,} throttles"
    timeout = f" of {s.timeout_s:g} s timeout" if s.timeout_s else ""
    memory = (
        f"memory max {s.max_memory_used_mb} / {s.memory_size_mb} MB"
        if s.max_memory_used_mb is not None and s.memory_size_mb
        else "memory n/a"
    )
    return [
        f"{s.invocations:,} invocations · {s.errors:,} failed ({pct(s.errors, s.invocations)})"
        f" · {s.timeouts:,} timed out · {s.out_of_memory:,} out of memory"
        f" · {s.cold_starts:,} cold ({pct(s.cold_starts, s.invocations)}) · {throttles}",
        f"duration p50 {ms(s.duration_ms.p50)} · p99 {ms(s.duration_ms.p99)}"
        f" · max {ms(s.duration_ms.max)}{timeout}",
        f"{memory} · init p50 {ms(s.init_duration_ms.p50)} · p99 {ms(s.init_duration_ms.p99)}",
    ]


def verdict(diagnosis: Diagnosis) -> str:
    failing = [c.id for c in diagnosis.checks if c.status is CheckStatus.FAIL]
    warning = [c.id for c in diagnosis.checks if c.status is CheckStatus.WARN]
    if failing:
        return (
            f"{len(failing)} check{'s' if len(failing) > 1 else ''} failing: "
            f"{', '.join(failing)}. Start with {failing[0]}."
        )
    if warning:
        return f"Nothing failing; {len(warning)} to watch: {', '.join(warning)}."
    return "Nothing failing."


def to_text(diagnosis: Diagnosis, colour: bool = False) -> str:
    def paint(code: str, text: str) -> str:
        return f"{code}{text}{_RESET}" if colour else text

    name = diagnosis.function or "(function not named)"
    region = f" ({diagnosis.region})" if diagnosis.region else ""
    out = [paint(_BOLD, f"lambdatop diagnosis — {name}{region}")]
    if diagnosis.window_start or diagnosis.window_end:
        out.append(f"window {diagnosis.window_start or '?'} → {diagnosis.window_end or '?'}")
    out.append("")
    out.extend(f"  {line}" for line in summary_lines(diagnosis))
    plane: Plane | None = None
    for check in diagnosis.checks:
        if check.plane is not plane:
            plane = check.plane
            out.append("")
            out.append(paint(_PLANE_ANSI[plane], plane.value.upper()))
        glyph = paint(_ANSI[check.status], GLYPHS[check.status])
        out.append(f"  {glyph} {check.id:<18} {check.title}")
        if check.status in (CheckStatus.FAIL, CheckStatus.WARN):
            out.extend(_details_text(check, paint))
    out.append("")
    out.append(paint(_BOLD, verdict(diagnosis)))
    return "\n".join(out) + "\n"


def _details_text(check: CheckResult, paint: object) -> list[str]:
    assert callable(paint)
    lines = [
        f"      {item}" if item.startswith("›") else f"      • {item}" for item in check.evidence
    ]
    if check.steps:
        lines.append(paint(_DIM, "      next:"))
        for step in check.steps:
            prefix = "$ " if step.command else ""
            lines.append(f"        {prefix}{step.text}")
    return lines


_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>()#+!|])")


def _md(text: str) -> str:
    return _MD_SPECIAL.sub(r"\\\1", text)


def _fence(lines: list[str], language: str = "") -> list[str]:
    longest = max((len(run) for line in lines for run in re.findall(r"`+", line)), default=0)
    fence = "`" * max(3, longest + 1)
    return [f"{fence}{language}", *lines, fence]


def to_markdown(diagnosis: Diagnosis) -> str:
    s = diagnosis.summary
    name = diagnosis.function or "(function not named)"
    region = f" ({_md(diagnosis.region)})" if diagnosis.region else ""
    out = [f"## lambdatop diagnosis: `{name.replace('`', '')}`{region}", ""]
    if diagnosis.window_start or diagnosis.window_end:
        out += [f"Window: {diagnosis.window_start or '?'} → {diagnosis.window_end or '?'}", ""]
    out += [f"**{_md(verdict(diagnosis))}**", ""]
    out += [
        "| invocations | failed | timed out | out of memory | cold starts | throttles "
        "| p99 duration | max memory |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|",
        f"| {s.invocations:,} | {s.errors:,} ({pct(s.errors, s.invocations)}) | {s.timeouts:,} "
        f"| {s.out_of_memory:,} | {s.cold_starts:,} | "
        f"{'n/a' if s.throttles is None else f'{s.throttles:,}'} | {ms(s.duration_ms.p99)}"
        + (f" of {s.timeout_s:g} s" if s.timeout_s else "")
        + " | "
        + (
            f"{s.max_memory_used_mb} / {s.memory_size_mb} MB"
            if s.max_memory_used_mb is not None and s.memory_size_mb
            else "n/a"
        )
        + " |",
        "",
    ]
    for check in diagnosis.checks:
        if check.status not in (CheckStatus.FAIL, CheckStatus.WARN):
            continue
        out.append(
            f"### {GLYPHS[check.status]} {check.status.value.upper()} `{check.id}`"
            f" ({check.plane.value} plane): {_md(check.title)}"
        )
        out.append("")
        facts = [item for item in check.evidence if not item.startswith("›")]
        quoted = [item[2:] for item in check.evidence if item.startswith("›")]
        out += [f"- {_md(item)}" for item in facts]
        if quoted:
            out += ["", *_fence(quoted, "text")]
        commands = [step.text for step in check.steps if step.command]
        fixes = [step.text for step in check.steps if not step.command]
        if commands or fixes:
            out += ["", "Next steps:", ""]
            out += [f"- {_md(fix)}" for fix in fixes]
            if commands:
                out += ["", *_fence(commands, "bash")]
        out.append("")
    out += ["### All checks", "", "| check | plane | status | finding |", "|---|---|---|---|"]
    for check in diagnosis.checks:
        out.append(
            f"| `{check.id}` | {check.plane.value} | {GLYPHS[check.status]} {check.status.value} "
            f"| {_md(check.title)} |"
        )
    return "\n".join(out) + "\n"
