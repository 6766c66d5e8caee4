"""The one strict date parser every channel uses (API, FHIR, form, CLI): YYYY-MM-DD in a plausible range.

Python's date.fromisoformat (3.11) also takes week dates (2026-W47-7) and basic dates (20180314); pydantic's
strict date takes a Unix timestamp written as a string; slicing a FHIR dateTime to 10 characters took
"2018-03-14garbage". None of these is what a coordinator or an EHR means by a date, so none is accepted.
"""
import datetime as dt
import re
from functools import lru_cache
from typing import Annotated

from pydantic import BeforeValidator

from .text import ascii_digits

# Dates before this, or far in the future, are typing mistakes rather than history.
EARLIEST_DATE = dt.date(1900, 1, 1)
LATEST_DATE = dt.date(2200, 1, 1)
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")  # ASCII digits only: \d would take other scripts' digits
# FHIR R4 date and dateTime as the specification's regexes write them (datatypes.html#date, #dateTime): a year,
# a year and month, a date, or a date with hours, minutes, seconds and a zone; hours 00-23, minutes 00-59, seconds
# 00-60 (a leap second), zones -13:59..+14:00. A dateTime's calendar day is its date as written.
_FHIR_YEAR = r"([0-9]([0-9]([0-9][1-9]|[1-9]0)|[1-9]00)|[1-9]000)"
_FHIR_DATE = re.compile(_FHIR_YEAR + r"(-(0[1-9]|1[0-2])(-(0[1-9]|[1-2][0-9]|3[0-1]))?)?")
_FHIR_DATE_TIME = re.compile(
    _FHIR_YEAR + r"(-(0[1-9]|1[0-2])(-(0[1-9]|[1-2][0-9]|3[0-1])"
    r"(T([01][0-9]|2[0-3]):[0-5][0-9]:([0-5][0-9]|60)(\.[0-9]+)?(Z|(\+|-)((0[0-9]|1[0-3]):[0-5][0-9]|14:00)))?)?)?"
)


def today() -> dt.date:
    """Today's real date: the one clock plausibility checks and default screening dates read (tests move it with
    freezegun, which patches datetime.date.today)."""
    return dt.date.today()


def in_range(day: dt.date) -> dt.date:
    if not EARLIEST_DATE <= day <= LATEST_DATE:
        raise ValueError(f"date must lie between {EARLIEST_DATE} and {LATEST_DATE}")
    return day


def parse_date(text: str) -> dt.date:
    """A calendar date written YYYY-MM-DD (Persian and Arabic-Indic digits read as ASCII, model/text.py), within
    EARLIEST_DATE..LATEST_DATE; ValueError (naming neither the input nor anything from it) otherwise."""
    text = ascii_digits(text) if isinstance(text, str) else None
    if text is None or not _ISO_DATE.fullmatch(text):
        raise ValueError("must be a date written YYYY-MM-DD")
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        raise ValueError("must be a real calendar date (YYYY-MM-DD)") from None
    return in_range(day)


def parse_fhir_day(text: str, kind: str = "dateTime") -> dt.date | None:
    """The calendar day of a FHIR date or dateTime (kind "date" allows no time); None for a partial one (a year,
    or a year and month), which names no day. ValueError for anything FHIR does not define as one, for a day
    that is not on the calendar (2018-02-30) and for one outside the plausible range of every channel."""
    text = ascii_digits(text) if isinstance(text, str) else None
    if text is None or not (_FHIR_DATE if kind == "date" else _FHIR_DATE_TIME).fullmatch(text):
        raise ValueError(
            "must be a FHIR date (YYYY, YYYY-MM or YYYY-MM-DD)" if kind == "date" else
            "must be a FHIR dateTime (YYYY, YYYY-MM, YYYY-MM-DD or YYYY-MM-DDThh:mm:ss with a zone, Z or +hh:mm)"
        )
    return parse_date(text[:10]) if len(text) >= 10 else None


@lru_cache(maxsize=8192)
def _parsed(text: str) -> dt.date:
    """parse_date, each text once: a population's records repeat a few thousand days (profiled: parsing ~22 dates a
    generated record was ~30 us of its ~110 us schema validation). A refused text raises each time (not cached)."""
    return parse_date(text)


def _strict(value):
    return _parsed(value) if isinstance(value, str) else value


def _strict_in_range(value):
    """_strict, and a date object built in code held to the plausible range too (a text is, by parse_date), in one
    call: this was _strict before pydantic's date check and a second validator, after it, for the range (~44,000
    calls in 2,000 generated records). A datetime is left to pydantic's strict date check, which refuses it, as
    it did before the range was looked at; any date subclass it accepts is range-checked here as it was after."""
    if isinstance(value, str):
        return _parsed(value)
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return in_range(value)
    return value


# A record's date: from JSON only a YYYY-MM-DD string (pydantic strict mode does the rest of the typing).
IsoDate = Annotated[dt.date, BeforeValidator(_strict)]
# A patient record's date: an IsoDate within EARLIEST_DATE..LATEST_DATE whether given as text or as a date object.
RecordDate = Annotated[dt.date, BeforeValidator(_strict_in_range)]
