"""Init errors whose own words name their cause: SDK v2's `aws-sdk` missing on the Node.js
runtimes that hold v3 only, an ES module loaded as CommonJS, an entrypoint Lambda could not
start, and a module, class or assembly the handler setting names that the package does not
hold. Each is advised as that cause, beside the roll-back (tests/reallogs, PENDING.md N4). The
lines are written here in the runtimes' words, not taken from a log."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from expect import has, lacks, run
from lambdalogs import FUNCTION, REGION

from lambdatop.commands.diagnose import evidence_from_export
from lambdatop.core.export import read_export
from lambdatop.diagnose.checks import invocation_errors
from lambdatop.diagnose.evidence import Evidence
from lambdatop.diagnose.model import CheckStatus

sys.path.insert(0, str(Path(__file__).parent.parent / "reallogs"))
from advice import problems_of_command

RID = "5d2c8e14-7a3b-4f61-9c0d-2e4f6a8b1c3d"
HANDLER = f"get-function-configuration --function-name {FUNCTION} --query Handler"


def exported(text: str) -> Evidence:
    return evidence_from_export(
        read_export(text.encode()), function=FUNCTION, region=REGION, since_s=None
    )


def _failed_init(error: str) -> str:
    """One invocation whose init failed with `error`, as a Node.js runtime logs it."""
    return (
        f"2025-06-02T08:00:00.000Z\tundefined\tERROR\tUncaught Exception \t{error}\n"
        f"2025-06-02T08:00:00.200Z START RequestId: {RID} Version: $LATEST\n"
        f"2025-06-02T08:01:00.000Z END RequestId: {RID}\n"
        f"2025-06-02T08:01:00.000Z REPORT RequestId: {RID}\t"
        "Duration: 310.22 ms\tBilled Duration: 311 ms\t"
        "Memory Size: 256 MB\tMax Memory Used: 71 MB\tStatus: error\t"
        "Error Type: Runtime.ImportModuleError\n"
    )


SDK_V2 = (
    '{"errorType":"Runtime.ImportModuleError","errorMessage":"Error: Cannot find module'
    " 'aws-sdk'\\nRequire stack:\\n- /var/task/app.js\\n- /var/runtime/index.mjs\"}"
)
ESM = (
    '{"errorType":"Runtime.UserCodeSyntaxError","errorMessage":"SyntaxError: Cannot use import'
    ' statement outside a module"}'
)
OTHER_MODULE = (
    '{"errorType":"Runtime.ImportModuleError","errorMessage":"Error: Cannot find module'
    " 'pg'\\nRequire stack:\\n- /var/task/app.js\"}"
)


@pytest.mark.parametrize(
    ("error", "said"),
    [
        (SDK_V2, ("SDK for JavaScript v3 only", "bundle aws-sdk")),
        (ESM, (".mjs", '"type": "module"')),
    ],
    ids=["aws-sdk-v2", "esm-as-commonjs"],
)
def test_an_init_error_naming_its_cause_is_advised_as_that_cause(
    error: str, said: tuple[str, ...]
) -> None:
    result = run(exported(_failed_init(error)), "invocation_errors")
    assert result.status is CheckStatus.FAIL
    has(result.next_steps, *said, "roll back")


def test_another_missing_module_is_not_called_the_sdk() -> None:
    result = run(exported(_failed_init(OTHER_MODULE)), "invocation_errors")
    assert result.status is CheckStatus.FAIL
    lacks(result.next_steps, "aws-sdk", ".mjs")
    has(result.next_steps, invocation_errors.ROLL_BACK_DEPLOY.text)


def test_an_entrypoint_lambda_could_not_start_is_the_images_or_the_bootstrap() -> None:
    report = (
        f"2025-06-02T08:00:00.000Z START RequestId: {RID} Version: $LATEST\n"
        f"2025-06-02T08:01:00.000Z REPORT RequestId: {RID}\t"
        "Duration: 11.40 ms\tBilled Duration: 12 ms\t"
        "Memory Size: 128 MB\tMax Memory Used: 10 MB\tStatus: error\t"
        "Error Type: Runtime.InvalidEntrypoint\n"
    )
    result = run(exported(report), "invocation_errors")
    assert result.status is CheckStatus.FAIL
    has(result.next_steps, "ENTRYPOINT", "bootstrap", "chmod 755")


@pytest.mark.parametrize(
    "error",
    [
        "Unable to import module 'index': Error",
        "Class not found: om.example.orders.Handler: java.lang.ClassNotFoundException",
        "Amazon.Lambda.RuntimeSupport.ExceptionHandling.LambdaValidationException: Could not"
        " find the specified handler assembly with the file name 'Orders'.",
    ],
    ids=["node-module", "java-class", "dotnet-assembly"],
)
def test_an_init_error_naming_the_handlers_target_shows_the_handler_setting(error: str) -> None:
    result = run(exported(_failed_init(error)), "invocation_errors")
    handler = [s for s in result.next_steps if HANDLER in s]
    assert handler, result.next_steps
    assert not problems_of_command(handler[0].removeprefix("$ ").strip())


def test_an_init_error_naming_no_handler_target_does_not_show_the_setting() -> None:
    result = run(exported(_failed_init(ESM)), "invocation_errors")
    lacks(result.next_steps, "--query Handler")
