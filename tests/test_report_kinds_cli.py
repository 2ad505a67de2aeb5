"""The per-kind text report through the real CLI: labels, issues and comments in the sandbox."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import reliability_support as support

from bridge.report.grouping import SHOWN_PER_KIND
from bridge.sandbox import Sandbox

EXTRA = ("transfer:\n  labels: true\n  issues: true\n  comments: true\n"
         "users:\n  root: root-admin\n  lennie: lennie\n  eileen.lowe: eileen-lowe\n"
         "  ivan.petrov: ivan-petrov\n")


@pytest.fixture
def sb() -> Iterator[Sandbox]:
    with Sandbox() as sandbox:
        yield sandbox


def _summary_rows(stdout: str) -> dict[str, list[str]]:
    lines = stdout.split("\n")
    head = next(i for i, line in enumerate(lines) if line.startswith("kind "))
    rows = {}
    for line in lines[head + 2:]:
        if not line.strip() or line.startswith("note:"):
            break
        name, *counts = line.split()
        rows[name] = counts
    return rows


@pytest.mark.slow
class TestTrackerReportOnScreen:
    def test_dry_run_shows_a_summary_per_kind_and_caps_each_kind(
            self, sb: Sandbox, tmp_path: Path) -> None:
        """The summary table counts each kind as the JSON does; the 150 issues show the first
        few and point at the report file for the rest."""
        config = support.write_config(tmp_path, sb, extra=EXTRA)
        report = tmp_path / "plan.json"
        run = support.cli(["migrate", "-c", str(config), "--dry-run", "--no-progress",
                           "--report", str(report)], support.token_env(sb))
        assert run.returncode == 0, run.stderr
        doc = json.loads(report.read_text(encoding="utf-8"))
        rows = _summary_rows(run.stdout)
        assert list(rows) == ["labels", "milestones", "issues", "comments"]
        head = next(line for line in run.stdout.split("\n") if line.startswith("kind ")).split()
        for plural, kind in (("labels", "label"), ("milestones", "milestone"),
                             ("issues", "issue"), ("comments", "comment")):
            counts = dict(zip(head[1:], rows[plural], strict=True))
            assert int(counts["create"].replace(",", "")) == doc["summary_by_kind"][kind]["create"]
            assert int(counts["skip"]) == doc["summary_by_kind"][kind]["skip"]
        issues = len(sb.gitlab.issues)
        assert f"issues ({issues})" in run.stdout
        assert (f"... {issues - SHOWN_PER_KIND} more issue items in {report}") in run.stdout
        assert "GitLab" in run.stdout
        assert "#1 Test API tokens" in run.stdout
        assert "note: GitLab label descriptions have no SourceCraft field" in run.stdout
        assert len(run.stdout.split("\n")) < 300  # a screenful per kind, not 150 issues' worth
        # The plan says, per issue, how many references its description has rewritten.
        third = next(it for it in doc["items"] if it["reference"].endswith("#3")
                     and it["kind"] == "issue")
        # #2, %2, ~bug, ~security, !4 rewritten; and the GitLab issue's 3 comments (notes
        # that are neither system notes nor award emoji) to add.
        assert third["extra"] == {"references": 5, "comments": 3}
        rows = run.stdout[run.stdout.index("#3 Fix CSV export"):].split("\n")
        assert rows[0].rstrip().endswith("references rewritten: 5, comments: 3")

    def test_the_run_then_the_rerun(self, sb: Sandbox, tmp_path: Path) -> None:
        """After the migration the issues have SourceCraft numbers on screen; a re-run shows
        every kind unchanged and, quiet, prints one line."""
        config = support.write_config(tmp_path, sb, extra=EXTRA)
        env = support.token_env(sb)
        run = support.cli(["migrate", "-c", str(config), "--no-progress"], env)
        assert run.returncode == 0, run.stderr
        row = next(line for line in run.stdout.split("\n") if "#1 Test API tokens" in line)
        assert row.split()[0] == "create"
        assert row.split()[5].isdigit()  # the number SourceCraft gave it
        assert "(run with --report FILE for all)" in run.stdout
        again = support.cli(["migrate", "-c", str(config), "--no-progress"], env)
        rows = _summary_rows(again.stdout)
        # Nothing to create; comments of issues unchanged since the last run are not re-read.
        assert rows == {kind: ["0", "0", "0", str(n), "0", "0", "0"] for kind, n in (
            ("labels", len(sb.gitlab.labels())), ("milestones", 13),
            ("issues", len(sb.gitlab.issues)))}
        quiet = support.cli(["migrate", "-c", str(config), "--no-progress", "-q"], env)
        assert quiet.stdout.count("\n") == 1, quiet.stdout
