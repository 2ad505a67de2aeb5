"""cProfile across every thread: the pipeline's work happens in pool threads, not just main.

`ThreadProfiler` starts a profiler in each thread as it first runs Python code (through
`threading.setprofile`) and merges them all into one `pstats.Stats`, so a page fetched by a
worker and a record written by a loader thread both show up in the hot-spot table.
"""

from __future__ import annotations

import cProfile
import io
import pstats
import sys
import threading
from pathlib import Path
from types import FrameType, TracebackType
from typing import Any


class ThreadProfiler:
    """Profile the calling thread and every thread started while this is active."""

    def __init__(self) -> None:
        self._profiles: list[cProfile.Profile] = []
        self._lock = threading.Lock()

    def _start_here(self, frame: FrameType, event: str, arg: Any) -> None:
        # Called once in each new thread: swap this hook for a real profiler of that thread.
        sys.setprofile(None)
        profile = cProfile.Profile()
        with self._lock:
            self._profiles.append(profile)
        profile.enable()

    def __enter__(self) -> ThreadProfiler:
        threading.setprofile(self._start_here)
        main = cProfile.Profile()
        self._profiles.append(main)
        main.enable()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        threading.setprofile(None)
        self._profiles[0].disable()

    def stats(self) -> pstats.Stats:
        """Every thread's profile merged."""
        with self._lock:
            profiles = list(self._profiles)
        for profile in profiles[1:]:
            profile.disable() if threading.current_thread() is threading.main_thread() else None
        stats = pstats.Stats(profiles[0], stream=io.StringIO())
        for profile in profiles[1:]:
            try:
                stats.add(profile)
            except TypeError:  # a thread that never ran a profiled call
                continue
        return stats

    def write(self, path: Path, *, top: int = 25) -> str:
        """Dump the merged stats to `path` and return the top entries by own time as text."""
        stats = self.stats()
        stats.dump_stats(path)
        out = io.StringIO()
        stats.stream = out  # type: ignore[attr-defined]
        stats.sort_stats("tottime").print_stats(top)
        return out.getvalue()
