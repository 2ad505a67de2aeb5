"""What every fake SourceCraft route shares: the error to raise, JSON answers, token pages."""

from __future__ import annotations

import base64
import functools
import hashlib
import json
from collections.abc import Callable, Sequence
from typing import Any

from bridge.sandbox.messages import Request, Response

DEFAULT_PAGE_SIZE = 50  # SourceCraft publishes neither default nor maximum; these are guesses
MAX_PAGE_SIZE = 100


class ApiError(Exception):
    """Ends a request with the error envelope."""

    def __init__(self, status: int, message: str, details: dict[str, str] | None = None) -> None:
        self.status = status
        self.details = details or {}
        super().__init__(message)


def json_response(status: int, payload: Any) -> Response:
    """A JSON answer, non-ASCII text kept as it is."""
    return Response(status, json.dumps(payload, ensure_ascii=False).encode(), "application/json")


def token_page(request: Request, items: Sequence[Any], binding: str, key: str,
               render: Callable[[Any], Any] = dict) -> Response:
    """One page of `items` under `key`, with `next_page_token` unless it is the last page.

    `binding` names the listing's other parameters: a token followed with others is a 400,
    as SourceCraft documents ("all other parameters must match").
    """
    size = page_size(request)
    bound = hashlib.sha256(binding.encode()).hexdigest()[:12]
    offset = read_token(request.param("page_token"), bound)
    chunk = items[offset: offset + size]
    payload: dict[str, Any] = {key: [render(item) for item in chunk]}
    if offset + size < len(items):
        # repeat_page: a server bug that hands back a token for the page just served.
        raw = json.dumps({"o": offset if request.repeat_page else offset + size,
                          "b": bound}).encode()
        payload["next_page_token"] = base64.urlsafe_b64encode(raw).decode().rstrip("=")
    return json_response(200, payload)


def page_size(request: Request) -> int:
    """`page_size` as asked (0 or absent: the default), capped, and capped by a page_cap fault."""
    raw = request.param("page_size") or "0"
    if not raw.isdigit():
        raise ApiError(400, f'page_size "{raw}" is not an unsigned integer', {"field": "page_size"})
    size = int(raw) or DEFAULT_PAGE_SIZE
    size = min(size, MAX_PAGE_SIZE)
    return min(size, request.page_cap) if request.page_cap is not None else size


def read_token(token: str | None, binding: str) -> int:
    """The offset a page token stands for; 400 if it is garbage or bound to other parameters."""
    if not token:
        return 0
    try:
        raw = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        offset, bound = int(raw["o"]), str(raw["b"])
    except (ValueError, KeyError, TypeError):
        raise ApiError(400, "page_token is invalid", {"field": "page_token"}) from None
    if bound != binding:
        raise ApiError(400, "page_token was issued for other parameters", {"field": "page_token"})
    return offset


def sort_items(items: list[dict[str, Any]], sort_by: str, sortable: Sequence[str]) -> None:
    """Order `items` in place by `sort_by` ("a, -b"); an unknown field is a 400."""
    for part in reversed([p.strip() for p in sort_by.split(",") if p.strip()]):
        field = part.lstrip("-")
        if field not in sortable:
            raise ApiError(400, f'cannot sort by "{part}"', {"field": "sort_by"})
        items.sort(key=functools.partial(_sort_key, field), reverse=part.startswith("-"))


def _sort_key(field: str, item: dict[str, Any]) -> tuple[int, Any]:
    value = item.get(field)
    if value is None:
        return (1, "")
    if isinstance(value, str) and value.isdigit():
        return (0, f"{int(value):020d}")  # issue numbers sort as numbers
    return (0, value)
