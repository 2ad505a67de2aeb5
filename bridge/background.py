"""One call on a daemon thread of its own, its answer (or error) a Future read where needed.

For what a run asks early so the answer is there when it is needed (the preflight's two
reads, GitLab's first issue page): the thread carries the caller's log context (a fleet's
project) and, being a daemon, never holds the process's exit if nobody waits for it.
"""

from __future__ import annotations

import contextvars
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, TypeVar

T = TypeVar("T")


def in_background(call: Callable[..., T], *args: Any, name: str) -> Future[T]:
    """`call(*args)` started now on a daemon thread called `name`."""
    future: Future[T] = Future()
    context = contextvars.copy_context()

    def run() -> None:
        future.set_running_or_notify_cancel()
        try:
            future.set_result(context.run(call, *args))
        except BaseException as exc:  # raised where the answer is read
            future.set_exception(exc)

    threading.Thread(target=run, name=name, daemon=True).start()
    return future
