"""Textual's Linux driver, made safe for a terminal that goes away (closed, hung up) and for a
SIGCONT that resumes nothing.

Two faults of the stock driver hung a closed monitor for good (issue 13), reparented to init, at
0 % CPU, deaf to SIGTERM:
- Its writer thread dies on the first write that fails (EIO once the terminal is gone); every
  write after that waits in the thread's queue, and once 30 are queued the next one waits
  forever, in the event loop's thread.
- It starts application mode over on every SIGCONT, suspended or not. The kernel sends SIGCONT
  with the SIGHUP of a closed terminal, and the SIGCONT's handler runs before the loop gets to
  the SIGHUP: a second writer (dead at its first write, its 30 places filled by the restart and
  the teardown), a second key reader, the alternate screen entered again (which clears it).
"""

from __future__ import annotations

from typing import IO, Any

from textual.drivers.linux_driver import LinuxDriver


class TerminalOutput:
    """The terminal as the driver's writer thread writes to it: once a write fails (the
    terminal is gone: EIO, EPIPE), what follows is dropped, and the writer goes on emptying its
    queue, so no write waits for it."""

    def __init__(self, stream: IO[str]) -> None:
        self._stream = stream
        self.gone = False
        """A write or flush failed: nobody reads this terminal any more."""

    def write(self, text: str) -> None:
        if not self.gone:
            try:
                self._stream.write(text)
            except (OSError, ValueError):  # ValueError: the stream was closed
                self.gone = True

    def flush(self) -> None:
        if not self.gone:
            try:
                self._stream.flush()
            except (OSError, ValueError):
                self.gone = True

    def fileno(self) -> int:
        return self._stream.fileno()


class TerminalDriver(LinuxDriver):
    """LinuxDriver whose output survives the terminal going away, and which starts application
    mode over on SIGCONT only after it suspended it itself (SIGTSTP)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self._file is not None:
            # The writer thread uses write, flush and fileno only.
            self._file = TerminalOutput(self._file)  # type: ignore[assignment]
        self._suspended = False
        """Application mode was left on SIGTSTP: the SIGCONT that ends the stop restores it."""

    def _sigtstp_application(self, *args: object) -> None:
        self._suspended = self._auto_restart
        super()._sigtstp_application(*args)

    def _sigcont_application(self, *args: object) -> None:
        # A SIGCONT after a stop that did not go through SIGTSTP (SIGSTOP, a debugger) or with
        # the SIGHUP of a closed terminal resumes the process only: application mode is on.
        if self._suspended:
            self._suspended = False
            super()._sigcont_application(*args)
