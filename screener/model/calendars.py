"""A date typed in a named calendar, Solar Hijri (Jalali) or Gregorian, read as the Gregorian day it names; and a
stored day written back in either calendar, to prefill an input.

Coordinators in Tehran read charts dated in the Solar Hijri calendar, so the Persian form takes dates in it; storage
and reasoning stay ISO Gregorian. The calendar is always named by the caller, never guessed from the value: the
likeliest slip is a year of the other calendar (2018/03/14 typed as Solar Hijri, 1396/12/23 as Gregorian), and the
plausible years of the two never overlap (Solar Hijri 1300-1499 is Gregorian 1921-2121), so such a slip is refused
rather than read as another day. Days are checked and converted by jdatetime (a maintained Jalali calendar), never
by arithmetic of our own; Persian and Arabic-Indic digits read as ASCII (model/language.py).
"""
import datetime as dt
import re
import unicodedata
from typing import Literal, TypeGuard, get_args

import jdatetime

from .errors import ScreenerError
from .language import western_digits

Calendar = Literal["solar_hijri", "gregorian"]
CALENDARS: tuple[Calendar, ...] = get_args(Calendar)
# The years a chart of these children can carry in each calendar; outside them a value is a slip, not a date.
YEARS: dict[Calendar, range] = {"solar_hijri": range(1300, 1500), "gregorian": range(1900, 2101)}
EXPECTED_FORM = "year/month/day"  # with /, - or . between the parts, a four-digit year first
# A four-digit year, then month and day of one or two digits, one separator throughout, spaces around it allowed.
_TYPED = re.compile(r"([0-9]{4})\s*([/.-])\s*([0-9]{1,2})\s*\2\s*([0-9]{1,2})")
NAMES: dict[Calendar, str] = {"solar_hijri": "Solar Hijri", "gregorian": "Gregorian"}  # in English
Problem = Literal["form", "year", "day"]


class CalendarDateError(ScreenerError, ValueError):
    """A typed date this calendar cannot read. Names the calendar and the form it expects, never the value:
    problem is "form" (not year/month/day), "year" (outside the calendar's plausible years, likely the other
    calendar's) or "day" (no such day in that month of that year)."""

    def __init__(self, calendar: Calendar, problem: Problem):
        super().__init__(calendar, problem)
        self.calendar, self.problem = calendar, problem

    def __str__(self) -> str:
        name, years = NAMES[self.calendar], YEARS[self.calendar]
        if self.problem == "year":
            return f"must be a {name} date with a year from {years.start} to {years.stop - 1}"
        if self.problem == "day":
            return f"must be a day of the {name} calendar ({EXPECTED_FORM})"
        return f"must be a {name} date written {EXPECTED_FORM}"


def _visible(text: str) -> str:
    """Without Unicode's invisible format characters (category Cf): the right-to-left and left-to-right marks and
    embeddings a date copied from a Persian document carries, a zero-width non-joiner; none changes a digit."""
    return "".join(c for c in text if unicodedata.category(c) != "Cf") if not text.isascii() else text


def is_calendar(value: object) -> TypeGuard[Calendar]:
    return value in CALENDARS


def read_date(text: str, calendar: Calendar) -> dt.date:
    """The Gregorian day a date typed in calendar names (year/month/day; separator /, - or .; any decimal digits;
    invisible direction marks ignored).
    CalendarDateError when it is not written so, its year is outside YEARS[calendar], or the day does not exist
    (1404/12/30: 1404 is not a leap year; 1405/07/31: the second half-year's months have 30 days)."""
    found = _TYPED.fullmatch(western_digits(_visible(text).strip())) if isinstance(text, str) else None
    if found is None:
        raise CalendarDateError(calendar, "form")
    year, month, day = int(found[1]), int(found[3]), int(found[4])
    if year not in YEARS[calendar]:
        raise CalendarDateError(calendar, "year")
    try:
        if calendar == "solar_hijri":
            return jdatetime.date(year, month, day).togregorian()
        return dt.date(year, month, day)
    except ValueError:
        raise CalendarDateError(calendar, "day") from None


def typed(day: dt.date, calendar: Calendar) -> str:
    """A stored day as a coordinator would type it in calendar, year/month/day with ASCII digits (2026-11-22 in
    Solar Hijri is 1405/09/01); read_date reads it back as the same day."""
    shown = jdatetime.date.fromgregorian(date=day) if calendar == "solar_hijri" else day
    return f"{shown.year:04d}/{shown.month:02d}/{shown.day:02d}"
