"""The extract stage: every milestone of the project with its issue counts, read streaming."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace

from bridge.background import in_background
from bridge.engine.spill import Spill
from bridge.models import SourceMilestone
from bridge.sources.gitlab import GitLabReader, IssueRef, Project

#: Issue states that count as open; v3 reports `reopened` until GitLab 9.5.
OPEN_STATES = frozenset({"opened", "reopened"})


@dataclass(frozen=True)
class Extracted:
    """What GitLab holds: the project, its milestones (by id) with counts, and what reading cost."""

    project: Project
    milestones: tuple[SourceMilestone, ...]
    pages: int
    issues: int
    # False if any milestone page was lost; the planner then deletes and closes nothing. A
    # failed page raises today, so only a reader that tolerates losses would ever set it.
    census_complete: bool = True
    #: How the issues were read: "full" (every one), or "incremental" (a mirror run read only
    #: those updated since its bookmark).
    issue_scan: str = "full"


def extract(reader: GitLabReader, *, on_page: Callable[[str, int], None] | None = None,
            keep: Spill[IssueRef] | list[IssueRef] | None = None) -> Extracted:
    """Read every milestone, then stream every issue to count them per milestone (the first
    issue page is asked for with the first milestone page).

    Only the counts are kept per issue, so memory does not grow with the number of
    issues. Milestones that only issues carry (missing from the milestone list) are
    kept too, marked `from_issues_only`. `on_page(kind, items)` is called after each
    page, with kind "milestones" or "issues"; it may raise to stop the read. `keep`, when
    given, receives every issue too (for a run that moves issues: one read, not two).
    """
    reader.project()
    issue_pages = _asked_now(reader.issue_pages())
    listed: dict[int, SourceMilestone] = {}
    pages = 0
    for milestone_page in reader.milestone_pages():
        pages += 1
        for milestone in milestone_page:
            listed.setdefault(milestone.id, milestone)
        if on_page is not None:
            on_page("milestones", len(milestone_page))

    carried: dict[int, SourceMilestone] = {}
    open_counts: dict[int, int] = {}
    closed_counts: dict[int, int] = {}
    issues = 0
    for issue_page in issue_pages:
        pages += 1
        if keep is not None:
            keep.extend(issue_page)
        for issue in issue_page:
            issues += 1
            on = issue.milestone
            if on is None:
                continue
            if on.id not in listed and on.id not in carried:
                carried[on.id] = replace(on, from_issues_only=True)
            counts = open_counts if issue.state in OPEN_STATES else closed_counts
            counts[on.id] = counts.get(on.id, 0) + 1
        if on_page is not None:
            on_page("issues", len(issue_page))

    everything = {**carried, **listed}
    milestones = tuple(
        replace(everything[key], issues_open=open_counts.get(key, 0),
                issues_closed=closed_counts.get(key, 0))
        for key in sorted(everything))
    return Extracted(project=reader.project(), milestones=milestones, pages=pages, issues=issues)


def _asked_now(pages: Iterator[list[IssueRef]]) -> Iterator[list[IssueRef]]:
    """`pages`, its first page already asked for on a thread of its own while the milestones
    are read: one round trip fewer before the issues (the transport still keeps at most
    `http.concurrency` requests in flight). Its error, if any, is raised where it is read."""
    first = in_background(next, pages, None, name="scbridge-first")

    def in_order() -> Iterator[list[IssueRef]]:
        page = first.result()
        if page is None:
            return
        yield page
        yield from pages

    return in_order()
