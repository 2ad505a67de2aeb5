"""After a kind is planned (and loaded): where each of its objects is, for the kinds after it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from bridge.engine.refs import Refs, TargetRef
from bridge.models import Conflict, Create, Gone, ItemOutcome, Planned, Skip, source_id_of


def learn(kind: Any, refs: Refs, actions: Sequence[Planned],
          outcomes: Sequence[ItemOutcome | None]) -> None:
    """Fill `refs` for `kind`: the object made or found, else why there is none.

    In a dry run (`outcome` None) a planned create counts as there, with no id yet, so
    the plan of the kinds after it shows the links they will have.
    """
    for planned, outcome in zip(actions, outcomes, strict=True):
        if isinstance(planned, Gone):
            continue
        source_id = source_id_of(planned)
        if outcome is not None and not outcome.ok:
            refs.miss(kind.name, source_id, f"{kind.name} failed: {outcome.error}")
        elif outcome is not None and outcome.target is not None:
            refs.put(kind.name, source_id,
                     _new(kind.ref_of(outcome.target), isinstance(planned, Create)))
        elif isinstance(planned, Create):
            refs.put(kind.name, source_id, _new(kind.ref_of(planned.wanted), True))
        elif isinstance(planned, Conflict):
            refs.miss(kind.name, source_id, f"{kind.name} in conflict: {planned.reason}")
        elif isinstance(planned, Skip) and planned.target is None:
            why = planned.error or planned.reason
            refs.miss(kind.name, source_id, f"{kind.name} not migrated: {why}")
        else:
            refs.put(kind.name, source_id, kind.ref_of(planned.target))


def _new(ref: TargetRef, new: bool) -> TargetRef:
    """`ref` marked new or not (the same object when it already is: a kind may hand out one
    shared ref for every object it will create, and 200,000 of them stay one)."""
    return ref if ref.new == new else replace(ref, new=new)
