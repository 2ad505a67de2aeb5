"""The GitLab v3 reader against recorded GitLab answers: project, milestones, issues, quirks."""

from __future__ import annotations

import copy
from dataclasses import replace
from typing import Any

import pytest
import requests
import responses
from responses import matchers

from bridge.config import HttpConfig
from bridge.engine.extract import Extracted, extract
from bridge.errors import FatalApiError, RetriableApiError
from bridge.models import SourceMilestone
from bridge.net.http import HttpClient
from bridge.sandbox import Sandbox
from bridge.sources.gitlab import GitLabReader, IssueRef, Project, parse_milestone

GITLAB = "https://gitlab.example.com"
API = f"{GITLAB}/api/v3"

#: gitlab.com's headers on a milestone list (GitLab 10.4, recorded 2018), Link and X-* included.
RECORDED_HEADERS = {
    "Server": "nginx", "Date": "Tue, 30 Jan 2018 21:06:01 GMT",
    "Cache-Control": "max-age=0, private, must-revalidate",
    "Etag": 'W/"e53d5dc58dffcc4de01f99a4f35117d0"', "Vary": "Origin",
    "X-Content-Type-Options": "nosniff", "X-Frame-Options": "SAMEORIGIN",
    "X-Request-Id": "8d6a3278-0afa-4a00-aae4-6a1830e499c9", "X-Runtime": "0.085910",
    "Strict-Transport-Security": "max-age=31536000", "Ratelimit-Limit": "600",
    "Ratelimit-Observed": "1", "Ratelimit-Remaining": "599", "Ratelimit-Reset": "1517346421",
    "Ratelimit-Resettime": "Wed, 30 Jan 2018 21:07:01 GMT",
}

PROJECT = {"id": 13083, "description": "GitLab Community Edition", "default_branch": "master",
           "public": True, "visibility_level": 20, "name": "GitLab Community Edition",
           "path": "gitlab-ce", "path_with_namespace": "gitlab-org/gitlab-ce",
           "web_url": "https://gitlab.example.com/gitlab-org/gitlab-ce"}

#: Milestones as GitLab v3 sends them (from the recorded 8.x issues and 2018 lists).
M_10_0 = {"id": 339386, "iid": 44, "project_id": 13083, "title": "10.0", "description": "",
          "state": "active", "created_at": "2017-07-03T13:55:50.520Z",
          "updated_at": "2017-07-27T14:40:06.122Z", "due_date": "2017-09-22",
          "start_date": "2017-08-08"}
M_9_3 = {"id": 286762, "iid": 39, "project_id": 13083, "title": "9.3", "description": "",
         "state": "closed", "created_at": "2017-03-21T10:10:20.150Z",
         "updated_at": "2017-11-27T14:25:00.360Z", "due_date": "2017-06-21",
         "start_date": "2017-05-08"}
M_8_2 = {"id": 23878, "iid": 16, "project_id": 13083, "title": "8.2", "description": "",
         "state": "active", "created_at": "2015-09-10T13:14:08.087Z",
         "updated_at": "2015-09-10T13:14:08.087Z", "due_date": None}  # before 8.15: no start_date


def issue(issue_id: int, state: str = "opened", milestone: dict[str, Any] | None = None
          ) -> dict[str, Any]:
    return {"id": issue_id, "iid": issue_id - 800000, "project_id": 13083,
            "title": f"Release {issue_id}", "description": "- [ ] Deploy", "state": state,
            "created_at": "2015-12-12T17:39:30.119Z", "updated_at": "2015-12-12T17:41:14.881Z",
            "labels": ["release"], "milestone": copy.deepcopy(milestone), "assignee": None,
            "author": {"name": "Robert Speicher", "username": "rspeicher", "id": 6173,
                       "state": "active"}}


def page_headers(path: str, page: int, pages: int, per_page: int) -> dict[str, str]:
    """The Link and X-* headers gitlab.com sends for page `page` of `pages`."""
    def link(number: int, rel: str) -> str:
        return f'<{API}{path}?id=13083&page={number}&per_page={per_page}>; rel="{rel}"'

    rels = ([link(page + 1, "next")] if page < pages else []) + [link(1, "first"),
                                                                 link(pages, "last")]
    return {**RECORDED_HEADERS, "Link": ", ".join(rels), "X-Page": str(page),
            "X-Per-Page": str(per_page), "X-Next-Page": str(page + 1) if page < pages else "",
            "X-Prev-Page": str(page - 1) if page > 1 else "", "X-Total-Pages": str(pages),
            "X-Total": str(pages * per_page)}


def add_pages(path: str, pages: list[list[dict[str, Any]]], query: dict[str, str]) -> None:
    """Register each page, matching page 2 onwards only when `page=N` was asked for."""
    per_page = int(query.get("per_page", "20"))
    for number, items in enumerate(pages, start=1):
        expected = {**query, **({"page": str(number)} if number > 1 else {})}
        responses.get(f"{API}{path}", json=items,
                      headers=page_headers(path, number, len(pages), per_page),
                      match=[matchers.query_param_matcher(expected, strict_match=False)])


def add_project() -> None:
    responses.get(f"{API}/projects/gitlab-org%2Fgitlab-ce", json=PROJECT, headers=RECORDED_HEADERS)


def reader(per_page: int = 100, concurrency: int = 1) -> GitLabReader:
    client = HttpClient(GITLAB, kind="source", headers={"PRIVATE-TOKEN": "glpat-x"},
                        http=HttpConfig(concurrency=concurrency), sleep=lambda _s: None,
                        jitter=lambda: 0.0)
    return GitLabReader(client, project="gitlab-org/gitlab-ce", per_page=per_page,
                        concurrency=concurrency)


class TestProject:
    @responses.activate
    def test_path_is_resolved_once(self) -> None:
        """The path goes URL-encoded in one segment, and the answer is cached."""
        add_project()
        gitlab = reader()
        assert gitlab.project() == Project(13083, "gitlab-org/gitlab-ce", PROJECT["web_url"])
        assert gitlab.project() is gitlab.project()
        assert len(responses.calls) == 1
        assert responses.calls[0].request.url == f"{API}/projects/gitlab-org%2Fgitlab-ce"

    @responses.activate
    def test_numeric_id(self) -> None:
        """A numeric project id is used as it is."""
        responses.get(f"{API}/projects/13083", json=PROJECT)
        client = HttpClient(GITLAB, kind="source", headers={}, http=HttpConfig())
        assert GitLabReader(client, project="13083").project().id == 13083

    @pytest.mark.parametrize(("status", "body"), [
        (404, {"message": "404 Project Not Found"}), (401, {"message": "401 Unauthorized"}),
        (403, {"message": "403 Forbidden"})])
    @responses.activate
    def test_missing_or_refused_project_is_fatal(self, status: int, body: Any) -> None:
        """404, 401 and 403 end the run (exit 3) with GitLab's own message."""
        responses.get(f"{API}/projects/gitlab-org%2Fgitlab-ce", json=body, status=status)
        with pytest.raises(FatalApiError) as caught:
            reader().project()
        assert body["message"] in str(caught.value)
        assert caught.value.exit_code == 3

    @responses.activate
    def test_project_must_be_an_object(self) -> None:
        """A list where the project belongs is a clear fatal error."""
        responses.get(f"{API}/projects/gitlab-org%2Fgitlab-ce", json=[PROJECT])
        with pytest.raises(FatalApiError, match="not an object"):
            reader().project()


class TestMilestonePages:
    @responses.activate
    def test_every_page_and_every_state(self) -> None:
        """Page 2 is asked for (page=2), no state filter is sent, closed ones come too."""
        add_project()
        path = "/projects/13083/milestones"
        add_pages(path, [[M_10_0, M_9_3], [M_8_2]], {"per_page": "2"})
        pages = list(reader(per_page=2).milestone_pages())
        assert [[m.title for m in page] for page in pages] == [["10.0", "9.3"], ["8.2"]]
        assert [m.state for m in pages[0]] == ["active", "closed"]
        sent = [dict(call.request.params) for call in responses.calls[1:]]  # type: ignore[attr-defined]
        assert sent == [{"per_page": "2"}, {"id": "13083", "page": "2", "per_page": "2"}]
        assert all("state" not in query for query in sent)

    def test_fields_are_read(self) -> None:
        """Every field is carried over and v3's missing web_url is built from the project's."""
        project = Project(13083, "gitlab-org/gitlab-ce", PROJECT["web_url"])
        milestone = parse_milestone(M_10_0, project)
        assert milestone == SourceMilestone(
            id=339386, iid=44, project_id=13083, title="10.0", description="", state="active",
            due_date="2017-09-22", start_date="2017-08-08",
            created_at="2017-07-03T13:55:50.520Z", updated_at="2017-07-27T14:40:06.122Z",
            project_path="gitlab-org/gitlab-ce",
            web_url="https://gitlab.example.com/gitlab-org/gitlab-ce/milestones/44")

    def test_missing_start_date_is_tolerated(self) -> None:
        """Before GitLab 8.15 there is no start_date: it is None, not an error."""
        milestone = parse_milestone(M_8_2, Project(13083, "g/p", None))
        assert (milestone.start_date, milestone.due_date, milestone.web_url) == (None, None, None)

    @pytest.mark.parametrize("field", ["id", "title"])
    def test_missing_required_field_is_named(self, field: str) -> None:
        """A milestone without id or title is FatalApiError naming the field, not a KeyError."""
        broken = {key: value for key, value in M_10_0.items() if key != field}
        with pytest.raises(FatalApiError, match=f"'{field}'"):
            parse_milestone(broken, Project(1, "g/p", None))

    @responses.activate
    def test_object_where_list_belongs(self) -> None:
        """A JSON object instead of the milestone list is a clear fatal error."""
        add_project()
        responses.get(f"{API}/projects/13083/milestones", json={"message": "hello"})
        with pytest.raises(FatalApiError, match="where a list belongs"):
            list(reader().milestone_pages())


class TestIssuePages:
    @responses.activate
    def test_issues_with_reopened_and_milestones(self) -> None:
        """Issues are read oldest first, page by page; `reopened` and embedded milestones kept."""
        add_project()
        path = "/projects/13083/issues"
        query = {"order_by": "created_at", "sort": "asc", "per_page": "2"}
        add_pages(path, [[issue(832887, "opened", M_8_2), issue(832888, "reopened")],
                         [issue(832889, "closed", M_9_3)]], query)
        pages = list(reader(per_page=2).issue_pages())
        assert [len(page) for page in pages] == [2, 1]
        first = pages[0][0]
        assert isinstance(first, IssueRef)
        assert (first.id, first.iid, first.state) == (832887, 32887, "opened")
        assert first.milestone is not None
        assert first.milestone.title == "8.2"
        assert pages[0][1].state == "reopened"
        assert pages[0][1].milestone is None
        assert pages[1][0].updated_at == "2015-12-12T17:41:14.881Z"

    @responses.activate
    def test_item_seen_twice_is_kept_once(self) -> None:
        """An issue that shifts onto the next page while we read appears once."""
        add_project()
        add_pages("/projects/13083/issues",
                  [[issue(1), issue(2)], [issue(2), issue(3)]], {"per_page": "2"})
        pages = list(reader(per_page=2).issue_pages())
        assert [[i.id for i in page] for page in pages] == [[1, 2], [3]]

    @responses.activate
    def test_extra_filters_are_sent_on_every_page(self) -> None:
        """Caller params (e.g. labels) reach page 2 too."""
        add_project()
        add_pages("/projects/13083/issues", [[issue(1)], [issue(2)]],
                  {"labels": "release", "per_page": "1"})
        pages = list(reader(per_page=1).issue_pages({"labels": "release"}))
        assert len(pages) == 2

    @responses.activate
    def test_issue_without_id_is_fatal(self) -> None:
        """An issue object without an id is named as such."""
        add_project()
        responses.get(f"{API}/projects/13083/issues", json=[{"iid": 3, "state": "opened"}])
        with pytest.raises(FatalApiError, match="issue without a valid 'id'"):
            list(reader().issue_pages())

    @pytest.mark.parametrize("concurrency", [1, 3])
    @responses.activate
    def test_garbage_pages_are_retried(self, concurrency: int) -> None:
        """A proxy's 502 page, rack-attack's 429 and a truncated body on page 2 are retried."""
        add_project()
        path = f"{API}/projects/13083/issues"
        second = matchers.query_param_matcher({"page": "2"}, strict_match=False)
        responses.get(path, json=[issue(1)], headers=page_headers("/projects/13083/issues", 1,
                                                                   2, 1),
                      match=[matchers.query_param_matcher(
                          {"order_by": "created_at", "sort": "asc", "per_page": "1"})])
        responses.get(path, status=502, content_type="text/html", match=[second],
                      body="<html><head><title>502 Bad Gateway</title></head></html>")
        responses.get(path, status=429, body="Retry later\n", headers={"Retry-After": "1"},
                      content_type="text/plain", match=[second])
        responses.get(path, body=b'[{"id": 2, "iid"', content_type="application/json",
                      match=[second])
        responses.get(path, body=requests.ConnectionError("reset"), match=[second])
        responses.get(path, json=[issue(2)], match=[second],
                      headers=page_headers("/projects/13083/issues", 2, 2, 1))
        pages = list(reader(per_page=1, concurrency=concurrency).issue_pages())
        assert [[i.id for i in page] for page in pages] == [[1], [2]]


class Recorder:
    """An injected sleep that records each wait instead of waiting."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


def on_sandbox(sb: Sandbox, *, concurrency: int = 1, timeout_s: float = 30.0,
               max_attempts: int = 6) -> tuple[GitLabReader, HttpClient, Recorder]:
    sleep = Recorder()
    client = HttpClient(sb.gitlab_url, kind="source", headers={"PRIVATE-TOKEN": sb.gitlab_token},
                        http=HttpConfig(concurrency=concurrency, timeout_s=timeout_s,
                                        max_attempts=max_attempts),
                        sleep=sleep, jitter=lambda: 0.0)
    gitlab = GitLabReader(client, project=sb.project_path, per_page=20, concurrency=concurrency)
    return gitlab, client, sleep


ISSUES_PATH = r"/issues$"

#: One case per sandbox fault kind on the read path: the fault, and the waits it must cause
#: (jitter 0: the backoff steps are 0.5, 1, 2 ...; a server's Retry-After is used as given).
FAULTS: list[tuple[str, dict[str, Any], list[float] | None]] = [
    ("status-503", {"kind": "status", "status": 503, "times": 2}, [0.5, 1.0]),
    ("status-500", {"kind": "status", "status": 500, "times": 1}, [0.5]),
    ("status-502", {"kind": "status", "status": 502, "times": 1}, [0.5]),
    ("status-504", {"kind": "status", "status": 504, "times": 1}, [0.5]),
    ("status-429-retry-after", {"kind": "status", "status": 429, "retry_after": 4, "times": 2},
     [4.0, 4.0]),
    ("status-429-ratelimit-reset", {"kind": "status", "status": 429, "ratelimit_reset": 3,
                                    "times": 1}, [3.0]),
    ("drop", {"kind": "drop", "times": 3}, [0.5, 1.0, 2.0]),
    ("html-error", {"kind": "html_error", "status": 502, "times": 2}, [0.5, 1.0]),
    ("truncated", {"kind": "truncated", "times": 2}, [0.5, 1.0]),
    ("rack-attack", {"kind": "rack_attack", "retry_after": 7, "times": 1}, [7.0]),
    ("page-cap", {"kind": "page_cap", "max": 3}, []),
    ("page-cap-once", {"kind": "page_cap", "max": 3, "times": 1}, []),
    ("latency", {"kind": "latency", "ms": 5}, []),
    ("every-third", {"kind": "status", "status": 503, "every": 3, "times": 3}, None),
]


class TestApiV4:
    @responses.activate
    def test_v4_prefix_reads_the_same_calls_on_api_v4(self) -> None:
        """With api_prefix /api/v4 the project, milestones and issues are read from /api/v4."""
        v4 = f"{GITLAB}/api/v4"
        responses.get(f"{v4}/projects/gitlab-org%2Fgitlab-ce", json=PROJECT,
                      headers=RECORDED_HEADERS)
        responses.get(f"{v4}/projects/13083/milestones", json=[M_10_0, M_9_3],
                      headers={**RECORDED_HEADERS, "X-Next-Page": ""})
        responses.get(f"{v4}/projects/13083/issues", headers={**RECORDED_HEADERS,
                                                              "X-Next-Page": ""},
                      json=[issue(1, "opened", M_10_0), issue(2, "closed", M_9_3)])
        client = HttpClient(GITLAB, kind="source", headers={"PRIVATE-TOKEN": "glpat-x"},
                            http=HttpConfig(), sleep=lambda _s: None, jitter=lambda: 0.0)
        extracted = extract(GitLabReader(client, project="gitlab-org/gitlab-ce",
                                         api_prefix="/api/v4"))
        assert [(m.title, m.state) for m in extracted.milestones] == [("9.3", "closed"),
                                                                      ("10.0", "active")]
        assert all(call.request.url.startswith(f"{v4}/")  # type: ignore[union-attr]
                   for call in responses.calls)


class TestReaderAgainstSandbox:
    @pytest.fixture
    def baseline(self, sandbox: Sandbox) -> Extracted:
        gitlab, _, _ = on_sandbox(sandbox)
        result = extract(gitlab)
        sandbox.log.clear()
        return result

    @pytest.mark.parametrize(("fault", "waits"), [case[1:] for case in FAULTS],
                             ids=[case[0] for case in FAULTS])
    @pytest.mark.parametrize("concurrency", [1, 4])
    def test_each_fault_kind_is_survived(self, sandbox: Sandbox, baseline: Extracted,
                                         fault: dict[str, Any], waits: list[float] | None,
                                         concurrency: int) -> None:
        """Under each fault the extract equals the clean one, with exactly the expected waits."""
        fault = dict(fault)
        sandbox.faults.add(server="gitlab", kind=fault.pop("kind"), path=ISSUES_PATH, **fault)
        gitlab, client, sleep = on_sandbox(sandbox, concurrency=concurrency)
        result = extract(gitlab)
        assert replace(result, pages=0) == replace(baseline, pages=0)
        if "max" in fault:  # a capped page size means more, smaller pages, nothing lost
            assert result.pages > baseline.pages
        if waits is not None:
            assert sleep.waits == waits
        else:  # which request is the third depends on the workers' timing; never six in a row
            assert len(sleep.waits) == 3
            assert set(sleep.waits) <= {0.5, 1.0, 2.0, 4.0}
        assert sandbox.log.count("source_read") == client.requests_made["read"]

    def test_retry_after_as_http_date(self, sandbox: Sandbox) -> None:
        """A Retry-After HTTP date is waited for, measured against the server's Date header."""
        sandbox.faults.add(server="gitlab", kind="status", status=503, retry_after_date=5,
                           path=ISSUES_PATH, times=1)
        gitlab, _, sleep = on_sandbox(sandbox)
        extract(gitlab)
        assert len(sleep.waits) == 1
        assert 4.0 <= sleep.waits[0] <= 5.0  # HTTP dates have whole seconds

    def test_read_timeout_is_retried(self, sandbox: Sandbox) -> None:
        """A page slower than the read timeout is asked for again."""
        sandbox.faults.add(server="gitlab", kind="latency", ms=400, path=ISSUES_PATH, times=1)
        gitlab, _, sleep = on_sandbox(sandbox, timeout_s=0.1)
        assert extract(gitlab).issues == len(sandbox.dataset.issues)
        assert sleep.waits == [0.5]

    def test_server_that_keeps_failing_ends_the_run(self, sandbox: Sandbox) -> None:
        """After max_attempts the retriable error is raised (exit code 3)."""
        sandbox.faults.add(server="gitlab", kind="html_error", status=502, path=ISSUES_PATH)
        gitlab, _, sleep = on_sandbox(sandbox, max_attempts=3)
        with pytest.raises(RetriableApiError) as caught:
            extract(gitlab)
        assert caught.value.status == 502
        assert "502 Bad Gateway" in str(caught.value)
        assert sleep.waits == [0.5, 1.0]
        assert caught.value.exit_code == 3

    @pytest.mark.parametrize("status", [401, 403, 404])
    def test_fatal_statuses_are_not_retried(self, sandbox: Sandbox, status: int) -> None:
        """401, 403 and 404 from GitLab stop at once, with no retry."""
        sandbox.faults.add(server="gitlab", kind="status", status=status, path=ISSUES_PATH)
        gitlab, _, sleep = on_sandbox(sandbox)
        with pytest.raises(FatalApiError) as caught:
            extract(gitlab)
        assert caught.value.status == status
        assert sleep.waits == []

    def test_wrong_token_is_fatal(self, sandbox: Sandbox) -> None:
        """A refused token is a 401 on the project lookup, and the token is not in the error."""
        client = HttpClient(sandbox.gitlab_url, kind="source",
                            headers={"PRIVATE-TOKEN": "glpat-wrong-token"}, http=HttpConfig())
        with pytest.raises(FatalApiError) as caught:
            GitLabReader(client, project=sandbox.project_path).project()
        assert caught.value.status == 401
        assert "glpat-wrong-token" not in str(caught.value)
        assert sandbox.gitlab_token not in str(caught.value)

    def test_token_goes_as_header(self, sandbox: Sandbox) -> None:
        """Every request carries the token as the PRIVATE-TOKEN header, never as a parameter."""
        gitlab, _, _ = on_sandbox(sandbox)
        extract(gitlab)
        entries = sandbox.log.entries
        assert entries
        assert {entry.auth for entry in entries} == {"header"}

