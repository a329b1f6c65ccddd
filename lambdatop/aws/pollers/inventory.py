"""Inventory: the region's functions, and for the functions being watched their full
configuration, reserved concurrency, event sources and the API Gateway APIs in front of them.

The Lambda control plane allows 15 requests a second for the whole account, so this is cached
and refreshed slowly: the full list of a big fleet less often the bigger it is (one page every
15 s on average, `core.fleet.list_every_s`), and between two listings the account's usage
figures, one request every five minutes, say whether a function came, went or was redeployed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple

from lambdatop.aws import convert
from lambdatop.aws.errors import describe
from lambdatop.aws.session import Aws
from lambdatop.core.fleet import FUNCTIONS_PAGE, list_every_s
from lambdatop.core.records import ApiRoute, FunctionConfig
from lambdatop.core.sources import APIGATEWAY, ErrorKind, SourceKey
from lambdatop.core.store import ApiState, Store

MAX_APIS = 60
SETTLING_RECHECK_S = 15.0
"""How soon a watched function's configuration is read again while an update is still being
applied. UpdateFunctionConfiguration (Lambda API reference, https://docs.aws.amazon.com/lambda/
latest/api/API_UpdateFunctionConfiguration.html): "If your function connects to a VPC, this
process can take a minute. ... The LastUpdateStatus, LastUpdateStatusReason, and
LastUpdateStatusReasonCode fields in the response from GetFunctionConfiguration indicate when the
update is complete and the function is processing events with the new configuration"; a function
just created is `State` Pending likewise (Lambda function states)."""


def _stops_the_read(kind: ErrorKind) -> bool:
    """Trouble the whole read fails on (to be retried), not one optional detail's."""
    return kind.cuts_off_aws or kind is ErrorKind.THROTTLED


@dataclass(frozen=True, slots=True)
class Paging:
    """How a family of list operations pages: the request's token parameter and the answer's
    next-token field."""

    token_in: str
    token_out: str


LAMBDA_PAGES = Paging("Marker", "NextMarker")
REST_PAGES = Paging("position", "position")
HTTP_PAGES = Paging("NextToken", "NextToken")


async def pages(
    aws: Aws,
    service: str,
    operation: str,
    paging: Paging,
    items: str,
    at_most: int | None = None,
    **params: Any,
) -> list[Any]:
    """Every item of a list operation, following every page (AWS documents each of these as
    paginated: a first answer is never assumed to be the whole list), up to `at_most` items.
    ListFunctions: "Lambda returns up to 50 functions per call", "Marker: Specify the pagination
    token that's returned by a previous request to retrieve the next page of results"
    (https://docs.aws.amazon.com/lambda/latest/api/API_ListFunctions.html); GetRestApis'
    `position`, GetApis' `NextToken` likewise. A token answered twice ends the list, never a
    loop."""
    found: list[Any] = []
    token: str | None = None
    while at_most is None or len(found) < at_most:
        asked = dict(params, **({paging.token_in: token} if token else {}))
        response = await aws.call(service, operation, **asked)
        found.extend(response.get(items) or ())
        next_token = response.get(paging.token_out)
        if not next_token or next_token == token:
            break
        token = str(next_token)
    return found if at_most is None else found[:at_most]


async def list_functions(aws: Aws) -> list[FunctionConfig]:
    """Every function in the region, following every page."""
    items = await pages(
        aws, "lambda", "ListFunctions", LAMBDA_PAGES, "Functions", MaxItems=FUNCTIONS_PAGE
    )
    return [convert.function_config(item) for item in items]


class AccountSettings(NamedTuple):
    """GetAccountSettings: "details about your account's limits and usage in an AWS Region"."""

    limit: int | None = None
    unreserved: int | None = None
    usage: tuple[int, int] | None = None
    """AccountUsage's FunctionCount ("The number of Lambda functions") and TotalCodeSize ("The
    amount of storage space, in bytes, that's being used by deployment packages and layer
    archives"): either moves when a function is created, deleted or deployed."""


async def account_settings(aws: Aws) -> AccountSettings:
    """The account's concurrency limits and usage; unknown (None) where not answered."""
    try:
        response = await aws.call("lambda", "GetAccountSettings")
    except Exception as error:
        if _stops_the_read(describe(error).kind):
            raise
        return AccountSettings()
    limit = response.get("AccountLimit") or {}
    usage = response.get("AccountUsage") or {}
    count, size = usage.get("FunctionCount"), usage.get("TotalCodeSize")
    return AccountSettings(
        limit.get("ConcurrentExecutions"),
        limit.get("UnreservedConcurrentExecutions"),
        (int(count), int(size)) if count is not None and size is not None else None,
    )


async def account_limits(aws: Aws) -> tuple[int | None, int | None]:
    """The account's concurrency limit and unreserved share; (None, None) where unknown."""
    settings = await account_settings(aws)
    return settings.limit, settings.unreserved


async def function_details(aws: Aws, name: str) -> tuple[FunctionConfig, list[Any]]:
    """Fresh configuration (with LoggingConfig), reserved concurrency and event sources."""
    config = convert.function_config(
        await aws.call("lambda", "GetFunctionConfiguration", FunctionName=name)
    )
    try:
        concurrency = await aws.call("lambda", "GetFunctionConcurrency", FunctionName=name)
        reserved = concurrency.get("ReservedConcurrentExecutions")
        config.reserved_concurrency = int(reserved) if reserved is not None else None
    except Exception as error:
        if _stops_the_read(describe(error).kind):
            raise
    mappings = await pages(
        aws,
        "lambda",
        "ListEventSourceMappings",
        LAMBDA_PAGES,
        "EventSourceMappings",
        FunctionName=name,
    )
    return config, [convert.event_source(item) for item in mappings]


async def api_routes(aws: Aws) -> dict[str, list[ApiRoute]]:
    """API Gateway APIs (REST and HTTP) by the function ARN their integrations invoke."""
    routes: dict[str, list[ApiRoute]] = {}

    def add(uri: Any, route: ApiRoute) -> None:
        if not isinstance(uri, str) or ":function:" not in uri:
            return
        # `arn:aws:apigateway:<region>:lambda:path/2015-03-31/functions/<fn arn>/invocations`
        arn = uri.split("/functions/", 1)[-1].split("/invocations", 1)[0]
        arn = ":".join(arn.split(":")[:7])  # drop a :alias or :version qualifier
        bucket = routes.setdefault(arn, [])
        if all(existing.api_id != route.api_id for existing in bucket):
            bucket.append(route)

    rest = await pages(aws, "apigateway", "GetRestApis", REST_PAGES, "items", MAX_APIS, limit=25)
    for api in rest:
        api_id = str(api.get("id"))
        route = ApiRoute(api_id=api_id, name=str(api.get("name") or api_id), kind="REST")
        resources = await pages(
            aws,
            "apigateway",
            "GetResources",
            REST_PAGES,
            "items",
            restApiId=api_id,
            embed=["methods"],
        )
        for resource in resources:
            for method in (resource.get("resourceMethods") or {}).values():
                integration = (method or {}).get("methodIntegration") or {}
                timeout = integration.get("timeoutInMillis")
                if timeout:
                    route = ApiRoute(route.api_id, route.name, "REST", None, int(timeout))
                add(integration.get("uri"), route)
    http = await pages(aws, "apigatewayv2", "GetApis", HTTP_PAGES, "Items", MAX_APIS)
    for api in http:
        api_id = str(api.get("ApiId"))
        name = str(api.get("Name") or api_id)
        integrations = await pages(
            aws, "apigatewayv2", "GetIntegrations", HTTP_PAGES, "Items", ApiId=api_id
        )
        for integration in integrations:
            timeout = integration.get("TimeoutInMillis") or 30_000
            route = ApiRoute(api_id, name, "HTTP", None, int(timeout))
            add(integration.get("IntegrationUri"), route)
    return routes


def _settling(config: FunctionConfig | None) -> bool:
    """A configuration read while an update is being applied: not yet the one in force."""
    return config is not None and (
        config.last_update_status == "InProgress" or config.state == "Pending"
    )


class InventoryPoller:
    """Lists the region's functions (a big fleet less often, see the module docstring); details
    the watched ones. Every few minutes."""

    interval_s = 300.0

    def __init__(self, aws: Aws, store: Store, watched: set[str]) -> None:
        self.aws = aws
        self.store = store
        self.watched = watched
        self._detailed: set[str] = set()
        self._listed_at: float | None = None
        self._listed_usage: tuple[int, int] | None = None
        self.listings = 0
        """Full listings read so far (each one page per 50 functions)."""

    def list_every_s(self) -> float:
        """How often the whole list is read again, at the fleet's size as last listed."""
        return list_every_s(len(self.store.inventory))

    async def tick(self) -> float:
        now = self.store.clock()
        first = self._listed_at is None
        if first:  # the fleet screen waits for the first listing: it goes before the rest
            await self._list(now)
        settings = await account_settings(self.aws)
        self.store.account_concurrency_limit = settings.limit
        self.store.account_unreserved_limit = settings.unreserved
        due = self._listed_at is not None and now - self._listed_at >= self.list_every_s() - 1.0
        # Unknown usage (a backend without it) never stands for a change: the cadence lists.
        moved = settings.usage is not None and settings.usage != self._listed_usage
        if not first and (due or moved):
            await self._list(now)
        self._listed_usage = settings.usage
        read_before = set(self._detailed)
        failed = await self.detail(set(self.watched), refresh=True)
        # A refresh that fails for one function is tried again with the next refresh. A first
        # read that fails is the monitor's one-off read's to retry and say, on its own schedule.
        retry_at = self.store.clock() + self.interval_s
        for name, error in failed.items():
            if name not in read_before and SourceKey.config(name) in self.store.health:
                continue  # its one-off read has said it, with its own retry
            trouble = describe(error, name)
            message = trouble.message
            if trouble.kind is ErrorKind.MISSING and name in read_before:
                # Read before, not found now: deleted while watched (GetFunctionConfiguration's
                # ResourceNotFoundException, "The resource specified in the request does not
                # exist"); what it logged and measured until then is still there to read.
                message = (
                    f"{name} no longer exists in {self.aws.region} (deleted?): Lambda answered"
                    " ResourceNotFoundException; its logs and metrics so far stay on screen"
                )
            self.store.record_failure(SourceKey.config(name), trouble.kind, message, retry_at)
        if any(_settling(self.store.inventory.get(name)) for name in self.watched):
            return SETTLING_RECHECK_S  # the configuration in force follows within seconds
        return self.interval_s

    async def _list(self, now: float) -> None:
        self.store.set_inventory(await list_functions(self.aws))
        self._listed_at = now
        self.listings += 1

    async def detail(self, names: set[str], refresh: bool = False) -> dict[str, Exception]:
        """Fill in the watched functions' details (only new ones unless refresh); returns what
        went wrong for each function that failed alone, for the caller to retry and record
        (trouble that stops every read is raised)."""
        todo = names if refresh else names - self._detailed
        failed: dict[str, Exception] = {}
        if not todo:
            return failed
        try:
            routes = await api_routes(self.aws)
        except Exception as error:
            trouble = describe(error, "API Gateway")
            if trouble.kind.cuts_off_aws:
                raise
            routes = {}
            # Read again with the next detail: no schedule to promise, so no "retrying".
            self.store.record_failure(APIGATEWAY, trouble.kind, trouble.final, None)
        else:
            self.store.record_ok(APIGATEWAY)
        for name in sorted(todo):
            state = self.store.function(name)
            try:
                config, sources = await function_details(self.aws, name)
            except Exception as error:
                if _stops_the_read(describe(error).kind):
                    raise
                failed[name] = error
                continue
            state.config = config
            self.store.inventory[name] = config
            state.event_sources = sources
            existing = state.apis or {}
            state.apis = {
                route.api_id: existing.get(route.api_id) or ApiState(route)
                for route in routes.get(config.arn or "", [])
            }
            state.version += 1
            self._detailed.add(name)
            self.store.record_ok(SourceKey.config(name))
        return failed
