"""Strict validation of data already parsed (from JSON or YAML, or built in code), without going back to JSON text.

pydantic validates Python objects and JSON text under slightly different strict rules: strict Python mode refuses a
string for a date, a list for a tuple, a string for an Enum, where strict JSON mode accepts them. The readers used
to write their dicts out as JSON text and validate that, to get JSON's rules. The models read through here (records,
rule files) are built so that the two modes agree on JSON-like data: every date is an IsoDate, whose validator
parses the YYYY-MM-DD string in either mode, and none uses tuples, sets, Enums, datetimes or other types whose
strict Python mode refuses a JSON value (tests/test_validate_data.py walks their schemas to hold that, and compares
both modes on records). The report is not read through here: its verdict and statuses are Enums.
pydantic 2 has no "JSON-like Python input" switch, so this is the one place that relies on that agreement.
"""
from typing import Any, TypeVar

from pydantic import BaseModel

M = TypeVar("M", bound=BaseModel)


def validate_data(model: type[M], data: Any) -> M:
    """data (dicts, lists, strings, numbers, booleans, None) as `model`, under the rules JSON input meets.

    Raises pydantic's ValidationError with the same locations and error types as model_validate_json (a few
    messages are worded for Python: "a valid list" where JSON says "a valid array"); callers turn them into
    FieldErrors (model.errors.field_errors) as they do for JSON text.
    """
    return model.model_validate(data)
