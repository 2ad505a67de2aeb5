"""SourceCraftClient: listing by page token, reads by slug, writes by id, real envelopes."""

from __future__ import annotations

import json
from typing import Any, ClassVar

import pytest
import requests
import responses
from responses import matchers

from bridge.config import HttpConfig
from bridge.errors import AmbiguousWriteError, FatalApiError, RetriableApiError
from bridge.models import TargetMilestone
from bridge.net.http import HttpClient
from bridge.targets.sourcecraft import SourceCraftClient, parse_milestone

API = "https://api.sourcecraft.tech"
BASE = f"{API}/repos/demo-org/demo-repo/milestones"
TOKEN = "sc-pat-0123456789abcdef"  # a fake; checked never to leak
MILESTONE_ID = "0b8f2c2e-6a55-4c1e-9d3a-5f1c7d2e9a10"
BY_ID = f"{API}/milestones/id:{MILESTONE_ID}"
HEADERS = {"X-Request-Id": "5d0c1b8e-2f37-4a4e-8f0d-0a1b2c3d4e5f", "Server": "nginx"}


def milestone(slug: str = "v1-0", name: str = "v1.0", **fields: Any) -> dict[str, Any]:
    """A milestone as SourceCraft serialises it, author and stamps included."""
    body: dict[str, Any] = {
        "id": MILESTONE_ID, "name": name, "slug": slug, "description": "The first stable release.",
        "start_date": "2016-01-18T00:00:00Z", "deadline": "2016-03-01T00:00:00Z",
        "status": "open", "author": {"id": "7c1e0f4a-1b2c-4d3e-8f9a-0b1c2d3e4f5a",
                                     "slug": "scbridge-bot"},
        "updated_by": None, "created_at": "2025-12-01T10:00:00.123Z",
        "updated_at": "2025-12-01T10:00:00.123Z"}
    body.update(fields)
    return body


def envelope(code: str, message: str, request_id: str = "9f1d3c2a-77aa-4bcd-9e01-23456789abcd",
             **details: str) -> dict[str, Any]:
    """SourceCraft's error body: every 4xx and 5xx carries it."""
    return {"error_code": code, "message": message, "request_id": request_id, "details": details}


def sc(*, silent: bool = True, page_size: int = 100, max_attempts: int = 3) -> SourceCraftClient:
    http = HttpClient(API, kind="target", headers={"Authorization": f"Bearer {TOKEN}"},
                      http=HttpConfig(max_attempts=max_attempts), sleep=lambda _s: None,
                      jitter=lambda: 0.0, clock=lambda: 0.0)
    return SourceCraftClient(http, org="demo-org", repo="demo-repo", silent=silent,
                             page_size=page_size)


def target(**fields: Any) -> TargetMilestone:
    return parse_milestone(milestone(**fields))


class TestParseMilestone:
    def test_reads_every_managed_field(self) -> None:
        """Each managed field and the id and updated_at come from the API's milestone object."""
        got = parse_milestone(milestone(status="closed"))
        assert got == TargetMilestone(
            id=MILESTONE_ID, name="v1.0", slug="v1-0", description="The first stable release.",
            start_date="2016-01-18T00:00:00Z", deadline="2016-03-01T00:00:00Z", status="closed",
            updated_at="2025-12-01T10:00:00.123Z")

    def test_nulls_become_empty_description_and_no_dates(self) -> None:
        """A null description reads as empty and null dates stay None."""
        got = parse_milestone(milestone(description=None, start_date=None, deadline=None))
        assert (got.description, got.start_date, got.deadline) == ("", None, None)

    @pytest.mark.parametrize("data", [[], "v1-0", {"name": "v1.0"}, {"slug": 3}, None],
                             ids=["list", "string", "no-slug", "slug-not-text", "null"])
    def test_refuses_what_is_not_a_milestone(self, data: Any) -> None:
        """Anything without a text slug is a FatalApiError, never a half-read milestone."""
        with pytest.raises(FatalApiError, match="not a milestone"):
            parse_milestone(data)


class TestListing:
    @responses.activate
    def test_follows_page_tokens_keeping_other_parameters(self) -> None:
        """Every page is read, each token asked with the same page_size, until none comes."""
        responses.get(BASE, json={"items": [milestone("a", "A")], "next_page_token": "t1"},
                      headers=HEADERS, match=[matchers.query_param_matcher({"page_size": "2"})])
        responses.get(BASE, json={"items": [milestone("b", "B")], "next_page_token": "t2"},
                      headers=HEADERS, match=[matchers.query_param_matcher(
                          {"page_size": "2", "page_token": "t1"})])
        responses.get(BASE, json={"items": [milestone("c", "C")], "next_page_token": ""},
                      headers=HEADERS, match=[matchers.query_param_matcher(
                          {"page_size": "2", "page_token": "t2"})])
        pages = list(sc(page_size=2).milestone_pages())
        assert [[m.slug for m in page] for page in pages] == [["a"], ["b"], ["c"]]

    @responses.activate
    def test_last_page_may_leave_the_token_out(self) -> None:
        """A page without `next_page_token` ends the listing."""
        responses.get(BASE, json={"items": []}, headers=HEADERS)
        assert list(sc().milestone_pages()) == [[]]
        assert len(responses.calls) == 1

    @responses.activate
    def test_a_repeated_token_stops_instead_of_looping(self) -> None:
        """A server handing back a token already followed is an error, not an endless walk."""
        responses.get(BASE, json={"items": [], "next_page_token": "same"}, headers=HEADERS)
        with pytest.raises(FatalApiError, match="repeated page token"):
            list(sc().milestone_pages())

    @responses.activate
    def test_a_listing_without_items_is_refused(self) -> None:
        """A 200 whose body has no `items` list is not read as an empty repository."""
        responses.get(BASE, json={"milestones": []}, headers=HEADERS)
        with pytest.raises(FatalApiError, match="no 'items'"):
            list(sc().milestone_pages())

    @responses.activate
    def test_a_503_storm_on_a_page_is_ridden_out(self) -> None:
        """Listing is a read: 503 and 429 answers are retried until the page comes."""
        responses.get(BASE, status=503, json=envelope("Unavailable", "503"), headers=HEADERS)
        responses.get(BASE, status=429, json=envelope("TooManyRequests", "slow down"),
                      headers={**HEADERS, "Retry-After": "0"})
        responses.get(BASE, json={"items": [milestone()]}, headers=HEADERS)
        assert [m.slug for page in sc().milestone_pages() for m in page] == ["v1-0"]
        assert len(responses.calls) == 3

    @responses.activate
    def test_bearer_token_goes_in_the_header(self) -> None:
        """Reads authenticate with `Authorization: Bearer`, never a query parameter."""
        responses.get(BASE, json={"items": []}, headers=HEADERS,
                      match=[matchers.header_matcher({"Authorization": f"Bearer {TOKEN}"})])
        list(sc().milestone_pages())
        assert TOKEN not in (responses.calls[0].request.url or "")


class TestGet:
    @responses.activate
    def test_found(self) -> None:
        """A 200 is the milestone with that slug."""
        responses.get(f"{BASE}/v1-0", json=milestone(), headers=HEADERS)
        found = sc().get("v1-0")
        assert found is not None
        assert found.id == MILESTONE_ID

    @responses.activate
    def test_404_means_absent(self) -> None:
        """SourceCraft's 404 envelope reads as None: the slug is certainly free."""
        responses.get(f"{BASE}/v1-0", status=404, headers=HEADERS,
                      json=envelope("NotFound", 'milestone "v1-0" not found'))
        assert sc().get("v1-0") is None

    @responses.activate
    def test_401_is_raised_with_request_id(self) -> None:
        """Refused credentials are not 'absent': the error carries status and request id."""
        responses.get(f"{BASE}/v1-0", status=401, headers=HEADERS,
                      json=envelope("Unauthenticated", "authentication required", "rid-401"))
        with pytest.raises(FatalApiError, match=r"request_id rid-401") as caught:
            sc().get("v1-0")
        assert (caught.value.status, caught.value.request_id) == (401, "rid-401")


class TestCreate:
    BODY: ClassVar[dict[str, str]] = {"name": "v1.0", "slug": "v1-0", "description": ""}

    @responses.activate
    def test_201_is_the_created_milestone_and_silent_is_sent(self) -> None:
        """The POST carries `?silent=true` and the body as given; a 201 body is read."""
        responses.post(BASE, status=201, json=milestone(), headers=HEADERS,
                       match=[matchers.query_param_matcher({"silent": "true"}),
                              matchers.json_params_matcher(self.BODY)])
        assert sc().create(self.BODY).id == MILESTONE_ID

    @responses.activate
    def test_silent_false_when_configured(self) -> None:
        """`target.silent: false` sends `?silent=false`."""
        responses.post(BASE, status=201, json=milestone(), headers=HEADERS,
                       match=[matchers.query_param_matcher({"silent": "false"})])
        sc(silent=False).create(self.BODY)
        assert len(responses.calls) == 1

    @responses.activate
    def test_200_is_success_too(self) -> None:
        """The older 200 answer to a create still counts as a success."""
        responses.post(BASE, status=200, json=milestone(), headers=HEADERS)
        assert sc().create(self.BODY).slug == "v1-0"

    @responses.activate
    @pytest.mark.parametrize("status", [201, 204])
    def test_a_2xx_without_body_is_looked_up(self, status: int) -> None:
        """A success with no body is followed by a GET of the slug, for the id."""
        responses.post(BASE, status=status, body=b"", headers=HEADERS)
        responses.get(f"{BASE}/v1-0", json=milestone(), headers=HEADERS)
        assert sc().create(self.BODY).id == MILESTONE_ID
        assert [c.request.method for c in responses.calls] == ["POST", "GET"]

    @responses.activate
    def test_400_keeps_the_request_id_in_the_message(self) -> None:
        """A refused create raises FatalApiError whose text has the envelope and request id."""
        responses.post(BASE, status=400, headers=HEADERS, json=envelope(
            "ValidationError", 'milestone with slug "v1-0" already exists', "rid-400",
            field="slug"))
        with pytest.raises(FatalApiError) as caught:
            sc().create(self.BODY)
        text = str(caught.value)
        assert "ValidationError" in text
        assert "already exists" in text
        assert "request_id rid-400" in text
        assert caught.value.request_id == "rid-400"
        assert TOKEN not in text

    @responses.activate
    @pytest.mark.parametrize("status", [500, 502, 503, 504])
    def test_5xx_is_ambiguous_and_sent_once(self, status: int) -> None:
        """A 5xx after a POST means the outcome is unknown: never retried inside the client."""
        responses.post(BASE, status=status, json=envelope("Internal", "boom"), headers=HEADERS)
        with pytest.raises(AmbiguousWriteError):
            sc().create(self.BODY)
        assert len(responses.calls) == 1

    @responses.activate
    @pytest.mark.parametrize("error", [requests.ReadTimeout(), requests.ConnectionError(
        "Connection aborted.")], ids=["timeout", "reset"])
    def test_timeout_and_reset_are_ambiguous(self, error: Exception) -> None:
        """A timeout or reset after sending is an unknown outcome, not a failure to retry."""
        responses.post(BASE, body=error)
        with pytest.raises(AmbiguousWriteError, match="outcome unknown"):
            sc().create(self.BODY)
        assert len(responses.calls) == 1

    @responses.activate
    def test_429_is_retriable_not_ambiguous(self) -> None:
        """A 429 was refused before acting, so it is RetriableApiError with the server's wait."""
        responses.post(BASE, status=429, json=envelope("TooManyRequests", "slow down"),
                       headers={**HEADERS, "Retry-After": "7"})
        with pytest.raises(RetriableApiError) as caught:
            sc().create(self.BODY)
        assert caught.value.retry_after == 7.0


class TestUpdate:
    @responses.activate
    def test_patch_goes_by_id_with_silent_and_reads_200(self) -> None:
        """A PATCH addresses the milestone by id, carries ?silent and reads the 200 body."""
        responses.patch(BY_ID, json=milestone(status="closed"), headers=HEADERS,
                        match=[matchers.query_param_matcher({"silent": "true"}),
                               matchers.json_params_matcher({"status": "closed"})])
        updated = sc().update(target(), {"status": "closed"})
        assert updated is not None
        assert updated.status == "closed"

    @responses.activate
    def test_204_is_success_without_body(self) -> None:
        """A 204 answer is a success the caller completes itself (None)."""
        responses.patch(BY_ID, status=204, headers=HEADERS)
        assert sc().update(target(), {"status": "closed"}) is None

    @responses.activate
    def test_without_id_the_slug_addresses_it(self) -> None:
        """A milestone known only by slug is patched through the repository path."""
        responses.patch(f"{BASE}/v1-0", json=milestone(status="closed"), headers=HEADERS)
        sc().update(TargetMilestone(id="", name="v1.0", slug="v1-0"), {"status": "closed"})
        assert len(responses.calls) == 1

    @responses.activate
    def test_a_429_and_503_storm_is_ridden_out(self) -> None:
        """PATCH is idempotent, so 429 and 5xx are retried until it lands."""
        responses.patch(BY_ID, status=429, headers={**HEADERS, "Retry-After": "0"},
                        json=envelope("TooManyRequests", "slow down"))
        responses.patch(BY_ID, status=503, headers=HEADERS, json=envelope("Unavailable", "x"))
        responses.patch(BY_ID, json=milestone(status="closed"), headers=HEADERS)
        assert sc(max_attempts=3).update(target(), {"status": "closed"}) is not None
        assert len(responses.calls) == 3
        assert all(json.loads(c.request.body or b"{}") == {"status": "closed"}
                   for c in responses.calls)


class TestDelete:
    @responses.activate
    def test_204_deletes(self) -> None:
        """DELETE by id answers 204 and returns quietly."""
        responses.delete(BY_ID, status=204, headers=HEADERS)
        sc().delete(target())
        assert len(responses.calls) == 1

    @responses.activate
    def test_already_gone_counts_as_deleted(self) -> None:
        """A 404 on delete means someone deleted it already: the goal is reached."""
        responses.delete(BY_ID, status=404, headers=HEADERS, json=envelope("NotFound", "gone"))
        sc().delete(target())

    @responses.activate
    def test_403_is_raised(self) -> None:
        """A read-only token's 403 is not swallowed."""
        responses.delete(BY_ID, status=403, headers=HEADERS,
                         json=envelope("PermissionDenied", "read-only"))
        with pytest.raises(FatalApiError) as caught:
            sc().delete(target())
        assert caught.value.status == 403
