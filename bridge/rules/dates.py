"""GitLab calendar dates to SourceCraft date-times without ever moving a date to another day.

GitLab's `due_date` and `start_date` are bare dates; SourceCraft's `deadline`
and `start_date` are instants. The mapping chooses a time of day and a zone;
the date is placed at that wall-clock time in that zone and written in UTC
(`Z`), the form SourceCraft answers with, so a mirror run compares equal
strings. Each result is read back in the zone: if the day comes out different
(a day skipped by a zone change, such as 2011-12-30 in Pacific/Apia), the
record fails rather than getting a neighbouring day.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")
_TIME = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?$")
_OFFSET = re.compile(r"^([+-])(\d{2}):(\d{2})$")
_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})$")


class RecordError(Exception):
    """One milestone cannot be mapped; the run goes on and the milestone is reported as failed."""


def parse_time(text: str) -> time | None:
    """`HH:MM` or `HH:MM:SS` as a time of day, None when it is not one."""
    match = _TIME.match(text.strip())
    if not match:
        return None
    hour, minute, second = int(match[1]), int(match[2]), int(match[3] or 0)
    if hour > 23 or minute > 59 or second > 59:
        return None
    return time(hour, minute, second)


def parse_zone(text: str) -> tzinfo | None:
    """`UTC`, a fixed offset like `+03:00`, or an IANA name like `Europe/Berlin`, else None."""
    name = text.strip()
    if name in ("UTC", "Z"):
        return UTC
    match = _OFFSET.match(name)
    if match:
        hours, minutes = int(match[2]), int(match[3])
        if hours > 23 or minutes > 59:
            return None
        delta = timedelta(hours=hours, minutes=minutes)
        return timezone(-delta if match[1] == "-" else delta)
    # Only a named zone needs zoneinfo (and the time-zone database it looks up): imported
    # here, a mapping in UTC or at an offset compiles without it (start-up time).
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError  # noqa: PLC0415 - see above

    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def is_datetime(text: str) -> bool:
    """True for an RFC 3339 date-time with a zone, the only date form SourceCraft is sent."""
    return _RFC3339.match(text) is not None


def _utc_text(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True, slots=True)
class DateSettings:
    """Where on its day a calendar date is placed: a wall-clock time in a zone."""

    at: time = time(0, 0)
    zone: tzinfo = UTC
    zone_name: str = "UTC"

    def describe(self) -> str:
        """`00:00 UTC`, for `validate`."""
        return f"{self.at.strftime('%H:%M:%S' if self.at.second else '%H:%M')} {self.zone_name}"

    def convert(self, value: object) -> str:
        """`2016-07-22` -> `2016-07-22T00:00:00Z` by default; a full date-time is put in UTC."""
        text = str(value).strip()
        try:
            if _DATE.match(text):
                return self._place(date.fromisoformat(text), text)
            if _DATETIME.match(text):
                moment = datetime.fromisoformat(text)
                if moment.tzinfo is None:  # a wall-clock time: it is in the configured zone
                    moment = moment.replace(tzinfo=self.zone)
                return _utc_text(moment)
        except ValueError:
            pass
        except OverflowError:
            raise RecordError(f"'{text}' is out of the range of writable dates") from None
        raise RecordError(f"cannot read '{text}' as a date (YYYY-MM-DD)")

    def _place(self, day: date, text: str) -> str:
        # Around a zone change the wall-clock time may not exist or exist twice;
        # fold picks the side, and the read-back proves the day did not move.
        for fold in (0, 1):
            local = datetime.combine(day, self.at, tzinfo=self.zone).replace(fold=fold)
            moment = local.astimezone(UTC)
            if moment.astimezone(self.zone).date() == day:
                return _utc_text(moment)
        raise RecordError(f"the day {text} at {self.describe()} does not exist in that zone")
