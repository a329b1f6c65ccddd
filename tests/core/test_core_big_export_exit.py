"""After a big export's report, `lambdatop diagnose --logs` ends at once (`os._exit`, nothing
freed): the real command still prints the report the straightforward way gives, its notes,
and the exit code that says whether a check failed."""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from lambdatop.commands.diagnose import (
    _export_pipeline,
    _say_what_the_window_leaves_out,
    _windowed,
)
from lambdatop.core.bulk import PARALLEL_MIN_EVENTS, ingest_every_line
from lambdatop.core.export import read_export
from lambdatop.diagnose.engine import diagnose
from lambdatop.diagnose.render import to_json, to_text
from lambdatop.exit_codes import EXIT_FAILED, EXIT_OK

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
bench_corpus = importlib.import_module("bench.corpus")

_BIN = Path(sys.executable).parent / "lambdatop"
COMMAND = [str(_BIN)] if _BIN.exists() else [sys.executable, "-m", "lambdatop"]


@pytest.fixture(scope="module")
def big_export(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("export") / "export.json"
    path.write_text(bench_corpus.export(PARALLEL_MIN_EVENTS + 5_000), encoding="utf-8")
    return path


def expected(path: Path, since_s: float | None, form: str) -> tuple[int, str]:
    """The exit code and report of the straightforward way, in-process."""
    exported = read_export(path.read_bytes())
    pipeline = _export_pipeline()
    ingest_every_line(pipeline, exported)
    evidence = _windowed(pipeline, exported, function=None, region=None, since_s=since_s)
    diagnosis = diagnose(evidence)
    report = to_json(diagnosis) + "\n" if form == "json" else to_text(diagnosis, colour=False)
    return (EXIT_FAILED if diagnosis.failed else EXIT_OK), report


def run(path: Path, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LAMBDATOP_", "AWS_"))}
    env["XDG_CONFIG_HOME"] = str(tmp_path / "config")  # no user settings leak in
    return subprocess.run(
        [*COMMAND, "diagnose", "--logs", str(path), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


def test_a_big_exports_report_and_exit_code_are_the_straightforward_ones(
    big_export: Path, tmp_path: Path
) -> None:
    done = run(big_export, tmp_path, "--format", "json")
    code, report = expected(big_export, None, "json")
    assert json.loads(done.stdout)["checks"]  # a report, not an empty output
    assert (done.returncode, done.stdout, done.stderr) == (code, report, "")


def test_a_big_exports_notes_on_stderr_are_printed_too(
    big_export: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    done = run(big_export, tmp_path, "--since", "1m")
    code, report = expected(big_export, 60.0, "text")
    exported = read_export(big_export.read_bytes())
    pipeline = _export_pipeline()
    ingest_every_line(pipeline, exported)
    evidence = _windowed(pipeline, exported, function=None, region=None, since_s=60.0)
    capsys.readouterr()
    _say_what_the_window_leaves_out(pipeline, evidence, "1m")
    note = capsys.readouterr().err
    assert "leaves out the export's first" in note
    assert (done.returncode, done.stdout, done.stderr) == (code, report, note)
