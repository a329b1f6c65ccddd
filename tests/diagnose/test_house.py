"""The diagnosis stays readable: short functions, and every check declared once."""

from __future__ import annotations

import ast
from pathlib import Path

import lambdatop.diagnose
from lambdatop.diagnose.engine import CHECKS

MAX_LINES = 60
PACKAGE = Path(lambdatop.diagnose.__file__).parent


def _long_functions() -> dict[str, int]:
    found: dict[str, int] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                length = (node.end_lineno or node.lineno) - node.lineno + 1
                if length > MAX_LINES:
                    found[f"{path.relative_to(PACKAGE)}:{node.name}"] = length
    return found


def test_no_function_in_the_diagnosis_is_over_sixty_lines() -> None:
    assert _long_functions() == {}


def test_every_check_is_declared_once_with_a_unique_id() -> None:
    ids = [check.id for check in CHECKS]
    assert len(ids) == len(set(ids)) == 14
