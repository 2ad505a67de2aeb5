"""The load stage: carry out a plan on SourceCraft, idempotently, recording each outcome at once.

A POST is the one write that is not idempotent, so it is never re-sent blind:
the intent goes into the checkpoint first (state `pending`), and when its
outcome is unknown (a timeout, a reset, a 5xx, or a 400 that may mean "slug
exists") the slug is looked up and the milestone found there is adopted.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import Any

import structlog

from bridge.checkpoint import Checkpoint, content_hash
from bridge.errors import (
    AmbiguousWriteError,
    ApiError,
    ConnectionFailedError,
    FatalApiError,
    RetriableApiError,
)
from bridge.models import Action, ItemOutcome, PlannedAction, TargetMilestone, WantedMilestone
from bridge.targets.sourcecraft import SourceCraftClient

log = structlog.get_logger(__name__)

#: How many times one create may be sent when each try proved the milestone absent.
MAX_CREATE_TRIES = 3

#: A refused POST with one of these may mean "the slug exists" (SourceCraft answers 400).
_MAY_MEAN_EXISTS = frozenset({400, 409})

#: Statuses after which the run cannot go on for any item: credentials are refused.
_RUN_FATAL = frozenset({401, 403})


def create_body(wanted: WantedMilestone) -> dict[str, Any]:
    """The POST body: the mapped fields SourceCraft accepts on create (never `status`)."""
    body: dict[str, Any] = {"name": wanted.name, "slug": wanted.slug,
                            "description": wanted.description}
    for key in ("start_date", "deadline"):
        value = getattr(wanted, key)
        if value is not None:
            body[key] = value
    return body


def _why_safe(error: ApiError) -> str:
    """Why sending this POST again cannot make a duplicate, for the retry log."""
    if isinstance(error, ConnectionFailedError) and error.never_sent:
        return "safe: the connection was never established, nothing reached the server"
    if isinstance(error, AmbiguousWriteError):
        return "safe: the slug was looked up and is still free"
    return "safe: the server refused it before acting"


class Loader:
    """Run the writing actions of a plan on a bounded pool, one checkpoint record per outcome."""

    def __init__(self, client: SourceCraftClient, checkpoint: Checkpoint, *, concurrency: int = 4,
                 stop: threading.Event | None = None,
                 on_item: Callable[[ItemOutcome], None] | None = None,
                 max_attempts: int = MAX_CREATE_TRIES, backoff_cap_s: float = 30.0,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self._client = client
        self._max_attempts = max(1, max_attempts)
        self._backoff_cap_s = backoff_cap_s
        self._sleep = sleep
        self._checkpoint = checkpoint
        self._concurrency = max(1, concurrency)
        self._stop = stop or threading.Event()
        self._on_item = on_item
        self.fatal: ApiError | None = None  # set when credentials were refused mid-run

    def run(self, actions: Sequence[PlannedAction]) -> list[ItemOutcome]:
        """Carry out every action; outcomes come back in the plan's order."""
        with ThreadPoolExecutor(max_workers=self._concurrency,
                                thread_name_prefix="load") as pool:
            return list(pool.map(self._one, actions))

    def _one(self, planned: PlannedAction) -> ItemOutcome:
        if self._stop.is_set() or self.fatal is not None:
            return ItemOutcome(planned, ok=False, target=planned.target,
                               error="not attempted: the run was stopped")
        try:
            outcome = self._apply(planned)
        except ApiError as exc:
            # Refused credentials, or a target that stays unreachable after every retry:
            # the items left would only meet the same answer.
            if self.fatal is None and (exc.status in _RUN_FATAL
                                       or isinstance(exc, ConnectionFailedError)):
                self.fatal = exc
            outcome = ItemOutcome(planned, ok=False, target=planned.target, error=str(exc))
            self._record_failure(planned, str(exc))
        if self._on_item is not None:
            self._on_item(outcome)
        return outcome

    def _apply(self, planned: PlannedAction) -> ItemOutcome:
        action = planned.action
        if action is Action.CREATE:
            return self._create(planned)
        if action in (Action.CLOSE, Action.REOPEN, Action.UPDATE):
            return self._patch(planned)
        if action is Action.DELETE:
            return self._delete(planned)
        if action is Action.UNCHANGED and planned.target is not None and planned.wanted is not None:
            self._adopt(planned)
        return ItemOutcome(planned, ok=True, target=planned.target)

    def _create(self, planned: PlannedAction) -> ItemOutcome:
        wanted = planned.wanted
        assert wanted is not None  # a CREATE always carries what is wanted
        source_id = wanted.source.id
        # The intent is durable before the POST leaves: a crash from here on leaves a
        # `pending` record, and the next run looks the slug up instead of creating blind.
        self._checkpoint.record(source_id, slug=wanted.slug, state="pending")
        created = self._post(wanted)
        state = "created"
        if wanted.status == "closed" and created.status != "closed":
            self._record(source_id, created, "created")
            created = self._client.update(created, {"status": "closed"}) or replace(
                created, status="closed")
            state = "closed"
        self._record(source_id, created, state)
        return ItemOutcome(planned, ok=True, target=created)

    def _post(self, wanted: WantedMilestone) -> TargetMilestone:
        """The created (or adopted) milestone; a POST goes again only when one certainly is not.

        429 and a failed connect mean the server did not act: wait and send again. A
        timeout, a reset or a 5xx may have created it, and a 400 (or 409) may mean the
        slug exists: look the slug up first, adopt what carries our name, and send again
        only when the slug is free. A 400 with the slug free was about the body itself,
        so it is raised instead of being sent again for the same answer.
        """
        for attempt in range(1, self._max_attempts + 1):
            try:
                return self._client.create(create_body(wanted))
            except RetriableApiError as exc:
                error: ApiError = exc
            except AmbiguousWriteError as exc:
                error = exc
                found = self._look_up(wanted, exc)
                if found is not None:
                    return found
            except FatalApiError as exc:
                if exc.status not in _MAY_MEAN_EXISTS:
                    raise
                found = self._look_up(wanted, exc)
                if found is None:
                    raise
                return found
            if self._stop.is_set() or self.fatal is not None:
                break  # the run is stopping: no new wait and no new POST for this item
            if attempt < self._max_attempts:
                wait = self._wait(error, attempt)
                log.warning("http_retry", attempt=attempt, wait_s=round(wait, 3), method="POST",
                            slug=wanted.slug, host=error.address, reason=str(error),
                            resend=_why_safe(error))
                self._sleep(wait)
        if isinstance(error, ConnectionFailedError):
            raise ConnectionFailedError(f"{error} (gave up after {attempt} attempts)",
                                   address=error.address, never_sent=error.never_sent)
        if isinstance(error, AmbiguousWriteError):
            raise AmbiguousWriteError(
                f"could not create '{wanted.slug}' in {attempt} tries ({error})",
                status=error.status, request_id=error.request_id)
        raise error

    def _look_up(self, wanted: WantedMilestone, error: ApiError) -> TargetMilestone | None:
        """After an unknown outcome: the milestone to adopt, None if the slug is free."""
        log.warning("create_outcome_unknown", slug=wanted.slug, error=str(error))
        found = self._client.get(wanted.slug)
        if found is None:
            return None
        if found.name != wanted.name:
            raise FatalApiError(
                f"slug '{wanted.slug}' is taken by a SourceCraft milestone named "
                f"'{found.name}' that scbridge did not create ({error})",
                status=error.status, request_id=error.request_id) from error
        log.info("create_adopted", slug=wanted.slug, target_id=found.id)
        return found

    def _wait(self, error: ApiError, attempt: int) -> float:
        """The server's hint when it gave one, else capped doubling from one second."""
        if error.retry_after is not None:
            return min(self._backoff_cap_s, max(0.0, error.retry_after))
        return float(min(self._backoff_cap_s, 2.0 ** (attempt - 1)))

    def _patch(self, planned: PlannedAction) -> ItemOutcome:
        target, wanted = planned.target, planned.wanted
        assert target is not None
        body = {name: after for name, (_before, after) in planned.changes.items()}
        if planned.action is Action.CLOSE:
            body = {"status": "closed"}
        elif planned.action is Action.REOPEN:
            body = {"status": "open"}
        updated = self._client.update(target, body) or replace(target, **body)
        source_id = planned.source_id if wanted is None else wanted.source.id
        assert source_id is not None
        state = {"close": "closed", "reopen": "open"}.get(planned.action.value, "updated")
        self._record(source_id, updated, state)
        return ItemOutcome(planned, ok=True, target=updated)

    def _delete(self, planned: PlannedAction) -> ItemOutcome:
        target = planned.target
        assert target is not None
        assert planned.source_id is not None
        self._client.delete(target)
        self._checkpoint.record(planned.source_id, slug=target.slug, state="deleted",
                                target_id=target.id)
        return ItemOutcome(planned, ok=True, target=None)

    def _adopt(self, planned: PlannedAction) -> None:
        """Record a matched milestone the checkpoint does not know yet (lost checkpoint).

        Recorded as `created` even when closed: `closed` means scbridge closed it, and
        only what scbridge closed may later be reopened by a migrate run.
        """
        assert planned.wanted is not None
        assert planned.target is not None
        known = self._checkpoint.get(planned.wanted.source.id)
        if known is None or known.target_id != planned.target.id:
            self._record(planned.wanted.source.id, planned.target, "created")

    def _record(self, source_id: int, target: TargetMilestone, state: str) -> None:
        self._checkpoint.record(source_id, slug=target.slug, state=state, target_id=target.id,
                                written_hash=content_hash(target.managed()),
                                target_updated_at=target.updated_at)

    def _record_failure(self, planned: PlannedAction, error: str) -> None:
        source_id = planned.source_id if planned.wanted is None else planned.wanted.source.id
        if source_id is None:
            return
        known = self._checkpoint.get(source_id)
        slug = planned.wanted.slug if planned.wanted else (
            planned.target.slug if planned.target else "")
        self._checkpoint.record(
            source_id, slug=known.slug if known else slug, state="failed",
            target_id=known.target_id if known else (planned.target.id if planned.target else None),
            written_hash=known.written_hash if known else None,
            target_updated_at=known.target_updated_at if known else None, error=error)
