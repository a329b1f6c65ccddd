"""What the command loads before it answers: `--version` and every `--help` load nothing but
the standard library and the argument parser, and `diagnose --logs` reads an export without the
monitor's Textual or the AWS layer. Checked in a fresh interpreter, from `sys.modules` after the
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
    return result["code"], {name.split(".")[0] for name in result["modules"]}


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
