"""What the command loads before it answers: `--version` and every `--help` load nothing but
the standard library and the argument parser, and `diagnose --logs` reads an export without the
monitor's Textual or the AWS layer, and the monitor's first frame waits for neither the checks
nor Logs Insights' figures. Checked in a fresh interpreter, from `sys.modules` after the
command ran (as harlequin's tests/unit_tests/test_import_hygiene.py does)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

RUN_AND_LIST_MODULES = """
import json, sys
from lambdatop.cli import main
try:
    code = main(sys.argv[2:])
except SystemExit as stop:
    code = stop.code
with open(sys.argv[1], "w", encoding="utf-8") as out:
    json.dump({"code": code, "modules": sorted(sys.modules)}, out)
"""
HEAVY = ("textual", "aiobotocore", "botocore", "boto3", "aiohttp", "pydantic", "rich")
# One invocation, with its START, END and REPORT lines: a report `diagnose --logs` can print.
EXPORT = "\n".join(
    (
        "START RequestId: 8f5c Version: $LATEST",
        "END RequestId: 8f5c",
        "REPORT RequestId: 8f5c\tDuration: 12.00 ms\tBilled Duration: 12 ms\t"
        "Memory Size: 128 MB\tMax Memory Used: 60 MB",
    )
)


def loaded(tmp_path: Path, *args: str) -> tuple[int, set[str]]:
    """The exit code and the top-level packages in `sys.modules` after `lambdatop ARGS`."""
    code, modules = loaded_modules(tmp_path, *args)
    return code, {name.split(".")[0] for name in modules}


def loaded_modules(tmp_path: Path, *args: str) -> tuple[int, set[str]]:
    """The exit code and every module in `sys.modules` after `lambdatop ARGS`."""
    listing = tmp_path / "modules.json"
    env = {"HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path / "config"), "PATH": "/bin"}
    subprocess.run(
        [sys.executable, "-c", RUN_AND_LIST_MODULES, str(listing), *args],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        check=False,
        timeout=60,
    )
    result = json.loads(listing.read_text(encoding="utf-8"))
    return result["code"], set(result["modules"])


@pytest.mark.parametrize(
    "args",
    [
        ("--version",),
        ("--help",),
        ("diagnose", "--help"),
        ("tail", "--help"),
        ("demo", "--help"),
    ],
    ids=" ".join,
)
def test_version_and_help_load_nothing_heavy(tmp_path: Path, args: tuple[str, ...]) -> None:
    code, modules = loaded(tmp_path, *args)
    assert code == 0
    assert not modules & set(HEAVY)


def test_a_usage_error_loads_nothing_heavy(tmp_path: Path) -> None:
    code, modules = loaded(tmp_path, "diagnose", "--format", "yaml")
    assert code == 2
    assert not modules & set(HEAVY)


def test_diagnosing_an_export_loads_neither_textual_nor_the_aws_layer(tmp_path: Path) -> None:
    export = tmp_path / "export.log"
    export.write_text(EXPORT, encoding="utf-8")
    code, modules = loaded(tmp_path, "diagnose", "--logs", str(export))
    assert code == 0  # the report was made: one healthy invocation
    assert not modules & set(HEAVY)


# What `diagnose --logs` leaves out: the Insights queries (aggregate.py builds them at import),
# the redactor unless asked, and pathlib with what it imports.
NOT_FOR_AN_UNMASKED_EXPORT = ("lambdatop.core.aggregate", "lambdatop.core.redact", "pathlib")


def test_an_export_is_diagnosed_without_insights_the_redactor_or_pathlib(tmp_path: Path) -> None:
    export = tmp_path / "export.log"
    export.write_text(EXPORT, encoding="utf-8")
    code, modules = loaded_modules(tmp_path, "diagnose", "--logs", str(export))
    assert code == 0
    assert "lambdatop.diagnose.checks.memory" in modules  # the checks ran
    assert not modules & set(NOT_FOR_AN_UNMASKED_EXPORT)
    code, modules = loaded_modules(tmp_path, "diagnose", "--logs", str(export), "--redact")
    assert code == 0
    assert "lambdatop.core.redact" in modules


LIST_THE_MONITORS_MODULES = """
import json, sys
import lambdatop.commands.monitor, lambdatop.ui.app
json.dump(sorted(sys.modules), open(sys.argv[1], "w", encoding="utf-8"))
"""


def test_the_monitor_starts_without_the_checks_or_insights(tmp_path: Path) -> None:
    """What runs before the monitor's first frame: the checks load with the first diagnosis,
    Insights' figures with the AWS monitor (after the first frame)."""
    listing = tmp_path / "modules.json"
    subprocess.run(
        [sys.executable, "-c", LIST_THE_MONITORS_MODULES, str(listing)], check=True, timeout=60
    )
    modules = set(json.loads(listing.read_text(encoding="utf-8")))
    assert "lambdatop.ui.screens.incident" in modules
    assert not {m for m in modules if m.startswith("lambdatop.diagnose.checks")}
    assert "lambdatop.diagnose.engine" not in modules
    assert "lambdatop.core.aggregate" not in modules
