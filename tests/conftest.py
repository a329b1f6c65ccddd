"""Shared test set-up: the Lambda log factory (tests/diagnose/lambdalogs.py) is importable from
tests/diagnose and tests/cli alike, whatever pytest's import mode."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent / "diagnose"))
