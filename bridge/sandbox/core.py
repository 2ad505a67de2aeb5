"""`Sandbox`: both fakes started together on 127.0.0.1, sharing one fault table and one log."""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

from bridge.sandbox.dataset import Dataset, load_dataset
from bridge.sandbox.faults import Faults
from bridge.sandbox.fleet import FleetGitLabApp, project_dataset
from bridge.sandbox.gitlab import GitLabApp
from bridge.sandbox.gitlab_state import GitLabState
from bridge.sandbox.log import RequestLog
from bridge.sandbox.messages import App
from bridge.sandbox.server import FakeServer
from bridge.sandbox.sourcecraft import SourceCraftApp
from bridge.sandbox.sourcecraft_state import SourceCraftState


class Sandbox:
    """A fake GitLab v3 and a fake SourceCraft seeded from a dataset; use it as a context manager.

    `seed` makes fault firing and SourceCraft ids and request ids repeat; the tokens are fresh
    on every start, so a leak scan can grep for them. `sleep` and `now` are injectable so tests
    of latency and Retry-After dates need no real waiting.
    """

    def __init__(self, dataset: str | Path | Dataset = "demo", seed: int = 0, *,
                 gitlab_port: int = 0, sourcecraft_port: int = 0,
                 sleep: Callable[[float], None] = time.sleep,
                 now: Callable[[], float] = time.time,
                 gitlab_version: str | None = None, projects: int = 1) -> None:
        self.dataset = load_dataset(dataset)
        if gitlab_version is not None:  # e.g. "8.11": issue listings then ignore order_by/sort
            self.dataset.gitlab_version = gitlab_version
        self.seed = seed
        self._ports = (gitlab_port, sourcecraft_port)
        self._sleep = sleep
        self._now = now
        self.faults = Faults(seed, wall=now)
        self.log = RequestLog()
        # `projects` > 1: one GitLab project (and SourceCraft repo) per copy; see sandbox.fleet.
        datasets = [project_dataset(self.dataset, n) for n in range(1, max(1, projects) + 1)]
        self.gitlab_projects = [GitLabState(d, now=now) for d in datasets]
        self.gitlab = self.gitlab_projects[0]
        self.sourcecraft = SourceCraftState(self.dataset, seed=seed, now=now)
        self.repos = [d.repo for d in datasets]
        for repo in self.repos[1:]:
            self.sourcecraft.add_repo(self.dataset.org, repo)
        self.gitlab_token = ""
        self.sourcecraft_token = ""
        self.gitlab_forbidden_token = ""
        self.sourcecraft_readonly_token = ""
        self._servers: list[FakeServer] = []

    @classmethod
    def synthetic(cls, milestones: int = 300, issues: int = 30_000, seed: int = 0,
                  notes: int = 0, labels: int = 6, **kwargs: object) -> Sandbox:
        """A sandbox over a generated project (issues computed per page, never all in memory).

        `notes` user notes are spread exactly over the issues whose index is not a multiple
        of 5 (the rest have none); `labels` GitLab labels exist (6: the classic names).
        """
        dataset = Dataset.synthetic_project(milestones=milestones, issues=issues, seed=seed,
                                            notes=notes, labels=labels)
        return cls(dataset, seed, **kwargs)  # type: ignore[arg-type]

    @property
    def project_path(self) -> str:
        """The GitLab project's path, e.g. demo-group/demo-project."""
        return str(self.gitlab.project["path"])

    @property
    def project_id(self) -> int:
        """The GitLab project's numeric id."""
        return int(self.gitlab.project["id"])

    @property
    def project_paths(self) -> list[str]:
        """Every GitLab project's path, in order; `repos` holds their repositories."""
        return [str(state.project["path"]) for state in self.gitlab_projects]

    @property
    def org(self) -> str:
        """The SourceCraft organisation that exists."""
        return self.sourcecraft.default[0]

    @property
    def repo(self) -> str:
        """The SourceCraft repository that exists."""
        return self.sourcecraft.default[1]

    @property
    def gitlab_url(self) -> str:
        """The fake GitLab's server root (clients add /api/v3)."""
        return self._server(0).url

    @property
    def sourcecraft_url(self) -> str:
        """The fake SourceCraft's API root."""
        return self._server(1).url

    def start(self) -> Sandbox:
        """Start both servers on their ports (ephemeral by default) with fresh tokens."""
        if self._servers:
            raise RuntimeError("this sandbox is already running")
        self.gitlab_token = "sbgl-" + secrets.token_hex(10)
        self.gitlab_forbidden_token = "sbgl-" + secrets.token_hex(10)
        self.sourcecraft_token = "sbsc-" + secrets.token_hex(16)
        self.sourcecraft_readonly_token = "sbsc-" + secrets.token_hex(16)
        gitlab_apps = [GitLabApp(state, self.gitlab_token, self.gitlab_forbidden_token)
                       for state in self.gitlab_projects]
        apps: tuple[App, App] = (
            gitlab_apps[0] if len(gitlab_apps) == 1 else FleetGitLabApp(gitlab_apps),
            SourceCraftApp(self.sourcecraft, self.sourcecraft_token,
                           self.sourcecraft_readonly_token))
        try:
            for app, port in zip(apps, self._ports, strict=True):
                server = FakeServer(app, faults=self.faults, log=self.log, seed=self.seed,
                                    port=port, sleep=self._sleep, now=self._now)
                self._servers.append(server)
                server.start()
        except BaseException:
            self.stop()
            raise
        for state in self.gitlab_projects:
            state.url = self.gitlab_url
        return self

    def stop(self) -> None:
        """Stop both servers and release their ports; safe to call twice."""
        servers, self._servers = self._servers, []
        for server in servers:
            server.stop()

    def take_down(self, name: str, *, cut: bool = True) -> None:
        """Stop one fake ("gitlab" or "sourcecraft") mid-run: its port then refuses connections.

        `cut`: open connections are cut, so a request in flight sees a reset; else the
        requests being answered get their answer first (a graceful stop). Safe to call
        from a request-log subscriber (it runs on a handler thread, not the accepting one).
        """
        self._server(self._index(name)).stop(cut=cut)

    def bring_up(self, name: str) -> None:
        """Start a fake taken down again, on the same port, with its state and tokens."""
        index = self._index(name)
        old = self._server(index)
        server = FakeServer(old.app, faults=self.faults, log=self.log, seed=self.seed,
                            port=int(old.url.rsplit(":", 1)[1]), sleep=self._sleep,
                            now=self._now)
        server.start()
        self._servers[index] = server

    @staticmethod
    def _index(name: str) -> int:
        if name not in ("gitlab", "sourcecraft"):
            raise ValueError(f"unknown server {name!r}; gitlab or sourcecraft")
        return 0 if name == "gitlab" else 1

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Block until neither fake has a client connection open (a killed client's last ones)."""
        return all(server.wait_idle(timeout) for server in list(self._servers))

    def _server(self, index: int) -> FakeServer:
        if not self._servers:
            raise RuntimeError("the sandbox is not running: use `with Sandbox(...) as sb:`")
        return self._servers[index]
