"""The fake SourceCraft's labels: names unique per repository (409), six-digit colours, slugs."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from slugify import slugify

from bridge.sandbox.sc_common import ApiError
from bridge.sandbox.schema import SchemaError, validate

#: "optional, default color is gray": the value the real server picks is not published.
DEFAULT_COLOR = "808080"
_COLOR = re.compile(r"^[0-9A-Fa-f]{6}$")
_SLUG = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")

RepoKey = tuple[str, str]


class LabelStore:
    """Every repository's labels in creation order, and an index by id."""

    def __init__(self, new_id: Callable[[], str], tick: Callable[[], str],
                 bump: Callable[[], None]) -> None:
        self._new_id = new_id
        self._tick = tick
        self._bump = bump
        self._repos: dict[RepoKey, list[dict[str, Any]]] = {}
        self.by_id: dict[str, tuple[RepoKey, dict[str, Any]]] = {}

    def of(self, key: RepoKey) -> list[dict[str, Any]]:
        """The repository's labels (the live list)."""
        return self._repos.setdefault(key, [])

    def find(self, key: RepoKey, slug: str) -> dict[str, Any] | None:
        """The label with `slug` in repository `key`."""
        return next((label for label in self.of(key) if label["slug"] == slug), None)

    def create(self, key: RepoKey, body: Any, user: dict[str, str]) -> dict[str, Any]:
        """POST: a name that exists is a 409, as SourceCraft's own tests show."""
        fields = validate("CreateLabelBody", body)
        name = fields["name"]
        if not name.strip():
            raise SchemaError('field "name" must not be empty', "name")
        self._check_name(key, name, None)
        slug = fields.get("slug")
        if slug is not None:
            self._check_slug(key, slug, None)
        else:
            base = slugify(name) or "label"
            slug, n = base, 0
            while self.find(key, slug) is not None:
                n += 1
                slug = f"{base}-{n}"
        color = self._color(fields.get("color", DEFAULT_COLOR))
        now = self._tick()
        stored = {"id": self._new_id(), "name": name, "slug": slug, "color": color,
                  "author": dict(user), "updated_by": None, "created_at": now, "updated_at": now}
        self.of(key).append(stored)
        self.by_id[stored["id"]] = (key, stored)
        return stored

    def update(self, stored: dict[str, Any], body: Any, user: dict[str, str]) -> dict[str, Any]:
        """PATCH: fields left out stay; a rename onto another label's name is a 409."""
        fields = validate("UpdateLabelBody", body)
        key, _ = self.by_id[stored["id"]]
        if "name" in fields:
            if not fields["name"].strip():
                raise SchemaError('field "name" must not be empty', "name")
            self._check_name(key, fields["name"], stored)
        if "slug" in fields:
            self._check_slug(key, fields["slug"], stored)
        if "color" in fields:
            fields["color"] = self._color(fields["color"])
        stored.update(fields)
        stored["updated_by"] = dict(user)
        stored["updated_at"] = self._tick()
        return stored

    def delete(self, stored: dict[str, Any]) -> None:
        """DELETE: gone from the repository (the caller unlinks it from issues)."""
        key, _ = self.by_id.pop(stored["id"])
        self.of(key).remove(stored)
        self._bump()

    def resolve(self, key: RepoKey, ids: list[str] | None,
                slugs: list[str] | None) -> list[dict[str, Any]]:
        """The labels named by `ids` or `slugs` (not both); unknown or foreign ones are a 404."""
        if ids is not None and slugs is not None:
            raise ApiError(400, "ids and slugs cannot be used together", {"field": "ids"})
        found: list[dict[str, Any]] = []
        for ident in ids or []:
            hit = self.by_id.get(ident)
            if hit is None or hit[0] != key:
                raise ApiError(404, f'label with id "{ident}" not found', {"field": "ids"})
            found.append(hit[1])
        for slug in slugs or []:
            label = self.find(key, slug)
            if label is None:
                raise ApiError(404, f'label "{slug}" not found', {"field": "slugs"})
            found.append(label)
        unique: dict[str, dict[str, Any]] = {label["id"]: label for label in found}
        return list(unique.values())

    def _check_name(self, key: RepoKey, name: str, current: dict[str, Any] | None) -> None:
        other = next((label for label in self.of(key) if label["name"] == name), None)
        if other is not None and other is not current:
            raise ApiError(409, f'label with name "{name}" already exists', {"field": "name"})

    def _check_slug(self, key: RepoKey, slug: str, current: dict[str, Any] | None) -> None:
        if not _SLUG.match(slug):
            raise SchemaError(f'slug "{slug}" is invalid: use letters, digits, "-", "_" or "."',
                              "slug")
        other = self.find(key, slug)
        if other is not None and other is not current:
            raise ApiError(409, f'label with slug "{slug}" already exists', {"field": "slug"})

    @staticmethod
    def _color(value: str) -> str:
        if not _COLOR.match(value):
            raise SchemaError(f'color "{value}" is invalid: six hex digits without "#"', "color")
        return value
