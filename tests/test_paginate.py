"""Paginators and the page walk: links, X-Next-Page, page tokens, repeats, totals never trusted."""

from __future__ import annotations

import json
import threading
from typing import Any
from urllib.parse import urlencode

import pytest
import requests
import responses
from responses import matchers

from bridge.config import HttpConfig
from bridge.errors import FatalApiError
from bridge.net.http import HttpClient
from bridge.net.paging import (
    GitLabPaginator,
    LinkHeaderPaginator,
    PageTokenPaginator,
    XNextPagePaginator,
    walk_pages,
)

GITLAB = "https://gitlab.example.com"
PATH = "/api/v3/projects/13083/issues"

#: Headers gitlab.com sent with every API answer (GitLab release-tools cassettes, 2016).
BASE_HEADERS = {"Server": "nginx", "Date": "Thu, 21 Apr 2016 08:28:33 GMT",
                "Cache-Control": "max-age=0, private, must-revalidate", "Vary": "Origin",
                "X-Request-Id": "409c83df-099c-46b0-b469-0891fc03b05f", "X-Runtime": "1.619970"}


def link(page: int, params: dict[str, Any], rel: str) -> str:
    return f'<{GITLAB}{PATH}?{urlencode({**params, "page": page})}>; rel="{rel}"'


def headers(page: int, pages: int, params: dict[str, Any], *, style: str = "8.5",
            stated_total: int | None = None) -> dict[str, str]:
    """What GitLab of a given era sends for page `page` of `pages` (8.3: Link only)."""
    total = pages if stated_total is None else stated_total
    rels = [link(page + 1, params, "next")] if page < pages else []
    rels += [link(1, params, "first"), link(max(total, 1), params, "last")]
    result = {**BASE_HEADERS, "Link": ", ".join(rels)}
    if style != "8.3":
        result.update({"X-Page": str(page), "X-Per-Page": str(params.get("per_page", 20)),
                       "X-Next-Page": str(page + 1) if page < pages else "",
                       "X-Prev-Page": str(page - 1) if page > 1 else "",
                       "X-Total-Pages": str(total), "X-Total": str(total * 2)})
    if style == "x-only":
        del result["Link"]
    return result


def issue(n: int) -> dict[str, Any]:
    return {"id": 1000 + n, "iid": n, "project_id": 13083, "title": f"issue {n}",
            "state": "opened", "milestone": None}


def register(pages: list[list[dict[str, Any]]], params: dict[str, Any], *, style: str = "8.5",
             stated_total: int | None = None) -> None:
    """One `responses` entry per page, each matching only its own query."""
    for number, items in enumerate(pages, start=1):
        query = {key: str(value) for key, value in params.items()}
        if number > 1:
            query["page"] = str(number)
        responses.get(f"{GITLAB}{PATH}", json=items,
                      headers=headers(number, len(pages), params, style=style,
                                      stated_total=stated_total),
                      match=[matchers.query_param_matcher(query, strict_match=False)])


def client(concurrency: int = 1) -> HttpClient:
    return HttpClient(GITLAB, kind="source", headers={"PRIVATE-TOKEN": "t0ken"},
                      http=HttpConfig(concurrency=concurrency), sleep=lambda _s: None)


def answer(headers: dict[str, str], url: str = f"{GITLAB}{PATH}") -> requests.Response:
    response = requests.Response()
    response.status_code = 200
    response.headers.update(headers)
    response.request = requests.Request("GET", url).prepare()
    return response


def pages_requested() -> list[str | None]:
    return [dict(call.request.params).get("page") for call in responses.calls]  # type: ignore[attr-defined]


class TestLinkHeaderPaginator:
    def test_pre_8_5_link_gets_the_filters_back(self) -> None:
        """A next link that dropped `labels` and `state` is followed with them re-applied."""
        response = answer({"Link": f'<{GITLAB}{PATH}?page=2&per_page=100>; rel="next"'})
        following = LinkHeaderPaginator().next_request(
            response, {"labels": "release", "state": "opened", "per_page": 100})
        assert following is not None
        assert following.url == f"{GITLAB}{PATH}"
        assert following.params == {"page": "2", "per_page": "100", "labels": "release",
                                    "state": "opened"}
        assert following.page == 2

    def test_link_values_win_over_originals(self) -> None:
        """Parameters the link does carry are taken from the link."""
        response = answer({"Link": f'<{GITLAB}{PATH}?page=3&per_page=20>; rel="next"'})
        following = LinkHeaderPaginator().next_request(response, {"page": 2, "per_page": 100})
        assert following is not None
        assert following.params == {"page": "3", "per_page": "20"}

    def test_no_next_rel(self) -> None:
        """first and last links alone (GitLab 8.3's last page) mean no next page."""
        response = answer({"Link": f'<{GITLAB}{PATH}?page=1&per_page=0>; rel="first", '
                                   f'<{GITLAB}{PATH}?page=1&per_page=0>; rel="last"'})
        assert LinkHeaderPaginator().next_request(response, {}) is None


class TestXNextPagePaginator:
    @pytest.mark.parametrize(("value", "page"), [("2", 2), ("", None), ("junk", None)])
    def test_next_page_header(self, value: str, page: int | None) -> None:
        """X-Next-Page names the next page; the empty string on the last page means none."""
        following = XNextPagePaginator(PATH).next_request(answer({"X-Next-Page": value}),
                                                          {"per_page": 100})
        assert (following.page if following else None) == page
        if following:
            assert following.params == {"per_page": 100, "page": 2}
            assert following.url == PATH


    def test_server_page_size_is_kept(self) -> None:
        """After the server capped per_page (X-Per-Page 20), page 2 is asked at 20, not 100."""
        response = answer({"X-Next-Page": "2", "X-Per-Page": "20"})
        following = XNextPagePaginator(PATH).next_request(response, {"per_page": 100})
        assert following is not None
        assert following.params == {"per_page": 20, "page": 2}


class TestGitLabPaginator:
    def test_link_is_preferred(self) -> None:
        """With both, rel=next is followed."""
        response = answer({"Link": f'<{GITLAB}{PATH}?page=4>; rel="next"', "X-Next-Page": "2"})
        following = GitLabPaginator(PATH, {}).next_request(response)
        assert following is not None
        assert following.page == 4

    def test_repeated_page_is_refused(self) -> None:
        """A next page equal to the current one raises instead of looping forever."""
        response = answer({"X-Page": "3", "X-Next-Page": "3"})
        with pytest.raises(FatalApiError, match="repeated page"):
            GitLabPaginator(PATH, {}).next_request(response)

    def test_going_back_is_refused(self) -> None:
        """A next link back to a page already read is refused too."""
        paginator = GitLabPaginator(PATH, {})
        paginator.next_request(answer({"X-Page": "1", "X-Next-Page": "2"}))
        with pytest.raises(FatalApiError, match="repeated page"):
            paginator.next_request(answer({"X-Page": "2", "X-Next-Page": "1"}))

    def test_current_page_from_the_request_when_headers_lack_it(self) -> None:
        """Without X-Page (GitLab 8.3) the current page is read from the request URL."""
        response = answer({"Link": f'<{GITLAB}{PATH}?page=2>; rel="next"'},
                          url=f"{GITLAB}{PATH}?page=2")
        with pytest.raises(FatalApiError, match="repeated page"):
            GitLabPaginator(PATH, {}).next_request(response)


class TestPageTokenPaginator:
    def test_token_added_to_the_same_params(self) -> None:
        """The next request keeps every other parameter and adds the token."""
        params = {"page_size": 100, "filter": "status=open"}
        assert PageTokenPaginator().next_params({"items": [], "next_page_token": "abc"},
                                                params) == {**params, "page_token": "abc"}

    @pytest.mark.parametrize("body", [{"items": []}, {"items": [], "next_page_token": ""},
                                      {"items": [], "next_page_token": None}, []])
    def test_no_token_is_the_end(self, body: Any) -> None:
        """A missing or empty token ends the listing."""
        assert PageTokenPaginator().next_params(body, {"page_size": 100}) is None

    def test_repeated_token_is_refused(self) -> None:
        """A token that comes back again raises instead of looping."""
        paginator = PageTokenPaginator()
        params = paginator.next_params({"next_page_token": "t1"}, {})
        assert params == {"page_token": "t1"}
        with pytest.raises(FatalApiError, match="repeated page token"):
            paginator.next_params({"next_page_token": "t1"}, params)


WALK_PARAMS: dict[str, Any] = {"order_by": "created_at", "sort": "asc", "per_page": 2}
WALK_PAGES = [[issue(1), issue(2)], [issue(3), issue(4)], [issue(5), issue(6)], [issue(7)]]


class TestWalkPages:

    @pytest.mark.parametrize("style", ["8.3", "8.5", "x-only"])
    @responses.activate
    def test_every_page_in_order(self, style: str) -> None:
        """Link-only (8.3), Link plus X-* (8.5+) and X-Next-Page alone all reach the last page."""
        register(WALK_PAGES, WALK_PARAMS, style=style)
        got = list(walk_pages(client(), PATH, WALK_PARAMS))
        assert got == WALK_PAGES
        assert pages_requested() == [None, "2", "3", "4"]

    @responses.activate
    def test_pre_8_5_links_keep_filters(self) -> None:
        """Following a Link that dropped the filters still sends them (query_param_matcher)."""
        params = {"labels": "release", "per_page": 2}
        responses.get(f"{GITLAB}{PATH}", json=[issue(1), issue(2)],
                      headers={**BASE_HEADERS,
                               "Link": f'<{GITLAB}{PATH}?page=2&per_page=2>; rel="next"'},
                      match=[matchers.query_param_matcher({"labels": "release", "per_page": "2"})])
        responses.get(f"{GITLAB}{PATH}", json=[issue(3)], headers=BASE_HEADERS,
                      match=[matchers.query_param_matcher(
                          {"labels": "release", "per_page": "2", "page": "2"})])
        assert [len(page) for page in walk_pages(client(), PATH, params)] == [2, 1]

    @responses.activate
    def test_a_short_page_is_not_the_end(self) -> None:
        """A page with fewer items than per_page is followed by the next one if offered."""
        pages = [[issue(1)], [issue(2), issue(3)]]
        register(pages, WALK_PARAMS)
        assert list(walk_pages(client(), PATH, WALK_PARAMS)) == pages

    @responses.activate
    def test_an_empty_page_is_the_end(self) -> None:
        """An empty page ends the walk even if it names a next page."""
        register([[issue(1)], [], [issue(9)]], WALK_PARAMS)
        assert list(walk_pages(client(), PATH, WALK_PARAMS)) == [[issue(1)], []]
        assert len(responses.calls) == 2

    @responses.activate
    def test_empty_result_recorded_from_gitlab(self) -> None:
        """GitLab's empty list (X-Total-Pages 0, rel=last page=0) is one empty page."""
        responses.get(f"{GITLAB}{PATH}", json=[], headers={
            **BASE_HEADERS, "X-Next-Page": "", "X-Page": "1", "X-Per-Page": "20",
            "X-Prev-Page": "", "X-Total": "0", "X-Total-Pages": "0",
            "Link": f'<{GITLAB}{PATH}?id=13083&labels=Release&milestone=7.14&page=1&per_page=20>;'
                    f' rel="first", <{GITLAB}{PATH}?id=13083&labels=Release&milestone=7.14&page=0'
                    f'&per_page=20>; rel="last"'})
        assert list(walk_pages(client(4), PATH, {})) == [[]]

    @responses.activate
    def test_totals_are_not_trusted(self) -> None:
        """X-Total-Pages saying 1 does not stop a walk that is offered page 2."""
        register([[issue(1)], [issue(2)]], WALK_PARAMS, stated_total=1)
        assert len(list(walk_pages(client(), PATH, WALK_PARAMS))) == 2

    @responses.activate
    def test_object_where_a_list_belongs(self) -> None:
        """A JSON object instead of a page is a clear FatalApiError."""
        responses.get(f"{GITLAB}{PATH}", json={"message": "hello"}, headers=BASE_HEADERS)
        with pytest.raises(FatalApiError, match="JSON dict where a list belongs"):
            list(walk_pages(client(), PATH, {}, what="issues"))

    @responses.activate
    def test_foreign_next_link_is_never_followed(self) -> None:
        """A next link to another host raises before anything is sent there."""
        responses.get(f"{GITLAB}{PATH}", json=[issue(1)], headers={
            **BASE_HEADERS, "Link": '<https://collector.example.org/steal?page=2>; rel="next"'})
        with pytest.raises(FatalApiError, match="refusing to follow"):
            list(walk_pages(client(), PATH, {}))
        assert [call.request.url for call in responses.calls] == [f"{GITLAB}{PATH}"]

    @responses.activate
    def test_repeated_page_from_the_server(self) -> None:
        """A server whose page 2 names page 2 as next is stopped with FatalApiError."""
        responses.get(f"{GITLAB}{PATH}", json=[issue(1)],
                      headers={**BASE_HEADERS, "X-Page": "1", "X-Next-Page": "2"},
                      match=[matchers.query_param_matcher({})])
        responses.get(f"{GITLAB}{PATH}", json=[issue(2)],
                      headers={**BASE_HEADERS, "X-Page": "2", "X-Next-Page": "2"},
                      match=[matchers.query_param_matcher({"page": "2"})])
        got: list[list[dict[str, Any]]] = []
        with pytest.raises(FatalApiError, match="repeated page"):
            got.extend(walk_pages(client(), PATH, {}))
        assert got == [[issue(1)], [issue(2)]]  # the page that names itself is still handed out


class TestConcurrentWalk:
    def walk(self, pages: list[list[dict[str, Any]]], concurrency: int, *,
             stated_total: int | None = None) -> list[list[dict[str, Any]]]:
        params = {"per_page": 2}
        self.threads: list[str] = []

        def reply(request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
            self.threads.append(threading.current_thread().name)
            number = int(dict(request.params).get("page", 1))  # type: ignore[attr-defined]
            page_headers = headers(number, len(pages), params, stated_total=stated_total)
            return 200, page_headers, json.dumps(pages[number - 1])

        with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
            mock.add_callback(responses.GET, f"{GITLAB}{PATH}", callback=reply,
                              content_type="application/json",
                              match=[matchers.query_param_matcher(params, strict_match=False)])
            result = list(walk_pages(client(concurrency), PATH, params,
                                     concurrency=concurrency))
            self.calls = len(mock.calls)
        return result

    @pytest.mark.parametrize("concurrency", [2, 4, 16])
    def test_same_as_sequential_item_for_item(self, concurrency: int) -> None:
        """Fetching ahead on a pool yields exactly the sequential walk, each page once."""
        pages = [[issue(2 * n), issue(2 * n + 1)] for n in range(9)] + [[issue(99)]]
        sequential = self.walk(pages, 1)
        assert self.walk(pages, concurrency) == sequential == pages
        assert self.calls == len(pages)
        assert sum(name.startswith("scbridge-page") for name in self.threads) == len(pages) - 1

    def test_goes_on_past_the_stated_total(self) -> None:
        """If the server keeps offering pages beyond X-Total-Pages, they are read too."""
        pages = [[issue(n)] for n in range(6)]
        assert self.walk(pages, 4, stated_total=3) == pages

    def test_stops_at_an_empty_page_inside_the_total(self) -> None:
        """An empty page inside the stated total ends the walk there, as sequentially."""
        pages = [[issue(1)], [issue(2)], [], [issue(4)], [issue(5)]]
        assert self.walk(pages, 4) == [[issue(1)], [issue(2)], []]

    def test_the_next_pages_are_asked_while_the_caller_holds_the_first(self) -> None:
        """Pages ahead are in flight before page 1 is handed out, not once the caller asks
        for page 2: a caller busy elsewhere (the milestones) loses no round trip."""
        params = {"per_page": 1}
        asked = threading.Event()

        def reply(request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
            number = int(dict(request.params).get("page", 1))  # type: ignore[attr-defined]
            if number == 2:
                asked.set()
            return 200, headers(number, 3, params), json.dumps([issue(number)])

        with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
            mock.add_callback(responses.GET, f"{GITLAB}{PATH}", callback=reply,
                              content_type="application/json")
            walk = walk_pages(client(4), PATH, params, concurrency=4)
            assert next(walk) == [issue(1)]
            assert asked.wait(10), "page 2 was not asked until the caller wanted it"
            assert list(walk) == [[issue(2)], [issue(3)]]
