"""The window's charts (plotext): duration against the timeout, memory per execution environment
against the limit (the picture of a leak), invocations/errors/throttles, cold starts and init."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid
from textual.widgets import Static
from textual_plotext import PlotextPlot

from lambdatop.core import metrics as m
from lambdatop.core.records import Invocation
from lambdatop.core.series import (
    CLOUDWATCH_LAG_MINUTES,
    counted_from_reports,
    minute_series,
    per_minute,
)
from lambdatop.core.store import FunctionState
from lambdatop.core.summary import recent_invocations
from lambdatop.ui.model import UiModel
from lambdatop.ui.screens.base import Footer, StoreScreen

MAX_ENVIRONMENTS = 6


def _minutes_axis(count: int, now: float, window: float) -> list[float]:
    """Minutes relative to now of a series' values, the window's last complete minute at 0: a
    series CloudWatch has not published to the end yet stops short of it, where it belongs."""
    span = len(minute_series({}, int(now - window), int(now)))
    return [float(i - span + 1) for i in range(count)]


def _known(x: list[float], y: list[float]) -> tuple[list[float], list[float]]:
    """Only the minutes that have a value: a duration of 0 is a minute with no data, and drawing
    it as 0 would show a drop that never happened."""
    pairs = [(a, b) for a, b in zip(x, y, strict=True) if b]
    return [a for a, _ in pairs], [b for _, b in pairs]


def _limit_ticks(plt: Any, limit: float, unit: str) -> None:
    """Round ticks from 0 to the limit, so the limit line reads as a number on the axis."""
    ticks = [limit * i / 4 for i in range(5)]
    plt.ylim(0, limit * 1.08)
    plt.yticks(ticks, [f"{t:g}" for t in ticks[:-1]] + [f"{limit:g} {unit}"])


def _time_axis(plt: Any, window_s: float) -> None:
    """The same minutes-from-now axis on every chart: the window, five round ticks."""
    minutes = window_s / 60
    ticks = [-minutes + minutes * i / 4 for i in range(5)]
    plt.xlim(-minutes, 0)
    plt.xticks(ticks, [f"{t:.0f}" if t else "now" for t in ticks])


class Chart(PlotextPlot):
    """A plotext chart that never takes the app down: plotext fails on some degenerate data
    (a labelled series with no points, in its legend code); such a chart says so instead."""

    def render(self) -> Any:
        try:
            return super().render()
        except Exception:  # noqa: BLE001 - any plotext failure is one chart's, not the app's
            return Text("nothing to chart yet", style="dim italic")


class ChartsScreen(StoreScreen):
    BINDINGS = [Binding("escape,g", "app.pop_screen", "Back", id="charts_back")]
    DEFAULT_CSS = """
    ChartsScreen #charts-title {
        height: 1; background: $primary; color: $text; padding: 0 1;
        text-wrap: nowrap; text-overflow: ellipsis;
    }
    ChartsScreen Grid { grid-size: 2 2; height: 1fr; }
    ChartsScreen PlotextPlot { border: round $primary-darken-2; }
    """

    def __init__(self, model: UiModel, function: str) -> None:
        super().__init__(model)
        self.function = function

    def compose(self) -> ComposeResult:
        yield Static("", id="charts-title", markup=False)
        with Grid():
            yield Chart(id="chart-duration")
            yield Chart(id="chart-memory")
            yield Chart(id="chart-traffic")
            yield Chart(id="chart-cold")
        yield Footer()

    def on_mount(self) -> None:
        self._ready = True
        self.refresh_data()

    def on_screen_resume(self) -> None:
        self.refresh_data()  # perhaps re-pointed at another function while away

    def repaint(self) -> None:
        model = self.model
        state = model.store.function(self.function)
        now = model.clock()
        window = model.window_s
        self.query_one("#charts-title", Static).update(
            Text(
                f"{self.function} · charts over the last {model.window} (minutes from now)", "bold"
            )
        )
        # The function's REPORTs in the window, read once for every chart (50,000 kept).
        reported = recent_invocations(state, int(now - window) * 1000)
        since_ms = int((now - window) * 1000)
        in_window = [inv for inv in reported if (inv.end_ms or inv.start_ms or 0) >= since_ms]
        self._duration(state, reported, now, window)
        self._memory(state, in_window, now, window)
        self._traffic(state, reported, now, window)
        self._cold(state, in_window, now, window)

    def _series(
        self, state: FunctionState, key: str, reported: list[Invocation], now: float, window: float
    ) -> list[float]:
        since, end = int(now - window), int(now)
        return per_minute(state.metrics, key, reported, since, end).values

    def _duration(
        self, state: FunctionState, reported: list[Invocation], now: float, window: float
    ) -> None:
        plot = self.query_one("#chart-duration", Chart)
        plt = plot.plt
        plt.clear_data()
        plt.clear_figure()
        p99 = [v / 1000 for v in self._series(state, m.DURATION_P99, reported, now, window)]
        p50 = [v / 1000 for v in self._series(state, m.DURATION_P50, reported, now, window)]
        for values, label, color in ((p99, "p99", "red"), (p50, "p50", "green")):
            xs, ys = _known(_minutes_axis(len(values), now, window), values)
            if xs:  # plotext fails on a labelled series with no points
                plt.plot(xs, ys, label=label, color=color)
        timeout = state.config.timeout_s if state.config else None
        if timeout:
            plt.hline(timeout, color="orange")
            _limit_ticks(plt, timeout, "s")
            plt.title(f"Duration p50 / p99 (s) against the timeout line, {timeout:g} s")
        else:
            plt.title("Duration p50 / p99 (s)")
        _time_axis(plt, window)
        plot.refresh()

    def _memory(
        self, state: FunctionState, invocations: list[Invocation], now: float, window: float
    ) -> None:
        plot = self.query_one("#chart-memory", Chart)
        plt = plot.plt
        plt.clear_data()
        plt.clear_figure()
        by_stream: dict[str, list[tuple[float, float]]] = defaultdict(list)
        for inv in invocations:
            if inv.max_memory_mb is not None and inv.stream:
                minutes = ((inv.start_ms or inv.end_ms or 0) / 1000 - now) / 60
                by_stream[inv.stream].append((minutes, float(inv.max_memory_mb)))
        busiest = sorted(by_stream.items(), key=lambda item: len(item[1]), reverse=True)
        for stream, points in busiest[:MAX_ENVIRONMENTS]:
            points.sort()
            plt.plot([p[0] for p in points], [p[1] for p in points], label=stream[-6:])
        size = state.config.memory_mb if state.config else None
        if size:
            plt.hline(size, color="red")
            _limit_ticks(plt, size, "MB")
        if not busiest:
            plt.text("no REPORT lines in the window", x=-window / 120, y=(size or 1) / 2)
        plt.title(
            f"Max memory used per environment (MB) against the limit, {size} MB"
            if size
            else "Max memory used per environment (MB)"
        )
        _time_axis(plt, window)
        plot.refresh()

    def _traffic(
        self, state: FunctionState, reported: list[Invocation], now: float, window: float
    ) -> None:
        plot = self.query_one("#chart-traffic", Chart)
        plt = plot.plt
        plt.clear_data()
        plt.clear_figure()
        invocations = self._series(state, m.INVOCATIONS, reported, now, window)
        errors = self._series(state, m.ERRORS, reported, now, window)
        for values, label, color in (
            (invocations, "invocations", "cyan"),
            (errors, "errors", "red"),
        ):
            plt.plot(_minutes_axis(len(values), now, window), values, label=label, color=color)
        title = "Invocations, errors and throttles per minute"
        if m.THROTTLES in state.metrics:
            throttles = minute_series(
                state.metrics[m.THROTTLES].points,
                int(now - window),
                int(now),
                total=True,
                lag_minutes=CLOUDWATCH_LAG_MINUTES,
            )
            if any(throttles):
                plt.plot(
                    _minutes_axis(len(throttles), now, window),
                    throttles,
                    label="throttles",
                    color="orange",
                )
            else:
                title += " · no throttles"
        plt.title(title)
        _time_axis(plt, window)
        plot.refresh()

    def _cold(
        self, state: FunctionState, invocations: list[Invocation], now: float, window: float
    ) -> None:
        plot = self.query_one("#chart-cold", Chart)
        plt: Any = plot.plt  # plotext's inferred types miss `yside="right"`
        plt.clear_data()
        plt.clear_figure()
        cold = minute_series(counted_from_reports(invocations, "cold"), int(now - window), int(now))
        plt.bar(_minutes_axis(len(cold), now, window), cold, label="cold starts", color="blue")
        inits = [
            (((inv.start_ms or 0) / 1000 - now) / 60, inv.cold_start_ms / 1000)
            for inv in invocations
            if inv.cold_start_ms is not None
        ]
        if inits:
            # seconds on their own axis (right), never on the count's
            plt.scatter(
                [p[0] for p in inits],
                [p[1] for p in inits],
                label="init (s, right axis)",
                color="magenta",
                yside="right",
            )
            plt.ylim(0, max(p[1] for p in inits) * 1.2, yside="right")
        top = max(max(cold, default=0.0), 1.0)
        step = max(1, round(top / 4))
        plt.ylim(0, top * 1.2)
        plt.yticks(list(range(0, int(top) + step, step)))
        plt.title("Cold starts per minute (bars) · init duration in s (dots, right)")
        _time_axis(plt, window)
        plot.refresh()
