"""The fake SourceCraft's tracker over real sockets: labels, issues and their labels, comments."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from bridge.sandbox import Sandbox


class Client:
    """A tiny SourceCraft client: one session with the sandbox's Bearer token."""

    def __init__(self, sb: Sandbox) -> None:
        self.sb = sb
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {sb.sourcecraft_token}"
        self.repo = f"{sb.sourcecraft_url}/repos/{sb.org}/{sb.repo}"

    def __call__(self, method: str, path: str, body: Any = None,
                 **params: Any) -> requests.Response:
        """`path` starts with "/" (from the API root) or is relative to the repository."""
        url = self.sb.sourcecraft_url + path if path.startswith("/") else f"{self.repo}/{path}"
        return self.session.request(method, url, json=body, params=params, timeout=10)


@pytest.fixture
def sc(sandbox: Sandbox) -> Client:
    """A client of the running sandbox's SourceCraft."""
    return Client(sandbox)


def error(response: requests.Response, status: int) -> dict[str, Any]:
    """The answer is `status` with the error envelope; the envelope."""
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert set(body) == {"error_code", "message", "request_id", "details"}
    return body


class TestLabels:
    """Names unique per repository, six-digit colours, slugs generated from names."""

    def test_duplicate_name_is_409_and_creates_nothing(self, sc: Client,
                                                       sandbox: Sandbox) -> None:
        """A second label with an existing name answers 409 AlreadyExists."""
        assert sc("POST", "labels", {"name": "good first issue"}).status_code == 201
        assert error(sc("POST", "labels", {"name": "good first issue", "color": "00FF00"}),
                     409)["details"] == {"field": "name"}
        assert [la["slug"] for la in sandbox.sourcecraft.label_list()] == ["good-first-issue"]

    @pytest.mark.parametrize("color", ["#FF0000", "f00", "GGGGGG", "FF00001"])
    def test_colour_is_six_hex_digits(self, sc: Client, color: str) -> None:
        """`#`, three digits or non-hex colours are a 400 naming `color`."""
        assert error(sc("POST", "labels", {"name": "x", "color": color}),
                     400)["details"] == {"field": "color"}

    def test_default_colour_and_slug(self, sc: Client) -> None:
        """Without a colour the label is gray; the slug comes from the name, clashes get -1."""
        first = sc("POST", "labels", {"name": "Needs Review"}).json()
        second = sc("POST", "labels", {"name": "needs review"}).json()
        assert (first["slug"], first["color"]) == ("needs-review", "808080")
        assert second["slug"] == "needs-review-1"

    def test_paging_and_lookups(self, sc: Client, sandbox: Sandbox) -> None:
        """The list pages with tokens; a label is found by slug and by id, deleted by either."""
        for n in range(5):
            sandbox.sourcecraft.create_label(name=f"l{n}", color="ABCDEF")
        page = sc("GET", "labels", page_size=2).json()
        rest = sc("GET", "labels", page_size=2, page_token=page["next_page_token"]).json()
        assert [la["name"] for la in page["items"] + rest["items"]] == ["l0", "l1", "l2", "l3"]
        ident = page["items"][0]["id"]
        assert sc("GET", f"/labels/id:{ident}").json()["slug"] == "l0"
        assert sc("PATCH", "labels/l1", {"name": "l0"}).status_code == 409
        assert sc("DELETE", f"/labels/id:{ident}").status_code == 204
        assert sc("GET", "labels/l0").status_code == 404


class TestIssues:
    """Numbers assigned by the server, every CreateIssueBody field honoured."""

    def test_numbers_and_closed_create(self, sc: Client, sandbox: Sandbox) -> None:
        """Issues get slugs "1", "2", ...; a closed one is created closed, never reused."""
        sandbox.sourcecraft.create_label(name="bug")
        sandbox.sourcecraft.create_milestone(name="v1.0")
        user = sc("GET", "/users/lennie").json()
        made = sc("POST", "issues", {
            "title": "Закрытая", "status_slug": "closed", "label_slugs": ["bug"],
            "milestone_slug": "v1-0", "visibility": "private", "assignee_id": user["id"],
            "deadline": "2016-02-20T00:00:00Z"})
        assert made.status_code == 201
        issue = made.json()
        assert issue["slug"] == "1"
        assert issue["status"]["slug"] == "closed"
        assert issue["status"]["status_type"] == "completed"
        assert issue["completed_at"] == issue["created_at"]
        assert [la["slug"] for la in issue["labels"]] == ["bug"]
        assert issue["milestone"]["slug"] == "v1-0"
        assert issue["assignee"] == {"id": user["id"], "slug": "lennie"}
        assert (issue["visibility"], issue["deadline"]) == ("private", "2016-02-20T00:00:00Z")
        assert sc("DELETE", "issues/1").status_code == 204
        assert sc("POST", "issues", {"title": "next"}).json()["slug"] == "2"

    @pytest.mark.parametrize(("body", "field"), [
        ({"title": "t", "status_slug": "done"}, "status_slug"),
        ({"title": ""}, "title"),
        ({"title": "x" * 1025}, "title"),
        ({"title": "t", "label_ids": ["a"], "label_slugs": ["b"]}, "ids"),
        ({"title": "t", "milestone_id": "a", "milestone_slug": "b"}, "milestone_id"),
        ({"title": "t", "deadline": "2016-02-20"}, "deadline"),
    ])
    def test_bad_bodies_are_400(self, sc: Client, body: dict[str, Any], field: str) -> None:
        """Bad statuses, titles, both-of-a-pair and bare dates are refused, naming the field."""
        assert error(sc("POST", "issues", body), 400)["details"] == {"field": field}

    def test_description_limit_is_64_kb_of_utf8(self, sc: Client) -> None:
        """65,536 bytes pass; one Cyrillic letter more (2 bytes) is a 400."""
        assert sc("POST", "issues", {"title": "t", "description": "x" * 65536}).status_code == 201
        too_long = "ж" * 32768 + "x"
        assert error(sc("POST", "issues", {"title": "t", "description": too_long}),
                     400)["details"] == {"field": "description"}

    @pytest.mark.parametrize(("body", "field"), [
        ({"title": "t", "label_slugs": ["nope"]}, "slugs"),
        ({"title": "t", "milestone_slug": "nope"}, "milestone_slug"),
        ({"title": "t", "assignee_id": "nope"}, "assignee_id"),
    ])
    def test_unknown_references_are_404(self, sc: Client, body: dict[str, Any],
                                        field: str) -> None:
        """A label, milestone or assignee that does not exist answers 404."""
        assert error(sc("POST", "issues", body), 404)["details"] == {"field": field}

    def test_patch_clears_with_empty_strings(self, sc: Client, sandbox: Sandbox) -> None:
        """milestone_id "" and assignee_id "" clear them; updated_by becomes the bot."""
        milestone = sandbox.sourcecraft.create_milestone(name="v1")
        user = sc("GET", "/users/lennie").json()
        sc("POST", "issues", {"title": "t", "milestone_id": milestone["id"],
                              "assignee_id": user["id"]})
        patched = sc("PATCH", "issues/1", {"milestone_id": "", "assignee_id": ""}).json()
        assert (patched["milestone"], patched["assignee"]) == (None, None)
        assert patched["updated_by"]["slug"] == "scbridge-bot"
        assert patched["updated_at"] > patched["created_at"]

    def test_deleted_milestone_and_label_leave_the_issue(self, sc: Client,
                                                         sandbox: Sandbox) -> None:
        """Deleting a milestone or label unlinks it from the issues that had it."""
        sandbox.sourcecraft.create_milestone(name="v1")
        sandbox.sourcecraft.create_label(name="bug")
        sc("POST", "issues", {"title": "t", "milestone_slug": "v1", "label_slugs": ["bug"]})
        sandbox.sourcecraft.delete_milestone("v1")
        sandbox.sourcecraft.delete_label("bug")
        issue = sc("GET", "issues/1").json()
        assert (issue["milestone"], issue["labels"]) == (None, [])


class TestIssueFilter:
    """`filter`: title prefix, status, milestone_slug, label_slug, joined by `and`."""

    @pytest.fixture
    def issues(self, sandbox: Sandbox) -> None:
        """Three issues with labels and milestones to filter."""
        state = sandbox.sourcecraft
        state.create_label(name="bug")
        state.create_milestone(name="v1")
        state.create_issue(title='Crash "quoted" [gl:1]', label_slugs=["bug"],
                           milestone_slug="v1")
        state.create_issue(title="Crash on save [gl:2]", status_slug="closed")
        state.create_issue(title="Other [gl:3]", label_slugs=["bug"])

    @pytest.mark.parametrize(("text", "slugs"), [
        ('title="Crash"', ["1", "2"]),
        (r'title="Crash \"quoted\""', ["1"]),
        ("title=Other", ["3"]),
        ('title="rash"', []),
        ("status=closed", ["2"]),
        ("status=open", ["1", "3"]),
        ("label_slug=bug and milestone_slug=v1", ["1"]),
        ('title="Crash" AND status=open', ["1"]),
        ("label_slug!=bug", ["2"]),
        ('created_at>"2000-01-01T00:00:00Z"', ["1", "2", "3"]),
    ])
    def test_filter(self, sc: Client, issues: None, text: str, slugs: list[str]) -> None:
        """Each filter selects the issues it describes."""
        response = sc("GET", "issues", filter=text)
        assert response.status_code == 200, response.text
        assert [i["slug"] for i in response.json()["issues"]] == slugs

    @pytest.mark.parametrize("text", ["title", "colour=red", "status=open or status=closed",
                                      'title>"a"', 'created_at>"yesterday"'])
    def test_bad_filter_is_400(self, sc: Client, text: str) -> None:
        """What the grammar does not allow is a 400 naming `filter`."""
        assert error(sc("GET", "issues", filter=text), 400)["details"] == {"field": "filter"}

    def test_listing_follows_changes(self, sc: Client, sandbox: Sandbox, issues: None) -> None:
        """A listing read, then an edit (API or by hand), then the same listing: it shows."""
        assert len(sc("GET", "issues", filter="status=closed").json()["issues"]) == 1
        sc("PATCH", "issues/1", {"status_slug": "closed"})
        assert len(sc("GET", "issues", filter="status=closed").json()["issues"]) == 2
        sandbox.sourcecraft.edit_label("bug", slug="defect")
        assert len(sc("GET", "issues", filter="label_slug=defect").json()["issues"]) == 2
        sandbox.sourcecraft.delete_issue("3")
        assert len(sc("GET", "issues", filter="label_slug=defect").json()["issues"]) == 1

    def test_token_is_bound_to_the_filter(self, sc: Client, issues: None) -> None:
        """A page token followed with another filter is a 400."""
        page = sc("GET", "issues", filter='title="Crash"', page_size=1).json()
        assert [i["slug"] for i in page["issues"]] == ["1"]
        assert sc("GET", "issues", filter="status=open", page_size=1,
                  page_token=page["next_page_token"]).status_code == 400


class TestIssueLabels:
    """POST adds, PUT replaces, DELETE removes; each answers the resulting collection."""

    def test_add_replace_remove(self, sc: Client, sandbox: Sandbox) -> None:
        """Adding twice keeps one copy, removing an absent label is fine, PUT [] clears."""
        for name in ("a", "b", "c"):
            sandbox.sourcecraft.create_label(name=name)
        sc("POST", "issues", {"title": "t"})

        def names(response: requests.Response) -> list[str]:
            assert response.status_code == 200, response.text
            return [la["slug"] for la in response.json()["labels"]]

        assert names(sc("POST", "issues/1/labels", {"slugs": ["a", "a"]})) == ["a"]
        assert names(sc("POST", "issues/1/labels", {"slugs": ["b", "a"]})) == ["a", "b"]
        assert names(sc("PUT", "issues/1/labels", {"slugs": ["c", "a"]})) == ["c", "a"]
        assert names(sc("DELETE", "issues/1/labels", {"slugs": ["a", "b"]})) == ["c"]
        ident = sandbox.sourcecraft.label_list()[1]["id"]
        assert names(sc("PUT", "issues/1/labels", {"ids": [ident]})) == ["b"]
        assert names(sc("PUT", "issues/1/labels", {"slugs": []})) == []
        assert error(sc("PUT", "issues/1/labels", {}), 400)["details"] == {"field": "ids"}

    def test_label_of_another_repository_is_404(self, sc: Client, sandbox: Sandbox) -> None:
        """An id of a label elsewhere is not found here."""
        sandbox.sourcecraft.add_repo("demo-org", "other")
        foreign = sandbox.sourcecraft.create_label(name="x", repo="other")
        sc("POST", "issues", {"title": "t"})
        assert error(sc("POST", "issues/1/labels", {"ids": [foreign["id"]]}), 404)


class TestComments:
    """Listed per issue, no filter; replies; soft deletes."""

    def test_soft_delete(self, sc: Client) -> None:
        """A deleted comment leaves the list, yet GET by id still answers 200."""
        sc("POST", "issues", {"title": "t"})
        made = sc("POST", "issues/1/comments", {"body": "first"}).json()
        sc("POST", "issues/1/comments", {"body": "second"})
        assert sc("DELETE", f"/issue_comments/id:{made['id']}").status_code == 204
        assert sc("GET", f"/issue_comments/id:{made['id']}").status_code == 200
        listed = sc("GET", "issues/1/comments").json()["issue_comments"]
        assert [c["body"] for c in listed] == ["second"]

    def test_deleted_comments_can_stay_listed(self, sc: Client, sandbox: Sandbox) -> None:
        """With `comments.list_deleted` the list keeps soft-deleted comments (the unknown case)."""
        sc("POST", "issues", {"title": "t"})
        made = sc("POST", "issues/1/comments", {"body": "first"}).json()
        sc("DELETE", f"/issue_comments/id:{made['id']}")
        sandbox.sourcecraft.comments.list_deleted = True
        listed = sc("GET", "issues/1/comments").json()["issue_comments"]
        assert [c["body"] for c in listed] == ["first"]

    def test_paging_and_replies(self, sc: Client) -> None:
        """Comments page with tokens, oldest first; a reply names its parent."""
        sc("POST", "issues", {"title": "t"})
        first = sc("POST", "issues/1/comments", {"body": "c0"}).json()
        for n in range(1, 4):
            sc("POST", "issues/1/comments", {"body": f"c{n}", "parent_id": first["id"]})
        page = sc("GET", "issues/1/comments", page_size=3).json()
        rest = sc("GET", "issues/1/comments", page_size=3,
                  page_token=page["next_page_token"]).json()
        assert [c["body"] for c in page["issue_comments"] + rest["issue_comments"]] == [
            "c0", "c1", "c2", "c3"]
        assert "next_page_token" not in rest
        assert page["issue_comments"][1]["parent"] == {"id": first["id"]}

    @pytest.mark.parametrize(("body", "status"), [
        ({"body": ""}, 400), ({"body": "x", "parent_id": "nope"}, 404), ({}, 400)])
    def test_bad_comments(self, sc: Client, body: dict[str, Any], status: int) -> None:
        """An empty body or an unknown parent is refused."""
        sc("POST", "issues", {"title": "t"})
        error(sc("POST", "issues/1/comments", body), status)

    def test_unknown_issue_is_404(self, sc: Client) -> None:
        """Comments of an issue that does not exist answer 404."""
        error(sc("GET", "issues/99/comments"), 404)


class TestUsersAndRepository:
    """Preflight reads: the token's user, a user by slug, the repository."""

    def test_user_lookups(self, sc: Client, sandbox: Sandbox) -> None:
        """`/user` is the bot; dataset users resolve by slug and id; others are 404."""
        assert sc("GET", "/user").json()["id"] == sandbox.sourcecraft.bot["id"]
        ivan = sc("GET", "/users/ivan-petrov").json()
        assert ivan["display_name"] == "Иван Петров"
        assert sc("GET", f"/users/id:{ivan['id']}").json()["username"] == "ivan-petrov"
        error(sc("GET", "/users/axel.block"), 404)

    def test_repository(self, sc: Client, sandbox: Sandbox) -> None:
        """The repository reads 200; an unknown one 404."""
        repo = sc("GET", f"/repos/{sandbox.org}/{sandbox.repo}").json()
        assert (repo["slug"], repo["organization"]["slug"]) == (sandbox.repo, sandbox.org)
        error(sc("GET", f"/repos/{sandbox.org}/nope"), 404)
        error(sc("GET", "/repos/nope/x/issues"), 404)

    def test_readonly_token_cannot_write_the_tracker(self, sandbox: Sandbox) -> None:
        """The viewer token reads labels but a POST is a 403."""
        headers = {"Authorization": f"Bearer {sandbox.sourcecraft_readonly_token}"}
        base = f"{sandbox.sourcecraft_url}/repos/{sandbox.org}/{sandbox.repo}"
        assert requests.get(f"{base}/labels", headers=headers, timeout=10).status_code == 200
        response = requests.post(f"{base}/labels", json={"name": "x"}, headers=headers,
                                 timeout=10)
        assert error(response, 403)
        assert sandbox.sourcecraft.label_list() == []


class TestHandles:
    """sb.sourcecraft: what tests read and hand-edit."""

    def test_hand_edits_are_by_the_hand_editor(self, sandbox: Sandbox) -> None:
        """Hand edits of a label, an issue and a comment carry `hand-editor` in updated_by."""
        state = sandbox.sourcecraft
        state.create_label(name="bug")
        issue = state.create_issue(title="t")
        comment = state.create_comment(issue["slug"], "hello")
        label = state.edit_label("bug", color="000000")
        edited = state.edit_issue(issue["slug"], title="t2", label_slugs=["bug"],
                                  status_slug="closed")
        changed = state.edit_comment(comment["id"], "bye")
        assert label["updated_by"]["slug"] == "hand-editor"
        assert edited["updated_by"]["slug"] == "hand-editor"
        assert [la["slug"] for la in edited["labels"]] == ["bug"]
        assert changed["updated_by"]["slug"] == "hand-editor"
        state.delete_comment(comment["id"])
        assert state.comment_list(issue["slug"]) == []
        assert [c["body"] for c in state.comment_list(issue["slug"], deleted=True)] == ["bye"]
        state.delete_issue(issue["slug"])
        assert state.issue_list() == []

    def test_bad_hand_edits(self, sandbox: Sandbox) -> None:
        """What the API would refuse is a ValueError; what is missing a KeyError."""
        sandbox.sourcecraft.create_label(name="a")
        with pytest.raises(ValueError, match="already exists"):
            sandbox.sourcecraft.create_label(name="a")
        with pytest.raises(KeyError):
            sandbox.sourcecraft.edit_issue("7", title="x")
        with pytest.raises(ValueError, match="unknown field"):
            sandbox.sourcecraft.create_issue(title="t", state="closed")

    def test_dataset_seeds_labels_and_users(self, tmp_path: Any) -> None:
        """`sourcecraft: labels:`, `users:` and `issues:` exist before the run."""
        path = tmp_path / "d.yaml"
        path.write_text("gitlab: {}\nsourcecraft:\n  labels: [{name: bug, color: FF0000}]\n"
                        "  users: [{slug: anna, display_name: Anna}]\n"
                        "  issues: [{title: Old, label_slugs: [bug]}]\n", encoding="utf-8")
        with Sandbox(path) as sb:
            assert [la["name"] for la in sb.sourcecraft.label_list()] == ["bug"]
            (issue,) = sb.sourcecraft.issue_list()
            assert (issue["slug"], issue["labels"][0]["slug"]) == ("1", "bug")
            assert sb.sourcecraft.users["anna"]["display_name"] == "Anna"
