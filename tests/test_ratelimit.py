"""Rate limits met as a peer: RateLimit-* headers hold the client before the server refuses it."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
import requests

from bridge.config import HttpConfig
from bridge.net.http import HttpClient
from bridge.net.ratelimit import RateLimiter
from bridge.sandbox import Sandbox
from bridge.sources.gitlab import GitLabReader

T0 = 1_800_000_000.0  # a Unix time on a whole second


class FakeTime:
    """A clock that only moves when someone sleeps; the sleeps are recorded.

    A sleep lasts from the moment its thread last read the clock, so threads held at once
    sleep side by side instead of one after another.
    """

    def __init__(self, start: float = T0) -> None:
        self.now = start
        self.sleeps: list[float] = []
        self._lock = threading.Lock()
        self._seen: dict[int, float] = {}

    def time(self) -> float:
        with self._lock:
            self._seen[threading.get_ident()] = self.now
            return self.now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.sleeps.append(seconds)
            me = threading.get_ident()
            self.now = max(self.now, self._seen.get(me, self.now) + seconds)
            self._seen[me] = self.now


def _limiter(clock: FakeTime) -> RateLimiter:
    return RateLimiter(sleep=clock.sleep, clock=clock.time, wall=clock.time)


def _headers(remaining: int, reset: float, limit: int = 10) -> dict[str, str]:
    return {"RateLimit-Limit": str(limit), "RateLimit-Remaining": str(remaining),
            "RateLimit-Reset": f"{reset:.0f}"}


class TestBudget:
    """The limiter counts down what the server said is left, and waits out an empty window."""

    def test_no_headers_never_hold(self) -> None:
        """A server without rate-limit headers: requests go straight out."""
        clock = FakeTime()
        limiter = _limiter(clock)
        for _ in range(50):
            limiter.acquire()
            limiter.release(200, {})
        assert clock.sleeps == []

    def test_remaining_is_spent_then_the_window_is_waited_out(self) -> None:
        """Remaining 2 lets two more requests go; the third waits until the reset."""
        clock = FakeTime(T0 + 0.25)
        limiter = _limiter(clock)
        limiter.acquire()
        limiter.release(200, _headers(remaining=2, reset=T0 + 1))
        for _ in range(2):
            limiter.acquire()
            limiter.release(200, None)  # e.g. a connection reset: nothing learnt
        assert clock.sleeps == []
        limiter.acquire()
        assert sum(clock.sleeps) == pytest.approx(0.75, abs=0.02)
        assert clock.now >= T0 + 1

    def test_requests_in_flight_are_counted_against_remaining(self) -> None:
        """Three sent, one answers 'remaining 3': the other two may not be counted yet."""
        clock = FakeTime(T0)
        limiter = _limiter(clock)
        for _ in range(3):
            limiter.acquire()
        limiter.release(200, _headers(remaining=3, reset=T0 + 1))  # two still in flight
        limiter.acquire()  # 3 - 2 = 1 left
        assert clock.sleeps == []
        limiter.acquire()  # none left: wait for the reset
        assert sum(clock.sleeps) == pytest.approx(1.0, abs=0.02)

    def test_a_new_window_refills_the_limit(self) -> None:
        """After the reset the full RateLimit-Limit is available without another wait."""
        clock = FakeTime(T0)
        limiter = _limiter(clock)
        limiter.acquire()
        limiter.release(200, _headers(remaining=0, reset=T0 + 1, limit=3))
        limiter.acquire()  # waits the window out
        waited = len(clock.sleeps)
        limiter.acquire()
        limiter.acquire()
        assert len(clock.sleeps) == waited

    def test_a_429_with_remaining_0_holds_the_others_not_the_refused_one(self) -> None:
        """The refused thread waits in its retry; the others wait here for the reset."""
        clock = FakeTime(T0)
        limiter = _limiter(clock)
        limiter.acquire()
        limiter.release(429, _headers(remaining=0, reset=T0 + 5))
        limiter.acquire()  # the same thread, retrying after its own wait: not held again
        assert clock.sleeps == []
        limiter.release(200, {})
        other: list[float] = []

        def elsewhere() -> None:
            limiter.acquire()
            other.append(clock.time())

        thread = threading.Thread(target=elsewhere)
        thread.start()
        thread.join(timeout=10)
        assert other
        assert other[0] >= T0 + 5

    def test_a_bare_429_holds_no_one_else(self) -> None:
        """Retry-After alone is the refused request's wait (the retry policy's), nobody else's."""
        clock = FakeTime(T0)
        limiter = _limiter(clock)
        limiter.acquire()
        limiter.release(429, {"Retry-After": "7"})
        done: list[bool] = []
        thread = threading.Thread(target=lambda: (limiter.acquire(), done.append(True)))
        thread.start()
        thread.join(timeout=10)
        assert done == [True]
        assert clock.sleeps == []


@pytest.fixture
def limited() -> Iterator[tuple[Sandbox, FakeTime]]:
    """A 2,500-issue project behind a GitLab limit of 10 requests a second, on a fake clock."""
    clock = FakeTime()
    sandbox = Sandbox.synthetic(milestones=5, issues=2_500, now=clock.time)
    sandbox.faults.add("gitlab", "rate_limit", limit=10)
    with sandbox:
        yield sandbox, clock


class TestRateLimitFault:
    """The sandbox's `rate_limit` fault counts fixed windows as GitLab does."""

    def test_headers_then_429_with_retry_after(self, limited: tuple[Sandbox, FakeTime]) -> None:
        """Ten answers count Remaining down to 0; the eleventh is a 429 with Retry-After."""
        sandbox, clock = limited
        clock.now = T0 + 0.5
        url = f"{sandbox.gitlab_url}/api/v3/projects/{sandbox.project_id}"
        headers = {"PRIVATE-TOKEN": sandbox.gitlab_token}
        answers = [requests.get(url, headers=headers, timeout=10) for _ in range(11)]
        assert [a.status_code for a in answers] == [200] * 10 + [429]
        assert [a.headers["RateLimit-Remaining"] for a in answers[:10]] == [
            str(n) for n in range(9, -1, -1)]
        assert answers[0].headers["RateLimit-Reset"] == f"{T0 + 1:.0f}"
        assert answers[10].headers["Retry-After"] == "1"
        clock.now = T0 + 1.0
        assert requests.get(url, headers=headers, timeout=10).status_code == 200

    def test_limit_is_checked(self) -> None:
        """A limit below one is refused when the fault is added."""
        with pytest.raises(ValueError, match="limit=N"):
            Sandbox.synthetic(milestones=1, issues=1).faults.add("gitlab", "rate_limit", limit=0)


class TestClientUnderALimit:
    """A whole extraction under the limit is held before it is refused."""

    @pytest.mark.parametrize("concurrency", [1, 4])
    def test_no_429_and_about_requests_over_limit_seconds(
            self, limited: tuple[Sandbox, FakeTime], concurrency: int) -> None:
        """27 requests at 10 a second: no 429 at all, finished in the third window."""
        sandbox, clock = limited
        client = HttpClient(sandbox.gitlab_url, kind="source",
                            headers={"PRIVATE-TOKEN": sandbox.gitlab_token},
                            http=HttpConfig(concurrency=concurrency), sleep=clock.sleep,
                            clock=clock.time)
        client.limiter = _limiter(clock)
        reader = GitLabReader(client, project=sandbox.project_path, concurrency=concurrency)
        issues = sum(len(page) for page in reader.issue_pages())
        client.close()
        assert issues == 2_500
        statuses = [r.status for r in sandbox.log.entries if r.server == "gitlab"]
        assert len(statuses) == 1 + 25
        assert 429 not in statuses
        assert T0 + 2 <= clock.now < T0 + 3.1
