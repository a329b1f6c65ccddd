"""`parse._quiet_text`, the pattern of a quiet text line matched greedily up to the line's last
newline, finds what the lazy pattern with an optional newline after the message found."""

from __future__ import annotations

import re

from core_corpus import MIXED, RID
from hypothesis import given, settings
from hypothesis import strategies as st

from lambdatop.core.parse import _ISO_MILLIS, _LOWER_UUID, _ORDINARY, _VISIBLE, _quiet_text

LAZY = re.compile(
    rf"(?:{_ISO_MILLIS}\t(?P<node>{_LOWER_UUID})\t{_ORDINARY}\t"
    rf"|\[{_ORDINARY}\]\t{_ISO_MILLIS}\t(?P<python>{_LOWER_UUID})\t)"
    rf"(?P<body>(?!\s){_VISIBLE}+?)\n?"
    rf"|END RequestId: (?P<end>{_LOWER_UUID})\n?"
)
"""The pattern as it was: the message lazily, then a newline or none."""

HEADS = st.sampled_from(
    [
        f"2026-03-02T09:14:55.120Z\t{RID}\tINFO\t",
        f"[WARN]\t2026-03-02T09:14:55.120Z\t{RID}\t",
        f"[INFO]\t2026-03-02T09:14:55.120Z\t{RID.upper()}\t",
        f"END RequestId: {RID}",
        "END RequestId: ",
        "",
    ]
)
# Newlines, carriage returns, tabs, spaces, characters `clean` removes, and ordinary ones.
CHARACTERS = st.sampled_from(list("ab \t\n\r\x00\x1b\x85\u2003\u202a\ufeff\u00e9"))


@settings(max_examples=3000, deadline=None, derandomize=True, database=None)
@given(HEADS, st.text(CHARACTERS, max_size=8), st.sampled_from(["", "\n", "\n\n", "\r\n"]))
def test_the_greedy_match_is_the_lazy_one(head: str, body: str, ending: str) -> None:
    message = head + body + ending
    lazy, greedy = LAZY.fullmatch(message), _quiet_text(message)
    assert (lazy is None) == (greedy is None)
    if lazy is not None and greedy is not None:
        assert lazy.groupdict() == greedy.groupdict()
        assert lazy.start("body") == greedy.start("body")


def test_the_greedy_match_is_the_lazy_one_on_the_mixed_lines() -> None:
    for line in MIXED:
        for message in (line, line + "\n"):
            lazy, greedy = LAZY.fullmatch(message), _quiet_text(message)
            assert (lazy and lazy.groupdict()) == (greedy and greedy.groupdict())
    assert any(_quiet_text(line + "\n") for line in MIXED)
