"""Where the monitor's contexts (profiles × regions) come from: the flags, repeated; the config
file's lists; a variable as a shell writes it (`prod,staging`); a bad one in one line."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from lambdatop.cli import diagnose_parser, monitor_parser
from lambdatop.config import ConfigError, load_settings


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for key in [key for key in os.environ if key.startswith("LAMBDATOP_")]:
        monkeypatch.delenv(key)
    path = tmp_path / "config.toml"
    monkeypatch.setenv("LAMBDATOP_CONFIG", str(path))
    return path


def test_the_monitor_takes_several_profiles_and_regions_and_diagnose_one() -> None:
    args = monitor_parser().parse_args(
        ["--profile", "prod", "--profile", "staging", "--region", "eu-west-1"]
    )
    assert args.profile == ["prod", "staging"]
    assert args.region == ["eu-west-1"]
    assert diagnose_parser().parse_args(["checkout", "--profile", "prod"]).profile == "prod"


def test_the_config_files_lists_and_a_variables_commas(
    config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config.write_text('profiles = ["prod", "staging"]\nregions = ["eu-west-1", "us-east-1"]\n')
    settings = load_settings()
    assert settings.profiles == ("prod", "staging")
    assert settings.regions == ("eu-west-1", "us-east-1")
    monkeypatch.setenv("LAMBDATOP_PROFILES", "prod, audit")
    assert load_settings().profiles == ("prod", "audit")
    monkeypatch.setenv("LAMBDATOP_PROFILES", '["json", "too"]')
    assert load_settings().profiles == ("json", "too")


def test_an_empty_profile_name_is_one_line(config: Path) -> None:
    config.write_text('profiles = ["prod", ""]\n')
    with pytest.raises(ConfigError, match=r"bad setting profiles .*an empty name"):
        load_settings()


def test_help_teaches_several_accounts_and_regions() -> None:
    shown = subprocess.run(
        [sys.executable, "-m", "lambdatop", "--help"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    assert "lambdatop --profile prod --profile staging --region eu-west-1" in shown
    assert "`x` switches" in shown
    assert "--linked-accounts" in shown
