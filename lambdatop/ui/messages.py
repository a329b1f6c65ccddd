"""What a screen asks of the app: it posts one of these, and the app, which owns the screen stack
and the backend, does it. Screens never call the app. And what a screen's worker tells the
screen when its work is done (`DiagnosisMade`)."""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message

from lambdatop.ui.model import MadeDiagnosis


@dataclass
class OpenFunction(Message):
    """Show this function's incident view (from the fleet, the palette)."""

    name: str


@dataclass
class ShowFleet(Message):
    """Back to the fleet."""


@dataclass
class ShowCharts(Message):
    """The window's charts of this function."""

    function: str


@dataclass
class ShowTrace(Message):
    """One X-Ray trace of the function as a waterfall; the app has its segments fetched."""

    function: str
    trace_id: str


@dataclass
class AllowScan(Message):
    """The person allowed Logs Insights to scan more than the limit to count this function's
    window."""

    function: str


@dataclass
class DiagnosisMade(Message, bubble=False):
    """A diagnosis made on a worker thread, for the screen that started it: it hands it to
    the model and repaints."""

    made: MadeDiagnosis
