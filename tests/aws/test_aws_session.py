"""Clients built the AWS CLI's way, pacing, backoff, and what each failure means to a person."""

from __future__ import annotations

import asyncio
import errno
import random
import socket
import ssl
import time

import aiohttp
import pytest
from awsfakes import FakeClock, error, hook, response
from awsmoto import MotoAccount
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
    InvalidRegionError,
    NoCredentialsError,
    NoRegionError,
    PartialCredentialsError,
    ProfileNotFound,
    ProxyConnectionError,
    ReadTimeoutError,
    SSLError,
    SSOTokenLoadError,
)

from lambdatop.aws.errors import ReadOnlyViolation, describe, raised_by_aws
from lambdatop.aws.pacing import Backoff, TokenBucket, make_buckets
from lambdatop.aws.session import AT_THE_PROMPT, MONITORING, Aws, AwsTarget, Patience


def test_target_flags_win_over_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_PROFILE", "env-profile")
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-central-1")
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://env:4566")
    assert AwsTarget.resolve(None, None, None) == AwsTarget(
        "env-profile", "eu-west-1", "http://env:4566"
    )
    assert AwsTarget.resolve("p", "ap-south-1", "http://flag") == AwsTarget(
        "p", "ap-south-1", "http://flag"
    )
    monkeypatch.delenv("AWS_REGION")
    assert AwsTarget.resolve(None, None, None).region == "eu-central-1"


@pytest.mark.parametrize(
    ("variable", "argument", "attempts"), [(None, None, 3), ("5", None, 5), ("5", 1, 1)]
)
async def test_attempts_follow_aws_max_attempts(
    moto: MotoAccount,
    monkeypatch: pytest.MonkeyPatch,
    variable: str | None,
    argument: int | None,
    attempts: int,
) -> None:
    if variable:
        monkeypatch.setenv("AWS_MAX_ATTEMPTS", variable)
    async with Aws(moto.target(), max_attempts=argument) as aws:
        client = await aws.client("logs")
        retries = client.meta.config.retries
        assert retries["mode"] == "standard"
        assert retries["total_max_attempts"] == attempts, "attempts in all, the first included"
        assert client.meta.config.connect_timeout == 5.0
        assert client.meta.config.read_timeout == 10.0


async def test_region_from_the_flag_or_the_environment_else_an_error(
    moto: MotoAccount, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As the AWS CLI: no region anywhere is an error, not another region read silently."""
    assert Aws(AwsTarget()).region == "us-east-1"  # the fixture's AWS_DEFAULT_REGION
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    monkeypatch.delenv("AWS_REGION", raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent/config")
    with pytest.raises(NoRegionError):
        Aws(AwsTarget())
    assert Aws(AwsTarget(region="eu-west-3")).region == "eu-west-3"


async def test_throttling_slows_only_the_bucket_of_what_was_throttled(moto: MotoAccount) -> None:
    clock = FakeClock(1000.0)
    moto.client("logs").create_log_group(logGroupName="g")
    async with Aws(moto.target(), buckets=make_buckets(clock), max_attempts=1) as aws:
        await hook(
            aws,
            "logs",
            "before-send.cloudwatch-logs.FilterLogEvents",
            lambda **_: error(400, "ThrottlingException", "Rate exceeded"),
        )
        with pytest.raises(ClientError, match="ThrottlingException"):
            await aws.call("logs", "FilterLogEvents", logGroupName="g")
        await aws.call("logs", "DescribeLogStreams", logGroupName="g")
        filters = aws.bucket("logs", "FilterLogEvents")
        describes = aws.bucket("logs", "DescribeLogStreams")
        assert filters is not None
        assert describes is not None
        assert filters is not describes, "DescribeLogStreams has a quota of its own"
        assert filters.rate == filters.base_rate / 2
        assert describes.rate == describes.base_rate
        assert aws.bucket("lambda", "ListFunctions") is aws.buckets["lambda"]


def test_token_bucket_bursts_then_holds_its_rate() -> None:
    clock = FakeClock(0.0)
    bucket = TokenBucket(rate=2.0, burst=3.0, clock=clock)
    for _ in range(3):
        assert bucket.delay() == 0
        bucket.tokens -= 1
    assert bucket.delay() == pytest.approx(0.5)
    clock.advance(0.5)
    assert bucket.delay() == 0


def test_token_bucket_halves_on_throttling_and_recovers_step_by_step() -> None:
    clock = FakeClock(0.0)
    bucket = TokenBucket(rate=4.0, burst=4.0, clock=clock)
    bucket.throttled()
    bucket.throttled()
    assert bucket.rate == 1.0
    for _ in range(10):
        bucket.throttled()
    assert bucket.rate == 4.0 / 16, "never below a sixteenth"
    clock.advance(59)
    bucket.delay()
    assert bucket.rate == 4.0 / 16, "the penalty lasts a minute"
    clock.advance(1)
    bucket.delay()
    assert bucket.rate == 4.0 / 8
    clock.advance(30)
    bucket.delay()
    assert bucket.rate == 4.0 / 4


async def test_token_bucket_take_waits_when_empty() -> None:
    bucket = TokenBucket(rate=50.0, burst=1.0)
    loop = asyncio.get_running_loop()
    started = loop.time()
    await bucket.take()
    await bucket.take()
    assert loop.time() - started >= 0.015


def test_backoff_doubles_with_jitter_up_to_its_cap_and_resets() -> None:
    backoff = Backoff(base=2.0, cap=60.0, rng=random.Random(3))
    delays = [backoff.next_delay() for _ in range(8)]
    for n, delay in enumerate(delays, start=1):
        ceiling = min(60.0, 2.0 * 2 ** (n - 1))
        assert ceiling / 2 <= delay <= ceiling
    backoff.success()
    assert 1.0 <= backoff.next_delay() <= 2.0


def client_error(code: str, status: int, message: str = "m") -> ClientError:
    return ClientError(
        {
            "Error": {"Code": code, "Message": message},
            "ResponseMetadata": {"HTTPStatusCode": status},
        },
        "Op",
    )


@pytest.mark.parametrize(
    ("failure", "kind", "final"),
    [
        (client_error("ThrottlingException", 400), "throttled", "throttled by AWS"),
        (client_error("TooManyRequestsException", 429), "throttled", "throttled by AWS"),
        (client_error("", 429), "throttled", "throttled by AWS (429)"),
        (client_error("ExpiredTokenException", 400), "credentials", "credentials rejected"),
        (client_error("UnrecognizedClientException", 403), "credentials", "credentials rejected"),
        (client_error("AccessDeniedException", 403), "denied", "access denied"),
        (client_error("ResourceNotFoundException", 404), "missing", "not found: m"),
        (client_error("ServiceUnavailableException", 503), "server", "AWS answered HTTP 503"),
        (client_error("500", 500), "server", "AWS answered HTTP 500"),
        (client_error("ValidationException", 400), "other", "ValidationException: m"),
        (NoCredentialsError(), "credentials", "no AWS credentials found"),
        (ProfileNotFound(profile="prod"), "config", "The config profile (prod) could not be found"),
        (ConnectTimeoutError(endpoint_url="https://x"), "timeout", "no connection to the AWS"),
        (ReadTimeoutError(endpoint_url="https://x"), "timeout", "the AWS endpoint https://x did"),
        (TimeoutError(), "timeout", "the AWS endpoint did not answer in time"),
        (
            EndpointConnectionError(endpoint_url="https://logs.eu-west-1.amazonaws.com/"),
            "unreachable",
            "cannot reach the AWS endpoint https://logs.eu-west-1.amazonaws.com",
        ),
        (aiohttp.ClientConnectionError(), "unreachable", "cannot reach the AWS endpoint"),
        (ConnectionResetError(), "unreachable", "the connection to the AWS endpoint was reset"),
        (ReadOnlyViolation("lambda:DeleteFunction is not a read-only operation"), "other", ""),
        (ValueError("boom"), "other", "ValueError: boom"),
    ],
)
def test_every_failure_becomes_one_line_for_a_person(
    failure: BaseException, kind: str, final: str
) -> None:
    trouble = describe(failure, "")
    assert trouble.kind == kind
    assert trouble.final.startswith(final)
    assert "\n" not in trouble.message
    assert not trouble.final.endswith(("retrying", "slowing down"))
    retried_soon = ("throttled", "unreachable", "timeout", "server", "credentials")
    assert trouble.retry_soon == (kind in retried_soon)
    assert describe(failure, "X-Ray").message.startswith("X-Ray: ")


ENDPOINT = "https://logs.eu-west-1.amazonaws.com/?Action=FilterLogEvents&nextToken=c2VjcmV0"
"""A request's URL as botocore names it in its sentences: the query must not reach the screen."""


@pytest.mark.parametrize(
    ("failure", "kind", "line"),
    [
        (
            # What aiobotocore raises for aiohttp's ServerDisconnectedError.
            ConnectionClosedError(
                error=aiohttp.ServerDisconnectedError(), request=None, endpoint_url=ENDPOINT
            ),
            "unreachable",
            "the AWS endpoint https://logs.eu-west-1.amazonaws.com closed the connection "
            "before answering; retrying",
        ),
        (
            EndpointConnectionError(
                endpoint_url=ENDPOINT,
                error=aiohttp.ClientOSError(errno.ECONNRESET, "Connection reset by peer"),
            ),
            "unreachable",
            "the connection to the AWS endpoint https://logs.eu-west-1.amazonaws.com was reset; "
            "retrying",
        ),
        (
            ReadTimeoutError(endpoint_url=ENDPOINT, error=TimeoutError()),
            "timeout",
            "the AWS endpoint https://logs.eu-west-1.amazonaws.com did not answer in time "
            "(read timeout); retrying",
        ),
        (
            ConnectTimeoutError(endpoint_url=ENDPOINT, error=TimeoutError()),
            "timeout",
            "no connection to the AWS endpoint https://logs.eu-west-1.amazonaws.com in time "
            "(connect timeout); retrying",
        ),
        (
            EndpointConnectionError(
                endpoint_url=ENDPOINT, error=socket.gaierror(-2, "Name or service not known")
            ),
            "unreachable",
            "cannot resolve the AWS endpoint https://logs.eu-west-1.amazonaws.com (DNS); retrying",
        ),
        (
            EndpointConnectionError(
                endpoint_url=ENDPOINT, error=ConnectionRefusedError(errno.ECONNREFUSED, "refused")
            ),
            "unreachable",
            "cannot reach the AWS endpoint https://logs.eu-west-1.amazonaws.com; retrying",
        ),
        (
            SSLError(
                endpoint_url=ENDPOINT,
                error=ssl.SSLCertVerificationError("certificate verify failed"),
            ),
            "unreachable",
            "TLS with the AWS endpoint https://logs.eu-west-1.amazonaws.com failed (certificate "
            "or proxy); retrying",
        ),
        (
            ProxyConnectionError(
                proxy_url="http://ops:hunter2@proxy.corp.example:3128/path?x=1", error=OSError()
            ),
            "unreachable",
            "cannot connect through the proxy http://proxy.corp.example:3128; retrying",
        ),
        (
            HTTPClientError(error=RuntimeError(f"odd failure at {ENDPOINT}")),
            "unreachable",
            "the connection to the AWS endpoint failed (RuntimeError); retrying",
        ),
    ],
)
def test_every_network_failure_is_one_clear_line_without_the_request_s_path_or_query(
    failure: BaseException, kind: str, line: str
) -> None:
    trouble = describe(failure)
    assert (trouble.kind, trouble.message) == (kind, line)
    assert len(f"⚠ {trouble.message} in 60 s +3 more") <= 132, "one line on a wide terminal"


@pytest.mark.parametrize(
    ("patience", "connect", "read", "attempts"),
    [(MONITORING, 5.0, 10.0, 3), (AT_THE_PROMPT, 5.0, 10.0, 2)],
)
async def test_patience_sets_the_timeouts_and_attempts_of_every_client(
    moto: MotoAccount,
    monkeypatch: pytest.MonkeyPatch,
    patience: Patience,
    connect: float,
    read: float,
    attempts: int,
) -> None:
    monkeypatch.delenv("AWS_MAX_ATTEMPTS", raising=False)
    async with Aws(moto.target(), patience=patience) as aws:
        config = (await aws.client("lambda")).meta.config
        assert (config.connect_timeout, config.read_timeout) == (connect, read)
        assert config.retries == {"mode": "standard", "total_max_attempts": attempts}


def test_a_dead_endpoint_costs_a_person_at_the_prompt_seconds_not_a_minute() -> None:
    """An endpoint that accepts and never answers costs every attempt its full read timeout."""
    assert AT_THE_PROMPT.attempts * AT_THE_PROMPT.read_timeout <= 20.0
    assert AT_THE_PROMPT.attempts >= 2, "throttling and 5xx still get a retry"


def test_max_attempts_that_is_not_a_number_is_a_configuration_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "lots")
    with pytest.raises(InvalidConfigError) as raised:
        Aws(AwsTarget(region="eu-west-1"))
    assert describe(raised.value).final.startswith("max_attempts")


@pytest.mark.parametrize(
    ("failure", "kind", "final"),
    [
        (
            PartialCredentialsError(provider="env", cred_var="AWS_SECRET_ACCESS_KEY"),
            "credentials",
            "Partial credentials found in env, missing: AWS_SECRET_ACCESS_KEY",
        ),
        (
            InvalidConfigError(error_msg='The source_profile "x" does not exist.'),
            "credentials",
            'The source_profile "x" does not exist',
        ),
        (
            CredentialRetrievalError(provider="custom-process", error_msg="exit 1"),
            "credentials",
            "Error when retrieving credentials from custom-process: exit 1",
        ),
        (SSOTokenLoadError(error_msg="no token"), "credentials", "SSOTokenLoadError: "),
        (ConfigParseError(path="/c"), "config", "Unable to parse config file: /c"),
        (ConfigNotFound(path="/c"), "config", "The specified config file (/c) could not be found"),
        (InvalidRegionError(region_name="x!"), "config", "Provided region_name 'x!'"),
    ],
)
def test_configuration_and_credential_failures_are_said_in_botocores_words(
    failure: BaseException, kind: str, final: str
) -> None:
    trouble = describe(failure)
    # Credentials a person renews are tried again soon; a configuration to fix, slowly.
    assert (trouble.kind, trouble.retry_soon) == (kind, kind == "credentials")
    assert trouble.final.startswith(final)
    assert raised_by_aws(failure)


@pytest.mark.parametrize("failure", [ValueError("bug"), KeyError("bug"), OSError(28, "full")])
def test_our_own_failures_are_not_taken_for_aws_ones(failure: BaseException) -> None:
    assert not raised_by_aws(failure)


@pytest.mark.parametrize(
    ("config", "profile", "command"),
    [
        # A role assumed from an SSO profile: the source profile is the one to sign in with.
        (
            "[profile reader]\nrole_arn = arn:aws:iam::111111111111:role/Reader\n"
            "source_profile = base\n"
            "[profile base]\nsso_session = corp\nsso_account_id = 111111111111\n"
            "sso_role_name = ReadOnly\n"
            "[sso-session corp]\nsso_start_url = https://example.awsapps.com/start\n"
            "sso_region = us-east-1\n",
            "reader",
            "aws sso login --profile base",
        ),
        # The default profile an SSO login's: no --profile to name.
        (
            "[default]\nsso_start_url = https://example.awsapps.com/start\n"
            "sso_region = us-east-1\nsso_account_id = 111111111111\nsso_role_name = ReadOnly\n",
            None,
            "aws sso login",
        ),
    ],
)
async def test_an_expired_sso_login_names_the_exact_command_to_run(
    moto: MotoAccount,
    tmp_path: object,
    monkeypatch: pytest.MonkeyPatch,
    config: str,
    profile: str | None,
    command: str,
) -> None:
    """No token in the SSO cache, as after the login ran out (botocore: "To refresh this SSO
    session run aws sso login with the corresponding profile"): the line says which."""
    from pathlib import Path

    folder = Path(str(tmp_path))
    (folder / "config").write_text(config)
    monkeypatch.setenv("HOME", str(folder))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(folder / "config"))
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    aws = Aws(AwsTarget(profile, "us-east-1", moto.url), buckets={}, max_attempts=1)
    try:
        with pytest.raises(BotoCoreError) as raised:
            await aws.call("lambda", "ListFunctions")
    finally:
        await aws.close()
    trouble = describe(raised.value, "function list")
    assert trouble.kind == "credentials"
    assert trouble.retry_soon
    assert trouble.final.endswith(f"the SSO session expired: run `{command}`")


SSO_PROFILE = (
    "[profile oncall]\nsso_session = corp\nsso_account_id = 111111111111\n"
    "sso_role_name = ReadOnly\nregion = us-east-1\n"
    "[sso-session corp]\nsso_start_url = https://example.awsapps.com/start\n"
    "sso_region = us-east-1\n"
)


def signed_in(home: object, monkeypatch: pytest.MonkeyPatch) -> None:
    """The token `aws sso login` leaves in the cache (botocore's SSOTokenProvider reads it from
    ~/.aws/sso/cache/<sha1 of the sso-session's name>.json), valid for hours yet. botocore
    fixes that folder at import: pointed at the test's home, never the real one."""
    import hashlib
    import json
    from pathlib import Path

    import botocore.credentials
    import botocore.tokens

    cache = Path(str(home)) / ".aws" / "sso" / "cache"
    cache.mkdir(parents=True)
    for provider in (botocore.tokens.SSOTokenProvider, botocore.credentials.SSOProvider):
        monkeypatch.setattr(provider, "_SSO_TOKEN_CACHE_DIR", str(cache))
    token = {
        "startUrl": "https://example.awsapps.com/start",
        "region": "us-east-1",
        "accessToken": "token-of-the-login",
        "expiresAt": "2099-01-01T00:00:00Z",
    }
    (cache / f"{hashlib.sha1(b'corp').hexdigest()}.json").write_text(json.dumps(token))


def role_credentials(**_: object) -> object:
    """The portal's GetRoleCredentials ("Returns the STS short-term credentials for a given role
    name that is assigned to the user"): valid for an hour, as a role session is."""
    return response(
        200,
        {
            "roleCredentials": {
                "accessKeyId": "ASIAONCALL",
                "secretAccessKey": "secret",
                "sessionToken": "session",
                "expiration": int((time.time() + 3600) * 1000),
            }
        },
    )


@pytest.mark.parametrize(
    ("service", "event", "operation", "answer", "final"),
    [
        # STS CommonErrors: "ExpiredToken: The security token included in the request is
        # expired"; the services say it ExpiredTokenException (Lambda: HTTP 403).
        (
            "lambda",
            "before-send.lambda.ListFunctions",
            "ListFunctions",
            lambda **_: error(
                403,
                "ExpiredTokenException",
                "The security token included in the request is expired",
            ),
            "function list: credentials expired (ExpiredTokenException):"
            " run `aws sso login --profile oncall`",
        ),
        (
            "logs",
            "before-send.cloudwatch-logs.FilterLogEvents",
            "FilterLogEvents",
            lambda **_: error(
                400,
                "ExpiredTokenException",
                "The security token included in the request is expired",
            ),
            "function list: credentials expired (ExpiredTokenException):"
            " run `aws sso login --profile oncall`",
        ),
    ],
)
async def test_an_sso_session_expiring_mid_session_names_the_login_to_run(
    moto: MotoAccount,
    tmp_path: object,
    monkeypatch: pytest.MonkeyPatch,
    service: str,
    event: str,
    operation: str,
    answer: object,
    final: str,
) -> None:
    """The SSO role's credentials ran out between two calls (an hour's session): the service,
    not the token load, refuses the call. The line names the profile's login, as the AWS CLI
    user guide says it: `aws sso login --profile my-dev-profile`."""
    from pathlib import Path

    folder = Path(str(tmp_path))
    (folder / "config").write_text(SSO_PROFILE)
    monkeypatch.setenv("HOME", str(folder))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(folder / "config"))
    signed_in(folder, monkeypatch)
    aws = Aws(AwsTarget("oncall", "us-east-1", moto.url), buckets={}, max_attempts=1)
    # The portal hands out the role's credentials: the SSO login is valid, the token loads.
    portal: list[str] = []

    def portal_answers(**_: object) -> object:
        portal.append("GetRoleCredentials")
        return role_credentials()

    aws._session.register("before-send.sso.GetRoleCredentials", portal_answers)
    try:
        await hook(aws, service, event, answer)  # type: ignore[arg-type]
        params = {"logGroupName": "/aws/lambda/a"} if service == "logs" else {}
        with pytest.raises(ClientError) as raised:
            await aws.call(service, operation, **params)
    finally:
        await aws.close()
    assert portal == ["GetRoleCredentials"], "signed with the SSO role's credentials"
    trouble = describe(raised.value, "function list")
    assert trouble.kind == "credentials"
    assert trouble.retry_soon, "a person signs in in another terminal: picked up soon"
    assert trouble.final == final


def test_the_sso_portal_refusing_the_token_is_a_login_api_gateways_refusal_is_access() -> None:
    """UnauthorizedException is two things: the SSO portal's GetRoleCredentials ("the request
    is not authorized ... due to an invalid access token") asks for a login; API Gateway's is
    "The request is denied because the caller has insufficient permissions"."""
    portal = ClientError(
        {
            "Error": {"Code": "UnauthorizedException", "Message": "Session token not found"},
            "ResponseMetadata": {"HTTPStatusCode": 401},
        },
        "GetRoleCredentials",
    )
    assert describe(portal).kind == "credentials"
    assert describe(portal).final.startswith("credentials rejected (UnauthorizedException)")
    gateway = ClientError(
        {
            "Error": {"Code": "UnauthorizedException", "Message": "insufficient permissions"},
            "ResponseMetadata": {"HTTPStatusCode": 401},
        },
        "GetRestApis",
    )
    assert describe(gateway).kind == "denied"
    assert describe(gateway, "API Gateway").final == (
        "API Gateway: access denied (UnauthorizedException): insufficient permissions"
    )


async def test_expired_credentials_from_the_environment_say_to_start_again_with_new_ones(
    moto: MotoAccount, aws: Aws
) -> None:
    """Temporary credentials exported in the environment (an assumed role's hour, STS's
    "ExpiredToken: The security token included in the request is expired") are never renewed
    in a running process, unlike a profile's: the line says what to do."""
    await hook(
        aws,
        "lambda",
        "before-send.lambda.ListFunctions",
        lambda **_: error(403, "ExpiredTokenException", "The security token is expired"),
    )
    with pytest.raises(ClientError) as raised:
        await aws.call("lambda", "ListFunctions")
    trouble = describe(raised.value, "function list")
    assert trouble.kind == "credentials"
    assert trouble.final == (
        "function list: credentials expired (ExpiredTokenException): the environment's temporary"
        " credentials (AWS_SESSION_TOKEN) ran out; start lambdatop again with new ones, or with"
        " a --profile botocore renews"
    )
