"""Dates typed in a named calendar (model/calendars.py): Solar Hijri and Gregorian, at month and year edges, in any
digits and separator, a year of the other calendar refused, and every day of several years there and back.

The Solar Hijri days are pinned to the published calendar (Nowruz 1399-1405 from the Iranian calendar, the Esfand
leap days of 1399 and 1403), not to jdatetime's own answers."""
import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from screener.model.calendars import YEARS, CalendarDateError, read_date, typed

D = dt.date


@pytest.mark.parametrize("text,day", [
    ("1399/01/01", D(2020, 3, 20)),  # Nowruz 1399
    ("1398/12/29", D(2020, 3, 19)),  # the last day of 1398, not a leap year
    ("1399/12/30", D(2021, 3, 20)),  # Esfand 30 of the leap year 1399
    ("1400/01/01", D(2021, 3, 21)),
    ("1403/01/01", D(2024, 3, 20)),
    ("1403/12/29", D(2025, 3, 19)),
    ("1403/12/30", D(2025, 3, 20)),  # the Esfand leap day of 1403
    ("1404/01/01", D(2025, 3, 21)),  # Nowruz 1404
    ("1404/12/29", D(2026, 3, 20)),  # the last day of 1404, not a leap year
    ("1405/01/01", D(2026, 3, 21)),  # Nowruz 1405
    ("1405/06/31", D(2026, 9, 22)),  # the first half-year's months have 31 days
    ("1405/07/01", D(2026, 9, 23)),
    ("1405/07/30", D(2026, 10, 22)),  # the second half-year's have 30
    ("1405/08/01", D(2026, 10, 23)),
    ("1405/09/01", D(2026, 11, 22)),
])
def test_solar_hijri_days_at_month_and_year_edges(text, day):
    assert read_date(text, "solar_hijri") == day
    assert typed(day, "solar_hijri") == text


@pytest.mark.parametrize("text", ["1404/12/30", "1405/07/31", "1405/12/30", "1405/08/31", "1405/13/01",
                                  "1405/00/10", "1405/01/00", "1405/01/32"])
def test_a_day_the_solar_hijri_calendar_does_not_have_is_refused(text):
    with pytest.raises(CalendarDateError) as refused:
        read_date(text, "solar_hijri")
    assert (refused.value.calendar, refused.value.problem) == ("solar_hijri", "day")


@pytest.mark.parametrize("text", ["2025-02-29", "2026-04-31", "2026-13-01", "2100-02-29"])
def test_a_day_the_gregorian_calendar_does_not_have_is_refused(text):
    with pytest.raises(CalendarDateError) as refused:
        read_date(text, "gregorian")
    assert (refused.value.calendar, refused.value.problem) == ("gregorian", "day")


@pytest.mark.parametrize("text", [
    "1405/09/01", "1405-09-01", "1405.09.01", "1405/9/1", " 1405 / 09 / 01 ",
    "۱۴۰۵/۰۹/۰۱",  # Persian digits
    "١٤٠٥/٠٩/٠١",  # Arabic-Indic digits
    "۱۴۰۵-09-۰۱",  # mixed, as a keyboard switched mid-date types it
    "\u200f۱۴۰۵/۰۹/۰۱\u200f", "\u202b1405/09/01\u202c", "\u2067۱۴۰۵\u200c/۰۹/۰۱\u2069",  # bidi marks, pasted
])
def test_any_digits_and_any_of_the_three_separators(text):
    assert read_date(text, "solar_hijri") == D(2026, 11, 22)


@pytest.mark.parametrize("text", ["2026/11/22", "2026-11-22", "2026.11.22", "۲۰۲۶/۱۱/۲۲", "٢٠٢٦-١١-٢٢"])
def test_gregorian_in_any_digits_and_separator(text):
    assert read_date(text, "gregorian") == D(2026, 11, 22)


@pytest.mark.parametrize("text", [
    "", "1405/09", "1405/09/01/02", "05/09/01", "01/09/1405", "1405/09-01", "1405 09 01", "14050901",
    "1405/009/01", "۱۴۰۵،۰۹،۰۱", "1405/09/01T00:00", "yesterday", "1405/٩/x",
])
def test_anything_but_year_month_day_is_refused_as_a_form(text):
    for calendar in ("solar_hijri", "gregorian"):
        with pytest.raises(CalendarDateError) as refused:
            read_date(text, calendar)
        assert refused.value.problem == "form"


@pytest.mark.parametrize("text,calendar", [
    ("2018/03/14", "solar_hijri"),  # a Gregorian date typed with the Solar Hijri calendar chosen
    ("2026-11-22", "solar_hijri"),
    ("1299/12/29", "solar_hijri"),
    ("1500/01/01", "solar_hijri"),
    ("1396/12/23", "gregorian"),  # a Solar Hijri date typed with the Gregorian calendar chosen
    ("1405/09/01", "gregorian"),
    ("1899/12/31", "gregorian"),
    ("2101/01/01", "gregorian"),
])
def test_a_year_of_the_other_calendar_is_refused_never_read_as_another_day(text, calendar):
    with pytest.raises(CalendarDateError) as refused:
        read_date(text, calendar)
    assert (refused.value.calendar, refused.value.problem) == (calendar, "year")


def test_the_plausible_years_of_the_two_calendars_never_overlap():
    # so no typed date reads as a day in both: the wrong calendar is refused, never silently read
    solar, gregorian = YEARS["solar_hijri"], YEARS["gregorian"]
    assert solar.stop <= gregorian.start
    assert read_date("1300/01/01", "solar_hijri") == D(1921, 3, 21) and read_date("1499/12/29", "solar_hijri")
    assert read_date("1900/01/01", "gregorian") == D(1900, 1, 1)
    assert read_date("2100/12/31", "gregorian") == D(2100, 12, 31)


def test_an_error_names_the_calendar_and_the_form_never_the_value():
    for text, calendar in (("1404/12/30", "solar_hijri"), ("2018/03/14", "solar_hijri"), ("1404.1230", "gregorian")):
        with pytest.raises(CalendarDateError) as refused:
            read_date(text, calendar)
        message = str(refused.value)
        assert ("Solar Hijri" if calendar == "solar_hijri" else "Gregorian") in message
        assert text not in message and not any(part in message for part in ("1404", "2018", "1230"))
    assert str(CalendarDateError("solar_hijri", "form")) == "must be a Solar Hijri date written year/month/day"


def test_not_a_text_is_refused():
    with pytest.raises(CalendarDateError):
        read_date(None, "solar_hijri")  # type: ignore[arg-type]


@given(st.dates(min_value=D(1921, 3, 21), max_value=D(2121, 3, 20)))  # Solar Hijri 1300/01/01 to 1499/12/29
def test_every_solar_hijri_day_reads_back_as_itself(day):
    assert read_date(typed(day, "solar_hijri"), "solar_hijri") == day


@given(st.dates(min_value=D(1900, 1, 1), max_value=D(2100, 12, 31)))
def test_every_gregorian_day_reads_back_as_itself(day):
    assert read_date(typed(day, "gregorian"), "gregorian") == day


@pytest.mark.parametrize("first,days", [("1398/01/01", 365), ("1399/01/01", 366), ("1403/01/01", 366),
                                        ("1404/01/01", 365), ("1405/01/01", 365)])
def test_every_day_of_several_years_in_order(first, days):
    """Each Solar Hijri year day by day: consecutive Gregorian days, as many as the year has, none skipped or
    doubled, and the year's last day the one before the next Nowruz."""
    start = read_date(first, "solar_hijri")
    year = int(first[:4])
    seen = []
    for offset in range(days):
        day = start + dt.timedelta(days=offset)
        text = typed(day, "solar_hijri")
        assert text.startswith(f"{year}/") and read_date(text, "solar_hijri") == day
        seen.append(text)
    assert len(set(seen)) == days and seen[0] == first
    assert seen[-1] == (f"{year}/12/30" if days == 366 else f"{year}/12/29")
    assert typed(start + dt.timedelta(days=days), "solar_hijri") == f"{year + 1}/01/01"
