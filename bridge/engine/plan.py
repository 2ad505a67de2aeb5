"""The plan stage: what GitLab wants, SourceCraft has and the checkpoint remembers, compared.

Pure and written once for every kind: no request, no write, the same plan for
the same input, so a dry run shows exactly what the real run then does. A
wanted object is matched to a target object by the checkpoint first (GitLab id
-> SourceCraft id), else by its natural key (a slug, a label name, the GitLab
URL in an issue's header); one holding our key that the kind says is not ours
is never touched.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal, Protocol

from bridge.checkpoint import Record, canonical, content_hash
from bridge.config import MirrorConfig
from bridge.errors import ConfigError
from bridge.models import (
    Action,
    Change,
    Conflict,
    Create,
    Gone,
    Planned,
    Skip,
    Skipped,
    Unchanged,
)

Mode = Literal["migrate", "mirror"]
ON_DELETED = ("keep", "close", "delete")
ON_TARGET_EDITED = ("source-wins", "keep-target", "report")
_DEFAULT_MIRROR = MirrorConfig()
MIGRATE_DIFFERS = "fields differ; `scbridge mirror` updates them"


class PlanRules(Protocol):
    """The part of a Kind the planner reads."""

    name: str
    fields: tuple[str, ...]
    key_name: str

    def compare_keys(self) -> tuple[str, ...]: ...

    def conflict(self, wanted: Any, found: Any) -> str | None: ...


@dataclass(frozen=True)
class PlanInput:
    """Everything the plan compares; `census_complete` is False when any GitLab page failed."""

    results: Sequence[Any]  # wanted objects and Skipped
    target: Sequence[Any]
    records: Mapping[int, Record]
    census_complete: bool = True
    #: The target listing indexed once for a kind planned in batches (`build_index`); None:
    #: indexed here from `target` and `records`.
    index: _Index | None = None


class _Index:
    """The target's objects by id and key, and which of them the checkpoint says are ours.

    Built over the whole listing and every record, so a kind planned in batches still sees
    which target objects another batch's records claim.
    """

    def __init__(self, target: Sequence[Any], records: Mapping[int, Record]) -> None:
        self.by_id = {t.id: t for t in target}
        self.by_key: dict[str, Any] = {}
        for t in target:
            if t.key is not None:
                self.by_key.setdefault(t.key, t)  # the oldest listed wins a duplicated key
        self.owner: dict[str, int] = {}  # target id -> the GitLab id whose record claims it
        self.mine: dict[int, Any] = {}
        for source_id in sorted(records):
            found = self._recorded(records[source_id])
            if found is not None and found.id not in self.owner:
                self.owner[found.id] = source_id
                self.mine[source_id] = found

    def _recorded(self, record: Record) -> Any:
        # An id that vanished is not replaced by whoever holds the key now, and a `pending`
        # record (a POST whose answer never came) claims nothing by key alone: someone may
        # have taken it since. Both are matched like any object, by key AND the kind's own
        # check, so a POST that did land is adopted and a stranger's object is never touched.
        return None if record.target_id is None else self.by_id.get(record.target_id)


def build_index(target: Sequence[Any], records: Mapping[int, Record]) -> _Index:
    """The index `plan` matches by, built once for every batch of one kind."""
    return _Index(target, records)


def plan(kind: PlanRules, inp: PlanInput, *, mode: Mode,
         mirror: MirrorConfig = _DEFAULT_MIRROR) -> list[Planned]:
    """The actions that bring SourceCraft in line with GitLab, by GitLab id, deletions last."""
    _check(mode, mirror)
    index = inp.index if inp.index is not None else _Index(inp.target, inp.records)
    actions: list[Planned] = []
    for item in sorted(inp.results, key=lambda r: r.source.id):
        if isinstance(item, Skipped):
            actions.append(Skip(kind.name, item.source, item.reason, error=item.error))
        else:
            actions.append(_wanted(kind, item, index, records=inp.records, mode=mode,
                                   mirror=mirror))
    if mode == "mirror":
        listed = {item.source.id for item in inp.results}
        for source_id in sorted(set(inp.records) - listed):
            target = index.mine.get(source_id)
            if target is not None:
                actions.append(_vanished(kind, source_id, target, mirror, inp.census_complete))
    return actions


def _check(mode: str, mirror: MirrorConfig) -> None:
    for key, value, allowed in (("mode", mode, ("migrate", "mirror")),
                                ("mirror.on_deleted", mirror.on_deleted, ON_DELETED),
                                ("mirror.on_target_edited", mirror.on_target_edited,
                                 ON_TARGET_EDITED)):
        if value not in allowed:
            raise ConfigError(f"{key} must be one of {', '.join(allowed)}, not '{value}'",
                              key=key)


def _wanted(kind: PlanRules, wanted: Any, index: _Index, *, records: Mapping[int, Record],
            mode: Mode, mirror: MirrorConfig) -> Planned:
    source_id = wanted.source.id
    target = index.mine.get(source_id)
    record = records.get(source_id) if target is not None else None
    if target is None:
        found = index.by_key.get(wanted.key)
        if found is None:
            changes = {k: (None, v) for k, v in wanted.managed().items()
                       if v not in (None, "", ())}
            return Create(kind.name, wanted, changes=changes)
        owner = index.owner.get(found.id)
        reason = None
        if owner is not None:
            reason = (f"{kind.key_name} '{wanted.key}' belongs to the SourceCraft {kind.name} "
                      f"scbridge made for GitLab {kind.name} {owner}")
        else:
            reason = kind.conflict(wanted, found)
        if reason is not None:
            return Conflict(kind.name, wanted, found, reason)
        # The same key, and the kind agrees: adopted, ours from now on.
        matched = _matched(kind, wanted, found, None, mode=mode, mirror=mirror)
        return replace(matched, adopted=True) if isinstance(matched, Change | Unchanged) else (
            matched)
    return _matched(kind, wanted, target, record, mode=mode, mirror=mirror)


def _matched(kind: PlanRules, wanted: Any, target: Any, record: Record | None, *, mode: Mode,
             mirror: MirrorConfig) -> Planned:
    diff = _diff(wanted, target, kind.compare_keys())
    if mode == "migrate":
        return _migrate(kind, wanted, target, record, diff)
    return _mirror(kind, wanted, target, record, diff, mirror=mirror)


def _diff(wanted: Any, target: Any, keys: tuple[str, ...]) -> dict[str, tuple[Any, Any]]:
    """before -> after for each managed field whose content differs (not merely its spelling)."""
    have, want = target.managed(), wanted.managed()
    if have == want and all(k in have for k in keys):
        return {}  # spelled the same, so the same content (most of a re-run): nothing to parse
    have_c, want_c = canonical(have), canonical(want)
    return {k: (have[k], want[k]) for k in keys if have_c[k] != want_c[k]}


def _migrate(kind: PlanRules, wanted: Any, target: Any, record: Record | None,
             diff: dict[str, tuple[Any, Any]]) -> Planned:
    """Migrate creates and closes; it reopens only what it closed itself, and updates nothing.

    Except what scbridge still owes its own writes: a text whose references could not point
    at their target yet (a kind's `owed`), finished now that the target exists.
    """
    if not diff:
        return Unchanged(kind.name, wanted, target, diff)  # what the rest would say of it
    owed = getattr(kind, "owed", None)
    if set(diff) == {"description"} and owed is not None and owed(wanted, target):
        return Change(kind.name, Action.UPDATE, wanted, target, diff,
                      reason="references completed: what they point at exists now")
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
            return Change(kind.name, action, wanted, target, {"status": status}, reason=others)
        diff["status"] = status
        reasons.append("closed on SourceCraft, not by scbridge; kept")
    return Unchanged(kind.name, wanted, target, diff, reason="; ".join(reasons) or None)


def _mirror(kind: PlanRules, wanted: Any, target: Any, record: Record | None,
            diff: dict[str, tuple[Any, Any]], *, mirror: MirrorConfig) -> Planned:
    """Mirror brings every managed field in line, minding edits made on SourceCraft."""
    if not diff:
        return Unchanged(kind.name, wanted, target)
    # The hash of what we last wrote, not `updated_at`: SourceCraft may move `updated_at` for
    # things scbridge does not manage, and that must not pass for an edit of our fields.
    edited = (record is not None and record.written_hash is not None
              and content_hash(target.managed()) != record.written_hash)
    reason = None
    if edited and mirror.on_target_edited == "keep-target":
        return Skip(kind.name, wanted.source, "edited on SourceCraft; kept (keep-target)",
                    wanted=wanted, target=target, changes=diff)
    if edited and mirror.on_target_edited == "report":
        return Conflict(kind.name, wanted, target,
                        "edited on SourceCraft since scbridge wrote it", changes=diff)
    if edited:
        reason = "edited on SourceCraft; overwritten (source-wins)"
    action = Action.UPDATE
    if set(diff) == {"status"}:
        action = Action.CLOSE if wanted.status == "closed" else Action.REOPEN
    return Change(kind.name, action, wanted, target, diff, reason=reason)


def _vanished(kind: PlanRules, source_id: int, target: Any, mirror: MirrorConfig,
              census_complete: bool) -> Gone:
    """The deletion policy for an object GitLab no longer lists; none after a partial census."""
    def act(reason: str, action: Action = Action.SKIP,
            changes: Mapping[str, tuple[Any, Any]] | None = None) -> Gone:
        return Gone(kind.name, action, source_id, target, reason, dict(changes or {}))

    if not census_complete:
        return act("census incomplete: no deletion")
    if mirror.on_deleted == "keep":
        return act("deleted in GitLab; kept (on_deleted: keep)")
    if mirror.on_deleted == "delete":
        return act("deleted in GitLab; deleted (on_deleted: delete)", Action.DELETE)
    if "status" not in kind.fields:
        return act(f"deleted in GitLab; a {kind.name} cannot be closed, kept (on_deleted: close)")
    if target.status == "closed":
        return act("deleted in GitLab; already closed (on_deleted: close)", Action.UNCHANGED)
    return act("deleted in GitLab; closed (on_deleted: close)", Action.CLOSE,
               {"status": (target.status, "closed")})
