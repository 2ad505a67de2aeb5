"""Several GitLab projects in one fake GitLab: one GitLabApp per project, routed by id or path.

Project 1 is the dataset itself, exactly as a one-project sandbox serves it; project k
(k >= 2) is a copy with `-k` after its path and repository, ` (pk)` after each milestone
title, and ids moved out of the way (GitLab's ids are global), so a run that mixed two
projects up would show. `GET /groups/:id/projects` lists a group's own projects, page by
page, as API v3 does (8.x has no nested groups).
"""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Sequence

from bridge.sandbox.dataset import Dataset
from bridge.sandbox.gitlab import GitLabApp, _json
from bridge.sandbox.messages import Request, Response
from bridge.sandbox.paging import BadParamError, paginate

_PROJECT = re.compile(r"/api/v3/projects/([^/]+)")
_GROUP = re.compile(r"/api/v3/groups/([^/]+)/projects/?$")
_ID_STEP = 100_000


def project_dataset(dataset: Dataset, number: int) -> Dataset:
    """Project `number` (1-based) of a many-project sandbox made from `dataset`."""
    copy = dataset.copy()
    if number == 1:
        return copy
    shift = (number - 1) * _ID_STEP
    copy.name = f"{dataset.name}-{number}"
    copy.project = {**copy.project, "id": int(copy.project["id"]) + number - 1,
                    "path": f"{copy.project['path']}-{number}",
                    "name": f"{copy.project['name']}-{number}"}
    copy.repo = f"{dataset.repo}-{number}"
    copy.milestones = [{**m, "id": m["id"] + shift, "title": f"{m['title']} (p{number})"}
                       for m in copy.milestones]
    copy.issues = [{**i, "id": i["id"] + shift * 10,
                    "milestone": None if i["milestone"] is None else i["milestone"] + shift}
                   for i in copy.issues]
    copy.notes = [{**n, "id": n["id"] + shift * 10, "issue": n["issue"] + shift * 10}
                  for n in copy.notes]
    copy.labels = [{**label, "id": label["id"] + shift} if "id" in label else label
                   for label in copy.labels]
    copy.target_milestones, copy.target_labels, copy.target_issues = [], [], []
    return copy


class FleetGitLabApp:
    """Hands each request to the GitLabApp of the project it names; answers group listings."""

    name = "gitlab"

    def __init__(self, apps: Sequence[GitLabApp]) -> None:
        self.apps = list(apps)

    def kind(self, method: str) -> str:
        """Everything sent to GitLab counts as a source read."""
        return "source_read"

    def route(self, path: str) -> str:
        """The request log's route name: `group_projects`, else the projects' own names."""
        return "group_projects" if _GROUP.match(path) else self.apps[0].route(path)

    def error(self, request: Request, status: int, message: str) -> Response:
        """GitLab's error body."""
        return self.apps[0].error(request, status, message)

    def handle(self, request: Request) -> Response:
        """Group listings here; a project's routes to its app; anything else to the first."""
        group = _GROUP.match(request.raw_path)
        if group is not None:
            return self._group_projects(request, urllib.parse.unquote(group[1]))
        match = _PROJECT.match(request.raw_path)
        if match is not None:
            ref = urllib.parse.unquote(match[1])
            for app in self.apps:
                if ref in (str(app.state.project["id"]), app.state.project["path"]):
                    return app.handle(request)
        # Unknown projects get the first app's answer: authentication first, then its 404.
        return self.apps[0].handle(request)

    def _group_projects(self, request: Request, ref: str) -> Response:
        first = self.apps[0]
        if request.method != "GET":
            return _json(405, {"error": "405 Not Allowed"})
        token = first._token(request)  # the same authentication, not a copy
        if token not in (first.token, first.forbidden_token):
            return _json(401, {"message": "401 Unauthorized"})
        members = [app.state for app in self.apps
                   if app.state.project["path"].rpartition("/")[0] == ref]
        if not members:
            return _json(404, {"message": "404 Group Not Found"})
        if token == first.forbidden_token:
            return _json(403, {"message": "403 Forbidden"})
        members.sort(key=lambda state: int(state.project["id"]), reverse=True)  # newest first
        try:
            page = paginate(request, len(members), ref)
        except BadParamError as exc:
            return _json(400, {"error": str(exc)})
        chunk = members[page.offset: page.offset + page.limit]
        return _json(200, [state.project_json(request.base_url) for state in chunk], page.headers)
