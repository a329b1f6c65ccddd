"""Golden diagnoses: every Evidence a test hands to a check, with the full report made of it.

A refactoring aid, not part of `make test`. `make golden` records, at the commit where a
reshaping starts, each distinct (evidence, thresholds) the diagnose tests build, and the JSON,
Markdown and text reports the whole engine makes of it; `make golden-check` runs today's engine
over the same inputs and lists every report that changed, byte for byte.

    pytest tests/diagnose tests/core -p tests.golden.plugin --golden-record DIR
"""

from __future__ import annotations

import hashlib
import os
import pickle
from pathlib import Path
from typing import Any

import pytest

_seen: set[str] = set()
_out: Path | None = None
_busy = False


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--golden-record", default=None, help="record golden diagnoses into DIR")


def pytest_configure(config: pytest.Config) -> None:
    global _out
    target = config.getoption("--golden-record")
    if not target:
        return
    _out = Path(target)
    _out.mkdir(parents=True, exist_ok=True)
    from dataclasses import replace

    from lambdatop.diagnose import engine

    # every check measures the evidence first: recording there sees each evidence a test hands in
    engine.CHECKS = tuple(  # type: ignore[misc]
        replace(check, measure=_recording(check.measure)) for check in engine.CHECKS
    )


def _recording(check: Any) -> Any:
    def run(ev: Any, limits: Any) -> Any:
        global _busy
        if not _busy:
            _busy = True
            try:
                _record(ev, limits)
            finally:
                _busy = False
        return check(ev, limits)

    return run


def _record(ev: Any, limits: Any) -> None:
    from lambdatop.diagnose.engine import diagnose
    from lambdatop.diagnose.render import to_json, to_markdown, to_text

    assert _out is not None
    try:
        blob = pickle.dumps((ev, limits))
    except Exception:  # noqa: BLE001 - an evidence that cannot be pickled is skipped
        return
    key = hashlib.sha256(blob).hexdigest()[:20]
    if key in _seen or (_out / f"{key}.pickle").exists():
        return
    _seen.add(key)
    diagnosis = diagnose(ev, limits)
    reports = {"json": to_json(diagnosis), "md": to_markdown(diagnosis), "txt": to_text(diagnosis)}
    (_out / f"{key}.pickle").write_bytes(blob)
    (_out / f"{key}.reports.pickle").write_bytes(pickle.dumps(reports))
    (_out / f"{key}.test").write_text(os.environ.get("PYTEST_CURRENT_TEST", ""))
