"""Every key, grouped by where it works, with the keys the user's keymap gave them."""

from __future__ import annotations

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from lambdatop.ui.bindings import HELP

ABOUT = (
    "lambdatop: top for AWS Lambda. The fleet lists every function, worst first; enter opens "
    "one: live log, sparklines, memory, failed traces and the diagnosis (the debugging "
    "flowchart, in the guide's plane colours: control red, service green, state orange, edge "
    "blue). lambdatop only reads from AWS."
)


def help_text(keymap: dict[str, str]) -> Group:
    """The about text, then a key / what-it-does table per place (descriptions wrap in their own
    column, under themselves)."""
    parts: list[Text | Table] = [Text(ABOUT, "italic")]
    for group, bindings in HELP:
        parts.append(Text(f"\n{group}", "bold underline"))
        table = Table.grid(padding=(0, 2))
        table.add_column(min_width=12, style="bold cyan", no_wrap=True)
        table.add_column()
        table.add_column(style="dim", no_wrap=True)  # the id a config file's [keys] remaps
        for binding in bindings:
            if not isinstance(binding, Binding):
                continue
            keys = keymap.get(binding.id or "", binding.key_display or binding.key)
            if binding.id and binding.id.startswith("jump_"):
                if binding.id != "jump_1":
                    continue
                keys, description = "1-9", "Jump to pinned function 1-9"
            else:
                description = binding.tooltip or binding.description or binding.action
            remap = "jump_1..9" if binding.id == "jump_1" else binding.id or ""
            table.add_row(Text(f"  {keys}"), Text(description), Text(remap))
        if group == "Anywhere":
            table.add_row(Text("  ctrl+p"), Text("Command palette: find a function by name"), "")
        parts.append(table)
    parts.append(
        Text(
            "\nKeys can be changed in the config file's [keys] table by the ids on the right"
            " (see the README).",
            "dim",
        )
    )
    return Group(*parts)


class HelpScreen(ModalScreen[None]):
    BINDINGS = [
        Binding("escape,question_mark,q", "dismiss", "Close", id="help_close"),
    ]
    # Opaque: over a translucent one Textual renders the screen under again and blends each of
    # its cells at every frame the help is up, with the log pouring in (issue 14).
    DEFAULT_CSS = """
    HelpScreen { align: center middle; background: $background; }
    HelpScreen > VerticalScroll {
        width: 108; max-width: 100%; height: auto; max-height: 90%;
        border: round $accent; background: $surface; padding: 0 1;
    }
    """

    def __init__(self, keymap: dict[str, str]) -> None:
        super().__init__()
        self.keymap = keymap

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Static(help_text(self.keymap), markup=False)
