"""Dates as people read them: in English whatever their locale's order (18 Nov 2026); in Persian in the Solar Hijri
(Jalali) calendar with Persian digits and month names (۱ آذر ۱۴۰۵), converted by jdatetime, never by hand.

Dates are stored and reasoned about in ISO Gregorian everywhere; only the words change with the reader.
"""
from datetime import date
from functools import lru_cache

import jdatetime

from ..model.language import Language, persian_digits

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@lru_cache(maxsize=4096)  # a screening spells the same few dates (as-of, draw days) a few dozen times
def when(day: date | None) -> str:
    return f"{day.day} {_MONTHS[day.month - 1]} {day.year}" if day else ""


def solar_hijri(day: date) -> jdatetime.date:
    """The same day in the Solar Hijri calendar."""
    return jdatetime.date.fromgregorian(date=day)


@lru_cache(maxsize=4096)
def when_in(day: date | None, language: Language) -> str:
    """A date in the reader's language and calendar: English Gregorian (18 Nov 2026) or Persian Solar Hijri with
    Persian digits (۱ آذر ۱۴۰۵)."""
    if day is None:
        return ""
    if language == "en":
        return when(day)
    shown = solar_hijri(day)
    return persian_digits(f"{shown.day} {shown.j_months_fa[shown.month - 1]} {shown.year}")


@lru_cache(maxsize=4096)
def numeric_in(day: date, language: Language) -> str:
    """A date as digits in the reader's calendar: ISO 2026-11-22 in English, ۱۴۰۵/۰۹/۰۱ (Solar Hijri) in Persian."""
    if language == "en":
        return day.isoformat()
    shown = solar_hijri(day)
    return persian_digits(f"{shown.year:04d}/{shown.month:02d}/{shown.day:02d}")
