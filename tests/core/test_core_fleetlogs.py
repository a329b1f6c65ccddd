"""The fleet's log-only trouble: the phrases a scan searches for are the classifier's, and the
fleet's column says the counts worst first."""

from __future__ import annotations

import re
from collections import Counter

import pytest

from lambdatop.core.classify import classify
from lambdatop.core.fleetlogs import (
    API_CUT,
    TROUBLE_PHRASES,
    LogTroubleScan,
    family_of,
    trouble_text,
)
from lambdatop.core.records import ErrorFamily

PHRASES = [(family, phrase) for family, phrases in TROUBLE_PHRASES.items() for phrase in phrases]


def example(pattern: str) -> str:
    """Words the pattern matches: numbers for its digits, its escaped characters as themselves."""
    text = pattern.replace("-?\\d+", "-1").replace("\\d+", "5").replace(" ?", " ")
    return re.sub(r"\\(.)", r"\1", text)


@pytest.mark.parametrize(("family", "phrase"), PHRASES)
def test_every_phrase_is_counted_under_the_family_the_checks_give_it(
    family: str, phrase: str
) -> None:
    words = example(phrase)
    assert re.fullmatch(phrase, words), phrase
    classified = classify(words)
    if family == ErrorFamily.TIMEOUT:
        assert classified is None, "a timeout is the platform's line, not an application error"
    else:
        assert classified is not None, phrase
        assert classified.family == family
    assert family_of(words) == family
    assert family_of(words.upper()) == family, "Insights matches case-insensitively"


def test_words_of_no_trouble_are_not_counted() -> None:
    assert family_of("connection reset by peer") is None


def test_the_column_says_the_worst_first_and_what_was_not_scanned() -> None:
    scan = LogTroubleScan(
        end_s=0.0,
        span_s=900.0,
        scanned=frozenset({"orders", "quiet"}),
        counts={"orders": Counter({ErrorFamily.PERMISSION: 1, ErrorFamily.CONNECTION_POOL: 1_200})},
    )
    assert trouble_text(scan.of("orders")) == "1,200 pool · 1 denied"
    assert trouble_text(scan.of("quiet")) == "none"
    assert trouble_text(scan.of("unlisted")) == "·"
    assert trouble_text(Counter({API_CUT: 2})) == "2 ≥29 s"
