"""Source keys and error kinds: what raises the banner, and in which order."""

from __future__ import annotations

from lambdatop.core.sources import METRICS, PERCENTILES, ErrorKind, SourceKey
from lambdatop.core.store import Store


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
    assert store.banner(100.0) == "expired (retry in 60 s) +1 more"
    assert [str(h.key) for h in store.troubles()] == ["logs:checkout", "metrics"]


def test_a_function_aws_does_not_know_is_missing_until_it_is_listed() -> None:
    store = Store()
    store.record_failure(SourceKey.config("nosuchfn"), ErrorKind.MISSING, "not found", None)
    assert store.missing("nosuchfn")
    store.record_failure(SourceKey.config("slowfn"), ErrorKind.TIMEOUT, "no answer", None)
    assert not store.missing("slowfn")
