"""The retry policy: what is retried, the exact wait schedule, the attempt and time limits."""

from __future__ import annotations

import pytest
from structlog.testing import capture_logs

from bridge.config import HttpConfig
from bridge.errors import ApiError, FatalApiError, RetriableApiError
from bridge.net.retry import build_retrying, describe_error


class FakeTime:
    """A clock that only moves when slept on (or told to), recording every wait."""

    def __init__(self) -> None:
        self.now = 0.0
        self.waits: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.now += seconds

    def clock(self) -> float:
        return self.now


def run(http: HttpConfig, errors: list[ApiError | None], *, jitter: float = 0.5,
        time: FakeTime | None = None, attempt_cost: float = 0.0) -> tuple[FakeTime, int, str]:
    """Call a function that raises the given errors in turn (None: succeed) under the policy."""
    time = time or FakeTime()
    calls = 0

    def attempt() -> str:
        nonlocal calls
        error = errors[calls]
        calls += 1
        time.now += attempt_cost
        if error is not None:
            raise error
        return "ok"

    retrying = build_retrying(http, sleep=time.sleep, jitter=lambda: jitter, clock=time.clock)
    result = retrying(attempt)
    return time, calls, result


def flaky(status: int = 503, retry_after: float | None = None) -> RetriableApiError:
    return RetriableApiError(f"GET /x: {status}", status=status, retry_after=retry_after)


class TestBuildRetrying:
    def test_exact_backoff_schedule_with_injected_jitter(self) -> None:
        """Waits double from 1 s, scaled into [half, whole] by the jitter: 0.75, 1.5, 3, 6, 12."""
        time, calls, result = run(HttpConfig(max_attempts=6),
                                  [flaky(), flaky(), flaky(), flaky(), flaky(), None])
        assert result == "ok"
        assert calls == 6
        assert time.waits == [0.75, 1.5, 3.0, 6.0, 12.0]

    @pytest.mark.parametrize(("jitter", "first"), [(0.0, 0.5), (0.999, 0.9995)])
    def test_jitter_bounds(self, jitter: float, first: float) -> None:
        """Jitter 0 halves the step, jitter near 1 keeps it whole; never a zero wait."""
        time, _, _ = run(HttpConfig(), [flaky(), None], jitter=jitter)
        assert time.waits == [pytest.approx(first)]

    def test_backoff_is_capped(self) -> None:
        """No step exceeds max_backoff_s, however many attempts remain."""
        http = HttpConfig(max_attempts=8, max_backoff_s=5.0, max_wait_s=1000)
        time, _, _ = run(http, [flaky()] * 7 + [None], jitter=1.0)
        assert time.waits == [1.0, 2.0, 4.0, 5.0, 5.0, 5.0, 5.0]

    def test_gives_up_after_max_attempts_with_the_last_error(self) -> None:
        """The last retriable error itself is raised (reraise), after exactly max_attempts calls."""
        last = flaky(504)
        with pytest.raises(RetriableApiError) as caught:
            run(HttpConfig(max_attempts=3), [flaky(), flaky(), last, None])
        assert caught.value is last

    def test_retry_after_is_honoured_exactly(self) -> None:
        """A server's Retry-After replaces the backoff step, jitter and all."""
        time, _, _ = run(HttpConfig(), [flaky(429, retry_after=7.0), flaky(503), None])
        assert time.waits == [7.0, 1.5]

    def test_retry_after_is_capped(self) -> None:
        """A Retry-After longer than max_backoff_s waits max_backoff_s."""
        time, _, _ = run(HttpConfig(max_backoff_s=30, max_wait_s=100),
                         [flaky(429, retry_after=3600), None])
        assert time.waits == [30.0]

    def test_wait_budget_stops_early(self) -> None:
        """Once the next wait would exceed max_wait_s in total, the error is raised instead."""
        http = HttpConfig(max_attempts=10, max_wait_s=10.0)
        time = FakeTime()
        with pytest.raises(RetriableApiError):
            run(http, [flaky()] * 10, jitter=1.0, time=time)
        assert time.waits == [1.0, 2.0, 4.0]  # the next (8) would make 15 > 10

    def test_budget_counts_time_spent_in_attempts(self) -> None:
        """Slow attempts (timeouts) use up the budget too, measured on the injected clock."""
        http = HttpConfig(max_attempts=10, max_wait_s=20.0)
        time = FakeTime()
        with pytest.raises(RetriableApiError):
            run(http, [flaky()] * 10, jitter=1.0, time=time, attempt_cost=6.0)
        # attempt 1 ends at 6: wait 1 -> 7; attempt 2 ends at 13: wait 2 -> 15;
        # attempt 3 ends at 21 > 20 already: stop.
        assert time.waits == [1.0, 2.0]

    @pytest.mark.parametrize("status", [400, 401, 403, 404, 422])
    def test_fatal_errors_are_not_retried(self, status: int) -> None:
        """A FatalApiError ends the call at once."""
        error = FatalApiError(f"GET /x: {status}", status=status)
        time = FakeTime()
        with pytest.raises(FatalApiError):
            run(HttpConfig(), [error, None], time=time)
        assert time.waits == []

    def test_one_log_event_per_retry(self) -> None:
        """Each retry logs http_retry with the failed attempt, the wait and the reason."""
        with capture_logs() as logs:
            run(HttpConfig(), [flaky(503), flaky(429, retry_after=2.0), None])
        retries = [entry for entry in logs if entry["event"] == "http_retry"]
        assert [(e["attempt"], e["wait_s"], e["reason"], e["log_level"]) for e in retries] == [
            (1, 0.75, "status 503", "warning"), (2, 2.0, "status 429", "warning")]

    def test_log_context_and_reason_are_pluggable(self) -> None:
        """The caller's context (method, path) and reason text appear in the retry event."""
        def reason(error: BaseException) -> str:
            return f"custom {type(error).__name__}"
        retrying = build_retrying(HttpConfig(), sleep=lambda _s: None, jitter=lambda: 0.0,
                                  clock=lambda: 0.0, log_reason=reason,
                                  log_context={"method": "GET", "path": "/api/v3/projects/1"})
        outcomes: list[ApiError | None] = [flaky(), None]
        with capture_logs() as logs:
            retrying(lambda: _raise_next(outcomes))
        assert logs[0]["reason"] == "custom RetriableApiError"
        assert (logs[0]["method"], logs[0]["path"]) == ("GET", "/api/v3/projects/1")


def _raise_next(outcomes: list[ApiError | None]) -> str:
    error = outcomes.pop(0)
    if error is not None:
        raise error
    return "ok"


class TestDescribeError:
    def test_status_when_known_else_message(self) -> None:
        """The reason is 'status N' for HTTP errors and the message for transport errors."""
        assert describe_error(flaky(502)) == "status 502"
        assert describe_error(RetriableApiError("GET /x: ReadTimeout")) == "GET /x: ReadTimeout"
