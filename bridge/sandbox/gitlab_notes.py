"""The fake GitLab's issue notes: database order (not creation order), hidden and award notes.

GitLab 8.x pages `noteable.notes` without an ORDER BY, so a listing comes back in the order
rows sit in the table: an edited note is rewritten at the end (as PostgreSQL writes a new row
version), and dataset order is kept as given. Synthetic projects compute their notes per issue.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

from bridge.sandbox.synthetic import SyntheticIssues, stamp

NOTE_FIELDS = ("id", "issue", "body", "author", "created_at", "updated_at", "system", "award",
               "hidden", "attachment")
_SYNTHETIC_BASE = 5_000_000


class SyntheticNotes:
    """`spec.notes` notes spread exactly over the issues whose index is not a multiple of 5."""

    def __init__(self, issues: SyntheticIssues) -> None:
        self._issues = issues
        self.total = issues.spec.notes
        self.issue_count = count = issues.count
        self._with = count - -(-count // 5)  # issues 1-4, 6-9, ...: those that have notes
        if self.total and not self._with:
            raise ValueError("a synthetic project needs 2 issues or more to carry notes")

    def _rank(self, index: int) -> int | None:
        if not self.total or index % 5 == 0:
            return None
        return index - index // 5 - 1

    def _before(self, rank: int) -> int:
        return rank * self.total // self._with

    def count(self, index: int) -> int:
        """How many notes synthetic issue `index` has (all user notes)."""
        rank = self._rank(index)
        return 0 if rank is None else self._before(rank + 1) - self._before(rank)

    def notes(self, index: int) -> list[dict[str, Any]]:
        """Issue `index`'s notes in database order: rotated, so never creation order throughout."""
        rank = self._rank(index)
        count = self.count(index)
        if rank is None or count == 0:
            return []
        first = _SYNTHETIC_BASE + self._before(rank)
        created = self._issues.created(index)
        notes = [{"id": first + k, "issue": 100_000 + index,
                  "body": f"Synthetic note {k + 1} on issue {index + 1}.", "author": "root",
                  "created_at": stamp(created + timedelta(minutes=k + 1)),
                  "updated_at": stamp(created + timedelta(minutes=k + 1)), "system": False,
                  "award": False, "hidden": False, "attachment": None} for k in range(count)]
        shift = index % count
        return notes[shift:] + notes[:shift]


class NoteTable:
    """Stored notes per issue id in database order, synthetic ones computed on demand."""

    def __init__(self, stored: list[dict[str, Any]], synthetic: SyntheticNotes | None) -> None:
        self._synthetic = synthetic
        self._by_issue: dict[int, list[dict[str, Any]]] = {}
        self._by_id: dict[int, dict[str, Any]] = {}
        for note in stored:
            self.append(note)

    def __iter__(self) -> Iterator[dict[str, Any]]:
        """Every stored note (not synthetic ones)."""
        return iter(list(self._by_id.values()))

    def of(self, issue_id: int) -> list[dict[str, Any]]:
        """Issue `issue_id`'s notes in database order (a copy of the list)."""
        if self._synthetic is not None and 100_000 <= issue_id < 100_000 + self._synthetic_count:
            return self._synthetic.notes(issue_id - 100_000)
        return list(self._by_issue.get(issue_id, []))

    @property
    def _synthetic_count(self) -> int:
        return self._synthetic.issue_count if self._synthetic is not None else 0

    def get(self, note_id: int) -> dict[str, Any] | None:
        """A stored note by id."""
        return self._by_id.get(note_id)

    def append(self, note: dict[str, Any]) -> None:
        """Store `note` at the end of its issue's rows."""
        self._by_issue.setdefault(note["issue"], []).append(note)
        self._by_id[note["id"]] = note

    def rewrite(self, note_id: int, fields: dict[str, Any]) -> dict[str, Any]:
        """Change a note; its row moves to the end of the table, as an UPDATE can."""
        note = self._by_id[note_id]
        rows = self._by_issue[note["issue"]]
        rows.remove(note)
        note.update(fields)
        rows.append(note)
        return note

    def remove(self, note_id: int) -> dict[str, Any]:
        """Delete a note; returns it."""
        note = self._by_id.pop(note_id)
        self._by_issue[note["issue"]].remove(note)
        return note

    def next_id(self) -> int:
        """An unused note id."""
        return max(self._by_id, default=3000) + 1

    def user_count(self, issue_id: int, awards: bool) -> int:
        """`user_notes_count`: non-system notes, award notes among them while they exist."""
        if self._synthetic is not None and 100_000 <= issue_id < 100_000 + self._synthetic_count:
            return self._synthetic.count(issue_id - 100_000)
        return sum(1 for n in self._by_issue.get(issue_id, [])
                   if not n["system"] and (awards or not n["award"]))
