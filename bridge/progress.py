"""A progress bar on stderr for people at a terminal, and nothing at all for cron, CI or pipes."""

from __future__ import annotations

import sys
import threading
from types import TracebackType
from typing import TextIO

from rich.console import Console
from rich.progress import BarColumn, ProgressColumn, SpinnerColumn, Task, TaskID, TextColumn
from rich.progress import Progress as RichProgress
from rich.text import Text


class _CountColumn(ProgressColumn):
    """Items done (of the total when known) and, for extraction, pages read."""

    def __init__(self, unit: str = "items") -> None:
        super().__init__()
        self.unit = unit

    def render(self, task: Task) -> Text:
        done = int(task.completed)
        count = f"{done}/{int(task.total)}" if task.total is not None else f"{done}"
        pages = int(task.fields.get("pages", 0))
        return Text(f"{count} {self.unit}"
                    + (f", {pages} page{'s' * (pages != 1)}" if pages else ""))


class _RateColumn(ProgressColumn):
    """Items per second, once rich has two samples to measure it from."""

    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        if speed is None and task.finished and task.elapsed:
            speed = task.completed / task.elapsed  # a finished phase keeps its average rate
        return Text("" if speed is None else f"{speed:,.1f}/s", style="progress.data.speed")


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
            self._bar = RichProgress(
                SpinnerColumn(), TextColumn("{task.description:<18}"),
                BarColumn(bar_width=24), _CountColumn(unit), _RateColumn(),
                console=Console(file=out),
                # Logs written to sys.stderr meanwhile are printed above the bar; stdout is
                # left alone because it may be a pipe carrying the report.
                redirect_stdout=False, redirect_stderr=True, transient=False)

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
