"""`in_background`: a call on a daemon thread, with the caller's context, its error kept."""

from __future__ import annotations

import contextvars
import threading

import pytest

from bridge.background import in_background

PROJECT: contextvars.ContextVar[str] = contextvars.ContextVar("project", default="none")


def test_the_call_sees_the_callers_context_on_a_daemon_thread() -> None:
    """A fleet's bound project reaches the thread's logs; the thread never holds the exit."""
    PROJECT.set("group/a")
    seen = in_background(lambda: (PROJECT.get(), threading.current_thread().daemon,
                                  threading.current_thread().name), name="probe")
    assert seen.result(timeout=10) == ("group/a", True, "probe")


def test_an_error_is_raised_where_the_answer_is_read() -> None:
    """The call's exception comes back from `result()`, not lost on its thread."""
    def refuse() -> None:
        raise ValueError("refused")

    with pytest.raises(ValueError, match="refused"):
        in_background(refuse, name="probe").result(timeout=10)
