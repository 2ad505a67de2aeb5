"""The one retry policy for idempotent requests, built from small tenacity parts in one factory."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import structlog
import tenacity
from tenacity import RetryCallState

from bridge.config import HttpConfig
from bridge.errors import ApiError, RetriableApiError

log = structlog.get_logger("bridge.net.http")

#: The first backoff step in seconds; it doubles per attempt up to `max_backoff_s`.
BACKOFF_BASE_S = 1.0


def _error_of(retry_state: RetryCallState) -> BaseException | None:
    outcome = retry_state.outcome
    return outcome.exception() if outcome is not None and outcome.failed else None


class wait_server_hint_or_backoff(tenacity.wait.wait_base):  # noqa: N801 - tenacity's naming
    """Wait what the server asked for (`Retry-After`, `RateLimit-Reset`), else capped backoff.

    The backoff is `min(cap, base * 2**(n-1))` scaled into [half, whole] by the jitter
    source: never zero, so a crowd of clients does not hammer a recovering server in step.
    """

    def __init__(self, *, base: float, cap: float, jitter: Callable[[], float]) -> None:
        self.base = base
        self.cap = cap
        self.jitter = jitter

    def __call__(self, retry_state: RetryCallState) -> float:
        error = _error_of(retry_state)
        if isinstance(error, ApiError) and error.retry_after is not None:
            return min(self.cap, max(0.0, float(error.retry_after)))
        step: float = min(self.cap, self.base * 2.0 ** (retry_state.attempt_number - 1))
        return step * (0.5 + 0.5 * float(self.jitter()))


class stop_after_wait_budget(tenacity.stop.stop_base):  # noqa: N801 - tenacity's naming
    """Stop once the next wait would take the request past its total budget.

    The budget counts the waits already slept and, through `clock`, the time the attempts
    themselves took, so six slow timeouts cannot add up to an hour.
    """

    def __init__(self, budget_s: float, clock: Callable[[], float]) -> None:
        self.budget_s = budget_s
        self.clock = clock
        self.started: float | None = None

    def mark_start(self, retry_state: RetryCallState) -> None:
        """Record when the first attempt began (used as tenacity's `before` hook)."""
        if retry_state.attempt_number == 1:
            self.started = self.clock()

    def __call__(self, retry_state: RetryCallState) -> bool:
        elapsed = 0.0 if self.started is None else self.clock() - self.started
        spent = max(retry_state.idle_for, elapsed)
        return spent + retry_state.upcoming_sleep > self.budget_s


def describe_error(error: BaseException) -> str:
    """A short reason for the retry log: the status when there is one, else the message."""
    if isinstance(error, ApiError) and error.status is not None:
        return f"status {error.status}"
    return str(error)[:200]


def why_resend_is_safe(error: BaseException) -> str:
    """Why a POST retried after `error` cannot make a duplicate, for the retry log."""
    if getattr(error, "never_sent", False):
        return "safe: the connection was never established, nothing reached the server"
    if isinstance(error, ApiError) and error.status == 429:
        return "safe: the server refused it (429) before acting"
    return "safe: looked up after the unknown outcome and found absent"


def build_retrying(http: HttpConfig, *, sleep: Callable[[float], None],
                   jitter: Callable[[], float], clock: Callable[[], float],
                   log_reason: Callable[[BaseException], str] = describe_error,
                   log_context: Mapping[str, Any] | None = None) -> tenacity.Retrying:
    """A fresh Retrying for one request: retriable errors only, within attempts and budget.

    Build one per request: the budget stop remembers when that request began.
    """
    budget = stop_after_wait_budget(http.max_wait_s, clock)
    context = dict(log_context or {})

    def before_sleep(retry_state: RetryCallState) -> None:
        error = _error_of(retry_state)
        wait = retry_state.next_action.sleep if retry_state.next_action else 0.0
        extra: dict[str, Any] = {}
        if "host" not in context and isinstance(error, ApiError) and error.address:
            extra["host"] = error.address
        if context.get("method") == "POST" and error is not None:
            extra["resend"] = why_resend_is_safe(error)
        log.warning("http_retry", attempt=retry_state.attempt_number, wait_s=round(wait, 3),
                    reason=log_reason(error) if error is not None else "unknown", **context,
                    **extra)

    return tenacity.Retrying(
        retry=tenacity.retry_if_exception_type(RetriableApiError),
        stop=tenacity.stop_after_attempt(http.max_attempts) | budget,
        wait=wait_server_hint_or_backoff(base=BACKOFF_BASE_S, cap=http.max_backoff_s,
                                         jitter=jitter),
        before=budget.mark_start,
        before_sleep=before_sleep,
        sleep=sleep,
        reraise=True,
    )
