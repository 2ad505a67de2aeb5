"""The extract stage: milestones with issue counts, milestones only issues carry, flat memory."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from bridge.config import HttpConfig
from bridge.engine.extract import Extracted, extract
from bridge.models import SourceMilestone
from bridge.net.http import HttpClient
from bridge.sandbox import Sandbox
from bridge.sources.gitlab import GitLabReader, IssueRef, Project

ROOT = Path(__file__).resolve().parents[1]
PROJECT = Project(7, "group/project", "https://gitlab.example.com/group/project")


def ms(mid: int, title: str, state: str = "active") -> SourceMilestone:
    return SourceMilestone(id=mid, iid=mid, project_id=7, title=title, state=state,
                           project_path="group/project")


def ref(issue_id: int, state: str, milestone: SourceMilestone | None) -> IssueRef:
    return IssueRef(id=issue_id, iid=issue_id, state=state, milestone=milestone, updated_at=None)


class FakeReader:
    """Pages handed out as given, counting how often the project was asked for."""

    def __init__(self, milestones: list[list[SourceMilestone]],
                 issues: list[list[IssueRef]]) -> None:
        self._milestones, self._issues = milestones, issues
        self.project_calls = 0

    def project(self) -> Project:
        self.project_calls += 1
        return PROJECT

    def milestone_pages(self) -> Iterator[list[SourceMilestone]]:
        yield from self._milestones

    def issue_pages(self, params: Mapping[str, str] | None = None) -> Iterator[list[IssueRef]]:
        yield from self._issues


def run(reader: FakeReader, **kwargs: Any) -> Extracted:
    return extract(reader, **kwargs)  # type: ignore[arg-type]


class TestExtract:
    def test_counts_open_and_closed_issues_per_milestone(self) -> None:
        """opened and reopened count as open, closed as closed, per milestone."""
        v1, v2 = ms(10, "v1"), ms(20, "v2", "closed")
        reader = FakeReader([[v2, v1]], [
            [ref(1, "opened", v1), ref(2, "reopened", v1), ref(3, "closed", v1)],
            [ref(4, "closed", v2), ref(5, "opened", None)]])
        result = run(reader)
        counts = {m.title: (m.issues_open, m.issues_closed) for m in result.milestones}
        assert counts == {"v1": (2, 1), "v2": (0, 1)}
        assert (result.issues, result.pages) == (5, 3)
        assert result.project == PROJECT

    def test_milestones_sorted_by_id(self) -> None:
        """The milestone list (id descending from GitLab) comes out sorted by id."""
        reader = FakeReader([[ms(30, "c"), ms(20, "b")], [ms(10, "a")]], [])
        assert [m.id for m in run(reader).milestones] == [10, 20, 30]

    def test_milestone_only_on_issues_is_kept_and_marked(self) -> None:
        """A milestone carried by issues but missing from the list is collected and marked."""
        listed, hidden = ms(10, "v1"), ms(15, "ghost", "closed")
        reader = FakeReader([[listed]], [[ref(1, "opened", hidden), ref(2, "closed", hidden),
                                           ref(3, "opened", listed)]])
        result = run(reader)
        assert [(m.id, m.from_issues_only, m.issues_open, m.issues_closed)
                for m in result.milestones] == [(10, False, 1, 0), (15, True, 1, 1)]

    def test_listed_version_wins_over_the_copy_on_issues(self) -> None:
        """When both exist, the milestone list's object is used, not the one embedded in issues."""
        listed = ms(10, "v1 (current title)")
        stale = ms(10, "v1 (old title)")
        result = run(FakeReader([[listed]], [[ref(1, "opened", stale)]]))
        assert result.milestones[0].title == "v1 (current title)"
        assert result.milestones[0].from_issues_only is False

    def test_milestone_listed_twice_kept_once(self) -> None:
        """A milestone that appears on two pages is one milestone."""
        result = run(FakeReader([[ms(10, "v1")], [ms(10, "v1")]], []))
        assert len(result.milestones) == 1

    def test_on_page_is_told_each_page(self) -> None:
        """on_page gets the kind and item count of every page, milestones first."""
        seen: list[tuple[str, int]] = []
        reader = FakeReader([[ms(1, "a"), ms(2, "b")]],
                            [[ref(1, "opened", None)], [ref(2, "opened", None)], []])
        run(reader, on_page=lambda kind, n: seen.append((kind, n)))
        assert seen == [("milestones", 2), ("issues", 1), ("issues", 1), ("issues", 0)]

    def test_on_page_may_stop_the_read(self) -> None:
        """An exception from on_page (an interruption) stops the extract at once."""
        def stop(kind: str, _n: int) -> None:
            if kind == "issues":
                raise KeyboardInterrupt

        with pytest.raises(KeyboardInterrupt):
            run(FakeReader([[ms(1, "a")]], [[ref(1, "opened", None)]] * 3), on_page=stop)


def sandbox_reader(sb: Sandbox, *, per_page: int = 20, concurrency: int = 1) -> GitLabReader:
    client = HttpClient(sb.gitlab_url, kind="source", headers={"PRIVATE-TOKEN": sb.gitlab_token},
                        http=HttpConfig(concurrency=concurrency), sleep=lambda _s: None)
    return GitLabReader(client, project=sb.project_path, per_page=per_page,
                        concurrency=concurrency)


class TestExtractAgainstSandbox:
    def test_demo_counts_match_the_dataset(self, sandbox: Sandbox) -> None:
        """Counts per milestone equal what the fake GitLab holds, and every issue is read once."""
        result = extract(sandbox_reader(sandbox, per_page=7))
        issues = sandbox.dataset.issues
        expected: dict[int, list[int]] = {}
        for item in issues:
            if item["milestone"] is not None:
                pair = expected.setdefault(item["milestone"], [0, 0])
                pair[0 if item["state"] in ("opened", "reopened") else 1] += 1
        got = {m.id: [m.issues_open, m.issues_closed] for m in result.milestones
               if m.issues_open or m.issues_closed}
        assert result.issues == len(issues) == 150
        assert got == expected
        hidden = {m["id"] for m in sandbox.dataset.milestones if m["hidden"]}
        assert {m.id for m in result.milestones if m.from_issues_only} == hidden
        assert {m.id for m in result.milestones} == {m["id"] for m in sandbox.dataset.milestones}
        assert sandbox.log.count("source_read") == result.pages + 1  # + the project lookup

    @pytest.mark.parametrize("concurrency", [1, 4])
    def test_same_result_sequential_or_concurrent(self, sandbox: Sandbox,
                                                  concurrency: int) -> None:
        """Fetching pages ahead on a pool changes nothing in the result."""
        baseline = extract(sandbox_reader(sandbox, per_page=5))
        assert extract(sandbox_reader(sandbox, per_page=5, concurrency=concurrency)) == baseline


_CHILD = """
import json, logging, os, tracemalloc
import structlog
structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.INFO))
from bridge.config import HttpConfig
from bridge.engine.extract import extract
from bridge.sources.gitlab import GitLabReader
from bridge.net.http import HttpClient
client = HttpClient(os.environ["SB_URL"], kind="source",
                    headers={"PRIVATE-TOKEN": os.environ["SB_TOKEN"]},
                    http=HttpConfig(concurrency=4))
reader = GitLabReader(client, project=os.environ["SB_PROJECT"], per_page=100, concurrency=4)
reader.project()
tracemalloc.start()
before = tracemalloc.get_traced_memory()[0]
result = extract(reader)
peak = tracemalloc.get_traced_memory()[1]
print(json.dumps({"issues": result.issues, "milestones": len(result.milestones),
                  "growth": peak - before}))
"""


class TestMemory:
    @pytest.mark.slow
    def test_fifty_thousand_issues_in_flat_memory(self) -> None:
        """50,000 sandbox issues are extracted with < 20 MB of peak allocation growth.

        The reader runs in a child process so tracemalloc sees only the client, not the fake
        server's threads (which share this process).
        """
        with Sandbox.synthetic(milestones=300, issues=50_000, seed=0) as sb:
            env = {**os.environ, "SB_URL": sb.gitlab_url, "SB_TOKEN": sb.gitlab_token,
                   "SB_PROJECT": sb.project_path,
                   "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
            child = subprocess.run([sys.executable, "-c", _CHILD], env=env, capture_output=True,
                                   text=True, timeout=300, check=False)
        assert child.returncode == 0, child.stderr[-2000:]
        report = json.loads(child.stdout.strip().splitlines()[-1])
        assert report["issues"] == 50_000
        assert report["milestones"] >= 300
        assert report["growth"] < 20 * 1024 * 1024
