"""A stopped run sends no reference-completing PATCH; the next run completes the texts."""

from __future__ import annotations

import threading
from pathlib import Path

import reliability_support as support

from bridge.config import load_config
from bridge.pipeline import RunOptions, run
from bridge.sandbox import RequestRecord, Sandbox

STOP_AT = 20  # issue POSTs: by then issues #2 and #3 (#3's text names #2) exist


def test_a_stop_during_the_issue_load_sends_no_completion(tmp_path: Path) -> None:
    """SIGINT's stop event set at the 20th issue POST: in-flight creates finish, then no
    PATCH at all; exit 130; the next run finishes every text, and a third writes nothing."""
    with Sandbox(dataset="demo") as sb:
        config = load_config(support.write_config(
            tmp_path, sb, extra="transfer: {labels: true, issues: true}\n"),
            env=support.token_env(sb))
        stop = threading.Event()
        posts = [0]
        stopped_at: list[int] = []

        def count(record: RequestRecord) -> None:
            if record.route == "issues" and record.method == "POST":
                posts[0] += 1
                if posts[0] == STOP_AT:
                    stopped_at.append(len(sb.log.entries))
                    stop.set()

        unsubscribe = sb.log.subscribe(count)
        try:
            first = run(config, RunOptions(progress=False, stop=stop))
        finally:
            unsubscribe()
        after_stop = sb.log.entries[stopped_at[0]:]
        assert first.report.exit_code == 130
        assert [r for r in sb.log.entries if r.route == "issue" and r.method == "PATCH"] == []
        assert all(r.method == "POST" for r in after_stop if r.kind == "target_write")
        second = run(config, RunOptions(progress=False))
        assert second.report.exit_code == 0
        texts = {i["description"].split("\n")[0]: i["description"]
                 for i in sb.sourcecraft.issue_list()}
        [three] = [text for head, text in texts.items() if "/issues/3)" in head]
        assert f"/{sb.org}/{sb.repo}/issues/" in three  # its reference to #2 completed
        sb.log.clear()
        third = run(config, RunOptions(progress=False))
        assert third.report.exit_code == 0
        assert sb.log.count("target_write") == 0
