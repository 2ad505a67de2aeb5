"""A per-server request budget read from RateLimit-* headers and 429s: wait before being refused.

GitLab answers every request with `RateLimit-Limit`, `RateLimit-Remaining` and
`RateLimit-Reset` (a Unix time) once rate limiting is on, and a 429 with `Retry-After`
when the budget is spent. One `RateLimiter` is shared by every thread of an `HttpClient`:
it counts what is left of the window (the server's last word, less what was sent since and
what was still in flight when it spoke), and when nothing is left it holds every thread
until the window resets, instead of letting them collect 429s in a storm. A server that
sends no such headers is never held here; its 429s are waited out per request, as
Retry-After says (bridge.net.retry).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from email.utils import parsedate_to_datetime

#: A `RateLimit-Reset` above this is a Unix time (GitLab's form), below it a number of seconds.
_EPOCH_THRESHOLD = 1_000_000_000
#: Past a reset, wait this much longer: the server's clock and ours may tick apart a little.
_MARGIN_S = 0.01
#: Server and local clocks this close are taken as one clock (`Date` only has whole seconds).
_SAME_CLOCK_S = 2.0


def _number(headers: Mapping[str, str], name: str) -> float | None:
    try:
        return float(str(headers.get(name, "")).strip())
    except ValueError:
        return None


def _server_now(headers: Mapping[str, str], local: float) -> float:
    """The server's time: its `Date`, unless that is our own clock to the second."""
    try:
        server = parsedate_to_datetime(headers["Date"]).timestamp()
    except (KeyError, TypeError, ValueError, IndexError):
        return local
    return local if abs(server - local) < _SAME_CLOCK_S else server


class RateLimiter:
    """The budget left in the server's window, shared by one client's threads."""

    def __init__(self, *, sleep: Callable[[float], None] = time.sleep,
                 clock: Callable[[], float] = time.monotonic,
                 wall: Callable[[], float] = time.time, max_wait_s: float = 120.0) -> None:
        self._sleep, self._clock, self._wall = sleep, clock, wall
        #: No one wait longer than this, whatever a reset header says (a year, a bad clock):
        #: after it the request goes, and a refusal is retried as any 429 is.
        self._max_wait_s = max_wait_s
        self._lock = threading.Lock()
        self._local = threading.local()
        self._budget: float | None = None  # requests we may still send before the reset
        self._limit: float | None = None
        self._reset_at = 0.0  # on our monotonic clock
        self._rolled = -1.0  # the reset already passed and refilled from
        self._in_flight = 0
        self.held_s = 0.0  # time threads spent held, for reports and tests

    def acquire(self) -> None:
        """Wait until the budget allows one more request, then count it as sent.

        A thread that was itself refused with a 429 waits in its retry (which honours the
        server's Retry-After), so it is not held a second time for the same window.
        """
        while True:
            with self._lock:
                now = self._clock()
                if now >= self._reset_at and self._rolled != self._reset_at:
                    self._rolled = self._reset_at
                    self._budget = self._limit  # a new window: the full limit, if known
                told = getattr(self._local, "told", None) == self._reset_at
                if told or self._budget is None or self._budget >= 1:
                    if self._budget is not None and self._budget >= 1:
                        self._budget -= 1
                    self._in_flight += 1
                    return
                seen = self._reset_at
                wait = min(self._max_wait_s, max(0.0, seen - now) + _MARGIN_S)
                self.held_s += wait
            self._sleep(wait)
            with self._lock:  # the window is waited out, even by a clock a test stopped
                if self._reset_at == seen and self._rolled != seen:
                    self._rolled = seen
                    self._budget = self._limit
    def release(self, status: int | None, headers: Mapping[str, str] | None) -> None:
        """One request ended; learn the window from its headers (None when nothing came)."""
        with self._lock:
            self._in_flight -= 1
            if headers is None:
                return
            now = self._clock()
            remaining = _number(headers, "RateLimit-Remaining")
            reset = _number(headers, "RateLimit-Reset")
            limit = _number(headers, "RateLimit-Limit")
            if limit is not None:
                self._limit = limit
            if reset is not None:
                seconds = reset
                if seconds > _EPOCH_THRESHOLD:
                    seconds -= _server_now(headers, self._wall())
                reset_at = now + max(0.0, seconds)
                if reset_at <= self._rolled + _MARGIN_S and status != 429:
                    return  # an answer from a window already over: its count is stale
                if reset_at > self._reset_at + _MARGIN_S:
                    self._budget = None  # a later window than the one counted so far
                    self._reset_at = reset_at
            if remaining is not None:
                # Requests still in flight may not be counted in `remaining` yet.
                known = max(0.0, remaining - self._in_flight)
                self._budget = known if self._budget is None else min(self._budget, known)
            if status == 429:
                # The refused request waits its Retry-After in its retry; the others are held
                # only by what RateLimit-Remaining says (a bare 429 holds no one else, so
                # at most one refusal per worker, never a storm).
                self._budget = 0 if remaining is not None else self._budget
                self._local.told = self._reset_at
