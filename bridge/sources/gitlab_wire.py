"""GitLab's issue, note and milestone pages decoded by msgspec into the records the run uses.

The fast path only: each Struct names the fields a run reads and their usual JSON types,
so msgspec skips the rest of a 1.4 KB issue without building dicts for it. A page that does
not fit (a field of an unexpected type, a body msgspec will not read) makes the decoder
answer None, and the caller reads that page the old way (`json.loads`, then the tolerant
dict parsers in `bridge.sources.gitlab`), which gives every odd page its usual result or
clean error. So the fast path may only ever agree with the dict path, never add meaning.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import msgspec

from bridge.models import SourceMilestone
from bridge.sources.records import GitLabUser, IssueRef, Project, SourceNote

if TYPE_CHECKING:
    from bridge.sources.gitlab import MilestoneCache

#: What a client's `get(..., decoder=)` takes: the body's bytes to a typed page, or None.
PageDecoder = Callable[[bytes], Any]


class WireUser(msgspec.Struct):
    """GitLab's UserBasic, the two fields a record keeps."""

    username: str | None = None
    name: str | None = None


class WireMilestone(msgspec.Struct):
    """A milestone, as listed or as embedded in an issue."""

    id: int
    title: str
    iid: int | None = None
    project_id: int | None = None
    description: str | None = None
    state: str | None = None
    due_date: str | None = None
    start_date: str | None = None
    created_at: str | None = None
    updated_at: str | None = None
    web_url: str | None = None


class WireIssue(msgspec.Struct):
    """An issue: its state and milestone for counting, the rest for the issue kind."""

    id: int
    iid: int | None = None
    state: str | None = None
    milestone: WireMilestone | None = None
    updated_at: str | None = None
    title: str | None = None
    description: str | None = None
    labels: list[str] | None = None
    author: WireUser | None = None
    assignee: WireUser | None = None
    created_at: str | None = None
    due_date: str | None = None
    confidential: bool | None = None
    web_url: str | None = None
    user_notes_count: int | None = None


class WireNote(msgspec.Struct):
    """A note of an issue."""

    id: int
    body: str | None = None
    author: WireUser | None = None
    created_at: str | None = None
    updated_at: str | None = None
    system: bool | None = None
    attachment: str | None = None


def _decoder(kind: type) -> PageDecoder:
    typed = msgspec.json.Decoder(list[kind])  # type: ignore[valid-type]

    def decode(body: bytes) -> Any:
        try:
            return typed.decode(body)
        except (msgspec.DecodeError, msgspec.ValidationError, RecursionError):
            return None  # not a page we can read fast: the dict path says what it is

    return decode


decode_issues = _decoder(WireIssue)
decode_notes = _decoder(WireNote)
decode_milestones = _decoder(WireMilestone)


def _user(user: WireUser | None) -> GitLabUser | None:
    if user is None or user.username is None:
        return None
    return _known_user(user.username, user.name or user.username)


@functools.lru_cache(maxsize=4096)
def _known_user(username: str, name: str) -> GitLabUser:
    """One record per user, not one per issue or note: a few authors write most of 200,000
    issues, and a Spill's chunk then pickles each once (half the unpickling of an issue)."""
    return GitLabUser(username=username, name=name)


def milestone_record(wire: WireMilestone, project: Project) -> SourceMilestone:
    """The record `parse_milestone` makes of the same object."""
    iid = wire.iid if wire.iid is not None else wire.id
    web_url = wire.web_url
    if web_url is None and project.web_url:
        web_url = f"{project.web_url.rstrip('/')}/milestones/{iid}"
    return SourceMilestone(
        id=wire.id, iid=iid, project_id=wire.project_id or project.id, title=wire.title,
        description=wire.description, state=wire.state or "active", due_date=wire.due_date,
        start_date=wire.start_date, created_at=wire.created_at, updated_at=wire.updated_at,
        project_path=project.path, web_url=web_url)


def issue_record(wire: WireIssue, project: Project, cache: MilestoneCache | None,
                 limit: int) -> IssueRef:
    """The record `parse_issue` makes of the same object, sharing its milestone cache."""
    raw = wire.milestone
    milestone: SourceMilestone | None = None
    if raw is not None:
        key = (raw.id, raw.updated_at)
        milestone = cache.get(key) if cache is not None else None
        if milestone is None:
            milestone = milestone_record(raw, project)
            if cache is not None:
                if len(cache) >= limit:
                    cache.clear()
                cache[key] = milestone
    return IssueRef(
        id=wire.id, iid=wire.iid if wire.iid is not None else 0, state=wire.state or "opened",
        milestone=milestone, updated_at=wire.updated_at, title=wire.title or "",
        description=wire.description,
        labels=tuple(wire.labels) if wire.labels is not None else (),
        author=_user(wire.author), assignee=_user(wire.assignee), created_at=wire.created_at,
        due_date=wire.due_date, confidential=wire.confidential is True, web_url=wire.web_url,
        user_notes_count=wire.user_notes_count, project_path=project.path)


def note_record(wire: WireNote, issue: IssueRef) -> SourceNote:
    """The record `parse_note` makes of the same object."""
    return SourceNote(id=wire.id, issue_id=issue.id, issue_iid=issue.iid, body=wire.body or "",
                      author=_user(wire.author), created_at=wire.created_at,
                      updated_at=wire.updated_at, system=wire.system is True,
                      attachment=wire.attachment)
