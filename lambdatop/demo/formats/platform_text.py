"""Lambda's own lines in the Text log format: INIT_START, START, END, REPORT and friends.

REPORT fields are tab-separated `Key: value` pairs with a trailing tab, as Lambda writes them;
with active tracing an `XRAY ...` line follows inside the same event.
"""

from __future__ import annotations

from lambdatop.demo.formats.clock import billed_ms, iso_ms


def init_start(runtime_version: str, runtime_version_arn: str) -> str:
    return (
        f"INIT_START Runtime Version: {runtime_version}\t"
        f"Runtime Version ARN: {runtime_version_arn}\n"
    )


def init_report(duration_ms: float, phase: str, error_type: str | None) -> str:
    status = f"Status: error\tError Type: {error_type}" if error_type else "Status: success"
    return f"INIT_REPORT Init Duration: {duration_ms:.2f} ms\tPhase: {phase}\t{status}\n"


def restore_start(runtime_version: str, runtime_version_arn: str) -> str:
    return (
        f"RESTORE_START Runtime Version: {runtime_version}\t"
        f"Runtime Version ARN: {runtime_version_arn}\n"
    )


def restore_report(duration_ms: float) -> str:
    return f"RESTORE_REPORT Restore Duration: {duration_ms:.2f} ms\t\n"


def unknown_application_error(error_type: str) -> str:
    """What the platform writes after START when the invoke-phase init failed again."""
    return f"Unknown application error occurred\n{error_type}\n"


def start(request_id: str, version: str) -> str:
    return f"START RequestId: {request_id} Version: {version}\n"


def end(request_id: str) -> str:
    return f"END RequestId: {request_id}\n"


def report(
    request_id: str,
    duration_ms: float,
    memory_size_mb: int,
    max_memory_used_mb: int,
    init_duration_ms: float | None = None,
    restore_duration_ms: float | None = None,
    status: str | None = None,
    error_type: str | None = None,
    xray: tuple[str, str] | None = None,
) -> str:
    """The REPORT line; `xray` is (trace id, segment id) for traced functions."""
    billed = duration_ms + (init_duration_ms or 0.0)
    fields = [
        f"Duration: {duration_ms:.2f} ms",
        f"Billed Duration: {billed_ms(billed)} ms",
        f"Memory Size: {memory_size_mb} MB",
        f"Max Memory Used: {max_memory_used_mb} MB",
    ]
    if init_duration_ms is not None:
        fields.append(f"Init Duration: {init_duration_ms:.2f} ms")
    if restore_duration_ms is not None:
        # SnapStart bills the restore separately, and at a fraction of its wall time
        fields.append(f"Restore Duration: {restore_duration_ms:.2f} ms")
        fields.append(f"Billed Restore Duration: {billed_ms(restore_duration_ms * 0.55)} ms")
    if status is not None:
        fields.append(f"Status: {status}")
    if error_type is not None:
        fields.append(f"Error Type: {error_type}")
    line = f"REPORT RequestId: {request_id}\t" + "\t".join(fields) + "\t\n"
    if xray is not None:
        trace_id, segment_id = xray
        line += f"XRAY TraceId: {trace_id}\tSegmentId: {segment_id}\tSampled: true\t\n"
    return line


def task_timed_out(at: float, request_id: str, after_seconds: float) -> str:
    return f"{iso_ms(at)} {request_id} Task timed out after {after_seconds:.2f} seconds\n"


def runtime_killed(request_id: str) -> str:
    return (
        f"RequestId: {request_id} Error: Runtime exited with error: signal: killed\n"
        "Runtime.ExitError\n"
    )
