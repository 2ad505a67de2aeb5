"""GitLab's projects, issues and labels as typed records: what the clients parse into."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from bridge.models import SourceMilestone


@dataclass(frozen=True)
class Project:
    """The GitLab project, resolved once from its path (or id) to its numeric id."""

    id: int
    path: str
    web_url: str | None


@dataclass(frozen=True, slots=True)
class GitLabUser:
    """GitLab's UserBasic: who wrote or is assigned to something (there is no e-mail)."""

    username: str
    name: str


@dataclass(frozen=True)
class IssueRef:
    """One GitLab issue: its state and milestone (for counts), and what the issue kind moves.

    Fields missing from older GitLab versions are None: `user_notes_count` before 8.8,
    `due_date` before 8.10, `confidential` and `web_url` before 8.12.
    """

    id: int
    iid: int
    state: str
    milestone: SourceMilestone | None
    updated_at: str | None
    title: str = ""
    description: str | None = None
    labels: tuple[str, ...] = ()  # label names, as v3 sends them
    author: GitLabUser | None = None
    assignee: GitLabUser | None = None
    created_at: str | None = None
    due_date: str | None = None
    confidential: bool = False
    web_url: str | None = None
    user_notes_count: int | None = None
    project_path: str = ""


SourceIssue = IssueRef


@dataclass(frozen=True, slots=True)
class SourceLabel:
    """A GitLab label: a name (unique per project), `#rgb` or `#rrggbb`, maybe a description."""

    name: str
    color: str
    description: str | None = None
    gitlab_id: int | None = None  # from 8.14
    project_path: str = ""

    @property
    def id(self) -> int:
        """A stable id from the name: labels have no id before 8.14, and the name is the key."""
        return label_id(self.name)

    @property
    def title(self) -> str:
        """The name, as the report's title."""
        return self.name

    def fields(self) -> dict[str, Any]:
        """Every field by name, for rules and templates."""
        return {"name": self.name, "color": self.color, "description": self.description,
                "id": self.gitlab_id}


def label_id(name: str) -> int:
    """The checkpoint's id for the label `name`: 56 bits of its sha256, the same everywhere."""
    return int.from_bytes(hashlib.sha256(name.encode("utf-8")).digest()[:7], "big")


@dataclass(frozen=True, slots=True)
class SourceNote:
    """One note of a GitLab issue; `updated_at` from 8.7, `attachment` a legacy file name."""

    id: int
    issue_id: int  # the issue's global id
    issue_iid: int
    body: str
    author: GitLabUser | None
    created_at: str | None
    updated_at: str | None
    system: bool = False
    attachment: str | None = None

    @property
    def title(self) -> str:
        """How the report names it."""
        return f"note {self.id} on #{self.issue_iid}"
