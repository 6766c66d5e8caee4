"""The words of data the reasons show, as msgids of the `reasons` catalogue.

Field descriptions and words (model/record.py, model/derived_fields.py through the field catalogue), lab names
(model/labs.py), category and code words are data, kept where they are declared, in English. A reader in another
language reads each through the `reasons` catalogue (Style.text in wording/facts.py), so a translation is one entry
there, never a second copy of the data; tests/test_fact_words_fa.py holds every one to a Persian translation.
"""
import typing
from collections.abc import Iterator
from pathlib import Path

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


# The modules whose sentences are msgids of the reasons catalogue (marked say(...) or N_(...)), under screener/.
REASONS_SOURCES = ("wording",)
REASONS_KEYWORDS = {"say": None, "N_": None}


def reasons_msgids() -> list[str]:
    """Every msgid of the reasons catalogue: the sentences marked in REASONS_SOURCES and the words of data."""
    from babel.messages.extract import extract_from_dir, extract_from_file

    package = Path(__file__).resolve().parent.parent
    found: list[str] = []
    for source in REASONS_SOURCES:
        path = package / source
        messages = (
            (m[2] for m in extract_from_dir(str(path), keywords=REASONS_KEYWORDS, comment_tags=()))
            if path.is_dir()
            else (m[1] for m in extract_from_file("python", str(path), keywords=REASONS_KEYWORDS))
        )
        found.extend(m for m in messages if isinstance(m, str))
    return list(dict.fromkeys(found + data_terms()))
