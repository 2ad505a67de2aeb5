"""GitLab 8.x (Kaminari) pagination: page/per_page in, Link and X-* headers out, quirks included."""

from __future__ import annotations

import urllib.parse
from dataclasses import dataclass

from bridge.sandbox.messages import Request

DEFAULT_PER_PAGE = 20
MAX_PER_PAGE = 100


class BadParamError(ValueError):
    """A parameter GitLab's Grape would refuse with 400 `{"error": "<name> is invalid"}`."""


@dataclass(frozen=True, slots=True)
class Page:
    """The slice one request asks for, and the headers that describe it."""

    offset: int
    limit: int
    headers: list[tuple[str, str]]


def _int_param(request: Request, name: str, default: int) -> int:
    raw = request.param(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise BadParamError(f"{name} is invalid") from None


def paginate(request: Request, total: int, route_id: str | None) -> Page:
    """Kaminari's answer for `total` items: 0 or negative per_page means 20, over 100 is capped.

    `route_id` is the `:id` of the route: GitLab copies it into Link URLs as `id=`, next to
    every other query parameter (8.5+; `private_token` too, if it came as a parameter).
    """
    per_page = _int_param(request, "per_page", DEFAULT_PER_PAGE)
    per_page = DEFAULT_PER_PAGE if per_page <= 0 else min(per_page, MAX_PER_PAGE)
    if request.page_cap is not None:
        per_page = min(per_page, request.page_cap)
    page = max(1, _int_param(request, "page", 1))
    total_pages = -(-total // per_page)
    next_page = page + 1 if page < total_pages else None
    if request.repeat_page and next_page is not None:
        next_page = page  # a server bug: "next" is the page just served
    prev_page = page - 1 if page > 1 else None

    def link(number: int) -> str:
        pairs = [(k, v) for k, values in request.query.items()
                 if k not in ("page", "per_page", "id") for v in values]
        if route_id is not None:
            pairs.append(("id", route_id))
        pairs += [("page", str(number)), ("per_page", str(per_page))]
        query = "&".join(sorted(f"{urllib.parse.quote_plus(k, safe='')}="
                                f"{urllib.parse.quote_plus(v, safe='')}" for k, v in pairs))
        return f"<{request.link_base or request.base_url}{request.raw_path}?{query}>"

    links = []
    if next_page is not None:
        links.append(f'{link(next_page)}; rel="next"')
    if prev_page is not None:
        links.append(f'{link(prev_page)}; rel="prev"')
    links.append(f'{link(1)}; rel="first"')
    # An empty result says rel="last" with page=0 and X-Total-Pages: 0, as gitlab.com did.
    links.append(f'{link(total_pages)}; rel="last"')
    headers = [("Link", ", ".join(links)),
               ("X-Next-Page", str(next_page or "")), ("X-Page", str(page)),
               ("X-Per-Page", str(per_page)), ("X-Prev-Page", str(prev_page or "")),
               ("X-Total", str(total)), ("X-Total-Pages", str(total_pages))]
    return Page(offset=(page - 1) * per_page, limit=per_page, headers=headers)
