"""What went wrong with an AWS call, in words an on-call engineer can act on.

Every exception an AWS call can raise becomes a `Trouble`: a kind the monitor reacts to
(throttled calls slow down, credential and network problems wait and retry) and one line for
the banner. The kinds (`ErrorKind`, lambdatop/core/sources.py) and what makes each:

    ErrorKind
    ├── passing (retried soon)
    │   ├── THROTTLED     ClientError with a THROTTLE_CODES code, or HTTP 429; QuotaFull
    │   ├── UNREACHABLE   EndpointConnectionError (refused, DNS, reset), ConnectionClosedError,
    │   │                 SSLError, ProxyConnectionError, aiohttp.ClientError, ConnectionError;
    │   │                 any other BotoCoreError or OSError
    │   ├── TIMEOUT       ConnectTimeoutError, ReadTimeoutError, asyncio.TimeoutError
    │   └── SERVER        ClientError with HTTP 5xx; PartialAnswer (InternalError)
    ├── lasting (a person has to act)
    │   ├── CREDENTIALS   ClientError with a CREDENTIAL_CODES code; NoCredentialsError;
    │   │                 UNUSABLE_CREDENTIAL_ERRORS; an SSO token error
    │   ├── CONFIG        CONFIG_ERRORS; NoRegionError
    │   └── DENIED        ClientError with a DENIED_CODES code; PartialAnswer all Forbidden
    ├── MISSING           ClientError ResourceNotFoundException / NotFoundException, or HTTP 404;
    │                     NotYetAvailable
    └── OTHER             any other ClientError; ReadOnlyViolation; anything else
"""

from __future__ import annotations

import asyncio
import errno
import socket
from dataclasses import dataclass

import aiohttp
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConfigNotFound,
    ConfigParseError,
    ConnectionClosedError,
    ConnectTimeoutError,
    CredentialRetrievalError,
    EndpointConnectionError,
    HTTPClientError,
    InvalidConfigError,
    InvalidEndpointConfigurationError,
    InvalidRegionError,
    NoCredentialsError,
    NoRegionError,
    PartialCredentialsError,
    ProfileNotFound,
    ProxyConnectionError,
    ReadTimeoutError,
    SSLError,
    UnknownCredentialError,
)

from lambdatop.core.sanitize import one_line
from lambdatop.core.sources import ErrorKind

THROTTLE_CODES = frozenset(
    # What each service answers when its quota is exceeded, as its API reference names it:
    # CloudWatch Logs "ThrottlingException" (400) and, for concurrent Insights queries and Live
    # Tail sessions, "LimitExceededException: You have reached the maximum number of resources
    # that can be created"; CloudWatch "Throttling" (400); Lambda "TooManyRequestsException: The
    # request throughput limit was exceeded" (429); X-Ray "ThrottledException: The request
    # exceeds the maximum number of requests per second" (429); API Gateway
    # "TooManyRequestsException" (429); EC2-style "RequestLimitExceeded" (Common Errors,
    # https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html). Any 429 too.
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
EXPIRED_CODES = frozenset({"ExpiredToken", "ExpiredTokenException"})
"""Temporary credentials past their Expiration: STS's "ExpiredToken: The security token included
in the request is expired" (https://docs.aws.amazon.com/STS/latest/APIReference/
CommonErrors.html); the services say it as ExpiredTokenException. A new login renews them
(`renewal`); botocore renews credentials that carry an Expiration by itself."""
RENEWAL = "lambdatop_renewal"
"""The attribute `Aws.call` sets on a credential failure: the command that renews the profile's
credentials (`aws sso login --profile NAME`), for `describe` to say."""
EXPIRED_IN = "lambdatop_expired_in"
"""The attribute `Aws.call` sets when expired credentials came from the environment
(`environment`): a running process never sees new ones there."""
DENIED_CODES = frozenset(
    {
        "AccessDenied",
        "AccessDeniedException",
        "UnauthorizedOperation",
        "AuthorizationError",
        # API Gateway: "The request is denied because the caller has insufficient permissions".
        "UnauthorizedException",
    }
)


class ReadOnlyViolation(RuntimeError):
    """lambdatop tried an operation outside its read-only allow-list; nothing was sent."""


@dataclass(slots=True, frozen=True)
class Unanswered:
    """One series of a GetMetricData request that did not come whole."""

    owner: str
    """The function's name; "" for the account's series."""
    key: str
    """The series' key in the store (lambdatop/core/metrics.py)."""
    name: str
    """The series as a person names it: `Throttles`, `Duration (Maximum)`."""
    status: str
    """MetricDataResult's StatusCode: InternalError, PartialData or Forbidden."""
    detail: str = ""
    """CloudWatch's MessageData value for it, if any."""


FORBIDDEN = "Forbidden"
"""A MetricDataResult's StatusCode when the caller may not read that metric: the permission
missing is lambdatop's own credentials' (cloudwatch:GetMetricData), never the function's."""


class PartialAnswer(RuntimeError):
    """AWS answered part of a read and said the rest failed (GetMetricData's StatusCode
    InternalError or Forbidden): what was answered is kept; which series did not come is
    `unanswered`. A read that failed on AWS's side is retried soon; one refused is not
    AWS's trouble but the caller's permissions."""

    def __init__(self, message: str, unanswered: tuple[Unanswered, ...] = ()) -> None:
        super().__init__(message)
        self.unanswered = unanswered

    @property
    def refused(self) -> bool:
        """Every series missing was refused (Forbidden): a permission to grant, not a retry."""
        return bool(self.unanswered) and all(u.status == FORBIDDEN for u in self.unanswered)


class QuotaFull(RuntimeError):
    """A quota of things running at once is full (Logs Insights' concurrent queries): passing,
    as throttling is; the message says the quota and whose share of it is whose."""


class NotYetAvailable(RuntimeError):
    """AWS has the thing asked for but has not processed it yet (X-Ray's UnprocessedTraceIds):
    asked again later, it is there. The message is one line for a person."""


@dataclass(slots=True, frozen=True)
class Trouble:
    kind: ErrorKind
    message: str

    @property
    def retry_soon(self) -> bool:
        """Tried again on the backoff schedule, not after a long wait: passing trouble, and
        credentials, which a person renews in another terminal (aws sso login) and expects
        picked up within seconds; a retry costs a local credential read or one refused
        request, the backoff growing to its minute."""
        return self.kind.passing or self.kind is ErrorKind.CREDENTIALS

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
                ErrorKind.THROTTLED, f"{prefix}throttled by AWS ({code or status}); slowing down"
            )
        renew = renewal(error)
        if code in EXPIRED_CODES and renew is not None:
            return Trouble(
                ErrorKind.CREDENTIALS, f"{prefix}credentials expired ({code}): run `{renew}`"
            )
        if code in EXPIRED_CODES and getattr(error, EXPIRED_IN, None) == "environment":
            return Trouble(
                ErrorKind.CREDENTIALS,
                f"{prefix}credentials expired ({code}): the environment's temporary credentials"
                " (AWS_SESSION_TOKEN) ran out; start lambdatop again with new ones, or with a"
                " --profile botocore renews",
            )
        if code in CREDENTIAL_CODES or (code == "UnauthorizedException" and _sso_portal(error)):
            return Trouble(
                ErrorKind.CREDENTIALS,
                f"{prefix}credentials rejected ({code}): refresh them (aws sso login, or new keys)",
            )
        if code in DENIED_CODES:
            return Trouble(ErrorKind.DENIED, f"{prefix}access denied ({code}): {text}")
        if code in ("ResourceNotFoundException", "NotFoundException") or status == 404:
            return Trouble(ErrorKind.MISSING, f"{prefix}not found: {text}")
        if status >= 500:
            detail = "" if code in ("", str(status)) else f" ({code})"
            return Trouble(
                ErrorKind.SERVER, f"{prefix}AWS answered HTTP {status}{detail}; retrying"
            )
        return Trouble(ErrorKind.OTHER, f"{prefix}{code or 'error'}: {text}")
    if isinstance(error, NoCredentialsError):
        return Trouble(
            ErrorKind.CREDENTIALS,
            f"{prefix}no AWS credentials found: set AWS_PROFILE or run `aws configure` / "
            "`aws sso login`",
        )
    # botocore's sentence, without its full stop: a retry countdown may follow it.
    if isinstance(error, UNUSABLE_CREDENTIAL_ERRORS):
        words = _without_traceback(str(error))
        return Trouble(ErrorKind.CREDENTIALS, f"{prefix}{one_line(words, 200).rstrip('.')}")
    if isinstance(error, CONFIG_ERRORS):
        return Trouble(ErrorKind.CONFIG, f"{prefix}{one_line(str(error), 200).rstrip('.')}")
    if isinstance(error, NoRegionError):
        return Trouble(ErrorKind.CONFIG, f"{prefix}no AWS region: pass --region or set AWS_REGION")
    network = _network_trouble(error)
    if network is not None:
        kind, words = network
        return Trouble(kind, f"{prefix}{words}; retrying")
    if isinstance(error, ReadOnlyViolation):
        return Trouble(ErrorKind.OTHER, f"{prefix}{error}")
    if isinstance(error, PartialAnswer) and error.refused:
        return Trouble(ErrorKind.DENIED, f"{prefix}{one_line(str(error), 300)}")
    if isinstance(error, PartialAnswer):
        return Trouble(ErrorKind.SERVER, f"{prefix}{one_line(str(error), 300)}; retrying")
    if isinstance(error, QuotaFull):
        return Trouble(ErrorKind.THROTTLED, f"{prefix}{one_line(str(error), 200)}; retrying")
    if isinstance(error, NotYetAvailable):
        return Trouble(ErrorKind.MISSING, f"{prefix}{one_line(str(error), 200)}")
    name = type(error).__name__
    if "Token" in name or "SSO" in name:
        # botocore: "The SSO session associated with this profile has expired or is otherwise
        # invalid. To refresh this SSO session run aws sso login with the corresponding
        # profile" (UnauthorizedSSOTokenError): the command, with the profile, to run.
        renew = renewal(error) or "aws sso login"
        return Trouble(
            ErrorKind.CREDENTIALS, f"{prefix}{name}: the SSO session expired: run `{renew}`"
        )
    if isinstance(error, BotoCoreError | OSError):
        return Trouble(ErrorKind.UNREACHABLE, f"{prefix}{one_line(str(error), 200)}")
    return Trouble(ErrorKind.OTHER, f"{prefix}{name}: {one_line(str(error), 200)}")


def _sso_portal(error: ClientError) -> bool:
    """The IAM Identity Center portal's GetRoleCredentials: its UnauthorizedException ("the
    request is not authorized. This can happen due to an invalid access token in the request")
    is a login run out, not a permission missing."""
    return str(error.operation_name) == "GetRoleCredentials"


MAX_RETRY_AFTER_S = 900.0
"""The longest wait honoured from an answer: a person is watching."""


def retry_after_s(error: BaseException) -> float | None:
    """The wait AWS asked for with a throttle, if it asked: Lambda's TooManyRequestsException
    carries retryAfterSeconds, "The number of seconds the caller should wait before retrying"
    (Lambda API reference, TooManyRequestsException), sent as the Retry-After header."""
    if not isinstance(error, ClientError):
        return None
    headers = error.response.get("ResponseMetadata", {}).get("HTTPHeaders") or {}
    said = error.response.get("retryAfterSeconds") or headers.get("retry-after")
    try:
        seconds = float(str(said))
    except ValueError:
        return None  # absent, or an HTTP date: the backoff stands
    return min(seconds, MAX_RETRY_AFTER_S) if seconds > 0 else None


def renewal(error: BaseException) -> str | None:
    """The command that renews the credentials a failed call was made with, where `Aws.call`
    knew it (an SSO profile's login)."""
    command = getattr(error, RENEWAL, None)
    return command if isinstance(command, str) else None


def describe_source(error: BaseException, what: str) -> Trouble:
    """The trouble of one source that is read again and again (a poller's, `tail`'s), named by
    `what` it reads; unless it cuts off every read (credentials, the network): that is the
    account's trouble, not the source's, and said alone, the same for every source."""
    trouble = describe(error)
    if what and not trouble.kind.cuts_off_aws:
        return describe(error, what)
    return trouble


def _without_traceback(words: str) -> str:
    """botocore quotes a failed credential_process's stderr whole: when the process crashed,
    its traceback's last line (the error) stands for it, never the traceback."""
    head, marker, tail = words.partition("Traceback (most recent call last)")
    if not marker:
        return words
    last = next((line.strip() for line in reversed(tail.splitlines()) if line.strip()), "")
    return f"{head.rstrip(': ')}: {last}" if last else head.rstrip(": ")


def raised_by_aws(error: BaseException) -> bool:
    """Whether the SDK or its HTTP layer raised it, so `describe` words it rather than a bug
    report: a command that did not expect it (a profile that does not exist, a config file
    that does not parse) still ends in the line diagnose prints."""
    return isinstance(error, BotoCoreError | ClientError | aiohttp.ClientError)


def _network_trouble(error: BaseException) -> tuple[ErrorKind, str] | None:
    """One line for a failure below HTTP (botocore's own sentences carry the request's URL,
    path and query included, and wrap): the endpoint as `scheme://host[:port]` only."""
    where = _endpoint(error)
    at = f" {where}" if where else ""
    cause = _cause(error)
    if isinstance(error, ConnectTimeoutError):
        return ErrorKind.TIMEOUT, f"no connection to the AWS endpoint{at} in time (connect timeout)"
    if isinstance(error, ReadTimeoutError | asyncio.TimeoutError):
        return ErrorKind.TIMEOUT, f"the AWS endpoint{at} did not answer in time (read timeout)"
    if isinstance(error, SSLError):
        return ErrorKind.UNREACHABLE, f"TLS with the AWS endpoint{at} failed (certificate or proxy)"
    if isinstance(error, ProxyConnectionError):
        proxy = _endpoint(error, "proxy_url")
        return (
            ErrorKind.UNREACHABLE,
            f"cannot connect through the proxy{f' {proxy}' if proxy else ''}",
        )
    if isinstance(error, ConnectionClosedError):
        return ErrorKind.UNREACHABLE, f"the AWS endpoint{at} closed the connection before answering"
    if isinstance(cause, aiohttp.ClientConnectorDNSError | socket.gaierror):
        return ErrorKind.UNREACHABLE, f"cannot resolve the AWS endpoint{at} (DNS)"
    if any(
        isinstance(e, ConnectionResetError) or getattr(e, "errno", None) == errno.ECONNRESET
        for e in (error, cause)
    ):
        return ErrorKind.UNREACHABLE, f"the connection to the AWS endpoint{at} was reset"
    if isinstance(error, EndpointConnectionError | aiohttp.ClientError | ConnectionError):
        return ErrorKind.UNREACHABLE, f"cannot reach the AWS endpoint{at}"
    if isinstance(error, HTTPClientError):
        name = type(cause).__name__ if cause is not None else "no detail"
        return ErrorKind.UNREACHABLE, f"the connection to the AWS endpoint failed ({name})"
    return None


def _cause(error: BaseException) -> BaseException | None:
    """The lower-level error botocore wrapped (aiohttp's, or the socket's)."""
    kwargs = getattr(error, "kwargs", None)
    inner = kwargs.get("error") if isinstance(kwargs, dict) else None
    return inner if isinstance(inner, BaseException) else None


def _endpoint(error: BaseException, field: str = "endpoint_url") -> str | None:
    """`scheme://host[:port]` of the endpoint a connection error names, if it names one."""
    kwargs = getattr(error, "kwargs", None)
    url = kwargs.get(field) if isinstance(kwargs, dict) else None
    if not isinstance(url, str) or "://" not in url:
        return None
    scheme, rest = url.split("://", 1)
    host = rest.split("/", 1)[0].split("?", 1)[0].rsplit("@", 1)[-1]  # no path, query or login
    return one_line(f"{scheme}://{host}", 120)
