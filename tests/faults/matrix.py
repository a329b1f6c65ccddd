"""The faults of the matrix: how each is turned on and off, and what a user is told while it
lasts (the trouble's words, as lambdatop/aws/errors.py words them)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from awsdouble import ExpiringCredentials
from faultproxy import FaultProxy


@dataclass(frozen=True)
class Fault:
    name: str
    said: str | None
    """A regular expression for the trouble's words while it lasts; None when nothing fails
    (the answers are late or the metadata stale, and the data still comes)."""

    def start(self, proxy: FaultProxy, credentials: ExpiringCredentials | None) -> None:
        if self.name == "credentials":
            assert credentials is not None
            credentials.sign_out()  # the SSO session expired: no new set until signed in
        else:
            proxy.start(self.name)

    def end(self, proxy: FaultProxy, credentials: ExpiringCredentials | None) -> None:
        if self.name == "credentials":
            assert credentials is not None
            credentials.sign_in()
        else:
            proxy.end()


FAULTS = [
    Fault(
        "throttle",
        r"throttled by AWS \((ThrottlingException|TooManyRequestsException|Throttling"
        r"|ThrottledException)\); slowing down",
    ),
    Fault("5xx", r"AWS answered HTTP 503 \(ServiceUnavailableException\)"),
    Fault("down", r"cannot reach the AWS endpoint http://127\.0\.0\.1:\d+"),
    Fault("hang", None),
    Fault("slow", None),
    Fault("reset", r"the connection to the AWS endpoint http://127\.0\.0\.1:\d+ was reset"),
    Fault("stale", None),
    Fault(
        "credentials",
        r"Error when retrieving credentials from custom-process: "
        r"The SSO session has expired\. Run aws sso login",
    ),
]
IDS = [fault.name for fault in FAULTS]


def expiring_credentials(tmp: Path) -> ExpiringCredentials:
    """Sets that live ten seconds, each renewed by botocore before it is used past its
    expiration (the endpoint refuses any that is)."""
    return ExpiringCredentials(tmp / "aws", lifetime_s=10.0)
