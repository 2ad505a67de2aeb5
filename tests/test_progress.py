"""The progress bar: shown on a terminal with counts, absent (and silent) everywhere else."""

from __future__ import annotations

import io
import re
import threading

from bridge.progress import Progress


class FakeTty(io.StringIO):
    """A StringIO that says it is a terminal."""

    def isatty(self) -> bool:
        return True


def plain(text: str) -> str:
    """`text` without ANSI escape sequences."""
    return re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", text)


def drive(progress: Progress) -> None:
    """A run's worth of calls: two extract phases with pages, then load."""
    with progress:
        progress.phase("extract milestones")
        progress.advance(20, pages=1)
        progress.phase("extract issues")
        for _ in range(3):
            progress.advance(100, pages=1)
        progress.phase("load", total=20)
        progress.advance(20)


class TestProgress:
    """Progress."""

    def test_silent_when_not_a_tty(self) -> None:
        """On a pipe or file the bar is inactive and writes nothing at all."""
        out = io.StringIO()
        progress = Progress(stream=out)
        drive(progress)
        assert progress.active is False
        assert out.getvalue() == ""

    def test_silent_when_disabled(self) -> None:
        """--no-progress hides the bar even on a terminal."""
        out = FakeTty()
        progress = Progress(enabled=False, stream=out)
        drive(progress)
        assert progress.active is False
        assert out.getvalue() == ""

    def test_shows_phases_counts_and_pages(self) -> None:
        """On a terminal each phase ends shown with its item count, total and pages."""
        out = FakeTty()
        progress = Progress(stream=out)
        drive(progress)
        assert progress.active is True
        text = plain(out.getvalue())
        assert "extract milestones" in text
        assert "20 items, 1 page" in text
        assert "300 items, 3 pages" in text
        assert "20/20 items" in text

    def test_advance_before_a_phase_is_ignored(self) -> None:
        """Counting before any phase has started neither fails nor shows anything."""
        out = FakeTty()
        with Progress(stream=out) as progress:
            progress.advance(5, pages=2)
        assert "items" not in plain(out.getvalue())

    def test_counts_from_many_threads(self) -> None:
        """Load workers advancing from several threads lose no count."""
        out = FakeTty()
        with Progress(stream=out) as progress:
            progress.phase("load", total=800)

            def work() -> None:
                for _ in range(100):
                    progress.advance()
            workers = [threading.Thread(target=work) for _ in range(8)]
            for worker in workers:
                worker.start()
            for worker in workers:
                worker.join()
        assert "800/800 items" in plain(out.getvalue())
