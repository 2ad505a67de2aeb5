"""The issue header's date and upload links: the quick paths write what the general ones do."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from typing import Any, cast

from hypothesis import given, settings
from hypothesis import strategies as st

from bridge.kinds import issue_text

_UPLOAD = re.compile(r"(\]\()(/uploads/[0-9a-f]{32}/[^)\s]*)(\))")


def _day_by_strftime(moment: str | None) -> str:
    """`issue_text.day` as it was written first: always through strftime."""
    if not moment:
        return "an unknown date"
    utc = issue_text.utc_moment(moment)
    return moment if utc is None else utc.strftime("%Y-%m-%d %H:%M UTC")


_ZONES = st.sampled_from([None, UTC, timezone(timedelta(hours=5, minutes=30)),
                          timezone(timedelta(hours=-11))])
_MOMENTS = st.datetimes(min_value=datetime(2, 1, 1), max_value=datetime(9998, 12, 30),
                        timezones=cast(Any, _ZONES)).map(lambda d: d.isoformat())


@given(st.one_of(_MOMENTS, _MOMENTS.map(lambda s: s.replace("+00:00", "Z")),
                 st.just("2014-02-06T14:45:00.000Z"), st.just("0999-05-01T00:00:00Z"),
                 st.text(max_size=30), st.none()))
@settings(max_examples=500, deadline=None)
def test_the_header_date_is_what_strftime_writes(moment: str | None) -> None:
    """Any date-time GitLab may send (years 2 to 9998, any offset, Z or not), or none, or
    something else: the same text as strftime gives."""
    assert issue_text.day(moment) == _day_by_strftime(moment)


def test_a_year_before_1000_reads_as_strftime_writes_it() -> None:
    """The one case the quick path leaves to strftime."""
    assert issue_text.day("0999-05-01T10:20:00Z") == datetime(
        999, 5, 1, 10, 20).strftime("%Y-%m-%d %H:%M UTC")


_PIECES = st.sampled_from(["](", "/uploads/", "0123456789abcdef" * 2, "/f.png", ")", " ",
                           "](/uploads/", "x", "\n", "(", "]"])


@given(st.lists(_PIECES, max_size=12).map("".join), st.sampled_from([None, "", "https://g/p/"]))
@settings(max_examples=300, deadline=None)
def test_uploads_are_made_absolute_as_the_pattern_says(text: str, base: str | None) -> None:
    """Texts without `](/uploads/` skip the pattern and come back as they are; every other
    text is rewritten exactly as the pattern does."""
    expected = text if not base else _UPLOAD.sub(
        lambda m: f"{m.group(1)}{base.rstrip('/')}{m.group(2)}{m.group(3)}", text)
    assert issue_text.absolute_uploads(text, base) == expected
