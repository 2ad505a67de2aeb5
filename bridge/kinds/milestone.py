"""Milestones, the first kind: found by slug, closed after the create, counted by their issues.

GitLab milestones are read with the issues' counts (streamed, see
`bridge.engine.extract`, or incrementally in a mirror run); the mapping's
`milestone:` section makes each a SourceCraft milestone; slugs are settled
over the whole set so clashes resolve the same way on every run.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import replace
from typing import Any

from bridge.engine.extract import extract
from bridge.engine.kind import SourceSet
from bridge.engine.mirror import MirrorExtract
from bridge.engine.refs import Refs, TargetRef
from bridge.engine.transform import distinct_slugs
from bridge.kinds.context import KindContext
from bridge.models import TARGET_FIELDS, SourceMilestone, TargetMilestone, WantedMilestone


def create_body(wanted: WantedMilestone) -> dict[str, Any]:
    """The POST body: the mapped fields SourceCraft accepts on create (never `status`)."""
    body: dict[str, Any] = {"name": wanted.name, "slug": wanted.slug,
                            "description": wanted.description}
    for key in ("start_date", "deadline"):
        value = getattr(wanted, key)
        if value is not None:
            body[key] = value
    return body


class MilestoneRows:
    """What the report shows of a milestone."""

    name = "milestone"

    def title_of(self, source: SourceMilestone | None, target: Any, wanted: Any) -> str:
        """The title a report line shows."""
        if source is not None:
            return source.title
        if target is not None:
            return str(target.name)
        return str(wanted.name) if wanted is not None else ""

    def slug_of(self, item: Any) -> str | None:
        """The SourceCraft slug a report line shows."""
        return None if item is None else str(item.slug)

    def reference(self, source: SourceMilestone | None, source_id: int, path: str) -> str:
        """GitLab's milestone reference (`group/project%3`), or the id when the iid is unknown."""
        if source is not None:
            return f"{path}%{source.iid}"
        return f"{path} milestone id {source_id}".strip()

    def counts(self, source: SourceMilestone | None) -> dict[str, int] | None:
        """The milestone's issues, open and closed."""
        if source is None:
            return {"open": 0, "closed": 0}
        return {"open": source.issues_open, "closed": source.issues_closed}


class MilestoneKind(MilestoneRows):
    """GitLab milestones as SourceCraft milestones."""

    name = "milestone"
    plural = "milestones"
    depends_on: tuple[str, ...] = ()
    fields = TARGET_FIELDS
    key_name = "slug"
    key_claims_source = False

    def __init__(self, ctx: KindContext) -> None:
        self._ctx = ctx

    def compare_keys(self) -> tuple[str, ...]:
        """Every managed field; the slug only when the mapping lets slugs follow renames."""
        follow = self._ctx.mapping.slugs_follow_renames
        return tuple(k for k in TARGET_FIELDS if k != "slug" or follow)

    def extract(self) -> SourceSet:
        """Every milestone with its issue counts; a mirror run counts incrementally."""
        ctx = self._ctx
        keep = ctx.shared.get("issues")
        if ctx.command == "mirror":
            got = MirrorExtract(ctx.reader, ctx.checkpoint, save=ctx.save,
                                on_page=ctx.on_page, keep=keep)()
        else:
            got = extract(ctx.reader, on_page=ctx.on_page, keep=keep)
        ctx.shared["issue_scan"] = got.issue_scan
        ctx.shared["milestone_items"] = got.milestones  # issue texts refer to them (%5)
        return SourceSet(items=got.milestones, pages=got.pages,
                         census_complete=got.census_complete, extra={"issues": got.issues})

    def transform(self, source: SourceSet, refs: Refs, *, reserved: Mapping[int, str],
                  target: Sequence[Any]) -> list[Any]:
        """The mapping applied to each milestone, then slugs made distinct (by ascending id)."""
        del refs, target
        mapping = self._ctx.mapping
        results = [mapping.apply(m) for m in sorted(source.items, key=lambda m: m.id)]
        return distinct_slugs(results, reserved,
                              keep_reserved=not mapping.slugs_follow_renames)

    def lists_ahead(self) -> bool:
        """Every milestone of the repository, whatever GitLab says: read while GitLab is read."""
        return True

    def target_pages(self, refs: Refs) -> Iterator[Sequence[TargetMilestone]]:
        """Every milestone of the repository."""
        del refs
        return self._ctx.target.milestone_pages()

    def conflict(self, wanted: WantedMilestone, found: TargetMilestone) -> str | None:
        """Our slug on a milestone with another name is somebody else's."""
        if found.name == wanted.name:
            return None
        return (f"slug '{wanted.slug}' is taken by a SourceCraft milestone named "
                f"'{found.name}' that scbridge did not create")

    def create_body(self, wanted: WantedMilestone, refs: Refs) -> dict[str, Any]:
        """Name, slug, description, dates: a milestone is created open (closed after)."""
        del refs
        return create_body(wanted)

    def change_body(self, target: TargetMilestone, wanted: WantedMilestone | None,
                    changes: Mapping[str, tuple[Any, Any]], refs: Refs) -> dict[str, Any]:
        """Each changed field's new value."""
        del target, wanted, refs
        return {name: after for name, (_before, after) in changes.items()}

    def create(self, wanted: WantedMilestone, refs: Refs) -> TargetMilestone:
        """POST the milestone once."""
        return self._ctx.target.create(self.create_body(wanted, refs))

    def find(self, wanted: WantedMilestone) -> TargetMilestone | None:
        """The milestone holding our slug, if any."""
        return self._ctx.target.get(wanted.slug)

    def change(self, target: TargetMilestone, wanted: WantedMilestone | None,
               changes: Mapping[str, tuple[Any, Any]], refs: Refs) -> TargetMilestone:
        """PATCH the changed fields by id."""
        body = self.change_body(target, wanted, changes, refs)
        return self._ctx.target.update(target, body) or replace(target, **body)

    def delete(self, target: TargetMilestone) -> None:
        """DELETE by id."""
        self._ctx.target.delete(target)

    def ref_of(self, item: TargetMilestone | WantedMilestone) -> TargetRef:
        """What issues need to point at this milestone."""
        target_id = item.id if isinstance(item, TargetMilestone) else None
        return TargetRef(target_id, item.slug, item.name)
