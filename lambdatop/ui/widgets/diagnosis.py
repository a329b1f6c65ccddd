"""The diagnosis sidebar: the flowchart as a live checklist in the guide's plane colours; the
highlighted check's evidence and next steps below it. And how a screen has a diagnosis made
(`diagnose_due`): off the event loop when it is a large one."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.dom import DOMNode
from textual.message import Message
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from lambdatop.core.timeutil import human_duration
from lambdatop.diagnose.evidence import StateCopy
from lambdatop.diagnose.model import PLANE_COLOURS, CheckResult, CheckStatus, Diagnosis, Plane
from lambdatop.diagnose.render import GLYPHS
from lambdatop.ui.model import DiagnosisJob, MadeDiagnosis, ShownDiagnosis, UiModel
from lambdatop.ui.safe import safe
from lambdatop.ui.widgets.readout import Readout

STATUS_STYLES = {
    CheckStatus.FAIL: "bold red",
    CheckStatus.WARN: "bold yellow",
    CheckStatus.OK: "green",
    CheckStatus.UNKNOWN: "dim",
}


def check_label(check: CheckResult, width: int = 120) -> Text:
    """One line: plane colour, status glyph, the check's name and its one-line finding."""
    text = Text(no_wrap=True, overflow="ellipsis", end="")
    text.append("▌", PLANE_COLOURS[check.plane])
    text.append(f"{GLYPHS[check.status]} ", STATUS_STYLES[check.status])
    text.append(f"{safe(check.id).replace('_', ' '):<17} ", "bold")
    # The glyph carries the colour; the title stays readable on the highlighted row.
    text.append(safe(check.title, width), "bold" if check.status is CheckStatus.FAIL else "")
    return text


def check_detail(check: CheckResult, command_index: int | None = None) -> Text:
    text = Text()
    text.append(f"{safe(check.title)}\n", STATUS_STYLES[check.status])
    text.append(f"{check.plane.value} plane · {check.status.value}", "dim")
    if check.caused_by:
        text.append(f" · caused by {', '.join(safe(c) for c in check.caused_by)}", "bold")
    text.append("\n\n")
    for item in (safe(line) for line in check.evidence):
        if item.startswith("›"):
            text.append(f"{item}\n", "italic")
        else:
            text.append(f"• {item}\n")
    commands = [step for step in check.steps if step.command]
    if check.steps:
        text.append("\nNext steps", "bold")
        text.append("  (c copies the marked command)\n" if commands else "\n", "dim")
    number = 0
    for step in check.steps:
        if step.command:
            marked = command_index is not None and number == command_index
            text.append("▶ " if marked else "$ ", "bold cyan" if marked else "dim")
            text.append(f"{safe(step.text)}\n", "cyan" if marked else "")
            number += 1
        else:
            text.append(f"{safe(step.text)}\n", "green")
    return text


@dataclass
class DiagnosisMade(Message, bubble=False):
    """A diagnosis made on a worker thread, posted to the screen that started it: the screen
    hands it to the model and repaints."""

    made: MadeDiagnosis


def diagnose_due(node: DOMNode, model: UiModel, name: str, budgeted: bool = False) -> None:
    """Have the function's diagnosis made, if one is due: a small one here and now; a large one
    copied from the store a slice at a time on the event loop (keys are answered between
    slices), its checks run on a worker thread, the result posted back to `node` as a
    `DiagnosisMade`. The screens show the last one meanwhile."""
    job = model.due(name, budgeted)
    if job is None:
        return
    if job.inline:
        model.make_now(job)
        return

    async def make() -> None:
        try:
            made = await made_off_the_loop(model, job)
        except BaseException:
            model.abandon(job)  # cancelled as the app closes, or the checks broke: ask again
            raise
        if not node.post_message(DiagnosisMade(made)):
            model.made(made)  # the screen is going: the model keeps it for the next look

    node.run_worker(make(), group="diagnosis", exit_on_error=False, description=f"diagnose {name}")


async def made_off_the_loop(model: UiModel, job: DiagnosisJob) -> MadeDiagnosis:
    """A large diagnosis: its data copied from the store a slice at a time on the event loop
    (keys are answered between slices), its checks run on a worker thread."""
    steps = model.copying(job)
    while True:
        try:
            next(steps)
        except StopIteration as done:
            copied: StateCopy = done.value
            break
        await asyncio.sleep(0)  # the event loop's turn: a key, a frame
    return await asyncio.to_thread(job.make, copied)


def age_note(shown: ShownDiagnosis, now: float) -> Text | None:
    """How old the diagnosis shown is, when it may lag the data: one made on a worker thread,
    or while a newer one is being made."""
    made = shown.made
    if made is None or not (made.threaded or shown.making):
        return None
    text = Text(f"Made {human_duration(max(now - made.at, 0.0))} ago", "dim")
    if shown.making:
        text.append(" · a newer diagnosis is being made", "dim")
    text.append("\n\n")
    return text


def first_to_read(diagnosis: Diagnosis) -> int:
    """The check to show first: the first failing check past the control plane (the cause, not
    the symptom), else any failing, else any warning, else the first."""
    checks = diagnosis.checks
    ids = [check.id for check in checks]
    for wanted, skip_control in (
        (CheckStatus.FAIL, True),
        (CheckStatus.FAIL, False),
        (CheckStatus.WARN, True),
        (CheckStatus.WARN, False),
    ):
        for index, check in enumerate(checks):
            if check.status is wanted and not (skip_control and check.plane is Plane.CONTROL):
                # Timeouts caused by an exhausted pool: open on the pool, the cause.
                for cause in check.caused_by:
                    if cause in ids and checks[ids.index(cause)].status is CheckStatus.FAIL:
                        return ids.index(cause)
                return index
    return 0


class DiagnosisPanel(Vertical):
    """Checklist (an OptionList) over the selected check's evidence and next steps."""

    DEFAULT_CSS = """
    DiagnosisPanel { height: 1fr; }
    DiagnosisPanel > OptionList {
        height: auto; max-height: 16; border: none; text-wrap: nowrap; text-overflow: ellipsis;
    }
    DiagnosisPanel > OptionList:focus { border: none; background-tint: $foreground 4%; }
    DiagnosisPanel > VerticalScroll {
        height: 1fr; border-top: solid $primary-darken-2; padding: 0 1;
    }
    """

    def __init__(self, id: str | None = None) -> None:
        super().__init__(id=id)
        self.diagnosis: Diagnosis | None = None
        self.command_index = 0
        self._fresh = True
        """The next diagnosis is another function's: start at its most telling check."""
        self._auto: str | None = None
        """The check lambdatop highlighted; while the user has not moved off it, the highlight
        follows the diagnosis as data arrives (first all unknown, then the failing cause)."""
        self._shown: list[tuple[str, str, CheckStatus]] = []
        """The checklist's rows on screen, so a refresh that changes nothing rebuilds nothing."""
        self._detail_of: str | None = None
        """The check whose detail is shown (its marked command survives refreshes)."""
        self.note: Text | None = None
        """Above the detail: the diagnosis's age, when it may lag the data (`age_note`)."""
        self.checklist = OptionList(id="checklist")
        self.detail = Readout(id="check-detail")

    def compose(self) -> ComposeResult:
        yield self.checklist
        with VerticalScroll():
            yield self.detail

    def reset(self) -> None:
        """Another function is shown: highlight its most telling check."""
        self._fresh = True
        self._auto = None
        self._detail_of = None
        self.command_index = 0

    def show(
        self, diagnosis: Diagnosis | None, note: Text | None = None, making: bool = False
    ) -> None:
        """`note`: above the detail (`age_note`); `making`: a diagnosis is being made."""
        previous = self.selected_id()
        self.diagnosis = diagnosis
        self.note = note
        if diagnosis is None:
            self.checklist.clear_options()
            self._shown = []
            waiting = "being made" if making else "waiting for data"
            self.detail.show_text(Text(f"Diagnosis: {waiting}…", "dim"))
            return
        labels = [check_label(c) for c in diagnosis.checks]
        rows = [
            (c.id, label.plain, c.status) for c, label in zip(diagnosis.checks, labels, strict=True)
        ]
        ids = [c.id for c in diagnosis.checks]
        if rows != self._shown and ids == [row[0] for row in self._shown]:
            # The same checks, some in new words (counts move with every poll): replace those
            # rows in place; rebuilding the list would lay the screen out again.
            for index, (row, label) in enumerate(zip(rows, labels, strict=True)):
                if row != self._shown[index]:
                    self.checklist.replace_option_prompt_at_index(index, label)
            self._shown = rows
        elif rows != self._shown:
            highlighted = self.checklist.highlighted
            self.checklist.clear_options()
            self.checklist.add_options(
                Option(label, id=c.id) for c, label in zip(diagnosis.checks, labels, strict=True)
            )
            if not self._fresh:
                if previous in ids:
                    self.checklist.highlighted = ids.index(previous)
                elif highlighted is not None:
                    self.checklist.highlighted = min(highlighted, len(ids) - 1)
            self._shown = rows
        chosen = self.selected_id()
        if self._fresh or chosen is None or chosen == self._auto:
            best = first_to_read(diagnosis)
            if self.checklist.highlighted != best:
                self.checklist.highlighted = best
            self._auto = diagnosis.checks[best].id if diagnosis.checks else None
            self._fresh = False
        self._show_detail()

    def selected(self) -> CheckResult | None:
        if self.diagnosis is None or self.checklist.highlighted is None:
            return None
        checks = self.diagnosis.checks
        index = self.checklist.highlighted
        return checks[index] if 0 <= index < len(checks) else None

    def selected_id(self) -> str | None:
        check = self.selected()
        return check.id if check else None

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        self._show_detail()

    def _show_detail(self) -> None:
        check = self.selected()
        if check is None:
            return
        if check.id != self._detail_of:
            self._detail_of = check.id
            self.command_index = 0
        detail = check_detail(check, self.command_index)
        self.detail.show_text(Text.assemble(self.note, detail) if self.note else detail)

    def next_command(self) -> str | None:
        """The marked command of the selected check; the next press marks the next one."""
        check = self.selected()
        if check is None or not check.commands:
            return None
        commands = check.commands
        command = safe(commands[self.command_index % len(commands)])
        self.command_index = (self.command_index + 1) % len(commands)
        self._show_detail()
        return command
