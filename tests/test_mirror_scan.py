"""Mirror's issue scan: incremental from the bookmark, always equal to a full scan's counts."""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from structlog.testing import capture_logs

from bridge.checkpoint import Checkpoint
from bridge.config import HttpConfig
from bridge.engine.extract import Extracted, extract
from bridge.engine.mirror import BOOKMARK, MirrorExtract, instant
from bridge.net.http import HttpClient
from bridge.sandbox import Sandbox
from bridge.sources.gitlab import GitLabReader

PER_PAGE = 10  # the demo's 150 issues over 15 pages, so stopping early shows
Summary = dict[int, tuple[str, int, int, bool]]


def summary(extracted: Extracted) -> Summary:
    return {m.id: (m.title, m.issues_open, m.issues_closed, m.from_issues_only)
            for m in extracted.milestones}


class Runs:
    """Runs the full extract and the mirror extract against one sandbox and checkpoint."""

    def __init__(self, sb: Sandbox, path: Path) -> None:
        self.sb, self.path = sb, path
        self.last_reads = 0
        self.last_mode = self.last_reason = ""

    def _reader(self) -> tuple[HttpClient, GitLabReader]:
        http = HttpClient(self.sb.gitlab_url, kind="source",
                          headers={"PRIVATE-TOKEN": self.sb.gitlab_token},
                          http=HttpConfig(concurrency=1))
        return http, GitLabReader(http, project=self.sb.project_path, per_page=PER_PAGE)

    def full(self) -> Summary:
        http, reader = self._reader()
        try:
            return summary(extract(reader))
        finally:
            http.close()

    def mirror(self, *, save: bool = True) -> Summary:
        http, reader = self._reader()
        try:
            with Checkpoint.open(self.path, readonly=not save) as checkpoint, \
                    capture_logs() as logs:
                result = summary(MirrorExtract(reader, checkpoint, save=save)())
        finally:
            http.close()
        self.last_reads = http.requests_made["read"]
        scanned = next(e for e in logs if e["event"] == "issues_scanned")
        self.last_mode, self.last_reason = scanned["mode"], scanned["reason"] or ""
        return result

    def check(self) -> Summary:
        """A mirror run; it must agree with a full scan made right after it."""
        got = self.mirror()
        assert got == self.full()
        return got


@pytest.fixture
def runs(sandbox: Sandbox, tmp_path: Path) -> Runs:
    return Runs(sandbox, tmp_path / "checkpoint")


def listed_ids(sb: Sandbox) -> list[int]:
    return [m["id"] for m in sb.gitlab.milestones()]


class TestIncremental:
    def test_first_run_is_full_and_saves_a_bookmark(self, runs: Runs) -> None:
        """Without a bookmark the scan reads every issue page, then notes the newest updated_at."""
        assert runs.check()[106] == ("v1.2", 8, 6, False)
        assert runs.last_mode == "full"
        with Checkpoint.open(runs.path, readonly=True) as view:
            assert view.issue_total() == 150
            assert instant(view.meta()[BOOKMARK]) is not None

    def test_nothing_changed_costs_one_issue_page_and_one_probe(self, runs: Runs) -> None:
        """A run with nothing new reads the project, the milestones, one issue page, one probe."""
        runs.check()
        runs.check()
        assert runs.last_mode == "incremental"
        assert runs.last_reads == 1 + 2 + 1 + 1  # 12 milestones at 10 a page: 2 pages

    def test_moves_closes_reopens_and_new_issues(self, runs: Runs) -> None:
        """Issues moved, closed, reopened, unassigned or created since the bookmark all count."""
        runs.check()
        gl = runs.sb.gitlab
        gl.update_issue(1001, milestone=107)  # opened: 106 -> 107
        gl.update_issue(1002, state="reopened")  # on 106
        gl.update_issue(1003, state="closed", milestone=None)  # off 101
        gl.add_issue(milestone=95)  # the milestone only issues carry
        gl.add_issue(milestone=111, state="closed")
        gl.add_issue()
        got = runs.check()
        assert runs.last_mode == "incremental"
        assert got[106][1:3] == (8 - 1 + 1, 6 - 1)
        assert got[95][1:] == (7, 2, True)

    def test_deleted_milestone_unlinks_its_issues(self, runs: Runs) -> None:
        """Issues of a milestone deleted in GitLab count nowhere, though their updated_at stays."""
        runs.check()
        runs.sb.gitlab.remove_milestone(106)
        got = runs.check()
        assert 106 not in got
        assert runs.last_mode == "incremental"

    def test_issue_gone_from_gitlab_forces_a_full_scan(self, runs: Runs) -> None:
        """An issue the table has and GitLab no longer lists (deleted, moved) makes a full scan."""
        runs.check()
        with Checkpoint.open(runs.path) as checkpoint:
            checkpoint.save_issues([(424242, 106, "opened", "2016-01-01T00:00:00Z")])
        assert runs.check()[106][1] == 8
        assert runs.last_mode == "full"
        runs.check()
        assert runs.last_mode == "incremental"

    def test_dry_run_counts_the_same_and_saves_nothing(self, runs: Runs) -> None:
        """A read-only scan applies the changes in memory and leaves the checkpoint as it was."""
        runs.check()
        before = runs.path.read_bytes()
        runs.sb.gitlab.update_issue(1011, state="closed")
        assert runs.mirror(save=False) == runs.full()
        assert runs.path.read_bytes() == before

    def test_random_edits_over_many_runs_match_full_scans(self, runs: Runs) -> None:
        """Seeded random edits between eight runs: every run's counts equal a full scan's."""
        rng = random.Random(7)
        gl = runs.sb.gitlab
        runs.check()
        issue_ids = [1000 + n for n in range(1, 151)]
        for _ in range(8):
            targets: list[Any] = [None, 95, *listed_ids(runs.sb)]
            for _ in range(rng.randint(0, 6)):
                kind = rng.choice(["move", "state", "new"])
                if kind == "new":
                    issue_ids.append(gl.add_issue(milestone=rng.choice(targets))["id"])
                elif kind == "move":
                    gl.update_issue(rng.choice(issue_ids), milestone=rng.choice(targets))
                else:
                    gl.update_issue(rng.choice(issue_ids),
                                    state=rng.choice(["opened", "closed", "reopened"]))
            runs.check()
            assert runs.last_mode == "incremental"


class TestOldGitLab:
    @pytest.fixture
    def old(self, tmp_path: Path) -> Iterator[Runs]:
        with Sandbox(gitlab_version="8.11.0") as sb:
            yield Runs(sb, tmp_path / "checkpoint")

    def test_unsorted_first_page_means_a_full_scan(self, old: Runs) -> None:
        """A first page out of updated_at order shows the order ignored: a full scan follows."""
        old.check()
        old.sb.gitlab.add_issue(milestone=106)
        # Created before that new issue, updated after it: out of order on the first page.
        old.sb.gitlab.update_issue(1150, state="closed", updated_at="2030-01-01T00:00:00.000Z")
        old.check()
        assert (old.last_mode, old.last_reason) == (
            "full", "GitLab ignores order_by=updated_at (before 8.12)")
        old.check()
        assert old.last_mode == "full"  # every run: the verdict is not remembered

    def test_sorted_looking_first_page_is_still_proved(self, old: Runs) -> None:
        """A first page that looks sorted does not pass for an honoured order: a probe tells."""
        old.check()
        old.sb.gitlab.update_issue(1001, milestone=107)  # the oldest: last in created order
        old.check()
        assert (old.last_mode, old.last_reason) == (
            "full", "GitLab ignores order_by/sort (before 8.12)")
