"""A compiled comparison's threshold as the rule file states it: data the compiler records beside the comparison,
worded here for its text and for the reasons."""
from dataclasses import dataclass
from typing import Callable

from ..model.language import DEFAULT_LANGUAGE
from .numbers import threshold as fmt_threshold
from .sentences import N_, Sentences


@dataclass(frozen=True)
class LimitOf:
    """A multiple of a limit the rule file states itself (value, unit and where the limit comes from)."""

    value: float
    unit: str
    threshold: float
    canonical_unit: str
    source: str


@dataclass(frozen=True)
class Stated:
    """The number, its unit code, then what it multiplies (" × ULN") or the stated limit."""

    number: str
    unit: str | None = None
    then: str | LimitOf = ""


def stated(s: Stated, unit: Callable[[str], str] = str) -> str:
    """unit: how a unit code reads after a number (the code itself in the comparison's text, a label for readers;
    an empty label drops it)."""
    return s.number + after_number(s, unit)


def after_number(s: Stated, unit: Callable[[str], str] = str, words: Sentences | None = None) -> str:
    """What follows the threshold's number: its unit, " × ULN", or the stated limit. words: the reader's sentences
    (its numbers and the limit's sentence in the reader's language); None: the comparison's own text, English."""
    if words is not None and words.language != DEFAULT_LANGUAGE:  # a unit that is a word is said in the reader's
        unit = _in_words(unit, words)
    text = _unit(s.unit, unit)
    if isinstance(s.then, LimitOf):
        of = s.then
        number = fmt_threshold if words is None else (lambda n: words.number(fmt_threshold(n)))
        limit = number(of.value) + _unit(of.unit, unit)
        canonical = number(of.threshold) + _unit(of.canonical_unit, unit)
        if words is None:
            return f"{text} × {limit} (= {canonical}; limit: {of.source})"
        return text + words.say(" × %(limit)s (= %(canonical)s; limit: %(source)s)", limit=limit,
                                canonical=canonical, source=words.word(of.source))
    return text + (words.say(s.then) if words is not None and s.then else s.then)


# What a multiple multiplies (the compiler's Stated.then), each a msgid said where the threshold is worded.
MULTIPLES = {"uln": N_(" × ULN"), "age_sex_max": N_(" × age/sex maximum")}
# Units a rule file may state that are words, not symbols (charts keep symbols in Latin script, never words).
_WORD_UNITS = {"years": N_("years"), "months": N_("months"), "days": N_("days")}


def _in_words(unit: Callable[[str], str], words: Sentences) -> Callable[[str], str]:
    return lambda code: words.say(_WORD_UNITS[code]) if code in _WORD_UNITS else unit(code)


def _unit(code: str | None, unit: Callable[[str], str]) -> str:
    shown = unit(code) if code else ""
    return f" {shown}" if shown else ""
