"""The diagnosis as text for a person, Markdown for an incident document, and JSON for scripts.

Everything taken from a log line was sanitised when it was parsed; here it is only ever printed
as data (no Rich markup is interpreted, Markdown special characters are escaped), and every
string is cleaned once more on the way out, so nothing a log line carried can drive a terminal.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable

from lambdatop.core.sanitize import one_line
from lambdatop.core.timeutil import human_duration, to_epoch_ms
from lambdatop.diagnose.format import count, ms, pct
from lambdatop.diagnose.model import CheckResult, CheckStatus, Diagnosis, Plane, Step, Summary

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
_UNNAMED = "(function not named)"
_NAME_HINT = (
    "function not named: the commands say <function>; "
    "`lambdatop diagnose FUNCTION --logs FILE` fills it in"
)


def _safe(text: str) -> str:
    """One display line with no control character or escape sequence, whatever its origin."""
    return one_line(text)


def to_json(diagnosis: Diagnosis) -> str:
    return json.dumps(_clean_json(diagnosis.to_json()), indent=2, ensure_ascii=False)


def _clean_json(value: object) -> object:
    if isinstance(value, str):
        return _safe(value)
    if isinstance(value, dict):
        return {key: _clean_json(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_clean_json(item) for item in value]
    return value


def window_text(diagnosis: Diagnosis) -> str | None:
    """`2026-03-02T09:13:55.120Z → 2026-03-02T09:25:08.602Z (11 min)`."""
    if not (diagnosis.window_start or diagnosis.window_end):
        return None
    start, end = to_epoch_ms(diagnosis.window_start), to_epoch_ms(diagnosis.window_end)
    if start is not None and start == end:
        # Every line read bears one time (one line, or one timestamp for all): no span at all.
        return f"{diagnosis.window_start}, one moment (no line read bears another time)"
    text = f"{diagnosis.window_start or '?'} → {diagnosis.window_end or '?'}"
    if start is not None and end is not None and end > start:
        span = end - start
        text += f" ({span} ms)" if span < 1000 else f" ({human_duration(span / 1000)})"
    return text


def summary_lines(diagnosis: Diagnosis) -> list[str]:
    """The headline numbers in three lines, and a fourth when they were counted elsewhere."""
    s = diagnosis.summary
    throttles = "throttles n/a" if s.throttles is None else f"{s.throttles:,} throttled"
    timeout = f" of {s.timeout_s:g} s timeout" if s.timeout_s else ""
    memory = (
        f"memory max {s.max_memory_used_mb} / {s.memory_size_mb} MB"
        if s.max_memory_used_mb is not None and s.memory_size_mb
        else "memory n/a"
    )
    return [
        f"{count(s.invocations, 'invocation')}"
        f" · {s.errors:,} failed ({pct(s.errors, s.invocations)})"
        f" · {s.timeouts:,} timed out · {s.out_of_memory:,} out of memory"
        f" · {s.cold_starts:,} cold ({pct(s.cold_starts, s.invocations)}) · {throttles}",
        f"duration p50 {ms(s.duration_ms.p50)} · p99 {ms(s.duration_ms.p99)}"
        f" · max {ms(s.duration_ms.max)}{timeout}",
        f"{memory} · {_cold_starts(s)}",
    ] + ([s.figures_from] if s.figures_from else [])


def _cold_starts(s: Summary) -> str:
    """`init p50 … · p99 …`; a SnapStart restore's as a restore's, an init's as an init's."""
    init, restore = s.init_duration_ms, s.restore_duration_ms
    said = [] if init.p50 is None and restore.p50 is not None else [("init", init)]
    if restore.p50 is not None:
        said.append(("restore", restore))
    return " · ".join(f"{name} p50 {ms(of.p50)} · p99 {ms(of.p99)}" for name, of in said)


def start_with(diagnosis: Diagnosis) -> tuple[str, str | None] | None:
    """The failing check to look at first, and the one it explains (if any): the first failing
    check in the flowchart past the control plane, unless another failing check is its cause."""
    failing = [c for c in diagnosis.checks if c.status is CheckStatus.FAIL]
    if not failing:
        return None
    # The control plane summarises (metrics show the throttles the throttling check explains):
    # start where a cause is named, if any is.
    causes = [c for c in failing if c.plane is not Plane.CONTROL]
    if not causes:
        # Only the control plane fails (metrics, traces summarise what others explain): a
        # warning that names a cause is the place to start.
        causes = [
            c
            for c in diagnosis.checks
            if c.status is CheckStatus.WARN and c.plane is not Plane.CONTROL
        ]
    first = next((c for c in failing if c.leads), None) or (causes or failing)[0]
    failing_ids = {c.id for c in failing}
    cause = next((c for c in first.caused_by if c in failing_ids), None)
    return (cause, first.id) if cause else (first.id, None)


def verdict(diagnosis: Diagnosis) -> str:
    failing = [c.id for c in diagnosis.checks if c.status is CheckStatus.FAIL]
    warning = [c.id for c in diagnosis.checks if c.status is CheckStatus.WARN]
    first = start_with(diagnosis)
    if failing and first is not None:
        begin, explains = first
        why = f" (the {explains} failures follow from it)" if explains else ""
        if any(c.id == begin and c.leads for c in diagnosis.checks):
            why = " (the code cannot start: nothing else can be judged until it does)"
        return (
            f"{len(failing)} check{'s' if len(failing) > 1 else ''} failing: "
            f"{', '.join(failing)}. Start with {begin}{why}."
        )
    if warning:
        return f"Nothing failing; {len(warning)} to watch: {', '.join(warning)}."
    if all(c.status is CheckStatus.UNKNOWN for c in diagnosis.checks):
        return "Nothing to judge: no data in the window."
    return "Nothing failing."


def _split(steps: list[Step]) -> tuple[list[Step], list[Step]]:
    """Things to look at, and fixes to make."""
    return [s for s in steps if not s.fix], [s for s in steps if s.fix]


def _plain(step: Step) -> str:
    text = _safe(step.text)
    for prefix in ("Fix: ", "Check: "):
        if text.startswith(prefix):
            return text[len(prefix) :]
    return text


def to_text(diagnosis: Diagnosis, colour: bool = False) -> str:
    def paint(code: str, text: str) -> str:
        return f"{code}{text}{_RESET}" if colour else text

    name = _safe(diagnosis.function) if diagnosis.function else _UNNAMED
    region = f" ({_safe(diagnosis.region)})" if diagnosis.region else ""
    out = [paint(_BOLD, f"lambdatop diagnosis — {name}{region}")]
    window = window_text(diagnosis)
    if window:
        out.append(f"window {window}")
    if not diagnosis.function:
        out.append(paint(_DIM, _NAME_HINT))
    out.append("")
    out.extend(f"  {line}" for line in summary_lines(diagnosis))
    out.append("")
    out.append(paint(_BOLD, verdict(diagnosis)))
    plane: Plane | None = None
    for check in diagnosis.checks:
        if check.plane is not plane:
            plane = check.plane
            out.append("")
            out.append(paint(_PLANE_ANSI[plane], plane.value.upper()))
        glyph = paint(_ANSI[check.status], GLYPHS[check.status])
        out.append(f"  {glyph} {check.id:<18} {_safe(check.title)}")
        if check.status in (CheckStatus.FAIL, CheckStatus.WARN):
            out.extend(_details_text(check, paint))
    if diagnosis.failed:
        out.append("")
        out.append(paint(_BOLD, verdict(diagnosis)))
    return "\n".join(out) + "\n"


def _details_text(check: CheckResult, paint: Callable[[str, str], str]) -> list[str]:
    lines = []
    for item in check.evidence:
        text = _safe(item)
        lines.append(f"      {text}" if text.startswith("›") else f"      • {text}")
    look, fixes = _split(check.steps)
    if look:
        lines.append(paint(_DIM, "      investigate:"))
        for step in look:
            lines.append(
                f"        $ {_safe(step.text)}" if step.command else f"        • {_plain(step)}"
            )
    if fixes:
        lines.append(paint(_DIM, "      fix:"))
        for step in fixes:
            if step.command:
                lines.append(f"        $ {_safe(step.text)}")
            else:
                lines.append(f"        • {_plain(step)}")
    return lines


# Characters that would start Markdown syntax (emphasis, code, links, HTML, tables, entities).
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>|&~])")


def _md(text: str) -> str:
    return _MD_SPECIAL.sub(r"\\\1", _safe(text))


def _fence(lines: list[str], language: str) -> list[str]:
    lines = [_safe(line) for line in lines]
    longest = max((len(run) for line in lines for run in re.findall(r"`+", line)), default=0)
    fence = "`" * max(3, longest + 1)
    return [f"{fence}{language}", *lines, fence]


def _code(text: str) -> str:
    """Inline code that no backtick inside can end early."""
    text = _safe(text)
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    ticks = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{ticks}{pad}{text}{pad}{ticks}"


def to_markdown(diagnosis: Diagnosis) -> str:
    s = diagnosis.summary
    name = _code(diagnosis.function) if diagnosis.function else _UNNAMED
    region = f" ({_md(diagnosis.region)})" if diagnosis.region else ""
    out = [f"## lambdatop diagnosis: {name}{region}", ""]
    window = window_text(diagnosis)
    if window:
        out += [f"Window: {window}", ""]
    if not diagnosis.function:
        out += [f"_{_md(_NAME_HINT)}_", ""]
    out += [f"**{_md(verdict(diagnosis))}**", ""]
    duration = ms(s.duration_ms.p99) + (f" of {s.timeout_s:g} s" if s.timeout_s else "")
    memory = (
        f"{s.max_memory_used_mb} / {s.memory_size_mb} MB"
        if s.max_memory_used_mb is not None and s.memory_size_mb
        else "n/a"
    )
    throttles = "n/a" if s.throttles is None else f"{s.throttles:,}"
    out += [
        "| invocations | failed | timed out | out of memory | cold starts | throttled "
        "| p99 duration | max memory |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|",
        f"| {s.invocations:,} | {s.errors:,} ({pct(s.errors, s.invocations)}) | {s.timeouts:,} "
        f"| {s.out_of_memory:,} | {s.cold_starts:,} ({pct(s.cold_starts, s.invocations)}) "
        f"| {throttles} | {duration} | {memory} |",
        "",
    ]
    if s.figures_from:
        out += [f"_{_md(s.figures_from)}_", ""]
    for check in diagnosis.checks:
        if check.status in (CheckStatus.FAIL, CheckStatus.WARN):
            out += _check_markdown(check)
    out += ["### All checks", "", "| check | plane | status | finding |", "|---|---|---|---|"]
    for check in diagnosis.checks:
        out.append(
            f"| `{check.id}` | {check.plane.value} | {GLYPHS[check.status]} {check.status.value} "
            f"| {_md(check.title)} |"
        )
    return "\n".join(out) + "\n"


def _check_markdown(check: CheckResult) -> list[str]:
    out = [
        f"### {GLYPHS[check.status]} {check.status.value.upper()} `{check.id}`"
        f" ({check.plane.value} plane): {_md(check.title)}",
        "",
    ]
    facts = [item for item in check.evidence if not item.startswith("›")]
    quoted = [item[2:] for item in check.evidence if item.startswith("›")]
    out += [f"- {_md(item)}" for item in facts]
    if quoted:
        out += ["", *_fence(quoted, "text")]
    look, fixes = _split(check.steps)
    for heading, steps in (("Investigate", look), ("Fix", fixes)):
        if not steps:
            continue
        out += ["", f"**{heading}**", ""]
        out += [f"- {_md(_plain(step))}" for step in steps if not step.command]
        commands = [step.text for step in steps if step.command]
        if commands:
            if any(not step.command for step in steps):
                out.append("")
            out += _fence(commands, "bash")
    out.append("")
    return out
