"""GitLab's API v3 (and v4's same calls) as typed pages; raw JSON dicts stop here."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import quote

from bridge.compact import CountMap
from bridge.errors import FatalApiError
from bridge.models import SourceMilestone
from bridge.net.http import HttpClient, parse_json
from bridge.net.paging import GitLabPaginator, walk_pages
from bridge.sources import gitlab_wire as wire
from bridge.sources.records import (
    GitLabUser,
    IssueRef,
    Project,
    SourceIssue,
    SourceLabel,
    SourceNote,
    label_id,
)


def _user(data: Any) -> GitLabUser | None:
    if not isinstance(data, dict) or not isinstance(data.get("username"), str):
        return None
    return GitLabUser(username=data["username"], name=str(data.get("name") or data["username"]))



def _need(data: Mapping[str, Any], key: str, kind: type, what: str) -> Any:
    value = data.get(key)
    if not isinstance(value, kind) or isinstance(value, bool):
        raise FatalApiError(f"GitLab sent a {what} without a valid {key!r} field: "
                            f"{str(dict(data))[:120]!r}")
    return value


def _text(data: Mapping[str, Any], key: str) -> str | None:
    value = data.get(key)
    return None if value is None else str(value)


def parse_milestone(data: Any, project: Project) -> SourceMilestone:
    """One v3 milestone object; `start_date` may be missing (before 8.15), `web_url` too."""
    if isinstance(data, wire.WireMilestone):
        return wire.milestone_record(data, project)
    if not isinstance(data, dict):
        raise FatalApiError(f"GitLab sent a milestone that is not an object: {str(data)[:120]!r}")
    milestone_id = _need(data, "id", int, "milestone")
    title = _need(data, "title", str, "milestone")
    iid: int = data["iid"] if isinstance(data.get("iid"), int) else milestone_id
    web_url = _text(data, "web_url")
    if web_url is None and project.web_url:
        web_url = f"{project.web_url.rstrip('/')}/milestones/{iid}"
    return SourceMilestone(
        id=milestone_id, iid=iid, project_id=int(data.get("project_id") or project.id),
        title=title, description=_text(data, "description"),
        state=str(data.get("state") or "active"), due_date=_text(data, "due_date"),
        start_date=_text(data, "start_date"), created_at=_text(data, "created_at"),
        updated_at=_text(data, "updated_at"), project_path=project.path, web_url=web_url)


#: Parsed embedded milestones by (id, updated_at): a few hundred milestones ride on many issues.
MilestoneCache = dict[tuple[Any, Any], SourceMilestone]
_CACHE_LIMIT = 10_000


def parse_issue(data: Any, project: Project, cache: MilestoneCache | None = None) -> IssueRef:
    """One issue, reduced to what milestone counting needs.

    `cache` lets a reader parse each embedded milestone once per version instead of once per
    issue (a profile showed that parse taking most of the extract stage's own CPU).
    """
    if isinstance(data, wire.WireIssue):
        return wire.issue_record(data, project, cache, _CACHE_LIMIT)
    if not isinstance(data, dict):
        raise FatalApiError(f"GitLab sent an issue that is not an object: {str(data)[:120]!r}")
    issue_id = _need(data, "id", int, "issue")
    raw = data.get("milestone")
    milestone: SourceMilestone | None = None
    if raw is not None:
        key = (raw.get("id"), raw.get("updated_at")) if isinstance(raw, dict) else None
        milestone = cache.get(key) if cache is not None and key is not None else None
        if milestone is None:
            milestone = parse_milestone(raw, project)
            if cache is not None and key is not None:
                if len(cache) >= _CACHE_LIMIT:
                    cache.clear()
                cache[key] = milestone
    labels = data.get("labels")
    notes = data.get("user_notes_count")
    return IssueRef(
        id=issue_id, iid=data["iid"] if isinstance(data.get("iid"), int) else 0,
        state=str(data.get("state") or "opened"), milestone=milestone,
        updated_at=_text(data, "updated_at"), title=str(data.get("title") or ""),
        description=_text(data, "description"),
        labels=tuple(str(x) for x in labels) if isinstance(labels, list) else (),
        author=_user(data.get("author")), assignee=_user(data.get("assignee")),
        created_at=_text(data, "created_at"), due_date=_text(data, "due_date"),
        confidential=data.get("confidential") is True, web_url=_text(data, "web_url"),
        user_notes_count=notes if isinstance(notes, int) else None, project_path=project.path)


def parse_note(data: Any, issue: IssueRef) -> SourceNote:
    """One note of `issue`; fields a version lacks are None."""
    if isinstance(data, wire.WireNote):
        return wire.note_record(data, issue)
    if not isinstance(data, dict):
        raise FatalApiError(f"GitLab sent a note that is not an object: {str(data)[:120]!r}")
    return SourceNote(id=_need(data, "id", int, "note"), issue_id=issue.id, issue_iid=issue.iid,
                      body=str(data.get("body") or ""), author=_user(data.get("author")),
                      created_at=_text(data, "created_at"), updated_at=_text(data, "updated_at"),
                      system=data.get("system") is True, attachment=_text(data, "attachment"))


def parse_label(data: Any, project: Project) -> SourceLabel:
    """One label: `name` and `color` in every 8.x version, the rest when the version has it."""
    if not isinstance(data, dict):
        raise FatalApiError(f"GitLab sent a label that is not an object: {str(data)[:120]!r}")
    name = _need(data, "name", str, "label")
    ident = data.get("id")
    return SourceLabel(name=name, color=str(data.get("color") or ""),
                       description=_text(data, "description"),
                       gitlab_id=ident if isinstance(ident, int) else None,
                       project_path=project.path)


class GitLabReader:
    """Reads one project's milestones and issues page by page, streaming, never trusting totals."""

    def __init__(self, client: HttpClient, *, project: str, per_page: int = 100,
                 concurrency: int = 1, api_prefix: str = "/api/v3") -> None:
        self._client = client
        self._project_ref = str(project)
        self._per_page = per_page
        self._concurrency = max(1, concurrency)
        self._prefix = "/" + api_prefix.strip("/")
        self._project: Project | None = None

    def project(self) -> Project:
        """The project, resolved on first use with one GET and cached after that."""
        if self._project is None:
            # A path must be one URL segment: group%2Fproject, per GitLab's API docs.
            ref = quote(self._project_ref, safe="")
            response = self._client.get(f"{self._prefix}/projects/{ref}")
            data = _object(parse_json(response), "the project")
            path = data.get("path_with_namespace") or self._project_ref
            self._project = Project(id=_need(data, "id", int, "project"), path=str(path),
                                    web_url=_text(data, "web_url"))
        return self._project

    def milestone_pages(self) -> Iterator[list[SourceMilestone]]:
        """Every milestone, every state (no state filter is sent), one list per page."""
        project = self.project()
        seen: set[int] = set()
        path = f"{self._prefix}/projects/{project.id}/milestones"
        for page in walk_pages(self._client, path, {"per_page": self._per_page},
                               concurrency=self._concurrency, what="milestones",
                               decoder=wire.decode_milestones):
            milestones = [parse_milestone(item, project) for item in page]
            fresh = [m for m in milestones if m.id not in seen]
            seen.update(m.id for m in fresh)
            yield fresh

    def label_pages(self) -> Iterator[list[SourceLabel]]:
        """Every label: one unpaginated list in v3 (v4 pages it; both walks end the same)."""
        project = self.project()
        seen: set[str] = set()
        path = f"{self._prefix}/projects/{project.id}/labels"
        for page in walk_pages(self._client, path, {"per_page": self._per_page},
                               concurrency=1, what="labels"):
            labels = [parse_label(item, project) for item in page]
            fresh = [label for label in labels if label.name not in seen]
            seen.update(label.name for label in fresh)  # a group and a project label alike
            yield fresh

    def issue_pages(self, params: Mapping[str, str] | None = None) -> Iterator[list[IssueRef]]:
        """Every issue, streamed one page at a time; an issue seen twice is yielded once.

        Oldest first, so issues created while we page land at the end instead of
        shifting every later page by one (which shows us items twice or skips them).
        """
        project = self.project()
        seen = CountMap()  # ids seen (-> 1): 16 bytes an issue, even for 200,000
        cache: MilestoneCache = {}
        query: dict[str, Any] = {"order_by": "created_at", "sort": "asc",
                                 "per_page": self._per_page, **(params or {})}
        path = f"{self._prefix}/projects/{project.id}/issues"
        for page in walk_pages(self._client, path, query, concurrency=self._concurrency,
                               what="issues", decoder=wire.decode_issues):
            issues = [parse_issue(item, project, cache) for item in page]
            met = seen.first_seen([issue.id for issue in issues])
            yield issues if all(met) else [i for i, new in zip(issues, met, strict=True) if new]

    def notes(self, issue: IssueRef) -> list[SourceNote]:
        """Every note of one issue, each once, oldest first by (created_at, id).

        v3 addresses the issue by its global id (v4 by its iid); pages come in no defined
        order and, from 8.4, may be short with more to follow, so every page is read.
        """
        project = self.project()
        ref = issue.iid if self._prefix.endswith("/v4") else issue.id
        path = f"{self._prefix}/projects/{project.id}/issues/{ref}/notes"
        found: dict[int, SourceNote] = {}
        for page in walk_pages(self._client, path, {"per_page": self._per_page},
                               concurrency=1, what="notes", decoder=wire.decode_notes):
            for item in page:
                note = parse_note(item, issue)
                found.setdefault(note.id, note)
        return sorted(found.values(), key=lambda n: (n.created_at or "", n.id))

    def issue_pages_in_turn(self, params: Mapping[str, Any]
                            ) -> Iterator[tuple[list[IssueRef], int | None]]:
        """Issue pages asked for one at a time, never ahead (a caller may stop after the
        first), each with the server's `X-Total` (None when it sends none); for mirror runs.
        """
        project = self.project()
        path = f"{self._prefix}/projects/{project.id}/issues"
        paginator = GitLabPaginator(path, {"per_page": self._per_page, **params})
        request = paginator.first(path)
        cache: MilestoneCache = {}
        while True:
            response = self._client.get(request.url, request.params,
                                        decoder=wire.decode_issues)
            data = parse_json(response)
            if not isinstance(data, list):
                raise FatalApiError(f"GitLab answered a page of issues with a JSON "
                                    f"{type(data).__name__} where a list belongs")
            total = str(response.headers.get("X-Total") or "")
            yield ([parse_issue(item, project, cache) for item in data],
                   int(total) if total.isdigit() else None)
            following = paginator.next_request(response) if data else None
            if following is None:
                return
            request = following


def _object(data: Any, what: str) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise FatalApiError(f"GitLab answered {what} with {type(data).__name__}, not an object")
    return data


__all__ = ["GitLabReader", "GitLabUser", "IssueRef", "Project", "SourceIssue", "SourceLabel",
           "SourceNote", "label_id", "parse_issue", "parse_label", "parse_milestone",
           "parse_note"]
