"""Small paginators: each reads one response and says what the next request is, or None."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlsplit, urlunsplit

import requests

from bridge.errors import FatalApiError
from bridge.net.classify import parse_json

if TYPE_CHECKING:
    from bridge.net.http import HttpClient


@dataclass(frozen=True)
class PageRequest:
    """Where the next page is: a path or same-server URL, its query, and its number if known."""

    url: str
    params: dict[str, Any] = field(default_factory=dict)
    page: int | None = None


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None


class LinkHeaderPaginator:
    """`Link: <...>; rel="next"`, the only pagination GitLab up to 8.3 sends.

    Before 8.5 those URLs drop the request's filters, so every original parameter the
    link lacks is put back; parameters the link carries win.
    """

    def next_request(self, response: requests.Response, params: Mapping[str, Any]
                     ) -> PageRequest | None:
        """The `rel="next"` target with the original filters re-applied, or None."""
        link = response.links.get("next", {}).get("url")
        if not link:
            return None
        parts = urlsplit(link)
        query: dict[str, Any] = dict(parse_qsl(parts.query, keep_blank_values=True))
        for key, value in params.items():
            query.setdefault(key, value)
        url = urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))
        return PageRequest(url, query, _int(str(query.get("page", ""))))


class XNextPagePaginator:
    """`X-Next-Page: N` (GitLab 8.4 and later), an empty string on the last page."""

    def __init__(self, path: str) -> None:
        self.path = path

    def next_request(self, response: requests.Response, params: Mapping[str, Any]
                     ) -> PageRequest | None:
        """The same path and parameters with `page=N`, or None on the last page.

        Page numbers count in the server's page size, so its `X-Per-Page` is used when it
        capped ours: asking page 2 at our size after a capped page 1 would skip items.
        """
        page = _int(response.headers.get("X-Next-Page"))
        if page is None:
            return None
        query = {**params, "page": page}
        per_page = _int(response.headers.get("X-Per-Page"))
        if per_page is not None and "per_page" in query:
            query["per_page"] = per_page
        return PageRequest(self.path, query, page)


class GitLabPaginator:
    """Link rel=next, else X-Next-Page; never a short page, never totals; no page twice."""

    def __init__(self, path: str, params: Mapping[str, Any]) -> None:
        self.params = dict(params)
        self._link = LinkHeaderPaginator()
        self._header = XNextPagePaginator(path)
        self._seen: set[int | str] = set()

    def first(self, path: str) -> PageRequest:
        """The request for the first page."""
        return PageRequest(path, dict(self.params), None)

    def next_request(self, response: requests.Response) -> PageRequest | None:
        """What to ask for after this response; FatalApiError if it would repeat a page."""
        self._seen.add(self._identity_of_current(response))
        following = (self._link.next_request(response, self.params)
                     or self._header.next_request(response, self.params))
        if following is None:
            return None
        if following.page is not None and following.page < 1:
            # Page numbers start at 1; a server that says otherwise would be asked forever.
            raise FatalApiError(f"the server named page {following.page} as the next one, "
                                "which cannot exist; stopping instead of looping")
        identity = following.page if following.page is not None else following.url
        if identity in self._seen:
            raise FatalApiError(f"the server sent a repeated page ({identity}) as the next one; "
                                "stopping instead of looping")
        return following

    def mark_seen(self, page: int) -> None:
        """Record a page fetched ahead of its turn, so a later link back to it is refused."""
        self._seen.add(page)

    @staticmethod
    def _identity_of_current(response: requests.Response) -> int | str:
        page = _int(response.headers.get("X-Page"))
        if page is None and response.request is not None and response.request.url:
            query = dict(parse_qsl(urlsplit(response.request.url).query))
            page = _int(query.get("page")) or 1
        return page if page is not None else 1


class PageTokenPaginator:
    """SourceCraft's `next_page_token`: the same other parameters, the token added."""

    def __init__(self) -> None:
        self._seen: set[str] = set()

    def next_params(self, body: Any, params: Mapping[str, Any]) -> dict[str, Any] | None:
        """The parameters of the next page, or None when the body carries no token."""
        token = body.get("next_page_token") if isinstance(body, dict) else None
        if not token:
            return None
        token = str(token)
        current = params.get("page_token")
        if current is not None:
            self._seen.add(str(current))
        if token in self._seen:
            raise FatalApiError(f"SourceCraft sent a repeated page token ({token[:20]}); "
                                "stopping instead of looping")
        self._seen.add(token)
        return {**params, "page_token": token}


def token_pages(client: HttpClient, path: str, items_key: str,
                params: Mapping[str, Any]) -> Iterator[list[Any]]:
    """Every page of a SourceCraft list, following `next_page_token`, one list per page.

    `items_key` names the list in the body (`items`, `issues`, `issue_comments`); a body
    without it is an answer the API never promised, so it is refused, not read as empty.
    """
    paginator = PageTokenPaginator()
    query = dict(params)
    while True:
        body = parse_json(client.get(path, params=query))
        items = body.get(items_key) if isinstance(body, dict) else None
        if not isinstance(items, list):
            raise FatalApiError(f"SourceCraft's list at {path} has no {items_key!r} list")
        yield items
        following = paginator.next_params(body, query)
        if following is None:
            return
        query = following


class _Ahead:
    """Pages fetched ahead on a bounded pool, handed out strictly in page order.

    At most `workers` responses are in flight or waiting, so memory stays bounded
    however many pages the server announces.
    """

    def __init__(self, client: HttpClient, workers: int,
                 decoder: Callable[[bytes], Any] | None = None) -> None:
        self._client, self._workers, self._decoder = client, workers, decoder
        self._url = ""
        self._params: dict[str, Any] = {}
        self._pool: ThreadPoolExecutor | None = None
        self._pending: deque[tuple[int, Future[requests.Response]]] = deque()
        self._next = 0
        self.horizon = 0  # the last page scheduled

    def schedule(self, following: PageRequest, last: int) -> None:
        """Plan pages following.page..last, each asked exactly as `following` but for its number.

        Only `workers` of them are requested at a time.
        """
        assert following.page is not None
        self._url, self._params = following.url, dict(following.params)
        if self._pool is None:
            self._pool = ThreadPoolExecutor(self._workers, thread_name_prefix="scbridge-page")
        self._next, self.horizon = following.page, last
        self._top_up()

    def take(self, page: int) -> requests.Response | None:
        """The response for `page` if it is the next one fetched ahead, else None."""
        if not self._pending or self._pending[0][0] != page:
            self.close()  # the walk went elsewhere: what was fetched ahead is not wanted
            return None
        _, future = self._pending.popleft()
        self._top_up()
        return future.result()

    def close(self) -> None:
        """Drop whatever is still queued; requests already running finish on their own."""
        for _, future in self._pending:
            future.cancel()
        self._pending.clear()
        self._next = self.horizon + 1
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None

    def _top_up(self) -> None:
        assert self._pool is not None
        while self._next <= self.horizon and len(self._pending) < self._workers:
            params = {**self._params, "page": self._next}
            self._pending.append((self._next, self._pool.submit(
                self._client.get, self._url, params, decoder=self._decoder)))
            self._next += 1


def _page_items(response: requests.Response, what: str) -> list[Any]:
    data = parse_json(response)
    if not isinstance(data, list):
        raise FatalApiError(f"GitLab answered a page of {what} with a JSON "
                            f"{type(data).__name__} where a list belongs: {str(data)[:120]!r}")
    return data


def walk_pages(client: HttpClient, path: str, params: Mapping[str, Any], *,
               concurrency: int = 1, what: str = "items",
               decoder: Callable[[bytes], Any] | None = None) -> Iterator[list[Any]]:
    """Every page of a GitLab list, in order, one list per page, streamed.

    The end is an empty page or a response with no next page; totals only decide which
    pages may be fetched ahead (when the server states them and `concurrency` > 1), and
    the walk goes on past them if the server keeps offering a next page. A page `decoder`
    could type holds its typed records, any other page plain JSON values.
    """
    paginator = GitLabPaginator(path, params)
    ahead = _Ahead(client, max(1, concurrency), decoder)
    try:
        request = paginator.first(path)
        response = client.get(request.url, request.params, decoder=decoder)
        while True:
            items = _page_items(response, what)
            try:
                following = paginator.next_request(response) if items else None
            except FatalApiError:
                yield items  # the page itself is good; only the way on is not
                raise
            if following is None:
                yield items
                return
            total = _int(response.headers.get("X-Total-Pages"))
            page = following.page
            if (concurrency > 1 and total is not None and page is not None
                    and ahead.horizon < page <= total):
                ahead.schedule(following, total)  # before the page is handed out: in flight
            yield items                           # while the caller works on it
            fetched = ahead.take(page) if page is not None and page <= ahead.horizon else None
            if fetched is None:
                fetched = client.get(following.url, following.params, decoder=decoder)
            response = fetched
    finally:
        ahead.close()
