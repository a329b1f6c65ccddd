"""Two AWS accounts and two regions in one moto server, reached through real AWS profiles.

moto keys its state by account and region. The region is the client's; the account is the one
whose IAM access key signed the request (moto's `get_current_account`: "Use the access key to get
the Account ID"), so a profile holding a key made in another account reads that account, as a
real profile would. The key is made in that account by a seeding client that names it with
moto's `x-moto-account-id` header.

    profile prod     account 123456789012   us-east-1: checkout (128 MB)
                                            eu-west-1: checkout (1024 MB)
    profile staging  account 210987654321   eu-west-1: invoices, and the log group and
                                            metrics of a checkout (a source account's, as a
                                            monitoring account sees it: awslinked.py)
    profile expired  an SSO login that has run out: every call fails on its credentials
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import awsseed
import boto3
import pytest
from awsmoto import ACCOUNT, MotoAccount
from botocore.config import Config

from lambdatop.aws.session import Aws, AwsTarget
from lambdatop.commands.backend import MonitorAfterFirstFrame
from lambdatop.core.fleet import ContextStore, FleetStore, function_key
from lambdatop.core.sources import Context

EAST, WEST = "us-east-1", "eu-west-1"
STAGING_ACCOUNT = "210987654321"
EAST_CHECKOUT = function_key("checkout", EAST, ACCOUNT)
WEST_CHECKOUT = function_key("checkout", WEST, ACCOUNT)
INVOICES = function_key("invoices", WEST, STAGING_ACCOUNT)
EAST_LINE = "hello from the checkout in us-east-1"
WEST_LINE = "hello from the checkout in eu-west-1"
SOURCE_LINE = "hello from the source account's checkout"


class AccountIn(MotoAccount):
    """Seeding clients for one account and region of the shared moto server."""

    def __init__(self, url: str, region: str, key: tuple[str, str] = ("testing", "testing")):
        super().__init__(url)
        self.region = region
        self.key = key

    def client(self, service: str) -> Any:
        if service not in self._clients:
            self._clients[service] = boto3.client(
                service,
                endpoint_url=self.url,
                region_name=self.region,
                aws_access_key_id=self.key[0],
                aws_secret_access_key=self.key[1],
                config=Config(retries={"total_max_attempts": 1, "mode": "standard"}),
            )
        return self._clients[service]


def access_key_in(moto: MotoAccount, account: str) -> tuple[str, str]:
    """An IAM access key made in `account`: requests it signs are that account's."""
    iam = boto3.client(
        "iam",
        endpoint_url=moto.url,
        region_name=EAST,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )

    def in_account(request: Any, **_: Any) -> None:
        request.headers["x-moto-account-id"] = account

    iam.meta.events.register("before-send", in_account)
    iam.create_user(UserName="lambdatop-reader")
    key = iam.create_access_key(UserName="lambdatop-reader")["AccessKey"]
    return str(key["AccessKeyId"]), str(key["SecretAccessKey"])


def seed(moto: MotoAccount, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[str, str]:
    """The accounts, regions and profiles of the module docstring; the staging account's key."""
    staging_key = access_key_in(moto, STAGING_ACCOUNT)
    now_ms = int(time.time() * 1000)
    for region, memory, line in ((EAST, 128, EAST_LINE), (WEST, 1024, WEST_LINE)):
        place = AccountIn(moto.url, region)
        awsseed.function(place, "checkout", memory_mb=memory)
        awsseed.log_events(
            place, "/aws/lambda/checkout", "2026/12/07/[$LATEST]0a", [(now_ms - 60_000, line)]
        )
    staging = AccountIn(moto.url, WEST, staging_key)
    awsseed.function(staging, "invoices")
    awsseed.log_events(
        staging, "/aws/lambda/checkout", "2026/12/07/[$LATEST]0b", [(now_ms - 60_000, SOURCE_LINE)]
    )
    awsseed.lambda_metric(staging, "checkout", "Invocations", [7.0, 7.0, 7.0])
    (tmp_path / "credentials").write_text(
        "[prod]\naws_access_key_id = testing\naws_secret_access_key = testing\n"
        f"[staging]\naws_access_key_id = {staging_key[0]}\n"
        f"aws_secret_access_key = {staging_key[1]}\n"
    )
    # An SSO profile whose login has run out: no token in the cache, as after it expired.
    (tmp_path / "config").write_text(
        "[profile expired]\nsso_start_url = https://example.awsapps.com/start\n"
        "sso_region = us-east-1\nsso_account_id = 111111111111\nsso_role_name = ReadOnly\n"
    )
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    return staging_key


def fleet_over(
    moto: MotoAccount, contexts: list[tuple[str, str]]
) -> tuple[FleetStore, MonitorAfterFirstFrame]:
    """The store and backend `lambdatop --profile … --region …` builds, over moto."""
    fleet = FleetStore()

    def connect(profile: str, region: str) -> Any:
        return lambda: Aws(
            AwsTarget(profile=profile, region=region, endpoint_url=moto.url),
            buckets={},
            max_attempts=1,
        )

    parts: list[tuple[ContextStore, Any]] = [
        (fleet.add_context(Context(profile, region)), connect(profile, region))
        for profile, region in contexts
    ]
    backend = MonitorAfterFirstFrame(fleet, parts[0][1], contexts=parts)
    return fleet, backend
