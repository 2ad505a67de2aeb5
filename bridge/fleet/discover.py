"""`discover:`: list a GitLab group's projects (every page) and name each one's target repo."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

from bridge.errors import FatalApiError
from bridge.fleet.spec import DiscoverSpec, FleetConfig, ProjectSpec
from bridge.net.http import HttpClient
from bridge.net.paging import walk_pages


def discover(fleet: FleetConfig, spec: DiscoverSpec) -> tuple[ProjectSpec, ...]:
    """The projects of `spec.groups`, sorted by path; each group listed once, page by page.

    `GET /groups/:id/projects` lists a group's own projects in API v3 (8.x has no nested
    groups; later v3 servers still list only the group's own); with `subgroups: true`, v4
    is asked for `include_subgroups=true`.
    """
    source = fleet.base.source
    token = source.token.reveal() if source.token else ""
    client = HttpClient(source.url, kind="source", headers={"PRIVATE-TOKEN": token},
                        http=fleet.base.http, allow_insecure_http=fleet.base.allow_insecure_http)
    params: dict[str, Any] = {"per_page": source.per_page}
    if spec.subgroups:
        params["include_subgroups"] = "true"
    found: dict[str, ProjectSpec] = {}
    try:
        for group in spec.groups:
            path = f"/api/{source.api_version}/groups/{quote(group, safe='')}/projects"
            for page in walk_pages(client, path, params, what="projects"):
                for item in page:
                    project = _project(item, spec.target_repo)
                    found.setdefault(project.source.lower(), project)
    finally:
        client.close()
    return tuple(sorted(found.values(), key=lambda p: p.source.lower()))


def _project(item: Any, template: str) -> ProjectSpec:
    full = item.get("path_with_namespace") if isinstance(item, dict) else None
    if not isinstance(full, str) or "/" not in full:
        raise FatalApiError(f"GitLab listed a project without a path_with_namespace: "
                            f"{str(item)[:120]!r}")
    namespace, _, own = full.rpartition("/")
    repo = template.format(path=own, namespace=namespace.replace("/", "-"),
                           full_path=full.replace("/", "-"))
    return ProjectSpec(source=full, target=re.sub(r"\s+", "-", repo.strip()))
