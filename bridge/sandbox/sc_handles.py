"""Test handles on the fake SourceCraft's tracker: read it all, edit or delete by hand."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from bridge.sandbox.sc_common import ApiError
from bridge.sandbox.schema import SchemaError

if TYPE_CHECKING:
    from bridge.sandbox.dataset import Dataset
    from bridge.sandbox.sc_comments import CommentStore
    from bridge.sandbox.sc_issues import IssueStore
    from bridge.sandbox.sc_labels import LabelStore

RepoKey = tuple[str, str]


@contextmanager
def _as_value_error() -> Iterator[None]:
    """What the API would refuse is a ValueError for the test that asked."""
    try:
        yield
    except (SchemaError, ApiError) as exc:
        raise ValueError(str(exc)) from None


class TrackerHandles:
    """Mixed into SourceCraftState: every hand change is made as `human` (`hand-editor`)."""

    lock: threading.RLock
    labels: LabelStore
    issues: IssueStore
    comments: CommentStore
    users: dict[str, dict[str, str]]
    human: dict[str, str]
    _key: Callable[[str | None, str | None], RepoKey]

    # ---- users ------------------------------------------------------------------------------

    def add_user(self, slug: str, display_name: str | None = None,
                 id: str | None = None) -> dict[str, str]:
        """Make a user exist for `GET /users/{slug}`; returns {id, slug, display_name}."""
        with self.lock:
            ident = id or str(uuid.uuid5(uuid.NAMESPACE_URL, f"sourcecraft-user:{slug}"))
            self.users[slug] = {"id": ident, "slug": slug, "display_name": display_name or slug}
            return dict(self.users[slug])

    # ---- labels -----------------------------------------------------------------------------

    def label_list(self, org: str | None = None, repo: str | None = None) -> list[dict[str, Any]]:
        """The repository's labels now, in creation order, as the API renders them."""
        with self.lock:
            return [dict(label) for label in self.labels.of(self._key(org, repo))]

    def create_label(self, *, org: str | None = None, repo: str | None = None,
                     **fields: Any) -> dict[str, Any]:
        """A label made by hand (CreateLabelBody fields: name, slug, color)."""
        with self.lock, _as_value_error():
            return dict(self.labels.create(self._key(org, repo), fields, self.human))

    def edit_label(self, label_slug: str, *, org: str | None = None, repo: str | None = None,
                   **fields: Any) -> dict[str, Any]:
        """A hand edit (UpdateLabelBody fields: name, slug, color); bumps `updated_at`/`_by`."""
        with self.lock:
            stored = self._label(label_slug, org, repo)
            with _as_value_error():
                return dict(self.labels.update(stored, fields, self.human))

    def delete_label(self, label_slug: str, *, org: str | None = None,
                     repo: str | None = None) -> None:
        """Delete a label by hand; issues lose it."""
        with self.lock:
            stored = self._label(label_slug, org, repo)
            self.labels.delete(stored)
            self.issues.forget_label(stored["id"])

    # ---- issues -----------------------------------------------------------------------------

    def issue_list(self, org: str | None = None, repo: str | None = None) -> list[dict[str, Any]]:
        """The repository's issues now, by number, as the API renders them."""
        with self.lock:
            return [self.issues.render(i) for i in self.issues.of(self._key(org, repo))]

    def create_issue(self, *, org: str | None = None, repo: str | None = None,
                     **fields: Any) -> dict[str, Any]:
        """An issue made by hand (CreateIssueBody fields); it takes the next number."""
        with self.lock, _as_value_error():
            return self.issues.render(self.issues.create(self._key(org, repo), fields,
                                                         self.human))

    def edit_issue(self, issue_slug: str, *, org: str | None = None, repo: str | None = None,
                   label_slugs: list[str] | None = None, **fields: Any) -> dict[str, Any]:
        """A hand edit (UpdateIssueBody fields; `label_slugs` replaces the labels)."""
        with self.lock:
            stored = self._issue(issue_slug, org, repo)
            with _as_value_error():
                if label_slugs is not None:
                    labels = self.labels.resolve(stored["repo"], None, label_slugs)
                    stored["label_ids"] = [label["id"] for label in labels]
                return self.issues.render(self.issues.update(stored, fields, self.human))

    def delete_issue(self, issue_slug: str, *, org: str | None = None,
                     repo: str | None = None) -> None:
        """Delete an issue by hand, its comments with it."""
        with self.lock:
            stored = self._issue(issue_slug, org, repo)
            self.issues.delete(stored)
            self.comments.drop_issue(stored["id"])

    # ---- comments ---------------------------------------------------------------------------

    def comment_list(self, issue_slug: str, *, org: str | None = None, repo: str | None = None,
                     deleted: bool = False) -> list[dict[str, Any]]:
        """An issue's comments, oldest first, as listed (`deleted`: soft-deleted ones too)."""
        with self.lock:
            stored = self._issue(issue_slug, org, repo)
            return [self.comments.render(c)
                    for c in self.comments.of(stored["id"], deleted=deleted)]

    def create_comment(self, issue_slug: str, body: str, *, parent_id: str | None = None,
                       org: str | None = None, repo: str | None = None) -> dict[str, Any]:
        """A comment written by hand on issue number `issue_slug`."""
        with self.lock:
            stored = self._issue(issue_slug, org, repo)
            payload = {"body": body} if parent_id is None else {"body": body,
                                                                "parent_id": parent_id}
            with _as_value_error():
                return self.comments.render(self.comments.create(stored["id"], payload,
                                                                 self.human))

    def edit_comment(self, comment_id: str, body: str) -> dict[str, Any]:
        """A hand edit of a comment's text."""
        with self.lock:
            stored = self._comment(comment_id)
            with _as_value_error():
                return self.comments.render(self.comments.update(stored, {"body": body},
                                                                 self.human))

    def delete_comment(self, comment_id: str) -> None:
        """Delete a comment by hand (soft, as the API does)."""
        with self.lock:
            self.comments.delete(self._comment(comment_id))

    # ---- seeding and lookups ----------------------------------------------------------------

    def _seed_tracker(self, dataset: Dataset) -> None:
        for fields in dataset.target_labels:
            self.create_label(**fields)
        for fields in dataset.target_issues:
            self.create_issue(**fields)

    def _label(self, slug: str, org: str | None, repo: str | None) -> dict[str, Any]:
        stored = self.labels.find(self._key(org, repo), slug)
        if stored is None:
            raise KeyError(slug)
        return stored

    def _issue(self, slug: str, org: str | None, repo: str | None) -> dict[str, Any]:
        stored = self.issues.find(self._key(org, repo), str(slug))
        if stored is None:
            raise KeyError(slug)
        return stored

    def _comment(self, comment_id: str) -> dict[str, Any]:
        stored = self.comments.by_id.get(comment_id)
        if stored is None:
            raise KeyError(comment_id)
        return stored
