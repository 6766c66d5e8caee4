"""Schemas of the clinical reference tables kept as data in criteria/tables/."""
import datetime as dt
from dataclasses import dataclass
from typing import Annotated, Literal

from pydantic import Field, model_validator

from ._base import StrictModel
from .labs import LABS


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
    source: str  # the citation a reason gives
    verification: str | None = None  # how far the row was checked: for reviewers, not for the reason


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


class ValueLimit(StrictModel):
    """One plausibility limit on a lab value: the row holds when every bound given holds (bounds exclusive).

    A row may apply only to values given in some units (a slip is a unit's: 142 in /µL, not 142 in ×10³/µL); its
    bounds are in `unit`, the value converted to it. did_you_mean names the unit the same figure most likely had.
    """

    lab: str
    given_in: Annotated[list[str], Field(min_length=1)] | None = None  # None: whatever unit the value was given in
    unit: str
    more_than: float | None = None
    less_than: float | None = None
    did_you_mean: str | None = None
    reason: Annotated[str, Field(min_length=1)]
    citation: str | None = None

    @model_validator(mode="after")
    def _known_lab_and_units(self):
        spec = LABS.get(self.lab)
        if spec is None:
            raise ValueError(f"unknown lab; known: {', '.join(LABS)}")
        for unit in (self.unit, *(self.given_in or ()), *((self.did_you_mean,) if self.did_you_mean else ())):
            if unit not in spec.units:
                raise ValueError(f"unit not in the lab catalogue for {self.lab}: {unit}")
        if self.more_than is None and self.less_than is None:
            raise ValueError("give more_than, less_than or both")
        if self.more_than is not None and self.less_than is not None and self.more_than >= self.less_than:
            raise ValueError("more_than must be below less_than")
        return self


class FutureDates(StrictModel):
    """Dates that cannot lie after today (the real date, screener.model.dates.today)."""

    reason: Annotated[str, Field(min_length=1)]
    # Record fields exempt, by path without list indexes (history.medications.end), each with why.
    exempt: dict[str, Annotated[str, Field(min_length=1)]] = {}
    as_of_days_after_today: Annotated[int, Field(ge=0)]
    as_of_reason: Annotated[str, Field(min_length=1)]


class ImpossibleTable(StrictModel):
    """Values no living child can have, as given: the record is refused, naming the field and the likely slip."""

    description: str
    reviewed: dt.date
    dates: FutureDates
    labs: list[ValueLimit]


class ConfirmTable(StrictModel):
    """Values a real child can have but that are usually a slip: confirmed in the form, a warning in reports."""

    description: str
    reviewed: dt.date
    labs: list[ValueLimit]


@dataclass(frozen=True)
class Tables:
    """Every reference table a screening reads, loaded together (rules.load_tables)."""

    creatinine_max: CreatinineTable
    uln: UlnTable
    corticosteroids: CorticosteroidTable
    cyp3a4: Cyp3a4Table
    medications: MedicationVocabulary
    impossible: ImpossibleTable
    to_confirm: ConfirmTable
