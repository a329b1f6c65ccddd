"""What a user may type for a function: its name, `name:alias`, `name:7`, or its ARN (as the
console and `aws lambda list-functions` show it). Log groups, metrics and commands need the
bare name."""

from __future__ import annotations

import re
from dataclasses import dataclass

_ARN = re.compile(
    r"arn:(?P<partition>aws[\w-]*):lambda:(?P<region>[a-z0-9-]+):(?P<account>\d{12})"
    r":function:(?P<name>[\w-]+)(?::(?P<qualifier>[\w$-]+))?"
)
_QUALIFIED = re.compile(r"(?P<name>[\w-]+):(?P<qualifier>[\w$-]+)")
_LINKED = re.compile(r"(?P<name>[\w-]+)@(?P<account>\d{12})")
"""`NAME@ACCOUNT`: a source account's function, read through a monitoring account."""


@dataclass(frozen=True, slots=True)
class FunctionRef:
    name: str
    qualifier: str | None = None
    region: str | None = None
    account: str | None = None
    """The account an ARN or `NAME@ACCOUNT` names."""
    linked: bool = False
    """Named as `NAME@ACCOUNT`: a source account's (CloudWatch cross-account observability)."""


def function_ref(text: str) -> FunctionRef:
    """The function a name, qualified name, ARN or `NAME@ACCOUNT` points at; text of any other
    shape is kept whole as the name (AWS will say whether it exists)."""
    arn = _ARN.fullmatch(text)
    if arn is not None:
        return FunctionRef(
            arn.group("name"), arn.group("qualifier"), arn.group("region"), arn.group("account")
        )
    linked = _LINKED.fullmatch(text)
    if linked is not None:
        return FunctionRef(linked.group("name"), account=linked.group("account"), linked=True)
    qualified = _QUALIFIED.fullmatch(text)
    if qualified is not None:
        return FunctionRef(qualified.group("name"), qualified.group("qualifier"))
    return FunctionRef(text)
