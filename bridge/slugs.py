"""SourceCraft slugs in one place: cleaning any text into a valid slug and suffixing clashes.

SourceCraft does not document its slug alphabet or length limit; the slugs it
generates itself are lower-case Latin letters, digits and hyphens, so that is
the only alphabet scbridge ever sends. The length bound (100) is our own: long
enough for any sensible milestone title, short enough for readable URLs and
well under the usual 255-character database columns.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache

#: The longest slug scbridge produces, suffixes included.
SLUG_MAX = 100

_VALID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


def make_slug(text: object) -> str:
    """Transliterate and clean `text` into a slug («Релиз 1.0» -> "reliz-1-0"); may be empty."""
    if text is None:
        return ""
    return str(_slugify()(str(text), max_length=SLUG_MAX, lowercase=True)).strip("-")


@cache
def _slugify() -> Callable[..., str]:
    """python-slugify, imported at the first slug: its tables are 5 ms a run need not wait for
    before its first request (the mapping is compiled then, not applied)."""
    from slugify import slugify  # noqa: PLC0415 - see the docstring

    return slugify


def is_valid_slug(slug: str) -> bool:
    """True when SourceCraft will accept `slug` as scbridge writes it."""
    return len(slug) <= SLUG_MAX and _VALID.match(slug) is not None


def fallback_slug(iid: int) -> str:
    """The slug of a milestone whose title leaves nothing usable (only emoji, say)."""
    return f"milestone-{iid}"


def with_suffix(base: str, n: int) -> str:
    """`base` with `-n` appended, cutting `base` first so the result stays within SLUG_MAX."""
    suffix = f"-{n}"
    return base[: SLUG_MAX - len(suffix)].rstrip("-") + suffix
