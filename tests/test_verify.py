"""`scbridge verify` through the real CLI against the sandbox: exact, or every difference named."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from hashlib import sha256
from pathlib import Path
from typing import Any

import pytest
import reliability_support as support

from bridge.sandbox import Sandbox

TRANSFER = "transfer:\n  labels: true\n  issues: true\n"


class Bench:
    """One sandbox and a config moving labels, milestones and issues."""

    def __init__(self, sb: Sandbox, folder: Path) -> None:
        self.sb, self.folder = sb, folder
        self.config = support.write_config(folder, sb, extra=TRANSFER)
        self.env = support.token_env(sb)

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        return support.cli([*args, "-c", str(self.config), "--no-progress", "-q"], self.env)

    def verify(self) -> tuple[int, dict[str, Any], str]:
        report = self.folder / "verify.json"
        result = self.cli("verify", "--report", str(report))
        return result.returncode, json.loads(report.read_text(encoding="utf-8")), result.stdout


@pytest.fixture
def bench(tmp_path: Path) -> Iterator[Bench]:
    with Sandbox() as sb:
        yield Bench(sb, tmp_path)


def _problems(report: dict[str, Any]) -> list[tuple[str, str, str | None]]:
    return [(d["kind"], d["problem"], d["field"]) for d in report["differences"]]


@pytest.mark.slow
class TestVerify:
    def test_exact_after_migrate_with_no_write_and_the_checkpoint_untouched(
            self, bench: Bench) -> None:
        """Exit 0, every object matched; no write, the checkpoint byte for byte the same."""
        assert bench.cli("migrate").returncode == 0
        checkpoint = bench.folder / "checkpoint.db"
        before = sha256(checkpoint.read_bytes()).hexdigest()
        bench.sb.log.clear()
        code, report, stdout = bench.verify()
        assert code == 0, stdout
        assert report["exact"] is True
        assert report["differences"] == []
        assert report["checked"] == {"label": len(bench.sb.gitlab.labels()), "milestone": 13,
                                     "issue": len(bench.sb.gitlab.issues)}
        assert "exact" in stdout
        assert bench.sb.log.count("target_write") == 0
        assert sha256(checkpoint.read_bytes()).hexdigest() == before

    def test_reads_follow_the_documented_formula(self, bench: Bench) -> None:
        """GitLab: project + one page of labels, milestones and each 100 issues; SourceCraft
        the repository (preflight) + the same listings (page_size 100); no user look-up."""
        assert bench.cli("migrate").returncode == 0
        bench.sb.log.clear()
        assert bench.verify()[0] == 0
        pages = -(-len(bench.sb.gitlab.issues) // 100)
        assert bench.sb.log.count("source_read") == 1 + 1 + 1 + pages
        assert bench.sb.log.count("target_read") == 1 + 1 + 1 + pages

    def test_works_with_no_checkpoint_at_all(self, bench: Bench) -> None:
        """A fresh machine audits by natural keys: exact, and no checkpoint is created."""
        assert bench.cli("migrate").returncode == 0
        (bench.folder / "checkpoint.db").unlink()
        code, report, _ = bench.verify()
        assert code == 0, report["differences"][:3]
        assert not (bench.folder / "checkpoint.db").exists()

    def test_finds_hand_edits_a_deleted_object_a_duplicate_and_an_extra(
            self, bench: Bench) -> None:
        """Exit 1 and each difference with its kind, object, field, expected and found."""
        assert bench.cli("migrate").returncode == 0
        sc = bench.sb.sourcecraft
        issues = sc.issue_list()
        sc.edit_issue(issues[0]["slug"], title="renamed by hand")
        sc.delete_issue(issues[1]["slug"])
        sc.create_issue(title=issues[2]["title"], description=issues[2]["description"])
        sc.create_issue(title="stray", description="> From GitLab: [x#999](http://nowhere/x/issues/"
                                                   "999)\n\ntext")
        label = sc.label_list()[0]
        sc.edit_label(label["slug"], color="000000")
        milestone = bench.sb.sourcecraft.milestones()[0]
        bench.sb.sourcecraft.edit_milestone(milestone["slug"], description="edited by hand")
        code, report, stdout = bench.verify()
        assert code == 1
        problems = _problems(report)
        made = {("issue", "changed", "title"), ("issue", "missing", None),
                ("issue", "duplicate", None), ("issue", "extra", None),
                ("label", "changed", "color"), ("milestone", "changed", "description")}
        assert made <= set(problems)
        # Besides: texts that link the deleted issue now map to its GitLab URL, not to it.
        others = [p for p in problems if p not in made]
        assert set(others) <= {("issue", "changed", "description")}, others
        assert len(problems) == len(made) + len(others)
        title = next(d for d in report["differences"] if d["field"] == "title")
        assert title["expected"] == issues[0]["title"]
        assert title["found"] == "renamed by hand"
        colour = next(d for d in report["differences"] if d["field"] == "color")
        assert colour["found"] == "000000"
        assert colour["expected"] == label["color"]
        assert f"{len(problems)} differences" in stdout
        assert "renamed by hand" in stdout

    def test_exact_after_mirror_brings_a_gitlab_edit_in(self, bench: Bench) -> None:
        """A GitLab edit after the migration shows as a difference; after `mirror`, exact."""
        assert bench.cli("migrate").returncode == 0
        issue = next(iter(bench.sb.gitlab.issues))
        bench.sb.gitlab.update_issue(issue["id"], title="edited in GitLab")
        code, report, _ = bench.verify()
        assert code == 1
        assert [(d["field"], d["expected"]) for d in report["differences"]] == [
            ("title", "edited in GitLab")]
        assert bench.cli("mirror").returncode == 0
        assert bench.verify()[0] == 0

    def test_markdown_and_html_reports(self, bench: Bench) -> None:
        """The same differences in the reviewer's formats, HTML escaped."""
        assert bench.cli("migrate").returncode == 0
        issue = bench.sb.sourcecraft.issue_list()[0]
        bench.sb.sourcecraft.edit_issue(issue["slug"], title="<b>hand</b>")
        issues = len(bench.sb.gitlab.issues)
        for suffix, shown in ((".md", f"| issue | {issues} | 0 | 0 | 0 | 1 | 0 | 0 |"),
                              (".html", "&lt;b&gt;hand&lt;/b&gt;")):
            path = bench.folder / f"verify{suffix}"
            assert bench.cli("verify", "--report", str(path)).returncode == 1
            assert shown in path.read_text(encoding="utf-8")

    def test_an_unknown_report_format_exits_2(self, bench: Bench) -> None:
        result = bench.cli("verify", "--report", str(bench.folder / "x.txt"))
        assert result.returncode == 2
        assert result.stderr.count("\n") == 1


@pytest.mark.slow
class TestVerifyComments:
    def test_exact_with_comments_then_a_comment_out_of_order(self, tmp_path: Path) -> None:
        """Comments compared too; one re-posted at the end of its issue is out of order."""
        with Sandbox() as sb:
            bench = Bench(sb, tmp_path)
            bench.config = support.write_config(tmp_path, sb,
                                                extra="transfer:\n  comments: true\n"
                                                      "  issues: true\n  labels: true\n")
            assert bench.cli("migrate").returncode == 0
            code, report, _ = bench.verify()
            assert code == 0, report["differences"][:3]
            assert report["checked"]["comment"] > 0
            issue = next(i for i in sb.sourcecraft.issue_list()
                         if len(sb.sourcecraft.comment_list(i["slug"])) >= 2)
            first = sb.sourcecraft.comment_list(issue["slug"])[0]
            sb.sourcecraft.delete_comment(first["id"])
            sb.sourcecraft.create_comment(issue["slug"], first["body"])
            code, report, _ = bench.verify()
            assert code == 1
            assert [(d["kind"], d["problem"], d["target"]) for d in report["differences"]] == [
                ("comment", "order", f"#{issue['slug']}")]

