"""A saved plan lists every write `apply` sends, body for body, and apply sends nothing else.

Through the real CLI against the sandbox. In the demo data issue 1003's text names
issue 1002 and issue 1042's names 1003, all created by the same plan; comment 3007
names issue 1002 too.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import reliability_support as support
from plans_support import TRANSFER, Bench, open_bench, rewrite

from bridge.plans.document import checksum

COMPLETES = "complete references"
NUMBER = re.compile(r"\$plan:issue-number:(\d+)")


@pytest.fixture
def bench(tmp_path: Path) -> Iterator[Bench]:
    with open_bench(tmp_path) as made:
        yield made


def _entry(doc: dict[str, Any], kind: str, source_id: int) -> dict[str, Any]:
    return next(e for e in doc["actions"] if e["kind"] == kind and e["source_id"] == source_id)


def _completions(doc: dict[str, Any]) -> dict[int, str]:
    """GitLab issue id -> the text its listed reference-completing PATCH sends."""
    return {e["source_id"]: w["body"]["description"] for e in doc["actions"]
            for w in e["writes"] if w.get("purpose") == COMPLETES}


def _issue_on_target(bench: Bench, source_id: int) -> dict[str, Any]:
    """The SourceCraft issue whose header names GitLab issue `source_id`."""
    issue = next(i for i in bench.sb.gitlab.issues if i["id"] == source_id)
    return next(t for t in bench.sb.sourcecraft.issue_list()
                if f"/issues/{issue['iid']})" in t["description"].split("\n", 1)[0])


def _with_comments(bench: Bench) -> None:
    bench.config = support.write_config(bench.folder, bench.sb,
                                        extra=TRANSFER + "  comments: true\n")


def _resolved(text: str, numbers: dict[int, str]) -> str:
    return NUMBER.sub(lambda m: numbers[int(m.group(1))], text)


class TestCompletionsAreListed:
    def test_each_issue_naming_an_issue_the_plan_creates_has_its_patch_listed(
            self, bench: Bench) -> None:
        """The PATCH after the create is a write of the plan, its numbers placeholders; apply
        sends exactly those PATCHes, each with the listed text, numbers filled in."""
        doc = bench.make_plan()
        assert doc["version"] == 2
        listed = _completions(doc)
        assert sorted(listed) == [1003, 1042]
        assert set(NUMBER.findall(listed[1003])) == {"1002"}
        assert set(NUMBER.findall(listed[1042])) == {"1003"}
        entry = _entry(doc, "issue", 1003)
        assert [w["method"] for w in entry["writes"]] == ["POST", "PATCH"]
        assert "$plan:" not in entry["writes"][0]["body"]["description"]  # a GitLab link
        bench.sb.log.clear()
        result = bench.apply()
        assert result.returncode == 0, result.stderr
        patches = [r.body for r in bench.sb.log.entries
                   if r.kind == "target_write" and r.method == "PATCH" and r.route == "issue"]
        numbers = {sid: str(_issue_on_target(bench, sid)["slug"]) for sid in (1002, 1003)}
        assert sorted(p["description"] for p in patches) == sorted(
            _resolved(text, numbers) for text in listed.values())
        bench.assert_exact()

    def test_a_plan_made_in_batches_is_the_same_plan(self, bench: Bench) -> None:
        """Planned two issues at a time (1003 and the 1002 it names in different batches),
        the plan lists the same writes, completions included; applied, it is exact."""
        _with_comments(bench)
        whole = bench.make_plan()
        bench.env["SCBRIDGE_BATCH"] = "2"
        batched = bench.make_plan()
        assert _completions(batched) == _completions(whole)
        assert sorted(_completions(batched)) == [1003, 1042]

        def writes(doc: dict[str, Any]) -> dict[tuple[str, int], Any]:
            return {(e["kind"], e["source_id"]): e["writes"] for e in doc["actions"]}

        assert writes(batched) == writes(whole)
        result = bench.apply()
        assert result.returncode == 0, result.stderr
        bench.assert_exact()

    def test_a_comment_naming_an_issue_the_plan_creates_holds_its_placeholder(
            self, bench: Bench) -> None:
        """Its body is sent with that issue's number; the saved body says which issue."""
        _with_comments(bench)
        doc = bench.make_plan()
        body = _entry(doc, "comment", 3007)["writes"][0]["body"]["body"]
        assert NUMBER.findall(body) == ["1002", "1002"]
        result = bench.apply()
        assert result.returncode == 0, result.stderr
        number = str(_issue_on_target(bench, 1002)["slug"])
        sent = [r.body["body"] for r in bench.sb.log.entries
                if r.kind == "target_write" and r.method == "POST" and r.route == "comments"
                and "$plan" not in r.body["body"] and "note_" in r.body["body"]
                and r.body["body"].split("\n", 1)[0] == body.split("\n", 1)[0]]
        assert sent == [_resolved(body, {1002: number})]
        bench.assert_exact()


class TestMirrorPlans:
    def test_an_update_naming_a_new_issue_lists_and_sends_its_completion(
            self, bench: Bench) -> None:
        """After a migrate: a new GitLab issue, and an old one edited to name it. The mirror
        plan updates the old one (a GitLab link), creates the new one, then completes the
        old one's text: three writes, all listed, all sent as listed."""
        assert bench.cli("migrate", "-c", str(bench.config)).returncode == 0
        new = bench.sb.gitlab.add_issue(title="Added after the migration")
        old = next(i for i in bench.sb.gitlab.issues if i["id"] == 1001)
        bench.sb.gitlab.update_issue(old["id"], description=f"Now see #{new['iid']}.")
        doc = bench.make_plan("mirror")
        entry = _entry(doc, "issue", 1001)
        assert entry["action"] == "update"
        assert [w.get("purpose") for w in entry["writes"]] == [None, COMPLETES]
        assert NUMBER.findall(entry["writes"][1]["body"]["description"]) == [str(new["id"])] * 2
        assert [e["action"] for e in doc["actions"] if e["writes"]] == ["update", "create"]
        bench.sb.log.clear()
        result = bench.apply()
        assert result.returncode == 0, result.stderr
        number = str(_issue_on_target(bench, new["id"])["slug"])
        assert [(r.method, r.route) for r in bench.sb.log.entries
                if r.kind == "target_write"] in (
            [("PATCH", "issue"), ("POST", "issues"), ("PATCH", "issue")],
            [("POST", "issues"), ("PATCH", "issue"), ("PATCH", "issue")])
        assert _issue_on_target(bench, 1001)["description"] == _resolved(
            entry["writes"][1]["body"]["description"], {new["id"]: number})
        bench.assert_exact()


class TestWritesTheLoadWouldChange:
    def test_a_completion_naming_an_issue_that_failed_is_not_sent_and_said(
            self, bench: Bench) -> None:
        """Issue 1002's create is refused: 1003's listed PATCH cannot be sent as approved, so
        it is not sent (nor comment 3007, which names 1002); 1042's is. Apply again: exact."""
        _with_comments(bench)
        bench.config.write_text(bench.config.read_text(encoding="utf-8").replace(
            "http:\n", "http:\n  concurrency: 1\n"), encoding="utf-8")
        doc = bench.make_plan()
        listed = _completions(doc)
        # One worker: issues are created in plan order, so the 2nd issue POST is 1002's.
        bench.sb.faults.add("sourcecraft", "status", status=422, method="POST", route="issues",
                            every=2, times=1)
        bench.sb.log.clear()
        result = bench.apply("--report", str(bench.folder / "apply.json"))
        assert result.returncode == 1, result.stderr
        items = {(i["kind"], i["source_id"]): i
                 for i in json.loads((bench.folder / "apply.json").read_text())["items"]}
        assert items["issue", 1002]["error"]
        assert "references not completed" in items["issue", 1003]["reason"]
        assert "issue 1002" in items["issue", 1003]["reason"]
        assert "not sent" in items["comment", 3007]["error"]
        assert "issue 1002" in items["comment", 3007]["error"]
        assert "in order" in items["comment", 3012]["error"]  # a later comment of issue #3
        patched = [r.body["description"] for r in bench.sb.log.entries
                   if r.kind == "target_write" and r.method == "PATCH" and r.route == "issue"]
        number = str(_issue_on_target(bench, 1003)["slug"])
        assert patched == [_resolved(listed[1042], {1003: number})]
        assert all("$plan:" not in json.dumps(r.body) for r in bench.sb.log.entries
                   if r.kind == "target_write")
        assert "/issues/2)" in _issue_on_target(bench, 1003)["description"].split("\n\n", 1)[1]
        bench.sb.faults.clear()
        again = bench.apply()
        assert again.returncode == 0, again.stderr
        bench.assert_exact()


class TestEditedBodies:
    def test_a_body_edited_and_resealed_is_refused_with_exit_2_before_any_write(
            self, bench: Bench) -> None:
        """A checksum made again over an edited body still cannot pass: the body is not what
        the same objects give, and nothing is written."""
        doc = bench.make_plan()
        entry = _entry(doc, "issue", 1001)
        entry["writes"][0]["body"]["title"] = "approved by nobody"
        rewrite(bench.plan, doc, reseal=True)
        bench.sb.log.clear()
        result = bench.apply()
        assert result.returncode == 2, result.stderr
        assert result.stderr.count("\n") == 1
        assert "issue 1001" in result.stderr
        assert "writes differ" in result.stderr
        assert bench.writes() == []

    def test_an_edited_completion_is_refused_too(self, bench: Bench) -> None:
        doc = bench.make_plan()
        write = _entry(doc, "issue", 1042)["writes"][-1]
        write["body"]["description"] += "\n\nand one more line"
        rewrite(bench.plan, doc, reseal=True)
        bench.sb.log.clear()
        result = bench.apply()
        assert result.returncode == 2, result.stderr
        assert "issue 1042" in result.stderr
        assert bench.writes() == []

    def test_a_format_1_plan_is_refused_with_exit_2_naming_the_format(
            self, bench: Bench) -> None:
        """Format 1 did not list the completions: such a plan is made again, not applied."""
        doc = bench.make_plan()
        doc["version"] = 1
        doc["checksum"] = checksum(doc)
        bench.plan.write_text(json.dumps(doc), encoding="utf-8")
        bench.sb.log.clear()
        result = bench.apply()
        assert result.returncode == 2
        assert result.stderr.count("\n") == 1
        assert "older scbridge" in result.stderr
        assert "plan format 1" in result.stderr
        assert "--plan-out" in result.stderr
        assert bench.sb.log.entries == []
