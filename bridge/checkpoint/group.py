"""Group commit: records that several threads make at once share one transaction, one fsync.

The loader's workers finish their requests at about the same moment, and each then
records its outcome: in WAL mode with `synchronous=FULL` one commit is one fsync (0.2-0.8
ms), taken in turn under the checkpoint's lock. Here the first writer to find no commit
running commits every record queued so far together; the others wait for the commit
that holds theirs. A record is still durable before `write` returns, and records keep the
order in which they were made; a failed commit fails every record it held.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

from bridge.errors import CheckpointError

T = TypeVar("T")


class GroupCommit(Generic[T]):
    """Hands rows to `commit` (which writes them in one transaction), as many at once as wait."""

    def __init__(self, commit: Callable[[Sequence[T]], None]) -> None:
        self._commit = commit
        self._changed = threading.Condition(threading.Lock())
        self._queue: list[T] = []
        self._given = 0  # tickets handed out, one per row
        self._done = 0  # every ticket up to this one is committed (or failed)
        self._busy = False
        self._failed: dict[int, BaseException] = {}

    def write(self, row: T) -> None:
        """Queue `row` and return once a commit holding it is durable; raise if it failed."""
        with self._changed:
            self._queue.append(row)
            self._given += 1
            ticket = self._given
            self._changed.notify_all()  # whoever watches the queue (a test) sees it grow
            while self._done < ticket:
                if self._busy:
                    self._changed.wait()
                else:
                    self._lead(ticket)
            failure = self._failed.pop(ticket, None)
        if failure is not None:
            raise failure

    def _lead(self, mine: int) -> None:
        """Commit what is queued, the condition's lock released meanwhile (held on entry)."""
        batch, self._queue = self._queue, []
        first, last = self._done + 1, self._given
        self._busy = True
        self._changed.release()
        error: BaseException | None = None
        try:
            self._commit(batch)
        except BaseException as exc:  # every writer of the batch learns of it
            error = exc
        finally:
            self._changed.acquire()
            self._busy = False
            self._done = last
            if error is not None:
                for ticket in range(first, last + 1):
                    if ticket != mine:  # each its own exception: raised on its own thread
                        failure = (CheckpointError(str(error))
                                   if isinstance(error, CheckpointError)
                                   else CheckpointError(f"recording failed: {error}"))
                        failure.__cause__ = error
                        self._failed[ticket] = failure
                self._failed[mine] = error
            self._changed.notify_all()
