"""Python's garbage collector, paced for the screen (lambdatop/ui/collector.py): what the app
holds once its first frame is up is out of the full collections' walks, which a key would
otherwise wait on; garbage made before is freed, not frozen with it."""

from __future__ import annotations

import gc
import weakref

from uidata import PAYMENTS
from uifakes import AppFactory
from uitools import settle, wait_until

from lambdatop.core.store import Store
from lambdatop.ui.collector import FULL_AFTER_YOUNG, SETTLE_EVERY_S, LongLived


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
    assert gc.get_threshold()[2] == FULL_AFTER_YOUNG, "full collections made rarer"
