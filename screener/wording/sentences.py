"""A screening's sentences in the reader's language: each said whole, from the `reasons` catalogue, with named
placeholders, so a translator can put the parts in the order Persian reads them (never English word order with
Persian words glued in).

English is the source language: its sentences are the msgids, so an English reader gets them exactly as written
(the pinned reports hold them byte for byte). The numbers and dates a sentence carries are spelt for the reader
here too: Persian digits and Solar Hijri dates for a Persian reader, as written and Gregorian for an English one.
One Sentences per language, built once (the catalogue is read once, never per call).
"""
from datetime import date
from functools import cache

from ..model.language import DEFAULT_LANGUAGE, Language, persian_digits
from .catalogues import translations
from .dates import when_in

_PERSIAN_SEPARATORS = str.maketrans({",": "٬", ".": "٫"})  # thousands and decimal separators of Persian numbers


def N_(msgid: str) -> str:
    """Marks a sentence for the catalogue where it is chosen, to be said (Sentences.say) later."""
    return msgid


class Sentences:
    """say(msgid, **values): the sentence in this language with its placeholders filled; count(...) for a sentence
    whose words depend on a number; day and number spell a date or a number for this reader."""

    __slots__ = ("language", "persian", "_gettext", "_ngettext", "semicolon", "comma", "_both", "_either",
                 "_any_route", "_one_of")

    def __init__(self, language: Language):
        catalogue = translations("reasons", language)
        self.language = language
        self.persian = language == "fa"
        self._gettext, self._ngettext = catalogue.gettext, catalogue.ngettext
        # The punctuation between a list's items (Persian: ؛ and ،), and how its last item joins.
        self.semicolon = catalogue.pgettext("between the clauses of a list", "; ")
        self.comma = catalogue.pgettext("between the items of a list", ", ")
        self._both = catalogue.gettext("%(first)s and %(then)s")
        self._either = catalogue.gettext("%(first)s or %(last)s")
        self._any_route = catalogue.gettext("%(first)s; or %(then)s")
        self._one_of = catalogue.gettext("%(first)s or %(then)s")

    def both(self, items: list[str]) -> str:
        """Every item needed: "a and b and c"."""
        return _joined(self._both, items)

    def one_of(self, items: list[str]) -> str:
        """Any one of a few words: "moderate or strong"."""
        return _joined(self._one_of, items)

    def any_route(self, routes: list[str]) -> str:
        """Any one of several routes, each a whole instruction: "a; or b; or c"."""
        return _joined(self._any_route, routes)

    def either(self, items: list[str]) -> str:
        """Any one item: "a, b or c" (each item once)."""
        items = list(dict.fromkeys(items))
        if len(items) == 1:
            return items[0]
        return self._either % {"first": self.comma.join(items[:-1]), "last": items[-1]}

    def stated_day(self, day: date) -> str:
        """A date a report's summary and to-dos state: ISO in English (as reports always have), the reader's
        calendar in Persian."""
        return self.day(day) if self.persian else day.isoformat()

    def say(self, msgid: str, /, **values) -> str:
        return self._gettext(msgid) % values

    def word(self, msgid: str) -> str:
        """Words of data (a msgid not written in code, so it may hold a %) in this language, as they are."""
        return self._gettext(msgid)

    def count(self, singular: str, plural: str, n: int, /, **values) -> str:
        """A sentence with a number in it (n: the number, also given to the placeholders as %(n)s, spelt for the
        reader)."""
        return self._ngettext(singular, plural, n) % {"n": self.number(n), **values}

    def number(self, number: int | float | str) -> str:
        """A number as this reader reads it: as written in English; Persian digits and separators in Persian
        (a number given as text, "50,000", keeps its grouping)."""
        text = number if isinstance(number, str) else f"{number:g}" if isinstance(number, float) else str(number)
        return persian_digits(text.translate(_PERSIAN_SEPARATORS)) if self.persian else text

    def day(self, day: date | None) -> str:
        return when_in(day, self.language)


def _joined(template: str, items: list[str]) -> str:
    """Items joined two at a time by a template with %(first)s and %(then)s."""
    text = items[0]
    for item in items[1:]:
        text = template % {"first": text, "then": item}
    return text


@cache
def sentences(language: Language = DEFAULT_LANGUAGE) -> Sentences:
    return Sentences(language)
