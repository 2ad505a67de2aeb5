"""The fake GitLab's JSON per version: which fields an issue, label or note has in each 8.x."""

from __future__ import annotations

from typing import Any

Version = tuple[int, int, int]

_UPVOTES_8_0 = ("+1", ":+1:", ":thumbsup:", ":thumbs_up_sign:")
_DOWNVOTES_8_0 = ("-1", ":-1:", ":thumbsdown:", ":thumbs_down_sign:")


def parse_version(text: str) -> Version:
    """"8.17.8" -> (8, 17, 8); missing or odd parts count as 0."""
    parts = [int(p) if p.isdigit() else 0 for p in text.split(".")[:3]]
    padded = parts + [0] * (3 - len(parts))
    return (padded[0], padded[1], padded[2])


def awards_are_notes(version: Version) -> bool:
    """8.2 to 8.8 store an award emoji as a note whose body is the emoji name."""
    return (8, 2, 0) <= version < (8, 9, 0)


def issue_json(stored: dict[str, Any], version: Version, *, project_id: int,
               milestone: dict[str, Any] | None, assignee: dict[str, Any] | None,
               author: dict[str, Any] | None, notes_count: int,
               web_url: str) -> dict[str, Any]:
    """A v3 issue with the fields `version` sends (subscribed 8.7, user_notes_count 8.8,
    upvotes 8.9, due_date 8.10, confidential and web_url 8.12)."""
    body: dict[str, Any] = {
        "id": stored["id"], "iid": stored["iid"], "project_id": project_id,
        "title": stored["title"], "description": stored["description"],
        "state": stored["state"], "created_at": stored["created_at"],
        "updated_at": stored["updated_at"], "labels": list(stored["labels"]),
        "milestone": milestone, "assignee": assignee, "author": author}
    if version >= (8, 7, 0):
        body["subscribed"] = False
    if version >= (8, 8, 0):
        body["user_notes_count"] = notes_count
    if version >= (8, 9, 0):
        body["upvotes"] = 0
        body["downvotes"] = 0
    if version >= (8, 10, 0):
        body["due_date"] = stored["due_date"]
    if version >= (8, 12, 0):
        body["confidential"] = stored["confidential"]
        body["web_url"] = web_url
    return body


def label_json(stored: dict[str, Any], version: Version,
               counts: tuple[int, int]) -> dict[str, Any]:
    """A v3 label: name and colour; description and counts 8.7; subscribed 8.8; id 8.14."""
    body: dict[str, Any] = {}
    if version >= (8, 14, 0):
        body["id"] = stored["id"]
    body["name"] = stored["name"]
    body["color"] = stored["color"]
    if version >= (8, 7, 0):
        body["description"] = stored["description"]
        body["open_issues_count"], body["closed_issues_count"] = counts
        body["open_merge_requests_count"] = 0
    if version >= (8, 8, 0):
        body["subscribed"] = False
    if version >= (8, 14, 0):
        body["priority"] = stored["priority"]
    return body


def note_json(stored: dict[str, Any], version: Version,
              author: dict[str, Any] | None) -> dict[str, Any]:
    """A v3 note: noteable_id/_type from 8.3, updated_at from 8.7; up/downvote per era."""
    text = stored["body"]
    if version < (8, 2, 0):
        upvote, downvote = text.startswith(_UPVOTES_8_0), text.startswith(_DOWNVOTES_8_0)
    elif (8, 4, 0) <= version < (8, 9, 0):
        upvote = stored["award"] and text == "thumbsup"
        downvote = stored["award"] and text == "thumbsdown"
    else:
        upvote = downvote = False
    body: dict[str, Any] = {"id": stored["id"], "body": text,
                            "attachment": stored["attachment"], "author": author,
                            "created_at": stored["created_at"]}
    if version >= (8, 7, 0):
        body["updated_at"] = stored["updated_at"]
    body.update({"system": stored["system"], "upvote": upvote, "downvote": downvote})
    if version >= (8, 3, 0):
        body["noteable_id"] = stored["issue"]
        body["noteable_type"] = "Issue"
    return body
