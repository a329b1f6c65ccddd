"""Inventory against moto: every page of ListFunctions, a function's configuration, reserved
concurrency, event sources, the API Gateway APIs in front of it, and the account's limits."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs, urlsplit

import awsseed
import pytest
from awsfakes import FakeClock, error, hook, response
from awsmoto import MotoAccount

from lambdatop.aws.pollers.inventory import (
    SETTLING_RECHECK_S,
    InventoryPoller,
    account_limits,
    api_routes,
    function_details,
    list_functions,
)
from lambdatop.aws.session import Aws
from lambdatop.core.fleet import list_every_s
from lambdatop.core.sources import APIGATEWAY, SourceKey
from lambdatop.core.store import Store


async def test_list_functions_follows_every_page(moto: MotoAccount, aws: Aws) -> None:
    for index in range(7):
        awsseed.function(moto, f"fn-{index}")
    everything = moto.client("lambda").list_functions()["Functions"]
    assert len(everything) == 7, "moto answers every function at once: pages are injected"
    pages = {None: everything[:3], "page-2": everything[3:6], "page-3": everything[6:]}
    following = {None: "page-2", "page-2": "page-3", "page-3": None}
    asked: list[tuple[str | None, str | None]] = []

    def paginate(request: Any = None, **_: Any) -> Any:
        query = parse_qs(urlsplit(request.url).query)
        marker = query.get("Marker", [None])[0]
        asked.append((marker, query.get("MaxItems", [None])[0]))
        body: dict[str, Any] = {"Functions": json.loads(json.dumps(pages[marker], default=str))}
        if following[marker]:
            body["NextMarker"] = following[marker]
        return response(200, body)

    await hook(aws, "lambda", "before-send.lambda.ListFunctions", paginate)
    functions = await list_functions(aws)
    assert [f.name for f in functions] == [f"fn-{i}" for i in range(7)]
    assert [marker for marker, _ in asked] == [None, "page-2", "page-3"]
    assert all(size == "50" for _, size in asked)
    assert aws.ledger.calls["lambda.ListFunctions"] == 3


async def test_function_details_configuration_concurrency_and_stream_source(
    moto: MotoAccount, aws: Aws
) -> None:
    awsseed.function(moto, "orders", memory_mb=1769, timeout_s=120, runtime="python3.13")
    awsseed.reserve(moto, "orders", 25)
    uuid = awsseed.kinesis_mapping(moto, "orders", stream="orders-stream")
    config, sources = await function_details(aws, "orders")
    assert (config.name, config.memory_mb, config.timeout_s) == ("orders", 1769, 120.0)
    assert config.runtime == "python3.13"
    assert config.reserved_concurrency == 25
    assert config.arn is not None
    assert config.arn.endswith(":function:orders")
    # moto drops LoggingConfig: the default group is where Lambda logs then.
    assert config.effective_log_group == "/aws/lambda/orders"
    assert [(s.uuid, s.service, s.is_stream, s.batch_size) for s in sources] == [
        (uuid, "kinesis", True, 100)
    ]
    assert sources[0].source_arn.endswith(":stream/orders-stream")


async def test_function_details_reads_logging_config_and_vpc(moto: MotoAccount, aws: Aws) -> None:
    """LoggingConfig (a custom log group, JSON format) is where moto cannot go."""
    awsseed.function(moto, "billing")

    def with_logging(request: Any = None, **_: Any) -> Any:
        return response(
            200,
            {
                "FunctionName": "billing",
                "FunctionArn": f"arn:aws:lambda:{moto.region}:123456789012:function:billing",
                "MemorySize": 512,
                "Timeout": 30,
                "Runtime": "nodejs22.x",
                "LoggingConfig": {"LogGroup": "/shared/billing", "LogFormat": "JSON"},
                "VpcConfig": {
                    "SubnetIds": ["subnet-1", "subnet-2"],
                    "SecurityGroupIds": ["sg-1"],
                    "VpcId": "vpc-1",
                },
            },
        )

    await hook(aws, "lambda", "before-send.lambda.GetFunctionConfiguration", with_logging)
    config, _ = await function_details(aws, "billing")
    assert config.effective_log_group == "/shared/billing"
    assert config.log_format == "JSON"
    assert config.in_vpc
    assert config.vpc is not None
    assert config.vpc.subnet_ids == ("subnet-1", "subnet-2")


async def test_api_routes_rest_and_http_apis_by_function_arn(moto: MotoAccount, aws: Aws) -> None:
    checkout = awsseed.function(moto, "checkout")["FunctionArn"]
    other = awsseed.function(moto, "other")["FunctionArn"]
    rest_id = awsseed.rest_api(moto, checkout, name="shop-rest")
    http_id = awsseed.http_api(moto, f"{checkout}:live", name="shop-http")  # an alias
    awsseed.http_api(moto, other, name="other-http")
    routes = await api_routes(aws)
    mine = sorted(routes[checkout], key=lambda r: r.kind)
    assert [(r.api_id, r.name, r.kind, r.integration_timeout_ms) for r in mine] == [
        (http_id, "shop-http", "HTTP", 30_000),
        (rest_id, "shop-rest", "REST", 29_000),
    ]
    assert [r.name for r in routes[other]] == ["other-http"]


async def test_account_limits_missing_in_moto_are_unknown_not_an_error(
    moto: MotoAccount, aws: Aws
) -> None:
    assert await account_limits(aws) == (None, None)


async def test_account_limits_when_the_backend_has_them(moto: MotoAccount, aws: Aws) -> None:
    settings = {
        "AccountLimit": {"ConcurrentExecutions": 1000, "UnreservedConcurrentExecutions": 900}
    }
    await hook(
        aws,
        "lambda",
        "before-send.lambda.GetAccountSettings",
        lambda **_: response(200, settings),
    )
    assert await account_limits(aws) == (1000, 900)


async def test_account_limits_raise_what_the_banner_must_show(moto: MotoAccount, aws: Aws) -> None:
    await hook(
        aws,
        "lambda",
        "before-send.lambda.GetAccountSettings",
        lambda **_: error(403, "ExpiredTokenException", "The security token has expired"),
    )
    with pytest.raises(Exception, match="ExpiredToken"):
        await account_limits(aws)


async def test_inventory_poller_fills_the_store(moto: MotoAccount, aws: Aws) -> None:
    arn = awsseed.function(moto, "checkout", memory_mb=256)["FunctionArn"]
    awsseed.function(moto, "quiet")
    awsseed.reserve(moto, "checkout", 10)
    awsseed.kinesis_mapping(moto, "checkout")
    api_id = awsseed.rest_api(moto, arn)
    store = Store()
    poller = InventoryPoller(aws, store, {"checkout"})
    assert await poller.tick() == poller.interval_s
    assert set(store.inventory) == {"checkout", "quiet"}
    assert store.account_concurrency_limit is None
    state = store.functions["checkout"]
    assert state.config is not None
    assert state.config.reserved_concurrency == 10
    assert state.event_sources is not None
    assert len(state.event_sources) == 1
    assert state.apis is not None
    assert list(state.apis) == [api_id]
    assert store.health[SourceKey.config("checkout")].error is None
    assert store.health[APIGATEWAY].error is None
    # Details are cached: a second detail() of the same function costs nothing.
    calls = aws.ledger.total_calls
    await poller.detail({"checkout"})
    assert aws.ledger.total_calls == calls


class _Fleet:
    """ListFunctions of a fleet of `size` functions in pages of MaxItems (moto never pages), and
    GetAccountSettings with the usage figures of `usage`."""

    def __init__(self, region: str, size: int) -> None:
        self.names = [f"fn-{index:05d}" for index in range(size)]
        self.region = region
        self.usage = {"FunctionCount": size, "TotalCodeSize": 1_000 * size}
        self.pages = 0

    def list_functions(self, request: Any = None, **_: Any) -> Any:
        query = parse_qs(urlsplit(request.url).query)
        start = int(query.get("Marker", ["0"])[0])
        size = int(query["MaxItems"][0])
        self.pages += 1
        body: dict[str, Any] = {
            "Functions": [
                {
                    "FunctionName": name,
                    "FunctionArn": f"arn:aws:lambda:{self.region}:123456789012:function:{name}",
                }
                for name in self.names[start : start + size]
            ]
        }
        if start + size < len(self.names):
            body["NextMarker"] = str(start + size)
        return response(200, body)

    def settings(self, **_: Any) -> Any:
        return response(200, {"AccountLimit": {}, "AccountUsage": dict(self.usage)})

    async def install(self, aws: Aws) -> None:
        await hook(aws, "lambda", "before-send.lambda.ListFunctions", self.list_functions)
        await hook(aws, "lambda", "before-send.lambda.GetAccountSettings", self.settings)


async def test_a_big_fleet_is_listed_in_full_less_often(moto: MotoAccount, aws: Aws) -> None:
    """2,000 functions are 40 pages: listed every 10 minutes rather than 5, while a fleet of
    1,000 (20 pages) is still listed at every five-minute refresh."""
    clock = FakeClock(1_000_000.0)
    fleet = _Fleet(moto.region, 2_000)
    await fleet.install(aws)
    store = Store(clock=clock)
    poller = InventoryPoller(aws, store, set())
    for _ in range(4):  # twenty minutes of refreshes
        await poller.tick()
        clock.advance(poller.interval_s)
    assert len(store.inventory) == 2_000
    assert poller.list_every_s() == 600.0
    assert (poller.listings, fleet.pages) == (2, 80)
    assert aws.ledger.calls["lambda.GetAccountSettings"] == 4, "the change detector, each time"

    assert list_every_s(1_000) == poller.interval_s, "20 pages: every refresh still"


async def test_a_deploy_between_listings_brings_the_next_forward(
    moto: MotoAccount, aws: Aws
) -> None:
    clock = FakeClock(1_000_000.0)
    fleet = _Fleet(moto.region, 5_000)  # 100 pages: listed every 25 minutes
    await fleet.install(aws)
    store = Store(clock=clock)
    poller = InventoryPoller(aws, store, set())
    await poller.tick()
    clock.advance(poller.interval_s)
    await poller.tick()
    assert poller.listings == 1, "nothing moved: the list is not read again yet"
    fleet.names.append("fn-new")
    fleet.usage = {"FunctionCount": 5_001, "TotalCodeSize": 5_000_123}
    clock.advance(poller.interval_s)
    await poller.tick()
    assert poller.listings == 2
    assert "fn-new" in store.inventory, "a new function shows within one refresh"
    clock.advance(poller.interval_s)
    await poller.tick()
    assert poller.listings == 2


async def test_a_configuration_still_being_updated_is_read_again_within_seconds(
    moto: MotoAccount, aws: Aws
) -> None:
    """GetFunctionConfiguration's LastUpdateStatus "indicate[s] when the update is complete and
    the function is processing events with the new configuration" (moto answers every update
    complete at once): while InProgress, the new memory size is read again in seconds, not at
    the next five-minute refresh."""
    awsseed.function(moto, "checkout", memory_mb=256)
    applied = False

    def as_aws_answers(parsed: Any = None, **_: Any) -> None:
        if isinstance(parsed, dict) and "FunctionName" in parsed and not applied:
            parsed["LastUpdateStatus"] = "InProgress"
            parsed["MemorySize"] = 128  # the configuration still in force

    await hook(aws, "lambda", "after-call.lambda.GetFunctionConfiguration", as_aws_answers)
    store = Store()
    poller = InventoryPoller(aws, store, {"checkout"})
    assert await poller.tick() == SETTLING_RECHECK_S < poller.interval_s
    assert store.inventory["checkout"].memory_mb == 128
    applied = True
    assert await poller.tick() == poller.interval_s
    assert store.inventory["checkout"].memory_mb == 256
