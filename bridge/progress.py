"""A progress bar on stderr for people at a terminal, and nothing at all for cron, CI or pipes."""

from __future__ import annotations

import sys
import threading
from types import TracebackType
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:  # rich is imported only when a bar shows: a run in cron or CI never needs it
    from rich.progress import Progress as RichProgress
    from rich.progress import TaskID


class Progress:
    """Phases of a run with counts and rate; every method is a cheap no-op unless shown on a TTY."""

    def __init__(self, *, enabled: bool = True, stream: TextIO | None = None,
                 unit: str = "items") -> None:
        """Show progress on `stream` (stderr) only if `enabled` and the stream is a terminal."""
        out = stream if stream is not None else sys.stderr
        self.active = enabled and _isatty(out)
        self._lock = threading.Lock()
        self._task: TaskID | None = None
        self._pages = 0
        self._bar: RichProgress | None = None
        if self.active:
            from bridge.progress_bar import progress_bar  # noqa: PLC0415 - see above
            self._bar = progress_bar(out, unit)

    def __enter__(self) -> Progress:
        if self._bar is not None:
            self._bar.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self._bar is not None:
            self._finish_phase()
            self._bar.stop()

    def phase(self, name: str, total: int | None = None) -> None:
        """Start a new phase ("extract milestones", "extract issues", "load"); the last one ends."""
        if self._bar is None:
            return
        with self._lock:
            self._finish_phase()
            self._pages = 0
            self._task = self._bar.add_task(name, total=total, pages=0)

    def advance(self, n: int = 1, *, pages: int = 0) -> None:
        """Count `n` more items (and `pages` more pages) in the current phase."""
        if self._bar is None or self._task is None:
            return
        with self._lock:  # load workers report from several threads
            self._pages += pages
            self._bar.update(self._task, advance=n, pages=self._pages)

    def _finish_phase(self) -> None:
        if self._bar is not None and self._task is not None:
            task = next(t for t in self._bar.tasks if t.id == self._task)
            if task.total is None:
                # An open-ended phase ends at what it counted, so its bar shows full.
                self._bar.update(self._task, total=task.completed)
            self._bar.stop_task(self._task)
            self._task = None


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # a closed or odd stream is not a terminal
        return False
