"""Shards, the worst exit code, the runner's pool, the combined report and the sandbox's groups."""

from __future__ import annotations

import dataclasses
import threading
from pathlib import Path

import pytest
import requests
from hypothesis import given
from hypothesis import strategies as st

from bridge.config import Config, SourceConfig, TargetConfig
from bridge.errors import ConfigError
from bridge.fleet.render import (
    project_report_path,
    render_fleet_html,
    render_fleet_markdown,
    render_fleet_text,
)
from bridge.fleet.report import FleetReport, ProjectResult, add_counts, worst
from bridge.fleet.runner import result_of, run_all
from bridge.fleet.shards import Shard, choose_shard, parse_shard, shard_of
from bridge.sandbox import Sandbox
from bridge.sandbox.gitlab import GitLabApp

PATHS = st.lists(st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-_/.", min_size=1,
                         max_size=40), min_size=1, max_size=60, unique=True)


class TestShards:
    def test_the_hash_is_pinned(self) -> None:
        """sha256-based, so these values hold on every machine and Python version, forever."""
        assert [shard_of("group/api", n) for n in (2, 3, 4, 7)] == [1, 1, 3, 2]
        assert [shard_of("group/web", n) for n in (2, 3, 4, 7)] == [2, 2, 2, 1]
        assert shard_of("Group/API", 4) == shard_of("group/api", 4) == shard_of("/group/api/", 4)

    @given(paths=PATHS, count=st.integers(min_value=1, max_value=50))
    def test_every_project_is_in_exactly_one_shard(self, paths: list[str], count: int) -> None:
        """Shards 1..N partition any list: each path held by one shard, none by two."""
        holders = {p: [k for k in range(1, count + 1) if Shard(k, count).holds(p)]
                   for p in paths}
        assert all(len(shards) == 1 for shards in holders.values())

    @pytest.mark.parametrize(("shard", "shards", "env", "expected"), [
        ("2/5", None, {}, Shard(2, 5)),
        (None, 3, {"JOB_COMPLETION_INDEX": "0"}, Shard(1, 3)),
        (None, 3, {"JOB_COMPLETION_INDEX": "2"}, Shard(3, 3)),
        (None, None, {"JOB_COMPLETION_INDEX": "2"}, None),
    ], ids=["flag", "index-0", "index-last", "index-alone-ignored"])
    def test_choose_shard(self, shard: str | None, shards: int | None, env: dict[str, str],
                          expected: Shard | None) -> None:
        """--shard K/N, or --shards N with the Indexed Job's 0-based index."""
        assert choose_shard(shard, shards, env) == expected

    @pytest.mark.parametrize("text", ["3/2", "1/0", "a/b", "-1/3", "1/100001"])
    def test_bad_shards_are_usage_errors(self, text: str) -> None:
        """Exit 2 for any K/N that is not 1 <= K <= N."""
        with pytest.raises(ConfigError):
            parse_shard(text)


class TestWorst:
    @pytest.mark.parametrize(("codes", "expected"), [
        ([], 0), ([0, 0], 0), ([0, 1], 1), ([1, 4, 0], 4), ([4, 3], 3), ([3, 2], 2),
        ([2, 130, 1], 130), ([5, 4], 5), ([1, 9], 9),
    ])
    def test_order(self, codes: list[int], expected: int) -> None:
        """130 > 2 > 3 > 5 > 4 > 1 > 0, an unknown code just below 130."""
        assert worst(codes) == expected

    def test_counts_add_up_nested(self) -> None:
        """Per-kind summaries are summed key by key."""
        total = add_counts({}, {"create": 1, "issue": {"create": 2}})
        assert add_counts(total, {"create": 3, "issue": {"create": 1, "skip": 1}}) == {
            "create": 4, "issue": {"create": 3, "skip": 1}}


def config(project: str) -> Config:
    return Config(path=Path("f.yaml"), source=SourceConfig(url="http://127.0.0.1", project=project),
                  target=TargetConfig(org="o", repo=project.replace("/", "-")),
                  mapping=Path("m.yaml"), checkpoint=Path(f"/cp/{project}"))


class TestRunAll:
    def test_a_crash_in_one_project_never_stops_the_others(self) -> None:
        """Results keep the config order; each project's outcome is its own."""
        def run_one(c: Config) -> ProjectResult:
            return result_of(c, exit_code=3 if c.source.project == "g/b" else 0, error=None)

        results = run_all([config(p) for p in ("g/a", "g/b", "g/c")], run_one, parallel=2,
                          stop=threading.Event())
        assert [(r.source, r.exit_code) for r in results] == [("g/a", 0), ("g/b", 3), ("g/c", 0)]

    def test_at_most_parallel_projects_run_at_once(self) -> None:
        """With parallel=2 a third project waits until one of the first two ends."""
        running, peak, lock = 0, 0, threading.Lock()
        both = threading.Barrier(2, timeout=10)

        def run_one(c: Config) -> ProjectResult:
            nonlocal running, peak
            with lock:
                running += 1
                peak = max(peak, running)
            if c.source.project in ("g/0", "g/1"):
                both.wait()  # the first two really do run together
            with lock:
                running -= 1
            return result_of(c, exit_code=0, error=None)

        run_all([config(f"g/{i}") for i in range(6)], run_one, parallel=2,
                stop=threading.Event())
        assert peak == 2

    def test_once_stopped_no_project_starts(self) -> None:
        """Projects not yet started when stop is set are reported 130, never run."""
        stop = threading.Event()
        started: list[str] = []

        def run_one(c: Config) -> ProjectResult:
            started.append(c.source.project)
            stop.set()
            return result_of(c, exit_code=130, error="interrupted")

        results = run_all([config(f"g/{i}") for i in range(4)], run_one, parallel=1, stop=stop)
        assert started == ["g/0"]
        assert [r.exit_code for r in results] == [130] * 4
        assert all("not started" in str(r.error) for r in results[1:])


class TestRender:
    def report(self) -> FleetReport:
        bad = result_of(config("g/<script>|x"), exit_code=3, error="repository <b> not found")
        good = dataclasses.replace(result_of(config("g/a"), exit_code=0, error=None),
                                   report_file=Path("out.o-g-a.html"))
        return FleetReport(command="migrate", dry_run=False, shard="1/2", fleet_size=5,
                           projects=(good, bad), started_at="t0", finished_at="t1",
                           duration_s=1.0)

    def test_text_has_one_line_per_project_and_the_totals(self) -> None:
        """Exit code, names, outcome; the closing line counts projects by exit code."""
        text = render_fleet_text(self.report())
        assert "shard 1/2 of 5 projects" in text
        assert "   3  g/<script>|x -> o/g-<script>|x: repository <b> not found" in text
        assert text.rstrip().endswith("(exit 0: 1, exit 3: 1); nothing in 0 requests; exit 3")

    def test_html_escapes_and_markdown_keeps_its_table(self) -> None:
        """No markup from the data runs in the page; a | does not break the table."""
        page = render_fleet_html(self.report())
        assert "<script>" not in page
        assert "&lt;script&gt;" in page
        assert '<a href="out.o-g-a.html">' in page
        table = render_fleet_markdown(self.report())
        assert "g/<script>\\|x" in table

    def test_per_project_files_sit_beside_the_combined_one(self) -> None:
        """fleet.json -> fleet.<org>-<repo>.json, unsafe characters replaced."""
        assert project_report_path(Path("r/fleet.json"), "o", "a b") == Path("r/fleet.o-a_b.json")


class TestSandboxProjects:
    def test_one_project_is_served_as_before(self) -> None:
        """Without `projects`, the fake GitLab is the one-project app with one state."""
        sandbox = Sandbox("demo")
        assert len(sandbox.gitlab_projects) == 1
        assert sandbox.repos == [sandbox.repo]
        with sandbox as sb:
            assert isinstance(sb._servers[0].app, GitLabApp)

    def test_projects_are_routed_by_id_and_path_and_listed_by_group(self) -> None:
        """Each project answers its own milestones; the group lists every project, paged."""
        with Sandbox("demo", projects=3) as sb:
            headers = {"PRIVATE-TOKEN": sb.gitlab_token}
            titles = []
            for state in sb.gitlab_projects:
                for ref in (str(state.project["id"]), state.project["path"].replace("/", "%2F")):
                    got = requests.get(f"{sb.gitlab_url}/api/v3/projects/{ref}/milestones",
                                       headers=headers, timeout=5).json()
                    titles.append(sorted(m["title"] for m in got))
            assert titles[0] == titles[1] != titles[2] == titles[3] != titles[4]
            assert all(t.endswith(" (p3)") for t in titles[4])
            page = requests.get(f"{sb.gitlab_url}/api/v3/groups/demo-group/projects",
                                params={"per_page": 2}, headers=headers, timeout=5)
            assert page.headers["X-Total"] == "3"
            assert page.headers["X-Next-Page"] == "2"
            assert len(page.json()) == 2
            missing = requests.get(f"{sb.gitlab_url}/api/v3/groups/nobody/projects",
                                   headers=headers, timeout=5)
            assert missing.status_code == 404
            anonymous = requests.get(f"{sb.gitlab_url}/api/v3/groups/demo-group/projects",
                                     timeout=5)
            assert anonymous.status_code == 401
            assert sb.sourcecraft.milestones(sb.org, sb.repos[2]) == []

    def test_a_copied_project_keeps_its_notes_and_labels_on_shifted_ids(self) -> None:
        """Project 2's issues carry their notes and labels under ids of their own."""
        with Sandbox("demo", projects=2) as sb:
            headers = {"PRIVATE-TOKEN": sb.gitlab_token}
            seen = []
            for state in sb.gitlab_projects:
                base = f"{sb.gitlab_url}/api/v3/projects/{state.project['id']}"
                issues = requests.get(f"{base}/issues", params={"per_page": 100},
                                      headers=headers, timeout=5).json()
                noted = next(i for i in issues if i["user_notes_count"])
                notes = requests.get(f"{base}/issues/{noted['id']}/notes", headers=headers,
                                     timeout=5).json()
                labels = requests.get(f"{base}/labels", headers=headers, timeout=5).json()
                seen.append((noted["id"], [n["body"] for n in notes],
                             sorted(label["name"] for label in labels)))
            (first_id, first_notes, first_labels), (second_id, second_notes, second_labels) = seen
            assert second_id != first_id
            assert second_notes == first_notes != []
            assert second_labels == first_labels != []
