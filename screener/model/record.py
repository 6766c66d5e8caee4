"""The patient record a coordinator, an API client or a FHIR import submits for screening.

A value of None means "not recorded", which screening reports as unknown. An empty history list means
"reviewed, none": that is different from a history that was never recorded (None).
"""
import datetime as dt
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from .. import config
from ._base import StrictModel
from .children import ScreeningNumber
from .dates import IsoDate, in_range
from .labs import LABS, accepted_units, lab_for_test, lab_of, to_canonical
from .text import FreeText

Sex = Literal["female", "male", "other", "unknown"]
Attestation = Literal["yes", "no", "not_assessed"]
Grade = Annotated[int, Field(ge=0, le=5)]


def _check_date_range(value: dt.date | None) -> dt.date | None:
    return in_range(value) if value is not None else None


class Demographics(StrictModel):
    birth_date: IsoDate
    sex: Sex
    weight_kg: Annotated[float, Field(gt=0.3, le=300)] | None = None
    height_cm: Annotated[float, Field(ge=25, le=250)] | None = None
    # When the weight and height were measured: a child's size from years ago does not size them today.
    weight_date: IsoDate | None = None
    height_date: IsoDate | None = None

    _dates = field_validator("birth_date", "weight_date", "height_date")(_check_date_range)


DiagnosisName = Literal[
    "neuroblastoma", "aml", "high_grade_glioma", "low_grade_glioma", "brain_tumor_other", "other"
]


class Diagnosis(StrictModel):
    primary: DiagnosisName | None = Field(None, description="primary diagnosis")
    pathology_confirmed: bool | None = Field(None, description="pathological diagnosis confirmed")
    marrow_tumor_cells: bool | None = Field(None, description="tumour cells in the bone marrow")
    urine_catecholamines_elevated: bool | None = Field(None, description="urinary catecholamines raised")
    risk_group: Literal["high", "intermediate", "low"] | None = None
    mycn_amplified: bool | None = Field(None, description="MYCN amplified")
    disease_status: (
        Literal["refractory", "relapsed", "progressive", "stable", "remission", "newly_diagnosed"] | None
    ) = None
    induction_cycles: Annotated[int, Field(ge=0, le=40)] | None = Field(
        None, description="cycles of multi-drug induction chemotherapy received"
    )
    evaluable_disease: Literal["imaging_measurable", "bone_marrow_only", "catecholamines_only"] | None = Field(
        None, description="evaluable disease (imaging-measurable, or only marrow, or only catecholamines)"
    )


class Observation(StrictModel):
    """One measured value. Field order matters: unit and value are checked against the test named first."""

    test: Annotated[str, Field(min_length=1, max_length=64)]
    unit: Annotated[str, Field(min_length=1, max_length=32)]
    value: float
    date: IsoDate
    reference_high: Annotated[float, Field(gt=0)] | None = None
    source: Annotated[FreeText, Field(max_length=200)] | None = None

    @field_validator("test")
    @classmethod
    def _known_test(cls, test: str) -> str:
        if lab_for_test(test) is None:
            raise ValueError("unknown test: use a catalogue name (" + ", ".join(sorted(LABS)) + ") or its LOINC code")
        return test

    @field_validator("unit")
    @classmethod
    def _accepted_unit(cls, unit: str, info) -> str:
        test = info.data.get("test")
        if test is None:
            return unit
        units = accepted_units(lab_of(test), test)
        if unit not in units:
            raise ValueError(f"unit not accepted for this test; accepted: {', '.join(units)}")
        return unit

    @field_validator("value")
    @classmethod
    def _plausible(cls, value: float, info) -> float:
        test, unit = info.data.get("test"), info.data.get("unit")
        if test is None or unit is None:
            return value
        spec = lab_of(test)
        low, high = spec.plausible
        canonical = to_canonical(spec, value, unit)
        if not (low <= canonical <= high):
            raise ValueError(
                f"impossible value for {spec.description}: "
                f"must lie between {low:,.10g} and {high:,.10g} {spec.canonical_unit}"
            )
        return value

    @field_validator("reference_high")
    @classmethod
    def _plausible_limit(cls, limit: float | None, info) -> float | None:
        # A limit of 1e-7 or 1e-300 makes any result a huge ULN multiple (and overflows the engine's numbers).
        # The lab's own upper limit must be a value the test can report, and at least 1/10,000 of the highest.
        test, unit = info.data.get("test"), info.data.get("unit")
        if limit is None or test is None or unit is None:
            return limit
        spec = lab_of(test)
        low, high = max(spec.plausible[0], spec.plausible[1] / 10_000), spec.plausible[1]
        if not low <= to_canonical(spec, limit, unit) <= high:
            raise ValueError(
                f"implausible upper limit of normal for {spec.description}: must lie between "
                f"{low:,.10g} and {high:,.10g} {spec.canonical_unit}"
            )
        return limit

    _dates = field_validator("date")(_check_date_range)


class Transplant(StrictModel):
    type: Literal["autologous", "allogeneic", "haploidentical"]
    date: IsoDate

    _dates = field_validator("date")(_check_date_range)


class _Period(StrictModel):
    start: IsoDate
    end: IsoDate | None = None

    _dates = field_validator("start", "end")(_check_date_range)

    @model_validator(mode="after")
    def _end_not_before_start(self):
        if self.end is not None and self.end < self.start:
            raise ValueError("end is before start")
        return self


class ChemotherapyCourse(_Period):
    regimen: Annotated[FreeText, Field(max_length=200)] | None = None


class Transfusion(StrictModel):
    product: Literal["platelets", "red_cells", "plasma", "other"]
    date: IsoDate

    _dates = field_validator("date")(_check_date_range)


class Imaging(StrictModel):
    modality: Literal["mri", "ct", "mibg", "fdg_pet"]
    date: IsoDate
    largest_lesion_mm: Annotated[float, Field(ge=0, le=1000)] | None = None
    avid: bool | None = None

    _dates = field_validator("date")(_check_date_range)


Route = Literal["oral", "iv", "im", "sc", "inhaled", "topical", "intrathecal", "other", "unknown"]
DoseUnit = Literal["mg/kg/day", "mg/m2/day", "mg/day"]


class Medication(_Period):
    name: Annotated[FreeText, Field(min_length=1, max_length=100)]
    rxnorm: Annotated[str, Field(pattern=r"^[0-9]{1,12}$")] | None = Field(
        None, description="RxNorm concept id (RXCUI)"
    )
    route: Route
    dose: Annotated[float, Field(gt=0, le=100_000)] | None = None
    dose_unit: DoseUnit | None = None

    @model_validator(mode="after")
    def _dose_has_unit(self):
        if (self.dose is None) != (self.dose_unit is None):
            raise ValueError("dose and dose_unit go together")
        return self


class History(StrictModel):
    """Each list: None = not recorded; [] = reviewed, none."""

    transplants: Annotated[list[Transplant], Field(max_length=config.MAX_TRANSPLANTS_PER_RECORD)] | None = None
    chemotherapy: (
        Annotated[list[ChemotherapyCourse], Field(max_length=config.MAX_CHEMOTHERAPY_COURSES_PER_RECORD)] | None
    ) = None
    transfusions: Annotated[list[Transfusion], Field(max_length=config.MAX_TRANSFUSIONS_PER_RECORD)] | None = None
    imaging: Annotated[list[Imaging], Field(max_length=config.MAX_IMAGING_PER_RECORD)] | None = None
    medications: Annotated[list[Medication], Field(max_length=config.MAX_MEDICATIONS_PER_RECORD)] | None = None


class OrganToxicity(StrictModel):
    """Worst current CTCAE v5.0 grade per organ system."""

    renal: Grade | None = None
    cardiac: Grade | None = None
    hepatic: Grade | None = None
    neurological: Grade | None = None
    pulmonary: Grade | None = None
    gastrointestinal: Grade | None = None


class Findings(StrictModel):
    seizures: Literal["none", "controlled", "uncontrolled"] | None = Field(
        None, description="seizures (none, controlled with anticonvulsants, not controlled)"
    )
    dyspnea_at_rest: bool | None = None
    exercise_intolerance: bool | None = None
    chronic_oxygen_need: bool | None = Field(None, description="chronic need for oxygen")
    pulse_oximetry_indicated: bool | None = Field(None, description="pulse oximetry clinically indicated")
    pleural_or_pericardial_effusion: bool | None = None
    hiv_status: Literal["positive", "negative"] | None = Field(None, description="HIV status (disease or serology)")
    other_trial_participation: bool | None = Field(None, description="taking part in another clinical trial")
    ctcae_grades: OrganToxicity = OrganToxicity()
    assessed_on: IsoDate | None = Field(None, description="date these findings were assessed")

    _dates = field_validator("assessed_on")(_check_date_range)


class Attestations(StrictModel):
    """Judgements no data can make; the investigator records them explicitly."""

    guardian_consent_signed: Attestation = "not_assessed"
    life_expectancy_at_least_6_months: Attestation = "not_assessed"
    able_to_comply: Attestation = "not_assessed"
    no_emergency_condition: Attestation = "not_assessed"
    assessed_on: IsoDate | None = Field(None, description="date the investigator signed these attestations")

    _dates = field_validator("assessed_on")(_check_date_range)


class PatientRecord(StrictModel):
    record_id: Annotated[str, Field(pattern=r"^[A-Za-z0-9._-]{1,64}$")] | None = None
    # The child in the site's screening log (model/children.py): screenings with one number are one child.
    screening_number: ScreeningNumber | None = None
    demographics: Demographics
    diagnosis: Diagnosis = Diagnosis()
    observations: Annotated[list[Observation], Field(max_length=config.MAX_OBSERVATIONS_PER_RECORD)] = []
    history: History = History()
    findings: Findings = Findings()
    attestations: Attestations = Attestations()
