"""Target listings that need nothing GitLab says are read while GitLab is read (issue 17).

Labels, milestones and a migrate's issues are listed on SourceCraft on threads of their
own as soon as the run starts reading GitLab, so no listing is left between the last
GitLab page and the first plan. Proven without timing: GitLab's issue listing does not
begin until all three SourceCraft listings have been asked for (or ten seconds pass, as
they would if the listings waited for the end of the GitLab read).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import reliability_support as support

from bridge.config import load_config
from bridge.pipeline import RunOptions, run
from bridge.sandbox import Sandbox
from bridge.sources.gitlab import GitLabReader
from bridge.targets.sourcecraft import SourceCraftClient
from bridge.targets.tracker import TrackerClient

LISTINGS = ((TrackerClient, "label_pages"), (SourceCraftClient, "milestone_pages"),
            (TrackerClient, "issue_pages"))


def _noting(asked: threading.Event, original: Callable[..., Iterator[Any]]
            ) -> Callable[..., Iterator[Any]]:
    def listing(self: Any, *args: Any, **kwargs: Any) -> Iterator[Any]:
        asked.set()
        return original(self, *args, **kwargs)
    return listing


@pytest.mark.parametrize("dry_run", [True, False])
def test_listings_are_read_while_gitlab_is_read(monkeypatch: pytest.MonkeyPatch,
                                                tmp_path: Path, dry_run: bool) -> None:
    """Every SourceCraft listing is asked for before GitLab's first issue page."""
    events = {f"{cls.__name__}.{name}": threading.Event() for cls, name in LISTINGS}
    for cls, name in LISTINGS:
        monkeypatch.setattr(cls, name, _noting(events[f"{cls.__name__}.{name}"],
                                               getattr(cls, name)))
    waited: list[dict[str, bool]] = []
    gitlab_issue_pages = GitLabReader.issue_pages

    def issue_pages(self: GitLabReader, *args: Any, **kwargs: Any) -> Iterator[Any]:
        waited.append({name: event.wait(timeout=10) for name, event in events.items()})
        return gitlab_issue_pages(self, *args, **kwargs)

    monkeypatch.setattr(GitLabReader, "issue_pages", issue_pages)
    with Sandbox(dataset="demo") as sb:
        config = load_config(support.write_config(
            tmp_path, sb, extra="transfer: {labels: true, issues: true}\n"),
            env=support.token_env(sb))
        result = run(config, RunOptions(dry_run=dry_run, progress=False))
        created = {kind: sum(1 for item in result.report.items
                             if item.kind == kind and item.action == "create")
                   for kind in ("label", "milestone", "issue")}
    assert waited == [dict.fromkeys(events, True)]
    assert result.report.exit_code == 0
    assert all(created.values()), created  # the listings read ahead were the ones planned on


def test_a_failed_run_stops_reading_its_listings_ahead(monkeypatch: pytest.MonkeyPatch,
                                                      tmp_path: Path) -> None:
    """GitLab fails while SourceCraft's issue listing (30 pages here) is being read ahead:
    the run ends after the page in flight, not after the whole listing."""
    from bridge.errors import FatalApiError

    with Sandbox(dataset="demo") as sb:
        extra = "transfer: {labels: true, issues: true}\n"
        config = load_config(support.write_config(tmp_path, sb, extra=extra),
                             env=support.token_env(sb))
        assert run(config, RunOptions(progress=False)).report.exit_code == 0  # 150 issues
        small = tmp_path / "small"
        small.mkdir()
        path = support.write_config(small, sb, extra=extra)
        path.write_text(path.read_text("utf-8").replace(
            f"  repo: {sb.repo}\n", f"  repo: {sb.repo}\n  page_size: 5\n"), "utf-8")
        config = load_config(path, env=support.token_env(sb))
        sb.faults.add("sourcecraft", "latency", route="issues", ms=40)
        second_page = threading.Event()
        sb.log.subscribe(lambda r: second_page.set() if r.route == "issues"
                         and r.server == "sourcecraft" and r.query.get("page_token") else None)

        def refused(self: GitLabReader, *args: Any, **kwargs: Any) -> Iterator[Any]:
            assert second_page.wait(timeout=10)
            raise FatalApiError("GET /projects/42/issues: 403", status=403)

        monkeypatch.setattr(GitLabReader, "issue_pages", refused)
        sb.log.clear()
        with pytest.raises(FatalApiError, match="403"):
            run(config, RunOptions(progress=False))
        pages = sb.log.count("target_read", route="issues")
    assert 2 <= pages <= 4  # 30 were there to read
