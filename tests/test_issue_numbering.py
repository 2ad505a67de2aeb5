"""`issues: {numbering: preserve}`: GitLab #N is SourceCraft #N, gaps filled, drift stops."""

from __future__ import annotations

import json
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import reliability_support as support

from bridge.sandbox import RequestRecord, Sandbox

EXTRA = "transfer:\n  issues: true\nissues:\n  numbering: preserve\n"


@pytest.fixture
def sb() -> Iterator[Sandbox]:
    with Sandbox() as sandbox:
        yield sandbox


def _run(sb: Sandbox, folder: Path, *args: str) -> tuple[Any, dict[str, Any]]:
    config = support.write_config(folder, sb, extra=EXTRA)
    report = folder / "report.json"
    result = support.cli(["migrate", "-c", str(config), "--no-progress", "-q", "--report",
                          str(report), *args], support.token_env(sb))
    data = json.loads(report.read_text(encoding="utf-8")) if report.exists() else {}
    return result, data


def _numbers(sb: Sandbox) -> dict[int, str]:
    """GitLab iid (from each header) -> SourceCraft number."""
    out = {}
    for issue in sb.sourcecraft.issue_list():
        first = issue["description"].split("\n")[0]
        out[int(first.split(")")[0].rsplit("/", 1)[1])] = issue["slug"]
    return out


@pytest.mark.slow
class TestPreservedNumbers:
    def test_every_issue_keeps_its_number_and_gaps_get_placeholders(self, sb: Sandbox,
                                                                    tmp_path: Path) -> None:
        """A deleted GitLab issue's number is a closed placeholder that says so."""
        gone = next(i for i in sb.gitlab.issues if i["iid"] == 7)
        sb.gitlab.remove_issue(gone["id"])
        result, _ = _run(sb, tmp_path)
        assert result.returncode == 0, result.stderr
        numbers = _numbers(sb)
        assert numbers == {iid: str(iid) for iid in range(1, len(numbers) + 1)}
        [placeholder] = [i for i in sb.sourcecraft.issue_list() if i["slug"] == "7"]
        assert placeholder["status"]["slug"] == "closed"
        assert "The GitLab issue numbered 7 was deleted" in placeholder["description"]

    def test_a_repository_with_issues_of_its_own_is_refused_before_any_issue_write(
            self, sb: Sandbox, tmp_path: Path) -> None:
        """The dry run already says the option cannot apply; the run writes no issue."""
        sb.sourcecraft.create_issue(title="Someone else's")
        result, report = _run(sb, tmp_path, "--dry-run")
        assert result.returncode == 1
        refused = [it for it in report["items"] if it["kind"] == "issue" and it["error"]]
        assert len(refused) == len(sb.gitlab.issues)
        assert "numbering: preserve needs a repository with no issues" in refused[0]["error"]
        result, _ = _run(sb, tmp_path)
        assert result.returncode == 1
        assert sb.log.count("target_write", route="issues", method="POST") == 0

    def test_a_number_that_drifts_stops_the_run_with_exit_3(self, sb: Sandbox,
                                                             tmp_path: Path) -> None:
        """Someone adds an issue mid-run: the next number is wrong, the run stops at once."""
        posts = [0]

        def intrude(record: RequestRecord) -> None:
            if record.route == "issues" and record.method == "POST":
                posts[0] += 1
                if posts[0] == 5:
                    sb.sourcecraft.create_issue(title="Added by hand during the run")

        unsubscribe = sb.log.subscribe(intrude)
        try:
            result, _ = _run(sb, tmp_path)
        finally:
            unsubscribe()
        assert result.returncode == 3
        [line] = result.stderr.strip().splitlines()
        assert "SourceCraft gave number 7 to GitLab issue #6" in line
        assert sb.log.count("target_write", route="issues", method="POST") == 6

    def test_killed_and_resumed_the_numbers_still_match(self, sb: Sandbox,
                                                        tmp_path: Path) -> None:
        """kill -9 at the 20th issue create, then run again: every number is the iid."""
        config = support.write_config(tmp_path, sb, extra=EXTRA)
        env = support.token_env(sb)
        proc = support.start_cli(["migrate", "-c", str(config), "--no-progress", "-q"], env)
        seen = [0]

        def kill(record: RequestRecord) -> None:
            if record.route == "issues" and record.method == "POST":
                seen[0] += 1
                if seen[0] == 20 and proc.poll() is None:
                    proc.send_signal(signal.SIGKILL)

        unsubscribe = sb.log.subscribe(kill)
        try:
            proc.communicate(timeout=support.RUN_TIMEOUT_S)
        finally:
            unsubscribe()
        assert proc.returncode == -signal.SIGKILL
        sb.wait_idle()
        result, _ = _run(sb, tmp_path)
        assert result.returncode == 0, result.stderr
        numbers = _numbers(sb)
        assert len(numbers) == len(sb.gitlab.issues)
        assert all(number == str(iid) for iid, number in numbers.items())
