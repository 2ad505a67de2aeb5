"""Calendar dates become date-times on the same day, in whatever zone and at whatever time."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from bridge.rules import DateSettings, RecordError
from bridge.rules.dates import is_datetime, parse_time, parse_zone

# Zones with half-hour, 45-minute and +14 offsets, midnight DST changes, and a skipped day.
TRICKY = ["UTC", "Europe/Moscow", "Asia/Kolkata", "Asia/Kathmandu", "Pacific/Kiritimati",
          "Pacific/Apia", "America/Santiago", "America/Havana", "Australia/Lord_Howe",
          "America/St_Johns", "Pacific/Pago_Pago", "Europe/Berlin", "America/Los_Angeles"]


def settings_for(at: time, zone_name: str) -> DateSettings:
    zone = parse_zone(zone_name)
    assert zone is not None
    return DateSettings(at, zone, zone_name)


class TestDateProperty:
    @settings(max_examples=400, deadline=None)
    @given(day=st.dates(min_value=date(1900, 1, 1), max_value=date(2200, 12, 31)),
           at=st.times(),
           zone_name=st.one_of(st.sampled_from(TRICKY), st.timezone_keys()))
    @example(day=date(2011, 12, 30), at=time(0, 0), zone_name="Pacific/Apia")
    @example(day=date(2016, 7, 22), at=time(23, 59, 59), zone_name="Pacific/Kiritimati")
    def test_day_never_shifts(self, day: date, at: time, zone_name: str) -> None:
        """The produced date-time, read in the configured zone, falls on the GitLab date."""
        at = at.replace(microsecond=0)
        placed = settings_for(at, zone_name)
        try:
            text = placed.convert(day.isoformat())
        except RecordError:
            # Allowed only when that day does not exist in the zone at that time (a zone
            # change skipped it): no fold of the wall-clock time lands on the day.
            zone = ZoneInfo(zone_name)
            for fold in (0, 1):
                local = datetime.combine(day, at, tzinfo=zone).replace(fold=fold)
                assert local.astimezone(UTC).astimezone(zone).date() != day
            return
        assert is_datetime(text)
        assert text.endswith("Z")
        assert datetime.fromisoformat(text).astimezone(ZoneInfo(zone_name)).date() == day

    @given(day=st.dates(min_value=date(1900, 1, 1), max_value=date(2200, 12, 31)),
           minutes=st.integers(min_value=-23 * 60 - 59, max_value=23 * 60 + 59),
           at=st.times())
    def test_day_never_shifts_with_fixed_offsets(self, day: date, minutes: int, at: time) -> None:
        """With a fixed offset such as +03:00 the day is kept too, and no day is refused."""
        sign = "-" if minutes < 0 else "+"
        name = f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"
        text = settings_for(at.replace(microsecond=0), name).convert(day.isoformat())
        zone = timezone(timedelta(minutes=minutes))
        assert datetime.fromisoformat(text).astimezone(zone).date() == day


class TestDateSettings:
    def test_default_is_midnight_utc(self) -> None:
        """`2016-07-22` becomes `2016-07-22T00:00:00Z` with the default settings."""
        assert DateSettings().convert("2016-07-22") == "2016-07-22T00:00:00Z"

    def test_zone_east_of_utc_writes_previous_utc_day(self) -> None:
        """Midnight in Moscow is 21:00 UTC the day before: the same instant, the right local day."""
        moscow = settings_for(time(0), "Europe/Moscow")
        assert moscow.convert("2016-07-22") == "2016-07-21T21:00:00Z"

    def test_skipped_day_fails(self) -> None:
        """Samoa skipped 2011-12-30; that date fails rather than moving to the 31st."""
        with pytest.raises(RecordError, match="does not exist"):
            settings_for(time(0), "Pacific/Apia").convert("2011-12-30")

    def test_full_datetime_is_put_in_utc(self) -> None:
        """A full GitLab timestamp (created_at) keeps its instant, written in UTC."""
        assert DateSettings().convert("2016-01-04T15:31:39.996+03:00") == "2016-01-04T12:31:39Z"

    def test_naive_datetime_is_read_in_the_zone(self) -> None:
        """A date-time without offset is a wall-clock time in the configured zone."""
        assert settings_for(time(0), "+02:00").convert("2016-01-04 10:00") == "2016-01-04T08:00:00Z"

    @pytest.mark.parametrize("text", ["2016-02-30", "22.07.2016", "20160722", "2016-W29-5", "",
                                      "soon", "2016-07-22T25:00:00Z"])
    def test_unreadable_dates_fail(self, text: str) -> None:
        """Anything but YYYY-MM-DD or an ISO date-time fails the record, quoting the value."""
        with pytest.raises(RecordError, match="cannot read"):
            DateSettings().convert(text)

    def test_out_of_range_fails(self) -> None:
        """A date whose instant falls outside what datetime can hold fails instead of crashing."""
        with pytest.raises(RecordError, match="out of the range"):
            settings_for(time(0), "+05:00").convert("0001-01-01")

    def test_describe(self) -> None:
        """describe() shows the time of day and the zone name."""
        assert settings_for(time(9, 30), "Europe/Berlin").describe() == "09:30 Europe/Berlin"
        assert settings_for(time(9, 30, 5), "UTC").describe() == "09:30:05 UTC"


class TestParsers:
    @pytest.mark.parametrize(("text", "expected"), [
        ("00:00", time(0)), ("9:05", time(9, 5)), ("23:59:59", time(23, 59, 59)),
        ("24:00", None), ("12:60", None), ("noon", None), ("12", None)])
    def test_parse_time(self, text: str, expected: time | None) -> None:
        """Times of day are HH:MM or HH:MM:SS within a day."""
        assert parse_time(text) == expected

    @pytest.mark.parametrize(("text", "offset"), [
        ("UTC", timedelta(0)), ("+03:00", timedelta(hours=3)),
        ("-05:30", -timedelta(hours=5, minutes=30))])
    def test_parse_fixed_zones(self, text: str, offset: timedelta) -> None:
        """UTC and fixed offsets are read as fixed zones."""
        zone = parse_zone(text)
        assert zone is not None
        assert zone.utcoffset(None) == offset

    @pytest.mark.parametrize("text", ["Mars/Base", "", "+25:00", "../etc/passwd", "utc+3"])
    def test_parse_zone_refuses_unknown(self, text: str) -> None:
        """Unknown names, bad offsets and path tricks are not zones."""
        assert parse_zone(text) is None

    def test_parse_zone_reads_iana_names(self) -> None:
        """IANA names give zoneinfo zones."""
        assert parse_zone("Europe/Berlin") == ZoneInfo("Europe/Berlin")
        assert parse_zone("Z") is UTC
