"""The words of data the reasons show, as msgids of the `reasons` catalogue.

Field descriptions and words (model/record.py, model/derived_fields.py through the field catalogue), lab names
(model/labs.py), category and code words are data, kept where they are declared, in English. A reader in another
language reads each through the `reasons` catalogue (Style.text in wording/facts.py), so a translation is one entry
there, never a second copy of the data; tests/test_fact_words_fa.py holds every one to a Persian translation.
"""
import typing
from collections.abc import Iterator

from ..facts.catalogue import catalogue
from ..model.labs import LABS, TRANSFUSION_WORDS
from ..model.record import Route


def data_terms() -> list[str]:
    """Every English word of data the reasons may show, each once, in a stable order."""
    return list(dict.fromkeys(_terms()))


def _terms() -> Iterator[str]:
    for info in catalogue().values():
        yield info.description  # an undeclared label is the description with a capital (facts.label_of)
        words = info.words
        yield from (text for text in (words.label, words.yes, words.no, words.ask, words.attested) if text)
        yield from (info.value_words(code) for code in info.categories)
    for spec in LABS.values():
        yield spec.description
        if spec.label:
            yield spec.label
    yield from TRANSFUSION_WORDS.values()
    yield from typing.get_args(Route)  # a medication's route, shown as its code in English
