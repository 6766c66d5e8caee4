"""Free text from outside the facts, made readable: a stored report's summary (ISO dates spelt out) and the
messages of validation errors shown on the form (record and file paths dropped, units as written).

Facts never pass through here: they are worded from their data (wording/facts.py). These texts arrive as text (a
report read back from the audit trail, an error message), so reading them is the only way.
"""
import re
from datetime import date
from functools import lru_cache

from ..model.labs import LABS, UNIT_LABELS, unit_label
from ..model.language import DEFAULT_LANGUAGE, Language
from .dates import when, when_in

_ISO_DATE = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")
_UNIT_AFTER_NUMBER = re.compile(
    r"(?<=\d) (" + "|".join(re.escape(u) for u in sorted(UNIT_LABELS, key=len, reverse=True)) + r")(?=$|[\s),;])"
)
_RECORD_PATH = re.compile(
    r"\s*\((?:demographics|diagnosis|findings|attestations|history|observations)[a-z_.\[\]0-9]*\)"
    r"|\b(?:observations|history\.[a-z_]+)\[\d+\]\s*(?:from [^;]+? )?(?:test \S+)?"
    r"|\s*\(reference_high\)"
)
_FILE_PATH = re.compile(r"[;,]?\s*see (?:criteria|seeds)/\S+\.(?:yaml|md)|\s*\((?:criteria|seeds)/\S+\.(?:yaml|md)\)")
_UNIT_CODES = set(UNIT_LABELS) | {code for spec in LABS.values() for code in spec.units}


def spell_dates(text, language: Language = DEFAULT_LANGUAGE) -> str:
    """Every ISO date in a text (or a date itself) as people read it, in the reader's language and calendar (Persian:
    Solar Hijri, Persian digits); the JSON the text comes from keeps ISO."""
    day = when if language == DEFAULT_LANGUAGE else (lambda d: when_in(d, language))
    if isinstance(text, date):
        return day(text)
    return _ISO_DATE.sub(lambda m: day(date(int(m[1]), int(m[2]), int(m[3]))), str(text or ""))


def _unit_list(match: re.Match) -> str:
    """A parenthesised list of accepted unit codes, as labels, each once."""
    items = [item.strip() for item in match[1].split(",")]
    if not all(item in _UNIT_CODES for item in items):
        return match[0]
    labels = [label for label in dict.fromkeys(unit_label(item) for item in items) if label]
    return f" ({', '.join(labels)})" if labels else ""


def plain(text: str | None, language: Language = DEFAULT_LANGUAGE) -> str:
    """A message as people read it: dates spelt out (in the reader's calendar), units as written, no record or file
    paths. Its words are the message's own: a Persian reader's messages are worded in Persian where they are made."""
    return _plain(text, language) if text else ""


@lru_cache(maxsize=4096)
def _plain(text: str, language: Language = DEFAULT_LANGUAGE) -> str:
    text = _FILE_PATH.sub("", text)
    text = _RECORD_PATH.sub("", text)
    text = re.sub(r" \(([^()]*)\)", _unit_list, text)
    text = _UNIT_AFTER_NUMBER.sub(lambda m: " " + unit_label(m[1]) if unit_label(m[1]) else "", text)
    text = spell_dates(text, language)
    return re.sub(r"\s{2,}", " ", text).replace(" ;", ";").strip()
