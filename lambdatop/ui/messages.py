"""What a screen asks of the app: it posts one of these, and the app, which owns the screen stack
and the backend, does it. Screens never call the app."""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message


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
