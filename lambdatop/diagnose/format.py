"""Numbers and sample lines as a person reads them: with their unit and their limit."""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import UTC, datetime

from lambdatop.core.pipeline import Finding
from lambdatop.core.sanitize import one_line

SAMPLE_LIMIT = 3
COPED = (
    "handled: logged below ERROR, with no level, or outside the handler (init, an extension),"
    " and every invocation concerned succeeded"
)
"""Evidence for lines the function coped with (`Evidence.coped`): why they only warn."""
SAMPLE_WIDTH = 240


def ms(value: float | None) -> str:
    """`412 ms`, `28.1 s`."""
    if value is None:
        return "n/a"
    if value < 1000:
        return f"{value:.0f} ms"
    return f"{value / 1000:.1f} s"


def pct(part: float, whole: float) -> str:
    """`2.5 %` of a whole; `n/a` for nothing."""
    if not whole:
        return "n/a"
    share = 100.0 * part / whole
    if share and share < 0.1:
        return "<0.1 %"
    return f"{share:.1f} %" if share < 10 else f"{share:.0f} %"


def count(n: float, noun: str) -> str:
    """`1 invocation`, `3 invocations`."""
    whole = int(n)
    return f"{whole:,} {noun}" if whole == 1 else f"{whole:,} {noun}s"


def samples(findings: Iterable[Finding], limit: int = SAMPLE_LIMIT) -> list[str]:
    """Up to `limit` distinct sample lines, sanitised, one line each: the newest, as they
    were logged (an incident under way shows its latest lines, not the window's first)."""
    return [f"› {text}" for _, text in _sampled(findings, limit)]


def sampled(findings: Iterable[Finding], limit: int = SAMPLE_LIMIT) -> list[Finding]:
    """The findings `samples` quotes: a search advised beside them must find one."""
    return [finding for finding, _ in _sampled(findings, limit)]


def _sampled(findings: Iterable[Finding], limit: int) -> list[tuple[Finding, str]]:
    seen: set[str] = set()
    out: list[tuple[Finding, str]] = []
    for finding in reversed(list(findings)):
        text = _sample_text(finding)
        key = text[:120]
        if key in seen:
            continue
        seen.add(key)
        out.append((finding, text))
        if len(out) >= limit:
            break
    out.reverse()  # oldest of them first, as a log reads
    return out


_HEAD_WIDTH = 100
_BEFORE_SIGNATURE = 30


def _sample_text(finding: Finding) -> str:
    """A line as one display line; when what it was classified by lies past what fits (the
    message after a long traceback, a JSON log's `exception` field), the line's start and
    then the words that matched."""
    raw = finding.line.text
    text = one_line(raw, SAMPLE_WIDTH)
    classification = finding.line.classification
    if classification is None or not text.endswith("…"):
        return text
    at = raw.find(classification.signature)
    if at < 0 or one_line(classification.signature) in text[:-1]:
        return text
    head = one_line(raw, _HEAD_WIDTH).removesuffix("…")
    start = max(at - _BEFORE_SIGNATURE, 0)
    start = max(raw.rfind(" ", start, at), raw.rfind("\n", start, at), start - 1) + 1
    context = one_line(raw[start:], SAMPLE_WIDTH - len(head) - 3)
    return f"{head} … {context}"


def memory_step(mb: float) -> int:
    """A memory size Lambda accepts, rounded up to 64 MB and within 128-10,240 MB."""
    return int(min(max(128, math.ceil(mb / 64) * 64), 10_240))


def timeout_step(seconds_needed: float) -> int:
    """A timeout in whole seconds within Lambda's 1-900 s."""
    return int(min(max(1, math.ceil(seconds_needed)), 900))


def clock(epoch_ms: int) -> str:
    """The time of day (UTC) of an event, as the report's window is given."""
    return datetime.fromtimestamp(epoch_ms / 1000, UTC).strftime("%H:%M")
