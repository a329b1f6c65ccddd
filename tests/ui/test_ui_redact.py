"""`--redact` on screen: what a screenshot shared in an incident channel shows, and what the
snapshot (`s`) writes, names no account; the layout does not move."""

from __future__ import annotations

from pathlib import Path

import pytest
from uidata import ACCOUNT, EXPORTER
from uifakes import AppFactory
from uitools import screen_lines, screen_text, settle

WIDE = (200, 50)


@pytest.mark.parametrize("redact", [False, True])
async def test_redact_masks_the_account_on_screen_and_in_the_snapshot(
    make_app: AppFactory, tmp_path: Path, redact: bool
) -> None:
    app = make_app(functions=[EXPORTER], snapshot_dir=tmp_path, redact=redact)
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        shown = screen_text(app)
        assert "exporter" in shown.lower() or EXPORTER in shown
        assert all(len(line) == WIDE[0] for line in screen_lines(app)), "the layout holds"
        await pilot.press("s")
        await settle(pilot)
    folder = tmp_path / "lambdatop-snapshot-20260302T093000Z"
    saved = [(folder / name).read_text(encoding="utf-8") for name in ("screen.svg", "diagnosis.md")]
    if not redact:
        assert ACCOUNT in shown, "the account is on screen (else this test proves nothing)"
        return
    assert ACCOUNT not in shown
    assert ":************:" in shown
    for text in saved:
        assert ACCOUNT not in text
