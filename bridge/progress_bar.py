"""The rich progress bar `bridge.progress` draws on a terminal (imported only when one shows)."""

from __future__ import annotations

from typing import TextIO

from rich.console import Console
from rich.progress import BarColumn, ProgressColumn, SpinnerColumn, Task, TextColumn
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


def progress_bar(out: TextIO, unit: str) -> RichProgress:
    """A bar on `out` with the phase, its count of `unit` and its rate."""
    return RichProgress(
        SpinnerColumn(), TextColumn("{task.description:<18}"),
        BarColumn(bar_width=24), _CountColumn(unit), _RateColumn(),
        console=Console(file=out),
        # Logs written to sys.stderr meanwhile are printed above the bar; stdout is
        # left alone because it may be a pipe carrying the report.
        redirect_stdout=False, redirect_stderr=True, transient=False)
