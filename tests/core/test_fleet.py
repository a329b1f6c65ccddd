"""Several contexts' stores as one fleet (core/fleet.py): what each context's monitor writes is
the fleet's at once, keyed so that same-named functions never mix."""

from __future__ import annotations

from lambdatop.core.fleet import FleetStore, function_key, key_parts, linked_name
from lambdatop.core.records import FunctionConfig, LogEvent
from lambdatop.core.sources import INVENTORY, METRICS, Context, ErrorKind, SourceKey
from lambdatop.core.store import INVOCATIONS_MARGIN_S

PROD, STAGING = "111111111111", "222222222222"


def config(name: str, region: str, account: str, memory_mb: int = 128) -> FunctionConfig:
    arn = f"arn:aws:lambda:{region}:{account}:function:{name}"
    return FunctionConfig(name=name, arn=arn, memory_mb=memory_mb)


def test_same_named_functions_of_two_regions_are_two_functions_with_their_own_data() -> None:
    fleet = FleetStore()
    east = fleet.add_context(Context("prod", "us-east-1"))
    west = fleet.add_context(Context("prod", "eu-west-1"))
    east.set_inventory([config("checkout", "us-east-1", PROD, 128)])
    west.set_inventory([config("checkout", "eu-west-1", PROD, 1024)])
    east_key = function_key("checkout", "us-east-1", PROD)
    west_key = function_key("checkout", "eu-west-1", PROD)
    assert set(fleet.inventory) == {east_key, west_key}
    assert fleet.inventory[west_key].memory_mb == 1024
    # The west monitor writes by bare name; the fleet's key reads the same state.
    west.function("checkout").add_events([LogEvent(1, "from the west")])
    assert [r.line.text for r in fleet.function(west_key).tail] == ["from the west"]
    assert fleet.function(east_key).tail_total == 0
    assert fleet.locate(west_key) == (west, "checkout")
    assert key_parts(west_key) == ("checkout", "eu-west-1", PROD)


def test_a_function_two_profiles_both_see_is_one_row_read_by_the_first() -> None:
    fleet = FleetStore()
    admin = fleet.add_context(Context("admin", "eu-west-1"))
    reader = fleet.add_context(Context("reader", "eu-west-1"))
    admin.set_inventory([config("checkout", "eu-west-1", PROD)])
    reader.set_inventory([config("checkout", "eu-west-1", PROD)])
    (key,) = fleet.inventory
    assert fleet.locate(key) == (admin, "checkout")


def test_one_contexts_trouble_is_the_fleets_said_with_its_context() -> None:
    fleet = FleetStore(clock=lambda: 100.0)
    prod = fleet.add_context(Context("prod", "eu-west-1"))
    staging = fleet.add_context(Context("staging", "eu-west-1"))
    before = fleet.version
    staging.record_failure(INVENTORY, ErrorKind.CREDENTIALS, "SSO token expired", 130.0)
    assert fleet.version != before, "the screens repaint"
    assert fleet.banner(100.0) == "staging/eu-west-1: SSO token expired; retrying in 30 s"
    assert prod.banner(100.0) is None
    # The fleet is listed once every context has listed or failed to.
    assert not fleet.inventory_complete
    prod.set_inventory([config("checkout", "eu-west-1", PROD)])
    assert fleet.inventory_complete
    prod.record_ok(METRICS)
    assert fleet.health[SourceKey(METRICS.kind, "@prod/eu-west-1")].last_ok_s == 100.0


def test_the_contexts_own_counts_are_summed() -> None:
    fleet = FleetStore()
    prod = fleet.add_context(Context("prod", "eu-west-1"))
    staging = fleet.add_context(Context("staging", "eu-west-1"))
    prod.api_calls, staging.api_calls = 40, 2
    prod.cost_usd, staging.cost_usd = 0.01, 0.02
    assert fleet.api_calls == 42
    assert round(fleet.cost_usd, 4) == 0.03


def test_a_source_accounts_function_keeps_beside_the_monitoring_accounts_own() -> None:
    fleet = FleetStore()
    monitoring = fleet.add_context(Context("prod", "eu-west-1"))
    monitoring.set_inventory([config("checkout", "eu-west-1", PROD)])
    linked = config(linked_name("checkout", STAGING), "eu-west-1", STAGING)
    monitoring.set_linked([linked])
    # The next ListFunctions lists the monitoring account's own only: the source's stays.
    monitoring.set_inventory([config("checkout", "eu-west-1", PROD, 256)])
    assert set(fleet.inventory) == {
        function_key("checkout", "eu-west-1", PROD),
        function_key("checkout", "eu-west-1", STAGING),
    }
    assert fleet.locate(function_key("checkout", "eu-west-1", STAGING)) == (
        monitoring,
        "checkout@" + STAGING,
    )


def test_a_fleets_window_bounds_what_its_contexts_keep() -> None:
    """The screens tell the fleet the window shown; the opened functions' states are made by the
    contexts' stores, so their series and invocations must be bounded by it too (they kept 13 h
    of series and 50,000 invocations through a night)."""
    fleet = FleetStore()
    fleet.keep_series_for(3600)  # the UI model tells the fleet as it starts
    east = fleet.add_context(Context("prod", "us-east-1"))
    east.set_inventory([config("checkout", "us-east-1", PROD)])
    west = fleet.add_context(Context("prod", "eu-west-1"))
    for minute in range(6 * 60):  # six hours of one-minute points, for a function of each
        east.function("checkout").set_metric("Invocations", {minute * 60: 1.0})
        west.function("orders").set_metric("Invocations", {minute * 60: 1.0})
    for context, name in ((east, "checkout"), (west, "orders")):
        points = fleet.function(context.key(name)).metrics["Invocations"].points
        assert max(points) - min(points) == 2 * 3600, "the window shown and an hour"
    fleet.keep_series_for(6 * 3600)  # widened later: the contexts keep the wider window
    east.function("checkout").set_metric("Invocations", {6 * 3600: 1.0})
    assert east.function("checkout").series_keep_s == 7 * 3600
    assert east.function("checkout").keep_ms == west.function("orders").keep_ms
    assert west.function("orders").keep_ms == (6 * 3600 + INVOCATIONS_MARGIN_S) * 1000
