"""When a check warns or fails. Every threshold is a setting (`[thresholds]` in the config file).

Defaults follow industry practice: Datadog's serverless warnings (high errors, high duration near
the timeout, high memory use, over-allocated memory, cold starts, throttles, iterator age) and
AWS's own guidance (the 29 s API Gateway integration limit, the 10 s init limit).
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any


def _setting(
    default: float, ge: float | None = None, gt: float | None = None, le: float | None = None
) -> Any:
    return field(default=default, metadata={"ge": ge, "gt": gt, "le": le})


@dataclass(frozen=True, slots=True, kw_only=True)
class Thresholds:
    """Decision points of the diagnosis checks; fractions are of 1 (0.05 = 5 %).

    A plain dataclass (no pydantic at import), so the headless commands start fast; the config
    file's `[thresholds]` table is validated into it.
    """

    error_rate_warn: float = _setting(0.01, ge=0, le=1)
    """invocation_errors warns at this share of invocations failing."""
    error_rate_fail: float = _setting(0.05, ge=0, le=1)
    """invocation_errors fails at this share of invocations failing."""
    timeout_near_ratio: float = _setting(0.8, gt=0, le=1)
    """timeout warns when p99 duration reaches this share of the configured timeout."""
    memory_near_ratio: float = _setting(0.9, gt=0, le=1)
    """memory warns when max memory used reaches this share of the memory size."""
    memory_overprovisioned_ratio: float = _setting(0.25, gt=0, le=1)
    """memory warns (waste) when max memory used stays under this share of a size >= 256 MB.
    Datadog's "over provisioned" warning uses 10 %; a quarter leaves room for the CPU that
    comes with memory while still catching sizes four times what is used."""
    memory_saving_min_usd: float = _setting(1.0, ge=0)
    """Over-provisioned memory warns only when right-sizing saves at least this many US dollars
    a month at the window's traffic; a smaller saving is reported under an `ok`."""
    memory_leak_growth_ratio: float = _setting(0.2, gt=0, le=1)
    """memory warns of a leak when one environment grows by this share of the memory size."""
    memory_leak_min_invocations: int = _setting(5, ge=3)
    """A leak needs at least this many invocations in one execution environment."""
    min_invocations_for_ratio: int = _setting(20, ge=1)
    """Shares (cold starts, over-provisioned memory) are judged only over this many invocations."""
    cold_start_ratio_warn: float = _setting(0.05, ge=0, le=1)
    """cold_start warns at this share of invocations starting cold (Datadog warns at 1 %), when
    the init is notable (see cold_start_init_notable_ms)."""
    cold_start_init_notable_ms: float = _setting(1000, ge=0)
    """The cold-start share only warns when init p99 reaches this: a fast init costs callers
    little however often it runs (a quiet function starts cold often and that is fine)."""
    cold_start_ratio_fail: float = _setting(0.25, ge=0, le=1)
    """cold_start fails at this share when init p99 is also slow (see init_slow_ms)."""
    init_slow_ms: float = _setting(3000, gt=0)
    """An init (or SnapStart restore) p99 this slow hurts callers."""
    throttle_ratio_fail: float = _setting(0.05, ge=0, le=1)
    """throttling fails at this share of requests throttled (any throttle warns)."""
    concurrency_near_ratio: float = _setting(0.9, gt=0, le=1)
    """throttling warns when concurrency reaches this share of reserved or account limit."""
    iterator_age_warn_s: float = _setting(60, gt=0)
    """event_source warns when a stream consumer is this far behind."""
    iterator_age_fail_s: float = _setting(900, gt=0)
    """event_source fails when a stream consumer is this far behind."""
    api_5xx_ratio_fail: float = _setting(0.01, ge=0, le=1)
    """api_gateway fails at this share of requests answered with a 5xx."""
    family_ratio_fail: float = _setting(0.01, ge=0, le=1)
    """State-plane checks (pool, database, VPC) fail when this share of invocations is hit;
    below it they warn."""

    def __post_init__(self) -> None:
        for item in fields(self):
            value = getattr(self, item.name)
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise TypeError(f"{item.name} must be a number, not {value!r}")
            bounds = item.metadata
            if bounds.get("ge") is not None and value < bounds["ge"]:
                raise ValueError(f"{item.name} must be at least {bounds['ge']}")
            if bounds.get("gt") is not None and value <= bounds["gt"]:
                raise ValueError(f"{item.name} must be more than {bounds['gt']}")
            if bounds.get("le") is not None and value > bounds["le"]:
                raise ValueError(f"{item.name} must be at most {bounds['le']}")
