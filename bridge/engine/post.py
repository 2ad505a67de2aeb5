"""Creating without duplicates: a POST is sent again only when the object is surely absent.

A POST is the one write that is not idempotent. When its outcome is unknown (a timeout,
a reset, a 5xx) or its refusal may mean "it exists" (a milestone slug: 400, a label:
409), the kind finds the object by its natural key: what is found and the kind calls
ours is adopted, and only what is surely absent is sent again. The loader records the
intent (`pending`) before `Posts.send` and the outcome after it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from typing import Any, cast

import structlog
import tenacity

from bridge.engine.refs import Refs
from bridge.errors import (
    AmbiguousWriteError,
    ApiError,
    ConnectionFailedError,
    FatalApiError,
    RetriableApiError,
)

log = structlog.get_logger("bridge.engine.load")

#: A refused POST with one of these may mean "it exists" (a milestone slug: 400; a label: 409).
_MAY_MEAN_EXISTS = frozenset({400, 409})

#: Builds the retry policy for one write, given what to log with each retry.
RetryFactory = Callable[[Mapping[str, Any]], tenacity.Retrying]


class _AbsentError(RetriableApiError):
    """The create's outcome was unknown and the look-up proved it absent: safe to send again."""

    def __init__(self, cause: ApiError) -> None:
        super().__init__(f"{cause} (looked up: absent, sending again)", status=cause.status,
                         request_id=cause.request_id, retry_after=cause.retry_after)
        self.cause = cause


class Posts:
    """The creates of one kind, each tried until it lands once (or surely cannot)."""

    def __init__(self, kind: Any, refs: Refs, retrying: RetryFactory, *,
                 ends: Sequence[threading.Event] = ()) -> None:
        self._kind, self._refs, self._retrying = kind, refs, retrying
        self._ends = tuple(ends)  # set: no new wait and no new POST (a stop, a fatal error)

    def send(self, wanted: Any) -> tuple[Any, bool]:
        """The object, True if adopted; a POST goes again only when one certainly is not.

        429 and a failed connect mean the server did not act: wait and send again. A
        timeout, a reset or a 5xx may have created it, and a 400 (or 409) may mean it
        exists: look it up first, adopt what the kind says is ours, and send again only
        when it is surely absent. A 400 with nothing found was about the body itself, so
        it is raised instead of being sent again for the same answer.
        """
        retrying = self._retrying({"method": "POST", "kind": self._kind.name,
                                   "key": wanted.key})
        # A stop signal ends the tries too: no new wait and no new POST for this item.
        stop = cast(tenacity.stop.stop_base, retrying.stop)
        for event in self._ends:
            stop = stop | tenacity.stop_when_event_set(event)
        retrying = retrying.copy(stop=stop)
        tries = 0
        try:
            for attempt in retrying:
                with attempt:
                    tries += 1
                    return self._post_once(wanted)
        except ConnectionFailedError as exc:
            raise ConnectionFailedError(f"{exc} (gave up after {tries} attempts)",
                                        address=exc.address, never_sent=exc.never_sent) from None
        except _AbsentError as exc:
            raise AmbiguousWriteError(
                f"could not create '{wanted.key}' in {tries} tries ({exc.cause})",
                status=exc.status, request_id=exc.request_id) from None
        raise AssertionError("unreachable: tenacity reraises the last error")  # pragma: no cover

    def _post_once(self, wanted: Any) -> tuple[Any, bool]:
        try:
            return self._kind.create(wanted, self._refs), False
        except AmbiguousWriteError as exc:
            found = self._look_up(wanted, exc)
            if found is None:
                raise _AbsentError(exc) from None
            return found, True
        except FatalApiError as exc:
            if exc.status not in _MAY_MEAN_EXISTS:
                raise
            found = self._look_up(wanted, exc)
            if found is None:
                raise
            return found, True

    def _look_up(self, wanted: Any, error: ApiError) -> Any:
        """After an unknown outcome: the object to adopt, None if the key is free."""
        log.warning("create_outcome_unknown", kind=self._kind.name, key=wanted.key,
                    error=str(error))
        found = self._kind.find(wanted)
        if found is None:
            return None
        reason = self._kind.conflict(wanted, found)
        if reason is not None:
            raise FatalApiError(f"{reason} ({error})", status=error.status,
                                request_id=error.request_id) from error
        log.info("create_adopted", kind=self._kind.name, key=wanted.key, target_id=found.id)
        return found
