"""Two families the real-log corpus showed (tests/reallogs, the samples added on branch
`initlogs`), each held here by lines written for these tests, not the samples':

- native code the loader cannot start (a glibc newer than the runtime's, an ELF header or class
  of another platform, a shared library the runtime lacks) is named as the cause, with the
  runtime's glibc and the fix for the language it was built in; an extension that crashes is
  advised as an extension, not as the function's package;
- an init that takes the whole timeout: a re-init after a crash (a suppressed init) counts
  against the timeout, told apart from slow work, with both figures and a timeout with room.
"""

from __future__ import annotations

from expect import FAIL, OK, WARN, config, has, lacks, run
from lambdalogs import FUNCTION, REGION

from lambdatop.commands.diagnose import evidence_from_export
from lambdatop.core.export import read_export
from lambdatop.diagnose.evidence import Evidence

RID = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
RID2 = "5f4e3d2c-1b0a-4f9e-8d7c-6b5a4f3e2d1c"
RID3 = "9a8b7c6d-5e4f-4d3c-8b2a-1f0e9d8c7b6a"


def exported(text: str) -> Evidence:
    return evidence_from_export(
        read_export(text.encode()), function=FUNCTION, region=REGION, since_s=None
    )


def started(line: str, runtime: str = "python:3.11.v60") -> str:
    """One line of a failed init, after its environment's INIT_START (a while before: the
    window is then wider than a minute, as the commands' are)."""
    return (
        f"2026-06-01T09:58:00.000Z INIT_START Runtime Version: {runtime}\tRuntime Version ARN: x\n"
        f"2026-06-01T10:00:00.010Z {line}\n"
    )


def failed_start(*loader: str, runtime: str = "provided:al2.v41") -> str:
    """An environment whose init and its retry inside the invocation print the loader's lines
    and fail, then the invocation's own failure, as Lambda writes them."""
    said = "".join(f"2026-06-01T10:00:00.{10 + i:03d}Z {line}\n" for i, line in enumerate(loader))
    return (
        f"2026-06-01T09:58:00.001Z INIT_START Runtime Version: {runtime}\tRuntime Version ARN: x\n"
        f"{said}"
        "2026-06-01T10:00:00.100Z INIT_REPORT Init Duration: 6.10 ms\tPhase: init\tStatus: error"
        "\tError Type: Runtime.ExitError\n"
        f"{said.replace('T10:00:00.', 'T10:00:01.')}"
        "2026-06-01T10:00:01.100Z INIT_REPORT Init Duration: 7.20 ms\tPhase: invoke\t"
        "Status: error\tError Type: Runtime.ExitError\n"
        f"2026-06-01T10:00:01.101Z START RequestId: {RID} Version: $LATEST\n"
        f"2026-06-01T10:00:01.102Z RequestId: {RID} Error: Runtime exited with error: exit status 1"
        "\nRuntime.ExitError\n"
        f"2026-06-01T10:00:01.103Z END RequestId: {RID}\n"
        f"2026-06-01T10:00:01.104Z REPORT RequestId: {RID}\tDuration: 8.00 ms"
        "\tBilled Duration: 9 ms\tMemory Size: 128 MB\tMax Memory Used: 3 MB\n"
    )


# --- native code that cannot start -----------------------------------------------------------


def test_a_glibc_the_runtime_lacks_is_the_cause_with_both_runtimes_glibc_and_the_fix() -> None:
    ev = exported(
        failed_start(
            "/var/task/bootstrap: /lib64/libc.so.6: version `GLIBC_2.28' not found (required by"
            " /var/task/bootstrap)",
            "/var/task/bootstrap: /lib64/libc.so.6: version `GLIBC_2.33' not found (required by"
            " /var/task/bootstrap)",
        )
    )
    errors = run(ev, "invocation_errors")
    assert errors.status is FAIL
    # The newest version asked for is the one to build for.
    has([errors.title], "GLIBC_2.33 not found")
    has(errors.evidence, "`GLIBC_2.33' not found", "glibc 2.26", "glibc 2.34")
    # 2.33 is within Amazon Linux 2023's 2.34: moving there fixes it, as does building for 2.26.
    has(errors.next_steps, "provided.al2023", "x86_64-unknown-linux-gnu.2.26")
    has(errors.commands, "--filter-pattern '\"GLIBC_2.33\"'")
    lacks(errors.next_steps, "check the package contents and the handler setting", "pip install")


def test_a_glibc_no_runtime_has_is_not_fixed_by_moving_runtime() -> None:
    ev = exported(
        failed_start(
            "/var/task/bootstrap: /usr/lib64/libc.so.6: version `GLIBC_2.38' not found (required"
            " by /var/task/bootstrap)",
            runtime="provided:al2023.v80",
        )
    )
    errors = run(ev, "invocation_errors")
    has(errors.next_steps, "no Lambda runtime has glibc 2.38")
    lacks(errors.next_steps, "move the function")


def test_a_python_wheel_built_for_a_newer_glibc_is_fixed_with_the_runtimes_wheels() -> None:
    line = (
        "[ERROR] Runtime.ImportModuleError: Unable to import module 'app': /lib64/libc.so.6:"
        " version `GLIBC_2.28' not found (required by"
        " /var/task/pydantic_core/_pydantic_core.cpython-311-x86_64-linux-gnu.so)"
    )
    ev = exported(started(line))
    errors = run(ev, "invocation_errors")
    assert errors.status is FAIL
    has([errors.title], "GLIBC_2.28 not found")
    has(errors.next_steps, "manylinux2014_x86_64", "--only-binary=:all:", "python3.12 or later")
    lacks(errors.next_steps, "cargo lambda", "provided.al2023")


def test_a_node_addon_built_on_another_os_is_named_and_searched() -> None:
    document = (
        '{"errorType":"Error","errorMessage":"/var/task/node_modules/argon2/build/Release/'
        'argon2.node: invalid ELF header","code":"ERR_DLOPEN_FAILED"}'
    )
    ev = exported(started(f"undefined\tERROR\tUncaught Exception \t{document}", "nodejs:18.v40"))
    errors = run(ev, "invocation_errors")
    assert errors.status is FAIL
    has([errors.title], "invalid ELF header")
    has(errors.evidence, "built on another OS")
    has(errors.next_steps, "npm install", "Linux container")
    has(errors.commands, "--filter-pattern '\"invalid ELF header\"'")


def test_a_shared_library_the_runtime_lacks_is_named_with_where_to_bundle_it() -> None:
    line = (
        "[ERROR] Runtime.ImportModuleError: Unable to import module 'app': libGL.so.1: cannot open"
        " shared object file: No such file or directory"
    )
    ev = exported(started(line))
    errors = run(ev, "invocation_errors")
    has([errors.title], "libGL.so.1 not found")
    has(errors.next_steps, "bundle libGL.so.1", "LD_LIBRARY_PATH")


def test_a_compiled_module_missing_from_the_package_is_not_called_a_system_library() -> None:
    line = (
        "[ERROR] Runtime.ImportModuleError: Unable to import module 'app': Cannot load native"
        " module 'Crypto.Cipher._raw_aes': /var/task/Crypto/Util/../Cipher/_raw_aes.abi3.so:"
        " cannot open shared object file: No such file or directory"
    )
    errors = run(exported(started(line)), "invocation_errors")
    has([errors.title], "_raw_aes.abi3.so not found (the package's compiled module is missing)")
    has(errors.next_steps, "manylinux2014_x86_64")
    lacks(errors.next_steps, "LD_LIBRARY_PATH")


def test_an_import_error_without_a_native_cause_keeps_the_deploy_advice() -> None:
    line = "[ERROR] Runtime.ImportModuleError: Unable to import module 'app': No module named 'x'"
    errors = run(exported(started(line)), "invocation_errors")
    has([errors.title], "Runtime.ImportModuleError")
    has(errors.next_steps, "check the package contents and the handler setting")
    lacks(errors.evidence, "glibc", "ELF")


def test_an_extension_that_crashes_is_advised_as_an_extension() -> None:
    text = (
        "2026-06-01T09:58:00.001Z INIT_START Runtime Version: java:17.v40\tRuntime Version ARN: x\n"
        "2026-06-01T10:00:00.050Z EXTENSION\tName: telemetry-agent\tState: Started\tEvents: []\n"
        "2026-06-01T10:00:00.060Z INIT_REPORT Init Duration: 59.00 ms\tPhase: init\t"
        "Status: error\tError Type: Extension.Crash\n"
    )
    errors = run(exported(text), "invocation_errors")
    assert errors.status is FAIL
    has([errors.title], "Extension.Crash")
    # Named by its EXTENSION line (PENDING 21): its layer and settings, not the deploy.
    has(errors.next_steps, "the telemetry-agent extension crashed: check its layer", "Layers")
    lacks(errors.next_steps, "check the package contents and the handler setting")


# --- an init that takes the whole timeout ----------------------------------------------------


def report(rid: str, at: str, duration_ms: float, tail: str = "") -> str:
    return (
        f"{at} REPORT RequestId: {rid}\tDuration: {duration_ms:.2f} ms\tBilled Duration:"
        f" {int(duration_ms) + 1} ms\tMemory Size: 512 MB\tMax Memory Used: 90 MB{tail}\n"
    )


def invocation(rid: str, at: str, duration_ms: float, tail: str = "") -> str:
    return f"{at} START RequestId: {rid} Version: $LATEST\n{at} END RequestId: {rid}\n" + report(
        rid, at, duration_ms, tail
    )


def test_a_timeout_shorter_than_the_init_is_told_apart_from_slow_work() -> None:
    text = (
        invocation(RID, "2026-06-01T10:00:00.000Z", 12.0, "\tInit Duration: 4210.00 ms")
        + invocation(RID2, "2026-06-01T10:01:00.000Z", 9.0)
        + invocation(RID3, "2026-06-01T10:03:00.000Z", 4000.0, "\tStatus: timeout")
    )
    timeout = run(exported(text), "timeout")
    assert timeout.status is FAIL
    # The timeout is read from the REPORT that says it stopped there: 4 s, under the 4.2 s init.
    has([timeout.title], "timed out", "the init (4.2 s) takes the whole timeout")
    has(
        timeout.evidence,
        "init took up to 4.2 s, the timeout is 4.0 s",
        "counts against the timeout",
    )
    has(timeout.next_steps, "give the timeout room for the init", "--timeout 7")
    # The work takes 12 ms: what the invocation waited on is not the question.
    lacks(timeout.next_steps, "find what the timed-out invocations wait on")
    has(timeout.commands, '--filter-pattern \'?"Task timed out" ?"Status: timeout"\'')


def test_slow_work_that_times_out_after_a_quick_init_is_not_put_on_the_init() -> None:
    text = invocation(
        RID, "2026-06-01T10:00:00.000Z", 900.0, "\tInit Duration: 310.00 ms"
    ) + invocation(RID2, "2026-06-01T10:01:00.000Z", 3000.0, "\tStatus: timeout")
    timeout = run(exported(text), "timeout")
    assert timeout.status is FAIL
    lacks([timeout.title, *timeout.evidence], "takes the whole timeout", "counts against")
    has(timeout.next_steps, "find what the timed-out invocations wait on")


def test_a_configured_timeout_shorter_than_the_init_warns_before_any_crash() -> None:
    text = invocation(RID, "2026-06-01T10:00:00.000Z", 40.0, "\tInit Duration: 3300.00 ms")
    text += invocation(RID2, "2026-06-01T10:01:00.000Z", 35.0)
    ev = exported(text)
    ev.config = config(timeout_s=3.0)
    timeout = run(ev, "timeout")
    assert timeout.status is WARN
    has([timeout.title], "Init (3.3 s) longer than the 3.0 s timeout")
    has(timeout.evidence, "counts against the timeout")
    has(timeout.commands, "--timeout 6")
    ev.config = config(timeout_s=10.0)
    assert run(ev, "timeout").status is OK


def test_an_init_past_10_s_is_said_to_run_again_inside_the_invocation() -> None:
    text = (
        "2026-06-01T09:58:00.001Z INIT_START Runtime Version: python:3.12.v50\t"
        "Runtime Version ARN: x\n"
        "2026-06-01T10:00:10.001Z INIT_REPORT Init Duration: 9999.80 ms\tPhase: init\t"
        "Status: timeout\n"
    ) + invocation(RID, "2026-06-01T10:00:25.000Z", 14800.0)
    cold = run(exported(text), "cold_start")
    assert cold.status is FAIL
    has(cold.evidence, "run again inside the invocation, against its timeout")
