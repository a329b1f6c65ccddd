"""An environment's limit reached, printed with no level and no request id (python2.7's
`<message>: <type>`, a caller's copy of Lambda's error document, Node.js's error printed by a
library): the lines are read as Lambda's and the limit is named, with no REPORT line to count
invocations by (tests/reallogs, PENDING.md N1). The lines are written here in the runtimes'
words, not taken from a log."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from expect import has, lacks, run
from lambdalogs import FUNCTION, REGION

from lambdatop.commands.diagnose import evidence_from_export
from lambdatop.core.export import read_export
from lambdatop.diagnose.evidence import Evidence
from lambdatop.diagnose.model import CheckStatus

LAMBDATOP = Path(sys.executable).parent / "lambdatop"
TMP_DOCUMENT = (
    'upstream said: {"errorMessage": "[Errno 28] No space left on device", "errorType":'
    ' "OSError", "stackTrace": [["/var/task/app.py", 12, "handler", "out.write(chunk)"]]}\n'
)
FD_TRACEBACK = (
    "[Errno 24] Too many open files: OSError\n"
    "Traceback (most recent call last):\n"
    '  File "/var/task/app.py", line 30, in handler\n'
    "    usage = os.popen('df -h /tmp').read()\n"
    "OSError: [Errno 24] Too many open files\n"
)
FD_LOOKUP = "Error: getaddrinfo EMFILE mail.example.com\n    at GetAddrInfoReqWrap.onlookup\n"


def exported(text: str) -> Evidence:
    return evidence_from_export(
        read_export(text.encode()), function=FUNCTION, region=REGION, since_s=None
    )


def test_a_full_tmp_logged_alone_is_named_with_its_ephemeral_storage() -> None:
    result = run(exported(TMP_DOCUMENT), "invocation_errors")
    assert result.status is CheckStatus.WARN
    has(result.evidence, "No space left on device")
    has(result.next_steps, "ephemeral storage", "--query EphemeralStorage")


def test_file_descriptors_used_up_are_named_not_tmp_nor_dns() -> None:
    for text in (FD_TRACEBACK, FD_LOOKUP):
        ev = exported(text)
        result = run(ev, "invocation_errors")
        assert result.status is CheckStatus.WARN
        has(result.next_steps, "1,024 file descriptors")
        lacks(result.next_steps, "ephemeral storage")
        assert run(ev, "vpc").status is CheckStatus.OK


def test_a_file_of_limits_alone_is_read_as_lambdas(tmp_path: Path) -> None:
    logs = tmp_path / "limits.log"
    logs.write_text(FD_LOOKUP)
    done = subprocess.run(
        [str(LAMBDATOP), "diagnose", "--logs", str(logs)], capture_output=True, text=True
    )
    assert "no Lambda log events recognised" not in done.stderr
    assert "file descriptors" in done.stdout
