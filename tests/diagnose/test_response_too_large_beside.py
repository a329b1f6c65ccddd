"""A response over Lambda's 6 MB as API Gateway said it, with no request id, beside the one
invocation whose REPORT says `Runtime.ExitError`: that invocation's error is the response's
size, not a crash (tests/reallogs, PENDING.md N2). The lines are written here in Lambda's and
API Gateway's words, not taken from a log."""

from __future__ import annotations

from expect import has, lacks, run
from lambdalogs import FUNCTION, REGION

from lambdatop.commands.diagnose import evidence_from_export
from lambdatop.core.export import read_export
from lambdatop.diagnose.evidence import Evidence
from lambdatop.diagnose.model import CheckStatus

TOO_LARGE = (
    "Lambda Customer Function Error:Response payload size exceeded maximum allowed payload size"
    " (6291556 bytes).\n"
)


def _exit_error(n: int) -> str:
    rid = f"8b3e5f1a-4c2d-4e6f-8a0b-1c3d5e7f9a{n:02d}"
    return (
        f"2025-03-01T09:0{n}:00.000Z START RequestId: {rid} Version: $LATEST\n"
        f"2025-03-01T09:0{n + 1}:00.000Z REPORT RequestId: {rid}\tDuration: 9120.50 ms\t"
        "Billed Duration: 9121 ms\tMemory Size: 512 MB\tMax Memory Used: 250 MB\t"
        "Status: error\tError Type: Runtime.ExitError\n"
    )


def exported(text: str) -> Evidence:
    return evidence_from_export(
        read_export(text.encode()), function=FUNCTION, region=REGION, since_s=None
    )


def test_a_response_too_large_beside_one_failed_invocation_is_its_error() -> None:
    result = run(exported(TOO_LARGE + _exit_error(1)), "invocation_errors")
    assert result.status is CheckStatus.FAIL
    has(result.evidence, "Function.ResponseSizeTooLarge ×1")
    has(result.next_steps, "6 MB response limit")


def test_beside_several_failed_invocations_it_names_none_of_them() -> None:
    result = run(exported(TOO_LARGE + _exit_error(1) + _exit_error(3)), "invocation_errors")
    has(result.evidence, "Runtime.ExitError ×2")
    lacks(result.evidence, "Function.ResponseSizeTooLarge ×")
