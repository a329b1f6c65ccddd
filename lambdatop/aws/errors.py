"""What went wrong with an AWS call, in words an on-call engineer can act on.

Every exception an AWS call can raise becomes a `Trouble`: a kind the monitor reacts to
(throttled calls slow down, credential and network problems wait and retry) and one line for
the banner.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import aiohttp
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConfigNotFound,
    ConfigParseError,
    ConnectTimeoutError,
    CredentialRetrievalError,
    EndpointConnectionError,
    InvalidConfigError,
    InvalidEndpointConfigurationError,
    InvalidRegionError,
    NoCredentialsError,
    NoRegionError,
    PartialCredentialsError,
    ProfileNotFound,
    ReadTimeoutError,
    UnknownCredentialError,
)

from lambdatop.core.sanitize import one_line

THROTTLE_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "TooManyRequestsException",
        "RequestLimitExceeded",
        "RequestThrottled",
        "RequestThrottledException",
        "SlowDown",
        "LimitExceededException",
        "ProvisionedThroughputExceededException",
    }
)
CREDENTIAL_CODES = frozenset(
    {
        "ExpiredToken",
        "ExpiredTokenException",
        "InvalidClientTokenId",
        "UnrecognizedClientException",
        "InvalidSignatureException",
        "SignatureDoesNotMatch",
        "RequestExpired",
        "InvalidAccessKeyId",
        "AuthFailure",
        "MissingAuthenticationToken",
    }
)
# The AWS configuration itself is wrong: retrying cannot help until a person fixes it.
CONFIG_ERRORS = (
    ProfileNotFound,
    ConfigNotFound,
    ConfigParseError,
    InvalidRegionError,
    InvalidEndpointConfigurationError,
)
# Credentials were found but cannot be used (botocore words these well: say its words).
UNUSABLE_CREDENTIAL_ERRORS = (
    PartialCredentialsError,
    CredentialRetrievalError,
    UnknownCredentialError,
    InvalidConfigError,  # a role's source_profile or credential_source that does not resolve
)
DENIED_CODES = frozenset(
    {"AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "AuthorizationError"}
)


class ReadOnlyViolation(RuntimeError):
    """lambdatop tried an operation outside its read-only allow-list; nothing was sent."""


@dataclass(slots=True, frozen=True)
class Trouble:
    kind: str
    """`throttled`, `credentials`, `unreachable`, `timeout`, `server`, `denied`, `missing`,
    `config`, `other`."""
    message: str

    @property
    def retry_soon(self) -> bool:
        return self.kind in ("throttled", "unreachable", "timeout", "server")

    @property
    def final(self) -> str:
        """The message for a command that gives up instead of retrying (`; retrying` off)."""
        for suffix in ("; retrying", "; slowing down"):
            if self.message.endswith(suffix):
                return self.message[: -len(suffix)]
        return self.message


def describe(error: BaseException, what: str = "") -> Trouble:
    """The trouble behind an exception raised by an AWS call."""
    prefix = f"{what}: " if what else ""
    if isinstance(error, ClientError):
        info = error.response.get("Error", {})
        code = str(info.get("Code") or "")
        status = int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
        text = one_line(str(info.get("Message") or code or error), 200)
        if code in THROTTLE_CODES or status == 429:
            return Trouble(
                "throttled", f"{prefix}throttled by AWS ({code or status}); slowing down"
            )
        if code in CREDENTIAL_CODES:
            return Trouble(
                "credentials",
                f"{prefix}credentials rejected ({code}): refresh them (aws sso login, or new keys)",
            )
        if code in DENIED_CODES:
            return Trouble("denied", f"{prefix}access denied ({code}): {text}")
        if code in ("ResourceNotFoundException", "NotFoundException") or status == 404:
            return Trouble("missing", f"{prefix}not found: {text}")
        if status >= 500:
            detail = "" if code in ("", str(status)) else f" ({code})"
            return Trouble("server", f"{prefix}AWS answered HTTP {status}{detail}; retrying")
        return Trouble("other", f"{prefix}{code or 'error'}: {text}")
    if isinstance(error, NoCredentialsError):
        return Trouble(
            "credentials",
            f"{prefix}no AWS credentials found: set AWS_PROFILE or run `aws configure` / "
            "`aws sso login`",
        )
    if isinstance(error, UNUSABLE_CREDENTIAL_ERRORS):
        return Trouble("credentials", f"{prefix}{one_line(str(error), 200)}")
    if isinstance(error, CONFIG_ERRORS):
        return Trouble("config", f"{prefix}{one_line(str(error), 200)}")
    if isinstance(error, NoRegionError):
        return Trouble("config", f"{prefix}no AWS region: pass --region or set AWS_REGION")
    if isinstance(error, ConnectTimeoutError | ReadTimeoutError | asyncio.TimeoutError):
        return Trouble("timeout", f"{prefix}AWS did not answer in time; retrying")
    if isinstance(error, EndpointConnectionError | aiohttp.ClientError | ConnectionError):
        where = _endpoint(error)
        return Trouble(
            "unreachable",
            f"{prefix}cannot reach the AWS endpoint{f' {where}' if where else ''}; retrying",
        )
    if isinstance(error, ReadOnlyViolation):
        return Trouble("other", f"{prefix}{error}")
    name = type(error).__name__
    if "Token" in name or "SSO" in name:
        return Trouble(
            "credentials", f"{prefix}{name}: the SSO session expired: run `aws sso login`"
        )
    if isinstance(error, BotoCoreError | OSError):
        return Trouble("unreachable", f"{prefix}{one_line(str(error), 200)}")
    return Trouble("other", f"{prefix}{name}: {one_line(str(error), 200)}")


def raised_by_aws(error: BaseException) -> bool:
    """Whether the SDK or its HTTP layer raised it, so `describe` words it rather than a bug
    report: a command that did not expect it (a profile that does not exist, a config file
    that does not parse) still ends in the line diagnose prints."""
    return isinstance(error, BotoCoreError | ClientError | aiohttp.ClientError)


def _endpoint(error: BaseException) -> str | None:
    """`scheme://host[:port]` of the endpoint a connection error names, if it names one."""
    kwargs = getattr(error, "kwargs", None)
    url = kwargs.get("endpoint_url") if isinstance(kwargs, dict) else None
    if not isinstance(url, str) or "://" not in url:
        return None
    scheme, rest = url.split("://", 1)
    return one_line(f"{scheme}://{rest.split('/', 1)[0]}", 120)
