"""Every sample of the real-log corpus, read by the installed command, meets the expectation a
Lambda expert wrote for it before lambdatop first read it (tests/reallogs/manifest.toml)."""

from __future__ import annotations

import pytest
from corpus import SAMPLES, Sample, run, samples, unmet


def _marked(sample: Sample) -> object:
    if sample.pending:
        # Met only once a check changes: then this fails, and the entry leaves PENDING.md.
        return pytest.param(sample, marks=pytest.mark.xfail(strict=True, reason=sample.pending))
    if sample.stricter:
        return pytest.param(sample, marks=pytest.mark.xfail(strict=False, reason=sample.stricter))
    return sample


@pytest.mark.parametrize("sample", [_marked(s) for s in samples()], ids=lambda s: s.file)
def test_the_report_meets_the_expectation(sample: Sample) -> None:
    report = run(sample)
    assert "Traceback" not in report.err
    assert report.code in (0, 1), report.err
    assert unmet(sample, report) == [], f"{sample.expectation}\n\n{report.text}{report.err}"


def test_the_manifest_describes_every_sample_and_nothing_else() -> None:
    described = [sample.file for sample in samples()]
    assert len(described) == len(set(described))
    assert sorted(described) == sorted(path.name for path in SAMPLES.iterdir())
    assert len(described) >= 50
    for sample in samples():
        assert sample.source, sample.file
        assert sample.reassembled, sample.file
        assert sample.expectation, sample.file
        assert sample.log_format in ("text", "json", "app-json", "api-gateway"), sample.file
        assert sample.expect, f"{sample.file} has no expectation to hold it to"
