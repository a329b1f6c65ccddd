"""What several service-plane checks share: the verdict when no invocation completed."""

from __future__ import annotations

from lambdatop.diagnose.checks.base import Verdict
from lambdatop.diagnose.model import CheckStatus


def no_invocations(logs_read: bool) -> Verdict:
    """Cold starts, timeouts and memory are read from REPORT lines: without one, unknown."""
    return Verdict(
        CheckStatus.UNKNOWN,
        "No completed invocations in the window" if logs_read else "Logs not read",
    )
