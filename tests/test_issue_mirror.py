"""`scbridge mirror` keeps issues and comments in line, cheaply: changed ones only, in place."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import reliability_support as support
from contract_support import assert_exact

from bridge.sandbox import Sandbox

TRANSFER = "transfer:\n  comments: true\n"


class Mirror:
    """A project migrated with labels, issues and comments, then mirrored twice (the second
    run from the bookmark the first saved)."""

    def __init__(self, sb: Sandbox, folder: Path, policy: str = "") -> None:
        self.sb = sb
        self.report = folder / "report.json"
        self.config = support.write_config(folder, sb, extra=TRANSFER + policy)
        self.env = support.token_env(sb)
        for command in ("migrate", "mirror"):
            result = self.run(command)
            assert result.returncode == 0, result.stderr

    def run(self, command: str = "mirror") -> Any:
        return support.cli([command, "-c", str(self.config), "--no-progress", "-q",
                            "--report", str(self.report)], self.env)

    def quiet(self) -> Any:
        """A mirror run, with the request log cleared first."""
        self.sb.log.clear()
        result = self.run()
        assert result.returncode == 0, result.stderr + result.stdout
        return result

    def issue(self, iid: int) -> dict[str, Any]:
        [found] = [i for i in self.sb.sourcecraft.issue_list()
                   if f"/issues/{iid})" in i["description"].split("\n")[0]]
        return found

    def gitlab_issue(self, iid: int) -> dict[str, Any]:
        [found] = [i for i in self.sb.gitlab.issues if i["iid"] == iid]
        return dict(found)


@pytest.fixture
def mirror(tmp_path: Path) -> Iterator[Mirror]:
    with Sandbox() as sb:
        yield Mirror(sb, tmp_path)


@pytest.mark.slow
class TestIssueMirror:
    def test_a_quiet_mirror_reads_a_few_pages_and_writes_nothing(self, mirror: Mirror) -> None:
        """Nothing changed: no write, no note read, no issue or comment listing on SourceCraft."""
        mirror.quiet()
        log = mirror.sb.log
        assert log.count("target_write") == 0
        assert log.count("source_read", route="notes") == 0
        assert log.count("target_read", route="issues") == 0
        assert log.count("target_read", route="comments") == 0
        # The issue scan stops at the bookmark: a page newest-first and the one-item sort proof.
        assert log.count("source_read", route="issues") == 2

    def test_a_changed_issue_is_updated_in_place(self, mirror: Mirror) -> None:
        """Title, state, labels, milestone and confidentiality follow GitLab: PATCH + PUT labels."""
        issue = mirror.gitlab_issue(8)
        mirror.sb.gitlab.update_issue(issue["id"], title="Simplify the CLI everywhere",
                                      state="closed", labels=["feature"], milestone=None,
                                      confidential=True)
        mirror.quiet()
        log = mirror.sb.log
        assert log.count("target_write", route="issue", method="PATCH") == 1
        assert log.count("target_write", route="issue_labels", method="PUT") == 1
        assert log.count("target_write") == 2
        after = mirror.issue(8)
        assert (after["title"], after["status"]["slug"], after["visibility"]) == (
            "Simplify the CLI everywhere", "closed", "private")
        assert [label["name"] for label in after["labels"]] == ["feature"]
        assert after.get("milestone") is None
        for kind in ("label", "milestone", "issue", "comment"):
            assert_exact(mirror.sb, kind)

    def test_new_and_edited_notes_follow_as_comments(self, mirror: Mirror) -> None:
        """A new note is added as a comment, an edited one updates its comment; nothing else."""
        issue = mirror.gitlab_issue(1)
        mirror.sb.gitlab.add_note(issue["id"], "Also fails on Safari")
        [first, *_] = [n for n in mirror.sb.gitlab.issue_notes(issue["id"]) if not n["system"]]
        mirror.sb.gitlab.update_note(first["id"], body="Edited: the steps are below")
        mirror.quiet()
        log = mirror.sb.log
        assert log.count("target_write", route="comments", method="POST") == 1
        assert log.count("target_write", route="comment", method="PATCH") == 1
        assert log.count("target_write") == 2
        assert log.count("source_read", route="notes") == 1  # only the changed issue's
        assert_exact(mirror.sb, "comment")

    def test_comments_of_an_issue_whose_notes_were_all_deleted_follow_on_deleted(
            self, tmp_path: Path) -> None:
        """Its note count fell to 0: nothing to read, and its comments are deleted (delete)."""
        with Sandbox() as sb:
            mirror = Mirror(sb, tmp_path, policy="mirror:\n  comments: {on_deleted: delete}\n")
            issue = next(dict(i) for i in sb.gitlab.issues
                         if any(not n["system"] for n in sb.gitlab.issue_notes(i["id"])))
            number = mirror.issue(issue["iid"])["slug"]
            assert sb.sourcecraft.comment_list(str(number))
            for note in sb.gitlab.issue_notes(issue["id"]):
                sb.gitlab.remove_note(note["id"])
            mirror.quiet()
            assert sb.log.count("source_read", route="notes") == 0  # a count of 0 is enough
            assert sb.sourcecraft.comment_list(str(number)) == []
            assert sb.log.count("target_write", route="comment", method="DELETE") > 0
            assert_exact(sb, "comment")

    def test_a_deleted_issue_follows_on_deleted(self, tmp_path: Path) -> None:
        """GitLab deleted it: with on_deleted: close its SourceCraft issue is closed, not gone."""
        with Sandbox() as sb:
            mirror = Mirror(sb, tmp_path, policy="mirror:\n  on_deleted: close\n")
            gone = next(dict(i) for i in sb.gitlab.issues if i["state"] == "opened")
            assert mirror.issue(gone["iid"])["status"]["slug"] == "open"
            sb.gitlab.remove_issue(gone["id"])
            mirror.quiet()
            assert mirror.issue(gone["iid"])["status"]["slug"] == "closed"
            assert sb.log.count("target_write", route="issue", method="PATCH") == 1

    def test_each_kind_may_have_its_own_deletion_policy(self, tmp_path: Path) -> None:
        """`mirror: {on_deleted: keep, issues: {on_deleted: close}}`: a deleted milestone is
        kept, a deleted issue closed, in the same run."""
        with Sandbox() as sb:
            policy = "mirror:\n  on_deleted: keep\n  issues: {on_deleted: close}\n"
            mirror = Mirror(sb, tmp_path, policy=policy)
            gone = next(dict(i) for i in sb.gitlab.issues
                        if i["state"] == "opened" and i["milestone"] is None)
            milestone = next(m for m in sb.gitlab.listed() if m["state"] != "closed")
            sb.gitlab.remove_issue(gone["id"])
            sb.gitlab.remove_milestone(milestone["id"])
            mirror.quiet()
            assert mirror.issue(gone["iid"])["status"]["slug"] == "closed"
            slugs = {m["slug"]: m for m in sb.sourcecraft.milestones()}
            report = json.loads(mirror.report.read_text(encoding="utf-8"))
            kept = [it for it in report["items"]
                    if it["kind"] == "milestone" and "on_deleted: keep" in (it["reason"] or "")]
            assert len(kept) == 1
            assert slugs[kept[0]["target_slug"]]["status"] == "open"

    @pytest.mark.parametrize(("policy", "kept"), [
        ("source-wins", False), ("keep-target", True)], ids=["source-wins", "keep-target"])
    def test_a_hand_edit_on_sourcecraft_follows_on_target_edited(
            self, tmp_path: Path, policy: str, kept: bool) -> None:
        """Edited by hand, then changed in GitLab: overwritten, or kept, as the policy says."""
        with Sandbox() as sb:
            mirror = Mirror(sb, tmp_path, policy=f"mirror:\n  on_target_edited: {policy}\n")
            sb.sourcecraft.edit_issue(mirror.issue(9)["slug"], title="Edited by hand")
            sb.gitlab.update_issue(mirror.gitlab_issue(9)["id"], title="Translate the sync")
            mirror.quiet()
            want = "Edited by hand" if kept else "Translate the sync"
            assert mirror.issue(9)["title"] == want
            report = json.loads(mirror.report.read_text(encoding="utf-8"))
            [item] = [it for it in report["items"] if it["reference"].endswith("#9")]
            assert item["reason"].startswith("edited on SourceCraft; kept (keep-target)" if kept
                                             else "edited on SourceCraft; overwritten "
                                                  "(source-wins)")


@pytest.mark.slow
class TestIssuesTurnedOnLater:
    def test_a_milestone_mirror_job_that_turns_issues_on_moves_every_issue(
            self, tmp_path: Path) -> None:
        """The bookmark a milestones-only mirror saved says nothing of issues: the first run
        with issues plans every one of them; the one after is quiet again."""
        with Sandbox() as sb:
            env = support.token_env(sb)
            config = support.write_config(tmp_path, sb)
            for command in ("migrate", "mirror"):
                assert support.cli([command, "-c", str(config)], env).returncode == 0
            config = support.write_config(tmp_path, sb, extra="transfer:\n  issues: true\n")
            turned_on = support.cli(["mirror", "-c", str(config)], env)
            assert turned_on.returncode == 0, turned_on.stderr
            assert_exact(sb, "issue")
            sb.log.clear()
            quiet = support.cli(["mirror", "-c", str(config)], env)
            assert quiet.returncode == 0, quiet.stderr
            assert sb.log.count("target_write") == 0
            assert sb.log.count("source_read", route="issues") == 2
