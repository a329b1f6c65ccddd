"""Every key of the monitor as data: shown in the footer and on the help screen, and
re-mappable by id in the config file's `[keys]` table."""

from __future__ import annotations

from textual.binding import Binding, BindingType

APP_BINDINGS: list[BindingType] = [
    Binding("q", "quit", "Quit", id="quit"),
    Binding("question_mark", "help", "Help", key_display="?", id="help"),
    Binding("tab", "next_function", "Next fn", id="next_function", priority=True),
    Binding("shift+tab", "previous_function", "Prev fn", id="previous_function", priority=True),
    Binding("p", "pin", "Pin", id="pin"),
    *(
        Binding(str(n), f"jump({n})", f"Pinned {n}", show=False, id=f"jump_{n}")
        for n in range(1, 10)
    ),
    Binding("r", "refresh", "Refresh", id="refresh"),
    Binding("plus,equals_sign", "widen", "Window +", key_display="+", id="widen"),
    Binding("minus", "narrow", "Window -", key_display="-", id="narrow"),
    Binding("s", "snapshot", "Snapshot", id="snapshot"),
]

FLEET_BINDINGS: list[BindingType] = [
    Binding("enter", "open", "Open", id="open"),
    Binding("slash", "filter", "Filter", key_display="/", id="filter"),
    Binding("o", "cycle_sort", "Sort", id="sort"),
    Binding("escape", "clear_filter", "Clear", show=False, id="clear_filter"),
]

INCIDENT_BINDINGS: list[BindingType] = [
    Binding("escape", "back", "Fleet", id="back"),
    Binding("slash", "filter", "Filter", key_display="/", id="filter"),
    Binding("n", "next_match", "Next match", show=False, id="next_match"),
    Binding("N", "previous_match", "Prev match", show=False, id="previous_match"),
    Binding("space", "toggle_follow", "Pause/follow", id="follow"),
    Binding("w", "toggle_wrap", "Wrap", id="wrap"),
    Binding("t", "traces", "Traces", id="traces"),
    Binding("d", "diagnosis", "Diagnosis", id="diagnosis"),
    Binding("l", "log", "Log", show=False, id="log"),
    Binding("g", "charts", "Charts", id="charts"),
    Binding("c", "copy", "Copy cmd", id="copy"),
]

HELP = [
    ("Anywhere", APP_BINDINGS),
    ("Fleet", FLEET_BINDINGS),
    ("Function", INCIDENT_BINDINGS),
]
