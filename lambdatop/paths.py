"""Where lambdatop keeps its files, by the XDG conventions. Imports nothing heavy: every
command asks `settings_customised` first, so it reads the environment and one file's status
with `os.path` (pathlib and what it imports cost `diagnose --logs` a fortieth of its time)."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path


def _config_file() -> str:
    explicit = os.environ.get("LAMBDATOP_CONFIG")
    if explicit:
        return os.path.expanduser(explicit)
    base = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return os.path.join(base, "lambdatop", "config.toml")


def config_path() -> Path:
    """`$LAMBDATOP_CONFIG`, else `$XDG_CONFIG_HOME/lambdatop/config.toml`."""
    from pathlib import Path

    return Path(_config_file())


def settings_customised() -> bool:
    """Whether a config file or a `LAMBDATOP_*` setting exists (else defaults apply as they are)."""
    if any(key.startswith("LAMBDATOP_") and key != "LAMBDATOP_CONFIG" for key in os.environ):
        return True
    return os.path.isfile(_config_file())


def state_dir() -> Path:
    """`$XDG_STATE_HOME/lambdatop` (usually `~/.local/state/lambdatop`): logs of our own."""
    from pathlib import Path

    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "lambdatop"
