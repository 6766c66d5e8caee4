"""The gettext catalogues: where every translated word of the product is kept, and whether a clinical reader has
reviewed them.

One catalogue a domain and language, under screener/translations/<language>/LC_MESSAGES/<domain>.po, compiled to
<domain>.mo beside it (`scripts/compile-translations`; tests/test_catalogues.py holds each .mo to its .po):

- web: the pages' own words (templates and the web layer), read through Flask-Babel;
- calendar: the words of dates and calendars (Solar Hijri month names, the calendar labels of date inputs);
- reasons: the words of a screening (criterion reasons, what to record next, the summary), read by the wording
  layer for whichever language the reader chose.

English is the source language: its words are the msgids, so English needs no catalogue. A catalogue's review is
recorded in its header comment, as the line `Clinical review: <ISO date> <reviewer, role>` (or `Clinical review:
not yet reviewed`); until every catalogue of a language has a dated review, every page in that language says the
translation is not yet reviewed.
"""
import gettext
import re
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path

from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

from ..model.language import DEFAULT_LANGUAGE, Language

CATALOGUE_DIR = Path(__file__).resolve().parent.parent / "translations"
DOMAINS: tuple[str, ...] = ("web", "calendar", "reasons")

_REVIEW_LINE = re.compile(r"^#?\s*Clinical review:\s*(\d{4}-\d{2}-\d{2})\s+(\S.*)$", re.MULTILINE)


@dataclass(frozen=True)
class CatalogueReview:
    """A catalogue's clinical review: who read it and when (None if nobody has yet)."""

    domain: str
    language: Language
    reviewed_on: date | None
    reviewer: str | None

    @property
    def reviewed(self) -> bool:
        return self.reviewed_on is not None


def catalogue_path(domain: str, language: Language, suffix: str = ".po") -> Path:
    return CATALOGUE_DIR / language / "LC_MESSAGES" / f"{domain}{suffix}"


@cache
def translations(domain: str, language: Language) -> gettext.NullTranslations:
    """The compiled catalogue of a domain in a language; English (the source language) and a missing catalogue give
    the words as written (tests/test_catalogues.py fails on a missing or stale one)."""
    if domain not in DOMAINS:
        raise KeyError(f"no catalogue domain {domain!r}")
    if language == DEFAULT_LANGUAGE:
        return NullTranslations()
    return Translations.load(str(CATALOGUE_DIR), [language], domain)


@cache
def review(domain: str, language: Language) -> CatalogueReview:
    """The review recorded in the catalogue's header comment."""
    path = catalogue_path(domain, language)
    header = ""
    if path.exists():
        with path.open("rb") as po:
            header = read_po(po).header_comment
    found = _REVIEW_LINE.search(header)
    if found is None:
        return CatalogueReview(domain, language, None, None)
    return CatalogueReview(domain, language, date.fromisoformat(found[1]), found[2].strip())


def unreviewed(language: Language) -> list[str]:
    """The domains whose catalogue in this language no clinical reader has reviewed yet (none for English)."""
    if language == DEFAULT_LANGUAGE:
        return []
    return [domain for domain in DOMAINS if not review(domain, language).reviewed]
