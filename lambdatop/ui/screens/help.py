"""Every key, grouped by where it works, with the keys the user's keymap gave them."""

from __future__ import annotations

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


def help_text(keymap: dict[str, str]) -> Text:
    text = Text()
    text.append(ABOUT + "\n", "italic")
    for group, bindings in HELP:
        text.append(f"\n{group}\n", "bold underline")
        for binding in bindings:
            if not isinstance(binding, Binding):
                continue
            keys = keymap.get(binding.id or "", binding.key_display or binding.key)
            if binding.id and binding.id.startswith("jump_"):
                if binding.id != "jump_1":
                    continue
                keys, description = "1-9", "Jump to pinned function 1-9"
            else:
                description = binding.description or binding.action
            text.append(f"  {keys:<14}", "bold cyan")
            text.append(f"{description}\n")
    text.append("\n  ctrl+p        ", "bold cyan")
    text.append("Command palette: type a function name to switch to it\n")
    text.append("\nKeys can be changed in the config file's [keys] table (see the README).", "dim")
    return text


class HelpScreen(ModalScreen[None]):
    BINDINGS = [
        Binding("escape,question_mark,q", "dismiss", "Close", id="help_close"),
    ]
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll {
        width: 84; max-width: 100%; height: 80%;
        border: round $accent; background: $surface; padding: 0 1;
    }
    """

    def __init__(self, keymap: dict[str, str]) -> None:
        super().__init__()
        self.keymap = keymap

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Static(help_text(self.keymap), markup=False)
