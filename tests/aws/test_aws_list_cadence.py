"""The function list of a big fleet is read in full less often (aws/pollers/inventory.py): the
fleet's title says how often, so a function deployed a minute ago and not yet listed is no
surprise. Real Textual through Pilot."""

from __future__ import annotations

from pathlib import Path

import pytest
from uifakes import RecordingBackend
from uitools import screen_text, settle

from lambdatop.core.records import FunctionConfig
from lambdatop.core.store import Store
from lambdatop.ui.app import LambdatopApp


@pytest.mark.parametrize(("functions", "said"), [(100, None), (2_000, "list every 10 min")])
async def test_the_fleet_title_says_how_often_a_big_fleet_is_listed(
    tmp_path: Path, functions: int, said: str | None
) -> None:
    store = Store()
    store.set_inventory(FunctionConfig(f"fn-{index:05d}") for index in range(functions))
    app = LambdatopApp(store, RecordingBackend(store), snapshot_dir=tmp_path, refresh_s=2.0)
    async with app.run_test(size=(220, 40)) as pilot:
        await settle(pilot)
        title = screen_text(app).splitlines()[0]
        if said is None:
            assert "list every" not in title
        else:
            assert said in title
