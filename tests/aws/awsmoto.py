"""A moto account for one test: boto3 clients to seed it, the environment for a subprocess."""

from __future__ import annotations

import os
import urllib.request
from typing import Any

import boto3
from botocore.config import Config

from lambdatop.aws.session import AwsTarget

REGION = "us-east-1"
ACCOUNT = "123456789012"


class MotoAccount:
    """A clean moto account for one test."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.region = REGION
        self._clients: dict[str, Any] = {}

    def client(self, service: str) -> Any:
        """A boto3 client to seed moto with (one attempt per call)."""
        if service not in self._clients:
            self._clients[service] = boto3.client(
                service,
                endpoint_url=self.url,
                region_name=self.region,
                aws_access_key_id="testing",
                aws_secret_access_key="testing",
                config=Config(retries={"total_max_attempts": 1, "mode": "standard"}),
            )
        return self._clients[service]

    def reset(self) -> None:
        request = urllib.request.Request(f"{self.url}/moto-api/reset", method="POST")
        with urllib.request.urlopen(request, timeout=10) as response:
            assert response.status == 200

    def target(self) -> AwsTarget:
        return AwsTarget(region=self.region, endpoint_url=self.url)

    def env(self, **extra: str) -> dict[str, str]:
        """The environment for a `lambdatop` subprocess against this account."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env.update(
            AWS_ACCESS_KEY_ID="testing",
            AWS_SECRET_ACCESS_KEY="testing",
            AWS_DEFAULT_REGION=self.region,
            AWS_CONFIG_FILE="/nonexistent/aws-config",
            AWS_SHARED_CREDENTIALS_FILE="/nonexistent/aws-credentials",
            AWS_MAX_ATTEMPTS="1",
            NO_COLOR="1",
        )
        env.update(extra)
        return env
