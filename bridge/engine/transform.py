"""The transform stage: the mapping applied to every milestone, then slugs made distinct.

Slugs are settled over the whole set at once, in ascending GitLab id order,
so the same milestones get the same slugs on every run whatever order the
pages arrived in: the oldest milestone keeps the plain slug, later ones get
`-2`, `-3`, ... Slugs the checkpoint already records on SourceCraft stay with
their milestone, and nobody else may take them.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping

from bridge.models import Skipped, SourceMilestone, WantedMilestone
from bridge.rules import CompiledMapping, validate_report
from bridge.slugs import with_suffix

__all__ = ["distinct_slugs", "transform", "validate_report"]


def transform(mapping: CompiledMapping, milestones: Iterable[SourceMilestone], *,
              reserved: Mapping[int, str] | None = None) -> list[WantedMilestone | Skipped]:
    """Apply `mapping` to each milestone and make slugs distinct; results in ascending id order.

    `reserved` maps a GitLab milestone id to the slug SourceCraft already has
    for it (from the checkpoint). That milestone keeps the slug (unless the
    mapping sets `slugs.follow_renames`), and no other milestone gets it.
    """
    results = [mapping.apply(m) for m in sorted(milestones, key=lambda m: m.id)]
    return distinct_slugs(results, reserved or {}, keep_reserved=not mapping.slugs_follow_renames)


def distinct_slugs(results: list[WantedMilestone | Skipped], reserved: Mapping[int, str], *,
                   keep_reserved: bool = True) -> list[WantedMilestone | Skipped]:
    """`results` (ascending id order) with each wanted slug unique and clear of others' reserves."""
    owner: dict[str, int] = {}
    for source_id, slug in sorted(reserved.items()):
        owner.setdefault(slug, source_id)  # a slug recorded twice belongs to the older milestone
    taken: set[str] = set()
    pinned: dict[int, str] = {}
    if keep_reserved:
        for item in results:
            mine = reserved.get(item.source.id)
            if isinstance(item, WantedMilestone) and mine and owner[mine] == item.source.id:
                pinned[item.source.id] = mine
                taken.add(mine)
    settled: list[WantedMilestone | Skipped] = []
    for item in results:
        if not isinstance(item, WantedMilestone):
            settled.append(item)
            continue
        slug = pinned.get(item.source.id) or _free(item.slug, item.source.id, taken, owner)
        taken.add(slug)
        settled.append(item if slug == item.slug else dataclasses.replace(item, slug=slug))
    return settled


def _free(base: str, source_id: int, taken: set[str], owner: Mapping[str, int]) -> str:
    """`base`, or the first `base-N` (N = 2, 3, ...) that nobody else holds."""
    candidate, n = base, 2
    while candidate in taken or owner.get(candidate, source_id) != source_id:
        candidate, n = with_suffix(base, n), n + 1
    return candidate
