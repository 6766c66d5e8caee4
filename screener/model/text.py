"""The one text and number policy of every channel (web form, JSON API, CLI, batch, FHIR).

Control characters (Unicode category Cc: C0 such as NUL, tab and newline, DEL and C1) are refused in a record's
free text and in every URL, query string and form field (web/input_guard.py): they truncate strings in C libraries
and PostgreSQL refuses NUL, split log lines and CSV rows, and no drug name, regimen or source label needs one.
FHIR strings may hold tab, carriage return and line feed, as FHIR R4 allows (datatypes.html#string); the reader
turns them into spaces before they become a record's free text.

Digits written as text (a form field, a CSV cell, a date anywhere): ASCII digits, and the Arabic-Indic
(U+0660-U+0669) and Persian (U+06F0-U+06F9) digits, read as the ASCII digits they stand for (sites in Iran and
the Arab world type them). Every other digit (full-width, Devanagari, mathematical, ...) and Python's lenient
number forms ("1_000", "inf", "nan", surrounding Unicode spaces) are refused naming the field. JSON numbers are
ASCII by the JSON grammar, so a JSON number is untouched.
"""
import math
import re
import unicodedata
from typing import Annotated

from pydantic import AfterValidator

_LINE_BREAKS_AND_TABS = frozenset("\t\r\n")
# Unicode category Cc is exactly these 65 code points; a regex scans a megabyte Bundle's text at C speed.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")
_CONTROL_BUT_BREAKS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_ACCEPTED_DIGITS = str.maketrans(
    {**{0x0660 + i: str(i) for i in range(10)}, **{0x06F0 + i: str(i) for i in range(10)}}
)
# After the digits above are read as ASCII: a plain decimal number (no underscore, no word such as inf or nan).
_NUMBER = re.compile(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?")


def has_control(text: str, allow_breaks: bool = False) -> bool:
    """Whether text holds a control character (tab, carriage return and line feed allowed with allow_breaks)."""
    return (_CONTROL_BUT_BREAKS if allow_breaks else _CONTROL).search(text) is not None


def printable(text: str) -> str:
    if has_control(text):
        raise ValueError("must not contain control characters (NUL, tab, newline, ...)")
    return text


def fhir_string(text: str) -> str:
    """A FHIR string: no control character other than tab, carriage return and line feed."""
    if has_control(text, allow_breaks=True):
        raise ValueError("must not contain control characters other than tab and line breaks")
    return text


def one_line(text: str) -> str:
    """FHIR text as a record's free text: tabs and line breaks become single spaces."""
    return " ".join(text.split()) if any(ch in _LINE_BREAKS_AND_TABS for ch in text) else text


def ascii_digits(text: str) -> str:
    """text with Arabic-Indic and Persian digits read as ASCII ones; ValueError if any other non-ASCII digit
    remains (the message never quotes the text)."""
    text = text.translate(_ACCEPTED_DIGITS)
    if not text.isascii() and any(unicodedata.category(ch) == "Nd" and not ch.isascii() for ch in text):
        raise ValueError("digits must be 0-9 (Persian and Arabic-Indic digits are read as 0-9; no other script's)")
    return text


def parse_number(text: str) -> float:
    """A finite decimal number written as text: 12, -0.5, 1e3, or the same in Persian or Arabic-Indic digits.

    ValueError for anything else: "1_000", "inf", "nan", full-width or other scripts' digits, an overflow."""
    text = ascii_digits(text.strip())
    if not _NUMBER.fullmatch(text):
        raise ValueError("must be a number written with digits 0-9, like 12 or 0.5")
    number = float(text)
    if not math.isfinite(number):
        raise ValueError("must be a finite number")
    return number


FreeText = Annotated[str, AfterValidator(printable)]
FhirString = Annotated[str, AfterValidator(fhir_string)]
