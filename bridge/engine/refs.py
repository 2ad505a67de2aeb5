"""Refs: which SourceCraft object each GitLab object became, per kind, as a run learns it.

An issue points at its milestone and labels; their target ids are known only
once those kinds are planned (dry run: the slug or name they will have) and
loaded (the id SourceCraft gave). A kind that failed leaves its reason here, so
what points at it fails with that reason instead of being written half-linked.
"""

from __future__ import annotations

from dataclasses import dataclass

from bridge.compact import CountMap


@dataclass(frozen=True, slots=True)
class TargetRef:
    """The target object one GitLab object maps to: its id (None until created), slug, name."""

    id: str | None
    slug: str
    name: str = ""
    new: bool = False  # created by this run (or to be, in a dry run): it has no children yet


class Refs:
    """GitLab id -> TargetRef per kind, and the reasons of those that failed or were left out."""

    def __init__(self) -> None:
        self._refs: dict[str, _Table] = {}
        self._missing: dict[str, dict[int, str]] = {}

    def put(self, kind: str, source_id: int, ref: TargetRef) -> None:
        """Note where `source_id` of `kind` is (or will be) on the target."""
        table = self._refs.get(kind)
        if table is None:
            table = self._refs[kind] = _Table()
        table.put(source_id, ref)
        self._missing.get(kind, {}).pop(source_id, None)

    def miss(self, kind: str, source_id: int, reason: str) -> None:
        """Note that `source_id` of `kind` is not on the target, and why."""
        self._missing.setdefault(kind, {})[source_id] = reason
        table = self._refs.get(kind)
        if table is not None:
            table.drop(source_id)

    def get(self, kind: str, source_id: int) -> TargetRef | None:
        """Where `source_id` of `kind` is on the target, None if unknown or missing."""
        table = self._refs.get(kind)
        return None if table is None else table.get(source_id)

    def why_missing(self, kind: str, source_id: int) -> str | None:
        """Why `source_id` of `kind` has no target object, None if it has one or is unknown."""
        return self._missing.get(kind, {}).get(source_id)



class _Table:
    """One kind's refs in 16 bytes an object plus the refs themselves, a ref handed out for
    many objects at once (every issue a dry run plans) stored once."""

    def __init__(self) -> None:
        self._slots = CountMap()  # GitLab id -> position in _refs, -1: dropped
        self._refs: list[TargetRef] = []

    def put(self, source_id: int, ref: TargetRef) -> None:
        at = self._slots.get(source_id)
        if at is not None and at >= 0 and self._refs[at] is ref:
            return
        if not self._refs or self._refs[-1] is not ref:
            self._refs.append(ref)
        self._slots[source_id] = len(self._refs) - 1

    def drop(self, source_id: int) -> None:
        if source_id in self._slots:
            self._slots[source_id] = -1

    def get(self, source_id: int) -> TargetRef | None:
        at = self._slots.get(source_id)
        return self._refs[at] if at is not None and at >= 0 else None
