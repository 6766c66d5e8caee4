"""Shared pydantic configuration: strict, closed, immutable."""
from pydantic import BaseModel, ConfigDict


class StrictModel(BaseModel):
    # strict: no bool->number or str->number coercion; forbid: a misspelt field is an error, not silently dropped.
    model_config = ConfigDict(strict=True, extra="forbid", frozen=True, allow_inf_nan=False)
