"""What an issue points at on SourceCraft: its migrated milestone and labels, its assignee.

A milestone or label that failed (or is in conflict) fails the issue with that
reason: it is not created half-linked. One the mapping left out on purpose is
simply not linked, and the report says so. An assignee comes through the
config's `users:`; one not there, or unknown to SourceCraft, is named in the
issue's header instead and reported, never a failure.
"""

from __future__ import annotations

import operator
from collections.abc import Mapping
from dataclasses import dataclass

from bridge.engine.refs import Refs
from bridge.sources.gitlab import GitLabUser, IssueRef, label_id

_NAME = operator.attrgetter("name")
#: Reasons `Refs` gives for an object that is missing through a failure, not by choice.
_FAILED = (" failed:", " in conflict:")


@dataclass(frozen=True, slots=True)
class Link:
    """One linked object: its GitLab id (the key in Refs), SourceCraft slug and name."""

    source_id: int
    slug: str
    name: str


@dataclass(frozen=True, slots=True)
class Links:
    """Everything an issue points at, or why it cannot be created."""

    milestone: Link | None = None
    labels: tuple[Link, ...] = ()
    assignee: str | None = None  # SourceCraft user slug
    assignee_id: str | None = None
    unmapped_assignee: GitLabUser | None = None
    notes: tuple[str, ...] = ()
    error: str | None = None


#: What one look-up in `Refs` found, by ("milestone", id) or ("label", name): kept for a
#: batch of issues (many point at the same few), while `Refs` do not change.
LinkCache = dict[tuple[str, object], "Link | str"]


def resolve_links(issue: IssueRef, refs: Refs, *, users: Mapping[str, str],
                  user_ids: Mapping[str, str | None], cache: LinkCache | None = None) -> Links:
    """The issue's links as the kinds before it left them in `refs` (each milestone and label
    looked up once per `cache`)."""
    seen: LinkCache = {} if cache is None else cache
    notes: list[str] = []
    milestone = None
    if issue.milestone is not None:
        found = seen.get(("milestone", issue.milestone.id))
        if found is None:
            found = seen[("milestone", issue.milestone.id)] = _link(refs, "milestone",
                                                                    issue.milestone.id)
        if isinstance(found, str):
            if any(tag in found for tag in _FAILED):
                return Links(error=f"its milestone '{issue.milestone.title}': {found}")
            notes.append(f"milestone '{issue.milestone.title}' not linked ({found})")
        else:
            milestone = found
    labels: list[Link] = []
    for name in issue.labels:
        found = seen.get(("label", name))
        if found is None:
            found = seen[("label", name)] = _link(refs, "label", label_id(name))
        if isinstance(found, str):
            if any(tag in found for tag in _FAILED):
                return Links(error=f"its label '{name}': {found}")
            notes.append(f"label '{name}' not linked ({found})")
        else:
            labels.append(found)
    slug, ident, unmapped = _assignee(issue.assignee, users, user_ids, notes)
    return Links(milestone=milestone, labels=tuple(sorted(labels, key=_NAME)),
                 assignee=slug, assignee_id=ident, unmapped_assignee=unmapped,
                 notes=tuple(notes))


def _link(refs: Refs, kind: str, source_id: int) -> Link | str:
    ref = refs.get(kind, source_id)
    if ref is not None:
        return Link(source_id, ref.slug, ref.name)
    return refs.why_missing(kind, source_id) or f"no such {kind} on GitLab's list"


def _assignee(user: GitLabUser | None, users: Mapping[str, str],
              user_ids: Mapping[str, str | None], notes: list[str]
              ) -> tuple[str | None, str | None, GitLabUser | None]:
    if user is None:
        return None, None, None
    slug = users.get(user.username)
    if slug is None:
        notes.append(f"assignee {user.username} is not in users:; named in the header")
        return None, None, user
    ident = user_ids.get(slug)
    if ident is None:
        notes.append(f"assignee {user.username} -> {slug}: no such SourceCraft user; named "
                     "in the header")
        return None, None, user
    return slug, ident, None
