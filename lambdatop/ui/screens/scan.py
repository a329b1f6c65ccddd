"""The question before a costly Logs Insights count: the window would scan more than the limit.

The monitor counts a function's window with Logs Insights when its backfill stopped short of
it; above the limit it asks first (`FunctionState.scan_question`). Yes posts `AllowScan`; no
keeps the diagnosis of the lines read, its log saying where they stop."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static

from lambdatop.ui.messages import AllowScan


class ScanQuestion(ModalScreen[bool]):
    DEFAULT_CSS = """
    ScanQuestion { align: center middle; }
    ScanQuestion > Vertical {
        width: 72; height: auto; border: thick $warning; background: $surface; padding: 1 2;
    }
    """
    BINDINGS = [
        Binding("y", "answer(True)", "count it"),
        Binding("n,escape", "answer(False)", "not now"),
    ]

    def __init__(self, function: str, question: str) -> None:
        super().__init__()
        self.function = function
        self.question = question

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(self.question, markup=False)
            yield Static("y: count it · n: not now (the diagnosis stays the lines read)")

    def action_answer(self, allowed: bool) -> None:
        if allowed:
            self.post_message(AllowScan(self.function))
        self.dismiss(allowed)
