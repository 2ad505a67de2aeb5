"""Test handles on the fake GitLab's labels, notes and issue deletion, made as GitLab makes them."""

from __future__ import annotations

import abc
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from bridge.sandbox.gitlab_notes import NOTE_FIELDS

if TYPE_CHECKING:
    from bridge.sandbox.gitlab_notes import NoteTable
    from bridge.sandbox.gitlab_render import Version
    from bridge.sandbox.issues import IssueTable

_LABEL_FIELDS = ("name", "color", "description", "priority", "group")


class TrackerHandles(abc.ABC):
    """Mixed into GitLabState. Note edits bump their issue's `updated_at` from 8.5, as GitLab's
    `touch: true` does; label renames follow into the issues that carry the label."""

    lock: threading.RLock
    label_rows: dict[int, dict[str, Any]]
    issues: IssueTable
    notes: NoteTable
    _stamp: Callable[[], str]

    @property
    @abc.abstractmethod
    def release(self) -> Version:
        """The GitLab version the handles follow (GitLabState parses it from its dataset)."""

    # ---- labels -----------------------------------------------------------------------------

    def labels(self) -> list[dict[str, Any]]:
        """The stored labels (id, name, color, description, priority, group), by id."""
        with self.lock:
            return [dict(la) for _, la in sorted(self.label_rows.items())]

    def add_label(self, name: str, color: str = "#428BCA", **fields: Any) -> dict[str, Any]:
        """Create a label (`description`, `priority`, `group=True` for a group label, `id`)."""
        with self.lock:
            ident = int(fields.pop("id", max(self.label_rows, default=10) + 1))
            stored = {"id": ident, "name": name, "color": color, "description": None,
                      "priority": None, "group": False}
            stored.update(self._label_fields({"name": name, **fields}))
            self.label_rows[ident] = stored
            return dict(stored)

    def update_label(self, label_id: int, **fields: Any) -> dict[str, Any]:
        """Change a label; a new name is carried into every stored issue that had the old one."""
        with self.lock:
            stored = self.label_rows[label_id]
            old = stored["name"]
            stored.update(self._label_fields(fields))
            if stored["name"] != old:
                self._relabel(old, stored["name"])
            return dict(stored)

    def remove_label(self, label_id: int) -> None:
        """Delete a label; stored issues lose it."""
        with self.lock:
            self._relabel(self.label_rows.pop(label_id)["name"], None)

    # ---- notes ------------------------------------------------------------------------------

    def issue_notes(self, issue_id: int) -> list[dict[str, Any]]:
        """Issue `issue_id`'s stored notes in database order (award and hidden ones too)."""
        with self.lock:
            return [dict(n) for n in self.notes.of(issue_id)]

    def add_note(self, issue_id: int, body: str, **fields: Any) -> dict[str, Any]:
        """Add a note (`author`, `system`, `award`, `hidden`, `created_at`, `attachment`, `id`)."""
        with self.lock:
            self._stored_index(issue_id)
            now = self._stamp()
            note = {"id": self.notes.next_id(), "issue": issue_id, "body": body,
                    "author": "root", "created_at": now, "updated_at": now, "system": False,
                    "award": False, "hidden": False, "attachment": None}
            note.update(self._note_fields(fields))
            note["updated_at"] = fields.get("updated_at", note["created_at"])
            self.notes.append(note)
            self._touch(issue_id)
            return dict(note)

    def update_note(self, note_id: int, **fields: Any) -> dict[str, Any]:
        """Edit a note as GitLab does: `updated_at` moves (unless given), the issue is touched."""
        with self.lock:
            note = self.notes.get(note_id)
            if note is None:
                raise KeyError(note_id)
            changed = self.notes.rewrite(note_id, {"updated_at": self._stamp(),
                                                   **self._note_fields(fields)})
            self._touch(changed["issue"])
            return dict(changed)

    def remove_note(self, note_id: int) -> None:
        """Delete a note; the issue is touched (8.5+)."""
        with self.lock:
            if self.notes.get(note_id) is None:
                raise KeyError(note_id)
            self._touch(self.notes.remove(note_id)["issue"])

    def remove_issue(self, issue_id: int) -> None:
        """Delete a stored issue and its notes, as DELETE does from 8.6 (its iid stays a gap)."""
        with self.lock:
            index = self._stored_index(issue_id)
            for note in self.notes.of(issue_id):
                self.notes.remove(note["id"])
            self.issues.remove(index)

    # ---- helpers ----------------------------------------------------------------------------

    def _stored_index(self, issue_id: int) -> int:
        index = self.issues.index_of_id(issue_id)
        if index is None:
            raise KeyError(issue_id)
        if not self.issues.is_stored(index):
            raise ValueError("synthetic issues cannot be edited; add stored ones instead")
        return index

    def _touch(self, issue_id: int) -> None:
        if self.release >= (8, 5, 0):
            self.issues.update(self._stored_index(issue_id), {"updated_at": self._stamp()})

    def _relabel(self, old: str, new: str | None) -> None:
        for index in self.issues.stored_indices():
            names = self.issues.stored(index)["labels"]
            if old in names:
                replaced = [new if n == old else n for n in names]
                self.issues.update(index, {"labels": [n for n in replaced if n is not None]})

    @staticmethod
    def _label_fields(fields: dict[str, Any]) -> dict[str, Any]:
        unknown = set(fields) - set(_LABEL_FIELDS)
        if unknown:
            raise ValueError(f"a GitLab label has no field {', '.join(sorted(unknown))}")
        if "," in str(fields.get("name", "")):
            raise ValueError("a GitLab label name has no comma")
        return fields

    @staticmethod
    def _note_fields(fields: dict[str, Any]) -> dict[str, Any]:
        unknown = set(fields) - set(NOTE_FIELDS)
        if unknown or "issue" in fields:
            raise ValueError(f"a note takes no field {', '.join(sorted(unknown | {'issue'}))}")
        return fields
