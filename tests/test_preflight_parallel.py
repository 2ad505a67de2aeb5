"""The preflight asks GitLab and SourceCraft at once, and still names GitLab's refusal first."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from bridge.config import load_config
from bridge.errors import FatalApiError
from bridge.preflight import preflight

CONFIG = ("source: {url: 'http://127.0.0.1:9', project: g/p}\n"
          "target: {url: 'http://127.0.0.1:9', org: o, repo: r}\n")


class _Reader:
    """GitLab's project read, which answers only once SourceCraft has been asked."""

    def __init__(self, asked: threading.Event, fail: bool) -> None:
        self.asked, self.fail = asked, fail

    def project(self) -> Any:
        overlapped = self.asked.wait(timeout=10)  # in turn, SourceCraft is never asked yet
        if self.fail:
            raise FatalApiError("GET /projects/g%2Fp: 404", status=404)
        return type("Project", (), {"id": 7, "path": "g/p", "overlapped": overlapped})()


class _Target:
    def __init__(self, asked: threading.Event, fail: bool) -> None:
        self.asked, self.fail = asked, fail

    def repository(self) -> Any:
        self.asked.set()
        if self.fail:
            raise FatalApiError("GET /repos/o/r: 401", status=401)
        return {}

    def organization_exists(self) -> bool:
        return True


class _Http:
    def get(self, path: str) -> Any:
        raise FatalApiError(f"GET {path}: 404", status=404)


@pytest.fixture
def config(tmp_path: Any) -> Any:
    path = tmp_path / "c.yaml"
    path.write_text(CONFIG, encoding="utf-8")
    return load_config(path, env={"GITLAB_TOKEN": "gl-secret", "SOURCECRAFT_TOKEN": "sc-secret"})


def test_both_sides_are_asked_at_once(config: Any) -> None:
    """SourceCraft's read is sent while GitLab's is still waiting for its answer."""
    asked = threading.Event()
    project = preflight(config, _Reader(asked, fail=False), _Http(),  # type: ignore[arg-type]
                        _Target(asked, fail=False))  # type: ignore[arg-type]
    assert getattr(project, "overlapped") is True  # noqa: B009  (set by the fake above)


@pytest.mark.parametrize(("gitlab_fails", "sourcecraft_fails", "named"), [
    (True, True, "GitLab project 'g/p' not found"),
    (True, False, "GitLab project 'g/p' not found"),
    (False, True, "SourceCraft refused the token in SOURCECRAFT_TOKEN"),
])
def test_gitlabs_refusal_is_named_first(config: Any, gitlab_fails: bool,
                                        sourcecraft_fails: bool, named: str) -> None:
    """Both refused: the error names GitLab's, as when the two were asked in turn."""
    asked = threading.Event()
    with pytest.raises(FatalApiError) as caught:
        preflight(config, _Reader(asked, fail=gitlab_fails), _Http(),  # type: ignore[arg-type]
                  _Target(asked, fail=sourcecraft_fails))  # type: ignore[arg-type]
    assert str(caught.value).startswith(named)


class _Stuck(_Target):
    """SourceCraft still retrying (blocked until the test lets it go)."""

    def __init__(self, asked: threading.Event) -> None:
        super().__init__(asked, fail=False)
        self.let_go = threading.Event()
        self.answered = threading.Event()

    def repository(self) -> Any:
        self.asked.set()
        self.let_go.wait(timeout=10)
        self.answered.set()
        return {}


def test_gitlabs_refusal_does_not_wait_for_sourcecraft(config: Any) -> None:
    """GitLab refuses while SourceCraft is still being tried: the refusal is raised at once,
    as when GitLab was asked alone first (the daemon thread never holds the exit)."""
    asked = threading.Event()
    target = _Stuck(asked)
    try:
        with pytest.raises(FatalApiError, match="GitLab project 'g/p' not found"):
            preflight(config, _Reader(asked, fail=True), _Http(),  # type: ignore[arg-type]
                      target)  # type: ignore[arg-type]
        assert not target.answered.is_set()  # raised while SourceCraft had not answered
    finally:
        target.let_go.set()
