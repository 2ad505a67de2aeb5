"""The fake GitLab API v3: the read routes scbridge uses, with 8.x auth, errors and pagination."""

from __future__ import annotations

import hashlib
import json
import re
import urllib.parse
from collections.abc import Callable, Sequence
from typing import Any

from bridge.sandbox.gitlab_state import GitLabState
from bridge.sandbox.issues import IssueQuery
from bridge.sandbox.messages import Request, Response
from bridge.sandbox.paging import BadParamError, paginate

_PREFIX = "/api/v3"
_ROUTES: list[tuple[re.Pattern[str], str]] = [
    # "/?": Rails ignores a trailing slash, and python-gitlab 1.4's v3 issue URL ends in one.
    (re.compile(_PREFIX + pattern + "/?$"), name) for pattern, name in (
    (r"/version", "version"),
    (r"/projects/([^/]+)", "project"),
    (r"/projects/([^/]+)/milestones", "milestones"),
    (r"/projects/([^/]+)/milestones/([^/]+)", "milestone"),
    (r"/projects/([^/]+)/milestones/([^/]+)/issues", "milestone_issues"),
    (r"/projects/([^/]+)/issues", "issues"),
    (r"/projects/([^/]+)/issues/([^/]+)", "issue"),
    (r"/projects/([^/]+)/labels", "labels"),
    (r"/projects/([^/]+)/issues/([^/]+)/notes", "notes"),
    (r"/projects/([^/]+)/issues/([^/]+)/notes/([^/]+)", "note"),
)]


def _json(status: int, payload: Any, headers: list[tuple[str, str]] | None = None) -> Response:
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
    extra = [("Cache-Control", "max-age=0, private, must-revalidate"),
             ("Etag", f'W/"{hashlib.md5(body, usedforsecurity=False).hexdigest()}"'),
             ("Vary", "Origin"), ("X-Runtime", "0.012345")]
    return Response(status, body, "application/json", (headers or []) + extra)


class GitLabApp:
    """Answers /api/v3 requests from a GitLabState; `token` reads, `forbidden_token` gets 403."""

    name = "gitlab"

    def __init__(self, state: GitLabState, token: str, forbidden_token: str) -> None:
        self.state = state
        self.token = token
        self.forbidden_token = forbidden_token

    def kind(self, method: str) -> str:
        """Everything sent to GitLab counts as a source read."""
        return "source_read"

    def route(self, path: str) -> str:
        """The route name the request log counts `path` under ("" if none)."""
        return next((name for pattern, name in _ROUTES if pattern.match(path)), "")

    def error(self, request: Request, status: int, message: str) -> Response:
        """GitLab's error body: `{"message": "..."}`."""
        return _json(status, {"message": message})

    def handle(self, request: Request) -> Response:  # noqa: PLR0911  one return per outcome
        """Route, authenticate, answer."""
        route = next(((name, match.groups()) for pattern, name in _ROUTES
                      if (match := pattern.match(request.raw_path))), None)
        if route is None:
            return _json(404, {"error": "404 Not Found"})
        if request.method != "GET":
            return _json(405, {"error": "405 Not Allowed"})
        token = self._token(request)
        if token not in (self.token, self.forbidden_token):
            return _json(401, {"message": "401 Unauthorized"})
        name, groups = route
        if name == "version":
            return _json(200, {"version": self.state.version, "revision": "6e7e4a1"})
        route_id = urllib.parse.unquote(groups[0])
        if route_id not in (str(self.state.project["id"]), self.state.project["path"]):
            return _json(404, {"message": "404 Project Not Found"})
        if token == self.forbidden_token:
            return _json(403, {"message": "403 Forbidden"})
        handler: Callable[[Request, str, Sequence[str]], Response] = getattr(self, f"_{name}")
        try:
            with self.state.lock:
                return handler(request, route_id, groups[1:])
        except BadParamError as exc:
            return _json(400, {"error": str(exc)})

    def _token(self, request: Request) -> str | None:
        if "private-token" in request.headers:
            request.auth = "header"
            return request.headers["private-token"]
        if request.param("private_token") is not None:
            request.auth = "param"
            return request.param("private_token")
        scheme, _, value = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() == "bearer" and value:
            request.auth = "bearer"
            return value.strip()
        return None

    def _project(self, request: Request, route_id: str, args: Sequence[str]) -> Response:
        return _json(200, self.state.project_json(request.base_url))

    def _milestones(self, request: Request, route_id: str, args: Sequence[str]) -> Response:
        state = request.param("state") or "all"
        if state not in ("active", "closed", "all"):
            raise BadParamError("state does not have a valid value")
        iids = {_int(v, "iid") for key in ("iid", "iid[]") for v in request.query.get(key, [])}
        items = [m for m in self.state.listed()
                 if state in ("all", m["state"]) and (not iids or m["iid"] in iids)]
        page = paginate(request, len(items), route_id)
        chunk = items[page.offset: page.offset + page.limit]
        return _json(200, [self.state.milestone_json(m) for m in chunk], page.headers)

    def _milestone(self, request: Request, route_id: str, args: Sequence[str]) -> Response:
        stored = self.state.milestone(_int(urllib.parse.unquote(args[0]), "milestone_id"))
        if stored is None:
            return _json(404, {"message": "404 Not found"})
        return _json(200, self.state.milestone_json(stored))

    def _milestone_issues(self, request: Request, route_id: str, args: Sequence[str]) -> Response:
        stored = self.state.milestone(_int(urllib.parse.unquote(args[0]), "milestone_id"))
        if stored is None:
            return _json(404, {"message": "404 Not found"})
        return self._issue_page(request, route_id, IssueQuery(milestones=frozenset({stored["id"]})))

    def _issues(self, request: Request, route_id: str, args: Sequence[str]) -> Response:
        state = request.param("state") or "all"
        order_by = request.param("order_by") or "created_at"
        sort = request.param("sort") or "desc"
        if state not in ("opened", "closed", "all"):
            raise BadParamError("state does not have a valid value")
        if order_by not in ("created_at", "updated_at"):
            raise BadParamError("order_by does not have a valid value")
        if sort not in ("asc", "desc"):
            raise BadParamError("sort does not have a valid value")
        if not self.state.sorts_issues():
            order_by, sort = "created_at", "desc"  # before 8.12 both are silently ignored
        raw_labels = (request.param("labels") or "").split(",")
        labels = frozenset(x.strip() for x in raw_labels if x.strip())
        title = request.param("milestone")
        iid = request.param("iid")
        milestones = None if title is None else self.state.milestone_ids_titled(title)
        query = IssueQuery(state=state, labels=labels, order_by=order_by, sort=sort,
                           milestones=milestones,
                           iid=None if iid is None else _int(iid, "iid"))
        return self._issue_page(request, route_id, query)

    def _issue_page(self, request: Request, route_id: str, query: IssueQuery) -> Response:
        view = self.state.issues.view(query)
        page = paginate(request, len(view), route_id)
        chunk = view[page.offset: page.offset + page.limit]
        issues = self.state.issues
        body = [self.state.issue_json(issues.stored(index), request.base_url) for index in chunk]
        return _json(200, body, page.headers)

    def _issue(self, request: Request, route_id: str, args: Sequence[str]) -> Response:
        index = self.state.issues.index_of_id(_int(urllib.parse.unquote(args[0]), "issue_id"))
        if index is None:
            return _json(404, {"message": "404 Not found"})
        return _json(200, self.state.issue_json(self.state.issues.stored(index), request.base_url))

    def _labels(self, request: Request, route_id: str, args: Sequence[str]) -> Response:
        # Not paginated in v3: one answer holds every label, whatever page/per_page say.
        return _json(200, self.state.labels_json())

    def _notes(self, request: Request, route_id: str, args: Sequence[str]) -> Response:
        issue_id = _int(urllib.parse.unquote(args[0]), "issue_id")  # the global id in v3
        if self.state.issues.index_of_id(issue_id) is None:
            return _json(404, {"message": "404 Not found"})
        rows = self.state.served_notes(issue_id)
        page = paginate(request, len(rows), route_id)
        chunk = rows[page.offset: page.offset + page.limit]
        if self.state.release >= (8, 4, 0):
            # 8.4+ drops notes the user may not see after paging: a short page, more may follow.
            chunk = [note for note in chunk if not note["hidden"]]
        body = [self.state.note_json(note, request.base_url) for note in chunk]
        return _json(200, body, page.headers)

    def _note(self, request: Request, route_id: str, args: Sequence[str]) -> Response:
        issue_id = _int(urllib.parse.unquote(args[0]), "issue_id")
        note_id = _int(urllib.parse.unquote(args[1]), "note_id")
        found = next((n for n in self.state.served_notes(issue_id) if n["id"] == note_id), None)
        if found is None or (found["hidden"] and self.state.release >= (8, 4, 0)):
            return _json(404, {"message": "404 Not found"})
        return _json(200, self.state.note_json(found, request.base_url))


def _int(raw: str, name: str) -> int:
    try:
        return int(raw)
    except ValueError:
        raise BadParamError(f"{name} is invalid") from None
