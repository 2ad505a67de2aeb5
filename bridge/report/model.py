"""What a run did (or would do), item by item, in one shape every renderer and `status` share."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bridge.models import (
    Create,
    ItemOutcome,
    Planned,
    Skip,
    Unchanged,
    source_id_of,
    source_of,
    target_of,
    wanted_of,
)
from bridge.report.protocols import ReportRows, Tallied

REPORT_VERSION = 2

#: The summary's keys: SPEC §6's, then adopted and not attempted items, then `create_closed`,
#: which is no item count of its own but how many of the creates were made closed.
SUMMARY_KEYS: tuple[str, ...] = (
    "create", "close", "reopen", "update", "delete", "unchanged", "skip", "conflict", "failed",
    "adopted", "not_attempted", "create_closed")

#: The keys of one item in the JSON report, in schema order.
ITEM_KEYS: tuple[str, ...] = (
    "kind", "source_id", "source_iid", "title", "reference", "action", "target_slug", "changes",
    "issues", "reason", "error", "adopted", "attempted", "extra")


@dataclass(frozen=True)
class ReportItem:
    """One GitLab object's line in the report: the action, what changes, and how it went."""

    source_id: int | None
    source_iid: int | None
    title: str
    action: str
    target_slug: str | None
    changes: dict[str, list[Any]]  # field -> [before, after]
    issues: dict[str, int] | None  # a milestone's {"open": n, "closed": n}; None for others
    reason: str | None
    error: str | None
    project_path: str
    ok: bool = True
    kind: str = "milestone"  # version 1 reports held milestones only
    ref: str | None = None  # GitLab's reference; None: built as a milestone's (version 1)
    attempted: bool = True  # False: the run stopped before this item's turn
    adopted: bool = False  # found on SourceCraft by its key and recorded as ours, not created
    extra: dict[str, int] | None = None  # small counts a kind adds (an issue's comments, refs)

    @property
    def failed(self) -> bool:
        """True if the item failed to load, or could not be mapped at all."""
        return self.attempted and (not self.ok or self.error is not None)

    @property
    def problem(self) -> bool:
        """A failure or a conflict: what a person must look at."""
        return self.failed or self.action == "conflict"

    @property
    def outcome(self) -> str:
        """The summary key it counts under: not attempted, failed, adopted, or its action."""
        if not self.attempted:
            return "not_attempted"
        if self.failed:
            return "failed"
        if self.adopted and self.action in ("create", "unchanged"):
            return "adopted"
        return self.action

    @property
    def reference(self) -> str:
        """GitLab's reference (`group/project%3`, `group/project#12`, `~bug`)."""
        if self.ref is not None:
            return self.ref
        if self.source_iid is not None:
            return f"{self.project_path}%{self.source_iid}"
        if self.source_id is not None:
            return f"{self.project_path} milestone id {self.source_id}".strip()
        return self.project_path

    @classmethod
    def from_planned(cls, planned: Planned, outcome: ItemOutcome | None, *,
                     project_path: str, kind: ReportRows) -> ReportItem:
        """The report line of one planned action; `outcome` is None in a dry run."""
        source, wanted, target = source_of(planned), wanted_of(planned), target_of(planned)
        title = kind.title_of(source, target, wanted)
        slug: str | None = None
        for candidate in (outcome.target if outcome is not None else None, target, wanted):
            if candidate is not None:
                slug = kind.slug_of(candidate)
                break
        error = planned.error if isinstance(planned, Skip) else None
        attempted = outcome is None or outcome.attempted
        stopped = outcome.error if outcome is not None and not attempted else None
        if outcome is not None and not outcome.ok and attempted:
            # A failure always carries text, so the JSON (which has no `ok`) round-trips.
            error = outcome.error or "failed (no error text)"
        path = project_path or str(getattr(source, "project_path", "") or "")
        # A kind may say more about what it wants (an issue's links it could not keep).
        notes = [text for text in (planned.reason, getattr(wanted, "note", None), stopped)
                 if text]
        source_id = source_id_of(planned)
        return cls(
            source_id=source_id, source_iid=getattr(source, "iid", None),
            title=title, action=str(planned.action), target_slug=slug,
            changes=_changes(planned), issues=kind.counts(source),
            reason="; ".join(notes) or None,
            error=error, project_path=path, ok=error is None, kind=kind.name,
            ref=kind.reference(source, source_id, path), attempted=attempted,
            adopted=bool(getattr(planned, "adopted", False)
                         or (outcome is not None and outcome.adopted)),
            extra=_extra(kind, planned))


def _extra(kind: ReportRows, planned: Planned) -> dict[str, int] | None:
    """The kind's optional `extra_counts(planned)`: counts shown beside the item, or None.

    Without one, a create or update whose wanted text had references rewritten counts them.
    """
    counts = getattr(kind, "extra_counts", None)
    found = counts(planned) if callable(counts) else None
    if found is None and str(planned.action) in ("create", "update"):
        rewritten = getattr(wanted_of(planned), "references", 0)
        found = {"references": rewritten} if isinstance(rewritten, int) and rewritten else None
    return {str(k): int(v) for k, v in found.items()} if found else None


def _changes(planned: Planned) -> dict[str, list[Any]]:
    if isinstance(planned, Unchanged):
        return {}
    if isinstance(planned, Create):
        # A create sets every field it has a value for; show them all as null -> value.
        return {name: [None, _plain(after)] for name, (_before, after) in planned.changes.items()}
    return {name: [_plain(before), _plain(after)]
            for name, (before, after) in planned.changes.items()}


@dataclass(frozen=True)
class RunReport:
    """A whole run: where from, where to, every item, request counts and timing."""

    command: str
    dry_run: bool
    source: dict[str, Any]
    target: dict[str, Any]
    items: Sequence[ReportItem]  # a tuple, or the run's `Spill` of them
    requests: dict[str, int]  # {"source": n, "target_read": n, "target_write": n}
    started_at: str
    finished_at: str
    duration_s: float
    exit_code: int
    version: int = REPORT_VERSION
    notes: tuple[str, ...] = ()  # said once for the whole run (e.g. what has nowhere to go)

    def summary(self) -> dict[str, int]:
        """Items by action over every kind; a failed item counts under "failed" only."""
        total = dict.fromkeys(SUMMARY_KEYS, 0)
        for counts in self.summary_by_kind().values():
            for key, n in counts.items():
                total[key] = total.get(key, 0) + n
        return total

    def summary_by_kind(self) -> dict[str, dict[str, int]]:
        """The summary of each kind present, in the order the run met them (counted once:
        600,000 items are read from disk once, not for every line that quotes them)."""
        if isinstance(self.items, Tallied):  # counted as they came: nothing is read
            return self.items.summary_by_kind()
        cached = self.__dict__.get("_by_kind")
        if cached is None or cached[0] is not self.items:
            kinds: dict[str, dict[str, int]] = {}
            for item in self.items:
                count_one(kinds.setdefault(item.kind, dict.fromkeys(SUMMARY_KEYS, 0)), item)
            cached = (self.items, kinds)
            object.__setattr__(self, "_by_kind", cached)
        return {kind: dict(counts) for kind, counts in cached[1].items()}

    @property
    def total_requests(self) -> int:
        """Every HTTP request the run sent, reads and writes on both sides."""
        return sum(self.requests.values())

    def _source(self) -> dict[str, Any]:
        source = dict(self.source)
        paths = (self.items.project_paths() if isinstance(self.items, Tallied)
                 else {item.project_path for item in self.items}) - {""}
        if len(paths) == 1 and str(source.get("project")) not in paths:
            # The config named the project by numeric id: keep the path the references use.
            source["project_path"] = paths.pop()
        return source

    def to_dict(self, *, items: bool = True) -> dict[str, Any]:
        """The SPEC §6 JSON document, plus started_at, finished_at, duration_s and exit_code.

        With `items=False` the items list is left empty, for a writer that adds them one at
        a time (`bridge.report.files.json_pieces`).
        """
        return {
            "version": self.version,
            "command": self.command,
            "dry_run": self.dry_run,
            "source": self._source(),
            "target": dict(self.target),
            "summary": self.summary(),
            "summary_by_kind": self.summary_by_kind(),
            "requests": dict(self.requests),
            "items": [item_dict(item) for item in self.items] if items else [],
            "notes": list(self.notes),
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "duration_s": self.duration_s,
            "exit_code": self.exit_code,
        }


def item_dict(item: ReportItem) -> dict[str, Any]:
    """One item as the JSON report writes it."""
    return {key: _plain(getattr(item, key)) for key in ITEM_KEYS}


def count_one(counts: dict[str, int], item: ReportItem) -> None:
    """Count `item` in its kind's summary `counts`."""
    key = item.outcome
    counts[key] = counts.get(key, 0) + 1
    if key == "create" and (item.changes.get("status") or [None, None])[-1] == "closed":
        counts["create_closed"] += 1


def _plain(value: Any) -> Any:
    """A JSON-ready copy: dicts and lists copied so the caller cannot mutate the report."""
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value
