"""The plan stage: what GitLab wants, SourceCraft has and the checkpoint remembers, compared.

Pure: no request, no write, the same plan for the same input, so a dry run
shows exactly what the real run then does. A wanted milestone is matched to
a SourceCraft milestone by the checkpoint first (GitLab id -> SourceCraft
id), else by its slug; one with our slug and another name is never touched.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal

from bridge.checkpoint import Record, canonical, content_hash
from bridge.config import MirrorConfig
from bridge.errors import ConfigError
from bridge.models import (
    TARGET_FIELDS,
    Action,
    PlannedAction,
    Skipped,
    TargetMilestone,
    WantedMilestone,
)

Mode = Literal["migrate", "mirror"]
ON_DELETED = ("keep", "close", "delete")
ON_TARGET_EDITED = ("source-wins", "keep-target", "report")
_DEFAULT_MIRROR = MirrorConfig()
MIGRATE_DIFFERS = "fields differ; `scbridge mirror` updates them"


@dataclass(frozen=True)
class PlanInput:
    """Everything the plan compares; `census_complete` is False when any GitLab page failed."""

    results: Sequence[WantedMilestone | Skipped]
    target: Sequence[TargetMilestone]
    records: Mapping[int, Record]
    census_complete: bool = True


class _Index:
    """The target's milestones by id and slug, and which of them the checkpoint says are ours."""

    def __init__(self, target: Sequence[TargetMilestone], records: Mapping[int, Record]) -> None:
        self.by_id = {t.id: t for t in target}
        self.by_slug = {t.slug: t for t in target}
        self.owner: dict[str, int] = {}  # target id -> the GitLab id whose record claims it
        self.mine: dict[int, TargetMilestone] = {}
        for source_id in sorted(records):
            found = self._recorded(records[source_id])
            if found is not None and found.id not in self.owner:
                self.owner[found.id] = source_id
                self.mine[source_id] = found

    def _recorded(self, record: Record) -> TargetMilestone | None:
        # An id that vanished is not replaced by whoever holds the slug now, and a `pending`
        # record (a POST whose answer never came) claims nothing by slug alone: someone may
        # have taken the slug since. Both are matched like any milestone, by slug AND name,
        # so a POST that did land is adopted and a stranger's milestone is never touched.
        return None if record.target_id is None else self.by_id.get(record.target_id)


def plan(inp: PlanInput, *, mode: Mode, mirror: MirrorConfig = _DEFAULT_MIRROR,
         slugs_follow_renames: bool = False) -> list[PlannedAction]:
    """The actions that bring SourceCraft in line with GitLab, by GitLab id, deletions last."""
    _check(mode, mirror)
    index = _Index(inp.target, inp.records)
    keys = tuple(k for k in TARGET_FIELDS if k != "slug" or slugs_follow_renames)
    actions: list[PlannedAction] = []
    for item in sorted(inp.results, key=lambda r: r.source.id):
        if isinstance(item, Skipped):
            actions.append(PlannedAction(Action.SKIP, item.source, reason=item.reason,
                                         error=item.error, source_id=item.source.id))
        else:
            actions.append(_wanted(item, index, records=inp.records, mode=mode, mirror=mirror,
                                   keys=keys))
    if mode == "mirror":
        listed = {item.source.id for item in inp.results}
        for source_id in sorted(set(inp.records) - listed):
            target = index.mine.get(source_id)
            if target is not None:
                actions.append(_vanished(source_id, target, mirror, inp.census_complete))
    return actions


def _check(mode: str, mirror: MirrorConfig) -> None:
    for key, value, allowed in (("mode", mode, ("migrate", "mirror")),
                                ("mirror.on_deleted", mirror.on_deleted, ON_DELETED),
                                ("mirror.on_target_edited", mirror.on_target_edited,
                                 ON_TARGET_EDITED)):
        if value not in allowed:
            raise ConfigError(f"{key} must be one of {', '.join(allowed)}, not '{value}'",
                              key=key)


def _wanted(wanted: WantedMilestone, index: _Index, *, records: Mapping[int, Record],
            mode: Mode, mirror: MirrorConfig, keys: tuple[str, ...]) -> PlannedAction:
    source_id = wanted.source.id
    target = index.mine.get(source_id)
    record = records.get(source_id) if target is not None else None
    if target is None:
        found = index.by_slug.get(wanted.slug)
        if found is None:
            changes = {k: (None, v) for k, v in wanted.managed().items() if v not in (None, "")}
            return PlannedAction(Action.CREATE, wanted.source, wanted, changes=changes,
                                 source_id=source_id)
        owner = index.owner.get(found.id)
        reason = None
        if owner is not None:
            reason = (f"slug '{wanted.slug}' belongs to the SourceCraft milestone scbridge "
                      f"made for GitLab milestone {owner}")
        elif found.name != wanted.name:
            reason = (f"slug '{wanted.slug}' is taken by a SourceCraft milestone named "
                      f"'{found.name}' that scbridge did not create")
        if reason is not None:
            return PlannedAction(Action.CONFLICT, wanted.source, wanted, found, reason=reason,
                                 source_id=source_id)
        # Same slug, same name: adopted, ours from now on.
        return replace(_matched(wanted, found, None, mode=mode, mirror=mirror, keys=keys),
                       adopted=True)
    return _matched(wanted, target, record, mode=mode, mirror=mirror, keys=keys)


def _matched(wanted: WantedMilestone, target: TargetMilestone, record: Record | None, *,
             mode: Mode, mirror: MirrorConfig, keys: tuple[str, ...]) -> PlannedAction:
    diff = _diff(wanted, target, keys)
    if mode == "migrate":
        return _migrate(wanted, target, record, diff)
    return _mirror(wanted, target, record, diff, mirror)


def _diff(wanted: WantedMilestone, target: TargetMilestone,
          keys: tuple[str, ...]) -> dict[str, tuple[Any, Any]]:
    """before -> after for each managed field whose content differs (not merely its spelling)."""
    have, want = target.managed(), wanted.managed()
    have_c, want_c = canonical(have), canonical(want)
    return {k: (have[k], want[k]) for k in keys if have_c[k] != want_c[k]}


def _migrate(wanted: WantedMilestone, target: TargetMilestone, record: Record | None,
             diff: dict[str, tuple[Any, Any]]) -> PlannedAction:
    """Migrate creates and closes; it reopens only what it closed itself, and updates nothing."""
    status = diff.pop("status", None)
    others = MIGRATE_DIFFERS if diff else None
    reasons = [others] if others else []
    if status is not None:
        action = None
        if wanted.status == "closed":
            action = Action.CLOSE
        elif record is not None and record.state == "closed":
            action = Action.REOPEN  # closed by scbridge, since reopened in GitLab
        if action is not None:
            return PlannedAction(action, wanted.source, wanted, target, {"status": status},
                                 reason=others, source_id=wanted.source.id)
        diff["status"] = status
        reasons.append("closed on SourceCraft, not by scbridge; kept")
    return PlannedAction(Action.UNCHANGED, wanted.source, wanted, target, diff,
                         reason="; ".join(reasons) or None, source_id=wanted.source.id)


def _mirror(wanted: WantedMilestone, target: TargetMilestone, record: Record | None,
            diff: dict[str, tuple[Any, Any]], mirror: MirrorConfig) -> PlannedAction:
    """Mirror brings every managed field in line, minding edits made on SourceCraft."""
    source_id = wanted.source.id
    if not diff:
        return PlannedAction(Action.UNCHANGED, wanted.source, wanted, target, source_id=source_id)
    # The hash of what we last wrote, not `updated_at`: SourceCraft may move `updated_at` for
    # things scbridge does not manage, and that must not pass for an edit of our fields.
    edited = (record is not None and record.written_hash is not None
              and content_hash(target.managed()) != record.written_hash)
    reason = None
    if edited and mirror.on_target_edited == "keep-target":
        return PlannedAction(Action.SKIP, wanted.source, wanted, target, diff,
                             reason="edited on SourceCraft; kept (keep-target)",
                             source_id=source_id)
    if edited and mirror.on_target_edited == "report":
        return PlannedAction(Action.CONFLICT, wanted.source, wanted, target, diff,
                             reason="edited on SourceCraft since scbridge wrote it",
                             source_id=source_id)
    if edited:
        reason = "edited on SourceCraft; overwritten (source-wins)"
    action = Action.UPDATE
    if set(diff) == {"status"}:
        action = Action.CLOSE if wanted.status == "closed" else Action.REOPEN
    return PlannedAction(action, wanted.source, wanted, target, diff, reason=reason,
                         source_id=source_id)


def _vanished(source_id: int, target: TargetMilestone, mirror: MirrorConfig,
              census_complete: bool) -> PlannedAction:
    """The deletion policy for a milestone GitLab no longer lists; none after a partial census."""
    def act(reason: str, action: Action = Action.SKIP,
             changes: Mapping[str, tuple[Any, Any]] | None = None) -> PlannedAction:
        return PlannedAction(action, None, None, target, changes or {}, reason=reason,
                             source_id=source_id)

    if not census_complete:
        return act("census incomplete: no deletion")
    if mirror.on_deleted == "keep":
        return act("deleted in GitLab; kept (on_deleted: keep)")
    if mirror.on_deleted == "delete":
        return act("deleted in GitLab; deleted (on_deleted: delete)", Action.DELETE)
    if target.status == "closed":
        return act("deleted in GitLab; already closed (on_deleted: close)", Action.UNCHANGED)
    return act("deleted in GitLab; closed (on_deleted: close)", Action.CLOSE,
                {"status": (target.status, "closed")})
