"""The load stage: carry out one kind's plan on SourceCraft, recording each outcome at once.

A POST is the one write that is not idempotent, so it is never re-sent blind:
the intent goes into the checkpoint first (state `pending`), and when its
outcome is unknown (a timeout, a reset, a 5xx, or a 400/409 that may mean "it
exists") the kind finds the object by its natural key and the loader adopts
it. `bridge.engine.post` is the one place that rule lives; the waits between
tries come from the one tenacity policy every request uses (`bridge.net.retry`).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import structlog

from bridge.checkpoint import Checkpoint, Record, content_hash
from bridge.engine.post import Posts, RetryFactory
from bridge.engine.refs import Refs
from bridge.engine.sequences import run_in_sequences
from bridge.errors import (
    ApiError,
    ConnectionFailedError,
)
from bridge.models import (
    Action,
    Change,
    Conflict,
    Create,
    Gone,
    ItemOutcome,
    Planned,
    Skip,
    Unchanged,
    source_id_of,
    target_of,
)

log = structlog.get_logger(__name__)

#: Statuses after which the run cannot go on for any item: credentials are refused.
_RUN_FATAL = frozenset({401, 403})

STOPPED = "not attempted: the run was stopped"
INTERRUPTED = "not attempted: the run was interrupted"


class Loader:
    """Run the writing actions of one kind's plan on a bounded pool, one record per outcome."""

    def __init__(self, kind: Any, checkpoint: Checkpoint, *, refs: Refs, retrying: RetryFactory,
                 concurrency: int = 4, stop: threading.Event | None = None,
                 on_item: Callable[[ItemOutcome], None] | None = None) -> None:
        self._kind = kind
        self._checkpoint = checkpoint
        self._refs = refs
        self._retrying = retrying
        self._concurrency = max(1, concurrency)
        self._stop = stop or threading.Event()
        self._on_item = on_item
        self._known: Mapping[int, Record] | None = None
        self.fatal: ApiError | None = None  # set when credentials were refused mid-run
        self._fatal_set = threading.Event()  # ... or the target stayed unreachable
        self._posts = Posts(kind, refs, retrying, ends=(self._stop, self._fatal_set))

    def run(self, actions: Sequence[Planned],
            known: Mapping[int, Record] | None = None) -> list[ItemOutcome]:
        """Carry out every action; outcomes come back in the plan's order.

        A kind with `sequence_of` (comments: their issue) has each sequence's actions run
        one after another, in plan order, on one worker; different sequences in parallel.
        Once one fails, the rest of its sequence is not attempted: a later comment never
        lands before an earlier one. `known`: the checkpoint's records of these actions'
        objects, read when they were planned (an unchanged object's is not read again).
        """
        self._known = known
        with ThreadPoolExecutor(max_workers=self._concurrency,
                                thread_name_prefix="load") as pool:
            return run_in_sequences(pool, actions, self._kind, self._one, self._settles_here)

    def _one(self, planned: Planned) -> ItemOutcome:
        if self._stop.is_set() or self.fatal is not None:
            why = INTERRUPTED if self._stop.is_set() else STOPPED
            return ItemOutcome(planned, ok=False, target=target_of(planned), error=why,
                               attempted=False)
        try:
            outcome = self._apply(planned)
        except ApiError as exc:
            # Refused credentials, or a target that stays unreachable after every retry:
            # the items left would only meet the same answer.
            # And an error that says going on would do harm (a kept number that drifted).
            if self.fatal is None and (exc.status in _RUN_FATAL
                                       or isinstance(exc, ConnectionFailedError)
                                       or getattr(exc, "stops_the_run", False)):
                self.fatal = exc
                self._fatal_set.set()
            outcome = ItemOutcome(planned, ok=False, target=target_of(planned), error=str(exc))
            self._record_failure(planned, str(exc))
        if self._on_item is not None:
            self._on_item(outcome)
        return outcome

    def _apply(self, planned: Planned) -> ItemOutcome:
        if isinstance(planned, Create):
            return self._create(planned)
        if isinstance(planned, Change):
            return self._change(planned)
        if isinstance(planned, Gone):
            return self._gone(planned)
        if isinstance(planned, Unchanged):
            self._adopt(planned)
        return ItemOutcome(planned, ok=True, target=target_of(planned))

    def _create(self, planned: Create) -> ItemOutcome:
        wanted, kind = planned.wanted, self._kind
        source_id = wanted.source.id
        # The intent is durable before the POST leaves: a crash from here on leaves a
        # `pending` record, and the next run looks the key up instead of creating blind.
        self._checkpoint.record(kind.name, source_id, key=wanted.key, state="pending")
        created, adopted = self._posts.send(wanted)
        state = "created"
        if "status" in kind.fields and wanted.status == "closed" and created.status != "closed":
            # A kind whose create cannot carry the status (milestones) is closed right after;
            # the id is durable first, so a crash in between never loses what was created.
            self._record(source_id, created, "created")
            created = kind.change(created, wanted, {"status": (created.status, "closed")},
                                  self._refs)
            state = "closed"
        self._record(source_id, created, state)
        return ItemOutcome(planned, ok=True, target=created, adopted=adopted)

    def _change(self, planned: Change) -> ItemOutcome:
        changes = dict(planned.changes)
        if planned.action is Action.CLOSE:
            changes = {"status": (planned.target.status, "closed")}
        elif planned.action is Action.REOPEN:
            changes = {"status": (planned.target.status, "open")}
        updated = self._kind.change(planned.target, planned.wanted, changes, self._refs)
        state = {"close": "closed", "reopen": "open"}.get(planned.action.value, "updated")
        self._record(planned.wanted.source.id, updated, state)
        return ItemOutcome(planned, ok=True, target=updated)

    def _gone(self, planned: Gone) -> ItemOutcome:
        if planned.action is Action.DELETE:
            self._kind.delete(planned.target)
            self._checkpoint.record(self._kind.name, planned.source_id, key=planned.target.key,
                                    state="deleted", target_id=planned.target.id)
            return ItemOutcome(planned, ok=True, target=None)
        if planned.action is Action.CLOSE:
            updated = self._kind.change(planned.target, None, dict(planned.changes), self._refs)
            self._record(planned.source_id, updated, "closed")
            return ItemOutcome(planned, ok=True, target=updated)
        return ItemOutcome(planned, ok=True, target=planned.target)

    def _settles_here(self, planned: Planned) -> bool:
        """What needs neither a request nor a record (a skip, a conflict, an unchanged object
        the checkpoint knows) is settled on the caller's thread; an object to adopt is
        recorded on the pool, where records made at once share a commit (a lost checkpoint
        of 30,000 issues)."""
        return isinstance(planned, Skip | Conflict) or (
            isinstance(planned, Unchanged) and self._recorded(planned))

    def _recorded(self, planned: Unchanged) -> bool:
        source_id = planned.wanted.source.id
        known = (self._known.get(source_id) if self._known is not None
                 else self._checkpoint.get(self._kind.name, source_id))
        return known is not None and known.target_id == planned.target.id

    def _adopt(self, planned: Unchanged) -> None:
        """Record a matched object the checkpoint does not know yet (lost checkpoint).

        Recorded as `created` even when closed: `closed` means scbridge closed it, and
        only what scbridge closed may later be reopened by a migrate run.
        """
        if not self._recorded(planned):
            self._record(planned.wanted.source.id, planned.target, "created")

    def _record(self, source_id: int, target: Any, state: str) -> None:
        self._checkpoint.record(self._kind.name, source_id, key=target.key or "", state=state,
                                target_id=target.id,
                                written_hash=content_hash(target.managed()),
                                target_updated_at=target.updated_at,
                                target_slug=self._kind.slug_of(target))

    def _record_failure(self, planned: Planned, error: str) -> None:
        source_id = source_id_of(planned)
        known = self._checkpoint.get(self._kind.name, source_id)
        target = target_of(planned)
        wanted = None if isinstance(planned, Gone) else planned.wanted
        key = wanted.key if wanted is not None else (target.key if target is not None else "")
        self._checkpoint.record(
            self._kind.name, source_id, key=known.key if known else (key or ""),
            state="failed",
            target_id=known.target_id if known else (target.id if target is not None else None),
            written_hash=known.written_hash if known else None,
            target_updated_at=known.target_updated_at if known else None, error=error,
            target_slug=known.target_slug if known else None)
