"""The incident view's number panels: sparklines with their current, peak and limit, and the
memory and cold-start figures. Every number carries its unit and its limit."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Sparkline

from lambdatop.core import metrics as m
from lambdatop.core.series import CLOUDWATCH_LAG_MINUTES, Source, minute_series, per_minute
from lambdatop.core.stats import percentiles
from lambdatop.core.store import FunctionState
from lambdatop.core.summary import recent_invocations
from lambdatop.diagnose.format import ms
from lambdatop.diagnose.model import Diagnosis, MemoryGrowth
from lambdatop.ui.safe import safe
from lambdatop.ui.widgets.readout import Readout


class SparkRow(Vertical):
    """A label with figures over a sparkline."""

    DEFAULT_CSS = """
    SparkRow { height: 2; }
    SparkRow > Static { height: 1; text-wrap: nowrap; text-overflow: ellipsis; }
    SparkRow > Sparkline { height: 1; }
    """

    def __init__(self, id: str) -> None:
        super().__init__(id=id)
        self.label = Readout()
        self.spark = Sparkline([])

    def compose(self) -> ComposeResult:
        yield self.label
        yield self.spark

    def show(self, label: Text, data: list[float]) -> None:
        self.label.show_text(label)
        if data != self.spark.data:
            self.spark.data = list(data)  # reassigned, not mutated: Sparkline redraws then


def latest(values: list[float]) -> float | None:
    """The newest minute that has data: CloudWatch fills the last minutes in late."""
    for value in reversed(values[-3:]):
        if value:
            return value
    return values[-1] if values else None


def _figure(name: str, value: str, extra: str = "", alert: bool = False) -> Text:
    text = Text(no_wrap=True, overflow="ellipsis", end="")
    text.append(f"{name:<12}", "bold")
    text.append(value, "bold red" if alert else "bold")
    if extra:
        text.append(f"  {extra}", "dim")
    return text


class MetricsPanel(Vertical):
    """Invocations, errors, throttles, concurrency and duration over the window."""

    DEFAULT_CSS = """
    MetricsPanel { height: auto; padding: 0 1; }
    MetricsPanel #spark-errors > Sparkline > .sparkline--max-color,
    MetricsPanel #spark-throttles > Sparkline > .sparkline--max-color { color: $error; }
    MetricsPanel #spark-errors > Sparkline > .sparkline--min-color,
    MetricsPanel #spark-throttles > Sparkline > .sparkline--min-color { color: $error 30%; }
    MetricsPanel #spark-duration > Sparkline > .sparkline--max-color { color: $warning; }
    MetricsPanel #spark-duration > Sparkline > .sparkline--min-color { color: $warning 30%; }
    """

    def compose(self) -> ComposeResult:
        for row in ("invocations", "errors", "throttles", "concurrency", "duration"):
            yield SparkRow(id=f"spark-{row}")

    def show(
        self,
        state: FunctionState,
        limit_account: int | None,
        now_s: float,
        window_s: float,
        age: str = "",
    ) -> None:
        since = int(now_s - window_s)
        now = int(now_s)
        series = state.metrics
        logs = recent_invocations(state, since * 1000)
        config = state.config

        def points(key: str) -> tuple[list[float], Source]:
            found = per_minute(series, key, logs, since, now)
            return found.values, found.source

        invocations, source = points(m.INVOCATIONS)
        stamp = f", {age}" if age and source is Source.CLOUDWATCH else ""
        errors, _ = points(m.ERRORS)
        total_inv, total_err = sum(invocations), sum(errors)
        if source is Source.CLOUDWATCH:
            # The window's totals as the diagnosis counts them (every datapoint since the
            # window's start), not the settled minutes the sparkline draws.
            total_inv = series[m.INVOCATIONS].total(since)
            if m.ERRORS in series:
                total_err = series[m.ERRORS].total(since)
        current = latest(invocations) or 0.0
        self.query_one("#spark-invocations", SparkRow).show(
            _figure(
                "Invocations",
                f"{current:,.0f}/min",
                f"peak {max(invocations, default=0):,.0f}/min"
                f" · {total_inv:,.0f} in window ({source}{stamp})",
            ),
            invocations,
        )
        rate = 100 * total_err / total_inv if total_inv else 0.0
        self.query_one("#spark-errors", SparkRow).show(
            _figure(
                "Errors",
                f"{total_err:,.0f} ({rate:.1f} %)",
                f"peak {max(errors, default=0):,.0f}/min",
                alert=total_err > 0,
            ),
            errors,
        )
        throttles = (
            minute_series(
                series[m.THROTTLES].points,
                since,
                now,
                total=True,
                lag_minutes=CLOUDWATCH_LAG_MINUTES,
            )
            if m.THROTTLES in series
            else []
        )
        total_thr = sum(throttles)
        self.query_one("#spark-throttles", SparkRow).show(
            _figure(
                "Throttles",
                f"{total_thr:,.0f}" if throttles else "n/a",
                f"peak {max(throttles, default=0):,.0f}/min" if throttles else "CloudWatch only",
                alert=total_thr > 0,
            ),
            throttles,
        )
        concurrency = (
            minute_series(
                series[m.CONCURRENCY].points, since, now, lag_minutes=CLOUDWATCH_LAG_MINUTES
            )
            if m.CONCURRENCY in series
            else []
        )
        limits = []
        if config is not None and config.reserved_concurrency is not None:
            limits.append(f"reserved {config.reserved_concurrency}")
        if limit_account:
            limits.append(f"account {limit_account:,}")
        now_conc = latest(concurrency)
        at_limit = bool(
            config
            and config.reserved_concurrency
            and concurrency
            and max(concurrency) >= config.reserved_concurrency
        )
        self.query_one("#spark-concurrency", SparkRow).show(
            _figure(
                "Concurrency",
                f"{now_conc:,.0f}" + (f" / {limits[0].split()[-1]}" if limits else "")
                if now_conc is not None
                else "n/a",
                " · ".join([f"peak {max(concurrency, default=0):,.0f}", *limits]),
                alert=at_limit,
            ),
            concurrency,
        )
        p99, _ = points(m.DURATION_P99)
        p50, _ = points(m.DURATION_P50)
        if not any(p99) and m.DURATION_MAX in series:
            p99 = minute_series(series[m.DURATION_MAX].points, since, now)
            label = "max"
        else:
            label = "p99"
        timeout = config.timeout_s if config else None
        latest_p99 = next((v for v in reversed(p99) if v), None)
        latest_p50 = next((v for v in reversed(p50) if v), None)
        near = bool(timeout and latest_p99 and latest_p99 >= 0.8 * timeout * 1000)
        self.query_one("#spark-duration", SparkRow).show(
            _figure(
                "Duration",
                f"{label} {ms(latest_p99)}" + (f" of {timeout:g} s" if timeout else ""),
                f"p50 {ms(latest_p50)} · peak {ms(max(p99, default=0) or None)}",
                alert=near,
            ),
            p99,
        )


def memory_bar(used: int | None, size: int | None, width: int = 24) -> Text:
    """`███████░░░ 488 / 512 MB (95 %)`."""
    text = Text()
    if used is None or not size:
        text.append("n/a (no REPORT lines in the window)", "dim")
        return text
    share = min(used / size, 1.0)
    filled = round(share * width)
    colour = "red" if share >= 0.9 else "yellow" if share >= 0.75 else "green"
    text.append("█" * filled, colour)
    text.append("░" * (width - filled), "dim")
    text.append(f" {used} / {size} MB ({share * 100:.0f} %)", "bold")
    return text


def growth_line(growth: MemoryGrowth) -> str:
    """`environment …c6ad3: 283 → …`: the stream cut to its last six characters, as the log
    view's stream column and the memory chart's legend show it."""
    return safe(growth.describe(f"…{safe(growth.stream)[-6:]}"))


class MemoryPanel(Readout):
    """Max memory against the limit, per-environment growth, and cold starts."""

    DEFAULT_CSS = """
    MemoryPanel { height: auto; padding: 0 1; text-wrap: nowrap; text-overflow: ellipsis; }
    """

    def show(
        self, state: FunctionState, diagnosis: Diagnosis | None, now_s: float, window_s: float
    ) -> None:
        invocations = recent_invocations(state, int((now_s - window_s) * 1000))
        size = state.config.memory_mb if state.config else None
        used = [inv.max_memory_mb for inv in invocations if inv.max_memory_mb is not None]
        if size is None:
            sizes = [inv.memory_size_mb for inv in invocations if inv.memory_size_mb]
            size = sizes[-1] if sizes else None
        text = Text()
        text.append("Memory      ", "bold")
        text.append_text(memory_bar(max(used) if used else None, size))
        oom = sum(1 for inv in invocations if inv.status.value == "out_of_memory")
        if oom:
            text.append(f"  ✖ {oom} out of memory", "bold red")
        if diagnosis is not None:
            # Loaded with the checks by the first diagnosis, not before the first frame.
            from lambdatop.diagnose.checks.memory import GROWTH_SHOWN

            for growth in diagnosis.check("memory").growth[:GROWTH_SHOWN]:
                text.append(f"\n            ↗ {growth_line(growth)}", "yellow")
        cold = [inv for inv in invocations if inv.cold]
        text.append("\nCold starts ", "bold")
        share = 100 * len(cold) / len(invocations) if invocations else 0.0
        text.append(f"{len(cold):,} ({share:.1f} %)", "bold")
        # A SnapStart restore is no init: it is bounded and billed apart, and said apart.
        for phase, spent in (
            ("init", [inv.init_ms for inv in cold if inv.init_ms is not None]),
            ("restore", [inv.restore_ms for inv in cold if inv.restore_ms is not None]),
        ):
            if spent:
                p50, p99 = percentiles(spent, 50, 99)
                text.append(f"  {phase} p50 {ms(p50)} · p99 {ms(p99)}", "dim")
        if not cold:
            text.append("  (none in window)", "dim")
        self.show_text(text)
