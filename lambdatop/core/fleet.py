"""Several contexts (profile × region) seen as one fleet, as k9s shows several clusters.

Each context keeps its own `ContextStore`, which its own monitor fills by bare function name,
exactly as a single-context store is filled. The `FleetStore` is what the screens read: every
context's functions keyed by (name, region, account), so two functions of the same name in two
regions or accounts never mix. Function states and source health are shared objects, not
copies: a context's write is the fleet's at once, with nothing to synchronise.

    FleetStore                       the screens' store
    ├── ContextStore a/eu-west-1     monitor a/eu-west-1 writes here, by bare name
    └── ContextStore b/us-east-1     monitor b/us-east-1 writes here
"""

from __future__ import annotations

import time
from collections.abc import Iterable

from lambdatop.core.records import FunctionConfig
from lambdatop.core.sources import INVENTORY, Context, ErrorKind, SourceKey, SourceKind
from lambdatop.core.store import Clock, FunctionState, SourceHealth, Store

UNKNOWN_ACCOUNT = "?"
"""A function's account before any ARN or identity has said it."""

FUNCTIONS_PAGE = 50
"""ListFunctions' largest page: "Specify a value between 1 and 50" (MaxItems, the Lambda API
reference); a fleet of 10,000 is 200 requests a listing."""
LIST_EVERY_S = 300.0
"""A small fleet's function list is read again every five minutes."""
SECONDS_PER_LIST_PAGE = 15.0
"""A bigger one's less often: one ListFunctions page every 15 s on average (0.4 % of the
control plane's 15 requests a second), so 10,000 functions (200 pages) are listed every 50
minutes; a function added, deleted or redeployed meanwhile is caught by the account's usage
figures (`inventory.AccountSettings`), read every five minutes in one request."""


def list_every_s(functions: int) -> float:
    """How often a fleet of `functions` is listed again in full: the cadence grows with the
    pages a listing takes, so the requests an hour for it stay flat however big the fleet."""
    pages = max(1, -(-functions // FUNCTIONS_PAGE))
    return max(LIST_EVERY_S, pages * SECONDS_PER_LIST_PAGE)


def function_key(name: str, region: str, account: str) -> str:
    """A function's key in a fleet of several contexts: the account and region that tell two
    same-named functions apart, in the words the incident view's title shows."""
    return f"{name} · {region} · {account}"


def linked_name(name: str, account: str) -> str:
    """A source account's function in the store of the monitoring account's context that sees
    it (CloudWatch cross-account observability): Lambda names never hold an `@`."""
    return f"{name}@{account}"


def split_linked(name: str) -> tuple[str, str | None]:
    """A store name's function name, and its source account if it is a linked one."""
    bare, at, account = name.partition("@")
    return (bare, account) if at else (name, None)


def key_parts(key: str) -> tuple[str, str, str]:
    """A fleet key's function name, region and account (see `function_key`)."""
    name, _, rest = key.partition(" · ")
    region, _, account = rest.partition(" · ")
    return name, region, account


def arn_account(arn: str | None) -> str | None:
    """The account id of an ARN (`arn:partition:service:region:account:...`), if it has one."""
    parts = (arn or "").split(":")
    if len(parts) > 5 and parts[0] == "arn" and parts[4].isdigit():
        return parts[4]
    return None


class ContextStore(Store):
    """One context's store: a plain store to its monitor, a part of the fleet to the screens."""

    def __init__(
        self,
        fleet: FleetStore,
        context: Context,
        clock: Clock = time.time,
        tail_lines: int = 5_000,
    ) -> None:
        self.fleet = fleet
        self.context = context
        self.account: str | None = None
        """The account id, from the functions' ARNs once listed (or STS GetCallerIdentity)."""
        super().__init__(clock, tail_lines)
        self.in_flight = fleet.in_flight  # one "waiting N s on …" for the whole fleet
        self.keys: dict[str, str] = {}
        """The fleet key of each function this context knows, by its name in this store."""
        self.linked: list[FunctionConfig] = []
        """The source accounts' functions this monitoring account sees (`--linked-accounts`):
        listed by their log groups, kept across the next ListFunctions of its own."""
        self.trace_accounts: set[str] | None = None
        """The source accounts whose links share their X-Ray traces with this monitoring
        account (None: not known, e.g. Observability Access Manager not readable)."""

    def key(self, name: str) -> str:
        """The fleet key of one of this context's functions."""
        known = self.keys.get(name)
        if known is not None:
            return known
        bare, source_account = split_linked(name)
        config = self.inventory.get(name)
        account = (
            source_account
            or arn_account(config.arn if config else None)
            or self.account
            or UNKNOWN_ACCOUNT
        )
        key = self.keys[name] = function_key(bare, self.context.region or "?", account)
        return key  # kept: a function's key never changes under it

    def touch(self) -> None:
        super().touch()
        self.fleet.touch()

    def function(self, name: str) -> FunctionState:
        state = super().function(name)
        self.fleet.adopt(self, name, state)
        return state

    def set_inventory(self, configs: Iterable[FunctionConfig], complete: bool = True) -> None:
        own = [config for config in configs if split_linked(config.name)[1] is None]
        for config in own:
            if self.account is None:
                self.account = arn_account(config.arn)
        super().set_inventory([*own, *self.linked], complete)
        self.fleet.inventory_changed()

    def set_linked(self, configs: Iterable[FunctionConfig]) -> None:
        """The source accounts' functions as last listed, beside the context's own."""
        self.linked = list(configs)
        own = [c for c in self.inventory.values() if split_linked(c.name)[1] is None]
        self.set_inventory(own, self.inventory_complete)

    def source(self, key: SourceKey) -> SourceHealth:
        health = self.health.get(key)
        if health is None:
            health = super().source(key)
            # The same object: the fleet counts the context's answers as they come.
            scoped = key.name and key.kind is not SourceKind.TRACE
            fleet_key = SourceKey(key.kind, self.key(key.name) if scoped else f"@{self.context}")
            self.fleet.health[fleet_key] = health
        return health

    def record_failure(
        self, key: SourceKey, kind: ErrorKind, message: str, next_retry_s: float | None
    ) -> None:
        # The fleet's banner says whose trouble it is: one profile's expired SSO, not "all".
        super().record_failure(key, kind, f"{self.context}: {message}", next_retry_s)


class FleetStore(Store):
    """Every context's functions as one store for the screens (see the module docstring)."""

    def __init__(self, clock: Clock = time.time, tail_lines: int = 5_000) -> None:
        super().__init__(clock, tail_lines)
        self.contexts: list[ContextStore] = []
        self.homes: dict[str, tuple[ContextStore, str]] = {}
        """Each fleet key's context and bare name."""

    def add_context(self, context: Context) -> ContextStore:
        store = ContextStore(self, context, self.clock, self.tail_lines)
        if self._widest_window_s:  # a window already shown bounds the new context's states too
            store.keep_series_for(self._widest_window_s)
        self.contexts.append(store)
        return store

    def keep_series_for(self, window_s: float) -> None:
        # The opened functions' states are made by the contexts' stores: they keep the window
        # too (a fleet of several profiles or regions kept 13 h of series and 50,000 invocations).
        super().keep_series_for(window_s)
        for context in self.contexts:
            context.keep_series_for(window_s)

    def locate(self, key: str) -> tuple[ContextStore, str] | None:
        """The context that holds a function, and its bare name there."""
        return self.homes.get(key)

    def adopt(self, context: ContextStore, name: str, state: FunctionState) -> None:
        """A context follows one more function: the fleet shows the same state object."""
        key = context.key(name)
        if self.functions.get(key) is not state:
            self.functions[key] = state
            self.homes.setdefault(key, (context, name))
            self.touch()

    def inventory_changed(self) -> None:
        """A context listed its functions again: the fleet's list is every context's, a function
        two profiles both see (one account and region) listed once, by the first context."""
        inventory: dict[str, FunctionConfig] = {}
        for context in self.contexts:
            for name, config in context.inventory.items():
                key = context.key(name)
                if key not in inventory:
                    inventory[key] = config
                    self.homes.setdefault(key, (context, name))
        self.inventory = inventory
        for key, state in self.functions.items():
            if key in inventory:
                state.config = inventory[key]
        self.touch()

    def function(self, name: str) -> FunctionState:
        home = self.homes.get(name)
        if home is not None:
            context, bare = home
            return context.function(bare)
        return super().function(name)

    def missing(self, name: str) -> bool:
        home = self.homes.get(name)
        return home[0].missing(home[1]) if home is not None else super().missing(name)

    # What the status line sums over the contexts (each has its own ledger and pacing).

    @property
    def api_calls(self) -> int:
        return sum(context.api_calls for context in self.contexts)

    @api_calls.setter
    def api_calls(self, value: int) -> None:
        """Set by `Store.__init__` only: the contexts' own are summed."""

    @property
    def cost_usd(self) -> float:
        return sum(context.cost_usd for context in self.contexts)

    @cost_usd.setter
    def cost_usd(self, value: float) -> None:
        """Set by `Store.__init__` only."""

    @property
    def live_tail_usd_per_minute(self) -> float:
        return sum(context.live_tail_usd_per_minute for context in self.contexts)

    @live_tail_usd_per_minute.setter
    def live_tail_usd_per_minute(self, value: float) -> None:
        """Set by `Store.__init__` only."""

    @property
    def inventory_complete(self) -> bool:
        """Listed once every context has listed or failed to: a context whose profile's SSO
        expired never holds the fleet at "listing…" (its banner says why)."""
        return all(
            context.inventory_complete or context.health.get(INVENTORY, _NEVER).error is not None
            for context in self.contexts
        )

    @inventory_complete.setter
    def inventory_complete(self, value: bool) -> None:
        """Set by `Store.__init__` only."""


_NEVER = SourceHealth(INVENTORY)
