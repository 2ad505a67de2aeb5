"""The fake SourceCraft's issues: server-assigned numbers as slugs, statuses, links to labels."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from bridge.sandbox.sc_common import ApiError, sort_items
from bridge.sandbox.sc_filter import matches, parse_filter
from bridge.sandbox.schema import SchemaError, format_date_time, parse_date_time, validate

if TYPE_CHECKING:
    from bridge.sandbox.sourcecraft_state import SourceCraftState

RepoKey = tuple[str, str]

#: The system-wide statuses (`GET /issue_statuses`): slug -> (name, status_type).
STATUSES: dict[str, tuple[str, str]] = {
    "open": ("Open", "initial"), "inProgress": ("In progress", "in_progress"),
    "paused": ("Paused", "paused"), "closed": ("Closed", "completed"),
    "declined": ("Declined", "cancelled"), "duplicate": ("Duplicate", "cancelled")}
SORTABLE = ("slug", "title", "created_at", "updated_at", "deadline")
TITLE_LIMIT = 1024  # characters ("Issue title (up to 1024 characters)")
DESCRIPTION_LIMIT = 64 * 1024  # bytes of UTF-8 ("Issue description (up to 64Kb)")


def status_json(slug: str) -> dict[str, Any]:
    """An IssueStatus object; its id is stable across runs."""
    name, status_type = STATUSES[slug]
    return {"id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"sourcecraft-status:{slug}")),
            "slug": slug, "name": name, "status_type": status_type}


class IssueStore:
    """Every repository's issues in creation order, numbered per repository from 1."""

    def __init__(self, state: SourceCraftState, new_id: Callable[[], str],
                 tick: Callable[[], str], bump: Callable[[], None]) -> None:
        self._state = state
        self._new_id = new_id
        self._tick = tick
        self._bump = bump
        self._listings: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
        self._repos: dict[RepoKey, list[dict[str, Any]]] = {}
        self._numbers: dict[RepoKey, int] = {}
        self.by_id: dict[str, tuple[RepoKey, dict[str, Any]]] = {}

    def of(self, key: RepoKey) -> list[dict[str, Any]]:
        """The repository's stored issues (the live list)."""
        return self._repos.setdefault(key, [])

    def find(self, key: RepoKey, slug: str) -> dict[str, Any] | None:
        """The issue whose number is `slug`."""
        return next((issue for issue in self.of(key) if issue["slug"] == slug), None)

    def create(self, key: RepoKey, body: Any, user: dict[str, str]) -> dict[str, Any]:
        """POST: validate, resolve milestone, labels and assignee, then take the next number."""
        fields = validate("CreateIssueBody", body)
        self._check_text(fields)
        if fields.get("linked_pr_ids") or fields.get("linked_pr_slugs"):
            raise ApiError(404, "pull request not found", {"field": "linked_pr_ids"})
        if "milestone_id" in fields and "milestone_slug" in fields:
            raise ApiError(400, "milestone_id and milestone_slug cannot be used together",
                           {"field": "milestone_id"})
        labels = self._state.labels.resolve(key, fields.get("label_ids"),
                                            fields.get("label_slugs"))
        milestone = self._milestone(key, fields.get("milestone_id"), fields.get("milestone_slug"))
        status = self._status(fields.get("status_slug", "open"))
        now = self._tick()
        number = self._numbers.get(key, 0) + 1
        self._numbers[key] = number
        stored: dict[str, Any] = {
            "id": self._new_id(), "slug": str(number), "title": fields["title"],
            "description": fields.get("description", ""), "status": status,
            "author": dict(user), "updated_by": None, "created_at": now, "updated_at": now,
            "assignee": self._assignee(fields.get("assignee_id")),
            "label_ids": [label["id"] for label in labels],
            "priority": fields.get("priority"), "visibility": fields.get("visibility", "public"),
            "milestone_id": milestone, "deadline": _date(fields.get("deadline"), "deadline"),
            "started_at": None, "completed_at": None, "repo": key}
        self._stamp_status(stored, now)
        self.of(key).append(stored)
        self.by_id[stored["id"]] = (key, stored)
        return stored

    def update(self, stored: dict[str, Any], body: Any, user: dict[str, str]) -> dict[str, Any]:
        """PATCH per UpdateIssueBody: milestone_id or assignee_id "" clears them."""
        fields = validate("UpdateIssueBody", body)
        self._check_text(fields)
        if "status_slug" in fields:
            stored["status"] = self._status(fields["status_slug"])
        if "milestone_id" in fields:
            stored["milestone_id"] = self._milestone(stored["repo"], fields["milestone_id"] or None,
                                                     None)
        if "assignee_id" in fields:
            stored["assignee"] = self._assignee(fields["assignee_id"] or None)
        if "deadline" in fields:
            stored["deadline"] = _date(fields["deadline"], "deadline")
        for name in ("title", "description", "priority", "visibility"):
            if name in fields:
                stored[name] = fields[name]
        return self.touch(stored, user, status_changed="status_slug" in fields)

    def touch(self, stored: dict[str, Any], user: dict[str, str], *,
              status_changed: bool = False) -> dict[str, Any]:
        """Record a change by `user`: `updated_at` moves forward, `updated_by` is set."""
        now = self._tick()
        stored["updated_by"] = dict(user)
        stored["updated_at"] = now
        if status_changed:
            self._stamp_status(stored, now)
        return stored

    def delete(self, stored: dict[str, Any]) -> None:
        """DELETE: gone; its number is not given out again."""
        key, _ = self.by_id.pop(stored["id"])
        self.of(key).remove(stored)
        self._bump()

    def forget_label(self, label_id: str) -> None:
        """A deleted label leaves every issue that carried it."""
        for _, issue in self.by_id.values():
            if label_id in issue["label_ids"]:
                issue["label_ids"].remove(label_id)
        self._bump()

    def forget_milestone(self, milestone_id: str) -> None:
        """A deleted milestone leaves every issue that carried it without one."""
        for _, issue in self.by_id.values():
            if issue["milestone_id"] == milestone_id:
                issue["milestone_id"] = None
        self._bump()

    def listing(self, key: RepoKey, filter_: str, sort_by: str) -> list[dict[str, Any]]:
        """The rendered issues a listing with `filter_` and `sort_by` pages over.

        Computed once per state generation: paging through 30,000 issues must not render
        them all again for every page.
        """
        cache_key = (key, filter_, sort_by, self._state.generation)
        cached = self._listings.get(cache_key)
        if cached is None:
            clauses = parse_filter(filter_)
            cached = [issue for issue in map(self.render, self.of(key))
                      if matches(issue, clauses)]
            sort_items(cached, sort_by, SORTABLE)
            if len(self._listings) > 16:
                self._listings.clear()
            self._listings[cache_key] = cached
        return cached

    def render(self, stored: dict[str, Any]) -> dict[str, Any]:
        """The Issue object as the OpenAPI file defines it."""
        key = stored["repo"]
        labels = [self._state.labels.by_id[i][1] for i in stored["label_ids"]]
        milestone = self._state.find_id(stored["milestone_id"]) if stored["milestone_id"] else None
        repo_id, org_id = self._state.repo_ids(key)
        return {
            "id": stored["id"], "slug": stored["slug"], "title": stored["title"],
            "description": stored["description"], "status": status_json(stored["status"]),
            "author": stored["author"], "updated_by": stored["updated_by"],
            "created_at": stored["created_at"], "updated_at": stored["updated_at"],
            "assignee": stored["assignee"],
            "labels": [{"id": la["id"], "slug": la["slug"], "name": la["name"],
                        "color": la["color"]} for la in labels],
            "linked_prs": [], "priority": stored["priority"], "visibility": stored["visibility"],
            "milestone": ({"id": milestone[1]["id"], "slug": milestone[1]["slug"]}
                          if milestone else None),
            "deadline": stored["deadline"], "started_at": stored["started_at"],
            "completed_at": stored["completed_at"],
            "repository": {"id": repo_id, "slug": key[1],
                           "organization": {"id": org_id, "slug": key[0]}}}

    def _milestone(self, key: RepoKey, ident: str | None, slug: str | None) -> str | None:
        if ident is not None:
            found = self._state.find_id(ident)
            if found is None or found[0] != key:
                raise ApiError(404, f'milestone with id "{ident}" not found',
                               {"field": "milestone_id"})
            return str(found[1]["id"])
        if slug is not None:
            milestone = self._state.find(key, slug)
            if milestone is None:
                raise ApiError(404, f'milestone "{slug}" not found', {"field": "milestone_slug"})
            return str(milestone["id"])
        return None

    def _assignee(self, ident: str | None) -> dict[str, str] | None:
        if ident is None:
            return None
        user = self._state.user_by_id(ident)
        if user is None:
            raise ApiError(404, f'user with id "{ident}" not found', {"field": "assignee_id"})
        return {"id": user["id"], "slug": user["slug"]}

    @staticmethod
    def _status(slug: str) -> str:
        if slug not in STATUSES:
            raise SchemaError(f'status_slug "{slug}" is not one of {", ".join(STATUSES)}',
                              "status_slug")
        return slug

    @staticmethod
    def _stamp_status(stored: dict[str, Any], now: str) -> None:
        status_type = STATUSES[stored["status"]][1]
        if status_type == "in_progress":
            stored["started_at"] = now
        if status_type in ("completed", "cancelled"):
            stored["completed_at"] = now

    @staticmethod
    def _check_text(fields: dict[str, Any]) -> None:
        if "title" in fields:
            if not fields["title"].strip():
                raise SchemaError('field "title" must not be empty', "title")
            if len(fields["title"]) > TITLE_LIMIT:
                raise SchemaError(f'field "title" is longer than {TITLE_LIMIT} characters',
                                  "title")
        size = len(fields.get("description", "").encode())
        if size > DESCRIPTION_LIMIT:
            raise SchemaError(f'field "description" is {size} bytes, over the 64Kb limit',
                              "description")


def _date(value: str | None, name: str) -> str | None:
    return None if value is None else format_date_time(parse_date_time(value, name))
