"""A listing read ahead in a thread of its own, a few pages at a time, while other reads run.

verify starts one per kind before reading GitLab, so SourceCraft's listings and GitLab's
pages are read at the same time; each holds at most `depth` pages until they are consumed,
so a 30,000-issue listing never sits in memory whole.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

_END = object()


class Prefetch:
    """Pages of one listing, fetched ahead by a daemon thread; iterate once."""

    def __init__(self, pages: Callable[[], Iterable[Sequence[Any]]], *, depth: int = 4,
                 name: str = "prefetch") -> None:
        self._queue: queue.Queue[Any] = queue.Queue(maxsize=max(1, depth))
        self._closed = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(pages,), name=name,
                                        daemon=True)
        self._thread.start()

    def _put(self, item: Any) -> bool:
        while not self._closed.is_set():
            try:
                self._queue.put(item, timeout=0.1)
            except queue.Full:
                continue
            return True
        return False

    def _run(self, pages: Callable[[], Iterable[Sequence[Any]]]) -> None:
        try:
            for page in pages():
                if not self._put(page):
                    return
            self._put(_END)
        except BaseException as exc:  # handed to the consumer, raised there
            self._put(exc)

    def __iter__(self) -> Iterator[Sequence[Any]]:
        while True:
            item = self._queue.get()
            if item is _END:
                return
            if isinstance(item, BaseException):
                raise item
            yield item

    def close(self) -> None:
        """Stop reading ahead (the thread ends at its next page)."""
        self._closed.set()
