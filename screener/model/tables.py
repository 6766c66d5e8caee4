"""Schemas of the clinical reference tables kept as data in criteria/tables/."""
from typing import Annotated, Literal

from pydantic import Field

from ._base import StrictModel


class AgeRow(StrictModel):
    min_age_months: Annotated[int, Field(ge=0)]
    max_age_months: Annotated[int, Field(gt=0)] | None


class CreatinineRow(AgeRow):
    male: Annotated[float, Field(gt=0)]
    female: Annotated[float, Field(gt=0)]
    verified: bool


class CreatinineTable(StrictModel):
    description: str
    source: str
    rows: list[CreatinineRow]


class UlnRow(AgeRow):
    lab: str
    uln: Annotated[float, Field(gt=0)]
    unit: str
    source: str


class UlnTable(StrictModel):
    description: str
    rows: list[UlnRow]


class CorticosteroidTable(StrictModel):
    description: str
    source: str
    systemic_routes: list[str]
    drugs: dict[str, Annotated[float, Field(gt=0)]]


class Cyp3a4Entry(StrictModel):
    role: Literal["inhibitor", "inducer"]
    strength: Literal["strong", "moderate", "weak"]


class Cyp3a4Table(StrictModel):
    description: str
    source: str
    drugs: dict[str, Cyp3a4Entry]
