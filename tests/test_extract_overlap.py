"""GitLab's first issue page is asked for while the milestones are read (issue 17)."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from bridge.engine.extract import extract
from bridge.errors import FatalApiError
from bridge.models import SourceMilestone
from bridge.sources.gitlab import IssueRef, Project

PROJECT = Project(7, "group/project", "https://gitlab.example.com/group/project")
V1 = SourceMilestone(id=1, iid=1, project_id=7, title="v1", state="active",
                     project_path="group/project")


class _Reader:
    """The milestone listing answers only once the first issue page has been asked for."""

    def __init__(self, issue_error: Exception | None = None) -> None:
        self.issues_asked = threading.Event()
        self.overlapped: bool | None = None
        self.issue_error = issue_error

    def project(self) -> Project:
        return PROJECT

    def milestone_pages(self) -> Iterator[list[SourceMilestone]]:
        self.overlapped = self.issues_asked.wait(timeout=10)
        yield [V1]

    def issue_pages(self) -> Iterator[list[IssueRef]]:
        self.issues_asked.set()
        if self.issue_error is not None:
            raise self.issue_error
        yield [IssueRef(id=10, iid=1, state="opened", milestone=V1, updated_at=None)]
        yield [IssueRef(id=11, iid=2, state="closed", milestone=V1, updated_at=None)]


def test_the_first_issue_page_is_asked_with_the_milestones() -> None:
    """Issue page 1 is in flight before the milestone listing answers; the counts are exact."""
    reader = _Reader()
    got = extract(reader)  # type: ignore[arg-type]
    assert reader.overlapped is True
    assert [(m.id, m.issues_open, m.issues_closed) for m in got.milestones] == [(1, 1, 1)]
    assert (got.pages, got.issues) == (3, 2)


def test_an_error_on_the_first_issue_page_is_raised_where_it_is_read() -> None:
    """GitLab refusing the issue list fails the extract, as it did when asked in turn."""
    reader = _Reader(FatalApiError("GET /projects/7/issues: 403", status=403))
    with pytest.raises(FatalApiError, match="403"):
        extract(reader)  # type: ignore[arg-type]
    assert reader.overlapped is True
