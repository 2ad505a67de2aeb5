"""The fake SourceCraft's data: milestones here, labels, issues, comments and users beside."""

from __future__ import annotations

import random
import re
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from slugify import slugify

from bridge.sandbox.dataset import Dataset
from bridge.sandbox.sc_comments import CommentStore
from bridge.sandbox.sc_handles import TrackerHandles
from bridge.sandbox.sc_issues import IssueStore
from bridge.sandbox.sc_labels import LabelStore
from bridge.sandbox.schema import SchemaError, format_date_time, parse_date_time, validate

#: Slugs SourceCraft generates are lower-case Latin, digits and hyphens; what else it accepts is
#: unknown, so the fake allows a little more but never whitespace or a slash.
_SLUG = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_DATES = ("start_date", "deadline")

RepoKey = tuple[str, str]


class SourceCraftState(TrackerHandles):
    """Repositories and their tracker; the bridge's token acts as `bot`, hand edits as `human`."""

    def __init__(self, dataset: Dataset, *, seed: int = 0,
                 now: Callable[[], float] = time.time) -> None:
        self._rng = random.Random(f"{seed}:sourcecraft")
        self._now = now
        self._last = datetime.fromtimestamp(0, tz=UTC)
        self.lock = threading.RLock()
        self.default: RepoKey = (dataset.org, dataset.repo)
        self.bot = {"id": self._new_id(), "slug": "scbridge-bot"}
        self.human = {"id": self._new_id(), "slug": "hand-editor"}
        self._repos: dict[RepoKey, list[dict[str, Any]]] = {self.default: []}
        self._by_id: dict[str, tuple[RepoKey, dict[str, Any]]] = {}
        self.generation = 0  # moves on every change, so listings can be cached until the next
        self.labels = LabelStore(self._new_id, self._tick, self._bump)
        self.issues = IssueStore(self, self._new_id, self._tick, self._bump)
        self.comments = CommentStore(self._new_id, self._tick)
        self.users: dict[str, dict[str, str]] = {}  # slug -> {id, slug, display_name}
        for user, name in ((self.bot, "scbridge bot"), (self.human, "Hand Editor")):
            self.users[user["slug"]] = {**user, "display_name": name}
        for raw in dataset.target_users:
            self.add_user(**raw)
        for fields in dataset.target_milestones:
            self.create_milestone(**fields)
        self._seed_tracker(dataset)

    # ---- the handles tests use -------------------------------------------------------------

    def add_repo(self, org: str, repo: str) -> None:
        """Make another repository exist (empty)."""
        with self.lock:
            self._repos.setdefault((org, repo), [])

    def milestones(self, org: str | None = None, repo: str | None = None) -> list[dict[str, Any]]:
        """The repository's milestones now, in creation order, as the API would return them."""
        with self.lock:
            return [dict(m) for m in self._repos[self._key(org, repo)]]

    def create_milestone(self, *, org: str | None = None, repo: str | None = None,
                         **fields: Any) -> dict[str, Any]:
        """Seed a milestone made by hand (author `hand-editor`); `status` may be given too."""
        with self.lock:
            status = fields.pop("status", None)
            try:
                created = self.create(self._key(org, repo), fields, self.human)
                if status is not None:
                    self.update(created, {"status": status}, self.human)
            except SchemaError as exc:
                raise ValueError(str(exc)) from None
            return dict(created)

    def edit_milestone(self, slug: str, *, org: str | None = None, repo: str | None = None,
                       **fields: Any) -> dict[str, Any]:
        """A hand edit in the web UI: changes fields and bumps `updated_at` and `updated_by`."""
        with self.lock:
            stored = self.find(self._key(org, repo), slug)
            if stored is None:
                raise KeyError(slug)
            try:
                return dict(self.update(stored, fields, self.human))
            except SchemaError as exc:
                raise ValueError(str(exc)) from None

    def delete_milestone(self, slug: str, *, org: str | None = None,
                         repo: str | None = None) -> None:
        """Delete a milestone by hand."""
        with self.lock:
            key = self._key(org, repo)
            stored = self.find(key, slug)
            if stored is None:
                raise KeyError(slug)
            self.delete(key, stored)

    # ---- operations for the app (callers hold `lock`) ---------------------------------------

    def repo(self, org: str, repo: str) -> list[dict[str, Any]] | None:
        """A repository's milestone list, or None if there is no such repository."""
        return self._repos.get((org, repo))

    def repos(self) -> list[RepoKey]:
        """Every repository there is, as (org, repo)."""
        return list(self._repos)

    def find(self, key: RepoKey, slug: str) -> dict[str, Any] | None:
        """The milestone with `slug` in repository `key`."""
        return next((m for m in self._repos.get(key, []) if m["slug"] == slug), None)

    def find_id(self, milestone_id: str) -> tuple[RepoKey, dict[str, Any]] | None:
        """The repository and milestone with opaque id `milestone_id`."""
        return self._by_id.get(milestone_id)

    def create(self, key: RepoKey, body: Any, user: dict[str, str]) -> dict[str, Any]:
        """POST semantics: validate, generate the slug if needed, stamp, store."""
        fields = validate("CreateMilestoneBody", body)
        items = self._repos[key]
        name = fields["name"].strip()
        if not name:
            raise SchemaError('field "name" must not be empty', "name")
        slug = fields.get("slug")
        if slug is not None:
            self._check_slug(key, slug, None)
        else:
            base = slugify(name) or "milestone"
            slug, n = base, 0
            while self.find(key, slug) is not None:
                n += 1
                slug = f"{base}-{n}"
        now = self._tick()
        stored = {"id": self._new_id(), "name": fields["name"], "slug": slug,
                  "description": fields.get("description", ""),
                  "start_date": self._date(fields, "start_date"),
                  "deadline": self._date(fields, "deadline"),
                  "status": "open", "author": dict(user), "updated_by": None,
                  "created_at": now, "updated_at": now}
        items.append(stored)
        self._by_id[stored["id"]] = (key, stored)
        return stored

    def update(self, stored: dict[str, Any], body: Any, user: dict[str, str]) -> dict[str, Any]:
        """PATCH semantics: fields left out stay; `updated_at` always moves forward."""
        fields = validate("UpdateMilestoneBody", body)
        key, _ = self._by_id[stored["id"]]
        if "name" in fields and not fields["name"].strip():
            raise SchemaError('field "name" must not be empty', "name")
        if "slug" in fields and fields["slug"] != stored["slug"]:
            self._check_slug(key, fields["slug"], stored)
        for name, value in fields.items():
            stored[name] = self._date(fields, name) if name in _DATES else value
        stored["updated_by"] = dict(user)
        stored["updated_at"] = self._tick()
        return stored

    def delete(self, key: RepoKey, stored: dict[str, Any]) -> None:
        """DELETE semantics; issues that carried the milestone then carry none."""
        self._repos[key].remove(stored)
        del self._by_id[stored["id"]]
        self.issues.forget_milestone(stored["id"])
        self._bump()

    def repo_ids(self, key: RepoKey) -> tuple[str, str]:
        """Stable opaque ids of a repository and its organisation."""
        return (str(uuid.uuid5(uuid.NAMESPACE_URL, f"sourcecraft-repo:{key[0]}/{key[1]}")),
                str(uuid.uuid5(uuid.NAMESPACE_URL, f"sourcecraft-org:{key[0]}")))

    def user_by_id(self, user_id: str) -> dict[str, str] | None:
        """A known user (the bot, the hand editor, the dataset's users) by id."""
        return next((u for u in self.users.values() if u["id"] == user_id), None)

    def _check_slug(self, key: RepoKey, slug: str, current: dict[str, Any] | None) -> None:
        if not _SLUG.match(slug):
            raise SchemaError(f'slug "{slug}" is invalid: use letters, digits, "-", "_" or "."',
                              "slug")
        other = self.find(key, slug)
        if other is not None and other is not current:
            raise SchemaError(f'milestone with slug "{slug}" already exists', "slug")

    @staticmethod
    def _date(fields: dict[str, Any], name: str) -> str | None:
        value = fields.get(name)
        return None if value is None else format_date_time(parse_date_time(value, name))

    def _key(self, org: str | None, repo: str | None) -> RepoKey:
        key = (org or self.default[0], repo or self.default[1])
        if key not in self._repos:
            raise KeyError(f"no repository {key[0]}/{key[1]}")
        return key

    def _new_id(self) -> str:
        return str(uuid.UUID(int=self._rng.getrandbits(128), version=4))

    def _bump(self) -> None:
        self.generation += 1

    def _tick(self) -> str:
        """Now, but strictly later than the last stamp, so every write is visible in updated_at."""
        self._bump()
        now = datetime.fromtimestamp(self._now(), tz=UTC)
        if now <= self._last:
            now = self._last + timedelta(milliseconds=1)
        self._last = now
        return format_date_time(now)
