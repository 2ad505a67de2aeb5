"""Builders of plans, outcomes and reports shared by the report tests (no tests of its own)."""

from __future__ import annotations

from typing import Any

from bridge.kinds.milestone import MilestoneRows
from bridge.models import (
    Action,
    Change,
    Conflict,
    Create,
    ItemOutcome,
    Planned,
    Skip,
    SourceMilestone,
    TargetMilestone,
    Unchanged,
    WantedMilestone,
)
from bridge.report import ReportItem, RunReport

#: The report columns of milestones, as the milestone kind gives them.
ROWS = MilestoneRows()

PROJECT = "group/project"


def source(iid: int, title: str, *, state: str = "active", open_: int = 3,
           closed: int = 5) -> SourceMilestone:
    """A GitLab milestone of group/project with id 100 + iid."""
    return SourceMilestone(id=100 + iid, iid=iid, project_id=5, title=title, state=state,
                           project_path=PROJECT, issues_open=open_, issues_closed=closed)


def target(slug: str, name: str, **fields: Any) -> TargetMilestone:
    """A SourceCraft milestone as listed."""
    return TargetMilestone(id=f"id-{slug}", name=name, slug=slug, **fields)


def wanted(src: SourceMilestone, slug: str, **fields: Any) -> WantedMilestone:
    """What `src` maps to."""
    return WantedMilestone(source=src, name=src.title, slug=slug, **fields)


def planned(action: Action, iid: int, title: str, slug: str, **kw: Any) -> Planned:
    """A planned action on milestone `iid`; creates carry a wanted milestone with a deadline."""
    src = source(iid, title)
    if action is Action.CREATE:
        want = wanted(src, slug, deadline="2016-07-22T00:00:00Z")
        changes = {k: (None, v) for k, v in want.managed().items() if v not in (None, "")}
        return Create("milestone", want, changes=changes, **kw)
    want, have = wanted(src, slug), target(slug, title)
    if action is Action.SKIP:
        return Skip("milestone", src, kw.pop("reason", "skipped"), **kw)
    if action is Action.CONFLICT:
        return Conflict("milestone", want, have, kw.pop("reason", "conflict"), **kw)
    if action is Action.UNCHANGED:
        return Unchanged("milestone", want, have, **kw)
    return Change("milestone", action, want, have, kw.pop("changes", {}), **kw)


def item(action: Action, iid: int, title: str, slug: str, *, error: str | None = None,
         **kw: Any) -> ReportItem:
    """The report item of one planned action; `error` makes its load fail."""
    plan = planned(action, iid, title, slug, **kw)
    outcome = None if error is None else ItemOutcome(plan, ok=False, error=error)
    return ReportItem.from_planned(plan, outcome, project_path=PROJECT, kind=ROWS)


def report(items: list[ReportItem] | tuple[ReportItem, ...], *, dry_run: bool = False,
           requests: tuple[int, int, int] = (7, 3, 4), exit_code: int = 0) -> RunReport:
    """A migrate report of `items`."""
    return RunReport(
        command="migrate", dry_run=dry_run,
        source={"url": "https://gitlab.example.com", "project": PROJECT},
        target={"url": "https://api.sourcecraft.tech", "org": "my-org", "repo": "my-repo"},
        items=tuple(items),
        requests=dict(zip(("source", "target_read", "target_write"), requests, strict=True)),
        started_at="2025-03-01T10:00:00Z", finished_at="2025-03-01T10:00:02Z", duration_s=2.5,
        exit_code=exit_code)


def spec_report(*, dry_run: bool = False) -> RunReport:
    """SPEC §6's example run: 3 created, 1 closed, 5 unchanged, 1 skipped, 14 requests."""
    items = [item(Action.CREATE, i, f"v{i}.0", f"v{i}-0") for i in (1, 2, 3)]
    items.append(item(Action.CLOSE, 4, "v0.9", "v0-9", changes={"status": ("open", "closed")}))
    items += [item(Action.UNCHANGED, i, f"old {i}", f"old-{i}") for i in range(5, 10)]
    items.append(item(Action.SKIP, 10, "draft", "draft", reason="excluded: title matches ^draft"))
    return report(items, dry_run=dry_run)


def mixed_report() -> RunReport:
    """Every kind of line: hostile and long titles, a conflict, a failure, updates."""
    return report([
        item(Action.CREATE, 1, "v4.0", "v4-0"),
        item(Action.UPDATE, 2, "Release | 2016\nsummer <script>alert(1)</script>", "release-2016",
             changes={"description": ("", "new\ntext"),
                      "deadline": (None, "2016-08-01T00:00:00Z")}),
        item(Action.CONFLICT, 3, "Big `one` *bold* [link](http://x)", "big-one",
             reason='slug big-one is taken by "Big" (id 7), not created by scbridge'),
        item(Action.CREATE, 4, "x" * 100_000, "x-long",
             error="422 Unprocessable Entity: name too long"),
        item(Action.REOPEN, 5, "Релиз 1.0 — 日本語のタイトル", "reliz-1-0",
             changes={"status": ("closed", "open")}),
    ], exit_code=1)
