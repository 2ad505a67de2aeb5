"""Typed data that crosses stage boundaries; raw JSON stays inside the client that parsed it."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

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

    @property
    def key(self) -> str:
        """The natural key: a milestone is found by its slug."""
        return self.slug

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

    @property
    def key(self) -> str:
        """The natural key: a milestone is found by its slug."""
        return self.slug

    def managed(self) -> dict[str, Any]:
        """The mapped fields, comparable with `TargetMilestone.managed()`."""
        return {name: getattr(self, name) for name in TARGET_FIELDS}


@dataclass(frozen=True, slots=True)
class Skipped:
    """A GitLab object the mapping leaves out (`error` None) or could not map (`error` set)."""

    source: Any
    reason: str
    error: str | None = None


class Action(enum.StrEnum):
    """What the plan does with one object."""

    CREATE = "create"
    CLOSE = "close"
    REOPEN = "reopen"
    UPDATE = "update"
    DELETE = "delete"
    UNCHANGED = "unchanged"
    SKIP = "skip"
    CONFLICT = "conflict"


@runtime_checkable
class SourceItem(Protocol):
    """A GitLab object as extracted: the engine needs its id and a title for the report."""

    @property
    def id(self) -> int: ...

    @property
    def title(self) -> str: ...


@runtime_checkable
class WantedItem(Protocol):
    """What one GitLab object should be on SourceCraft, per the mapping."""

    @property
    def source(self) -> Any: ...

    @property
    def key(self) -> str: ...

    def managed(self) -> dict[str, Any]: ...


@runtime_checkable
class TargetItem(Protocol):
    """A SourceCraft object as the API returned it."""

    @property
    def id(self) -> str: ...

    @property
    def key(self) -> str | None: ...

    def managed(self) -> dict[str, Any]: ...


# A planned action is one of these, each with the fields its action needs and no others.

@dataclass(frozen=True, slots=True)
class Create:
    """Create `wanted`: SourceCraft has no object for it."""

    kind: str
    wanted: Any
    changes: Changes = field(default_factory=dict)
    reason: str | None = None
    action: Action = Action.CREATE


@dataclass(frozen=True, slots=True)
class Change:
    """Bring `target` in line with `wanted`: an update, a close or a reopen."""

    kind: str
    action: Action  # CLOSE | REOPEN | UPDATE
    wanted: Any
    target: Any
    changes: Changes
    reason: str | None = None
    adopted: bool = False  # `target` matched by its key, no checkpoint record: not created


@dataclass(frozen=True, slots=True)
class Unchanged:
    """`target` is ours and stays as it is; `changes` lists what differs but is not written."""

    kind: str
    wanted: Any
    target: Any
    changes: Changes = field(default_factory=dict)
    reason: str | None = None
    action: Action = Action.UNCHANGED
    adopted: bool = False  # `target` matched by its key, no checkpoint record: not created


@dataclass(frozen=True, slots=True)
class Skip:
    """Nothing is written for `source`: left out by the mapping (or a policy), or not mappable."""

    kind: str
    source: Any
    reason: str
    error: str | None = None  # the mapping failed: counted as failed, not as a choice
    wanted: Any = None  # set when a policy (keep-target) keeps a mapped object as it is
    target: Any = None
    changes: Changes = field(default_factory=dict)
    action: Action = Action.SKIP


@dataclass(frozen=True, slots=True)
class Conflict:
    """`target` holds our natural key but is not ours (or was edited): nothing is written."""

    kind: str
    wanted: Any
    target: Any
    reason: str
    changes: Changes = field(default_factory=dict)
    action: Action = Action.CONFLICT


@dataclass(frozen=True, slots=True)
class Gone:
    """The deletion policy for an object GitLab no longer lists (mirror): by its ledger id."""

    kind: str
    action: Action  # DELETE | CLOSE | UNCHANGED | SKIP
    source_id: int
    target: Any
    reason: str
    changes: Changes = field(default_factory=dict)


Planned = Create | Change | Unchanged | Skip | Conflict | Gone


def source_id_of(planned: Planned) -> int:
    """The GitLab id a planned action is about, whatever its shape."""
    if isinstance(planned, Gone):
        return planned.source_id
    if isinstance(planned, Skip):
        return int(planned.source.id)
    return int(planned.wanted.source.id)


def source_of(planned: Planned) -> Any:
    """The GitLab object a planned action is about, None for a `Gone`."""
    if isinstance(planned, Gone):
        return None
    if isinstance(planned, Skip):
        return planned.source
    return planned.wanted.source


def wanted_of(planned: Planned) -> Any:
    """What the mapping wants, None where the action has none (a skip, a deletion)."""
    return None if isinstance(planned, Gone) else planned.wanted


def target_of(planned: Planned) -> Any:
    """The SourceCraft object the plan found for it, None for a create."""
    return None if isinstance(planned, Create) else planned.target


@dataclass(frozen=True, slots=True)
class ItemOutcome:
    """What the load stage did with one planned action; `attempted` is False after a stop."""

    planned: Planned
    ok: bool
    target: Any = None
    error: str | None = None
    attempted: bool = True
    adopted: bool = False  # the create found its object already there (an unknown outcome)
