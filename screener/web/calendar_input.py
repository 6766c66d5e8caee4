"""Date inputs in the reader's calendar: on a Persian page every date of the screening form is typed in the calendar
the form names (Solar Hijri by default, Gregorian if chosen), read into ISO Gregorian before the record is built; on
an English page dates stay the browser's native date inputs, which post ISO.

A form's `calendar` field names the calendar its dates were typed in. A form without one (a stored record being
corrected or re-screened, an English page's kept draft) holds ISO dates. Before a form is shown, each date it holds
is rewritten in the calendar the page shows when the two differ, so a value is always read in the calendar it was
typed in; one that does not read in its own calendar stays as typed (the two calendars' plausible years never
overlap, so it cannot read as a day in the other either).

The words (calendar names, placeholders, errors) are the `calendar` gettext domain's
(screener/translations/<language>/LC_MESSAGES/calendar.po).
"""
from collections.abc import MutableMapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from ..model.calendars import CALENDARS, NAMES, YEARS, Calendar, CalendarDateError, is_calendar, read_date, typed
from ..model.dates import parse_date
from ..model.language import Language, persian_digits
from ..wording.catalogues import translations
from .i18n import page_language

CALENDAR_FIELD = "calendar"
DEFAULT_CALENDAR: dict[Language, Calendar] = {"fa": "solar_hijri"}  # a language absent here keeps native ISO inputs




def _(message: str, language: Language) -> str:
    return translations("calendar", language).gettext(message)


# Every message of this module once, so the catalogue's coverage test can list them (tests/test_web_form_calendar.py);
# the calendars' names are model/calendars.py's.
EXAMPLE = date(2026, 11, 22)  # the placeholder: ۱۴۰۵/۰۹/۰۱ or ۲۰۲۶/۱۱/۲۲
CHOICE_LEGEND = "Calendar of the dates on this form"
SWITCH: dict[Calendar, str] = {"solar_hijri": "Show the dates typed so far in Solar Hijri",
                               "gregorian": "Show the dates typed so far in Gregorian"}
EXPECTED = "year/month/day"
ERRORS: dict[tuple[Calendar, str], str] = {
    ("solar_hijri", "form"): "Enter a Solar Hijri date as year/month/day.",
    ("gregorian", "form"): "Enter a Gregorian date as year/month/day.",
    ("solar_hijri", "day"): "Not a day of the Solar Hijri calendar: check the month and the day (year/month/day).",
    ("gregorian", "day"): "Not a day of the Gregorian calendar: check the month and the day (year/month/day).",
    ("solar_hijri", "year"): (
        "A Solar Hijri year is between {first} and {last}: for a Gregorian date, choose the Gregorian calendar above."
    ),
    ("gregorian", "year"): (
        "A Gregorian year is between {first} and {last}: for a Solar Hijri date, choose the Solar Hijri calendar above."
    ),
}
MESSAGES: tuple[str, ...] = (*NAMES.values(), CHOICE_LEGEND, *SWITCH.values(), EXPECTED, *ERRORS.values())


@dataclass(frozen=True)
class DateInputs:
    """How the page's date inputs are shown and read: calendar None is the native ISO date input."""

    language: Language
    calendar: Calendar | None

    def read(self, text: str) -> date:
        """The day a date input names; ValueError (CalendarDateError when typed in a calendar) otherwise."""
        return parse_date(text) if self.calendar is None else read_date(text, self.calendar)

    def error(self, exc: ValueError) -> str | None:
        """The field's error for a date that did not read, in the page's language; None for a native input's
        (the form keeps its own words for those)."""
        if not isinstance(exc, CalendarDateError):
            return None
        years = YEARS[exc.calendar]  # the plausible years, as model/calendars.py holds them
        first, last = str(years.start), str(years.stop - 1)
        if self.language == "fa":
            first, last = persian_digits(first), persian_digits(last)
        return _(ERRORS[exc.calendar, exc.problem], self.language).format(first=first, last=last)

    def shown(self, day: date) -> str:
        """A day as this page's input holds it: ISO for a native input, else year/month/day in the calendar (in
        Persian digits on a Persian page; any digits read back)."""
        if self.calendar is None:
            return day.isoformat()
        text = typed(day, self.calendar)
        return persian_digits(text) if self.language == "fa" else text

    def shown_iso(self, text: str | None) -> str:
        """A stored ISO day (a filter's, a kept value's) as this page's input holds it; anything else as it is."""
        try:
            return self.shown(parse_date(text)) if text else ""
        except ValueError:
            return text or ""

    @property
    def name(self) -> str:
        return _(NAMES[self.calendar], self.language) if self.calendar else ""

    @property
    def placeholder(self) -> str:
        return self.shown(EXAMPLE) if self.calendar else ""

    @property
    def label(self) -> str:
        """The words beside each date input: the calendar and the order of its parts (هجری شمسی، سال/ماه/روز)."""
        comma = "، " if self.language == "fa" else ", "
        return f"{self.name}{comma}{_(EXPECTED, self.language)}" if self.calendar else ""

    @property
    def legend(self) -> str:
        return _(CHOICE_LEGEND, self.language)

    @property
    def switch(self) -> tuple[Calendar, str] | None:
        """The other calendar and the words of the button that rewrites the dates typed so far in it."""
        if self.calendar is None:
            return None
        other = next(calendar for calendar in CALENDARS if calendar != self.calendar)
        return other, _(SWITCH[other], self.language)

    @property
    def choices(self) -> list[tuple[str, str]]:
        return [(calendar, _(NAMES[calendar], self.language)) for calendar in CALENDARS]


def date_inputs(values, language: Language | None = None) -> DateInputs:
    """The date inputs of a form in the page's language: a Persian page's calendar is the one the form names, else
    the language's default."""
    language = language or page_language()
    default = DEFAULT_CALENDAR.get(language)
    if default is None:
        return DateInputs(language, None)
    chosen = values.get(CALENDAR_FIELD)
    return DateInputs(language, chosen if is_calendar(chosen) else default)


def typed_in(values) -> DateInputs:
    """How the dates a form holds were written, read with the page's words: in the calendar its calendar field
    names, else ISO (a form shown in English, a stored record). A posted form's dates are read so, whatever the
    page's language is by the time it arrives."""
    chosen = values.get(CALENDAR_FIELD)
    return DateInputs(page_language(), chosen if is_calendar(chosen) else None)


def calendar_problem(values, data: MutableMapping[str, Any], name: str) -> dict[str, str] | None:
    """A small form's date field (an outcome's, an approval's, a filter's) typed in the calendar the form's calendar
    field names (a Persian page's), rewritten in data as the ISO day it names before anything reads or stores it;
    {name: the error in the page's words} when it does not read (the field named, the value not echoed), else None.
    A form without a calendar field (an English page's native input) posts ISO: its date is left as it is, for the
    schema that reads it to judge as before."""
    dates = typed_in(values)
    text = (data.get(name) or "").strip()
    if dates.calendar is None or not text:
        return None
    try:
        data[name] = dates.read(text).isoformat()
    except CalendarDateError as exc:
        return {name: dates.error(exc) or ""}
    return None


def switched(values, names: list[str], calendar: Calendar) -> dict[str, str]:
    """The form's values with its dates (among names) rewritten in calendar, now the form's: the switch between
    calendars keeps what was typed."""
    return in_page_calendar(values, names, DateInputs(page_language(), calendar))


def in_page_calendar(values, names: list[str], inputs: DateInputs) -> dict[str, str]:
    """The form's values with every date input among names rewritten from the calendar it was typed in to the one
    the page shows (a value that does not read stays as typed), and the calendar field set to the page's."""
    source = typed_in(values)
    copy = dict(values.items())
    if inputs.calendar is not None:
        copy[CALENDAR_FIELD] = inputs.calendar
    else:
        copy.pop(CALENDAR_FIELD, None)
    if source.calendar == inputs.calendar:
        return copy
    for name in names:
        text = (copy.get(name) or "").strip()
        if not text:
            continue
        try:
            day = source.read(text)
        except ValueError:
            continue
        copy[name] = inputs.shown(day)
    return copy
