"""Labels and issues end to end: dry run, reports, request counts, failed links, the 64 KB limit."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import reliability_support as support

from bridge.sandbox import Sandbox

TRANSFER = "transfer:\n  labels: true\n  issues: true\n"
USERS = "users:\n  root: root-admin\n  lennie: lennie\n  axel.block: axel-block\n"


@pytest.fixture
def sb() -> Iterator[Sandbox]:
    with Sandbox() as sandbox:
        yield sandbox


def _run(sb: Sandbox, folder: Path, *args: str, extra: str = TRANSFER + USERS) -> tuple[
        int, dict[str, object], str]:
    config = support.write_config(folder, sb, extra=extra)
    report = folder / "report.json"
    result = support.cli(["migrate", "-c", str(config), "--no-progress", "-q",
                          "--report", str(report), *args], support.token_env(sb))
    return result.returncode, json.loads(report.read_text(encoding="utf-8")), result.stderr


@pytest.mark.slow
class TestIssueMigration:
    def test_the_dry_run_plans_every_kind_and_writes_nothing(self, sb: Sandbox,
                                                             tmp_path: Path) -> None:
        """Labels, milestones and issues all planned, counted per kind; no write, no checkpoint."""
        code, report, _ = _run(sb, tmp_path, "--dry-run")
        assert code == 0
        assert sb.log.count("target_write") == 0
        assert not (tmp_path / "checkpoint.db").exists()
        by_kind = report["summary_by_kind"]
        assert isinstance(by_kind, dict)
        assert {kind: counts["create"] for kind, counts in by_kind.items()} == {
            "label": len(sb.gitlab.labels()), "milestone": 13, "issue": len(sb.gitlab.issues)}
        assert report["notes"] == ["GitLab label descriptions have no SourceCraft field: they "
                                   "are not carried over"]

    def test_the_run_does_what_the_dry_run_said_in_the_requests_it_counted(
            self, sb: Sandbox, tmp_path: Path) -> None:
        """One write per object (and a close per closed milestone), reads from the formula.

        SourceCraft reads: the preflight + one listing page per kind + one look-up per mapped
        user; GitLab reads the issue pages once, for the milestones' counts and the issue kind.
        """
        _, planned, _ = _run(sb, tmp_path, "--dry-run")
        sb.log.clear()
        code, report, stderr = _run(sb, tmp_path)
        assert code == 0, stderr
        assert report["summary_by_kind"] == planned["summary_by_kind"]
        closed = sum(1 for m in sb.gitlab.listed() if m["state"] == "closed")
        objects = len(sb.gitlab.labels()) + 13 + len(sb.gitlab.issues)
        # An issue whose text refers to issues (`#2`, outside code) is written before their
        # numbers are known: one PATCH completes it once they exist.
        referring = {i["iid"] for i in sb.gitlab.issues
                     if re.search(r"#\d", re.sub(r"`[^`]*`", "", i["description"] or ""))}
        patched = [r for r in sb.log.entries if r.route == "issue" and r.method == "PATCH"]
        assert {tuple(r.body) for r in patched} == {("description",)}
        assert len(patched) == len(referring) == 2
        assert sb.log.count("target_write") == objects + closed + len(referring)
        assert sb.log.count("target_write", route="issues", method="POST") == len(sb.gitlab.issues)
        # The repository's preflight read, one listing page each for labels, milestones and
        # issues (the target was empty), and each mapped SourceCraft user looked up once.
        users = {"root-admin", "lennie", "axel-block"}
        assert sb.log.count("target_read", route="users") == len(users)
        assert sb.log.count("target_read") == 1 + 3 + len(users)
        # Issues are read once: the milestones' issue scan serves the issue kind too.
        issue_pages = sb.log.count("source_read", route="issues")
        assert issue_pages == -(-len(sb.gitlab.issues) // 100)

    def test_an_issue_whose_milestone_failed_is_not_created_without_it(
            self, sb: Sandbox, tmp_path: Path) -> None:
        """Milestone creates refused: their issues fail with that reason, the others go on."""
        sb.faults.add("sourcecraft", "status", method="POST", route="milestones", status=422)
        code, report, _ = _run(sb, tmp_path)
        assert code == 1
        items = report["items"]
        assert isinstance(items, list)
        with_milestone = {i["iid"] for i in sb.gitlab.issues if i["milestone"]}
        failed = [it for it in items if it["kind"] == "issue" and it["error"]]
        assert {it["source_iid"] for it in failed} == with_milestone
        assert all("milestone" in it["error"] and "422" in it["error"] for it in failed)
        on_target = sb.sourcecraft.issue_list()
        assert len(on_target) == len(sb.gitlab.issues) - len(with_milestone)
        assert all(issue.get("milestone") is None for issue in on_target)

    def test_a_description_over_64_kb_fails_and_is_never_cut(self, sb: Sandbox,
                                                              tmp_path: Path) -> None:
        """The one long issue fails with its size named; nothing shortened reaches the target."""
        long = sb.gitlab.add_issue(title="Huge log", description="x" * (70 * 1024))
        code, report, _ = _run(sb, tmp_path)
        assert code == 1
        items = report["items"]
        assert isinstance(items, list)
        [item] = [it for it in items if it["kind"] == "issue" and it["error"]]
        assert item["source_iid"] == long["iid"]
        assert "64 KB" in item["error"]
        assert "not cut" in item["error"]
        assert "Huge log" not in {issue["title"] for issue in sb.sourcecraft.issue_list()}

    def test_assignees_come_through_users_and_strangers_are_named(self, sb: Sandbox,
                                                                 tmp_path: Path) -> None:
        """A mapped user is the assignee; an unmapped one is in the header and the report."""
        code, report, _ = _run(sb, tmp_path)
        assert code == 0
        by_title = {issue["title"]: issue for issue in sb.sourcecraft.issue_list()}
        mapped = by_title["Simplify the CLI in Firefox"]  # assigned to root in GitLab
        assert (mapped["assignee"] or {}).get("slug") == "root-admin"
        stranger = by_title["Fix date handling"]  # eileen.lowe, not in users:
        assert stranger["assignee"] is None
        assert "Assigned on GitLab to" in stranger["description"]
        assert "(eileen.lowe)" in stranger["description"]
        items = report["items"]
        assert isinstance(items, list)
        [item] = [it for it in items if it["title"] == "Fix date handling"]
        assert "eileen.lowe is not in users:" in item["reason"]


@pytest.mark.slow
class TestReferences:
    def test_references_point_at_what_they_became(self, sb: Sandbox, tmp_path: Path) -> None:
        """`#2` links the SourceCraft issue of GitLab #2, `%2` names its milestone's slug, `!4`
        links GitLab's merge request; a second run writes nothing."""
        code, _, stderr = _run(sb, tmp_path)
        assert code == 0, stderr
        by_iid = {int(i["description"].split(")")[0].rsplit("/", 1)[1]): i
                  for i in sb.sourcecraft.issue_list()}
        text = by_iid[3]["description"]
        two = by_iid[2]["slug"]
        assert f"[#{two}](" in text
        assert f"/{sb.org}/{sb.repo}/issues/{two})" in text
        assert f"{sb.gitlab_url}/{sb.project_path}/merge_requests/4" in text
        assert "%2" not in text.partition("\n\n")[2].replace("%25", "")
        assert "`#2` in code" in by_iid[1]["description"]  # code spans are left alone
        sb.log.clear()
        again, _, _ = _run(sb, tmp_path)
        assert again == 0
        assert sb.log.count("target_write") == 0

    @pytest.mark.parametrize("apply", [False, True], ids=["migrate", "apply"])
    def test_an_issue_naming_its_own_and_a_later_batch_is_patched_once(
            self, sb: Sandbox, tmp_path: Path, apply: bool) -> None:
        """Batches of 2: an issue naming the one beside it and one two batches on gets one
        PATCH with both references in, not one per batch; `apply` of a saved plan too."""
        if len(sb.gitlab.issues) % 2:
            sb.gitlab.add_issue(title="Filler")  # so the next issue starts a batch
        first = sb.gitlab.add_issue(title="Names two")
        beside = sb.gitlab.add_issue(title="Beside it")
        sb.gitlab.add_issue(title="Next batch")
        sb.gitlab.add_issue(title="Next batch too")
        later = sb.gitlab.add_issue(title="Two batches on")
        sb.gitlab.update_issue(first["id"], description=f"Needs #{beside['iid']} and "
                                                        f"#{later['iid']}.")
        config = support.write_config(tmp_path, sb, extra=TRANSFER + USERS)
        env = {**support.token_env(sb), "SCBRIDGE_BATCH": "2"}
        if apply:
            plan = tmp_path / "plan.json"
            made = support.cli(["migrate", "-c", str(config), "--dry-run", "--no-progress",
                                "-q", "--plan-out", str(plan)], env)
            assert made.returncode == 0, made.stderr
            args = ["apply", str(plan), "-c", str(config)]
        else:
            args = ["migrate", "-c", str(config)]
        sb.log.clear()
        report = tmp_path / "report.json"
        result = support.cli([*args, "--no-progress", "-q", "--report", str(report)], env)
        assert result.returncode == 0, result.stderr
        reasons = [str(item["reason"]) for item in json.loads(report.read_text())["items"]
                   if item["kind"] == "issue"]
        assert not [reason for reason in reasons if "not sent" in reason
                    or "not completed" in reason], reasons
        patched = [r for r in sb.log.entries if r.route == "issue" and r.method == "PATCH"
                   and "Needs " in str(r.body.get("description"))]
        assert len(patched) == 1
        [text] = [i["description"] for i in sb.sourcecraft.issue_list()
                  if "Needs " in i["description"]]
        numbers = {i["title"]: i["slug"] for i in sb.sourcecraft.issue_list()}
        for title in ("Beside it", "Two batches on"):
            assert f"/{sb.org}/{sb.repo}/issues/{numbers[title]})" in text

    def test_an_unfinished_reference_is_completed_by_the_next_migrate(
            self, sb: Sandbox, tmp_path: Path) -> None:
        """The completing PATCH fails: the run still ends; the next migrate sends it (once)."""
        fault = sb.faults.add("sourcecraft", "status", method="PATCH", route="issue",
                              status=422)
        code, _, _ = _run(sb, tmp_path)
        assert code == 0
        by_iid = {int(i["description"].split(")")[0].rsplit("/", 1)[1]): i
                  for i in sb.sourcecraft.issue_list()}
        assert f"{sb.gitlab_url}/{sb.project_path}/issues/2" in by_iid[3]["description"]
        sb.faults.remove(fault)
        sb.log.clear()
        code, report, _ = _run(sb, tmp_path)
        assert code == 0
        assert sb.log.count("target_write", route="issue", method="PATCH") == 2
        items = report["items"]
        assert isinstance(items, list)
        done = [it for it in items if it["kind"] == "issue" and it["action"] == "update"]
        assert all("references completed" in (it["reason"] or "") for it in done)
        [three] = [i for i in sb.sourcecraft.issue_list()
                   if "/issues/3)" in i["description"].split("\n")[0]]
        assert f"/{sb.org}/{sb.repo}/issues/" in three["description"]

    def test_the_mapping_can_leave_texts_as_they_are(self, sb: Sandbox, tmp_path: Path) -> None:
        """`references: {rewrite: false}`: GitLab's text, only the header before it."""
        mapping = tmp_path / "mapping.yaml"
        mapping.write_text("version: 1\nreferences:\n  rewrite: false\nmilestone:\n"
                           "  name: {from: title}\n  slug: {from: title, apply: [slugify]}\n"
                           "  status: {from: state, map: {active: open, closed: closed}}\n",
                           encoding="utf-8")
        code, _, stderr = _run(sb, tmp_path, extra=TRANSFER + f"mapping: {mapping}\n")
        assert code == 0, stderr
        [three] = [i for i in sb.sourcecraft.issue_list()
                   if "/issues/3)" in i["description"].split("\n")[0]]
        assert three["description"].endswith("Same cause as #2, planned for %2 "
                                              "(~bug ~security), fix in !4.")
