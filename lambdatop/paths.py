"""Where lambdatop keeps its files, by the XDG conventions. Imports nothing heavy."""

from __future__ import annotations

import os
from pathlib import Path


def config_path() -> Path:
    """`$LAMBDATOP_CONFIG`, else `$XDG_CONFIG_HOME/lambdatop/config.toml`."""
    explicit = os.environ.get("LAMBDATOP_CONFIG")
    if explicit:
        return Path(explicit).expanduser()
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "lambdatop" / "config.toml"


def settings_customised() -> bool:
    """Whether a config file or a `LAMBDATOP_*` setting exists (else defaults apply as they are)."""
    if any(key.startswith("LAMBDATOP_") and key != "LAMBDATOP_CONFIG" for key in os.environ):
        return True
    return config_path().is_file()


def state_dir() -> Path:
    """`$XDG_STATE_HOME/lambdatop` (usually `~/.local/state/lambdatop`): logs of our own."""
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "lambdatop"
