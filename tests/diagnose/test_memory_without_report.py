"""Out of memory with no REPORT line to size from: a pasted snippet or a cut export holds the kill
(`signal: killed`, `Runtime.OutOfMemory`) or a runtime's own out-of-memory error, and no peak.
The memory check fails on Lambda's word, as the summary already counts it, rather than saying it
has no figures; found on logs pasted in public bug reports (lines written here differ)."""

from __future__ import annotations

from expect import config, has, lacks, run
from lambdalogs import FUNCTION, REGION

from lambdatop.commands.diagnose import evidence_from_export
from lambdatop.core.export import read_export
from lambdatop.diagnose.evidence import Evidence
from lambdatop.diagnose.model import CheckStatus

RID = "0b1c2d3e-4f50-4617-8829-3a4b5c6d7e8f"


def exported(text: str) -> Evidence:
    return evidence_from_export(
        read_export(text.encode()), function=FUNCTION, region=REGION, since_s=None
    )


KILLED_NODE = (
    f"2026-05-04T09:58:40.125Z\t{RID}\tINFO\tfetching 412 invoices\n"
    f"2026-05-04T10:00:01.000Z\t{RID}\tINFO\trendering 412 pages\n"
    f"RequestId: {RID} Error: Runtime exited with error: signal: killed\n"
    "Runtime.ExitError\n"
)
OUT_OF_MEMORY_PY = (
    f'{{"errorType": "Runtime.OutOfMemory", "errorMessage": "RequestId: {RID} Error:'
    ' Runtime exited with error: signal: killed"}\n'
)
JAVA_HEAP = (
    'Exception in thread "main" java.lang.OutOfMemoryError: Java heap space\n'
    "\tat java.util.Arrays.copyOf(Arrays.java:3236)\n"
    "\tat com.example.Report.render(Report.java:88)\n"
)
JAVA_METASPACE = (
    "java.lang.OutOfMemoryError: Metaspace\n"
    "\tat java.lang.ClassLoader.defineClass1(Native Method)\n"
    "\tat com.example.Templates.compile(Templates.java:41)\n"
)


def test_a_kill_with_no_report_fails_memory_and_searches_the_kill() -> None:
    for text in (KILLED_NODE, OUT_OF_MEMORY_PY):
        result = run(exported(text), "memory")
        assert result.status is CheckStatus.FAIL, (text, result.title)
        assert "ran out of memory" in result.title
        assert "no REPORT line gives the peak" in result.title
        has(result.evidence, "killed, as Lambda ends a runtime", "signal: killed")
        has(result.next_steps, '?"signal: killed"', "@maxMemoryUsed")
        # No size is known: no number to raise it to.
        lacks(result.next_steps, "--memory-size", '"Max Memory Used"')


def test_with_the_configuration_read_the_size_is_raised_by_half() -> None:
    ev = exported(KILLED_NODE)
    ev.config = config(memory_mb=1024, runtime="nodejs20.x")
    result = run(ev, "memory")
    assert result.status is CheckStatus.FAIL
    assert "ran out of memory at 1024 MB" in result.title
    has(result.next_steps, "from 1024 MB to 1536 MB", "--memory-size 1536")


def test_a_runtime_heap_is_named_with_its_own_option() -> None:
    heap = run(exported(JAVA_HEAP), "memory")
    assert heap.status is CheckStatus.FAIL
    assert "ran out of the Java heap" in heap.title
    lacks(heap.evidence, "killed, as Lambda")  # the JVM said so; Lambda killed nothing
    has(heap.next_steps, "JAVA_TOOL_OPTIONS", "-Xmx")

    metaspace = run(exported(JAVA_METASPACE), "memory")
    assert metaspace.status is CheckStatus.FAIL
    assert "ran out of the Java metaspace" in metaspace.title
    has(metaspace.next_steps, "-XX:MaxMetaspaceSize=")
    lacks(metaspace.next_steps, "-Xmx")  # -Xmx bounds objects, not class metadata
