"""Before the first page is read: both sides checked with one cheap read each, failures named.

A refused token, a missing GitLab project, SourceCraft organisation or
repository ends the run at once with exit 3 and one line that names the
variable holding the token, or the path that was not found, and the key of the
config to fix. Nothing is read or written past these two requests (asked at once).
"""

from __future__ import annotations

from concurrent.futures import Future
from pathlib import Path
from urllib.parse import quote

import structlog

from bridge.background import in_background
from bridge.config import Config
from bridge.errors import ApiError, FatalApiError
from bridge.net.http import HttpClient
from bridge.sources.gitlab import GitLabReader, Project
from bridge.targets.sourcecraft import SourceCraftClient

log = structlog.get_logger(__name__)

_OTHER_VERSION = {"v3": "v4", "v4": "v3"}


def token_origin(token_env: str, token_file: Path | None, section: str) -> str:
    """Where a token came from, as a user would look for it: the variable or the file."""
    if token_file is not None:
        return f"the file {token_file} ({section}.token_file)"
    return token_env


def preflight(config: Config, reader: GitLabReader, source_http: HttpClient,
              target: SourceCraftClient) -> Project:
    """Resolve the GitLab project and read the SourceCraft repository; FatalApiError if not."""
    return Preflight(config, reader, source_http, target).result()


class Preflight:
    """Both servers asked at once, on threads of their own, as soon as this is made.

    One round trip of start-up, not two, and the caller may do what needs no answer (import
    and build the kinds) while the answers travel. GitLab's refusal is raised as soon as it
    comes, whatever SourceCraft answers or is still retrying (as when they were asked in
    turn): the threads are daemons, so one still waiting never holds the process's exit.
    """

    def __init__(self, config: Config, reader: GitLabReader, source_http: HttpClient,
                 target: SourceCraftClient) -> None:
        self._config = config
        self._gitlab: Future[Project] = in_background(_gitlab, config, reader, source_http,
                                                      name="preflight-gitlab")
        self._sourcecraft: Future[None] = in_background(_sourcecraft, config, target,
                                                        name="preflight-sourcecraft")

    def result(self) -> Project:
        """The GitLab project, once both sides answered; GitLab's refusal first, if any."""
        project = self._gitlab.result()
        self._sourcecraft.result()
        log.info("preflight_ok", project=project.path, project_id=project.id,
                 repo=f"{self._config.target.org}/{self._config.target.repo}")
        return project


def _gitlab(config: Config, reader: GitLabReader, http: HttpClient) -> Project:
    source = config.source
    try:
        return reader.project()
    except FatalApiError as exc:
        token = token_origin(source.token_env, source.token_file, "source")
        if exc.status == 401:
            raise _named(exc, f"GitLab refused the token in {token}") from None
        if exc.status == 403:
            raise _named(exc, f"GitLab refused the token in {token} access to project "
                              f"'{source.project}'") from None
        if exc.status == 404:
            other = _OTHER_VERSION[source.api_version]
            if _answers(http, f"/api/{other}/projects/{quote(source.project, safe='')}"):
                raise _named(exc, f"GitLab at {source.url} has no API {source.api_version} "
                                  f"(it answers on /api/{other}): set source.api_version: "
                                  f"{other}") from None
            raise _named(exc, f"GitLab project '{source.project}' not found at {source.url} "
                              "(check source.project)") from None
        raise


def _answers(http: HttpClient, path: str) -> bool:
    """True when `path` answers with anything but 404: the API version there exists."""
    try:
        http.get(path)
    except FatalApiError as exc:
        return exc.status not in (404, None)
    except ApiError:
        return False
    return True


def _sourcecraft(config: Config, target: SourceCraftClient) -> None:
    settings = config.target
    where = f"{settings.org}/{settings.repo}"
    try:
        target.repository()
    except FatalApiError as exc:
        token = token_origin(settings.token_env, settings.token_file, "target")
        if exc.status == 401:
            raise _named(exc, f"SourceCraft refused the token in {token}") from None
        if exc.status == 403:
            raise _named(exc, f"SourceCraft refused the token in {token} access to "
                              f"repository {where}") from None
        if exc.status == 404:
            if not target.organization_exists():
                raise _named(exc, f"SourceCraft organization '{settings.org}' not found at "
                                  f"{settings.url} (check target.org)") from None
            raise _named(exc, f"SourceCraft repository '{where}' not found at {settings.url} "
                              "(check target.repo)") from None
        raise


def _named(error: ApiError, what: str) -> FatalApiError:
    """`what` went wrong, followed by the request and the server's own words."""
    return FatalApiError(f"{what}: {error}", status=error.status, request_id=error.request_id)
