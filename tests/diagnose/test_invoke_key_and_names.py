"""Lambda's own invoke error when it cannot decrypt a function's environment variables, and a
host name the DNS says does not exist: families the real-log corpus showed advised as something
else (tests/reallogs, branch newlogs). Every line here is written for the test, in the shape of
the real ones."""

from __future__ import annotations

from expect import has, lacks, run
from lambdalogs import FUNCTION, REGION

from lambdatop.commands.diagnose import evidence_from_export
from lambdatop.core.export import read_export
from lambdatop.diagnose.checks import permission
from lambdatop.diagnose.evidence import Evidence
from lambdatop.diagnose.model import CheckStatus

RID = "3c9e7a41-58b2-4d06-9f1e-a7b8c9d0e1f2"
ROLE = "arn:aws:sts::210987654321:assumed-role/billing-role/billing"
KEY = "arn:aws:kms:eu-west-2:210987654321:key/0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9"


def exported(text: str) -> Evidence:
    return evidence_from_export(
        read_export(text.encode()), function=FUNCTION, region=REGION, since_s=None
    )


ENV_KEY_DENIED = (
    "Calling the invoke API action failed with this message: Lambda was unable to decrypt the"
    " environment variables because KMS access was denied. Please check the function's KMS key"
    " settings. KMS Exception: UnrecognizedClientExceptionKMS Message: The security token"
    " included in the request is invalid.\n"
)
ENV_KEY_WRAPPED = (
    "Lambda was unable to decrypt the environment variables\n"
    "because KMS access was denied. Please check the function's KMS key settings. KMS Exception:\n"
    f"AccessDeniedExceptionKMS Message: User: {ROLE} is not authorized to perform: kms:Decrypt"
    " on resource:\n"
    f"{KEY} because no identity-based policy allows the kms:Decrypt action\n"
)
CODE_DENIED = (
    f"2024-03-04T10:11:12.123Z\t{RID}\tERROR\tAccessDeniedException: User: {ROLE} is not"
    f" authorized to perform: kms:Decrypt on resource: {KEY} because no identity-based policy"
    " allows the kms:Decrypt action\n"
)


def test_environment_variables_not_decrypted_are_lambdas_key_not_the_codes_call() -> None:
    for text in (ENV_KEY_DENIED, ENV_KEY_WRAPPED):
        result = run(exported(text), "permission")
        assert result.status is CheckStatus.FAIL
        has(result.evidence, "could not decrypt the function's environment variables")
        has(result.next_steps, "--query KMSKeyArn", "role and back", "key policy")


def test_the_codes_own_kms_denial_is_not_called_the_environment_variables() -> None:
    result = run(exported(CODE_DENIED), "permission")
    assert result.status is CheckStatus.FAIL
    has(result.next_steps, "kms:Decrypt")
    lacks(result.evidence, "environment variables")
    lacks(result.next_steps, "KMSKeyArn", permission.FIX_ENVIRONMENT_GRANT.text)


def test_a_wrapped_denial_names_no_resource_of_its_colon() -> None:
    result = run(exported(ENV_KEY_WRAPPED), "permission")
    lacks(result.next_steps, "--resource-arns :", '"Resource":":"', "<ARN of :>")


def _lookup(error: str) -> str:
    return (
        f"START RequestId: {RID} Version: $LATEST\n"
        f"2024-03-04T10:11:12.123Z\t{RID}\tERROR\tInvoke Error \t"
        f'{{"errorType":"Error","errorMessage":"{error}","stack":["Error: {error}",'
        '"    at GetAddrInfoReqWrap.onlookup [as oncomplete] (node:dns:107:26)"]}\n'
        f"END RequestId: {RID}\n"
        f"REPORT RequestId: {RID}\tDuration: 40.12 ms\tBilled Duration: 41 ms\t"
        "Memory Size: 256 MB\tMax Memory Used: 81 MB\n"
    )


def test_a_name_the_dns_says_does_not_exist_is_a_host_names_error_first() -> None:
    for error in (
        "getaddrinfo ENOTFOUND api.payments-staging.example.net",
        "dial tcp: lookup api.payments-staging.example.net: no such host",
    ):
        result = run(exported(_lookup(error)), "vpc")
        assert result.status is not CheckStatus.OK
        assert "api.payments-staging.example.net does not resolve" in result.title
        has(result.next_steps, "Check the host name first", "private hosted zone")


def test_a_resolver_that_did_not_answer_is_not_called_a_missing_name() -> None:
    result = run(exported(_lookup("getaddrinfo EAI_AGAIN api.payments.example.net")), "vpc")
    assert result.status is not CheckStatus.OK
    assert "does not resolve" not in result.title
    has(result.next_steps, "DNS resolution")
    lacks(result.next_steps, "Check the host name first")


S3_SLOW_DOWN = (
    "Amazon.S3.AmazonS3Exception: Please reduce your request rate. (Service: Amazon S3;"
    " Status Code: 503; Error Code: SlowDown)\n"
)


def test_s3_slowing_the_function_down_is_advised_by_its_prefixes() -> None:
    result = run(exported(S3_SLOW_DOWN), "throttling")
    assert result.status is not CheckStatus.OK
    has(result.evidence, "tied to no invocation")
    lacks(result.evidence, "in 0 invocations")
    has(result.next_steps, "per prefix", "3,500 PUT")


def test_a_dynamodb_throttle_is_not_advised_by_s3s_prefixes() -> None:
    line = (
        f"2024-03-04T10:11:12.123Z\t{RID}\tERROR\tProvisionedThroughputExceededException: The"
        " level of configured provisioned throughput for the table was exceeded\n"
    )
    result = run(exported(line), "throttling")
    assert result.status is not CheckStatus.OK
    lacks(result.next_steps, "per prefix")


def test_the_network_interface_quota_is_advised_as_the_quota_not_the_subnets() -> None:
    quota = (
        "Lambda was not able to create an ENI in the VPC of the Lambda function because the"
        " limit for Network Interfaces has been reached.\n"
    )
    result = run(exported(quota), "vpc")
    assert result.status is CheckStatus.FAIL
    assert "the limit for Network Interfaces has been reached" in result.title
    has(result.next_steps, "Values=lambda", "quota of network interfaces", "Service Quotas")
    lacks(result.next_steps, "add subnets with free IP addresses")
    ips = "SubnetIPAddressLimitReachedException: Lambda was unable to configure access\n"
    has(run(exported(ips), "vpc").next_steps, "add subnets with free IP addresses")


def test_the_invoke_error_logged_by_an_invocation_is_the_invoked_functions_key() -> None:
    # A function invoking another logs the Invoke API's error inside its own invocation.
    logged = (
        f"START RequestId: {RID} Version: $LATEST\n"
        f"2024-03-04T10:11:12.123Z\t{RID}\tERROR\tKMSAccessDeniedException: Lambda was unable to"
        " decrypt the environment variables because KMS access was denied. Please check the"
        " function's KMS key settings.\n"
        f"END RequestId: {RID}\n"
        f"REPORT RequestId: {RID}\tDuration: 40.12 ms\tBilled Duration: 41 ms\t"
        "Memory Size: 256 MB\tMax Memory Used: 81 MB\n"
    )
    result = run(exported(logged), "permission")
    has(result.evidence, "a function it invoked could not run")
    lacks(result.evidence, "so the function never ran")
    has(result.next_steps, "--function-name '<invoked-function>' --query KMSKeyArn")
