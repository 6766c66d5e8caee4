"""Digits as people type them, and the languages a reader may choose."""
import pytest

from screener.model.language import LANGUAGES, RIGHT_TO_LEFT, persian_digits, western_digits


@pytest.mark.parametrize("typed, read", [
    ("۱۴۰۵/۰۹/۰۱", "1405/09/01"),   # Persian digits
    ("١٤٠٥-٠٩-٠١", "1405-09-01"),   # Arabic-Indic digits, as some keyboards type them
    ("１２", "12"),                   # full-width
    ("2026-12-06", "2026-12-06"),   # ASCII unchanged
    ("۱۲٫۵", "12٫5"),                # only digits change: the decimal separator is the parser's business
])
def test_typed_digits_read_as_ascii(typed, read):
    assert western_digits(typed) == read


def test_persian_digits_round_trip():
    assert persian_digits("1405/09/01") == "۱۴۰۵/۰۹/۰۱"
    assert western_digits(persian_digits("0123456789")) == "0123456789"


def test_persian_reads_right_to_left_and_english_does_not():
    assert LANGUAGES == ("en", "fa")
    assert "fa" in RIGHT_TO_LEFT and "en" not in RIGHT_TO_LEFT
