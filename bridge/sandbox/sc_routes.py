"""The fake SourceCraft's tracker routes: repository, labels, issues and their labels, comments."""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Sequence
from typing import Any

from bridge.sandbox.messages import Request, Response
from bridge.sandbox.sc_common import ApiError, json_response, sort_items, token_page
from bridge.sandbox.sc_issues import STATUSES, status_json
from bridge.sandbox.schema import validate
from bridge.sandbox.sourcecraft_state import RepoKey, SourceCraftState

_REPO = r"/repos/(?!id:)([^/]+)/([^/]+)"
#: (pattern, route name, methods); names are what the request log counts by.
ROUTES: list[tuple[re.Pattern[str], str, frozenset[str]]] = [
    (re.compile(f"^{pattern}$"), name, frozenset(methods.split())) for pattern, name, methods in (
        (_REPO, "repo", "GET"),
        (_REPO + "/labels", "labels", "GET POST"),
        (_REPO + "/labels/([^/]+)", "label", "GET PATCH DELETE"),
        (r"/labels/id:([^/]+)", "label", "GET PATCH DELETE"),
        (_REPO + "/issues", "issues", "GET POST"),
        (_REPO + "/issues/([^/]+)", "issue", "GET PATCH DELETE"),
        (r"/issues/id:([^/]+)", "issue", "GET PATCH DELETE"),
        (_REPO + "/issues/([^/]+)/labels", "issue_labels", "GET POST PUT DELETE"),
        (r"/issues/id:([^/]+)/labels", "issue_labels", "GET POST PUT DELETE"),
        (_REPO + "/issues/([^/]+)/comments", "comments", "GET POST"),
        (r"/issues/id:([^/]+)/comments", "comments", "GET POST"),
        (r"/issue_comments/id:([^/]+)", "comment", "GET PATCH DELETE"),
        (r"/user", "user", "GET"),
        (r"/users/([^/]+)", "users", "GET"),
        (r"/issue_statuses", "issue_statuses", "GET"),
    )]
_LABEL_SORTABLE = ("name", "slug", "created_at", "updated_at")


def route_of(path: str) -> tuple[str, frozenset[str], Sequence[str]] | None:
    """The route name, its methods and the unquoted path parts of `path`, if it is one."""
    for pattern, name, methods in ROUTES:
        match = pattern.match(path)
        if match:
            return name, methods, [urllib.parse.unquote(g) for g in match.groups()]
    return None


class TrackerRoutes:
    """Answers the tracker routes from a SourceCraftState; callers hold the state's lock."""

    def __init__(self, state: SourceCraftState) -> None:
        self.state = state

    def handle(self, request: Request, name: str, args: Sequence[str],  # noqa: PLR0911
               user: dict[str, str]) -> Response:
        """One request on route `name` with path parts `args`."""
        if name in ("user", "users", "issue_statuses", "comment"):
            return self._global(request, name, args, user)
        if name == "label" and len(args) == 1:
            return self._one_label(request, self._label_by_id(args[0])[1], user)
        issue: dict[str, Any] = {}
        if name in ("issue", "issue_labels", "comments"):
            key, issue = (self._issue_by_id(args[0]) if len(args) == 1 else
                          (self._repo(args[0], args[1]),
                           self._issue(self._repo(args[0], args[1]), args[2])))
        else:
            key = self._repo(args[0], args[1])
        if name == "repo":
            return json_response(200, self._repository(key))
        if name == "labels":
            return self._labels(request, key, user)
        if name == "label":
            found = self.state.labels.find(key, args[2])
            if found is None:
                raise ApiError(404, f'label "{args[2]}" not found in {key[0]}/{key[1]}')
            return self._one_label(request, found, user)
        if name == "issues":
            return self._issues(request, key, user)
        if name == "issue":
            return self._one_issue(request, issue, user)
        if name == "issue_labels":
            return self._issue_labels(request, key, issue, user)
        return self._comments(request, issue, user)

    def _global(self, request: Request, name: str, args: Sequence[str],
                user: dict[str, str]) -> Response:
        if name == "user":
            return json_response(200, _profile(self.state.users[user["slug"]]))
        if name == "users":
            return json_response(200, _profile(self._user(args[0])))
        if name == "issue_statuses":
            return json_response(200, {"statuses": [status_json(s) for s in STATUSES]})
        return self._comment(request, args[0], user)

    def _labels(self, request: Request, key: RepoKey, user: dict[str, str]) -> Response:
        if request.method == "POST":
            return json_response(201, dict(self.state.labels.create(key, request.logged_body,
                                                                    user)))
        return self._label_list(request, key)

    def _issues(self, request: Request, key: RepoKey, user: dict[str, str]) -> Response:
        if request.method == "POST":
            created = self.state.issues.create(key, request.logged_body, user)
            return json_response(201, self.state.issues.render(created))
        return self._issue_list(request, key)

    def _comments(self, request: Request, issue: dict[str, Any],
                  user: dict[str, str]) -> Response:
        if request.method == "POST":
            created = self.state.comments.create(issue["id"], request.logged_body, user)
            return json_response(201, self.state.comments.render(created))
        sort_by = request.param("sort_by") or ""
        items = self.state.comments.of(issue["id"])
        if sort_by:
            items = [dict(c) for c in items]
            sort_items(items, sort_by, ("created_at", "updated_at"))
        return token_page(request, items, f"comments|{issue['id']}|{sort_by}",
                          "issue_comments", self.state.comments.render)

    def _repository(self, key: RepoKey) -> dict[str, Any]:
        repo_id, org_id = self.state.repo_ids(key)
        return {"id": repo_id, "name": key[1], "slug": key[1], "default_branch": "main",
                "organization": {"id": org_id, "slug": key[0]}, "is_empty": True,
                "description": "", "visibility": "private",
                "web_url": f"https://sourcecraft.dev/{key[0]}/{key[1]}"}

    def _label_list(self, request: Request, key: RepoKey) -> Response:
        filter_ = request.param("filter") or ""
        if filter_:  # undocumented for labels: refuse rather than guess
            raise ApiError(400, f'unsupported filter "{filter_}"', {"field": "filter"})
        sort_by = request.param("sort_by") or ""
        items = [dict(label) for label in self.state.labels.of(key)]
        sort_items(items, sort_by, _LABEL_SORTABLE)
        return token_page(request, items, f"labels|{key}|{sort_by}", "items")

    def _one_label(self, request: Request, label: dict[str, Any],
                   user: dict[str, str]) -> Response:
        if request.method == "PATCH":
            return json_response(200, dict(self.state.labels.update(label, request.logged_body,
                                                                    user)))
        if request.method == "DELETE":
            self.state.labels.delete(label)
            self.state.issues.forget_label(label["id"])
            return Response(204, b"", None)
        return json_response(200, dict(label))

    def _issue_list(self, request: Request, key: RepoKey) -> Response:
        filter_ = request.param("filter") or ""
        sort_by = request.param("sort_by") or ""
        items = self.state.issues.listing(key, filter_, sort_by)
        return token_page(request, items, f"issues|{key}|{sort_by}|{filter_}", "issues")

    def _one_issue(self, request: Request, issue: dict[str, Any],
                   user: dict[str, str]) -> Response:
        issues = self.state.issues
        if request.method == "PATCH":
            return json_response(200, issues.render(issues.update(issue, request.logged_body,
                                                                  user)))
        if request.method == "DELETE":
            issues.delete(issue)
            self.state.comments.drop_issue(issue["id"])
            return Response(204, b"", None)
        return json_response(200, issues.render(issue))

    def _issue_labels(self, request: Request, key: RepoKey, issue: dict[str, Any],
                      user: dict[str, str]) -> Response:
        method = request.method
        if method != "GET":
            fields = validate("ModifyLabelCollectionRequest", request.logged_body)
            if "ids" not in fields and "slugs" not in fields:
                raise ApiError(400, "give ids or slugs", {"field": "ids"})
            given = [label["id"] for label in
                     self.state.labels.resolve(key, fields.get("ids"), fields.get("slugs"))]
            current: list[str] = issue["label_ids"]
            if method == "POST":
                issue["label_ids"] = current + [i for i in given if i not in current]
            elif method == "PUT":
                issue["label_ids"] = given
            else:
                issue["label_ids"] = [i for i in current if i not in given]
            self.state.issues.touch(issue, user)
        labels = [dict(self.state.labels.by_id[i][1]) for i in issue["label_ids"]]
        return json_response(200, {"labels": labels})

    def _comment(self, request: Request, ident: str, user: dict[str, str]) -> Response:
        comments = self.state.comments
        stored = comments.by_id.get(ident.removeprefix("id:"))
        if stored is None:
            raise ApiError(404, f'comment with id "{ident}" not found')
        if request.method == "PATCH":
            if stored["deleted"]:
                raise ApiError(404, f'comment with id "{ident}" not found')
            return json_response(200, comments.render(comments.update(stored,
                                                                      request.logged_body, user)))
        if request.method == "DELETE":
            comments.delete(stored)
            return Response(204, b"", None)
        return json_response(200, comments.render(stored))

    def _repo(self, org: str, repo: str) -> RepoKey:
        if self.state.repo(org, repo) is None:
            raise ApiError(404, f"repository {org}/{repo} not found")
        return (org, repo)

    def _issue(self, key: RepoKey, slug: str) -> dict[str, Any]:
        found = self.state.issues.find(key, slug)
        if found is None:
            raise ApiError(404, f'issue "{slug}" not found in {key[0]}/{key[1]}')
        return found

    def _issue_by_id(self, ident: str) -> tuple[RepoKey, dict[str, Any]]:
        found = self.state.issues.by_id.get(ident)
        if found is None:
            raise ApiError(404, f'issue with id "{ident}" not found')
        return found

    def _label_by_id(self, ident: str) -> tuple[RepoKey, dict[str, Any]]:
        found = self.state.labels.by_id.get(ident)
        if found is None:
            raise ApiError(404, f'label with id "{ident}" not found')
        return found

    def _user(self, ident: str) -> dict[str, str]:
        user = (self.state.user_by_id(ident[3:]) if ident.startswith("id:")
                else self.state.users.get(ident))
        if user is None:
            raise ApiError(404, f'user "{ident}" not found')
        return user


def _profile(user: dict[str, str]) -> dict[str, Any]:
    """A UserProfile: what the fake knows of a user, the rest left unset."""
    return {"id": user["id"], "username": user["slug"], "display_name": user["display_name"],
            "bio": "", "visibility": "public"}
