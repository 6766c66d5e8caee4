"""Dates in the reader's language and calendar; conversions at month and year edges (Nowruz, the Esfand leap day)."""
from datetime import date

import pytest

from screener.wording.dates import numeric_in, when, when_in


@pytest.mark.parametrize("day, persian, numeric", [
    (date(2026, 11, 22), "۱ آذر ۱۴۰۵", "۱۴۰۵/۰۹/۰۱"),
    (date(2026, 3, 20), "۲۹ اسفند ۱۴۰۴", "۱۴۰۴/۱۲/۲۹"),   # the last day of 1404 (not a leap year)
    (date(2026, 3, 21), "۱ فروردین ۱۴۰۵", "۱۴۰۵/۰۱/۰۱"),  # Nowruz 1405
    (date(2025, 3, 20), "۳۰ اسفند ۱۴۰۳", "۱۴۰۳/۱۲/۳۰"),   # the Esfand leap day of 1403
    (date(2025, 3, 21), "۱ فروردین ۱۴۰۴", "۱۴۰۴/۰۱/۰۱"),
    (date(2026, 12, 31), "۱۰ دی ۱۴۰۵", "۱۴۰۵/۱۰/۱۰"),
])
def test_a_date_in_persian_reads_in_the_solar_hijri_calendar(day, persian, numeric):
    assert when_in(day, "fa") == persian
    assert numeric_in(day, "fa") == numeric


def test_a_date_in_english_reads_as_before():
    assert when_in(date(2026, 11, 18), "en") == when(date(2026, 11, 18)) == "18 Nov 2026"
    assert numeric_in(date(2026, 11, 18), "en") == "2026-11-18"
    assert when_in(None, "fa") == ""
