"""Saved plans through the real CLI: `--dry-run --plan-out`, then `scbridge apply` (SPEC §13)."""

from __future__ import annotations

import json
import re
import signal
import subprocess
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import reliability_support as support
from contract_support import actual
from plans_support import KINDS, SCHEMA, TRANSFER, Bench, open_bench, rewrite

from bridge.sandbox import RequestRecord, Sandbox


@pytest.fixture
def bench(tmp_path: Path) -> Iterator[Bench]:
    with open_bench(tmp_path) as made:
        yield made


@pytest.mark.slow
def _numberless(items: Any) -> list[str]:
    """The objects as text, SourceCraft issue numbers blanked: issues are created in parallel,
    so which number each gets (and so what a `#12` link names) differs between two runs;
    that every link names the right one is `assert_exact`'s to check."""
    return [re.sub(r"\[#\d+\]\(([^)]*)/issues/\d+\)", r"[#N](\1/issues/N)", repr(item))
            for item in items]


class TestSavedPlans:
    def test_the_plan_holds_every_action_and_body_and_validates(self, bench: Bench) -> None:
        """Every object planned with its exact POST; ids of objects the plan creates are
        placeholders; the file matches docs/plan.schema.json; no write was made."""
        doc = bench.make_plan()
        assert bench.sb.log.count("target_write") == 0
        jsonschema.validate(doc, json.loads(SCHEMA.read_text(encoding="utf-8")))
        counts = Counter(entry["kind"] for entry in doc["actions"])
        assert counts == {"label": len(bench.sb.gitlab.labels()), "milestone": 13,
                          "issue": len(bench.sb.gitlab.issues)}
        issue = next(e for e in doc["actions"] if e["kind"] == "issue"
                     and "milestone_id" in e["writes"][0]["body"])
        assert issue["writes"][0]["method"] == "POST"
        assert issue["writes"][0]["body"]["milestone_id"].startswith("$plan:milestone:")
        assert issue["source_fingerprint"]
        assert issue["target_fingerprint"] is None

    def test_a_plan_never_contains_a_token(self, bench: Bench) -> None:
        bench.make_plan()
        text = bench.plan.read_text(encoding="utf-8")
        assert bench.sb.gitlab_token not in text
        assert bench.sb.sourcecraft_token not in text

    def test_apply_of_a_fresh_plan_equals_migrate_and_again_writes_nothing(
            self, bench: Bench, tmp_path: Path) -> None:
        """Same target and the same writes as `migrate` on a twin sandbox; then zero writes."""
        with Sandbox() as twin:
            (tmp_path / "twin").mkdir()
            config = support.write_config(tmp_path / "twin", twin, extra=TRANSFER)
            migrated = support.cli(["migrate", "-c", str(config), "--no-progress", "-q"],
                                   support.token_env(twin))
            assert migrated.returncode == 0, migrated.stderr
            twin_writes = Counter((r.method, r.route) for r in twin.log.entries
                                  if r.kind == "target_write")
            twin_urls = (twin.gitlab_url, twin.sourcecraft_url)
            twin_target = {kind: sorted(_numberless(actual(twin, kind))) for kind in KINDS}
        bench.make_plan()
        bench.sb.log.clear()
        result = bench.apply()
        assert result.returncode == 0, result.stderr
        assert Counter(bench.writes()) == twin_writes
        assert {kind: sorted(_numberless(actual(bench.sb, kind))) for kind in KINDS} == {
            kind: sorted(text.replace(twin_urls[0], bench.sb.gitlab_url)
                         .replace(twin_urls[1], bench.sb.sourcecraft_url) for text in texts)
            for kind, texts in twin_target.items()}
        bench.assert_exact()
        bench.sb.log.clear()
        again = bench.apply()
        assert again.returncode == 0, again.stderr
        assert bench.writes() == []

    def test_a_gitlab_change_after_planning_is_refused_with_exit_5_and_no_write(
            self, bench: Bench) -> None:
        bench.make_plan()
        issue = next(iter(bench.sb.gitlab.issues))
        bench.sb.gitlab.update_issue(issue["id"], title="changed after the plan")
        bench.sb.log.clear()
        result = bench.apply()
        assert result.returncode == 5
        assert bench.writes() == []
        assert f"issue {issue['id']}" in result.stderr
        assert "changed on GitLab" in result.stderr
        assert result.stderr.count("\n") == 1

    def test_a_sourcecraft_change_after_planning_is_refused_with_exit_5_and_no_write(
            self, bench: Bench) -> None:
        """A mirror plan, then a hand edit of a milestone it would update: refused."""
        assert bench.cli("migrate", "-c", str(bench.config)).returncode == 0
        milestone = bench.sb.gitlab.listed()[0]
        bench.sb.gitlab.update_milestone(milestone["id"], description="new in GitLab")
        doc = bench.make_plan("mirror")
        assert [e["action"] for e in doc["actions"] if e["writes"]] == ["update"]
        slug = next(e["key"] for e in doc["actions"] if e["writes"])
        bench.sb.sourcecraft.edit_milestone(slug, description="edited by hand")
        bench.sb.log.clear()
        result = bench.apply()
        assert result.returncode == 5
        assert bench.writes() == []
        assert f"milestone {milestone['id']} ({slug}): changed on SourceCraft" in result.stderr

    def test_a_new_gitlab_object_after_planning_is_refused(self, bench: Bench) -> None:
        bench.make_plan()
        bench.sb.gitlab.add_label("new-after-the-plan")
        bench.sb.log.clear()
        result = bench.apply()
        assert result.returncode == 5
        assert "new since the plan" in result.stderr
        assert bench.writes() == []

    def test_kill_9_during_apply_then_apply_again_is_exact(self, bench: Bench) -> None:
        bench.make_plan()
        killed = 0
        for nth in (3, 17, 40):
            proc = support.start_cli(["apply", str(bench.plan), "--no-progress", "-q"],
                                     bench.env)
            seen = [0]

            def kill(record: RequestRecord, proc: subprocess.Popen[str] = proc,
                     nth: int = nth, seen: list[int] = seen) -> None:
                if record.kind == "target_write" and record.method == "POST":
                    seen[0] += 1
                    if seen[0] == nth and proc.poll() is None:
                        proc.send_signal(signal.SIGKILL)

            unsubscribe = bench.sb.log.subscribe(kill)
            try:
                proc.communicate(timeout=support.RUN_TIMEOUT_S)
            finally:
                unsubscribe()
            killed += proc.returncode == -signal.SIGKILL
            bench.sb.wait_idle()
        assert killed >= 2, "the kills did not land during the apply"
        final = bench.apply()
        assert final.returncode == 0, final.stderr
        bench.assert_exact()

    def test_a_mirror_plan_applied_brings_gitlab_edits_in(self, bench: Bench) -> None:
        assert bench.cli("migrate", "-c", str(bench.config)).returncode == 0
        issue = next(iter(bench.sb.gitlab.issues))
        bench.sb.gitlab.update_issue(issue["id"], title="retitled in GitLab")
        doc = bench.make_plan("mirror")
        assert [e["writes"][0]["body"] for e in doc["actions"] if e["writes"]] == [
            {"title": "retitled in GitLab"}]
        bench.sb.log.clear()
        result = bench.apply()
        assert result.returncode == 0, result.stderr
        assert bench.writes() == [("PATCH", "issue")]
        bench.assert_exact()

    def test_a_plan_with_comments_applied_is_exact(self, bench: Bench) -> None:
        """Comments ride on issues the same plan creates; apply, then verify: exact."""
        bench.config = support.write_config(bench.folder, bench.sb,
                                            extra=TRANSFER + "  comments: true\n")
        doc = bench.make_plan()
        assert doc["kinds"] == ["label", "milestone", "issue", "comment"]
        result = bench.apply()
        assert result.returncode == 0, result.stderr
        bench.assert_exact()
        assert bench.cli("verify", "-c", str(bench.config)).returncode == 0
        bench.sb.log.clear()
        assert bench.apply().returncode == 0
        assert bench.writes() == []


@pytest.mark.slow
class TestRefusedPlans:
    """Exit 2 with one line: damaged, hand-edited, newer, or for another target."""

    def _refused(self, bench: Bench, *args: str) -> str:
        bench.sb.log.clear()
        result = bench.apply(*args)
        assert result.returncode == 2, result.stderr
        assert result.stderr.count("\n") == 1
        assert bench.sb.log.entries == []
        return result.stderr

    def test_damaged(self, bench: Bench) -> None:
        bench.make_plan()
        bench.plan.write_text(bench.plan.read_text(encoding="utf-8")[:-200], encoding="utf-8")
        assert "damaged" in self._refused(bench)

    def test_edited_by_hand(self, bench: Bench) -> None:
        doc = bench.make_plan()
        doc["actions"][0]["writes"][0]["body"]["color"] = "000000"
        rewrite(bench.plan, doc, reseal=False)
        assert "edited by hand" in self._refused(bench)

    def test_made_by_a_newer_scbridge(self, bench: Bench) -> None:
        doc = bench.make_plan()
        doc["version"] = 99
        rewrite(bench.plan, doc, reseal=True)
        assert "newer scbridge" in self._refused(bench)

    def test_for_another_target(self, bench: Bench) -> None:
        bench.make_plan()
        other = support.write_config(bench.folder, bench.sb, name="other.yaml",
                                     extra=TRANSFER.replace("transfer", "# other\ntransfer"))
        other.write_text(other.read_text(encoding="utf-8").replace(
            f"repo: {bench.sb.repo}", "repo: another-repo"), encoding="utf-8")
        assert "another SourceCraft repository" in self._refused(bench, "-c", str(other))

    def test_plan_out_without_dry_run(self, bench: Bench) -> None:
        result = bench.cli("migrate", "-c", str(bench.config), "--plan-out", str(bench.plan))
        assert result.returncode == 2
        assert "--plan-out needs --dry-run" in result.stderr
        assert bench.sb.log.entries == []


class TestReviewThenApplyRecipe:
    def test_the_ci_example_plans_on_merge_requests_and_applies_on_merge(self) -> None:
        """Its scbridge commands parse with the real CLI; plan in the MR job, apply on merge."""
        import shlex

        import yaml

        from bridge.cli import _parser

        path = Path(__file__).parent.parent / "examples" / "ci" / "review-then-apply.gitlab-ci.yml"
        jobs = yaml.safe_load(path.read_text(encoding="utf-8"))
        commands = {name: [shlex.split(line)[1:] for line in job["script"]
                           if line.startswith("scbridge ")]
                    for name, job in jobs.items() if isinstance(job, dict)}
        assert commands["scbridge-plan"][0][:1] == ["migrate"]
        assert {"--dry-run", "--plan-out"} <= set(commands["scbridge-plan"][0])
        assert commands["scbridge-apply"][0][:2] == ["apply", "plan.json"]
        assert "merge_request_event" in str(jobs["scbridge-plan"]["rules"])
        assert "CI_DEFAULT_BRANCH" in str(jobs["scbridge-apply"]["rules"])
        for words in (w for lines in commands.values() for w in lines):
            _parser().parse_args(words)  # exits 2 (SystemExit) on an unknown option
