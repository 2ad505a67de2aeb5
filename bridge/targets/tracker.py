"""SourceCraft's labels, issues and users as typed calls; JSON dicts stop here.

Writes are sent once (the loader decides what an unknown outcome means) and
carry `?silent=` like every write; reads page with `next_page_token` through
the one token walk in `bridge.net.paging`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, TypeVar
from urllib.parse import quote

from bridge.errors import AmbiguousWriteError, ApiError, FatalApiError
from bridge.net.http import HttpClient, parse_json
from bridge.net.paging import token_pages
from bridge.targets.records import TargetComment, TargetIssue, TargetLabel

T = TypeVar("T")


def _object(data: Any, what: str) -> dict[str, Any]:
    if not isinstance(data, dict) or not isinstance(data.get("id"), str):
        raise FatalApiError(f"SourceCraft sent something that is not a {what}: "
                            f"{str(data)[:120]!r}")
    return data


def _created(parse: Callable[[], T]) -> T:
    """What a create's 2xx answer holds; an answer that cannot be read (cut off, not JSON, not
    the object) leaves the outcome unknown: the object may well exist, so the loader must
    look before it sends again, never re-send blind."""
    try:
        return parse()
    except ApiError as exc:
        raise AmbiguousWriteError(f"created, but the answer cannot be read ({exc})",
                                  status=exc.status, request_id=exc.request_id) from None


def parse_label(data: Any) -> TargetLabel:
    """One v1.Label object."""
    raw = _object(data, "label")
    return TargetLabel(id=raw["id"], name=str(raw.get("name") or ""),
                       slug=str(raw.get("slug") or ""), color=str(raw.get("color") or ""),
                       updated_at=raw.get("updated_at") or None)


def parse_issue(data: Any) -> TargetIssue:
    """One Issue object: status, milestone, labels and assignee reduced to slugs and names."""
    raw = _object(data, "issue")
    status = raw.get("status")
    milestone = raw.get("milestone") if isinstance(raw.get("milestone"), dict) else None
    labels = [item for item in raw.get("labels") or [] if isinstance(item, dict)]
    assignee = raw.get("assignee") if isinstance(raw.get("assignee"), dict) else None
    return TargetIssue(
        id=raw["id"], slug=str(raw.get("slug") or ""), title=str(raw.get("title") or ""),
        description=str(raw.get("description") or ""),
        status=str(status.get("slug") if isinstance(status, dict) else status or "open"),
        milestone=milestone.get("slug") if milestone else None,
        milestone_id=milestone.get("id") if milestone else None,
        labels=tuple(sorted(str(item.get("name") or "") for item in labels)),
        label_ids=tuple(str(item.get("id")) for item in labels),
        visibility=str(raw.get("visibility") or "public"),
        assignee=assignee.get("slug") if assignee else None,
        deadline=raw.get("deadline") or None, updated_at=raw.get("updated_at") or None)


def parse_comment(data: Any, issue: str) -> TargetComment:
    """One IssueComment object of issue number `issue`."""
    raw = _object(data, "comment")
    return TargetComment(id=raw["id"], issue=issue, body=str(raw.get("body") or ""),
                         created_at=raw.get("created_at") or None,
                         updated_at=raw.get("updated_at") or None)


class TrackerClient:
    """The labels, issues and users of one SourceCraft repository."""

    def __init__(self, client: HttpClient, *, org: str, repo: str, silent: bool = True,
                 page_size: int = 100) -> None:
        self._http = client
        self._repo = f"/repos/{quote(org, safe='')}/{quote(repo, safe='')}"
        self._write = {"silent": "true" if silent else "false"}
        self._page_size = page_size

    # -- labels ------------------------------------------------------------------------------

    def label_pages(self) -> Iterator[list[TargetLabel]]:
        """Every label of the repository, page by page."""
        for page in token_pages(self._http, f"{self._repo}/labels", "items",
                                {"page_size": self._page_size}):
            yield [parse_label(item) for item in page]

    def create_label(self, body: Mapping[str, Any]) -> TargetLabel:
        """POST once; a name that exists answers 409 (FatalApiError), for the loader to read."""
        response = self._http.post(f"{self._repo}/labels", json=dict(body), params=self._write)
        return _created(lambda: parse_label(parse_json(response)))

    def update_label(self, label: TargetLabel, body: Mapping[str, Any]) -> TargetLabel:
        """PATCH by id."""
        response = self._http.patch(f"/labels/id:{quote(label.id, safe='')}", json=dict(body),
                                    params=self._write)
        return parse_label(parse_json(response))

    def delete_label(self, label: TargetLabel) -> None:
        """DELETE by id; already gone counts as deleted."""
        self._delete(f"/labels/id:{quote(label.id, safe='')}")

    # -- issues ------------------------------------------------------------------------------

    def issue_pages(self, filter_: str | None = None) -> Iterator[list[TargetIssue]]:
        """Every issue (matching `filter_`, SourceCraft's QL), page by page."""
        params: dict[str, Any] = {"page_size": self._page_size}
        if filter_:
            params["filter"] = filter_
        for page in token_pages(self._http, f"{self._repo}/issues", "issues", params):
            yield [parse_issue(item) for item in page]

    def issue_by_id(self, issue_id: str) -> TargetIssue | None:
        """One issue by its id, None when SourceCraft has none (404)."""
        try:
            response = self._http.get(f"/issues/id:{quote(issue_id, safe='')}")
        except FatalApiError as exc:
            if exc.status == 404:
                return None
            raise
        return parse_issue(parse_json(response))

    def create_issue(self, body: Mapping[str, Any]) -> TargetIssue:
        """POST once; SourceCraft numbers the issue."""
        response = self._http.post(f"{self._repo}/issues", json=dict(body), params=self._write)
        return _created(lambda: parse_issue(parse_json(response)))

    def update_issue(self, issue: TargetIssue, body: Mapping[str, Any]) -> TargetIssue:
        """PATCH by id (UpdateIssueBody: "" clears milestone_id and assignee_id)."""
        response = self._http.patch(f"/issues/id:{quote(issue.id, safe='')}", json=dict(body),
                                    params=self._write)
        return parse_issue(parse_json(response))

    def set_issue_labels(self, issue: TargetIssue, label_ids: Sequence[str]) -> None:
        """PUT the issue's whole label set (idempotent, so retried like any PUT)."""
        self._http.put(f"/issues/id:{quote(issue.id, safe='')}/labels",
                       json={"ids": list(label_ids)}, params=self._write)

    def delete_issue(self, issue: TargetIssue) -> None:
        """DELETE by id; already gone counts as deleted."""
        self._delete(f"/issues/id:{quote(issue.id, safe='')}")

    # -- comments ----------------------------------------------------------------------------

    def comments(self, issue: str) -> list[TargetComment]:
        """Every comment of issue number `issue`, in SourceCraft's order (no filter exists)."""
        path = f"{self._repo}/issues/{quote(issue, safe='')}/comments"
        return [parse_comment(item, issue)
                for page in token_pages(self._http, path, "issue_comments",
                                        {"page_size": self._page_size})
                for item in page]

    def create_comment(self, issue: str, body: str) -> TargetComment:
        """POST once to issue number `issue`."""
        response = self._http.post(f"{self._repo}/issues/{quote(issue, safe='')}/comments",
                                   json={"body": body}, params=self._write)
        return _created(lambda: parse_comment(parse_json(response), issue))

    def update_comment(self, comment: TargetComment, body: str) -> TargetComment:
        """PATCH the body by id."""
        response = self._http.patch(f"/issue_comments/id:{quote(comment.id, safe='')}",
                                    json={"body": body}, params=self._write)
        return parse_comment(parse_json(response), comment.issue)

    def delete_comment(self, comment: TargetComment) -> None:
        """DELETE by id (SourceCraft keeps it, soft-deleted, out of the list)."""
        self._delete(f"/issue_comments/id:{quote(comment.id, safe='')}")

    # -- users -------------------------------------------------------------------------------

    def user_id(self, slug: str) -> str | None:
        """The id of the user with this slug, None when SourceCraft has none (404)."""
        try:
            response = self._http.get(f"/users/{quote(slug, safe='')}")
        except FatalApiError as exc:
            if exc.status == 404:
                return None
            raise
        data = parse_json(response)
        return str(data["id"]) if isinstance(data, dict) and data.get("id") else None

    def _delete(self, path: str) -> None:
        try:
            self._http.delete(path, params=self._write)
        except FatalApiError as exc:
            if exc.status != 404:
                raise
