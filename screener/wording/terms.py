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
from ..model.verdict import DRAFT_LABEL, Verdict


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
    yield from _limit_sources()
    yield from (verdict.label for verdict in Verdict)  # the verdict line's words, chosen from the verdict
    yield DRAFT_LABEL


def _limit_sources() -> Iterator[str]:
    """What a limit a rule file states itself is ("the trial's stated ULN for ALT"): a reason says it after the
    limit, so it is a word of data like a lab's name (every rule set, drafts too)."""
    from ..rules import load_rule_sets

    def walk(node) -> Iterator[str]:
        if isinstance(node, dict):
            of = node.get("of")
            if isinstance(of, dict) and isinstance(of.get("source"), str):
                yield of["source"]
            for value in node.values():
                yield from walk(value)
        elif isinstance(node, list):
            for value in node:
                yield from walk(value)

    for rule_set in load_rule_sets(allow_draft=True).values():
        yield from walk(rule_set.model_dump(mode="json")["criteria"])


# The modules whose sentences are msgids of the reasons catalogue, under screener/: a sentence said whole (say, N_,
# gettext), one whose words depend on a number (count, ngettext: singular and plural), one with a context (pgettext).
REASONS_SOURCES = ("wording", "explain.py", "todos.py", "screening.py", "model/verdict.py")
REASONS_KEYWORDS = {"say": None, "N_": None, "gettext": None, "count": (1, 2), "ngettext": (1, 2),
                    "pgettext": ((1, "c"), 2)}

# A message of the catalogue: its msgid (a plural's singular and plural) and its context (None for most).
Message = tuple[str | tuple[str, str], str | None]


def reasons_messages() -> list[Message]:
    """Every message of the reasons catalogue, each once: the sentences marked in REASONS_SOURCES (with their plurals
    and contexts, as Babel extracts them) and the words of data, the verdict labels among them."""
    from babel.messages.extract import extract_from_dir, extract_from_file

    package = Path(__file__).resolve().parent.parent
    found: list[Message] = []
    for source in REASONS_SOURCES:
        path = package / source
        messages = (
            ((m[2], m[4]) for m in extract_from_dir(str(path), keywords=REASONS_KEYWORDS, comment_tags=()))
            if path.is_dir()
            else ((m[1], m[3]) for m in extract_from_file("python", str(path), keywords=REASONS_KEYWORDS))
        )
        found.extend((message, context) for m, context in messages if (message := _message(m)) is not None)
    found += [(term, None) for term in data_terms()]
    return list(dict.fromkeys(found))


def _message(m) -> str | tuple[str, str] | None:
    """A msgid as extracted (None where a call names no literal: a word said from data)."""
    if isinstance(m, str):
        return m
    if isinstance(m, tuple) and len(m) == 2 and all(isinstance(part, str) for part in m):
        return (m[0], m[1])
    return None


def reasons_msgids() -> list[str]:
    """The msgids of the reasons catalogue said whole, without a context (a plural's and a context's are in
    reasons_messages)."""
    return [m for m, context in reasons_messages() if isinstance(m, str) and context is None]
