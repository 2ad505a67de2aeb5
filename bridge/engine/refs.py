"""Refs: which SourceCraft object each GitLab object became, per kind, as a run learns it.

An issue points at its milestone and labels; their target ids are known only
once those kinds are planned (dry run: the slug or name they will have) and
loaded (the id SourceCraft gave). A kind that failed leaves its reason here, so
what points at it fails with that reason instead of being written half-linked.
"""

from __future__ import annotations

from dataclasses import dataclass


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
        self._refs: dict[str, dict[int, TargetRef]] = {}
        self._missing: dict[str, dict[int, str]] = {}
        self.version = 0  # moves with every put and miss: what was worked out from refs is stale

    def put(self, kind: str, source_id: int, ref: TargetRef) -> None:
        """Note where `source_id` of `kind` is (or will be) on the target."""
        self._refs.setdefault(kind, {})[source_id] = ref
        self._missing.get(kind, {}).pop(source_id, None)
        self.version += 1

    def miss(self, kind: str, source_id: int, reason: str) -> None:
        """Note that `source_id` of `kind` is not on the target, and why."""
        self._missing.setdefault(kind, {})[source_id] = reason
        self._refs.get(kind, {}).pop(source_id, None)
        self.version += 1

    def get(self, kind: str, source_id: int) -> TargetRef | None:
        """Where `source_id` of `kind` is on the target, None if unknown or missing."""
        return self._refs.get(kind, {}).get(source_id)

    def why_missing(self, kind: str, source_id: int) -> str | None:
        """Why `source_id` of `kind` has no target object, None if it has one or is unknown."""
        return self._missing.get(kind, {}).get(source_id)

    def of(self, kind: str) -> dict[int, TargetRef]:
        """Every known target of one kind, by GitLab id."""
        return dict(self._refs.get(kind, {}))
