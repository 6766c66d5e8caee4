"""Schemas of the clinical reference tables kept as data in criteria/tables/."""
import datetime as dt
from dataclasses import dataclass
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


class CorticosteroidEntry(StrictModel):
    prednisone_factor: Annotated[float, Field(gt=0)]  # × dose = prednisone-equivalent dose
    source: Annotated[str, Field(min_length=1)]


class CorticosteroidTable(StrictModel):
    description: str
    source: str
    reviewed: dt.date
    systemic_routes: list[str]
    drugs: dict[str, CorticosteroidEntry]
    # Corticosteroids given systemically for which no prednisone equivalence is cited here: a systemic course of
    # one of them leaves a dose-threshold criterion unknown, never "not a corticosteroid".
    without_equivalence: dict[str, str] = {}


class Cyp3a4Entry(StrictModel):
    role: Literal["inhibitor", "inducer"]
    strength: Literal["strong", "moderate", "weak"]
    source: Annotated[str, Field(min_length=1)]


class Cyp3a4Table(StrictModel):
    description: str
    source: str
    reviewed: dt.date
    drugs: dict[str, Cyp3a4Entry]


class IngredientEntry(StrictModel):
    """Names the drug-name library lacks or resolves otherwise, for one ingredient, with where they come from."""

    names: list[str] = []
    prodrug_of: str | None = None  # the active moiety, whose classes the prodrug takes
    source: Annotated[str, Field(min_length=1)]


class Product(StrictModel):
    """A brand or product name with more than one ingredient."""

    ingredients: Annotated[list[str], Field(min_length=1)]
    source: Annotated[str, Field(min_length=1)]


class RxNormProduct(Product):
    display: str


class Combination(StrictModel):
    """A combination written by its ingredients' names, in any order and with any of the usual separators."""

    # ingredient -> its other spellings inside this combination (its own name is always one): an abbreviation
    # here ("TMP", "pip") names the ingredient only beside the combination's other ingredients, never alone
    spellings: Annotated[dict[str, list[str]], Field(min_length=2, max_length=3)]
    source: Annotated[str, Field(min_length=1)]


class MedicationVocabulary(StrictModel):
    description: str
    reviewed: dt.date
    salt_words: list[str]
    dose_form_words: list[str]
    dose_instruction_words: list[str]
    form_routes: dict[Literal["oral", "inhaled", "topical"], list[str]]
    ingredients: dict[str, IngredientEntry]
    products: dict[str, Product]
    combinations: list[Combination]
    rxnorm: dict[Annotated[str, Field(pattern=r"^[0-9]{1,12}$")], RxNormProduct]


@dataclass(frozen=True)
class Tables:
    """Every reference table a screening reads, loaded together (rules.load_tables)."""

    creatinine_max: CreatinineTable
    uln: UlnTable
    corticosteroids: CorticosteroidTable
    cyp3a4: Cyp3a4Table
    medications: MedicationVocabulary
