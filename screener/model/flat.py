"""Flat input (a form field, a CSV cell) into the nested record: one value parser and one dotted-path setter.

What pydantic strict mode expects differs from text: it refuses 4.0 for an int and "yes" for a bool. The form
and the batch CSV reader both convert here, so a boolean is spelt the same way in both.
"""
from enum import StrEnum

from .text import parse_number


class ValueKind(StrEnum):
    """What a record field's flat text turns into (facts.catalogue.record_value_kinds gives each field's)."""

    INTEGER = "integer"
    NUMBER = "number"
    BOOLEAN = "boolean"
    DATE = "date"
    TEXT = "text"

TRUE_WORDS = ("yes", "true", "1")
FALSE_WORDS = ("no", "false", "0")


def flat_value(raw: str, kind: ValueKind):
    """A non-empty flat text as the value strict validation expects, for a record field's kind (facts.catalogue's
    record_value_kinds); None for an empty text.

    Raises ValueError when the text cannot be that kind; each channel decides what to say (the form asks again,
    the CSV reader hands the text to validation, which refuses it naming the field). A number with a fraction
    for an integer field is returned as it is, for the caller or validation to refuse.
    """
    raw = raw.strip()
    if raw == "":
        return None
    if kind is ValueKind.BOOLEAN:
        lowered = raw.lower()
        if lowered in TRUE_WORDS or lowered in FALSE_WORDS:
            return lowered in TRUE_WORDS
        raise ValueError("not yes or no")
    if kind in (ValueKind.NUMBER, ValueKind.INTEGER):
        number = parse_number(raw)  # ValueError: not a number by the one policy (model/text.py)
        return int(number) if kind is ValueKind.INTEGER and number.is_integer() else number
    return raw


def set_path(record: dict, dotted: str, value) -> None:
    """Set record["a"]["b"]["c"] = value for "a.b.c", creating the parents."""
    *parents, last = dotted.split(".")
    node = record
    for part in parents:
        node = node.setdefault(part, {})
    node[last] = value
