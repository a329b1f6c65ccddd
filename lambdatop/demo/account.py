"""Create the simulated account's resources through real boto3 calls against moto.

IAM roles first (moto's CreateFunction refuses a role that does not exist), then the VPC, the
functions (zip code, never invoked, so no Docker), reserved concurrency, the Kinesis stream and
its event source mapping, and the API Gateway REST and HTTP APIs whose integrations name the
function ARN.
"""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass, field
from typing import Any

import boto3

from lambdatop.demo.metrics import Dimensions
from lambdatop.demo.scenarios import ACCOUNT_ID, REGION, Scenario

CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}

_TRUST_POLICY = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "lambda.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
)
# Inline copies of AWSLambdaBasicExecutionRole / AWSLambdaVPCAccessExecutionRole: moto only knows
# AWS managed policies when told to load all of them (MOTO_IAM_LOAD_MANAGED_POLICIES, slow)
_BASIC_EXECUTION = {
    "Effect": "Allow",
    "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
    "Resource": "*",
}
_VPC_EXECUTION = {
    "Effect": "Allow",
    "Action": [
        "ec2:CreateNetworkInterface",
        "ec2:DescribeNetworkInterfaces",
        "ec2:DeleteNetworkInterface",
        "ec2:AssignPrivateIpAddresses",
        "ec2:UnassignPrivateIpAddresses",
    ],
    "Resource": "*",
}
_XRAY_WRITE = {
    "Effect": "Allow",
    "Action": ["xray:PutTraceSegments", "xray:PutTelemetryRecords"],
    "Resource": "*",
}

_SOURCE = {
    "python": ("app.py", "def handler(event, context):\n    return {'ok': True}\n"),
    "nodejs": ("index.mjs", "export const handler = async () => ({ ok: true });\n"),
    "java": ("com/acme/Handler.class", "placeholder: the demo never invokes functions\n"),
    "provided": ("bootstrap", "#!/bin/sh\n# placeholder: the demo never invokes functions\n"),
}


def client(service: str, endpoint_url: str) -> Any:
    """A boto3 client on the simulated account, with retries kept short (moto answers fast)."""
    from botocore.config import Config

    return boto3.client(
        service,
        endpoint_url=endpoint_url,
        region_name=REGION,
        config=Config(
            retries={"max_attempts": 2, "mode": "standard"},
            connect_timeout=5,
            read_timeout=30,
            # Thousands of calls write the history before the demo's first frame: botocore's
            # check of our own generator's parameters (walking every log event) and its
            # User-Agent rebuilt for each request were a fifth of the client's CPU time.
            parameter_validation=False,
            user_agent="lambdatop-demo",
        ),
        **CREDENTIALS,
    )


@dataclass(slots=True)
class Provisioned:
    """What account creation produced that the generator needs to know."""

    versions: dict[str, str] = field(default_factory=dict)
    """Function name → the version its invocations run (`$LATEST`, or a published one)."""
    api_dimensions: dict[str, dict[str, Dimensions]] = field(default_factory=dict)
    """Function name → {"rest" | "http": the API's CloudWatch dimensions}."""


@dataclass(slots=True)
class _Network:
    vpc_id: str
    private_subnets: list[str]
    exhausted_subnets: list[str]
    lambda_security_group: str


def _code_zip(runtime: str) -> bytes:
    key = next((prefix for prefix in _SOURCE if runtime.startswith(prefix)), "provided")
    name, body = _SOURCE[key]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(name, body)
    return buffer.getvalue()


def _create_network(endpoint_url: str) -> _Network:
    ec2 = client("ec2", endpoint_url)
    vpc_id = ec2.create_vpc(CidrBlock="10.20.0.0/16")["Vpc"]["VpcId"]
    ec2.create_tags(Resources=[vpc_id], Tags=[{"Key": "Name", "Value": "acme-prod"}])
    private = []
    for cidr, zone in (("10.20.10.0/24", "us-east-1a"), ("10.20.11.0/24", "us-east-1b")):
        subnet = ec2.create_subnet(VpcId=vpc_id, CidrBlock=cidr, AvailabilityZone=zone)["Subnet"]
        private.append(subnet["SubnetId"])
    # Two /28 subnets (11 usable addresses each), then filled with ENIs: no address is left
    exhausted = []
    for cidr, zone in (("10.20.30.0/28", "us-east-1a"), ("10.20.30.16/28", "us-east-1b")):
        subnet = ec2.create_subnet(VpcId=vpc_id, CidrBlock=cidr, AvailabilityZone=zone)["Subnet"]
        exhausted.append(subnet["SubnetId"])
        _fill_with_enis(subnet["SubnetId"], subnet["AvailableIpAddressCount"], zone)
    group = ec2.create_security_group(
        GroupName="lambda-private",
        Description="Lambda functions in the private subnets",
        VpcId=vpc_id,
    )["GroupId"]
    return _Network(vpc_id, private, exhausted, group)


def _fill_with_enis(subnet_id: str, count: int, zone: str) -> None:
    """`count` ENIs in the subnet, handed to moto's EC2 backend in this process as its
    CreateNetworkInterface handler hands them (22 calls over HTTP were 0.26 s of CPU of the
    demo's start, issue 14): each takes one of the subnet's addresses."""
    from moto.ec2.models import ec2_backends

    ec2 = ec2_backends[ACCOUNT_ID][REGION]
    subnet = ec2.get_subnet(subnet_id)
    for index in range(count):
        ec2.create_network_interface(
            subnet,
            None,  # type: ignore[arg-type]  # none asked, as the handler passes it: the next free
            [],
            [],
            f"AWS Lambda VPC ENI-inventory-sync-{zone}-{index}",
            {},
            secondary_ips_count=None,
            ipv6_addresses=[],
            ipv6_address_count=0,
        )


def _create_role(iam: Any, scenario: Scenario) -> str:
    role = iam.create_role(
        RoleName=scenario.execution_role,
        AssumeRolePolicyDocument=_TRUST_POLICY,
        Description=f"Execution role for {scenario.name}",
    )["Role"]
    statements = [_BASIC_EXECUTION]
    if scenario.vpc:
        statements.append(_VPC_EXECUTION)
    if scenario.tracing:
        statements.append(_XRAY_WRITE)
    iam.put_role_policy(
        RoleName=scenario.execution_role,
        PolicyName="lambda-execution",
        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": statements}),
    )
    if scenario.name == "report-exporter":
        # The role change of the incident: s3:GetObject on acme-reports was dropped
        policy = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": ["s3:PutObject"],
                    "Resource": "arn:aws:s3:::acme-exports/*",
                }
            ],
        }
        iam.put_role_policy(
            RoleName=scenario.execution_role,
            PolicyName="report-exporter-s3",
            PolicyDocument=json.dumps(policy),
        )
    return str(role["Arn"])


def _create_function(lam: Any, scenario: Scenario, role_arn: str, network: _Network | None) -> str:
    spec: dict[str, Any] = {
        "FunctionName": scenario.name,
        "Runtime": scenario.runtime,
        "Role": role_arn,
        "Handler": scenario.handler,
        "Code": {"ZipFile": _code_zip(scenario.runtime)},
        "Description": scenario.description,
        "Timeout": scenario.timeout_s,
        "MemorySize": scenario.memory_mb,
        "Architectures": [scenario.architecture],
        "TracingConfig": {"Mode": "Active" if scenario.tracing else "PassThrough"},
        "LoggingConfig": {"LogFormat": scenario.log_format.value, "LogGroup": scenario.log_group},
        "Tags": scenario.tags,
        "Publish": False,
    }
    if scenario.snapstart:
        spec["SnapStart"] = {"ApplyOn": "PublishedVersions"}
    if network is not None and scenario.vpc:
        subnets = (
            network.exhausted_subnets
            if scenario.name == "inventory-sync"
            else network.private_subnets
        )
        spec["VpcConfig"] = {
            "SubnetIds": subnets,
            "SecurityGroupIds": [network.lambda_security_group],
        }
    if scenario.name == "payment-processor":
        spec["Environment"] = {
            "Variables": {
                "DB_HOST": "payments-db.cluster-c7xk2m9pq4ds.us-east-1.rds.amazonaws.com",
                "DB_POOL_SIZE": "5",
            }
        }
    lam.create_function(**spec)
    if scenario.reserved_concurrency is not None:
        lam.put_function_concurrency(
            FunctionName=scenario.name, ReservedConcurrentExecutions=scenario.reserved_concurrency
        )
    if scenario.snapstart:
        # SnapStart applies to published versions only: traffic runs version N through an alias
        version = str(lam.publish_version(FunctionName=scenario.name)["Version"])
        lam.create_alias(FunctionName=scenario.name, Name="live", FunctionVersion=version)
        return version
    return "$LATEST"


def _create_stream_source(endpoint_url: str, lam: Any, scenario: Scenario) -> None:
    stream = scenario.kinesis_stream
    if stream is None:
        return
    kinesis = client("kinesis", endpoint_url)
    kinesis.create_stream(StreamName=stream, ShardCount=2)
    arn = kinesis.describe_stream(StreamName=stream)["StreamDescription"]["StreamARN"]
    lam.create_event_source_mapping(
        EventSourceArn=arn,
        FunctionName=scenario.name,
        StartingPosition="TRIM_HORIZON",
        BatchSize=100,
        MaximumBatchingWindowInSeconds=5,
    )


def _create_apis(endpoint_url: str, scenario: Scenario) -> dict[str, Dimensions]:
    dims: dict[str, Dimensions] = {}
    uri = (
        f"arn:aws:apigateway:{REGION}:lambda:path/2015-03-31/functions/"
        f"{scenario.function_arn}/invocations"
    )
    if scenario.rest_api:
        apigw = client("apigateway", endpoint_url)
        api_id = apigw.create_rest_api(name=scenario.rest_api, description=scenario.description)[
            "id"
        ]
        root = next(
            r["id"] for r in apigw.get_resources(restApiId=api_id)["items"] if r["path"] == "/"
        )
        resource = apigw.create_resource(restApiId=api_id, parentId=root, pathPart="checkout")["id"]
        apigw.put_method(
            restApiId=api_id, resourceId=resource, httpMethod="POST", authorizationType="NONE"
        )
        apigw.put_integration(
            restApiId=api_id,
            resourceId=resource,
            httpMethod="POST",
            type="AWS_PROXY",
            integrationHttpMethod="POST",
            uri=uri,
            timeoutInMillis=29000,
        )
        apigw.create_deployment(restApiId=api_id, stageName="prod", description="checkout v2.14")
        dims["rest"] = (("ApiName", scenario.rest_api),)
    if scenario.http_api:
        apigw2 = client("apigatewayv2", endpoint_url)
        api_id = apigw2.create_api(Name=scenario.http_api, ProtocolType="HTTP")["ApiId"]
        integration = apigw2.create_integration(
            ApiId=api_id,
            IntegrationType="AWS_PROXY",
            IntegrationUri=scenario.function_arn,
            IntegrationMethod="POST",
            PayloadFormatVersion="2.0",
            TimeoutInMillis=29000,
        )
        apigw2.create_route(
            ApiId=api_id,
            RouteKey="POST /checkout",
            Target=f"integrations/{integration['IntegrationId']}",
        )
        apigw2.create_stage(ApiId=api_id, StageName="$default", AutoDeploy=True)
        dims["http"] = (("ApiId", api_id),)
    return dims


def create_account(endpoint_url: str, scenarios: tuple[Scenario, ...]) -> Provisioned:
    """Create every resource the scenarios need; returns what the generator must know."""
    iam = client("iam", endpoint_url)
    lam = client("lambda", endpoint_url)
    logs = client("logs", endpoint_url)
    network = _create_network(endpoint_url) if any(s.vpc for s in scenarios) else None
    provisioned = Provisioned()
    for scenario in scenarios:
        role_arn = _create_role(iam, scenario)
        provisioned.versions[scenario.name] = _create_function(lam, scenario, role_arn, network)
        logs.create_log_group(
            logGroupName=scenario.log_group, tags={"team": scenario.tags.get("team", "")}
        )
        logs.put_retention_policy(logGroupName=scenario.log_group, retentionInDays=14)
        _create_stream_source(endpoint_url, lam, scenario)
        dims = _create_apis(endpoint_url, scenario)
        if dims:
            provisioned.api_dimensions[scenario.name] = dims
    return provisioned
