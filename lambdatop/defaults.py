"""The settings' defaults, without pydantic: `config.Settings` declares its fields with them, and
the monitor starts on them as they are when nothing is customised (no config file, no
`LAMBDATOP_*` variable, no flag), so pydantic's loading is not paid before the first frame."""

from __future__ import annotations

from dataclasses import dataclass, field

from lambdatop.diagnose.thresholds import Thresholds

REFRESH_S = 2.0
WINDOW = "1h"
THEME = "textual-dark"
TAIL_LINES = 5000
LIVE_TAIL = False
REDACT = False


@dataclass(frozen=True, slots=True)
class DefaultSettings:
    """What `config.Settings()` holds when nothing is customised."""

    refresh: float = REFRESH_S
    window: str = WINDOW
    theme: str = THEME
    keys: dict[str, str] = field(default_factory=dict)
    thresholds: Thresholds = field(default_factory=Thresholds)
    tail_lines: int = TAIL_LINES
    live_tail: bool = LIVE_TAIL
    redact: bool = REDACT
    profiles: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    linked_accounts: bool = False
