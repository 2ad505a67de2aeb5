"""Faults and the request log on the tracker routes: lost answers after commits, counts by route."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import requests

from bridge.sandbox import Sandbox


def sc(sb: Sandbox, method: str, path: str, body: Any = None) -> requests.Response:
    """One SourceCraft request relative to the demo repository."""
    return requests.request(method, f"{sb.sourcecraft_url}/repos/{sb.org}/{sb.repo}/{path}",
                            json=body, timeout=10,
                            headers={"Authorization": f"Bearer {sb.sourcecraft_token}"})


def gl(sb: Sandbox, path: str, **params: Any) -> requests.Response:
    """One GitLab read."""
    return requests.get(f"{sb.gitlab_url}/api/v3{path}", params=params, timeout=10,
                        headers={"PRIVATE-TOKEN": sb.gitlab_token})


def _prepared(sb: Sandbox) -> None:
    sb.sourcecraft.create_label(name="bug")
    sb.sourcecraft.create_issue(title="existing")


#: (route, method, path, body, what must hold afterwards) for every write the kinds make.
WRITES: list[tuple[str, str, str, Any, Callable[[Sandbox], bool]]] = [
    ("labels", "POST", "labels", {"name": "feature"},
     lambda sb: [la["name"] for la in sb.sourcecraft.label_list()] == ["bug", "feature"]),
    ("issues", "POST", "issues", {"title": "lost answer", "status_slug": "closed"},
     lambda sb: [i["slug"] for i in sb.sourcecraft.issue_list()] == ["1", "2"]),
    ("comments", "POST", "issues/1/comments", {"body": "lost answer"},
     lambda sb: [c["body"] for c in sb.sourcecraft.comment_list("1")] == ["lost answer"]),
    ("issue_labels", "PUT", "issues/1/labels", {"slugs": ["bug"]},
     lambda sb: [la["slug"] for la in sb.sourcecraft.issue_list()[0]["labels"]] == ["bug"]),
    ("issue", "PATCH", "issues/1", {"title": "renamed"},
     lambda sb: sb.sourcecraft.issue_list()[0]["title"] == "renamed"),
]


class TestCommitThenDrop:
    """The write is applied, the answer never arrives: the ambiguity the kinds must resolve."""

    @pytest.mark.parametrize("write", WRITES, ids=[w[0] for w in WRITES])
    def test_write_is_committed_answer_lost(self, sandbox: Sandbox, write: tuple[
            str, str, str, Any, Callable[[Sandbox], bool]]) -> None:
        """The client sees a dropped connection; the state has the write; the log says so."""
        route, method, path, body, holds = write
        _prepared(sandbox)
        sandbox.log.clear()
        sandbox.faults.add("sourcecraft", "commit_then_drop", method=method, route=route,
                           times=1)
        with pytest.raises(requests.ConnectionError):
            sc(sandbox, method, path, body)
        assert holds(sandbox)
        (record,) = sandbox.log.entries
        assert (record.route, record.status, record.fault) == (route, None, "commit_then_drop")
        assert sandbox.log.count("target_write", route=route) == 1

    def test_route_fault_spares_other_routes(self, sandbox: Sandbox) -> None:
        """A fault on route `issues` leaves a label POST alone."""
        sandbox.faults.add("sourcecraft", "status", status=503, route="issues")
        assert sc(sandbox, "POST", "labels", {"name": "x"}).status_code == 201
        assert sc(sandbox, "POST", "issues", {"title": "x"}).status_code == 503
        assert sandbox.sourcecraft.issue_list() == []


class TestReadFaults:
    """Read faults reach the new GitLab and SourceCraft routes too."""

    @pytest.mark.parametrize("path", ["/projects/42/labels", "/projects/42/issues/1001/notes"])
    def test_gitlab_503(self, sandbox: Sandbox, path: str) -> None:
        """A status fault answers 503 on labels and notes."""
        sandbox.faults.add("gitlab", "status", status=503, path=path + "$", times=1)
        assert gl(sandbox, path).status_code == 503
        assert gl(sandbox, path).status_code == 200

    def test_page_cap_on_notes(self, sandbox: Sandbox) -> None:
        """page_cap shrinks note pages like any other listing."""
        sandbox.faults.add("gitlab", "page_cap", max=2, route="notes")
        response = gl(sandbox, "/projects/42/issues/1001/notes", per_page=100)
        assert len(response.json()) == 2
        assert response.headers["X-Next-Page"] == "2"

    def test_page_cap_on_comments(self, sandbox: Sandbox) -> None:
        """page_cap shrinks comment pages and a token appears."""
        issue = sandbox.sourcecraft.create_issue(title="t")
        for n in range(3):
            sandbox.sourcecraft.create_comment(issue["slug"], f"c{n}")
        sandbox.faults.add("sourcecraft", "page_cap", max=2)
        page = sc(sandbox, "GET", "issues/1/comments").json()
        assert len(page["issue_comments"]) == 2
        assert "next_page_token" in page


class TestRequestLogByRoute:
    """Exact counts per route, so kind tests can state their request formula."""

    def test_counts_by_route_and_method(self, sandbox: Sandbox) -> None:
        """by_route() and count(kind, route=, method=) count each route separately."""
        sc(sandbox, "POST", "labels", {"name": "a"})
        sc(sandbox, "POST", "issues", {"title": "t"})
        sc(sandbox, "POST", "issues", {"title": "u"})
        sc(sandbox, "PUT", "issues/1/labels", {"slugs": ["a"]})
        sc(sandbox, "GET", "issues")
        gl(sandbox, "/projects/42/labels")
        gl(sandbox, "/projects/42/issues/1001/notes")
        assert sandbox.log.count("target_write", route="issues") == 2
        assert sandbox.log.count("target_write", route="issue_labels", method="PUT") == 1
        assert sandbox.log.count("target_read", route="issues") == 1
        assert sandbox.log.count("source_read", route="notes") == 1
        assert sandbox.log.by_route() == {
            ("sourcecraft", "labels", "POST"): 1, ("sourcecraft", "issues", "POST"): 2,
            ("sourcecraft", "issue_labels", "PUT"): 1, ("sourcecraft", "issues", "GET"): 1,
            ("gitlab", "labels", "GET"): 1, ("gitlab", "notes", "GET"): 1}
