"""The one place that turns an HTTP response into success, a retriable error or a fatal error."""

from __future__ import annotations

import html
import json
import re
import time
from collections.abc import Callable
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

import msgspec
import requests

from bridge.errors import FatalApiError, RetriableApiError

#: Statuses that mean "the same request may succeed later" (SPEC guarantee 6).
RETRIABLE_STATUSES = frozenset({429, 500, 502, 503, 504})

#: A `RateLimit-Reset` above this is a Unix time (GitLab's form), below it a number of seconds.
_EPOCH_THRESHOLD = 1_000_000_000

_PARSED = "_scbridge_json"
_MISSING = object()


def _one_line(text: str, limit: int = 160) -> str:
    """Plain text or HTML squeezed to one readable line: a page's title, else its text."""
    title = re.search(r"<title[^>]*>(.*?)</title>", text, flags=re.IGNORECASE | re.DOTALL)
    if title:
        text = title.group(1)
    else:
        text = re.sub(r"<(script|style)\b.*?</\1>", " ", text, flags=re.IGNORECASE | re.DOTALL)
        text = re.sub(r"<[^>]+>", " ", text)
    text = " ".join(html.unescape(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _flatten(value: Any) -> str:
    """GitLab's `message` may be an object of field -> [problems]; say it as one line."""
    if isinstance(value, dict):
        return "; ".join(f"{key} {_flatten(item)}" for key, item in value.items())
    if isinstance(value, list):
        return ", ".join(_flatten(item) for item in value)
    return str(value)


def describe_body(response: requests.Response) -> tuple[str, str | None]:
    """The server's own words about an error, and SourceCraft's request id when it sent one."""
    try:
        body = json.loads(response.content) if response.content else None
    except (ValueError, RecursionError):
        body = None
    if isinstance(body, dict):
        request_id = body.get("request_id")
        request_id = str(request_id) if request_id else None
        if "error_code" in body:  # SourceCraft's envelope
            text = f"{body.get('error_code')}: {_flatten(body.get('message', ''))}"
            if body.get("details"):
                text += f" ({_flatten(body['details'])})"
            if request_id:
                text += f" [request_id {request_id}]"
            return _one_line(text, 300), request_id
        for key in ("message", "error"):  # GitLab's two shapes
            if key in body:
                return _one_line(_flatten(body[key]), 300), request_id
        return _one_line(json.dumps(body)), request_id
    if body is not None:
        return _one_line(json.dumps(body)), None
    text = response.content.decode("utf-8", errors="replace") if response.content else ""
    return (_one_line(text) or response.reason or "no body"), None


def _now(response: requests.Response) -> float:
    """The server's idea of now (its `Date` header), so its dates are read on its clock."""
    try:
        return parsedate_to_datetime(response.headers["Date"]).timestamp()
    except (KeyError, TypeError, ValueError, IndexError):
        return time.time()


def retry_after(response: requests.Response) -> float | None:
    """Seconds to wait, per `Retry-After` (seconds or HTTP date), else `RateLimit-Reset`."""
    value = response.headers.get("Retry-After", "").strip()
    if value:
        try:
            return max(0.0, float(value))
        except ValueError:
            pass
        try:
            return max(0.0, parsedate_to_datetime(value).timestamp() - _now(response))
        except (TypeError, ValueError, IndexError):
            pass
    reset = response.headers.get("RateLimit-Reset", "").strip()
    try:
        seconds = float(reset)
    except ValueError:
        return None
    if seconds > _EPOCH_THRESHOLD:
        seconds -= _now(response)
    return max(0.0, seconds)


def _where(response: requests.Response) -> str:
    request = response.request
    path = urlsplit(request.url or "").path if request is not None else ""
    method = request.method if request is not None else "?"
    return f"{method} {path}"


def raise_for_response(response: requests.Response) -> None:
    """Return on 2xx; raise RetriableApiError on 429/5xx-retriable, FatalApiError otherwise."""
    status = response.status_code
    if 200 <= status < 300:
        return
    detail, request_id = describe_body(response)
    # GitLab's bodies repeat the status ({"message": "401 Unauthorized"}): say it once.
    head = "" if detail.startswith(str(status)) else f"{status} "
    message = f"{_where(response)}: {head}{detail}"
    if status in RETRIABLE_STATUSES:
        raise RetriableApiError(message, status=status, request_id=request_id,
                                retry_after=retry_after(response))
    raise FatalApiError(message, status=status, request_id=request_id)


def remember_json(response: requests.Response,
                  decoder: Callable[[bytes], Any] | None = None) -> Any:
    """Parse the body once and keep the result on the response; garbage is retriable.

    `decoder` is a client's fast typed reading of the body (msgspec); when it answers None
    (a body it cannot type), `json.loads` reads the body as before and the client's dict
    parsers judge it.
    """
    cached = getattr(response, _PARSED, _MISSING)
    if cached is not _MISSING:
        return cached
    if not response.content:
        raise RetriableApiError(f"{_where(response)}: {response.status_code} with an empty body",
                                status=None)
    data = decoder(response.content) if decoder is not None else None
    if data is None:
        try:
            data = _loads(response.content)
        except (ValueError, RecursionError):  # RecursionError: deeper than any real answer
            raise RetriableApiError(f"{_where(response)}: {response.status_code} with a body "
                                    f"that is not JSON: {_one_line(response.text, 80)!r}"
                                    ) from None
    setattr(response, _PARSED, data)
    return data


def _loads(body: bytes) -> Any:
    """What `json.loads(body)` answers, read by msgspec when it can (about twice as fast).

    Standard JSON decodes to the same values either way; what msgspec refuses (NaN, a
    number too large for a float, a byte-order mark, UTF-16, a lone surrogate, bytes that
    are not UTF-8) goes to `json.loads`, which accepts or refuses it as it always did.
    """
    try:
        return msgspec.json.decode(body)
    except msgspec.DecodeError:
        return json.loads(body)


def parse_json(response: requests.Response) -> Any:
    """The JSON body (None for a 204); an empty, truncated or non-JSON body is retriable."""
    if response.status_code == 204:
        return None
    return remember_json(response)
