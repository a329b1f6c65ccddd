"""`--redact`: what is masked, what is kept, and that no account id survives anywhere."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from lambdatop.core.redact import redact


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        (
            "arn:aws:lambda:eu-west-1:123456789012:function:checkout",
            "arn:aws:lambda:eu-west-1:************:function:checkout",
        ),
        (
            "arn:aws:iam::123456789012:role/checkout-role",
            "arn:aws:iam::************:role/checkout-role",
        ),
        ("account 123456789012 is throttled", "account ************ is throttled"),
        ("connect to 10.0.12.7:5432 failed", "connect to 10.x.x.x:5432 failed"),
        ("from 203.0.113.9", "from 203.x.x.x"),
        ("db.prod.corp.example.com refused", "***.***.***.***.com refused"),
        (
            "https://abc123.execute-api.eu-west-1.amazonaws.com/prod/pay",
            "https://***.execute-api.eu-west-1.amazonaws.com/prod/pay",
        ),
        ("ip-10-0-1-5.ec2.internal", "***.***.internal"),
        # What an on-call engineer needs stays as it was.
        ("REPORT RequestId: 8f5c Duration: 12.5 ms", "REPORT RequestId: 8f5c Duration: 12.5 ms"),
        (
            "at com.example.Handler.handle(Handler.java:42)",
            "at com.example.Handler.handle(Handler.java:42)",
        ),
        ('File "/var/task/handler.py", line 7', 'File "/var/task/handler.py", line 7'),
        ("1733568000123 ms since the epoch", "1733568000123 ms since the epoch"),
    ],
)
def test_masks_keep_the_text_readable(text: str, shown: str) -> None:
    assert redact(text) == shown


def test_a_suggested_command_keeps_its_shape() -> None:
    command = (
        "aws lambda put-function-concurrency --function-name "
        "arn:aws:lambda:eu-west-1:123456789012:function:checkout "
        "--reserved-concurrent-executions 50"
    )
    shown = redact(command)
    assert shown.split() == [
        *command.split()[:4],
        "arn:aws:lambda:eu-west-1:************:function:checkout",
        *command.split()[5:],
    ]


CORPORA = [
    path
    for folder in ("tests/reallogs", "tests/diagnose", "tests/golden", "lambdatop/demo")
    for path in sorted(Path(folder).rglob("*"))
    if path.is_file() and path.suffix in {".log", ".txt", ".json", ".jsonl", ".md", ".py"}
]


def test_no_account_id_survives_in_any_corpus() -> None:
    """Every test corpus and the demo's account, redacted: no twelve-digit account id left."""
    assert CORPORA, "the corpora are found from the repository root"
    accounts: set[str] = set()
    for path in CORPORA:
        text = path.read_text(errors="replace")
        # The account ids the corpora hold: those their ARNs and account fields name.
        found = set(re.findall(r"arn:aws[\w-]*:[\w-]*:[\w-]*:(\d{12}):", text))
        found |= set(re.findall(r"(?i)account[\w\" ]{0,12}[:=]\s*\"?(\d{12})\b", text))
        accounts |= found
        shown = redact(text)
        assert not [a for a in found if re.search(rf"(?<!\d){a}(?!\d)", shown)], path
    assert accounts, "the corpora hold account ids to mask"
