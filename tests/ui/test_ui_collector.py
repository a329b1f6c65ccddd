"""Python's garbage collector, paced for the screen (lambdatop/ui/collector.py): what the app
holds once its first frame is up is out of the full collections' walks, which a key would
otherwise wait on; garbage made before is freed, not frozen with it; garbage in a reference
cycle among what was frozen later is still freed while the app runs, when the user is not
waiting for a key."""

from __future__ import annotations

import gc
import weakref

from uidata import PAYMENTS
from uifakes import AppFactory
from uitools import settle, wait_until

from lambdatop.core.store import Store
from lambdatop.ui.collector import DEEP_IDLE_S, SETTLE_EVERY_S, SWEEP_AFTER_YOUNG, LongLived


class Node:
    """An object in a reference cycle: only the collector frees it."""

    def __init__(self) -> None:
        self.me = self


def in_generations(thing: object) -> bool:
    return any(other is thing for generation in range(3) for other in gc.get_objects(generation))


async def test_the_store_is_out_of_the_collectors_walks_once_the_first_frame_is_up(
    make_app: AppFactory, store: Store
) -> None:
    record = store.function(PAYMENTS).tail[-1]
    assert in_generations(record)
    app = make_app(functions=[PAYMENTS])
    async with app.run_test(size=(160, 45)) as pilot:
        await settle(pilot)
        await wait_until(pilot, lambda: gc.get_freeze_count() > 0)
        assert not in_generations(record), "a full collection would walk the tail"
        assert not in_generations(app.incident_screen)


def test_garbage_is_freed_not_frozen_and_freezes_are_few() -> None:
    now = [100.0]
    long_lived = LongLived(clock=lambda: now[0])
    garbage = weakref.ref(Node())
    long_lived.due()
    assert garbage() is None, "freed before the freeze"
    kept = Node()
    long_lived.due()  # a second first answer at once: settled later
    assert in_generations(kept), "not frozen yet"
    now[0] += SETTLE_EVERY_S
    long_lived.maybe()
    assert not in_generations(kept)


def more_than_a_quarter_frozen() -> list[list[None]]:
    """As many new objects as would grow what is frozen by a third: a deep collection is due."""
    return [[None] for _ in range(gc.get_freeze_count() // 3 + 1)]


def test_a_cycle_frozen_then_dropped_is_freed_once_no_key_is_waiting() -> None:
    now, young = [100.0], [0]
    long_lived = LongLived(clock=lambda: now[0], young=lambda: young[0])
    long_lived.settle()
    cycle = [Node()]
    garbage = weakref.ref(cycle[0])
    grown = more_than_a_quarter_frozen()
    young[0] += SWEEP_AFTER_YOUNG
    now[0] += 1.0
    long_lived.maybe()
    assert not in_generations(cycle[0]), "swept and frozen"
    assert not in_generations(grown)
    cycle.clear()  # a widget Textual dropped: frozen, in a cycle, garbage
    long_lived.touched()  # a key: the user waits for its frame
    long_lived.maybe()
    assert garbage() is not None, "no deep collection while a key is answered"
    now[0] += DEEP_IDLE_S
    long_lived.maybe()
    assert garbage() is None
    assert not in_generations(grown), "what lives is frozen again"


async def test_cyclic_garbage_frozen_while_the_app_runs_is_freed_while_it_runs(
    make_app: AppFactory,
) -> None:
    app = make_app(functions=[PAYMENTS])
    async with app.run_test(size=(160, 45)) as pilot:
        await settle(pilot)
        await wait_until(pilot, lambda: gc.get_freeze_count() > 0)
        cycle = [Node()]
        garbage = weakref.ref(cycle[0])
        for _ in range(SWEEP_AFTER_YOUNG):
            gc.collect(1)  # what Python does as the log pours in
        await wait_until(pilot, lambda: not in_generations(cycle[0]))
        cycle.clear()  # a widget Textual dropped: frozen, in a cycle, garbage
        grown = more_than_a_quarter_frozen()  # the tail grows meanwhile
        for _ in range(SWEEP_AFTER_YOUNG):
            gc.collect(1)
        await wait_until(pilot, lambda: garbage() is None)
        assert not in_generations(grown[0]), "what lives is frozen again"
