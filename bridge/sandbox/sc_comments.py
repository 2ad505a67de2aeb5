"""The fake SourceCraft's issue comments: listed per issue only, replies, soft deletes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bridge.sandbox.sc_common import ApiError
from bridge.sandbox.schema import SchemaError, validate


class CommentStore:
    """Comments by issue id in creation order; a deleted one stays readable by id."""

    def __init__(self, new_id: Callable[[], str], tick: Callable[[], str]) -> None:
        self._new_id = new_id
        self._tick = tick
        self._issues: dict[str, list[dict[str, Any]]] = {}
        self.by_id: dict[str, dict[str, Any]] = {}
        #: Whether the issue's list still shows soft-deleted comments. Public sources do not
        #: say; False by default, a test may set True to prove it copes with either.
        self.list_deleted = False

    def of(self, issue_id: str, *, deleted: bool = False) -> list[dict[str, Any]]:
        """An issue's comments, oldest first; soft-deleted ones only if `deleted`."""
        keep = deleted or self.list_deleted
        return [c for c in self._issues.get(issue_id, []) if keep or not c["deleted"]]

    def create(self, issue_id: str, body: Any, user: dict[str, str]) -> dict[str, Any]:
        """POST `{body, parent_id?}`: a reply names a live comment of the same issue."""
        fields = validate("CreateIssueCommentBody", body)
        text = fields.get("body", "")
        if not text.strip():
            raise SchemaError('field "body" must not be empty', "body")
        parent_id = fields.get("parent_id")
        if parent_id is not None:
            parent = self.by_id.get(parent_id)
            if parent is None or parent["issue_id"] != issue_id or parent["deleted"]:
                raise ApiError(404, f'comment with id "{parent_id}" not found',
                               {"field": "parent_id"})
        now = self._tick()
        stored = {"id": self._new_id(), "body": text, "parent_id": parent_id,
                  "author": dict(user), "updated_by": None, "created_at": now,
                  "updated_at": now, "issue_id": issue_id, "deleted": False}
        self._issues.setdefault(issue_id, []).append(stored)
        self.by_id[stored["id"]] = stored
        return stored

    def update(self, stored: dict[str, Any], body: Any, user: dict[str, str]) -> dict[str, Any]:
        """PATCH `{body}`."""
        fields = validate("UpdateIssueCommentBody", body)
        if "body" in fields:
            if not fields["body"].strip():
                raise SchemaError('field "body" must not be empty', "body")
            stored["body"] = fields["body"]
        stored["updated_by"] = dict(user)
        stored["updated_at"] = self._tick()
        return stored

    def delete(self, stored: dict[str, Any]) -> None:
        """DELETE is soft: the comment leaves the issue's list, GET by id still answers 200."""
        stored["deleted"] = True

    def drop_issue(self, issue_id: str) -> None:
        """An issue deleted: its comments go with it, by id too."""
        for comment in self._issues.pop(issue_id, []):
            self.by_id.pop(comment["id"], None)

    @staticmethod
    def render(stored: dict[str, Any]) -> dict[str, Any]:
        """The IssueComment object as the OpenAPI file defines it."""
        parent = {"id": stored["parent_id"]} if stored["parent_id"] else None
        return {"id": stored["id"], "body": stored["body"], "parent": parent,
                "author": stored["author"], "updated_by": stored["updated_by"],
                "created_at": stored["created_at"], "updated_at": stored["updated_at"],
                "reactions": {}, "attachments": []}
