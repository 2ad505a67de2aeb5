"""The fake GitLab's issues: filtered, ordered views computed once per query, pages by slicing."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bridge.sandbox.synthetic import SyntheticIssues


@dataclass(frozen=True, slots=True)
class IssueQuery:
    """The filters and order of one issue listing; equal queries share one cached view."""

    state: str = "all"  # opened (includes reopened) | closed | all
    labels: frozenset[str] = frozenset()  # ANY of them (v3)
    milestones: frozenset[int | None] | None = None  # None: no milestone filter
    iid: int | None = None
    order_by: str = "created_at"
    sort: str = "desc"


def _when(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


class IssueTable:
    """Synthetic issues (by index) followed by stored ones; views are index sequences."""

    def __init__(self, stored: list[dict[str, Any]],
                 synthetic: SyntheticIssues | None = None) -> None:
        self._synthetic = synthetic
        self._base = synthetic.count if synthetic is not None else 0
        self._stored = list(stored)
        self._by_id = {issue["id"]: n for n, issue in enumerate(self._stored)}
        self._lock = threading.Lock()
        self._views: dict[IssueQuery, Sequence[int]] = {}
        self._label_counts: dict[str, tuple[int, int]] | None = None
        self._removed = (0, 0)  # the highest (id, iid) deleted: GitLab never hands them out again

    def __len__(self) -> int:
        return self._base + len(self._stored)

    def __iter__(self) -> Iterator[dict[str, Any]]:
        """Every issue's stored form, generated one at a time for synthetic projects."""
        return (self.stored(index) for index in range(len(self)))

    def stored(self, index: int) -> dict[str, Any]:
        """The stored form of the issue at `index` (generated for synthetic ones)."""
        if index < self._base:
            assert self._synthetic is not None
            return self._synthetic.stored(index)
        return self._stored[index - self._base]

    def index_of_id(self, issue_id: int) -> int | None:
        """Where the issue with global id `issue_id` is, or None."""
        if self._synthetic is not None and 0 <= issue_id - 100_000 < self._base:
            return issue_id - 100_000
        position = self._by_id.get(issue_id)
        return None if position is None else self._base + position

    def append(self, issue: dict[str, Any]) -> None:
        """Add one stored issue; cached views are dropped."""
        with self._lock:
            self._by_id[issue["id"]] = len(self._stored)
            self._stored.append(issue)
            self._views.clear()
            self._label_counts = None

    def update(self, index: int, fields: dict[str, Any]) -> None:
        """Change the stored issue at `index` (not a synthetic one); cached views are dropped."""
        if index < self._base:
            raise ValueError("synthetic issues cannot be edited; add stored ones instead")
        with self._lock:
            self._stored[index - self._base].update(fields)
            self._views.clear()
            self._label_counts = None

    def remove(self, index: int) -> None:
        """Delete the stored issue at `index`; cached views are dropped."""
        if not self.is_stored(index):
            raise ValueError("synthetic issues cannot be deleted")
        with self._lock:
            gone = self._stored.pop(index - self._base)
            self._removed = (max(self._removed[0], gone["id"]), max(self._removed[1], gone["iid"]))
            self._by_id = {issue["id"]: n for n, issue in enumerate(self._stored)}
            self._views.clear()
            self._label_counts = None

    def is_stored(self, index: int) -> bool:
        """Whether `index` is a stored (editable) issue rather than a synthetic one."""
        return self._base <= index < len(self)

    def stored_indices(self) -> range:
        """The indices of the stored issues."""
        return range(self._base, len(self))

    def label_counts(self) -> dict[str, tuple[int, int]]:
        """(open, closed) issue counts per label name: one pass, cached until an edit."""
        with self._lock:
            if self._label_counts is None:
                counts: dict[str, list[int]] = {}
                for index in range(len(self)):
                    attrs = self._attrs(index)
                    slot = 1 if attrs["state"] == "closed" else 0
                    for name in attrs["labels"]:
                        counts.setdefault(name, [0, 0])[slot] += 1
                self._label_counts = {k: (v[0], v[1]) for k, v in counts.items()}
            return self._label_counts

    def next_ids(self) -> tuple[int, int]:
        """An unused (id, iid) pair for a new issue."""
        ids = [i["id"] for i in self._stored] + [100_000 + self._base - 1, self._removed[0]]
        iids = [i["iid"] for i in self._stored] + [self._base, self._removed[1]]
        return max(ids) + 1, max(iids) + 1

    def view(self, query: IssueQuery) -> Sequence[int]:
        """The indices matching `query`, in its order; computed once, then served from cache."""
        with self._lock:
            cached = self._views.get(query)
            if cached is not None:
                return cached
            view = self._compute(query)
            if len(self._views) > 64:
                self._views.clear()
            self._views[query] = view
            return view

    def _compute(self, query: IssueQuery) -> Sequence[int]:
        plain = (query.state == "all" and not query.labels and query.milestones is None
                 and query.iid is None)
        if plain and not self._stored and query.order_by == "created_at":
            # Synthetic issues are created in index order: the view is arithmetic, not a scan.
            return range(self._base) if query.sort == "asc" else range(self._base - 1, -1, -1)
        keyed: list[tuple[datetime, int, int]] = []
        for index in range(len(self)):
            attrs = self._attrs(index)
            if self._matches(attrs, query):
                stamp = attrs["created"] if query.order_by == "created_at" else attrs["updated"]
                keyed.append((stamp, attrs["id"], index))
        keyed.sort(reverse=query.sort == "desc")
        return [index for _, _, index in keyed]

    def _attrs(self, index: int) -> dict[str, Any]:
        if index < self._base:
            assert self._synthetic is not None
            syn = self._synthetic
            # Only what filters and orders need: cheaper than building the whole issue.
            return {"id": 100_000 + index, "iid": index + 1, "state": syn.state(index),
                    "milestone": syn.milestone(index), "labels": syn.labels(index),
                    "created": syn.created(index), "updated": syn.updated(index)}
        issue = self._stored[index - self._base]
        return {"id": issue["id"], "iid": issue["iid"], "state": issue["state"],
                "milestone": issue["milestone"], "labels": issue["labels"],
                "created": _when(issue["created_at"]), "updated": _when(issue["updated_at"])}

    @staticmethod
    def _matches(attrs: dict[str, Any], query: IssueQuery) -> bool:
        if query.state == "opened" and attrs["state"] == "closed":
            return False
        if query.state == "closed" and attrs["state"] != "closed":
            return False
        if query.labels and not query.labels.intersection(attrs["labels"]):
            return False
        if query.milestones is not None and attrs["milestone"] not in query.milestones:
            return False
        return query.iid is None or attrs["iid"] == query.iid
