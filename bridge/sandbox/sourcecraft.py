"""The fake SourceCraft REST API: Bearer auth, milestones here, the tracker routes beside."""

from __future__ import annotations

import json
import re
import urllib.parse
from typing import Any

from bridge.sandbox.messages import Request, Response
from bridge.sandbox.sc_common import ApiError, json_response, token_page
from bridge.sandbox.sc_routes import TrackerRoutes, route_of
from bridge.sandbox.schema import SchemaError
from bridge.sandbox.sourcecraft_state import RepoKey, SourceCraftState

__all__ = ["ApiError", "SourceCraftApp"]

_SORTABLE = ("name", "slug", "created_at", "updated_at", "start_date", "deadline")
_CODES = {400: "ValidationError", 401: "Unauthenticated", 403: "PermissionDenied", 404: "NotFound",
          405: "MethodNotAllowed", 409: "AlreadyExists", 429: "TooManyRequests", 500: "Internal",
          502: "BadGateway", 503: "Unavailable", 504: "GatewayTimeout"}
_LIST = re.compile(r"^/repos/([^/]+)/([^/]+)/milestones$")
_ONE = re.compile(r"^/repos/([^/]+)/([^/]+)/milestones/([^/]+)$")
_BY_ID = re.compile(r"^/milestones/([^/]+)$")
_REPO = re.compile(r"^/repos/([^/]+)/([^/]+)$")
_ORG = re.compile(r"^/orgs/([^/]+)$")
_json = json_response


class SourceCraftApp:
    """Answers SourceCraft requests from a SourceCraftState; `readonly_token` may only read."""

    name = "sourcecraft"

    def __init__(self, state: SourceCraftState, token: str, readonly_token: str) -> None:
        self.state = state
        self.token = token
        self.readonly_token = readonly_token
        self.tracker = TrackerRoutes(state)

    def route(self, path: str) -> str:
        """The route name the request log counts `path` under ("" if none)."""
        if _LIST.match(path):
            return "milestones"
        if _ONE.match(path) or _BY_ID.match(path):
            return "milestone"
        found = route_of(path)
        return found[0] if found else ""

    def kind(self, method: str) -> str:
        """GET is a target read; everything else a target write."""
        return "target_read" if method in ("GET", "HEAD") else "target_write"

    def error(self, request: Request, status: int, message: str,
              details: dict[str, str] | None = None) -> Response:
        """The envelope every SourceCraft 4xx and 5xx carries."""
        return _json(status, {"error_code": _CODES.get(status, "Unknown"), "message": message,
                              "request_id": request.request_id, "details": details or {}})

    def handle(self, request: Request) -> Response:
        """Authenticate, route, answer."""
        try:
            return self._dispatch(request)
        except ApiError as exc:
            return self.error(request, exc.status, str(exc), exc.details)
        except SchemaError as exc:
            details = {"field": exc.field} if exc.field else {}
            return self.error(request, 400, str(exc), details)

    def _dispatch(self, request: Request) -> Response:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() == "bearer" and token:
            request.auth = "bearer"
        if request.auth is None or token.strip() not in (self.token, self.readonly_token):
            raise ApiError(401, "authentication required: send Authorization: Bearer <token>")
        user = self.state.bot
        write = request.method != "GET"
        if write:
            request.silent = _silent(request)
            request.logged_body = _body(request) if request.body or request.method in (
                "POST", "PATCH", "PUT") else None
            if token.strip() == self.readonly_token:
                raise ApiError(403, "the token's role does not allow changes to this repository")
        path = request.raw_path
        with self.state.lock:
            if request.method == "GET" and (answer := self._repo_or_org(path)) is not None:
                return answer
            if match := _LIST.match(path):
                key = self._repo(match.group(1), match.group(2))
                if request.method == "GET":
                    return self._list(request, key)
                if request.method == "POST":
                    return _json(201, dict(self.state.create(key, request.logged_body, user)))
                raise ApiError(405, f"method {request.method} is not allowed here")
            if match := _ONE.match(path):
                key = self._repo(match.group(1), match.group(2))
                slug = urllib.parse.unquote(match.group(3))
                stored = self.state.find(key, slug)
                if stored is None:
                    raise ApiError(404, f'milestone "{slug}" not found in {key[0]}/{key[1]}')
                return self._one(request, key, stored, user)
            match = _BY_ID.match(path)
            ident = urllib.parse.unquote(match.group(1)) if match else ""
            if ident.startswith("id:"):
                found = self.state.find_id(ident[3:])
                if found is None:
                    raise ApiError(404, f'milestone with id "{ident[3:]}" not found')
                return self._one(request, found[0], found[1], user)
            return self._tracker(request, user)

    def _tracker(self, request: Request, user: dict[str, str]) -> Response:
        found = route_of(request.raw_path)
        if found is None:
            raise ApiError(404, f"no route for {request.method} {request.raw_path}")
        name, methods, args = found
        if request.method not in methods:
            raise ApiError(405, f"method {request.method} is not allowed here")
        return self.tracker.handle(request, name, args, user)

    def _repo_or_org(self, path: str) -> Response | None:
        """`GET /repos/{org}/{repo}` and `GET /orgs/{org}`: the few fields scbridge reads."""
        if match := _REPO.match(path):
            org, repo = self._repo(match.group(1), match.group(2))
            return _json(200, {"id": f"repo-{org}-{repo}", "slug": repo,
                               "organization": {"slug": org}})
        if match := _ORG.match(path):
            org = urllib.parse.unquote(match.group(1))
            if org not in {key[0] for key in self.state.repos()}:
                raise ApiError(404, f"organization {org} not found")
            return _json(200, {"id": f"org-{org}", "slug": org})
        return None

    def _repo(self, org: str, repo: str) -> RepoKey:
        org, repo = urllib.parse.unquote(org), urllib.parse.unquote(repo)
        if self.state.repo(org, repo) is None:
            raise ApiError(404, f"repository {org}/{repo} not found")
        return (org, repo)

    def _one(self, request: Request, key: RepoKey, stored: dict[str, Any],
             user: dict[str, str]) -> Response:
        if request.method == "GET":
            return _json(200, dict(stored))
        if request.method == "PATCH":
            return _json(200, dict(self.state.update(stored, request.logged_body, user)))
        if request.method == "DELETE":
            self.state.delete(key, stored)
            return Response(204, b"", None)
        raise ApiError(405, f"method {request.method} is not allowed here")

    def _list(self, request: Request, key: RepoKey) -> Response:
        items = list(self.state.repo(*key) or [])
        sort_by = request.param("sort_by") or ""
        filter_ = request.param("filter") or ""
        match = re.fullmatch(r"\s*status\s*=\s*['\"]?(open|closed)['\"]?\s*", filter_)
        if filter_ and match is None:
            raise ApiError(400, f'unsupported filter "{filter_}"', {"field": "filter"})
        if match is not None:
            items = [m for m in items if m["status"] == match.group(1)]
        if sort_by:
            field = sort_by.lstrip("-")
            if field not in _SORTABLE:
                raise ApiError(400, f'cannot sort by "{sort_by}"', {"field": "sort_by"})
            items.sort(key=lambda m: (m[field] is None, m[field] or "", m["id"]),
                       reverse=sort_by.startswith("-"))
        # The token binds the listing's other parameters: following it with others is an error.
        return token_page(request, items, f"{key}|{sort_by}|{filter_}", "items")


def _silent(request: Request) -> bool | None:
    raw = request.param("silent")
    if raw is None:
        return None
    if raw.lower() in ("", "true", "1", "t"):
        return True
    if raw.lower() in ("false", "0", "f"):
        return False
    raise ApiError(400, f'silent "{raw}" is not a boolean', {"field": "silent"})


def _body(request: Request) -> Any:
    try:
        return json.loads(request.body or b"null")
    except ValueError:
        raise ApiError(400, "request body is not valid JSON") from None
