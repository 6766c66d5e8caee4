"""The languages a reader may choose, and digits as people type them.

The API and the command line speak English and ISO dates; the web pages, and the reasons the API returns when
asked with Accept-Language: fa, may be Persian. Digits typed in Persian (۰–۹) or Arabic-Indic (٠–٩) read as the
same numbers everywhere a number or date is typed.
"""
import sys
import unicodedata
from functools import cache
from typing import Literal

Language = Literal["en", "fa"]
LANGUAGES: tuple[Language, ...] = ("en", "fa")
DEFAULT_LANGUAGE: Language = "en"
RIGHT_TO_LEFT: frozenset[Language] = frozenset({"fa"})
LANGUAGE_NAMES: dict[Language, str] = {"en": "English", "fa": "فارسی"}  # each in its own language, for the switch


@cache  # built on the first non-ASCII text (~0.1 s), so importing this costs nothing
def _to_western() -> dict[int, str]:
    """Every decimal digit Unicode knows (Persian, Arabic-Indic, full-width ...) to its ASCII digit: the Unicode
    database's own digit values, not a hand-kept list."""
    return {
        code: str(unicodedata.decimal(chr(code)))
        for code in range(0x80, sys.maxunicode + 1)
        if unicodedata.category(chr(code)) == "Nd"
    }


_TO_PERSIAN = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")


def western_digits(text: str) -> str:
    """A typed text with every decimal digit as ASCII (Persian ۱۴۰۵ reads as 1405); nothing else changes."""
    return text.translate(_to_western()) if not text.isascii() else text


def persian_digits(text: str) -> str:
    """ASCII digits as Persian digits, for text a Persian reader reads (never for codes, ids or ISO dates)."""
    return text.translate(_TO_PERSIAN)


def is_language(value: object) -> bool:
    return value in LANGUAGES
