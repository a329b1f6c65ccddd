"""The app factory for the UI tests: a LambdatopApp over the deterministic store of `uidata`,
a fixed clock, and either no backend or a recording fake of the Backend protocol. Everything is
injected; nothing is patched."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from uidata import build_store
from uifakes import AppFactory, Clock, RecordingBackend

from lambdatop.core.store import Store
from lambdatop.ui.app import LambdatopApp


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store() -> Store:
    return build_store()


@pytest.fixture
def make_app(store: Store, clock: Clock, tmp_path: Path) -> AppFactory:
    """`make_app(functions=[...], backend=..., keys=..., store=...)`: the app under test."""

    def make(
        *,
        functions: list[str] | tuple[str, ...] = (),
        backend: Any = None,
        store: Store = store,
        **options: Any,
    ) -> LambdatopApp:
        options.setdefault("snapshot_dir", tmp_path)
        options.setdefault("refresh_s", 2.0)
        return LambdatopApp(store, backend, functions=functions, clock=clock, **options)

    return make


@pytest.fixture
def backend(store: Store) -> RecordingBackend:
    return RecordingBackend(store)


@pytest.fixture(autouse=True)
def collectable() -> Iterator[None]:
    """The app freezes what it holds once built (lambdatop/ui/collector.py), as it should for a
    process that is one app; a test process runs hundreds: each test's go back to the collector,
    paced as before."""
    thresholds = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*thresholds)
