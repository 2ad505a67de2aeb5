"""`scbridge apply`'s load: each write checked, body for body, against the approved one.

The check before any write (`bridge.plans.stale`) proved that nothing the plan was
made from has changed; what the load plans can then differ from the saved plan only
through this apply's own partial outcomes (an issue that failed, so a text that
names it cannot be completed as approved). Such a write is not sent: the object's
report line says why, and the next `migrate` or `mirror` does what is left.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import structlog

from bridge.engine.kind import Kind
from bridge.engine.refs import Refs
from bridge.errors import StalePlanError
from bridge.models import (
    Change,
    Create,
    ItemOutcome,
    Planned,
    Skip,
    Unchanged,
    source_id_of,
    source_of,
)
from bridge.plans.entries import (
    EntryKey,
    completion_of,
    loader_writes,
    resolve,
    unresolved,
    writes_of,
)
from bridge.plans.stale import approved, same_writes

log = structlog.get_logger(__name__)


def _why(entry: Mapping[str, Any] | None, refs: Refs) -> str:
    """Why a write is not the approved one, for the report."""
    if entry is None:
        return "the plan does not list it"
    missing = unresolved(resolve(entry["writes"], refs))
    if missing:
        names = ", ".join(f"issue {sid}" for sid in missing)
        return f"the body the plan approved links {names}, which this apply did not create"
    return "its body differs from the one the plan approved"


def _as_approved(entry: Mapping[str, Any] | None, action: str, writes: Sequence[Any],
                 refs: Refs) -> bool:
    """True when the loader's `writes` are the entry's (or what is left of them), body for
    body, or its listed completion (which a resumed load may plan as a change of its own)."""
    if entry is None:
        return False
    if approved(entry, action, writes) and same_writes(
            {"writes": loader_writes(entry)}, writes, refs):
        return True
    listed = completion_of(entry)
    return listed is not None and same_writes(
        {"writes": [{"method": "PATCH", "body": listed}]}, writes, refs)


class Approvals:
    """The saved plan's entries, and what this apply left unsent and why."""

    def __init__(self, saved: Mapping[EntryKey, Mapping[str, Any]]) -> None:
        self.saved = saved
        self.unsent: dict[EntryKey, str] = {}  # (kind, GitLab id) -> why its write was not sent
        self._cut: set[Any] = set()  # sequences (an issue's comments) with a create left undone

    def planned(self, kind: Kind, planned: Planned, refs: Refs) -> Planned:
        """`planned` if the plan approved its writes, body for body; else left undone."""
        key = (kind.name, source_id_of(planned))
        entry = self.saved.get(key)
        writes = writes_of(kind, planned, refs)
        if not writes:
            return planned
        sequence_of = getattr(kind, "sequence_of", None)
        sequence = sequence_of(planned) if sequence_of is not None else None
        if isinstance(planned, Create) and sequence is not None and sequence in self._cut:
            order = getattr(kind, "sequence_name", "sequence")
            return self._undone(kind, planned, key, f"one before it in its {order} was not "
                                "sent, and they go in order")
        if _as_approved(entry, str(planned.action), writes, refs):
            return planned
        if isinstance(planned, Create) and sequence is not None:
            self._cut.add(sequence)
        return self._undone(kind, planned, key, _why(entry, refs))

    def _undone(self, kind: Kind, planned: Planned, key: EntryKey, why: str) -> Planned:
        self.unsent[key] = f"not sent: {why}"
        log.warning("apply_not_in_plan", kind=kind.name, source_id=key[1],
                    action=str(planned.action), why=why)
        if isinstance(planned, Change):
            return Unchanged(kind.name, planned.wanted, planned.target, planned.changes,
                             reason=f"not sent: {why}; left for the next run")
        if isinstance(planned, Create):
            return Skip(kind.name, source_of(planned), reason=f"not sent: {why}",
                        error=f"not sent: {why}")  # no wanted: not done (a comment's issue)
        raise StalePlanError(f"{kind.name} {key[1]}: would {planned.action}, which the plan "
                             "does not say; nothing more is written")

    def left(self, kind: Kind, actions: Sequence[Planned],
             outcomes: Sequence[ItemOutcome | None], refs: Refs) -> None:
        """After the load: note each listed completion that names an issue still missing."""
        for planned, outcome in zip(actions, outcomes, strict=True):
            key = (kind.name, source_id_of(planned))
            listed = completion_of(self.saved.get(key))
            if (listed is not None and outcome is not None and outcome.ok
                    and key not in self.unsent and unresolved(resolve(listed, refs))):
                self.unsent[key] = f"references not completed: {_why(self.saved[key], refs)}"

    def completion(self, refs: Refs) -> Any:
        """The issue kind's `approve`: its references' PATCH, sent only as the plan lists it."""

        def approve(source_id: int, body: dict[str, Any]) -> bool:
            key = ("issue", source_id)
            listed = completion_of(self.saved.get(key))
            if listed is not None and resolve(listed, refs) == body:
                return True
            why = "the plan lists no such write" if listed is None else _why(
                self.saved.get(key), refs)
            self.unsent[key] = f"references not completed: {why}"
            log.warning("apply_completion_not_in_plan", source_id=source_id, why=why)
            return False

        return approve
