"""`scbridge mirror` end to end on the sandbox: many runs with edits between them, on both sides."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from bridge.checkpoint import Checkpoint
from bridge.config import load_config
from bridge.engine.extract import Extracted
from bridge.engine.mirror import MirrorExtract
from bridge.errors import ApiError
from bridge.pipeline import RunOptions, run
from bridge.report import RunReport, render_text, write_report
from bridge.sandbox import RequestRecord, Sandbox

ROOT = Path(__file__).resolve().parents[1]
MAPPING = ROOT / "bridge" / "data" / "gitlab-v3-to-sourcecraft.yaml"
FIRST_SLUGS = {"team-milestone-2016", "v0-9", "v1-0", "v1-0-2", "reliz-1-0", "v1-1", "v1-2",
               "v2-0", "backlog", "security-fixes", "documentation-sprint", "q3-planning",
               "old-ideas-archived"}


class Mirror:
    """One project's mirror job: a config beside its checkpoint, run in-process or by the CLI."""

    def __init__(self, sb: Sandbox, folder: Path) -> None:
        self.sb, self.folder = sb, folder
        self.config = folder / "scbridge.yaml"
        self.env = {"GITLAB_TOKEN": sb.gitlab_token, "SOURCECRAFT_TOKEN": sb.sourcecraft_token}
        self.write_config()

    def write_config(self, *, on_deleted: str = "keep", on_target_edited: str = "source-wins",
                     mapping: Path | str = MAPPING) -> None:
        self.config.write_text(
            f"source:\n  url: {self.sb.gitlab_url}\n  project: {self.sb.project_path}\n"
            f"  per_page: 5\n"  # 12 milestones over 3 pages, 150 issues over 30
            f"target:\n  url: {self.sb.sourcecraft_url}\n  org: {self.sb.org}\n"
            f"  repo: {self.sb.repo}\nmapping: {mapping}\n"
            f"http:\n  max_attempts: 2\n  max_backoff_s: 0\n"
            f"mirror:\n  on_deleted: {on_deleted}\n  on_target_edited: {on_target_edited}\n",
            encoding="utf-8")

    def run(self, *, dry_run: bool = False, **policies: Any) -> tuple[RunReport, int]:
        """One in-process mirror run under `policies`; its report and the writes the target saw."""
        self.write_config(**policies)
        before = self.sb.log.count("target_write")
        config = load_config(self.config, env=self.env)
        result = run(config, RunOptions(command="mirror", dry_run=dry_run, progress=False,
                                        sleep=lambda _s: None))
        assert result.error is None
        return result.report, self.sb.log.count("target_write") - before

    def cli(self, *args: str, **policies: Any) -> tuple[subprocess.CompletedProcess[str], int]:
        """`scbridge mirror -c CONFIG ARGS` as a subprocess; its result and the writes seen."""
        self.write_config(**policies)
        before = self.sb.log.count("target_write")
        done = subprocess.run(
            [sys.executable, "-m", "bridge", "mirror", "-c", str(self.config), "--no-progress",
             "-q", *args], capture_output=True, text=True, timeout=60, cwd=self.folder,
            env={**os.environ, **self.env, "PYTHONPATH": str(ROOT)}, check=False)
        return done, self.sb.log.count("target_write") - before

    def target(self) -> dict[str, dict[str, Any]]:
        """SourceCraft's milestones now, by slug."""
        return {m["slug"]: m for m in self.sb.sourcecraft.milestones()}


@pytest.fixture
def job(sandbox: Sandbox, tmp_path: Path) -> Mirror:
    return Mirror(sandbox, tmp_path)


def summary(report: RunReport) -> dict[str, int]:
    return {k: v for k, v in report.summary().items() if v}


def item(report: RunReport, slug: str) -> Any:
    return next(i for i in report.items if i.target_slug == slug)


class TestMirrorRuns:
    def test_a_season_of_mirror_runs(self, job: Mirror, tmp_path: Path) -> None:
        """Fourteen runs with edits on both sides: each leaves the target right, writing only
        what changed."""
        gl, sc = job.sb.gitlab, job.sb.sourcecraft
        # 1. The first run creates every milestone and closes the closed ones.
        report, writes = job.run()
        assert (summary(report), writes) == ({"create": 13, "create_closed": 6}, 13 + 6)
        assert set(job.target()) == FIRST_SLUGS
        v20_id = job.target()["v2-0"]["id"]

        # 2. Nothing changed: zero writes, exit 0, and few reads (no full issue scan).
        report, writes = job.run()
        assert (summary(report), writes, report.exit_code) == ({"unchanged": 13}, 0, 0)
        assert report.requests["source"] <= 1 + 3 + 1 + 1  # project, census, 1 issue page, probe

        # 3. By the CLI: a rename, a due date moved, a close, a reopen, a new milestone, and
        #    an issue moved between milestones.
        gl.update_milestone(107, title="v2.0 (rewrite)")
        gl.update_milestone(106, due_date="2016-08-01")
        gl.update_milestone(111, state="closed")
        gl.update_milestone(105, state="active")
        gl.add_milestone(title="v3.0", due_date="2016-12-01", description="Next.")
        gl.update_issue(1001, milestone=107)
        done, writes = job.cli("--report", str(tmp_path / "run.json"))
        assert (done.returncode, writes) == (0, 5), done.stderr
        saved = json.loads((tmp_path / "run.json").read_text(encoding="utf-8"))
        assert {k: v for k, v in saved["summary"].items() if v} == {
            "create": 1, "close": 1, "reopen": 1, "update": 2, "unchanged": 9}
        renamed = next(i for i in saved["items"] if i["source_id"] == 107)
        assert renamed["changes"] == {"name": ["v2.0", "v2.0 (rewrite)"]}
        assert renamed["issues"] == {"open": 18, "closed": 4}  # 17/4 plus the moved open issue
        target = job.target()
        assert (target["v2-0"]["id"], target["v2-0"]["name"]) == (v20_id, "v2.0 (rewrite)")
        assert target["v1-2"]["deadline"].startswith("2016-08-01T00:00:00")
        assert (target["q3-planning"]["status"], target["v1-1"]["status"]) == ("closed", "open")
        assert target["v3-0"]["status"] == "open"

        # 4. Deleted in GitLab, on_deleted: keep. Reported, not written.
        gl.remove_milestone(109)
        report, writes = job.run(on_deleted="keep")
        assert (summary(report)["skip"], writes, report.exit_code) == (1, 0, 0)
        assert "on_deleted: keep" in (item(report, "security-fixes").reason or "")
        assert job.target()["security-fixes"]["status"] == "open"

        # 5. on_deleted: close. Both milestones gone from GitLab are closed.
        gl.remove_milestone(108)
        report, writes = job.run(on_deleted="close")
        assert (summary(report)["close"], writes) == (2, 2)
        assert {job.target()[s]["status"] for s in ("backlog", "security-fixes")} == {"closed"}

        # 6. on_deleted: delete. Every milestone gone from GitLab goes from SourceCraft too.
        gl.remove_milestone(103)
        report, writes = job.run(on_deleted="delete")
        assert (summary(report)["delete"], writes) == (3, 3)
        assert set(job.target()) == FIRST_SLUGS - {"v1-0-2", "backlog", "security-fixes"} | {
            "v3-0"}

        # 7. Nothing left to do under the delete policy: zero writes.
        report, writes = job.run(on_deleted="delete")
        assert (writes, report.exit_code) == (0, 0)

        # 8. A hand edit on SourceCraft, on_target_edited: source-wins. Overwritten, reported.
        sc.edit_milestone("v0-9", description="edited by hand")
        report, writes = job.run(on_target_edited="source-wins")
        assert (summary(report)["update"], writes, report.exit_code) == (1, 1, 0)
        assert "source-wins" in (item(report, "v0-9").reason or "")
        assert job.target()["v0-9"]["description"] == "First public beta."

        # 9. keep-target: skipped and reported; the hand edit stays; nothing needs a person.
        sc.edit_milestone("v1-0", description="kept by hand")
        report, writes = job.run(on_target_edited="keep-target")
        assert (summary(report)["skip"], writes, report.exit_code) == (1, 0, 0)
        assert job.target()["v1-0"]["description"] == "kept by hand"

        # 10. report: nothing written for edited milestones, exit 1; other changes still go.
        sc.edit_milestone("reliz-1-0", name="Release 1.0 by hand")
        gl.update_milestone(112, due_date="2016-01-31")
        report, writes = job.run(on_target_edited="report")
        assert (summary(report)["conflict"], summary(report)["update"]) == (2, 1)
        assert (writes, report.exit_code) == (1, 1)
        assert job.target()["reliz-1-0"]["name"] == "Release 1.0 by hand"
        assert job.target()["old-ideas-archived"]["deadline"].startswith("2016-01-31")

        # 11. Back to source-wins: both hand edits are overwritten; 12. then all is quiet.
        report, writes = job.run()
        assert (summary(report)["update"], writes) == (2, 2)
        assert job.target()["reliz-1-0"]["name"] == "Релиз 1.0"
        report, writes = job.run()
        assert (writes, report.exit_code, summary(report)) == (0, 0, {"unchanged": 11})

    def test_dry_run_shows_each_change_before_and_after(self, job: Mirror,
                                                        tmp_path: Path) -> None:
        """A mirror dry run lists every changed field, before -> after, and writes nothing."""
        job.run()
        job.sb.gitlab.update_milestone(106, title="v1.2 LTS", due_date="2016-08-01",
                                       description="Longer support.", state="closed")
        before = job.sb.log.count("target_write")
        report, writes = job.run(dry_run=True)
        assert (writes, job.sb.log.count("target_write") - before) == (0, 0)
        changes = item(report, "v1-2").changes
        assert changes == {"name": ["v1.2", "v1.2 LTS"],
                           "description": ["Performance work.", "Longer support."],
                           "deadline": ["2016-07-22T00:00:00Z", "2016-08-01T00:00:00Z"],
                           "status": ["open", "closed"]}
        text = render_text(report)
        for name in changes:
            assert f"{name}: " in text
        assert "v1.2 → v1.2 LTS" in text
        write_report(report, tmp_path / "plan.md")
        page = (tmp_path / "plan.md").read_text(encoding="utf-8")
        assert "2016-07-22T00:00:00Z → 2016-08-01T00:00:00Z" in page

    def test_cli_dry_run_prints_before_and_after_and_writes_nothing(self, job: Mirror) -> None:
        """`scbridge mirror --dry-run` prints each change, before -> after, and writes nothing."""
        job.run()
        job.sb.gitlab.update_milestone(106, title="v1.2 LTS", due_date="2016-08-01")
        def files() -> dict[str, bytes]:
            return {p.name: p.read_bytes() for p in (job.folder / ".scbridge").iterdir()}
        saved = files()
        done, writes = job.cli("--dry-run")
        assert (done.returncode, writes) == (0, 0), done.stderr
        assert "v1.2 → v1.2 LTS" in done.stdout
        assert "deadline: 2016-07-22T00" in done.stdout  # the cell wraps at 80 columns
        assert "→ 2016-08-01T" in done.stdout
        assert "would create 0, close 0, update 1, unchanged 12" in done.stdout
        assert saved
        assert files() == saved

    def test_slugs_follow_renames_when_the_mapping_says_so(self, job: Mirror,
                                                           tmp_path: Path) -> None:
        """With slugs.follow_renames the same SourceCraft milestone gets the new slug too."""
        mapping = tmp_path / "follow.yaml"
        mapping.write_text(MAPPING.read_text(encoding="utf-8").replace(
            "follow_renames: false", "follow_renames: true"), encoding="utf-8")
        job.run(mapping=mapping)
        kept_id = job.target()["v1-2"]["id"]
        job.sb.gitlab.update_milestone(106, title="v1.2 LTS")
        report, writes = job.run(mapping=mapping)
        assert (summary(report)["update"], writes) == (1, 1)
        assert item(report, "v1-2-lts").changes == {"name": ["v1.2", "v1.2 LTS"],
                                                    "slug": ["v1-2", "v1-2-lts"]}
        assert job.target()["v1-2-lts"]["id"] == kept_id
        assert "v1-2" not in job.target()


class TestIncompleteCensus:
    @pytest.fixture
    def gone(self, job: Mirror) -> Mirror:
        """A mirrored project whose milestone 111 was then deleted in GitLab."""
        job.run()
        job.sb.gitlab.remove_milestone(111)
        return job

    def test_lost_milestone_page_deletes_nothing(self, gone: Mirror) -> None:
        """A milestone page that keeps failing stops the run (exit 3) before any write."""
        sb = gone.sb

        def break_after_first_page(record: RequestRecord) -> None:
            if record.path.endswith("/milestones") and not sb.faults.active:
                sb.faults.add(server="gitlab", kind="status", status=500, path=r"/milestones$")

        unsubscribe = sb.log.subscribe(break_after_first_page)
        try:
            done, writes = gone.cli(on_deleted="delete")
        finally:
            unsubscribe()
        assert (done.returncode, writes) == (3, 0)
        assert "Traceback" not in done.stderr
        assert done.stderr.splitlines()[-1].startswith("scbridge: error: GET /api/v3/projects/")
        assert "q3-planning" in gone.target()
        sb.faults.clear()
        report, writes = gone.run(on_deleted="delete")  # the same run with the page back
        assert (summary(report)["delete"], writes) == (1, 1)

    def test_partial_census_flag_stops_deletions_in_the_plan(
            self, gone: Mirror, monkeypatch: pytest.MonkeyPatch) -> None:
        """An extract marked incomplete reaches the planner: vanished milestones are kept."""
        real = MirrorExtract.__call__

        def partial(self: MirrorExtract) -> Extracted:
            extracted = real(self)
            return Extracted(extracted.project, extracted.milestones, extracted.pages,
                             extracted.issues, census_complete=False)

        monkeypatch.setattr(MirrorExtract, "__call__", partial)
        report, writes = gone.run(on_deleted="delete")
        assert (writes, summary(report).get("delete", 0)) == (0, 0)
        assert "census incomplete" in (item(report, "q3-planning").reason or "")


class TestCron:
    def test_a_second_run_waits_for_the_lock(self, job: Mirror) -> None:
        """While one run holds the checkpoint, another exits 4 having written nothing."""
        job.run()
        job.sb.gitlab.update_milestone(106, title="v1.2 LTS")
        with Checkpoint.open(job.folder / ".scbridge" / f"{job.sb.org}-{job.sb.repo}"):
            done, writes = job.cli()
        assert (done.returncode, writes) == (4, 0)
        assert job.target()["v1-2"]["name"] == "v1.2"

    def test_interrupted_extract_raises_before_writes(self, job: Mirror) -> None:
        """Credentials refused by GitLab mid-census end the run with an API error, no write."""
        job.run()
        job.sb.faults.add(server="gitlab", kind="status", status=401, path=r"/milestones$")
        job.sb.gitlab.remove_milestone(111)
        config = load_config(job.config, env=job.env)
        with pytest.raises(ApiError):
            run(config, RunOptions(command="mirror", progress=False, sleep=lambda _s: None))
        assert "q3-planning" in job.target()
