"""`scbridge apply` keeps `migrate`'s guarantees: the lock (exit 4), a clean stop (exit 130)
with a resumable checkpoint, a resumed apply sending the approved writes, and no token in
anything it writes. Through the real CLI against the sandbox (SPEC §7, §8, §13)."""

from __future__ import annotations

import json
import signal
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import reliability_support as support
from plans_support import TRANSFER, Bench, open_bench

from bridge.checkpoint import Checkpoint
from bridge.config import load_config
from bridge.pipeline import RunOptions
from bridge.plans import document
from bridge.plans.apply import apply_plan
from bridge.sandbox import RequestRecord


@pytest.fixture
def bench(tmp_path: Path) -> Iterator[Bench]:
    with open_bench(tmp_path) as made:
        yield made


def _checkpoint(bench: Bench) -> Path:
    return bench.folder / "checkpoint.db"  # as support.write_config names it


def _with_comments(bench: Bench, *, concurrency: int | None = None) -> None:
    http = {} if concurrency is None else {"concurrency": concurrency}
    bench.config = support.write_config(bench.folder, bench.sb, http=http,
                                        extra=TRANSFER + "  comments: true\n")


def _run_until(bench: Bench, args: list[str], when: str, signum: int,
               nth: int = 1) -> subprocess.CompletedProcess[str]:
    """Run the CLI; send `signum` at the `nth` SourceCraft write of route `when` ("" any)."""
    proc = support.start_cli(args, bench.env)
    seen = [0]
    sent = threading.Event()

    def on_write(record: RequestRecord) -> None:
        if record.kind == "target_write" and when in ("", record.route) and not sent.is_set():
            seen[0] += 1
            if seen[0] == nth and proc.poll() is None:
                sent.set()
                proc.send_signal(signum)

    unsubscribe = bench.sb.log.subscribe(on_write)
    try:
        out, err = proc.communicate(timeout=support.RUN_TIMEOUT_S)
    finally:
        unsubscribe()
    assert sent.is_set(), "the signal was never sent"
    bench.sb.wait_idle()
    return subprocess.CompletedProcess(args, proc.returncode, out, err)


class TestLockAndStop:
    def test_apply_while_another_run_holds_the_lock_exits_4_and_sends_nothing(
            self, bench: Bench) -> None:
        bench.make_plan()
        bench.sb.log.clear()
        with Checkpoint.open(_checkpoint(bench)):
            result = bench.apply()
        assert result.returncode == 4, result.stderr
        assert result.stderr.count("\n") == 1
        assert "lock" in result.stderr
        assert bench.sb.log.entries == []

    def test_sigint_during_apply_exits_130_and_apply_again_is_exact(self, bench: Bench) -> None:
        """In-flight writes finish and are recorded; the next apply does the rest, no more."""
        _with_comments(bench)
        doc = bench.make_plan()
        planned = sum(len(e["writes"]) for e in doc["actions"])
        bench.sb.faults.add("sourcecraft", "latency", method="POST", ms=100)
        bench.sb.log.clear()
        cut = _run_until(bench, ["apply", str(bench.plan), "--no-progress", "-q"], "issues",
                         signal.SIGINT, nth=3)
        assert cut.returncode == 130, cut.stderr
        first = len(bench.writes())
        assert 0 < first < planned
        with Checkpoint.open(_checkpoint(bench), readonly=True) as checkpoint:
            states = {r.state for kind in ("label", "milestone", "issue")
                      for r in checkpoint.records(kind).values()}
        assert "pending" not in states  # every write that went out has its outcome recorded
        bench.sb.faults.clear()
        bench.sb.log.clear()
        again = bench.apply()
        assert again.returncode == 0, again.stderr
        assert first + len(bench.writes()) == planned  # nothing sent twice, nothing extra
        bench.assert_exact()

    def test_a_stop_event_mid_apply_ends_it_with_130_resumably(self, bench: Bench) -> None:
        """In process: the stop event (what SIGINT and SIGTERM set) ends the load at once."""
        bench.make_plan()
        stop = threading.Event()

        def on_write(record: RequestRecord) -> None:
            if record.kind == "target_write":
                stop.set()

        doc = document.load(bench.plan)
        config = load_config(bench.config, env=bench.env)
        options = RunOptions(checkpoint=_checkpoint(bench), progress=False, stop=stop)
        unsubscribe = bench.sb.log.subscribe(on_write)
        try:
            result = apply_plan(doc, config, options)
        finally:
            unsubscribe()
        assert result.report.exit_code == 130
        assert result.report.summary()["not_attempted"] > 0
        bench.sb.wait_idle()
        again = bench.apply()
        assert again.returncode == 0, again.stderr
        bench.assert_exact()


class TestResumedApply:
    def test_killed_after_the_issue_a_text_names_the_next_apply_sends_the_approved_text(
            self, bench: Bench) -> None:
        """Killed once issue 1002 is created, before 1003 (whose text names 1002): the next
        apply creates 1003 with the text the plan approved (a GitLab link), then sends the
        listed completion, rather than a text the plan never showed."""
        bench.config = support.write_config(bench.folder, bench.sb, http={"concurrency": 1},
                                            extra=TRANSFER)
        doc = bench.make_plan()
        entry = next(e for e in doc["actions"] if e["kind"] == "issue" and e["source_id"] == 1003)
        approved_post, completion = entry["writes"][0]["body"], entry["writes"][1]["body"]
        cut = _run_until(bench, ["apply", str(bench.plan), "--no-progress", "-q"], "issues",
                         signal.SIGKILL, nth=2)
        assert cut.returncode == -signal.SIGKILL
        bench.sb.log.clear()
        again = bench.apply()
        assert again.returncode == 0, again.stderr
        header = approved_post["description"].split("\n", 1)[0]
        sent = [r for r in bench.sb.log.entries if r.kind == "target_write"
                and str((r.body or {}).get("description", "")).startswith(header)]
        assert [r.method for r in sent] == ["POST", "PATCH"]
        assert sent[0].body["description"] == approved_post["description"]
        assert "$plan:" in completion["description"]
        assert sent[1].body["description"] != approved_post["description"]
        assert "$plan:" not in sent[1].body["description"]
        bench.assert_exact()


    def test_killed_among_the_issues_then_among_the_comments_ends_exact(
            self, bench: Bench) -> None:
        """Two kills, then one more apply: every object exact, comments in order, verify 0."""
        _with_comments(bench, concurrency=1)
        bench.make_plan()
        for route, nth in (("", 33), ("comments", 1)):
            cut = _run_until(bench, ["apply", str(bench.plan), "--no-progress", "-q"], route,
                             signal.SIGKILL, nth=nth)
            assert cut.returncode == -signal.SIGKILL
        final = bench.apply()
        assert final.returncode == 0, final.stderr
        bench.assert_exact()
        bench.sb.log.clear()
        assert bench.apply().returncode == 0
        assert bench.writes() == []


class TestNoTokenAnywhere:
    def test_apply_never_shows_or_writes_a_token(self, bench: Bench) -> None:
        """stdout and stderr (verbose), the JSON, Markdown and HTML reports, the plan and the
        checkpoint of an apply with a failure, a stale refusal and a resumed apply."""
        _with_comments(bench, concurrency=1)
        outputs: list[str] = []

        def run(*args: str) -> subprocess.CompletedProcess[str]:
            result = support.cli([*args, "--no-progress", "-vv"], bench.env)
            outputs.extend((result.stdout, result.stderr))
            return result

        assert run("migrate", "-c", str(bench.config), "--dry-run", "--plan-out",
                   str(bench.plan), "--report", str(bench.folder / "plan.html")).returncode == 0
        bench.sb.faults.add("sourcecraft", "status", status=422, method="POST",
                            route="issues", every=2, times=1)
        assert run("apply", str(bench.plan), "--report",
                   str(bench.folder / "apply.json")).returncode == 1
        bench.sb.faults.clear()
        assert run("apply", str(bench.plan), "--report",
                   str(bench.folder / "apply.md")).returncode == 0
        assert run("apply", str(bench.plan), "--report",
                   str(bench.folder / "apply.html")).returncode == 0
        bench.sb.gitlab.add_label("new-after-the-plan")
        assert run("apply", str(bench.plan)).returncode == 5
        files = sorted(p for p in bench.folder.iterdir() if p.is_file())
        names = {p.name for p in files}
        assert {"plan.json", "plan.html", "apply.json", "apply.md", "apply.html",
                "checkpoint.db"} <= names
        assert json.loads((bench.folder / "apply.json").read_text())["exit_code"] == 1
        texts = {**{f"output {i}": text for i, text in enumerate(outputs)},
                 **{p.name: p.read_bytes().decode("utf-8", "replace") for p in files}}
        for token in (bench.sb.gitlab_token, bench.sb.sourcecraft_token):
            assert len(token) >= 8
            assert [name for name, text in texts.items() if token in text] == []
        assert any("apply_not_in_plan" in text for text in outputs)  # the runs said plenty

