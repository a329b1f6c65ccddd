"""`lambdatop [FUNCTION ...]`: the monitor (the TUI), against AWS or the simulated account."""

from __future__ import annotations

import argparse

from lambdatop.cli import fail


def run_monitor(args: argparse.Namespace) -> int:
    return fail("the monitor (TUI) is not built yet: use `lambdatop diagnose` or `lambdatop tail`")


def run_demo_monitor(args: argparse.Namespace) -> int:
    return fail("the monitor (TUI) is not built yet: run `lambdatop demo --no-ui`")
