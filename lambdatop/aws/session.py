"""AWS clients built the way the AWS CLI would build them, made read-only, paced and counted.

`Aws.call(service, operation, **params)` is the one door to AWS: it refuses any operation outside
the allow-list before anything is sent, waits for the service's token bucket, and counts the call
in the ledger. Each client also refuses non-allowed operations itself (a `before-call` hook), so
nothing that bypasses `call` can write either.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterable
from contextlib import AsyncExitStack
from dataclasses import dataclass
from typing import Any

from aiobotocore.config import AioConfig
from aiobotocore.session import AioSession
from botocore import xform_name
from botocore.exceptions import (
    ClientError,
    DataNotFoundError,
    InvalidConfigError,
    NoRegionError,
)

from lambdatop.aws.errors import (
    EXPIRED_CODES,
    EXPIRED_IN,
    RENEWAL,
    THROTTLE_CODES,
    ReadOnlyViolation,
    describe,
    renewal,
)
from lambdatop.aws.ledger import Ledger
from lambdatop.aws.pacing import TokenBucket, make_buckets
from lambdatop.aws.policy import is_allowed
from lambdatop.core.sources import ErrorKind, InFlight


@dataclass(slots=True, frozen=True)
class Patience:
    """How long to wait on AWS before a call fails: the worst case, an endpoint that accepts
    the connection and never answers, costs `attempts * read_timeout` seconds."""

    connect_timeout: float
    read_timeout: float
    attempts: int
    """Attempts in all, the first included, unless AWS_MAX_ATTEMPTS or the profile says."""


MONITORING = Patience(connect_timeout=5.0, read_timeout=10.0, attempts=3)
"""The monitor polls again anyway, and says a request unanswered after a few seconds while it
waits (core.sources.InFlight). botocore's Config: read_timeout is "the time in seconds till a
timeout exception is thrown when attempting to read from a connection. The default is 60
seconds"; total_max_attempts "includes the initial request". Its 60 s, three times, would leave
a hung endpoint unnamed for three minutes. The read APIs polled here answer in well under a
second (FilterLogEvents returns what it found with a nextToken rather than run long), so 10 s
is generous: a dead endpoint turns into a failing source with a retry countdown in 30 s, not
60, and the screen says "waiting N s on ..." from the third second."""
AT_THE_PROMPT = Patience(connect_timeout=5.0, read_timeout=10.0, attempts=2)
"""`diagnose` and `tail`: a person waits at the prompt (at 3 a.m.): a dead endpoint fails in
about 20 s, not a minute, and throttling or a 5xx still gets one retry."""


@dataclass(slots=True, frozen=True)
class AwsTarget:
    """Which account and region to read, as the AWS CLI's flags and variables say."""

    profile: str | None = None
    region: str | None = None
    endpoint_url: str | None = None

    @classmethod
    def resolve(
        cls, profile: str | None, region: str | None, endpoint_url: str | None
    ) -> AwsTarget:
        """Flags first, then AWS_PROFILE, AWS_REGION / AWS_DEFAULT_REGION, AWS_ENDPOINT_URL."""
        return cls(
            profile=profile or os.environ.get("AWS_PROFILE") or None,
            region=region
            or os.environ.get("AWS_REGION")
            or os.environ.get("AWS_DEFAULT_REGION")
            or None,
            endpoint_url=endpoint_url or os.environ.get("AWS_ENDPOINT_URL") or None,
        )


class Aws:
    """Read-only, paced, counted aiobotocore clients for one target."""

    def __init__(
        self,
        target: AwsTarget,
        ledger: Ledger | None = None,
        buckets: dict[str, TokenBucket] | None = None,
        *,
        patience: Patience = MONITORING,
        max_attempts: int | None = None,
    ) -> None:
        """Reads the AWS configuration: raises botocore's errors (ProfileNotFound,
        ConfigParseError, ...) for `errors.describe` to word."""
        quiet_sdk_logging()
        self.target = target
        self.ledger = ledger or Ledger()
        self.buckets = buckets if buckets is not None else make_buckets()
        self.in_flight = InFlight(time.time)
        """Requests not answered yet; the monitor shares its store's, so the screen says them."""
        self._session = AioSession(profile=target.profile) if target.profile else AioSession()
        _share_models(self._session)
        if max_attempts is None:
            max_attempts = self._configured_attempts() or patience.attempts
        self._config = AioConfig(
            retries={"mode": "standard", "total_max_attempts": max_attempts},
            connect_timeout=patience.connect_timeout,
            read_timeout=patience.read_timeout,
            max_pool_connections=10,
            user_agent_extra="lambdatop",
            # StartLiveTail's host prefix (`stream-`) would be put before an explicit endpoint's
            # host (an emulator's 127.0.0.1): the endpoint given is the one to use.
            inject_host_prefix=target.endpoint_url is None,
        )
        self._stack = AsyncExitStack()
        self._clients: dict[str, Any] = {}
        region = target.region or self._session.get_config_variable("region")
        if not region:
            # As the AWS CLI: reading another region's account without a word would mislead.
            raise NoRegionError()
        self.region: str = region
        self.renewal = self._sso_login()
        """The command that renews this target's credentials, where they are an SSO login's."""

    def _sso_login(self) -> str | None:
        """`aws sso login --profile NAME` for a profile whose credentials come from IAM Identity
        Center, directly or through the `source_profile` a role is assumed from. The AWS CLI
        user guide (https://docs.aws.amazon.com/cli/latest/userguide/cli-configure-sso.html):
        `aws sso login --profile my-dev-profile` signs in again when the session expired; a
        profile with `sso_session` or `sso_start_url` is such a profile."""
        try:
            profiles = self._session.full_config.get("profiles", {})
        except Exception:  # noqa: BLE001 - no command to suggest beats a failed start
            return None
        name = self.target.profile or "default"
        for _ in range(5):  # a chain of roles ends at its credentials; a loop is not followed
            profile = profiles.get(name) or {}
            if "sso_session" in profile or "sso_start_url" in profile:
                named = self.target.profile is not None or name != "default"
                return f"aws sso login --profile {name}" if named else "aws sso login"
            source = profile.get("source_profile")
            if not isinstance(source, str) or source == name:
                return None
            name = source
        return None

    def load_models(self, services: Iterable[str]) -> None:
        """Read the services' API models and the endpoint data now, blocking (botocore keeps
        them): from a thread, so that creating the clients later does not stall the event loop
        (the first client reads about 1 MB of JSON and stats a thousand files)."""
        loader = self._session.get_component("data_loader")
        try:
            loader.load_data("endpoints")
            loader.load_data("partitions")
            for service in services:
                loader.load_service_model(service, "service-2")
                loader.load_service_model(service, "endpoint-rule-set-1")
        except DataNotFoundError:
            return  # a botocore laid out otherwise: the clients read what they need themselves

    def _configured_attempts(self) -> int | None:
        """AWS_MAX_ATTEMPTS or the profile's max_attempts, as the AWS CLI honours them.

        Attempts in all, the first included (botocore's own `max_attempts` counts retries)."""
        try:
            return _positive_int(self._session.get_config_variable("max_attempts"))
        except ValueError:  # botocore converts the text to int itself
            raise InvalidConfigError(
                error_msg="max_attempts (AWS_MAX_ATTEMPTS or the profile's) is not a whole number"
            ) from None

    async def __aenter__(self) -> Aws:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        self._clients.clear()
        await self._stack.aclose()

    async def client(self, service: str) -> Any:
        """The (shared) client for a service, created on first use."""
        client: Any = self._clients.get(service)
        if client is None:
            client = await self._stack.enter_async_context(
                self._session.create_client(
                    service,
                    region_name=self.region,
                    endpoint_url=self.target.endpoint_url,
                    config=self._config,
                )
            )
            client.meta.events.register("before-call", self._guard)
            client.meta.events.register("before-send", self._count_attempt)
            self._clients[service] = client
        return client

    @staticmethod
    def _guard(model: Any, **_: Any) -> None:
        service = model.service_model.service_name
        if not is_allowed(service, model.name):
            raise ReadOnlyViolation(f"{service}:{model.name} is not a read-only operation")

    def _count_attempt(self, **_: Any) -> None:
        self.ledger.record_attempt()

    def _name_renewal(self, error: Exception) -> None:
        """A credential failure carries the command that renews this profile's login, so every
        message of it says the exact `aws sso login --profile NAME` to run."""
        if self.renewal is not None and describe(error).kind is ErrorKind.CREDENTIALS:
            setattr(error, RENEWAL, self.renewal)

    async def _name_environment(self, error: Exception) -> None:
        """Expired credentials from the environment (AWS_SESSION_TOKEN exported from an assumed
        role) are never renewed in this process: the line says to start again with new ones."""
        try:
            credentials = await self._session.get_credentials()
        except Exception:  # noqa: BLE001 - the plain line then stands
            return
        if credentials is not None and getattr(credentials, "method", None) == "env":
            setattr(error, EXPIRED_IN, "environment")

    def bucket(self, service: str, operation: str) -> TokenBucket | None:
        """The token bucket that paces an operation: its own if it has one, else its service's."""
        return self.buckets.get(f"{service}:{operation}") or self.buckets.get(service)

    async def call(self, service: str, operation: str, **params: Any) -> dict[str, Any]:
        """Call one allowed operation; raises what botocore raises (see errors.describe)."""
        if not is_allowed(service, operation):
            raise ReadOnlyViolation(f"{service}:{operation} is not a read-only operation")
        if service == "logs" and str(params.get("logGroupName", "")).startswith("arn:"):
            # A source account's log group, read from a monitoring account: "If the log group is
            # in a source account and you are using a monitoring account, you must use the log
            # group ARN. You must include either logGroupIdentifier or logGroupName, but not
            # both." (FilterLogEvents, DescribeLogStreams). The pollers name groups one way.
            params["logGroupIdentifier"] = params.pop("logGroupName")
        client = await self.client(service)
        bucket = self.bucket(service, operation)
        if bucket is not None:
            await bucket.take()
        self.ledger.record_call(service, operation, params)
        try:
            with self.in_flight.request(service, operation):
                response: dict[str, Any] = await getattr(client, xform_name(operation))(**params)
        except ClientError as error:
            code = str(error.response.get("Error", {}).get("Code") or "")
            if bucket is not None and code in THROTTLE_CODES:
                bucket.throttled()
            self._name_renewal(error)
            if code in EXPIRED_CODES and renewal(error) is None:
                await self._name_environment(error)
            raise
        except Exception as error:
            self._name_renewal(error)  # an SSO token botocore could not load or refresh
            raise
        self.ledger.record_answer(service, operation, params)
        return response


_LOADERS: dict[str, Any] = {}
"""botocore's model loaders by data path, one for every session of the process."""


def _share_models(session: AioSession) -> None:
    """A loader keeps the API models it has read: sessions sharing one (the contexts of a fleet,
    a profile per account) read the models once, not a second or more each at start."""
    path = str(session.get_config_variable("data_path") or "")
    loader = _LOADERS.get(path)
    if loader is None:
        _LOADERS[path] = session.get_component("data_loader")
    else:
        session.register_component("data_loader", loader)


def quiet_sdk_logging() -> None:
    """botocore and aiobotocore log retries and failed credential refreshes with tracebacks on
    stderr; lambdatop says each failure itself, once, in one line (see errors.describe)."""
    for name in ("botocore", "aiobotocore"):
        logging.getLogger(name).setLevel(logging.CRITICAL)


def _positive_int(value: object) -> int | None:
    try:
        number = int(str(value))
    except ValueError:
        return None
    return number if number > 0 else None
