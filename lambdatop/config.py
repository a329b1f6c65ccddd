"""Settings: defaults, then the XDG config file, then `LAMBDATOP_*` environment variables, then
command-line flags (applied by the CLI).

The file is `$XDG_CONFIG_HOME/lambdatop/config.toml` (usually `~/.config/lambdatop/config.toml`),
or the path in `LAMBDATOP_CONFIG`. Example:

    refresh = 2.0           # seconds between screen refreshes
    window = "1h"           # 15m, 1h, 3h or 12h
    theme = "textual-dark"
    live_tail = false       # logs by CloudWatch Live Tail (about $0.01 a minute a session)
    redact = false          # true: mask account ids, IPs and hosts (as --redact)
    profiles = ["prod", "staging"]        # the monitor's fleet: every profile ...
    regions = ["eu-west-1", "us-east-1"]  # ... in every region (as --profile/--region, repeated)
    linked_accounts = false # a monitoring account: its source accounts' functions too

    [thresholds]
    error_rate_fail = 0.05
    timeout_near_ratio = 0.8

    [keys]
    pin = "P"               # action = key(s), comma separated
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from lambdatop.core.timeutil import WINDOWS, parse_duration
from lambdatop.defaults import LIVE_TAIL, REDACT, REFRESH_S, TAIL_LINES, THEME, WINDOW
from lambdatop.diagnose.thresholds import Thresholds
from lambdatop.paths import config_path


class ConfigError(ValueError):
    """The config file cannot be used; the message says which and why, in one line."""


class _TomlFile(PydanticBaseSettingsSource):
    """The config file, read once; a missing file is an empty one."""

    def __init__(self, settings_cls: type[BaseSettings], path: Path) -> None:
        super().__init__(settings_cls)
        self.path = path
        self.data: dict[str, Any] = {}
        if path.is_file():
            try:
                self.data = tomllib.loads(path.read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
                raise ConfigError(f"cannot read config file {path}: {error}") from None

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return self.data.get(field_name), field_name, False

    def __call__(self) -> dict[str, Any]:
        return dict(self.data)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="LAMBDATOP_", extra="forbid")

    refresh: float = Field(REFRESH_S, ge=0.2, le=600)
    """Seconds between screen refreshes and the fastest log poll."""
    window: str = WINDOW
    """The time window of charts and the diagnosis: 15m, 1h, 3h or 12h."""
    theme: str = THEME
    """A Textual theme by name; the monitor names an unknown one and the themes it knows, and
    keeps textual-dark (the themes are Textual's to list: it is not loaded to read a config)."""
    keys: dict[str, str] = Field(default_factory=dict)
    """Key bindings by action id, e.g. `pin = "P"`."""
    thresholds: Thresholds = Field(default_factory=Thresholds)
    tail_lines: int = Field(TAIL_LINES, ge=100, le=100_000)
    """Log lines kept per function for the live tail."""
    live_tail: bool = LIVE_TAIL
    """Follow logs with CloudWatch Live Tail sessions (pushed, billed per minute of session)
    instead of polling FilterLogEvents: for the monitor and `lambdatop tail`."""
    redact: bool = REDACT
    """Mask account ids, IPs and host names on screen, in snapshots and in `diagnose` and
    `tail` output (as --redact)."""

    profiles: Annotated[tuple[str, ...], NoDecode] = ()
    """AWS profiles the monitor watches together, each in every region of `regions` (one fleet,
    as k9s's contexts); empty: AWS_PROFILE or the default, as the AWS CLI. `--profile` replaces
    them; `diagnose` and `tail` read one profile. LAMBDATOP_PROFILES=prod,staging as well."""
    regions: Annotated[tuple[str, ...], NoDecode] = ()
    """AWS regions the monitor watches, each with every profile; empty: AWS_REGION or the
    profile's region. `--region` replaces them."""

    linked_accounts: bool = False
    """In a CloudWatch cross-account monitoring account, list the source accounts' functions
    too, by their log groups, with their logs and metrics (as --linked-accounts)."""

    @field_validator("profiles", "regions", mode="before")
    @classmethod
    def _listed(cls, value: object) -> object:
        """A variable's `prod,staging` (or a JSON list), as the file's list."""
        if isinstance(value, str):
            text = value.strip()
            if text.startswith("["):
                return json.loads(text)
            return [part.strip() for part in text.split(",")] if text else []
        return value

    @field_validator("profiles", "regions")
    @classmethod
    def _names(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if any(not name.strip() for name in value):
            raise ValueError("an empty name")
        return value

    @field_validator("window")
    @classmethod
    def _known_window(cls, value: str) -> str:
        parse_duration(value)
        if value not in WINDOWS:
            raise ValueError(f"window must be one of {', '.join(WINDOWS)}")
        return value

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings, _TomlFile(settings_cls, config_path()))


def load_settings(**overrides: Any) -> Settings:
    """Settings from every source; raises ConfigError with one line for a person."""
    try:
        return Settings(**{k: v for k, v in overrides.items() if v is not None})
    except ValidationError as error:
        problem = error.errors()[0]
        where = ".".join(str(part) for part in problem["loc"])
        raise ConfigError(f"bad setting {where} in {config_path()}: {problem['msg']}") from None
