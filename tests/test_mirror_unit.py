"""MirrorExtract against recorded GitLab answers: the exact requests, and what is remembered."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
import responses
from responses import matchers

from bridge.checkpoint import Checkpoint
from bridge.config import HttpConfig
from bridge.engine.mirror import BOOKMARK, MirrorExtract
from bridge.net.http import HttpClient
from bridge.sources.gitlab import GitLabReader

GITLAB = "https://gitlab.example.com"
API = f"{GITLAB}/api/v3"
HEADERS = {"Server": "nginx", "Cache-Control": "max-age=0, private, must-revalidate",
           "Vary": "Origin", "X-Content-Type-Options": "nosniff", "X-Frame-Options": "SAMEORIGIN",
           "X-Request-Id": "8d6a3278-0afa-4a00-aae4-6a1830e499c9", "X-Runtime": "0.085910"}
PROJECT = {"id": 13083, "name": "GitLab Community Edition", "path": "gitlab-ce",
           "path_with_namespace": "gitlab-org/gitlab-ce",
           "web_url": "https://gitlab.example.com/gitlab-org/gitlab-ce"}
M_8_2 = {"id": 23878, "iid": 16, "project_id": 13083, "title": "8.2", "description": "",
         "state": "active", "created_at": "2015-09-10T13:14:08.087Z",
         "updated_at": "2015-09-10T13:14:08.087Z", "due_date": None}
ISSUES = "/projects/13083/issues"


def issue(issue_id: int, updated_at: str | None, state: str = "opened") -> dict[str, Any]:
    return {"id": issue_id, "iid": issue_id - 800000, "project_id": 13083,
            "title": f"Release {issue_id}", "description": "", "state": state,
            "created_at": "2015-12-12T17:39:30.119Z", "updated_at": updated_at,
            "labels": [], "milestone": copy.deepcopy(M_8_2), "assignee": None,
            "author": {"name": "Robert Speicher", "username": "rspeicher", "id": 6173,
                       "state": "active"}}


def x_headers(page: int, pages: int, per_page: int, total: int | None) -> dict[str, str]:
    """GitLab 8.4+ pagination headers (X-Total left out when `total` is None, as above 10,000)."""
    out = {**HEADERS, "X-Page": str(page), "X-Per-Page": str(per_page),
           "X-Next-Page": str(page + 1) if page < pages else "",
           "X-Prev-Page": str(page - 1) if page > 1 else "", "X-Total-Pages": str(pages)}
    if total is not None:
        out["X-Total"] = str(total)
    return out


def serve(issues_desc: list[dict[str, Any]], *, per_page: int = 2,
          total: bool = True) -> None:
    """Project, one milestone page, issue pages in updated_at order either way, full-scan order."""
    responses.get(f"{API}/projects/gitlab-org%2Fgitlab-ce", json=PROJECT, headers=HEADERS)
    responses.get(f"{API}/projects/13083/milestones", json=[M_8_2],
                  headers=x_headers(1, 1, per_page, 1))
    count = len(issues_desc)
    pages = max(1, -(-count // per_page))
    orders = {("updated_at", "desc"): issues_desc,
              ("updated_at", "asc"): list(reversed(issues_desc)),
              ("created_at", "asc"): sorted(issues_desc, key=lambda i: i["id"])}
    for (order_by, sort), items in orders.items():
        for number in range(1, pages + 1):
            chunk = items[(number - 1) * per_page: number * per_page]
            query = {"order_by": order_by, "sort": sort, "per_page": str(per_page)}
            if number > 1:
                query["page"] = str(number)
            responses.get(f"{API}{ISSUES}", json=chunk,
                          headers=x_headers(number, pages, per_page, count if total else None),
                          match=[matchers.query_param_matcher(query, strict_match=False)])
        # The probe: one issue, ascending.
        if (order_by, sort) == ("updated_at", "asc"):
            responses.get(f"{API}{ISSUES}", json=items[:1],
                          headers=x_headers(1, count, 1, count if total else None),
                          match=[matchers.query_param_matcher(
                              {"order_by": "updated_at", "sort": "asc", "per_page": "1"})])


def scan(path: Path, per_page: int = 2) -> dict[int, tuple[int, int]]:
    client = HttpClient(GITLAB, kind="source", headers={"PRIVATE-TOKEN": "glpat-x"},
                        http=HttpConfig(concurrency=1), sleep=lambda _s: None,
                        jitter=lambda: 0.0)
    reader = GitLabReader(client, project="gitlab-org/gitlab-ce", per_page=per_page)
    with Checkpoint.open(path) as checkpoint:
        extracted = MirrorExtract(reader, checkpoint)()
    return {m.id: (m.issues_open, m.issues_closed) for m in extracted.milestones}


def issue_queries() -> list[dict[str, str]]:
    return [dict(parse_qsl(urlsplit(call.request.url).query)) for call in responses.calls
            if call.request.url and ISSUES in call.request.url]


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "checkpoint"


class TestRequests:
    @responses.activate
    def test_quiet_run_asks_one_desc_page_and_a_one_issue_probe(self, path: Path) -> None:
        """After a full scan, a run with nothing new reads page 1 newest first and one probe."""
        serve([issue(800003, "2016-01-03T00:00:00.000Z"), issue(800002, "2016-01-02T00:00:00Z"),
               issue(800001, "2016-01-01T00:00:00.000+03:00", "closed")])
        assert scan(path) == {23878: (2, 1)}
        responses.calls.reset()
        assert scan(path) == {23878: (2, 1)}
        assert issue_queries() == [
            {"order_by": "updated_at", "sort": "desc", "per_page": "2"},
            {"order_by": "updated_at", "sort": "asc", "per_page": "1"}]

    @responses.activate
    def test_no_total_header_still_counts_from_the_table(self, path: Path) -> None:
        """Without X-Total (lists above 10,000) the table is trusted and no full scan is made."""
        serve([issue(800002, "2016-01-02T00:00:00Z"), issue(800001, "2016-01-01T00:00:00Z")],
              total=False)
        scan(path)
        responses.calls.reset()
        assert scan(path) == {23878: (2, 0)}
        assert all(q.get("order_by") == "updated_at" for q in issue_queries())

    @responses.activate
    def test_issues_without_updated_at_mean_full_scans(self, path: Path) -> None:
        """An issue with no updated_at leaves no bookmark, so every run scans in full."""
        serve([issue(800002, None), issue(800001, "2016-01-01T00:00:00Z")])
        scan(path)
        with Checkpoint.open(path, readonly=True) as view:
            assert view.meta()[BOOKMARK] == ""
        responses.calls.reset()
        assert scan(path) == {23878: (2, 0)}
        assert {q["order_by"] for q in issue_queries()} == {"created_at"}
