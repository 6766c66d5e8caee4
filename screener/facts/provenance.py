"""Where a fact's value was read (a record path, as a typed thing) and what a known value was derived from.

Data only: the explanation layer (screener/wording) words each of these, for the report's evidence and for the
sentences a coordinator reads. Nothing here is a sentence.
"""
from dataclasses import dataclass
from datetime import date
from typing import Literal

from .fast_init import fast_init

History = Literal["transfusions", "transplants", "chemotherapy", "medications", "imaging"]


# --- where a value was read --------------------------------------------------------------------------------------
@fast_init
@dataclass(frozen=True)
class FieldPath:
    """A field at its record path ("diagnosis.disease_status"), with the value shown beside it when that says more
    (the birth date an age was computed from)."""

    path: str
    value: date | None = None


@fast_init
@dataclass(frozen=True)
class ObservationPath:
    """observations[index]; origin and test when the value is used (a too-old one is named by its index only)."""

    index: int
    origin: str | None = None
    test: str | None = None


@fast_init
@dataclass(frozen=True)
class EntryPath:
    """One entry of a history list: history.medications[2]; a scan also names its modality."""

    history: History
    index: int
    modality: str | None = None


@fast_init
@dataclass(frozen=True)
class ReportingLabLimit:
    """The upper limit of normal the reporting lab gave with the value (reference_high)."""


@fast_init
@dataclass(frozen=True)
class DefaultUln:
    """The project's default upper limit of normal (criteria/tables/uln_defaults.yaml), with its source and how far
    the row was checked."""

    uln: float
    unit: str
    source: str
    verification: str | None = None


@fast_init
@dataclass(frozen=True)
class CogMaximum:
    """The COG age/sex creatinine maximum (criteria/tables/creatinine_max_cog.yaml)."""

    limit: float
    sex: str
    from_months: int
    verified: bool


LimitBasis = ReportingLabLimit | DefaultUln | CogMaximum


@fast_init
@dataclass(frozen=True)
class AgainstLimit:
    """A lab value held against a limit: the observation and where the limit came from."""

    observation: ObservationPath
    limit: LimitBasis


Source = FieldPath | ObservationPath | EntryPath | AgainstLimit


# --- what a known value was derived from ---------------------------------------------------------------------
@fast_init
@dataclass(frozen=True)
class AsRecorded:
    """The value as the record holds it (a category, a yes/no, a count)."""

    value: bool | str | int | float


@fast_init
@dataclass(frozen=True)
class Years:
    years: int


@fast_init
@dataclass(frozen=True)
class Measured:
    """A lab value as reported, and in the canonical unit when that differs."""

    value: float
    unit: str
    canonical: float | None = None
    canonical_unit: str | None = None


@fast_init
@dataclass(frozen=True)
class DefaultLimitCaveat:
    """The limit is the project's default, not the reporting lab's."""

    uln: float
    unit: str


@fast_init
@dataclass(frozen=True)
class UnverifiedRowCaveat:
    """The COG limit comes from a table row not checked against a public copy."""

    limit: float
    from_months: int


@fast_init
@dataclass(frozen=True)
class MultipleOfLimit:
    measured: Measured
    multiple: float
    limit: float
    canonical_unit: str
    caveat: DefaultLimitCaveat | UnverifiedRowCaveat | None


@fast_init
@dataclass(frozen=True)
class DrawnAfterTransfusion:
    """A count independent of transfusion: none of the product in the days before it, or the last one long enough
    before it (last and days_after set)."""

    measured: Measured
    product: str
    days: int
    last: date | None = None
    days_after: int | None = None


@fast_init
@dataclass(frozen=True)
class ScanFinding:
    avid: bool | None = None
    largest_lesion_mm: float | None = None


@fast_init
@dataclass(frozen=True)
class TransplantDone:
    """A transplant of the asked type is on record (the fact's date is the most recent)."""


@fast_init
@dataclass(frozen=True)
class HistoryReviewedNone:
    """The history list is recorded and holds nothing that counts."""


@fast_init
@dataclass(frozen=True)
class DiseaseStatusReading:
    """Newly diagnosed or not, read off the recorded disease status."""

    status: str


@fast_init
@dataclass(frozen=True)
class PathologyConfirmed:
    pass


@fast_init
@dataclass(frozen=True)
class NoEvent:
    """No such event in a reviewed history list."""

    history: History


@fast_init
@dataclass(frozen=True)
class Ongoing:
    """The event goes on on the as-of date."""


@fast_init
@dataclass(frozen=True)
class DaysBefore:
    days: int
