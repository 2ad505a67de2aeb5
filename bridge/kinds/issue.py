"""Issues: each GitLab issue a SourceCraft issue, found again by the GitLab URL in its header.

SourceCraft numbers issues itself and has no client key, so the natural key is
the GitLab issue's URL at the fixed first line scbridge writes (`issue_text`).
An issue points at its milestone and labels through the objects they were
migrated to (`Refs`); one whose milestone or label failed is not created
half-linked but fails with that reason. A closed issue is created closed.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from bridge.engine.kind import SourceSet
from bridge.engine.refs import Refs, TargetRef
from bridge.errors import FatalApiError
from bridge.kinds import issue_text
from bridge.kinds.context import KindContext
from bridge.kinds.issue_links import Links, resolve_links
from bridge.models import Skipped
from bridge.rules import RecordError
from bridge.rules.dates import is_datetime
from bridge.sources.gitlab import IssueRef
from bridge.targets.records import ISSUE_FIELDS, TargetIssue

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

    @property
    def note(self) -> str | None:
        """What the report should say about links that could not be kept."""
        return "; ".join(self.links.notes) or None

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


class IssueKind(IssueRows):
    """GitLab issues as SourceCraft issues."""

    plural = "issues"
    depends_on: tuple[str, ...] = ("label", "milestone")
    fields = ISSUE_FIELDS
    key_name = "GitLab URL"

    def __init__(self, ctx: KindContext) -> None:
        self._ctx = ctx
        self._user_ids: dict[str, str | None] = {}  # SourceCraft user slug -> id, looked up once

    def compare_keys(self) -> tuple[str, ...]:
        """Every managed field."""
        return ISSUE_FIELDS

    def extract(self) -> SourceSet:
        """Every issue: from the milestones' issue scan when it kept them, else read here."""
        kept = self._ctx.shared.get("issues")
        pages = 0
        if kept is None:
            kept = []
            for page in self._ctx.reader.issue_pages():
                pages += 1
                kept.extend(page)
                self._ctx.on_page("issues", len(page))
        for slug in sorted({self._ctx.users[i.assignee.username] for i in kept
                            if i.assignee is not None and i.assignee.username in self._ctx.users}):
            self._user_ids[slug] = self._ctx.tracker.user_id(slug)
        self._ctx.shared["issue_items"] = kept  # the comments kind reads their notes
        return SourceSet(items=tuple(kept), pages=pages)

    def transform(self, source: SourceSet, refs: Refs, *,
                  reserved: Mapping[int, str]) -> list[Any]:
        """Each issue mapped, linked to its migrated milestone and labels, headed."""
        del reserved
        web_url = self._ctx.reader.project().web_url
        rules = self._ctx.mapping.section("issue")
        out: list[Any] = []
        for issue in sorted(source.items, key=lambda item: item.id):
            links = resolve_links(issue, refs, users=self._ctx.users, user_ids=self._user_ids)
            if links.error is not None:
                out.append(Skipped(issue, reason="not created without what it points at",
                                   error=links.error))
                continue
            try:
                out.append(self._wanted(issue, rules.values(_record(issue)), links, web_url))
            except RecordError as exc:
                out.append(Skipped(issue, reason="mapping failed", error=str(exc)))
        return out

    def _wanted(self, issue: IssueRef, values: Mapping[str, Any], links: Links,
                web_url: str | None) -> WantedIssue:
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
        text = issue_text.description(issue, str(values.get("description") or ""),
                                      project_web_url=web_url,
                                      unmapped_assignee=links.unmapped_assignee)
        size = len(text.encode("utf-8"))
        if size > issue_text.DESCRIPTION_LIMIT:
            raise RecordError(f"the description is {size} bytes, over SourceCraft's 64 KB limit; "
                              "it is not cut: shorten it in GitLab, or leave the issue out")
        return WantedIssue(issue, key=issue_text.issue_url(issue, web_url), title=title,
                           description=text, status=status, links=links,
                           visibility=visibility, deadline=str(deadline) if deadline else None)

    def target_pages(self) -> Iterator[Sequence[TargetIssue]]:
        """Every issue of the repository, each with the key its header holds (None: not ours)."""
        for page in self._ctx.tracker.issue_pages():
            yield [replace(issue, key=issue_text.key_of(issue.description)) for issue in page]

    def conflict(self, wanted: WantedIssue, found: TargetIssue) -> str | None:
        """An issue whose header names our GitLab URL was written by scbridge: ours."""
        return None

    def create(self, wanted: WantedIssue, refs: Refs) -> TargetIssue:
        """POST the issue with its status, milestone, labels and assignee in the one request."""
        body: dict[str, Any] = {"title": wanted.title, "description": wanted.description,
                                "status_slug": wanted.status, "visibility": wanted.visibility}
        if wanted.deadline:
            body["deadline"] = wanted.deadline
        milestone = _id_of(refs, "milestone", wanted.links.milestone)
        if milestone:
            body["milestone_id"] = milestone
        labels = [_id_of(refs, "label", label) for label in wanted.links.labels]
        if labels:
            body["label_ids"] = labels
        if wanted.links.assignee_id:
            body["assignee_id"] = wanted.links.assignee_id
        created = self._ctx.tracker.create_issue(body)
        return replace(created, key=issue_text.key_of(created.description))

    def find(self, wanted: WantedIssue) -> TargetIssue | None:
        """The issue holding our key: the title filter (a prefix match) first, else a listing."""
        quoted = wanted.title.replace("\\", "\\\\").replace('"', '\\"')
        try:
            pages = list(self._ctx.tracker.issue_pages(f'title="{quoted}"'))
        except FatalApiError as exc:
            if exc.status != 400:
                raise
            pages = list(self._ctx.tracker.issue_pages())  # a filter it refuses: list them all
        for page in pages:
            for issue in page:
                if issue_text.key_of(issue.description) == wanted.key:
                    return replace(issue, key=wanted.key)
        return None

    def change(self, target: TargetIssue, wanted: WantedIssue | None,
               changes: Mapping[str, tuple[Any, Any]], refs: Refs) -> TargetIssue:
        """PATCH the changed fields by id; labels are PUT as a whole set."""
        body: dict[str, Any] = {}
        for name, (_before, after) in changes.items():
            if name == "status":
                body["status_slug"] = after
            elif name == "milestone":
                link = wanted.links.milestone if wanted is not None else None
                body["milestone_id"] = _id_of(refs, "milestone", link) or ""
            elif name == "assignee":
                body["assignee_id"] = (wanted.links.assignee_id if wanted else None) or ""
            elif name != "labels":
                body[name] = after
        updated = self._ctx.tracker.update_issue(target, body) if body else target
        if "labels" in changes and wanted is not None:
            ids = [_id_of(refs, "label", label) for label in wanted.links.labels]
            self._ctx.tracker.set_issue_labels(target, [i for i in ids if i])
            updated = replace(updated, labels=tuple(sorted(x.name for x in wanted.links.labels)))
        return replace(updated, key=target.key)

    def delete(self, target: TargetIssue) -> None:
        """DELETE by id."""
        self._ctx.tracker.delete_issue(target)

    def ref_of(self, item: TargetIssue | WantedIssue) -> TargetRef:
        """Comments (later) point at an issue by its number."""
        if isinstance(item, TargetIssue):
            return TargetRef(item.id, item.slug, item.title)
        return TargetRef(None, "", item.title)


def _id_of(refs: Refs, kind: str, link: Any) -> str | None:
    """The target id of a linked object, as refs know it now (after that kind was loaded)."""
    if link is None:
        return None
    ref = refs.get(kind, link.source_id)
    return ref.id if ref is not None else None


def _record(issue: IssueRef) -> dict[str, Any]:
    """The GitLab fields a mapping rule may read."""
    return {"id": issue.id, "iid": issue.iid, "title": issue.title,
            "description": issue.description, "state": issue.state, "due_date": issue.due_date,
            "confidential": issue.confidential, "created_at": issue.created_at,
            "updated_at": issue.updated_at, "web_url": issue.web_url,
            "user_notes_count": issue.user_notes_count,
            "author_username": issue.author.username if issue.author else None,
            "author_name": issue.author.name if issue.author else None,
            "assignee_username": issue.assignee.username if issue.assignee else None}
