"""What one GitLab issue should be on SourceCraft: the mapped fields, the header, the links."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from bridge.kinds import issue_text
from bridge.kinds.issue_links import Links
from bridge.kinds.reference_map import ReferenceMap
from bridge.kinds.references import rewrite
from bridge.rules import RecordError
from bridge.rules.dates import is_datetime
from bridge.sources.gitlab import IssueRef

_VISIBILITY = ("public", "private")


@dataclass(frozen=True, slots=True)
class WantedIssue:
    """The SourceCraft issue one GitLab issue should be."""

    source: IssueRef
    key: str  # the GitLab issue's URL, as the header names it
    title: str
    description: str
    status: str
    links: Links
    visibility: str = "public"
    deadline: str | None = None
    raw_body: str = ""  # GitLab's text as the mapping gave it, before references are rewritten
    pending: tuple[int, ...] = ()  # iids referred to that SourceCraft does not have yet
    references: int = 0  # references rewritten

    @property
    def note(self) -> str | None:
        """What the report should say about links that could not be kept."""
        return "; ".join(self.links.notes) or None

    def render(self, refs: ReferenceMap) -> WantedIssue:
        """This issue with its text rewritten again, with what `refs` knows now."""
        text, pending, count = _rendered(self.source, self.raw_body, self.links, refs)
        return replace(self, description=text, pending=pending, references=count)

    def managed(self) -> dict[str, Any]:
        """The mapped fields, comparable with `TargetIssue.managed()`."""
        return {"title": self.title, "description": self.description, "status": self.status,
                "milestone": self.links.milestone.slug if self.links.milestone else None,
                "labels": sorted(label.name for label in self.links.labels),
                "visibility": self.visibility, "assignee": self.links.assignee,
                "deadline": self.deadline}


class IssueRows:
    """What the report shows of an issue."""

    name = "issue"

    def title_of(self, source: IssueRef | None, target: Any, wanted: Any) -> str:
        """The issue's title."""
        for item in (source, wanted, target):
            if item is not None:
                return str(item.title)
        return ""

    def slug_of(self, item: Any) -> str | None:
        """The SourceCraft number, once there is one."""
        return None if isinstance(item, WantedIssue) else str(item.slug)

    def reference(self, source: IssueRef | None, source_id: int, path: str) -> str:
        """GitLab's issue reference, `group/project#12`."""
        if source is None:
            return f"{path} issue id {source_id}".strip()
        return f"{path}#{source.iid}"

    def counts(self, source: Any) -> dict[str, int] | None:
        """Issues carry no counts in the report."""
        return None


def map_issue(issue: IssueRef, values: Mapping[str, Any], links: Links,
              refs: ReferenceMap) -> WantedIssue:
    """The wanted issue from the rules' values; RecordError for one SourceCraft would refuse."""
    title = str(values.get("title") or "").strip()
    if not title:
        raise RecordError("the title comes out empty")
    status = str(values.get("status") or "")
    if status not in ("open", "closed"):
        raise RecordError(f"status {status!r} is not open or closed; add a map")
    visibility = str(values.get("visibility") or "public")
    if visibility not in _VISIBILITY:
        raise RecordError(f"visibility {visibility!r} is not public or private")
    deadline = values.get("deadline") or None
    if deadline is not None and not is_datetime(str(deadline)):
        raise RecordError(f"deadline '{deadline}' is not a date-time (add date_to_datetime)")
    web_url = refs.project_web_url
    raw_body = str(values.get("description") or "")
    text, pending, count = _rendered(issue, raw_body, links, refs)  # as `render` gives it
    wanted = WantedIssue(issue, key=issue_text.issue_url(issue, web_url), title=title,
                         description=text, status=status, links=links, visibility=visibility,
                         deadline=str(deadline) if deadline else None, raw_body=raw_body,
                         pending=pending, references=count)
    # UTF-8 takes four bytes a character at most: a shorter text needs no encoding to know.
    if len(text) * 4 > issue_text.DESCRIPTION_LIMIT:
        size = len(text.encode("utf-8"))
        if size > issue_text.DESCRIPTION_LIMIT:
            raise RecordError(f"the description is {size} bytes, over SourceCraft's 64 KB "
                              "limit; it is not cut: shorten it in GitLab, or leave the issue out")
    return wanted


def _rendered(issue: IssueRef, raw_body: str, links: Links, refs: ReferenceMap
              ) -> tuple[str, tuple[int, ...], int]:
    """The description (header, then the text rewritten with `refs`), the issues it still
    waits for, and the references rewritten."""
    done = rewrite(raw_body, refs)
    text = issue_text.description(issue, done.text, project_web_url=refs.project_web_url,
                                  unmapped_assignee=links.unmapped_assignee)
    return text, done.pending, done.rewritten


def issue_record(issue: IssueRef) -> dict[str, Any]:
    """The GitLab fields a mapping rule may read."""
    return {"id": issue.id, "iid": issue.iid, "title": issue.title,
            "description": issue.description, "state": issue.state, "due_date": issue.due_date,
            "confidential": issue.confidential, "created_at": issue.created_at,
            "updated_at": issue.updated_at, "web_url": issue.web_url,
            "user_notes_count": issue.user_notes_count,
            "author_username": issue.author.username if issue.author else None,
            "author_name": issue.author.name if issue.author else None,
            "assignee_username": issue.assignee.username if issue.assignee else None}
