"""A compiled comparison's threshold as the rule file states it: data the compiler records beside the comparison,
worded here for its text and for the reasons."""
from dataclasses import dataclass
from typing import Callable

from .numbers import threshold as fmt_threshold


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


def after_number(s: Stated, unit: Callable[[str], str] = str) -> str:
    """What follows the threshold's number: its unit, " × ULN", or the stated limit."""
    text = _unit(s.unit, unit)
    if isinstance(s.then, LimitOf):
        of = s.then
        limit = fmt_threshold(of.value) + _unit(of.unit, unit)
        canonical = fmt_threshold(of.threshold) + _unit(of.canonical_unit, unit)
        return f"{text} × {limit} (= {canonical}; limit: {of.source})"
    return text + s.then


def _unit(code: str | None, unit: Callable[[str], str]) -> str:
    shown = unit(code) if code else ""
    return f" {shown}" if shown else ""
