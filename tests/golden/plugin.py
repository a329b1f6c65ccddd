"""Golden diagnoses: every Evidence a test hands to a check, with the full report made of it.

A refactoring aid, not part of `make test`. `make golden` records, at the commit where a
reshaping starts, each distinct (evidence, thresholds) the diagnose tests build, and the JSON,
Markdown and text reports the whole engine makes of it; `make golden-check` runs today's engine
over the same inputs and lists every report that changed, byte for byte.

An evidence is recorded after the reader and the pipeline made it: a change of theirs would
not show. So each export a test reads and makes an evidence of (`read_export`, then
`evidence_from_export`) is recorded too, as its bytes and the arguments, under DIR/exports,
with the reports of the evidence made of it: `make golden-check` reads it again, reader,
tracker and all. The real-log corpus's samples (tests/reallogs/samples), which its tests hand
to the command in a process of its own, are recorded so too.

    pytest tests/diagnose tests/core -p tests.golden.plugin --golden-record DIR
"""

from __future__ import annotations

import hashlib
import os
import pickle
import sys
from collections import OrderedDict
from pathlib import Path
from typing import Any

import pytest

_seen: set[str] = set()
_out: Path | None = None
_busy = False
_read: OrderedDict[int, tuple[Any, bytes, str | None]] = OrderedDict()
"""The last exports read, by id (each kept alive with its bytes while here, so no other
object takes its id): an evidence is made of an export just after it is read."""
_KEEP_READ = 8
_MAX_EXPORT = 1_000_000
"""Bigger exports are not recorded (a simulated half hour of a function is megabytes)."""
EXPORTS = "exports"
SAMPLES = Path(__file__).parent.parent / "reallogs" / "samples"


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
    from lambdatop.commands import diagnose as command
    from lambdatop.core import export

    (_out / EXPORTS).mkdir(exist_ok=True)
    _replace_everywhere(export.read_export, _reading(export.read_export))
    _replace_everywhere(
        command.evidence_from_export, _recording_export(command.evidence_from_export)
    )
    if not hasattr(config, "workerinput"):  # once, in the process that runs or shares the tests
        for sample in sorted(SAMPLES.iterdir()):
            os.environ["PYTEST_CURRENT_TEST"] = f"tests/reallogs/samples/{sample.name}"
            try:
                exported = export.read_export(sample.read_bytes())
            except export.ExportError:
                continue  # refused: the corpus's tests say whether it should be
            command.evidence_from_export(exported, function=None, region=None, since_s=None)
        os.environ.pop("PYTEST_CURRENT_TEST", None)


def _replace_everywhere(original: Any, wrapped: Any) -> None:
    """`original` replaced by `wrapped` in every module of lambdatop imported so far (each
    holds its own name for it); modules imported later take it from its own module."""
    for name, module in list(sys.modules.items()):
        if name == "lambdatop" or name.startswith("lambdatop."):
            for attribute, value in list(vars(module).items()):
                if value is original:
                    setattr(module, attribute, wrapped)


def _reading(read_export: Any) -> Any:
    def read(data: bytes, *, group: str | None = None) -> Any:
        exported = read_export(data, group=group)
        _read[id(exported)] = (exported, data, group)
        while len(_read) > _KEEP_READ:
            _read.popitem(last=False)
        return exported

    return read


def _recording_export(evidence_from_export: Any) -> Any:
    def made(exported: Any, **options: Any) -> Any:
        ev = evidence_from_export(exported, **options)
        read = _read.get(id(exported))
        if (
            read is not None
            and read[0] is exported
            and "ingest" not in options
            and len(read[1]) <= _MAX_EXPORT
        ):
            _record_export(read[1], read[2], options, ev)
        return ev

    return made


def _record_export(data: bytes, group: str | None, options: dict[str, Any], ev: Any) -> None:
    global _busy
    from lambdatop.diagnose.engine import diagnose
    from lambdatop.diagnose.thresholds import Thresholds

    assert _out is not None
    recorded = {"data": data, "group": group, "options": options}
    blob = pickle.dumps(recorded)
    key = hashlib.sha256(blob).hexdigest()[:20]
    folder = _out / EXPORTS
    if key in _seen or (folder / f"{key}.pickle").exists():
        return
    _seen.add(key)
    _busy = True  # its evidence is recorded here, not as one a test handed in
    try:
        reports = export_reports(diagnose(ev, Thresholds()))
    finally:
        _busy = False
    (folder / f"{key}.pickle").write_bytes(blob)
    (folder / f"{key}.reports.pickle").write_bytes(pickle.dumps(reports))
    (folder / f"{key}.test").write_text(os.environ.get("PYTEST_CURRENT_TEST", ""))


def export_reports(diagnosis: Any) -> dict[str, str]:
    from lambdatop.diagnose.render import to_json, to_markdown, to_text

    return {"json": to_json(diagnosis), "md": to_markdown(diagnosis), "txt": to_text(diagnosis)}


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

    assert _out is not None
    try:
        blob = pickle.dumps((ev, limits))
    except Exception:  # noqa: BLE001 - an evidence that cannot be pickled is skipped
        return
    key = hashlib.sha256(blob).hexdigest()[:20]
    if key in _seen or (_out / f"{key}.pickle").exists():
        return
    _seen.add(key)
    reports = export_reports(diagnose(ev, limits))
    (_out / f"{key}.pickle").write_bytes(blob)
    (_out / f"{key}.reports.pickle").write_bytes(pickle.dumps(reports))
    (_out / f"{key}.test").write_text(os.environ.get("PYTEST_CURRENT_TEST", ""))
