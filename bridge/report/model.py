"""What a run did (or would do), item by item, in one shape every renderer and `status` share."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bridge.errors import ConfigError
from bridge.models import TARGET_FIELDS, Action, ItemOutcome, PlannedAction

REPORT_VERSION = 1

#: The summary's keys: SPEC §6's, then adopted and not attempted items, then `create_closed`,
#: which is no item count of its own but how many of the creates were made closed.
SUMMARY_KEYS: tuple[str, ...] = (
    "create", "close", "reopen", "update", "delete", "unchanged", "skip", "conflict", "failed",
    "adopted", "not_attempted", "create_closed")

#: The keys of one item in the JSON report, in schema order.
ITEM_KEYS: tuple[str, ...] = (
    "source_id", "source_iid", "title", "action", "target_slug", "changes", "issues", "reason",
    "error", "adopted", "not_attempted")


@dataclass(frozen=True)
class ReportItem:
    """One GitLab milestone's line in the report: the action, what changes, and how it went."""

    source_id: int | None
    source_iid: int | None
    title: str
    action: str
    target_slug: str | None
    changes: dict[str, list[Any]]  # field -> [before, after]
    issues: dict[str, int]  # {"open": n, "closed": n}
    reason: str | None
    error: str | None
    project_path: str
    ok: bool = True
    adopted: bool = False  # found on SourceCraft by slug and name, not created
    not_attempted: bool = False  # the run stopped (a signal, refused credentials) before it

    @property
    def failed(self) -> bool:
        """True if the item failed to load, or could not be mapped at all."""
        return not self.ok or self.error is not None

    @property
    def outcome(self) -> str:
        """The summary key it counts under: not attempted, failed, adopted, or its action."""
        if self.not_attempted:
            return "not_attempted"
        if self.failed:
            return "failed"
        if self.adopted and self.action in ("create", "unchanged"):
            return "adopted"
        return self.action

    @property
    def reference(self) -> str:
        """GitLab's milestone reference (`group/project%3`), or the id when the iid is unknown."""
        if self.source_iid is not None:
            return f"{self.project_path}%{self.source_iid}"
        if self.source_id is not None:
            return f"{self.project_path} milestone id {self.source_id}".strip()
        return self.project_path

    @classmethod
    def from_planned(cls, planned: PlannedAction, outcome: ItemOutcome | None, *,
                     project_path: str) -> ReportItem:
        """The report line of one planned action; `outcome` is None in a dry run."""
        source = planned.source
        if source is not None:
            title = source.title
        elif planned.target is not None:
            title = planned.target.name
        else:
            title = planned.wanted.name if planned.wanted is not None else ""
        slug: str | None = None
        for candidate in (outcome.target if outcome is not None else None, planned.target,
                          planned.wanted):
            if candidate is not None:
                slug = candidate.slug
                break
        error, reason = planned.error, planned.reason
        not_attempted = outcome is not None and not outcome.attempted
        if not_attempted:
            reason = outcome.error if outcome is not None else None
        elif outcome is not None and not outcome.ok:
            # A failure always carries text, so the JSON (which has no `ok`) round-trips.
            error = outcome.error or "failed (no error text)"
        return cls(
            source_id=source.id if source is not None else planned.source_id,
            source_iid=source.iid if source is not None else None,
            title=title, action=str(planned.action), target_slug=slug,
            changes=_changes(planned), issues=_issues(planned), reason=reason,
            error=error, project_path=project_path or (source.project_path if source else ""),
            ok=error is None, adopted=planned.adopted or bool(outcome and outcome.adopted),
            not_attempted=not_attempted)


def _changes(planned: PlannedAction) -> dict[str, list[Any]]:
    if planned.action is Action.UNCHANGED:
        return {}
    if planned.action is Action.CREATE and planned.wanted is not None:
        # A create sets every field it has a value for; show them all as null -> value.
        wanted = planned.wanted.managed()
        return {name: [None, wanted[name]] for name in TARGET_FIELDS
                if wanted[name] not in (None, "")}
    return {name: [before, after] for name, (before, after) in planned.changes.items()}


def _issues(planned: PlannedAction) -> dict[str, int]:
    source = planned.source
    if source is None:
        return {"open": 0, "closed": 0}
    return {"open": source.issues_open, "closed": source.issues_closed}


@dataclass(frozen=True)
class RunReport:
    """A whole run: where from, where to, every item, request counts and timing."""

    command: str
    dry_run: bool
    source: dict[str, Any]
    target: dict[str, Any]
    items: tuple[ReportItem, ...]
    requests: dict[str, int]  # {"source": n, "target_read": n, "target_write": n}
    started_at: str
    finished_at: str
    duration_s: float
    exit_code: int
    version: int = REPORT_VERSION

    def summary(self) -> dict[str, int]:
        """Items by outcome, each counted once; `create_closed` is the creates made closed."""
        counts = dict.fromkeys(SUMMARY_KEYS, 0)
        for item in self.items:
            key = item.outcome
            counts[key] = counts.get(key, 0) + 1
            if key == "create" and (item.changes.get("status") or [None, None])[-1] == "closed":
                counts["create_closed"] += 1
        return counts

    @property
    def total_requests(self) -> int:
        """Every HTTP request the run sent, reads and writes on both sides."""
        return sum(self.requests.values())

    def _source(self) -> dict[str, Any]:
        source = dict(self.source)
        paths = {item.project_path for item in self.items} - {""}
        if len(paths) == 1 and str(source.get("project")) not in paths:
            # The config named the project by numeric id: keep the path the references use.
            source["project_path"] = paths.pop()
        return source

    def to_dict(self) -> dict[str, Any]:
        """The SPEC §6 JSON document, plus started_at, finished_at, duration_s and exit_code."""
        return {
            "version": self.version,
            "command": self.command,
            "dry_run": self.dry_run,
            "source": self._source(),
            "target": dict(self.target),
            "summary": self.summary(),
            "requests": dict(self.requests),
            "items": [{key: _plain(getattr(item, key)) for key in ITEM_KEYS}
                      for item in self.items],
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "duration_s": self.duration_s,
            "exit_code": self.exit_code,
        }


def _plain(value: Any) -> Any:
    """A JSON-ready copy: dicts and lists copied so the caller cannot mutate the report."""
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def report_from_dict(d: Mapping[str, Any]) -> RunReport:
    """Rebuild a report from `to_dict()` output (a JSON report, or the checkpoint's last run)."""
    try:
        version = d["version"]
        if not isinstance(version, int) or version > REPORT_VERSION:
            raise ConfigError(f"report version {version!r} is newer than this scbridge reads "
                              f"(up to {REPORT_VERSION}); upgrade scbridge")
        source = dict(d["source"])
        project_path = str(source.pop("project_path", None) or source.get("project", ""))
        items = tuple(_item_from_dict(raw, project_path) for raw in d["items"])
        return RunReport(
            command=str(d["command"]), dry_run=bool(d["dry_run"]), source=source,
            target=dict(d["target"]), items=items,
            requests={str(k): int(v) for k, v in d["requests"].items()},
            started_at=str(d.get("started_at", "")), finished_at=str(d.get("finished_at", "")),
            duration_s=float(d.get("duration_s", 0.0)), exit_code=int(d.get("exit_code", 0)),
            version=version)
    except KeyError as exc:
        raise ConfigError(f"report: missing key {exc.args[0]!r}") from None
    except (TypeError, ValueError, AttributeError) as exc:
        raise ConfigError(f"report: malformed ({exc})") from None


def _item_from_dict(raw: Mapping[str, Any], project_path: str) -> ReportItem:
    error = raw["error"]
    return ReportItem(
        source_id=raw["source_id"], source_iid=raw["source_iid"], title=str(raw["title"]),
        action=str(raw["action"]), target_slug=raw["target_slug"],
        changes={str(k): list(v) for k, v in raw["changes"].items()},
        issues={str(k): int(v) for k, v in raw["issues"].items()},
        reason=raw["reason"], error=error, project_path=project_path, ok=error is None,
        adopted=bool(raw.get("adopted", False)),
        not_attempted=bool(raw.get("not_attempted", False)))
