"""The benchmark runs end to end with exact request counts, and the speed fixes it led to hold."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path
from typing import Any, ClassVar

import pytest
import requests

from bridge.config import HttpConfig
from bridge.net.http import HttpClient
from bridge.sandbox import Sandbox
from bridge.sources.gitlab import MilestoneCache, Project, parse_issue

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from bounds import Shape, expected_requests, lower_bound  # noqa: E402

MILESTONES, ISSUES = 20, 2_000
KIND_ISSUES, NOTES = 30, 40


@pytest.fixture(scope="module")
def smoke(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """`run.py --quick` on tiny sizes without python-gitlab: its JSON results and table."""
    out = tmp_path_factory.mktemp("bench") / "results.json"
    proc = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "run.py"), "--quick",
         "--milestones", str(MILESTONES), "--issues", str(ISSUES), "--latency-ms", "0",
         "--concurrency", "4", "--issue-milestones", "3", "--issue-issues", str(KIND_ISSUES),
         "--notes", str(NOTES), "--labels", "4", "--rate-limit", "15",
         "--no-python-gitlab", "--checkpoint-items", "5000", "--startup-rounds", "2",
         "--json", str(out)],
        capture_output=True, text=True, timeout=120, check=False, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return {"results": json.loads(out.read_text(encoding="utf-8")), "stdout": proc.stdout}


class TestBenchmarkSmoke:
    """`benchmarks/run.py` on a small project with no latency."""

    def test_every_run_makes_exactly_the_formula_s_requests(self, smoke: dict[str, Any]) -> None:
        """Reads: project + milestone pages + issue pages + preflight + target pages."""
        runs = {row["run"]: row for row in smoke["results"]["runs"]}
        source = 1 + math.ceil(MILESTONES / 100) + math.ceil(ISSUES / 100)
        assert [runs[name]["requests"]["source_read"] for name in runs] == [source] * 3
        assert [runs[name]["requests"]["target_read"] for name in runs] == [2, 2, 2]
        assert all(runs[name]["exact"] for name in runs)

    def test_migration_writes_creates_plus_closes_and_re_run_writes_none(
            self, smoke: dict[str, Any]) -> None:
        """The migration's writes are one POST per milestone and one PATCH per closed one."""
        runs = {row["run"]: row for row in smoke["results"]["runs"]}
        target = runs["migration"]["target_after"]
        assert target["total"] > MILESTONES  # milestones only issues carry are migrated too
        assert runs["migration"]["requests"]["target_write"] == target["total"] + target["closed"]
        assert runs["dry run"]["requests"]["target_write"] == 0
        assert runs["re-run"]["requests"]["target_write"] == 0

    def test_the_client_s_own_count_matches_the_sandbox_s(self, smoke: dict[str, Any]) -> None:
        """The report's request counts agree with what the sandbox saw."""
        for row in smoke["results"]["runs"]:
            seen, reported = row["requests"], row["reported"]
            assert (reported["source"], reported["target_read"], reported["target_write"]) == (
                seen["source_read"], seen["target_read"], seen["target_write"])

    def test_the_table_is_printed(self, smoke: dict[str, Any]) -> None:
        """The output has the run table, the request check and the extraction rows."""
        out = smoke["stdout"]
        for text in ("wall/bound", "requests (seen / formula)", "scbridge (concurrency 4)",
                     "scbridge (concurrency 1)", "peak RSS MB"):
            assert text in out
        assert "NO" not in out.split()


class TestQuickParts:
    """The parts --quick adds to the milestone runs: the issue project and the rate limit."""

    def test_issue_runs_make_exactly_the_formula_s_requests(self, smoke: dict[str, Any]) -> None:
        """Fresh: one notes page per issue with notes and one write per object; re-run: none."""
        runs = {row["run"]: row for row in smoke["results"]["issue_runs"]}
        fresh, again = runs["issue migration"], runs["issue re-run"]
        assert fresh["exact"]
        assert again["exact"]
        with_notes = min(NOTES, KIND_ISSUES - math.ceil(KIND_ISSUES / 5))
        assert fresh["requests"]["source_read"] == 1 + 1 + 1 + 1 + with_notes
        after = fresh["target_after"]
        assert (after["labels"], after["issues"], after["comments"]) == (4, KIND_ISSUES, NOTES)
        assert fresh["requests"]["target_write"] == (after["total"] + after["closed"] + 4
                                                     + KIND_ISSUES + NOTES)
        assert again["requests"]["target_write"] == 0
        assert again["requests"]["source_read"] == 4  # project, milestones, labels, issues

    def test_the_rate_limited_run_is_never_refused(self, smoke: dict[str, Any]) -> None:
        """22 reads at 15 a second: held until the window resets, so not one 429."""
        rate = smoke["results"]["rate_limit"]
        assert rate["exit_code"] == 0
        assert rate["requests"]["source_read"] == 1 + 1 + math.ceil(ISSUES / 100)
        assert rate["refused"] == {"gitlab": 0, "sourcecraft": 0}


class TestBounds:
    """The request formula and the network's lower bound."""

    def test_fresh_run_counts(self) -> None:
        """300 milestones and 30,000 issues at 100 a page: 1 + 3 + 300 reads; preflight + 1 page."""
        shape = Shape(milestones=300, issues=30_000)
        assert expected_requests(shape, target_before=0, writes=546) == {
            "source_read": 304, "target_read": 2, "target_write": 546}

    def test_target_pages_round_up(self) -> None:
        """303 target milestones at page_size 100 take four pages, after the preflight read."""
        shape = Shape(milestones=300, issues=30_000)
        assert expected_requests(shape, target_before=303, writes=0)["target_read"] == 5

    def test_bound_charges_first_page_alone_and_shares_the_rest(self) -> None:
        """Issues: page 1, then 299 pages four at a time (75 rounds) of 20 ms."""
        bound = lower_bound(Shape(milestones=300, issues=30_000), target_before=0, writes=546)
        assert bound["issues"] == pytest.approx(76 * 0.02)
        assert bound["writes"] == pytest.approx(137 * 0.02)
        assert bound["total"] == pytest.approx(sum(v for k, v in bound.items() if k != "total"))

    def test_issue_kinds_add_labels_notes_and_target_listings(self) -> None:
        """3,000 issues, 6,000 notes: 2,400 notes pages fresh, none on a re-run."""
        shape = Shape(milestones=30, issues=3_000, labels=20, notes=6_000, move_issues=True)
        fresh = expected_requests(shape, target_before=0, writes=100)
        assert fresh["source_read"] == 1 + 1 + 30 + 1 + 2_400
        assert fresh["target_read"] == 1 + 1 + 1 + 1
        again = expected_requests(shape, target_before=33, writes=0, labels_before=20,
                                  issues_before=3_000)
        assert again["source_read"] == 1 + 1 + 30 + 1
        assert again["target_read"] == 1 + 1 + 1 + 30
        bound = lower_bound(shape, target_before=0, writes=100)
        assert bound["notes"] == pytest.approx(600 * 0.02)

    def test_concurrency_one_is_sequential(self) -> None:
        """With one worker every page waits for the one before."""
        shape = Shape(milestones=300, issues=30_000, concurrency=1)
        assert lower_bound(shape, target_before=0, writes=0)["issues"] == pytest.approx(6.0)


class TestSandboxTrailingSlash:
    """The fake GitLab, like Rails, ignores a trailing slash (python-gitlab 1.4 sends one)."""

    def test_issue_list_with_trailing_slash(self, sandbox: Sandbox) -> None:
        """`/projects/:id/issues/` lists the same issues as `/projects/:id/issues`."""
        base = f"{sandbox.gitlab_url}/api/v3/projects/{sandbox.project_id}/issues"
        headers = {"PRIVATE-TOKEN": sandbox.gitlab_token}
        plain = requests.get(base, headers=headers, timeout=10)
        slashed = requests.get(base + "/", headers=headers, timeout=10)
        assert slashed.status_code == 200
        assert slashed.json() == plain.json()


PROJECT = Project(id=7, path="g/p", web_url="https://gitlab.example.com/g/p")


def _issue(number: int, milestone: dict[str, Any] | None) -> dict[str, Any]:
    return {"id": 1000 + number, "iid": number, "state": "opened", "milestone": milestone,
            "updated_at": "2016-01-04T15:31:39.996Z"}


class TestMilestoneCache:
    """`parse_issue` with a cache parses each embedded milestone version once."""

    MILESTONE: ClassVar[dict[str, Any]] = {
        "id": 5, "iid": 1, "project_id": 7, "title": "v1.0", "state": "active",
        "updated_at": "2016-01-04T15:31:39.996Z"}

    def test_same_milestone_is_parsed_once(self) -> None:
        """Two issues carrying the same milestone share one parsed SourceMilestone."""
        cache: MilestoneCache = {}
        first = parse_issue(_issue(1, dict(self.MILESTONE)), PROJECT, cache)
        second = parse_issue(_issue(2, dict(self.MILESTONE)), PROJECT, cache)
        assert first.milestone is second.milestone
        assert len(cache) == 1

    def test_an_edited_milestone_is_parsed_again(self) -> None:
        """A newer updated_at is a new version, parsed with its new title."""
        cache: MilestoneCache = {}
        parse_issue(_issue(1, dict(self.MILESTONE)), PROJECT, cache)
        edited = {**self.MILESTONE, "title": "v1.0 final", "updated_at": "2017-01-01T00:00:00Z"}
        issue = parse_issue(_issue(2, edited), PROJECT, cache)
        assert issue.milestone is not None
        assert issue.milestone.title == "v1.0 final"

    def test_cached_and_uncached_parse_agree(self) -> None:
        """The cache changes the cost, never the result."""
        cached = parse_issue(_issue(1, dict(self.MILESTONE)), PROJECT, {})
        plain = parse_issue(_issue(1, dict(self.MILESTONE)), PROJECT)
        assert cached == plain


class TestEnvironmentReadOnce:
    """HttpClient reads proxy and CA-bundle variables once, keeping their meaning."""

    def _client(self, url: str = "https://gitlab.example.com") -> HttpClient:
        return HttpClient(url, kind="source", headers={"PRIVATE-TOKEN": "x" * 20},
                          http=HttpConfig())

    def test_proxy_variable_is_kept(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """HTTPS_PROXY still routes requests, without requests re-reading it per call."""
        monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example:3128")
        monkeypatch.delenv("NO_PROXY", raising=False)
        monkeypatch.delenv("no_proxy", raising=False)
        session = self._client()._wire.session
        assert session.trust_env is False
        assert session.proxies.get("https") == "http://proxy.example:3128"

    def test_no_proxy_is_honoured(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """A host listed in NO_PROXY gets no proxy."""
        monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example:3128")
        monkeypatch.setenv("NO_PROXY", "gitlab.example.com")
        assert self._client()._wire.session.proxies == {}

    def test_ca_bundle_variable_is_kept(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """REQUESTS_CA_BUNDLE still names the CA file when verify_tls is true."""
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/ssl/corp.pem")
        assert self._client()._wire.session.verify == "/etc/ssl/corp.pem"

    def test_ca_bundle_is_not_applied_to_plain_http(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Over plain http (the loopback sandbox) verify stays True, so nothing is stat'ed."""
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/ssl/corp.pem")
        assert self._client("http://127.0.0.1:8080")._wire.session.verify is True


class TestFleetBenchmarkSmoke:
    """`benchmarks/fleet.py` on three tiny projects with no latency."""

    def test_every_parallelism_makes_exactly_the_formula_s_requests(self,
                                                                    tmp_path: Path) -> None:
        """Each run exits 0, reads 3 x (project + pages), writes creates + closes, once."""
        out = tmp_path / "fleet.json"
        proc = subprocess.run(
            [sys.executable, str(ROOT / "benchmarks" / "fleet.py"), "--projects", "3",
             "--milestones", "4", "--issues", "20", "--latency-ms", "0", "--parallel", "1", "3",
             "--json", str(out)],
            capture_output=True, text=True, timeout=120, check=False, cwd=ROOT)
        assert proc.returncode == 0, proc.stdout + proc.stderr[-2000:]
        rows = json.loads(out.read_text(encoding="utf-8"))["rows"]
        assert [row["parallel"] for row in rows] == [1, 3]
        for row in rows:
            assert row["requests"]["source_read"] == 3 * (1 + 1 + 1)
            assert row["requests"]["target_read"] == 3 * (1 + 1)  # preflight + one listing
            assert row["requests"]["target_write"] == (row["target_after"]["total"]
                                                       + row["target_after"]["closed"])
            assert row["projects_ok"] == {"0": 3}
        assert "speed-up" in proc.stdout
