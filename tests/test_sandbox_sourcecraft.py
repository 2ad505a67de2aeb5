"""The fake SourceCraft over real sockets: milestone routes, validation, stamps and pagination."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from bridge.sandbox import Sandbox


class Client:
    """A tiny SourceCraft client for the tests: one session, the sandbox's Bearer token."""

    def __init__(self, sb: Sandbox, token: str | None = None) -> None:
        self.sb = sb
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {token or sb.sourcecraft_token}"
        self.base = f"{sb.sourcecraft_url}/repos/{sb.org}/{sb.repo}/milestones"

    def create(self, body: Any, **params: Any) -> requests.Response:
        """POST a milestone."""
        return self.session.post(self.base, json=body, params=params, timeout=10)

    def get(self, slug: str = "", **params: Any) -> requests.Response:
        """GET one milestone by slug, or the listing."""
        return self.session.get(f"{self.base}/{slug}" if slug else self.base, params=params,
                                timeout=10)

    def patch(self, slug: str, body: Any, **params: Any) -> requests.Response:
        """PATCH a milestone by slug."""
        return self.session.patch(f"{self.base}/{slug}", json=body, params=params, timeout=10)

    def delete(self, slug: str, **params: Any) -> requests.Response:
        """DELETE a milestone by slug."""
        return self.session.delete(f"{self.base}/{slug}", params=params, timeout=10)

    def by_id(self, method: str, ident: str, body: Any = None) -> requests.Response:
        """Any method on /milestones/id:{ident}."""
        return self.session.request(method, f"{self.sb.sourcecraft_url}/milestones/id:{ident}",
                                    json=body, timeout=10)


@pytest.fixture
def client(sandbox: Sandbox) -> Client:
    """A client of the running sandbox's SourceCraft."""
    return Client(sandbox)


def assert_envelope(response: requests.Response, status: int) -> dict[str, Any]:
    """The response is `status` with SourceCraft's error envelope, request id included."""
    assert response.status_code == status
    body = response.json()
    assert set(body) == {"error_code", "message", "request_id", "details"}
    assert body["request_id"] == response.headers["X-Request-Id"]
    return body


class TestAuth:
    """Bearer tokens: reads need one too; the read-only token may not write."""

    @pytest.mark.parametrize("header", [None, "Bearer wrong", "Token x"],
                             ids=["none", "wrong", "scheme"])
    def test_no_valid_bearer_is_401(self, sandbox: Sandbox, header: str | None) -> None:
        """A request without a valid Bearer token answers 401 with the envelope."""
        headers = {"Authorization": header} if header else {}
        response = requests.get(f"{sandbox.sourcecraft_url}/repos/{sandbox.org}/{sandbox.repo}"
                                "/milestones", headers=headers, timeout=10)
        assert assert_envelope(response, 401)["error_code"] == "Unauthenticated"

    def test_readonly_token_cannot_write(self, sandbox: Sandbox) -> None:
        """The viewer token reads (200) but a POST answers 403."""
        viewer = Client(sandbox, sandbox.sourcecraft_readonly_token)
        assert viewer.get().status_code == 200
        assert_envelope(viewer.create({"name": "x"}), 403)
        assert sandbox.sourcecraft.milestones() == []


class TestCreate:
    """POST /repos/{org}/{repo}/milestones."""

    def test_create_answers_201_with_stamps(self, sandbox: Sandbox, client: Client) -> None:
        """A create is 201 with the Milestone, open, authored by the bot, updated_by null."""
        response = client.create({"name": "Simple milestone", "description": "d",
                                  "deadline": "2016-07-22T00:00:00Z"}, silent="true")
        assert response.status_code == 201
        body = response.json()
        assert body["slug"] == "simple-milestone"
        assert body["status"] == "open"
        assert (body["deadline"], body["start_date"]) == ("2016-07-22T00:00:00Z", None)
        assert body["author"]["slug"] == "scbridge-bot"
        assert body["updated_by"] is None
        assert body["created_at"] == body["updated_at"]
        assert set(body) == {"id", "name", "slug", "description", "start_date", "deadline",
                             "status", "author", "updated_by", "created_at", "updated_at"}

    def test_generated_slug_transliterates_and_clashes_get_suffix(self, client: Client) -> None:
        """"Релиз 1.0" becomes reliz-1-0; "v1.0" then "v1-0" become v1-0 and v1-0-1."""
        assert client.create({"name": "Релиз 1.0"}).json()["slug"] == "reliz-1-0"
        assert client.create({"name": "v1.0"}).json()["slug"] == "v1-0"
        assert client.create({"name": "v1-0"}).json()["slug"] == "v1-0-1"

    def test_explicit_existing_slug_is_400(self, client: Client) -> None:
        """An explicit slug that exists answers 400 (not 409) with the envelope."""
        client.create({"name": "A", "slug": "a"})
        body = assert_envelope(client.create({"name": "B", "slug": "a"}), 400)
        assert "already exists" in body["message"]

    @pytest.mark.parametrize(("body", "field"), [
        ({"name": "x", "slug": "has spaces"}, "slug"),
        ({"description": "no name"}, "name"),
        ({"name": "   "}, "name"),
        ({"name": "x", "deadline": "2016-07-22"}, "deadline"),
        ({"name": "x", "start_date": "22/07/2016"}, "start_date"),
        ({"name": "x", "status": "closed"}, "status"),
        ({"name": "x", "colour": "red"}, "colour"),
        ({"name": 5}, "name"),
        ({"name": "x", "description": ["list"]}, "description"),
    ], ids=["slug-spaces", "missing-name", "blank-name", "date-only", "bad-date",
            "status-on-create", "unknown-field", "name-not-string", "description-not-string"])
    def test_schema_refusals(self, sandbox: Sandbox, client: Client, body: dict[str, Any],
                             field: str) -> None:
        """Bodies CreateMilestoneBody refuses answer 400 naming the field; nothing is made."""
        envelope = assert_envelope(client.create(body), 400)
        assert envelope["error_code"] == "ValidationError"
        assert envelope["details"] == {"field": field}
        assert sandbox.sourcecraft.milestones() == []

    def test_not_json_is_400(self, client: Client) -> None:
        """A body that is not JSON answers 400."""
        response = client.session.post(client.base, data=b"{nope", timeout=10)
        assert_envelope(response, 400)

    def test_dates_are_normalised_to_utc(self, client: Client) -> None:
        """A deadline with an offset comes back in UTC with Z, as protobuf Timestamps do."""
        body = client.create({"name": "x", "deadline": "2016-07-22T00:00:00+03:00"}).json()
        assert body["deadline"] == "2016-07-21T21:00:00Z"

    def test_unknown_repository_is_404(self, sandbox: Sandbox, client: Client) -> None:
        """A repository that does not exist answers 404 NotFound."""
        url = f"{sandbox.sourcecraft_url}/repos/{sandbox.org}/nope/milestones"
        response = client.session.post(url, json={"name": "x"}, timeout=10)
        assert assert_envelope(response, 404)["error_code"] == "NotFound"


class TestReadUpdateDelete:
    """GET, PATCH, DELETE by slug and by id."""

    def test_get_by_slug_and_missing_is_404(self, client: Client) -> None:
        """A milestone is found by its slug; an unknown slug is 404."""
        made = client.create({"name": "One"}).json()
        assert client.get("one").json() == made
        assert_envelope(client.get("two"), 404)

    def test_patch_changes_fields_and_bumps_stamps(self, client: Client) -> None:
        """PATCH changes only the given fields, sets updated_by and moves updated_at every time."""
        made = client.create({"name": "One", "description": "keep"}).json()
        first = client.patch("one", {"status": "closed"}, silent="true").json()
        second = client.patch("one", {"status": "closed"}).json()
        assert (first["status"], first["description"]) == ("closed", "keep")
        assert first["updated_by"]["slug"] == "scbridge-bot"
        assert made["updated_at"] < first["updated_at"] < second["updated_at"]

    def test_patch_validation(self, client: Client) -> None:
        """PATCH refuses unknown fields, bad status, bad dates and taking another's slug."""
        client.create({"name": "One"})
        client.create({"name": "Two"})
        for body in ({"state": "closed"}, {"status": "done"}, {"deadline": "tomorrow"},
                     {"slug": "two"}, {"slug": "with space"}):
            assert_envelope(client.patch("one", body), 400)
        assert client.get("one").json()["updated_by"] is None

    def test_patch_slug_renames(self, client: Client) -> None:
        """PATCH with a new slug moves the milestone to it."""
        client.create({"name": "One"})
        assert client.patch("one", {"slug": "uno"}).status_code == 200
        assert client.get("uno").status_code == 200
        assert client.get("one").status_code == 404

    def test_delete_is_204_without_body(self, client: Client) -> None:
        """DELETE answers 204, no body, and the milestone is gone."""
        client.create({"name": "One"})
        response = client.delete("one", silent="false")
        assert (response.status_code, response.content) == (204, b"")
        assert client.get("one").status_code == 404

    def test_by_id_routes(self, client: Client) -> None:
        """GET, PATCH and DELETE /milestones/id:{id} act on the same milestone."""
        made = client.create({"name": "One"}).json()
        assert client.by_id("GET", made["id"]).json()["slug"] == "one"
        assert client.by_id("PATCH", made["id"], {"name": "Uno"}).json()["name"] == "Uno"
        assert client.by_id("DELETE", made["id"]).status_code == 204
        assert_envelope(client.by_id("GET", made["id"]), 404)

    def test_silent_is_recorded(self, sandbox: Sandbox, client: Client) -> None:
        """?silent=true|false is accepted and recorded in the log; absent is None."""
        client.create({"name": "One"}, silent="true")
        client.patch("one", {"status": "closed"}, silent="false")
        client.patch("one", {"status": "open"})
        writes = [e for e in sandbox.log.entries if e.kind == "target_write"]
        assert [e.silent for e in writes] == [True, False, None]
        assert writes[0].body == {"name": "One"}

    def test_bad_silent_is_400(self, client: Client) -> None:
        """silent must be a boolean."""
        assert_envelope(client.create({"name": "One"}, silent="maybe"), 400)


class TestListing:
    """page_size / page_token pagination and filters."""

    def make(self, client: Client, count: int) -> None:
        """Create milestones m00, m01, ... through the API."""
        for n in range(count):
            assert client.create({"name": f"m{n:02d}"}).status_code == 201

    def test_pages_follow_tokens_and_last_omits_token(self, client: Client) -> None:
        """Tokens walk every milestone once; the last page has no next_page_token key."""
        self.make(client, 7)
        seen, token, pages = [], None, 0
        while True:
            body = client.get(page_size=3, **({"page_token": token} if token else {})).json()
            pages += 1
            seen += [m["slug"] for m in body["items"]]
            token = body.get("next_page_token")
            if token is None:
                break
        assert pages == 3
        assert seen == [f"m{n:02d}" for n in range(7)]
        assert "next_page_token" not in body

    def test_single_page_has_no_token(self, client: Client) -> None:
        """A listing that fits one page answers without next_page_token."""
        self.make(client, 2)
        assert set(client.get().json()) == {"items"}

    def test_filter_status(self, client: Client) -> None:
        """filter=status=closed lists only closed milestones."""
        self.make(client, 3)
        client.patch("m01", {"status": "closed"})
        assert [m["slug"] for m in client.get(filter="status=closed").json()["items"]] == ["m01"]
        assert len(client.get(filter="status=open").json()["items"]) == 2

    def test_token_is_bound_to_the_other_parameters(self, client: Client) -> None:
        """Following a token with another filter is a 400; a junk token too."""
        self.make(client, 3)
        token = client.get(page_size=1).json()["next_page_token"]
        assert_envelope(client.get(page_size=1, page_token=token, filter="status=open"), 400)
        assert_envelope(client.get(page_token="junk"), 400)

    def test_bad_page_size_and_filter_are_400(self, client: Client) -> None:
        """A non-numeric page_size or an unsupported filter answers 400."""
        assert_envelope(client.get(page_size="ten"), 400)
        assert_envelope(client.get(filter="name=x"), 400)

    def test_page_size_is_capped(self, client: Client) -> None:
        """page_size over the maximum (100) is served as 100."""
        self.make(client, 101)
        assert len(client.get(page_size=1000).json()["items"]) == 100


class TestStateHandles:
    """sb.sourcecraft: seeding and hand edits."""

    def test_seeded_conflict_is_visible(self, sandbox: Sandbox, client: Client) -> None:
        """create_milestone seeds a hand-made milestone the API then lists."""
        made = sandbox.sourcecraft.create_milestone(name="Hand made", slug="v1-0", status="closed")
        listed = client.get().json()["items"]
        assert [m["slug"] for m in listed] == ["v1-0"]
        assert (listed[0]["status"], made["author"]["slug"]) == ("closed", "hand-editor")

    def test_hand_edit_bumps_updated_at_and_by(self, sandbox: Sandbox, client: Client) -> None:
        """edit_milestone changes the fields and marks the edit as someone else's."""
        made = client.create({"name": "One"}).json()
        edited = sandbox.sourcecraft.edit_milestone("one", description="by hand")
        seen = client.get("one").json()
        assert seen["description"] == "by hand"
        assert seen["updated_by"]["slug"] == "hand-editor"
        assert seen["updated_at"] == edited["updated_at"] > made["updated_at"]

    def test_delete_and_bad_seed(self, sandbox: Sandbox, client: Client) -> None:
        """delete_milestone removes; an invalid seed is a ValueError."""
        client.create({"name": "One"})
        sandbox.sourcecraft.delete_milestone("one")
        assert client.get("one").status_code == 404
        with pytest.raises(ValueError, match="slug"):
            sandbox.sourcecraft.create_milestone(name="x", slug="a b")

    def test_other_repository(self, sandbox: Sandbox) -> None:
        """add_repo makes a second repository that the API serves separately."""
        sandbox.sourcecraft.add_repo("other-org", "other-repo")
        sandbox.sourcecraft.create_milestone(name="Elsewhere", org="other-org", repo="other-repo")
        assert sandbox.sourcecraft.milestones() == []
        assert len(sandbox.sourcecraft.milestones("other-org", "other-repo")) == 1
