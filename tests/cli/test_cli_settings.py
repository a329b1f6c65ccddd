"""The monitor starts on `defaults.DefaultSettings` when nothing is customised (pydantic is not
loaded then): they must be what `config.Settings()` would have given."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import pytest

from lambdatop.config import Settings
from lambdatop.defaults import DefaultSettings
from lambdatop.paths import settings_customised


def test_the_defaults_are_the_settings_with_nothing_customised(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    monkeypatch.delenv("LAMBDATOP_CONFIG", raising=False)
    for key in [key for key in os.environ if key.startswith("LAMBDATOP_")]:
        monkeypatch.delenv(key)
    assert not settings_customised()
    settings, defaults = Settings(), DefaultSettings()
    for field in dataclasses.fields(defaults):
        assert getattr(defaults, field.name) == getattr(settings, field.name), field.name
    assert set(Settings.model_fields) == {field.name for field in dataclasses.fields(defaults)}
