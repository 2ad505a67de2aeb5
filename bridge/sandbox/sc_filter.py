"""The issue list's `filter` (SourceCraft's QL): `field op value` clauses joined by `and`.

    title="Bug: login" and status=open and label_slug=bug and created_at>"2024-01-01T00:00:00Z"

`title` is a prefix match, as the OpenAPI file says; values are bare words or double-quoted
strings with backslash escapes. Anything else (`or`, unknown fields) is refused with a 400.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bridge.sandbox.sc_common import ApiError
from bridge.sandbox.schema import SchemaError, parse_date_time

_CLAUSE = re.compile(
    r'\s*(?P<field>[a-z_]+)\s*(?P<op>!=|>=|<=|=|>|<)\s*'
    r'(?:"(?P<quoted>(?:[^"\\]|\\.)*)"|(?P<bare>[^\s"]+))\s*')
_AND = re.compile(r"\s*and\s+", re.IGNORECASE)
_DATES = ("created_at", "updated_at")


@dataclass(frozen=True, slots=True)
class Clause:
    """One `field op value` test."""

    field: str
    op: str
    value: str


def parse_filter(text: str) -> list[Clause]:
    """The clauses of `text`; a 400 naming `filter` if it does not parse."""
    clauses: list[Clause] = []
    position = 0
    text = text.strip()
    while position < len(text):
        if clauses:
            joiner = _AND.match(text, position)
            if joiner is None:
                raise _bad(text, "clauses are joined with `and`")
            position = joiner.end()
        match = _CLAUSE.match(text, position)
        if match is None:
            raise _bad(text, "expected field=value")
        quoted = match.group("quoted")
        value = re.sub(r"\\(.)", r"\1", quoted) if quoted is not None else match.group("bare")
        clause = Clause(match.group("field"), match.group("op"), value)
        if clause.field not in _FIELDS:
            raise _bad(text, f'unknown field "{clause.field}"')
        if clause.op not in ("=", "!=") and clause.field not in _DATES:
            raise _bad(text, f'"{clause.op}" only compares created_at and updated_at')
        if clause.field in _DATES:
            try:
                parse_date_time(value, clause.field)
            except SchemaError as exc:
                raise _bad(text, str(exc)) from None
        clauses.append(clause)
        position = match.end()
    return clauses


def matches(issue: dict[str, Any], clauses: list[Clause]) -> bool:
    """Whether a stored issue passes every clause."""
    return all(_test(issue, clause) for clause in clauses)


def _test(issue: dict[str, Any], clause: Clause) -> bool:
    if clause.field in _DATES:
        have = parse_date_time(issue[clause.field])
        want = parse_date_time(clause.value)
        return {"=": have == want, "!=": have != want, ">": have > want, ">=": have >= want,
                "<": have < want, "<=": have <= want}[clause.op]
    values = _FIELDS[clause.field](issue)
    if clause.field == "title":
        hit = any(v.startswith(clause.value) for v in values)
    else:
        hit = clause.value in values
    return hit if clause.op == "=" else not hit


def _user(issue: dict[str, Any], role: str, part: str) -> list[str]:
    user = issue.get(role)
    return [user[part]] if user else []


def _bad(text: str, why: str) -> ApiError:
    return ApiError(400, f'filter "{text}" is invalid: {why}', {"field": "filter"})


_FIELDS: dict[str, Callable[[dict[str, Any]], list[str]]] = {
    "title": lambda i: [i["title"]],
    # The spec's enum (open, in_progress, closed) and the status slugs disagree: accept both.
    "status": lambda i: [i["status"]["slug"], i["status"]["status_type"],
                         {"initial": "open", "completed": "closed"}.get(
                             i["status"]["status_type"], i["status"]["status_type"])],
    "priority": lambda i: [i["priority"]] if i["priority"] else [],
    "visibility": lambda i: [i["visibility"]],
    "milestone_id": lambda i: [i["milestone"]["id"]] if i["milestone"] else [],
    "milestone_slug": lambda i: [i["milestone"]["slug"]] if i["milestone"] else [],
    "label_id": lambda i: [label["id"] for label in i["labels"]],
    "label_slug": lambda i: [label["slug"] for label in i["labels"]],
    "assignee_id": lambda i: _user(i, "assignee", "id"),
    "assignee_slug": lambda i: _user(i, "assignee", "slug"),
    "author_id": lambda i: _user(i, "author", "id"),
    "author_slug": lambda i: _user(i, "author", "slug"),
    "created_at": lambda i: [i["created_at"]],
    "updated_at": lambda i: [i["updated_at"]],
}
