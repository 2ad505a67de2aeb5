"""SourceCraft's labels and issues as the API returned them, reduced to what scbridge compares."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

#: The fields scbridge manages on a label and on an issue, in report order.
LABEL_FIELDS: tuple[str, ...] = ("name", "color")
ISSUE_FIELDS: tuple[str, ...] = ("title", "description", "status", "milestone", "labels",
                                 "visibility", "assignee", "deadline")


@dataclass(frozen=True, slots=True)
class TargetLabel:
    """A SourceCraft label; its name is its natural key (a second label of one name is a 409)."""

    id: str
    name: str
    slug: str
    color: str = ""
    updated_at: str | None = None

    @property
    def key(self) -> str:
        """The natural key: the name."""
        return self.name

    def managed(self) -> dict[str, Any]:
        """The fields scbridge manages."""
        return {"name": self.name, "color": self.color.upper()}


@dataclass(frozen=True, slots=True)
class TargetIssue:
    """A SourceCraft issue; `key` is the GitLab URL its header names (set by the issue kind)."""

    id: str
    slug: str  # the number SourceCraft gave it, as text
    title: str
    description: str = ""
    status: str = "open"  # the status slug
    milestone: str | None = None  # the milestone's slug
    milestone_id: str | None = None
    labels: tuple[str, ...] = ()  # label names, sorted
    label_ids: tuple[str, ...] = ()
    visibility: str = "public"
    assignee: str | None = None  # the user's slug
    deadline: str | None = None
    updated_at: str | None = None
    key: str | None = None

    def managed(self) -> dict[str, Any]:
        """The fields scbridge manages, comparable with a wanted issue's."""
        return {"title": self.title, "description": self.description, "status": self.status,
                "milestone": self.milestone, "labels": list(self.labels),
                "visibility": self.visibility, "assignee": self.assignee,
                "deadline": self.deadline}


@dataclass(frozen=True, slots=True)
class TargetComment:
    """A comment of a SourceCraft issue; `key` is the GitLab note URL its header names."""

    id: str
    issue: str  # the issue's number
    body: str
    created_at: str | None = None
    updated_at: str | None = None
    key: str | None = None

    def managed(self) -> dict[str, Any]:
        """The one field scbridge manages."""
        return {"body": self.body}
