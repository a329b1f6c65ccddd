"""Source keys and error kinds: what raises the banner, and in which order."""

from __future__ import annotations

from lambdatop.core.sources import METRICS, PERCENTILES, ErrorKind, SourceKey
from lambdatop.core.store import Store, retrying_in


def test_one_trace_that_fails_to_load_raises_no_banner_but_a_function_s_traces_do() -> None:
    store = Store(clock=lambda: 100.0)
    store.record_failure(SourceKey.trace("1-abc"), ErrorKind.DENIED, "X-Ray: access denied", None)
    store.record_failure(PERCENTILES, ErrorKind.SERVER, "percentiles: HTTP 500", None)
    assert store.banner(100.0) is None
    store.record_failure(SourceKey.traces("checkout"), ErrorKind.DENIED, "X-Ray: denied", None)
    assert store.banner(100.0) == "X-Ray: denied"


def test_the_banner_leads_with_the_trouble_that_stops_everything() -> None:
    store = Store(clock=lambda: 100.0)
    store.record_failure(METRICS, ErrorKind.THROTTLED, "throttled by CloudWatch", 130.0)
    store.record_failure(SourceKey.logs("checkout"), ErrorKind.CREDENTIALS, "expired", 160.0)
    assert store.banner(100.0) == "expired; retrying in 60 s +1 more"
    assert [str(h.key) for h in store.troubles()] == ["logs:checkout", "metrics"]


def test_a_function_aws_does_not_know_is_missing_until_it_is_listed() -> None:
    store = Store()
    store.record_failure(SourceKey.config("nosuchfn"), ErrorKind.MISSING, "not found", None)
    assert store.missing("nosuchfn")
    store.record_failure(SourceKey.config("slowfn"), ErrorKind.TIMEOUT, "no answer", None)
    assert not store.missing("slowfn")


def test_a_retry_is_said_once_in_one_form_wherever_the_trouble_says_it() -> None:
    """The banner and `tail` say when a trouble is retried the same way, never "retrying"
    twice ("...; retrying (retry in 4 s)" was `tail`'s)."""
    assert (
        retrying_in("AWS answered HTTP 503; retrying", 4.2)
        == "AWS answered HTTP 503; retrying in 4 s"
    )
    assert retrying_in("throttled by AWS (Throttling); slowing down", 2) == (
        "throttled by AWS (Throttling); slowing down, retrying in 2 s"
    )
    assert retrying_in("credentials rejected (ExpiredToken)", 30) == (
        "credentials rejected (ExpiredToken); retrying in 30 s"
    )
    assert (
        retrying_in("AWS answered HTTP 503; retrying", -1) == "AWS answered HTTP 503; retrying now"
    )
