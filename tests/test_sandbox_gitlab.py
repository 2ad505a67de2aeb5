"""The fake GitLab v3 over real sockets: routes, auth, errors, pagination and JSON shapes."""

from __future__ import annotations

import re
from typing import Any

import pytest
import requests

from bridge.sandbox import Sandbox


def get(sb: Sandbox, path: str, *, token: str | None = None, **params: Any) -> requests.Response:
    """GET /api/v3<path> with the sandbox's token in the PRIVATE-TOKEN header."""
    headers = {"PRIVATE-TOKEN": sb.gitlab_token if token is None else token}
    return requests.get(f"{sb.gitlab_url}/api/v3{path}", headers=headers, params=params, timeout=10)


def links(response: requests.Response) -> dict[str, str]:
    """rel -> URL from a Link header."""
    pairs = re.findall(r'<([^>]+)>; rel="(\w+)"', response.headers["Link"])
    return {rel: url for url, rel in pairs}


def walk(sb: Sandbox, path: str, **params: Any) -> list[dict[str, Any]]:
    """Every item of a listing, following rel="next"."""
    items: list[dict[str, Any]] = []
    response = get(sb, path, **params)
    while True:
        items += response.json()
        nxt = links(response).get("next")
        if nxt is None:
            return items
        response = requests.get(nxt, headers={"PRIVATE-TOKEN": sb.gitlab_token}, timeout=10)


class TestAuth:
    """GitLab v3 authentication and the reference's error table."""

    @pytest.mark.parametrize("how", ["header", "param", "bearer"])
    def test_each_token_form_is_accepted(self, sandbox: Sandbox, how: str) -> None:
        """PRIVATE-TOKEN header, private_token parameter and OAuth Bearer all authenticate."""
        url = f"{sandbox.gitlab_url}/api/v3/projects/{sandbox.project_id}"
        token = sandbox.gitlab_token
        kwargs: dict[str, Any] = {
            "header": {"headers": {"PRIVATE-TOKEN": token}},
            "param": {"params": {"private_token": token}},
            "bearer": {"headers": {"Authorization": f"Bearer {token}"}},
        }[how]
        response = requests.get(url, timeout=10, **kwargs)
        assert response.status_code == 200
        assert sandbox.log.entries[-1].auth == how

    @pytest.mark.parametrize("token", ["", "wrong-token"], ids=["missing", "wrong"])
    def test_missing_or_bad_token_is_401(self, sandbox: Sandbox, token: str) -> None:
        """No token or a wrong one answers 401 {"message": "401 Unauthorized"}."""
        response = get(sandbox, "/projects/42", token=token)
        assert response.status_code == 401
        assert response.json() == {"message": "401 Unauthorized"}

    def test_token_without_access_is_403(self, sandbox: Sandbox) -> None:
        """The forbidden token authenticates but gets 403 {"message": "403 Forbidden"}."""
        response = get(sandbox, "/projects/42/milestones", token=sandbox.gitlab_forbidden_token)
        assert response.status_code == 403
        assert response.json() == {"message": "403 Forbidden"}

    def test_unknown_project_is_404_project_not_found(self, sandbox: Sandbox) -> None:
        """A project that does not exist answers {"message": "404 Project Not Found"}."""
        response = get(sandbox, "/projects/nobody%2Fnothing/milestones")
        assert response.status_code == 404
        assert response.json() == {"message": "404 Project Not Found"}

    def test_unknown_route_is_404_error(self, sandbox: Sandbox) -> None:
        """A route GitLab does not have answers {"error": "404 Not Found"}."""
        response = get(sandbox, "/projects/42/wikis")
        assert response.status_code == 404
        assert response.json() == {"error": "404 Not Found"}

    def test_missing_record_is_404_not_found(self, sandbox: Sandbox) -> None:
        """A milestone or issue id that does not exist answers {"message": "404 Not found"}."""
        for path in ("/projects/42/milestones/999999", "/projects/42/issues/999999"):
            response = get(sandbox, path)
            assert (response.status_code, response.json()) == (404, {"message": "404 Not found"})


class TestProjectAndVersion:
    """GET /projects/:id and GET /version."""

    def test_project_by_encoded_path_gives_numeric_id(self, sandbox: Sandbox) -> None:
        """The URL-encoded path resolves to the project with its numeric id."""
        response = get(sandbox, "/projects/demo-group%2Fdemo-project")
        assert response.status_code == 200
        body = response.json()
        assert body["id"] == sandbox.project_id
        assert body["path_with_namespace"] == sandbox.project_path
        assert body["web_url"] == f"{sandbox.gitlab_url}/{sandbox.project_path}"

    def test_version(self, sandbox: Sandbox) -> None:
        """GET /version answers the dataset's GitLab version."""
        assert get(sandbox, "/version").json()["version"] == "8.17.8"


class TestMilestones:
    """GET /projects/:id/milestones and /milestones/:milestone_id."""

    def test_list_is_id_descending_and_hides_hidden(self, sandbox: Sandbox) -> None:
        """All 12 listed milestones come id-descending; the hidden one is not listed."""
        items = walk(sandbox, "/projects/42/milestones", per_page=100)
        ids = [m["id"] for m in items]
        assert ids == sorted(ids, reverse=True)
        assert len(ids) == 12
        assert 95 not in ids

    @pytest.mark.parametrize(("state", "expected"), [("active", 6), ("closed", 6), ("all", 12)])
    def test_state_filter(self, sandbox: Sandbox, state: str, expected: int) -> None:
        """state=active|closed|all filters the list."""
        items = walk(sandbox, "/projects/42/milestones", state=state)
        assert len(items) == expected
        assert state == "all" or {m["state"] for m in items} == {state}

    def test_iid_filter(self, sandbox: Sandbox) -> None:
        """iid=N and iid[]=N select milestones by project-local number."""
        assert [m["iid"] for m in get(sandbox, "/projects/42/milestones", iid=4).json()] == [4]
        both = get(sandbox, "/projects/42/milestones", **{"iid[]": [2, 3]}).json()
        assert sorted(m["iid"] for m in both) == [2, 3]

    def test_bad_state_is_400(self, sandbox: Sandbox) -> None:
        """An unknown state value is a Grape 400 with an `error` key."""
        response = get(sandbox, "/projects/42/milestones", state="opened")
        assert response.status_code == 400
        assert "error" in response.json()

    def test_milestone_shape(self, sandbox: Sandbox) -> None:
        """A v3 milestone has exactly the v3 keys (start_date included, no web_url)."""
        body = get(sandbox, "/projects/42/milestones/104").json()
        assert set(body) == {"id", "iid", "project_id", "title", "description", "state",
                             "created_at", "updated_at", "due_date", "start_date"}
        assert body["title"] == "Релиз 1.0"
        assert body["created_at"].endswith("+03:00")

    def test_hidden_milestone_is_not_found_by_id(self, sandbox: Sandbox) -> None:
        """The milestone issues carry but the list lacks is 404 by id too."""
        assert get(sandbox, "/projects/42/milestones/95").status_code == 404

    def test_milestone_issues(self, sandbox: Sandbox) -> None:
        """/milestones/:id/issues lists exactly the issues carrying that milestone."""
        items = walk(sandbox, "/projects/42/milestones/102/issues")
        everything = walk(sandbox, "/projects/42/issues", per_page=100)
        expected = {i["id"] for i in everything if (i["milestone"] or {}).get("id") == 102}
        assert {i["id"] for i in items} == expected
        assert expected


class TestPagination:
    """Kaminari's page/per_page and headers, as gitlab.com sent them."""

    def test_first_page_headers(self, sandbox: Sandbox) -> None:
        """Page 1 of 150 issues at 20: next=2, no prev, totals, and a Link with next/first/last."""
        response = get(sandbox, "/projects/42/issues", state="all")
        headers = response.headers
        assert len(response.json()) == 20
        assert (headers["X-Page"], headers["X-Per-Page"]) == ("1", "20")
        assert headers["X-Next-Page"] == "2"
        assert headers["X-Prev-Page"] == ""
        assert (headers["X-Total"], headers["X-Total-Pages"]) == ("150", "8")
        assert set(links(response)) == {"next", "first", "last"}
        assert headers["Content-Type"] == "application/json"

    def test_link_keeps_query_parameters_and_adds_id(self, sandbox: Sandbox) -> None:
        """Link URLs carry every query parameter, the route id, page and per_page, sorted."""
        response = get(sandbox, "/projects/demo-group%2Fdemo-project/issues", state="opened",
                       labels="bug,docs", per_page=5, page=2)
        nxt = links(response)["next"]
        assert nxt == (f"{sandbox.gitlab_url}/api/v3/projects/demo-group%2Fdemo-project/issues?"
                       "id=demo-group%2Fdemo-project&labels=bug%2Cdocs&page=3&per_page=5&state=opened")
        assert "page=1&" in links(response)["prev"]

    def test_last_page_has_empty_next(self, sandbox: Sandbox) -> None:
        """On the last page X-Next-Page is an empty string and Link has no rel="next"."""
        response = get(sandbox, "/projects/42/issues", per_page=100, page=2)
        assert len(response.json()) == 50
        assert response.headers["X-Next-Page"] == ""
        assert "next" not in links(response)
        assert response.headers["X-Prev-Page"] == "1"

    def test_page_past_the_end_is_empty(self, sandbox: Sandbox) -> None:
        """A page past the end answers [] with 200."""
        response = get(sandbox, "/projects/42/issues", page=99)
        assert (response.status_code, response.json()) == (200, [])
        assert response.headers["X-Next-Page"] == ""

    @pytest.mark.parametrize(("asked", "served"), [("0", "20"), ("-5", "20"), ("500", "100"),
                                                   ("7", "7")])
    def test_per_page_bounds(self, sandbox: Sandbox, asked: str, served: str) -> None:
        """per_page 0 or negative means 20; over 100 is capped silently."""
        response = get(sandbox, "/projects/42/issues", per_page=asked)
        assert response.headers["X-Per-Page"] == served
        assert len(response.json()) == int(served)

    def test_empty_result_says_last_page_zero(self, sandbox: Sandbox) -> None:
        """No items: X-Total 0, X-Total-Pages 0, rel="last" with page=0 (as gitlab.com did)."""
        response = get(sandbox, "/projects/42/issues", labels="no-such-label")
        assert response.json() == []
        assert (response.headers["X-Total"], response.headers["X-Total-Pages"]) == ("0", "0")
        assert "page=0" in links(response)["last"]

    def test_non_integer_page_is_400(self, sandbox: Sandbox) -> None:
        """page=abc is refused with {"error": "page is invalid"}."""
        response = get(sandbox, "/projects/42/issues", page="abc")
        assert (response.status_code, response.json()) == (400, {"error": "page is invalid"})


class TestIssues:
    """GET /projects/:id/issues filters, order and JSON shape."""

    def test_opened_includes_reopened(self, sandbox: Sandbox) -> None:
        """state=opened returns opened and reopened issues, as 8.x's `opened` scope does."""
        states = {i["state"] for i in walk(sandbox, "/projects/42/issues", state="opened")}
        assert states == {"opened", "reopened"}

    def test_closed_filter(self, sandbox: Sandbox) -> None:
        """state=closed returns only closed issues."""
        items = walk(sandbox, "/projects/42/issues", state="closed")
        assert items
        assert {i["state"] for i in items} == {"closed"}

    def test_labels_match_any(self, sandbox: Sandbox) -> None:
        """labels=a,b returns issues with any of them (v3)."""
        items = walk(sandbox, "/projects/42/issues", labels="docs,security")
        assert items
        assert all({"docs", "security"} & set(i["labels"]) for i in items)
        assert any("docs" not in i["labels"] for i in items)

    def test_milestone_title_filter(self, sandbox: Sandbox) -> None:
        """milestone=<title> returns the issues of that milestone."""
        items = walk(sandbox, "/projects/42/issues", milestone="v1.0")
        assert items
        assert {i["milestone"]["title"] for i in items} == {"v1.0"}

    @pytest.mark.parametrize("order_by", ["created_at", "updated_at"])
    @pytest.mark.parametrize("sort", ["asc", "desc"])
    def test_order(self, sandbox: Sandbox, order_by: str, sort: str) -> None:
        """order_by and sort order the whole listing across pages."""
        stamps = [i[order_by] for i in walk(sandbox, "/projects/42/issues", order_by=order_by,
                                             sort=sort, per_page=33)]
        assert len(stamps) == 150
        assert stamps == sorted(stamps, reverse=sort == "desc")

    def test_default_order_is_created_desc(self, sandbox: Sandbox) -> None:
        """Without order_by/sort the newest issue comes first."""
        first = get(sandbox, "/projects/42/issues").json()[0]
        assert first["iid"] == 150

    def test_issue_shape(self, sandbox: Sandbox) -> None:
        """An issue carries the seed's keys, a whole milestone object and a web_url."""
        body = get(sandbox, "/projects/42/issues/1001").json()
        assert {"id", "iid", "project_id", "title", "description", "state", "created_at",
                "updated_at", "labels", "milestone", "assignee", "author", "subscribed",
                "user_notes_count", "upvotes", "downvotes", "due_date", "confidential",
                "web_url"} <= set(body)
        assert body["web_url"] == f"{sandbox.gitlab_url}/{sandbox.project_path}/issues/1"
        assert set(body["author"]) >= {"id", "username", "name", "state", "web_url"}

    def test_demo_has_the_awkward_issues(self, sandbox: Sandbox) -> None:
        """Some issues have no milestone, some carry the hidden one, some are reopened."""
        items = walk(sandbox, "/projects/42/issues", per_page=100)
        assert any(i["milestone"] is None for i in items)
        assert any((i["milestone"] or {}).get("id") == 95 for i in items)
        assert any(i["state"] == "reopened" for i in items)

    def test_bad_order_is_400(self, sandbox: Sandbox) -> None:
        """order_by outside created_at/updated_at is a 400."""
        assert get(sandbox, "/projects/42/issues", order_by="title").status_code == 400

    def test_writes_are_not_routes(self, sandbox: Sandbox) -> None:
        """The fake is read-only: a POST to a known route answers 405."""
        response = requests.post(f"{sandbox.gitlab_url}/api/v3/projects/42/milestones",
                                 headers={"PRIVATE-TOKEN": sandbox.gitlab_token}, timeout=10)
        assert response.status_code == 405


class TestStateHandles:
    """sb.gitlab: how tests change GitLab between runs."""

    def test_add_update_remove_milestone(self, sandbox: Sandbox) -> None:
        """Added milestones are listed, updates show with a new updated_at, removal unlists."""
        added = sandbox.gitlab.add_milestone(title="v3.0", due_date="2017-01-31")
        assert get(sandbox, f"/projects/42/milestones/{added['id']}").json()["title"] == "v3.0"
        updated = sandbox.gitlab.update_milestone(added["id"], state="closed")
        assert updated["state"] == "closed"
        assert updated["id"] == added["id"]
        sandbox.gitlab.remove_milestone(added["id"])
        assert added["id"] not in {m["id"] for m in sandbox.gitlab.milestones()}
        assert get(sandbox, f"/projects/42/milestones/{added['id']}").status_code == 404

    def test_removed_milestone_leaves_issues_without_one(self, sandbox: Sandbox) -> None:
        """Issues of a deleted milestone then carry none, as in GitLab."""
        sandbox.gitlab.remove_milestone(102)
        assert get(sandbox, "/projects/42/issues", milestone="v1.0").json() == []

    def test_add_issue_shows_in_listing(self, sandbox: Sandbox) -> None:
        """add_issue creates an issue that the listing and its milestone filter include."""
        issue = sandbox.gitlab.add_issue(title="Late bug", milestone=106, state="reopened")
        assert issue["milestone"]["id"] == 106
        found = walk(sandbox, "/projects/42/issues", milestone="v1.2")
        assert issue["id"] in {i["id"] for i in found}
        assert get(sandbox, "/projects/42/issues").headers["X-Total"] == "151"

    def test_bad_fields_are_refused(self, sandbox: Sandbox) -> None:
        """A field GitLab milestones do not have is a ValueError, not silent junk."""
        with pytest.raises(ValueError, match="no field"):
            sandbox.gitlab.add_milestone(title="x", colour="red")
