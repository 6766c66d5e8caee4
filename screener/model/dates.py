"""The one strict date parser every channel uses (API, FHIR, form, CLI): YYYY-MM-DD in a plausible range.

Python's date.fromisoformat (3.11) also takes week dates (2026-W47-7) and basic dates (20180314); pydantic's
strict date takes a Unix timestamp written as a string; slicing a FHIR dateTime to 10 characters took
"2018-03-14garbage". None of these is what a coordinator or an EHR means by a date, so none is accepted.
"""
import datetime as dt
import re
from typing import Annotated

from pydantic import BeforeValidator

# Dates before this, or far in the future, are typing mistakes rather than history.
EARLIEST_DATE = dt.date(1900, 1, 1)
LATEST_DATE = dt.date(2200, 1, 1)
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")  # ASCII digits only: \d would take other scripts' digits
# FHIR dateTime (R4): a date, or a date and a time with seconds and a zone; the calendar day is as written.
_FHIR_DATE_TIME = re.compile(
    r"([0-9]{4}-[0-9]{2}-[0-9]{2})(T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,9})?(Z|[+-][0-9]{2}:[0-9]{2}))?"
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
    """A calendar date written YYYY-MM-DD, within EARLIEST_DATE..LATEST_DATE; ValueError (naming neither the
    input nor anything from it) otherwise."""
    if not isinstance(text, str) or not _ISO_DATE.fullmatch(text):
        raise ValueError("must be a date written YYYY-MM-DD")
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        raise ValueError("must be a real calendar date (YYYY-MM-DD)") from None
    return in_range(day)


def parse_fhir_day(text: str) -> dt.date:
    """The calendar day of a full FHIR date or dateTime (partial dates are the caller's to handle)."""
    match = _FHIR_DATE_TIME.fullmatch(text) if isinstance(text, str) else None
    if match is None:
        raise ValueError("must be a FHIR date (YYYY-MM-DD) or dateTime (YYYY-MM-DDThh:mm:ss+zz:zz)")
    return parse_date(match[1])


def _strict(value):
    return parse_date(value) if isinstance(value, str) else value


# A record's date: from JSON only a YYYY-MM-DD string (pydantic strict mode does the rest of the typing).
IsoDate = Annotated[dt.date, BeforeValidator(_strict)]
