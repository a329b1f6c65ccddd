"""Classifications a one-character change in the classifier would get wrong and no other test
noticed (found by `make mutation`): the service a user is told failed."""

from __future__ import annotations

import pytest

from lambdatop.core.classify import classify
from lambdatop.core.records import ErrorFamily


def test_a_vpc_endpoint_host_names_the_service_behind_it() -> None:
    # A private endpoint's DNS name carries `vpce` twice; the service is the label before them.
    found = classify(
        "botocore.exceptions.ConnectTimeoutError: Connect timeout on endpoint URL: "
        '"https://vpce-0a1b2c3d-x1y2z3.sqs.us-east-1.vpce.amazonaws.com/"'
    )
    assert found is not None
    assert (found.family, found.service) == (ErrorFamily.NETWORK, "sqs")


@pytest.mark.parametrize(
    ("line", "service"),
    [
        pytest.param(
            "Rate exceeded (Service: AmazonSQS; Status Code: 400; Error Code: "
            "ThrottlingException; Request ID: 7f3a)",
            "sqs",
            id="Amazon-prefix",
        ),
        pytest.param(
            "Rate exceeded (Service: AWSStepFunctions; Status Code: 400; Error Code: "
            "ThrottlingException; Request ID: 7f3a)",
            "states",
            id="AWS-prefix",
        ),
    ],
)
def test_a_java_sdk_service_name_loses_its_vendor_prefix(line: str, service: str) -> None:
    # Java SDK v1 says `Service: AmazonSQS`; IAM says `sqs:`.
    found = classify(line)
    assert found is not None
    assert (found.family, found.service) == (ErrorFamily.THROTTLING, service)


@pytest.mark.parametrize(
    ("line", "family", "endpoint"),
    [
        pytest.param(
            "[ERROR] handler.py:57 Error: connect ECONNREFUSED 10.0.1.23:5432",
            ErrorFamily.DATABASE,
            "10.0.1.23:5432",
            id="source-file",
        ),
        pytest.param(
            "index.js:57 Error: connect ETIMEDOUT 10.0.1.23:443",
            ErrorFamily.NETWORK,
            "10.0.1.23:443",
            id="node-source-file",
        ),
    ],
)
def test_a_logged_source_line_is_not_the_endpoint(
    line: str, family: ErrorFamily, endpoint: str
) -> None:
    # `handler.py:57` has the shape of `host:port`; the endpoint is the address that refused.
    found = classify(line)
    assert found is not None
    assert (found.family, found.endpoint) == (family, endpoint)
