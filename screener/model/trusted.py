"""Instances of the schema's models from data already checked elsewhere, without validating it a second time."""
from typing import TypeVar

from pydantic import BaseModel

M = TypeVar("M", bound=BaseModel)

_new = object.__new__
_set = object.__setattr__


def trusted(cls: type[M], data: dict) -> M:
    """What `cls.model_validate(data)` returns when data is already valid: the same fields, nothing checked or copied.

    For the report path only, whose every value comes from the compiled rule set and the derivation (profiled: pydantic
    validating a report was ~160 µs of a ~1,000 µs screening; this is ~0.7 µs a model, and `model_construct` was
    slower than validating, being a Python loop over the fields with defaults and aliases). The caller's data must
    hold every field of cls, in its declared order (the JSON is written in __dict__ order), with nested models as
    instances: tests/test_report_trusted.py checks the constructed reports against the validated ones.
    """
    model = _new(cls)
    _set(model, "__dict__", data)
    _set(model, "__pydantic_fields_set__", set(data))
    _set(model, "__pydantic_extra__", None)
    _set(model, "__pydantic_private__", None)
    return model
