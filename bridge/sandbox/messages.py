"""What passes between the HTTP plumbing and a fake API: a parsed request and the answer."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass(slots=True)
class Request:
    """One parsed request; the app fills `auth`, `silent` and `logged_body` for the log."""

    method: str
    raw_path: str
    query: dict[str, list[str]]
    headers: dict[str, str]  # lower-case names
    body: bytes
    base_url: str  # scheme://host:port as the client addressed us
    request_id: str
    peer: str = ""
    page_cap: int | None = None
    link_base: str | None = None
    repeat_page: bool = False
    auth: str | None = None
    silent: bool | None = None
    logged_body: Any = None

    def param(self, name: str) -> str | None:
        """The first value of query parameter `name`, or None."""
        values = self.query.get(name)
        return values[0] if values else None


@dataclass(slots=True)
class Response:
    """What an app answers; Content-Length is always set from `body` when it is sent."""

    status: int
    body: bytes = b""
    content_type: str | None = "application/json"
    headers: list[tuple[str, str]] = field(default_factory=list)


class App(Protocol):
    """A fake API: answers requests and knows how its errors look."""

    name: str

    def handle(self, request: Request) -> Response:
        """Answer one request."""

    def error(self, request: Request, status: int, message: str) -> Response:
        """An error response shaped the way this API shapes them."""

    def kind(self, method: str) -> str:
        """The request-log kind of a request with `method`."""

    def route(self, path: str) -> str:
        """The name the request log counts a request on `path` under ("" for no route)."""
