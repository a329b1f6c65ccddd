"""An execution environment's fixed limits: a full /tmp, 1,024 file descriptors, 1,024 processes
and threads. Runtimes fail on them with their own words (`ENOSPC`, `Too many open files`, the
JVM's `OutOfMemoryError: unable to create native thread`), and the fix is never more memory:
the diagnosis names the limit, and a thread the JVM could not start is not counted out of
memory. The lines are written here in each runtime's words (the JDK's, Node.js's, Python's and
Go's own messages), not taken from a log."""

from __future__ import annotations

import sys
from pathlib import Path

from expect import config, has, lacks, run
from lambdalogs import FUNCTION, REGION

from lambdatop.commands.diagnose import evidence_from_export
from lambdatop.core.classify import classify
from lambdatop.core.export import read_export
from lambdatop.core.records import ErrorFamily
from lambdatop.diagnose.evidence import Evidence
from lambdatop.diagnose.model import CheckStatus

sys.path.insert(0, str(Path(__file__).parent.parent / "reallogs"))
from advice import problems_of_command


def _rid(n: int) -> str:
    return f"6a1e3f7c-2b1d-4c8e-9f0a-3b5c7d9e1f{n:02d}"


def _invocation(n: int, *lines: str, used_mb: int = 140, size_mb: int = 512) -> str:
    rid = _rid(n)
    report = (
        f"REPORT RequestId: {rid}\tDuration: 812.33 ms\tBilled Duration: 813 ms\t"
        f"Memory Size: {size_mb} MB\tMax Memory Used: {used_mb} MB\t"
    )
    at = f"2026-12-07T10:{n:02d}"  # a minute apart: the window is wider than the narrowest
    # Each event begins with its time, as `aws logs tail` prints it; a traceback's lines follow.
    body = "".join(f"{at}:01.000Z " + line.format(rid=rid) + "\n" for line in lines)
    return (
        f"{at}:00.000Z START RequestId: {rid} Version: $LATEST\n{body}"
        f"{at}:02.000Z END RequestId: {rid}\n{at}:02.000Z {report}\n"
    )


NODE_ENOSPC = (
    "{rid}\tERROR\tInvoke Error \t"
    '{{"errorType":"Error","errorMessage":"ENOSPC: no space left on device, write",'
    '"code":"ENOSPC","errno":-28,"syscall":"write","stack":["Error: ENOSPC: no space left on'
    ' device, write"]}}'
)
PYTHON_EMFILE = (
    "[ERROR] OSError: [Errno 24] Too many open files: '/tmp/report.csv'\n"
    "Traceback (most recent call last):\n"
    '  File "/var/task/app.py", line 18, in handler\n'
    "    with open(path) as f:"
)
JAVA_THREADS = (
    'Exception in thread "main" java.lang.OutOfMemoryError: unable to create native thread:'
    " possibly out of memory or process/resource limits reached\n"
    "\tat java.base/java.lang.Thread.start0(Native Method)\n"
    "\tat java.base/java.lang.Thread.start(Unknown Source)\n"
    "\tat com.example.Handler.handleRequest(Handler.java:42)"
)
PYTHON_THREADS = (
    "[ERROR] RuntimeError: can't start new thread\n"
    "Traceback (most recent call last):\n"
    '  File "/var/task/app.py", line 31, in handler\n'
    "    pool.submit(fetch, url)"
)


def exported(text: str, **settings: object) -> Evidence:
    ev = evidence_from_export(
        read_export(text.encode()), function=FUNCTION, region=REGION, since_s=None
    )
    if settings:
        ev.config = config(**settings)
    return ev


def test_a_full_tmp_is_named_with_its_size_and_a_bigger_one() -> None:
    logs = _invocation(1, NODE_ENOSPC) + _invocation(2, NODE_ENOSPC) + _invocation(3)
    result = run(exported(logs, ephemeral_storage_mb=512), "invocation_errors")
    assert result.status is CheckStatus.FAIL
    # `Error` says nothing: the title says what the errors were.
    assert result.title == "2 of 3 invocations failed (67 %): a full /tmp (×2)"
    has(result.evidence, "2 invocations failed on a full /tmp", "ephemeral storage")
    has(result.next_steps, "--query EphemeralStorage", "--ephemeral-storage Size=2048")
    lacks(result.next_steps, "--memory-size")
    assert run(exported(logs), "memory").status is CheckStatus.OK


def test_a_tmp_already_at_its_most_is_not_raised() -> None:
    logs = _invocation(1, NODE_ENOSPC) + _invocation(5)
    most = run(exported(logs, ephemeral_storage_mb=10_240), "invocation_errors")
    has(most.next_steps, "delete what an invocation writes to /tmp")
    lacks(most.next_steps, "--ephemeral-storage")
    bigger = run(exported(logs, ephemeral_storage_mb=4096), "invocation_errors")
    has(bigger.next_steps, "--ephemeral-storage Size=8192")


def test_too_many_open_files_is_lambda_s_limit_not_the_code_s_memory() -> None:
    result = run(exported(_invocation(1, PYTHON_EMFILE) + _invocation(5)), "invocation_errors")
    assert result.title.endswith(": too many open files (×1)")
    has(result.evidence, "1,024 file descriptors", "cannot be raised")
    has(result.next_steps, "create SDK and HTTP clients once")
    lacks(result.next_steps, "--ephemeral-storage", "--memory-size")


def _family(line: str) -> ErrorFamily | None:
    found = classify(line)
    return None if found is None else found.family


def test_a_thread_the_jvm_could_not_start_is_not_out_of_memory() -> None:
    assert _family(JAVA_THREADS) is not ErrorFamily.OUT_OF_MEMORY
    heap = 'Exception in thread "main" java.lang.OutOfMemoryError: Java heap space'
    assert _family(heap) is ErrorFamily.OUT_OF_MEMORY
    logs = _invocation(1, JAVA_THREADS, used_mb=640, size_mb=2048) + _invocation(5, size_mb=2048)
    ev = exported(logs, memory_mb=2048)
    assert not ev.complete.ran_out_of_memory
    assert len(ev.complete.failed) == 1
    memory = run(ev, "memory")
    assert memory.status is CheckStatus.OK, memory.title
    lacks(memory.next_steps, "--memory-size")
    errors = run(ev, "invocation_errors")
    assert errors.title.endswith(": too many threads (×1)")
    has(errors.evidence, "1,024 processes and threads", "OutOfMemoryError")
    has(errors.next_steps, "bound thread pools")


def test_python_s_and_go_s_thread_limits_are_named_too() -> None:
    result = run(exported(_invocation(1, PYTHON_THREADS) + _invocation(5)), "invocation_errors")
    assert result.title.endswith(": too many threads (×1)")
    # Go says why on lines of their own, then dies on `fatal error: newosproc`, the line quoted.
    go = _invocation(
        1,
        "runtime: failed to create new OS thread (have 1024 already; errno=11)",
        "runtime: may need to increase max user processes (ulimit -u)",
        "fatal error: newosproc",
        "RequestId: {rid} Error: Runtime exited with error: exit status 2\nRuntime.ExitError",
    )
    result = run(exported(go + _invocation(5)), "invocation_errors")
    assert result.title.endswith(": too many threads (×1)"), result.title


def test_an_invocation_that_succeeded_naming_a_limit_is_not_counted() -> None:
    # A handled ENOSPC (a cache write skipped) fails nothing: no limit is blamed.
    handled = (
        "2026-12-07T10:00:01.123Z\t{rid}\tWARN\tcache skipped: ENOSPC: no space left on device"
    )
    result = run(exported(_invocation(1, handled) + _invocation(2)), "invocation_errors")
    lacks([result.title, *result.evidence], "/tmp")


def test_every_command_advised_is_one_aws_accepts() -> None:
    logs = _invocation(1, NODE_ENOSPC) + _invocation(2, PYTHON_EMFILE) + _invocation(3)
    logs += _invocation(4, JAVA_THREADS)
    for tmp_mb in (None, 512, 4096):
        settings = {} if tmp_mb is None else {"ephemeral_storage_mb": tmp_mb}
        result = run(exported(logs, **settings), "invocation_errors")
        commands = [step for step in result.next_steps if step.startswith("aws ")]
        assert any("--ephemeral-storage" in c for c in commands)
        for command in commands:
            assert problems_of_command(command) == [], command


def test_expired_credentials_are_named_not_called_a_denied_permission() -> None:
    # An assumed-role session kept past its hour: no policy is missing, and no grant is advised.
    expired = (
        "[ERROR] ClientError: An error occurred (ExpiredTokenException) when calling the GetItem"
        " operation: The security token included in the request is expired\n"
        "Traceback (most recent call last):\n"
        '  File "/var/task/app.py", line 40, in handler'
    )
    ev = exported(_invocation(1, expired) + _invocation(2, expired) + _invocation(3))
    errors = run(ev, "invocation_errors")
    assert errors.title.endswith(": expired credentials (×2)")
    has(errors.next_steps, "renew them before their Expiration")
    permission = run(ev, "permission")
    assert permission.status is CheckStatus.OK, permission.title
    lacks(permission.next_steps, "put-role-policy")
