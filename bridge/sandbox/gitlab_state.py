"""The fake GitLab's data in the JSON shapes GitLab 8.x sends, and handles for tests to edit it."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from bridge.sandbox.dataset import Dataset
from bridge.sandbox.gitlab_handles import TrackerHandles
from bridge.sandbox.gitlab_notes import NoteTable, SyntheticNotes
from bridge.sandbox.gitlab_render import (
    Version,
    awards_are_notes,
    issue_json,
    label_json,
    note_json,
    parse_version,
)
from bridge.sandbox.issues import IssueTable
from bridge.sandbox.synthetic import SyntheticIssues, stamp

_MILESTONE_FIELDS = ("title", "description", "state", "due_date", "start_date", "created_at",
                     "updated_at", "hidden")


class GitLabState(TrackerHandles):
    """One project's milestones, labels, issues and notes; thread-safe, rendered per request."""

    def __init__(self, dataset: Dataset, *, now: Callable[[], float] = time.time) -> None:
        self.project = dataset.project
        self.version = dataset.gitlab_version
        self.users = {user["username"]: user for user in dataset.users}
        self.url = "http://127.0.0.1"  # set by the Sandbox once the port is known
        self._now = now
        self.lock = threading.RLock()
        self._milestones = {m["id"]: m for m in dataset.milestones}
        synthetic = None
        if dataset.synthetic is not None:
            listed = sorted(m["id"] for m in dataset.milestones if not m["hidden"])
            hidden = sorted(m["id"] for m in dataset.milestones if m["hidden"])
            synthetic = SyntheticIssues(dataset.synthetic, listed, hidden)
        self.issues = IssueTable(dataset.issues, synthetic)
        self.label_rows: dict[int, dict[str, Any]] = {la["id"]: la for la in dataset.labels}
        notes = SyntheticNotes(synthetic) if synthetic is not None else None
        self.notes = NoteTable(dataset.notes, notes)

    # ---- the handles tests use -------------------------------------------------------------

    def milestones(self) -> list[dict[str, Any]]:
        """The milestones GitLab lists (hidden ones left out), as JSON, id descending."""
        with self.lock:
            return [self.milestone_json(m) for m in self.listed()]

    def add_milestone(self, **fields: Any) -> dict[str, Any]:
        """Create a milestone (`title` required; `hidden=True` keeps it off the list); its JSON."""
        with self.lock:
            if "title" not in fields:
                raise ValueError("add_milestone needs a title")
            ident = int(fields.pop("id", max(self._milestones, default=100) + 1))
            last_iid = max((m["iid"] for m in self._milestones.values()), default=0)
            iid = int(fields.pop("iid", last_iid + 1))
            now = self._stamp()
            stored = {"id": ident, "iid": iid, "title": "", "description": "", "state": "active",
                      "created_at": now, "updated_at": now, "due_date": None, "start_date": None,
                      "hidden": False}
            stored.update(self._checked(fields))
            self._milestones[ident] = stored
            return self.milestone_json(stored)

    def update_milestone(self, milestone_id: int, **fields: Any) -> dict[str, Any]:
        """Change a milestone as an edit in GitLab would; `updated_at` moves unless given."""
        with self.lock:
            stored = self._milestones[milestone_id]
            stored.update({"updated_at": self._stamp(), **self._checked(fields)})
            return self.milestone_json(stored)

    def remove_milestone(self, milestone_id: int) -> None:
        """Delete a milestone; issues that carried it then carry none, as in GitLab."""
        with self.lock:
            del self._milestones[milestone_id]

    def add_issue(self, **fields: Any) -> dict[str, Any]:
        """Create an issue (`milestone` is a milestone id or None); its JSON."""
        with self.lock:
            ident, iid = self.issues.next_ids()
            now = self._stamp()
            stored: dict[str, Any] = {
                "id": ident, "iid": iid, "title": f"Issue {iid}", "description": "",
                "state": "opened", "created_at": now, "updated_at": now, "labels": [],
                "milestone": None, "author": "root", "assignee": None, "due_date": None,
                "confidential": False}
            unknown = set(fields) - set(stored)
            if unknown:
                raise ValueError(f"add_issue takes no field {', '.join(sorted(unknown))}")
            stored.update(fields)
            self.issues.append(stored)
            return self.issue_json(stored, self.url)

    def update_issue(self, issue_id: int, **fields: Any) -> dict[str, Any]:
        """Change a stored issue (state, milestone id, ...); `updated_at` moves unless given."""
        with self.lock:
            index = self.issues.index_of_id(issue_id)
            if index is None:
                raise KeyError(issue_id)
            stored = self.issues.stored(index)
            unknown = set(fields) - set(stored)
            if unknown:
                raise ValueError(f"an issue has no field {', '.join(sorted(unknown))}")
            self.issues.update(index, {"updated_at": self._stamp(), **fields})
            return self.issue_json(self.issues.stored(index), self.url)

    def sorts_issues(self) -> bool:
        """Whether issue listings honour order_by and sort: GitLab 8.12 and later."""
        return self.release >= (8, 12, 0)

    @property
    def release(self) -> Version:
        """The GitLab version as a comparable tuple, e.g. (8, 17, 8)."""
        return parse_version(self.version)

    # ---- lookups and rendering for the app -------------------------------------------------

    def listed(self) -> list[dict[str, Any]]:
        """Stored milestones GitLab would list, id descending (the order since 8.2)."""
        return sorted((m for m in self._milestones.values() if not m["hidden"]),
                      key=lambda m: m["id"], reverse=True)

    def milestone(self, milestone_id: int, *, hidden: bool = False) -> dict[str, Any] | None:
        """A stored milestone by global id; hidden ones only when asked for."""
        stored = self._milestones.get(milestone_id)
        return stored if stored is not None and (hidden or not stored["hidden"]) else None

    def milestone_ids_titled(self, title: str) -> frozenset[int | None]:
        """Ids of every milestone (hidden too) with `title`, as the issue filter matches them."""
        return frozenset(m["id"] for m in self._milestones.values() if m["title"] == title)

    def milestone_json(self, stored: dict[str, Any]) -> dict[str, Any]:
        """A v3 milestone: no web_url; start_date present (GitLab 8.15 and later)."""
        return {"id": stored["id"], "iid": stored["iid"], "project_id": self.project["id"],
                "title": stored["title"], "description": stored["description"],
                "state": stored["state"], "created_at": stored["created_at"],
                "updated_at": stored["updated_at"], "due_date": stored["due_date"],
                "start_date": stored["start_date"]}

    def issue_json(self, stored: dict[str, Any], base: str) -> dict[str, Any]:
        """A v3 issue with its whole milestone object embedded and the fields of the version."""
        milestone = self._milestones.get(stored["milestone"]) if stored["milestone"] else None
        release = self.release
        return issue_json(
            stored, release, project_id=self.project["id"],
            milestone=self.milestone_json(milestone) if milestone else None,
            assignee=self._user_json(stored["assignee"], base),
            author=self._user_json(stored["author"], base),
            notes_count=self.notes.user_count(stored["id"], awards_are_notes(release)),
            web_url=f"{base}/{self.project['path']}/issues/{stored['iid']}")

    def labels_json(self) -> list[dict[str, Any]]:
        """`GET /projects/:id/labels`: every label by name, group ones from 8.13, all at once."""
        release = self.release
        counts = self.issues.label_counts()
        rows = [la for la in self.label_rows.values()
                if not la["group"] or release >= (8, 13, 0)]
        rows.sort(key=lambda la: (la["name"], la["id"]))
        return [label_json(la, release, counts.get(la["name"], (0, 0))) for la in rows]

    def served_notes(self, issue_id: int) -> list[dict[str, Any]]:
        """The rows `GET .../notes` pages over, in database order (award notes only 8.2-8.8)."""
        awards = awards_are_notes(self.release)
        return [n for n in self.notes.of(issue_id) if awards or not n["award"]]

    def note_json(self, stored: dict[str, Any], base: str) -> dict[str, Any]:
        """A v3 note with the fields of the version."""
        return note_json(stored, self.release, self._user_json(stored["author"], base))

    def project_json(self, base: str) -> dict[str, Any]:
        """`GET /projects/:id` as v3 answers it (the fields a client may look at)."""
        project = self.project
        namespace, _, path = project["path"].rpartition("/")
        return {"id": project["id"], "description": project["description"],
                "default_branch": "master", "tag_list": [], "public": False, "archived": False,
                "visibility_level": 0, "ssh_url_to_repo": f"git@127.0.0.1:{project['path']}.git",
                "http_url_to_repo": f"{base}/{project['path']}.git",
                "web_url": f"{base}/{project['path']}", "name": project["name"],
                "name_with_namespace": f"{namespace} / {project['name']}", "path": path,
                "path_with_namespace": project["path"], "issues_enabled": True,
                "open_issues_count": 0, "created_at": project["created_at"],
                "last_activity_at": project["created_at"],
                "namespace": {"id": 1, "name": namespace, "path": namespace, "kind": "group"}}

    def _user_json(self, username: str | None, base: str) -> dict[str, Any] | None:
        if username is None:
            return None
        user = self.users.get(username) or {"id": 1, "username": username, "name": username,
                                            "state": "active", "avatar_url": None}
        return {"name": user["name"], "username": user["username"], "id": user["id"],
                "state": user["state"], "avatar_url": user["avatar_url"],
                "web_url": f"{base}/{user['username']}"}

    def _stamp(self) -> str:
        return stamp(datetime.fromtimestamp(self._now(), tz=UTC))

    @staticmethod
    def _checked(fields: dict[str, Any]) -> dict[str, Any]:
        unknown = set(fields) - set(_MILESTONE_FIELDS)
        if unknown:
            raise ValueError(f"a GitLab milestone has no field {', '.join(sorted(unknown))}")
        if fields.get("state", "active") not in ("active", "closed"):
            raise ValueError("a GitLab milestone's state is active or closed")
        return fields
