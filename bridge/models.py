"""Typed data that crosses stage boundaries; raw JSON stays inside the client that parsed it."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

#: The SourceCraft fields scbridge manages on a milestone, in report order.
TARGET_FIELDS: tuple[str, ...] = ("name", "slug", "description", "start_date", "deadline", "status")

#: before -> after for each field that differs.
Changes = Mapping[str, tuple[Any, Any]]


@dataclass(frozen=True, slots=True)
class SourceMilestone:
    """A GitLab milestone as extracted, with the issue counts the extract stage gathered."""

    id: int
    iid: int
    project_id: int
    title: str
    description: str | None = None
    state: str = "active"  # active | closed
    due_date: str | None = None  # "YYYY-MM-DD" as GitLab sends it; parsed by the transform
    start_date: str | None = None  # absent before GitLab 8.15
    created_at: str | None = None
    updated_at: str | None = None
    project_path: str = ""
    web_url: str | None = None  # v3 has none; built from the project's web_url and the iid
    issues_open: int = 0
    issues_closed: int = 0
    from_issues_only: bool = False  # carried by issues but missing from the milestone list

    def fields(self) -> dict[str, Any]:
        """Every field by name, for rules, templates and reports."""
        return {name: getattr(self, name) for name in self.__slots__}


@dataclass(frozen=True, slots=True)
class TargetMilestone:
    """A SourceCraft milestone as the API returned it."""

    id: str
    name: str
    slug: str
    description: str = ""
    start_date: str | None = None
    deadline: str | None = None
    status: str = "open"  # open | closed
    updated_at: str | None = None

    def managed(self) -> dict[str, Any]:
        """The fields scbridge manages, comparable with `WantedMilestone.managed()`."""
        return {name: getattr(self, name) for name in TARGET_FIELDS}


@dataclass(frozen=True, slots=True)
class WantedMilestone:
    """The SourceCraft milestone one GitLab milestone should become, per the mapping."""

    source: SourceMilestone
    name: str
    slug: str
    description: str = ""
    start_date: str | None = None
    deadline: str | None = None
    status: str = "open"

    def managed(self) -> dict[str, Any]:
        """The mapped fields, comparable with `TargetMilestone.managed()`."""
        return {name: getattr(self, name) for name in TARGET_FIELDS}


@dataclass(frozen=True, slots=True)
class Skipped:
    """A GitLab milestone the mapping leaves out (`error` None) or could not map (`error` set)."""

    source: SourceMilestone
    reason: str
    error: str | None = None


class Action(enum.StrEnum):
    """What the plan does with one milestone."""

    CREATE = "create"
    CLOSE = "close"
    REOPEN = "reopen"
    UPDATE = "update"
    DELETE = "delete"
    UNCHANGED = "unchanged"
    SKIP = "skip"
    CONFLICT = "conflict"


@dataclass(frozen=True, slots=True)
class PlannedAction:
    """One step of the plan: the action, what is wanted, what the target has, and the difference."""

    action: Action
    source: SourceMilestone | None  # None only for a delete of a milestone GitLab no longer lists
    wanted: WantedMilestone | None = None
    target: TargetMilestone | None = None
    changes: Changes = field(default_factory=dict)
    reason: str | None = None
    source_id: int | None = None  # set even when `source` is None (deletes)
    # A skip whose mapping failed (`Skipped.error`) keeps its error here, so the report
    # counts it as failed rather than as a deliberate skip.
    error: str | None = None
    adopted: bool = False  # matched by slug and name with no checkpoint record: not created


@dataclass(frozen=True, slots=True)
class ItemOutcome:
    """What the load stage did with one planned action."""

    planned: PlannedAction
    ok: bool
    target: TargetMilestone | None = None
    error: str | None = None
    attempted: bool = True  # False: the run stopped (signal, refused token) before this item
    adopted: bool = False  # the create found its milestone already there (an unknown outcome)
