"""Every key of the monitor as data: shown in the footer and on the help screen, and
re-mappable by id in the config file's `[keys]` table.

The description is the footer's short word; the tooltip is the help screen's sentence."""

from __future__ import annotations

from textual.binding import Binding, BindingType

APP_BINDINGS: list[BindingType] = [
    Binding("q", "quit", "Quit", id="quit"),
    Binding("question_mark", "help", "Help", key_display="?", id="help", tooltip="This help"),
    Binding(
        "tab",
        "next_function",
        "Next function",
        show=False,
        id="next_function",
        priority=True,
        tooltip="Next opened function",
    ),
    Binding(
        "shift+tab",
        "previous_function",
        "Previous function",
        show=False,
        id="previous_function",
        priority=True,
        tooltip="Previous opened function",
    ),
    Binding("p", "pin", "Pin", id="pin", tooltip="Pin or unpin the function"),
    *(
        Binding(str(n), f"jump({n})", f"Pinned {n}", show=False, id=f"jump_{n}")
        for n in range(1, 10)
    ),
    Binding("r", "refresh", "Refresh", id="refresh", tooltip="Poll AWS now"),
    Binding(
        "plus,equals_sign",
        "widen",
        "Wider",
        key_display="+",
        show=False,  # the status line shows the window and says `+/-`; the footer is full
        id="widen",
        tooltip="Widen the time window: 15m → 1h → 3h → 12h",
    ),
    Binding(
        "minus",
        "narrow",
        "Narrower",
        key_display="-",
        show=False,
        id="narrow",
        tooltip="Narrow the time window: 12h → 3h → 1h → 15m",
    ),
    Binding(
        "s",
        "snapshot",
        "Snapshot",
        id="snapshot",
        tooltip="Save a snapshot: SVG screenshot + diagnosis.md, new folder",
    ),
]

FLEET_BINDINGS: list[BindingType] = [
    Binding("enter", "open", "Open", id="open", tooltip="Open the selected function"),
    Binding(
        "slash",
        "filter",
        "Filter",
        key_display="/",
        id="filter",
        tooltip="Filter functions by name as you type",
    ),
    Binding("o", "cycle_sort", "Sort", id="sort", tooltip="Sort by the next column"),
    Binding(
        "x",
        "next_context",
        "Context",
        id="context",
        tooltip="Profiles × regions: all merged, or each alone in turn",
    ),
    Binding(
        "escape", "clear_filter", "Clear", show=False, id="clear_filter", tooltip="Clear the filter"
    ),
]

INCIDENT_BINDINGS: list[BindingType] = [
    Binding("escape", "back", "Fleet", id="back", tooltip="Close the open pane, else the fleet"),
    Binding(
        "slash",
        "filter",
        "Filter",
        key_display="/",
        id="filter",
        tooltip="Search the log: text highlights, +text hides other lines",
    ),
    Binding("n", "next_match", "Next match", show=False, id="next_match"),
    Binding("N", "previous_match", "Prev match", show=False, id="previous_match"),
    Binding(
        "space",
        "toggle_follow",
        "Pause",
        id="follow",
        tooltip="Pause the log (new lines are counted) or follow it again",
    ),
    Binding("w", "toggle_wrap", "Wrap", id="wrap", tooltip="Wrap long log lines"),
    Binding("t", "traces", "Traces", id="traces", tooltip="Failed X-Ray traces (enter opens one)"),
    Binding("d", "diagnosis", "Diagnosis", id="diagnosis", tooltip="The diagnosis checklist"),
    Binding("l", "log", "Log", show=False, id="log", tooltip="Back to the log"),
    Binding("g", "charts", "Charts", id="charts", tooltip="Charts of the time window"),
    Binding(
        "c",
        "copy",
        "Copy",
        id="copy",
        tooltip="Copy the marked next-step command (again: the next)",
    ),
]

HELP = [
    ("Anywhere", APP_BINDINGS),
    ("Fleet", FLEET_BINDINGS),
    ("Function", INCIDENT_BINDINGS),
]
