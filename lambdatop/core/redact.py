"""Masks for output shared in an incident channel (`--redact`): account ids, the account in
ARNs, IP addresses and host names, the text kept readable and a suggested command's shape kept.

    arn:aws:lambda:eu-west-1:123456789012:function:checkout
        → arn:aws:lambda:eu-west-1:************:function:checkout   (the account only)
    123456789012                 → ************        (any twelve digits alone: an account id)
    10.0.12.7                    → 10.x.x.x            (the first octet: private or public)
    db.prod.corp.example.com     → ***.***.***.***.com (every label but the top-level domain)
    abc123.execute-api.eu-west-1.amazonaws.com
                                 → ***.execute-api.eu-west-1.amazonaws.com (AWS's own labels
                                   kept: the service and the region say where, not whose)

Function names, log groups and trace ids are kept: they are what the channel talks about.
"""

from __future__ import annotations

import re

ACCOUNT_MASK = "*" * 12

_ARN_ACCOUNT = re.compile(r"\b(arn:aws[\w-]*:[\w-]*:[\w-]*:)(\d{12})(?=:)")
_ACCOUNT = re.compile(r"(?<![\w.-])\d{12}(?![\w-])")
_IPV4 = re.compile(r"(?<![\w.])(\d{1,3})(?:\.\d{1,3}){3}(?![\w]|\.\d)")
_TLDS = (
    "com|net|org|io|dev|app|cloud|internal|local|aws|info|biz|me|tech|ai|eu|us|uk|de|fr|nl|jp|in|"
    "br|ca|au|ch|se|no|es|it|pl|corp|lan|intranet"
)
_HOST = re.compile(
    rf"(?<![\w.@-])((?:[a-z0-9](?:[a-z0-9-]{{0,61}}[a-z0-9])?\.)+)({_TLDS})(?!\.?[\w-])",
    re.IGNORECASE,
)
_AWS_LABELS = re.compile(
    r"^(amazonaws|amazon|aws|api|execute-api|lambda-url|on|cloudfront|elb|rds|cache|"
    r"[a-z]{2}(-gov)?-[a-z]+-\d|lambda|logs|monitoring|xray|sqs|sns|dynamodb|s3|sts|ec2|"
    r"kinesis|events|states|es|compute|internal)$"
)
"""Labels of AWS's own endpoints (services, regions): they say where, never whose."""


def redact(text: str) -> str:
    """`text` with account ids, IP addresses and host names masked (see the module doc)."""
    text = _ARN_ACCOUNT.sub(lambda m: f"{m.group(1)}{ACCOUNT_MASK}", text)
    text = _ACCOUNT.sub(ACCOUNT_MASK, text)
    text = _IPV4.sub(lambda m: f"{m.group(1)}.x.x.x", text)
    return _HOST.sub(_mask_host, text)


def _mask_host(match: re.Match[str]) -> str:
    labels = match.group(1).rstrip(".").split(".")
    aws = labels[-1].lower() in ("amazonaws", "amazon", "aws", "cloudfront", "on")
    kept = [label if aws and _AWS_LABELS.match(label.lower()) else "***" for label in labels]
    return ".".join(kept) + "." + match.group(2)
