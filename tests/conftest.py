"""Shared test set-up: the Lambda log factory (tests/diagnose/lambdalogs.py) and the terminal
helpers (tests/ptyterm.py) are importable from every test folder, whatever pytest's import mode."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent / "diagnose"))
sys.path.append(str(Path(__file__).parent))  # tests/ptyterm.py
