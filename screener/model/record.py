"""The patient record a coordinator, an API client or a FHIR import submits for screening.

A value of None means "not recorded", which screening reports as unknown. An empty history list means
"reviewed, none": that is different from a history that was never recorded (None).
"""
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, field_validator, model_validator

from .. import config
from ._base import StrictModel
from .children import ScreeningNumber
from .dates import RecordDate
from .fields import Section, Words, yes_no
from .labs import LABS, LOINC_TO_LAB, LabSpec, accepted_units, lab_for_test, to_canonical
from .text import FreeText

Sex = Literal["female", "male", "other", "unknown"]
Attestation = Literal["yes", "no", "not_assessed"]
Grade = Annotated[int, Field(ge=0, le=5)]


def _zero_without_sign(value: float) -> float:
    """JSON keeps the sign of a zero (-0.0), which no measurement has: read as 0, so a report never says "-0" and
    two records measuring zero are the same value wherever values are compared or kept (the words' memo)."""
    return value + 0.0


Measured = Annotated[float, AfterValidator(_zero_without_sign)]  # a value that may be zero


class Demographics(StrictModel):
    birth_date: RecordDate
    sex: Sex
    weight_kg: Annotated[float, Field(gt=0.3, le=300)] | None = None
    height_cm: Annotated[float, Field(ge=25, le=250)] | None = None
    # When the weight and height were measured: a child's size from years ago does not size them today.
    weight_date: RecordDate | None = None
    height_date: RecordDate | None = None


DiagnosisName = Literal[
    "neuroblastoma", "aml", "high_grade_glioma", "low_grade_glioma", "brain_tumor_other", "other"
]


# Each field's words are declared beside its type (screener/model/fields.py) and read through the field catalogue.
# A class docstring here would be the API's description of the object, so this is a comment.
class Diagnosis(StrictModel):
    primary: Annotated[
        DiagnosisName | None,
        Words(
            label="Primary diagnosis",
            values={
                "aml": "AML",
                "high_grade_glioma": "high-grade glioma",
                "low_grade_glioma": "low-grade glioma",
                "brain_tumor_other": "another brain tumour",
            },
        ),
    ] = Field(None, description="primary diagnosis")
    # A glioma's WHO CNS5 (2021) integrated diagnosis, made on tissue: a trial may admit some grade 3-4 types only
    # (IRCT20170122032121N7), and "high-grade glioma" alone does not say which.
    glioma_type: Annotated[
        Literal[
            "astrocytoma_idh_mutant",
            "oligodendroglioma_idh_mutant",
            "glioblastoma_idh_wildtype",
            "diffuse_midline_glioma",
            "diffuse_hemispheric_glioma",
            "diffuse_pediatric_hgg_idh_wildtype",
            "other_type",
        ]
        | None,
        Words(
            label="WHO CNS5 glioma type",
            values={
                "astrocytoma_idh_mutant": "astrocytoma, IDH-mutant",
                "oligodendroglioma_idh_mutant": "oligodendroglioma, IDH-mutant",
                "glioblastoma_idh_wildtype": "glioblastoma, IDH-wildtype",
                "diffuse_midline_glioma": "diffuse midline glioma",
                "diffuse_hemispheric_glioma": "diffuse hemispheric glioma",
                "diffuse_pediatric_hgg_idh_wildtype": "diffuse paediatric-type high-grade glioma, IDH-wildtype",
                "other_type": "another glioma type",
            },
            fhir=False,
        ),
    ] = Field(None, description="WHO CNS5 (2021) integrated diagnosis of the glioma")
    pathology_confirmed: Annotated[
        bool | None,
        Words(
            yes="Pathology confirms the diagnosis",
            no="Pathology does not confirm the diagnosis",
            ask="whether pathology confirms the diagnosis",
            fhir=False,
        ),
    ] = Field(None, description="pathological diagnosis confirmed")
    marrow_tumor_cells: Annotated[
        bool | None,
        Words(
            yes="Tumour cells in the bone marrow",
            no="No tumour cells in the bone marrow",
            ask="whether the bone marrow shows tumour cells",
            fhir=False,
        ),
    ] = Field(None, description="tumour cells in the bone marrow")
    urine_catecholamines_elevated: Annotated[
        bool | None,
        Words(
            yes="Urinary catecholamines raised",
            no="Urinary catecholamines not raised",
            ask="whether urinary catecholamines are raised",
            fhir=False,
        ),
    ] = Field(None, description="urinary catecholamines raised")
    risk_group: Annotated[
        Literal["high", "intermediate", "low"] | None, Words(label="Risk group", fhir=False)
    ] = Field(None, description="risk group")
    mycn_amplified: Annotated[
        bool | None, Words(yes="MYCN amplified", no="MYCN not amplified", ask="whether MYCN is amplified", fhir=False)
    ] = Field(None, description="MYCN amplified")
    disease_status: Annotated[
        Literal["refractory", "relapsed", "progressive", "stable", "remission", "newly_diagnosed"] | None,
        Words(
            label="Disease status",
            fhir_only="relapsed or remission (FHIR clinicalStatus has no refractory, progressive, stable or newly "
            "diagnosed)",
        ),
    ] = Field(None, description="disease status")
    induction_cycles: Annotated[
        Annotated[int, Field(ge=0, le=40)] | None,
        Words(label="Induction chemotherapy cycles received", section=Section.THERAPY, fhir=False),
    ] = Field(None, description="cycles of multi-drug induction chemotherapy received")
    evaluable_disease: Annotated[
        Literal["imaging_measurable", "bone_marrow_only", "catecholamines_only"] | None,
        Words(label="Evaluable disease", values={"imaging_measurable": "measurable on imaging"}, fhir=False),
    ] = Field(None, description="evaluable disease (imaging-measurable, or only marrow, or only catecholamines)")


# Each test an Observation may name (catalogue name or LOINC code): its lab and the units accepted for it, looked
# up once here rather than through lab_for_test and accepted_units in each validator of each observation (profiled:
# ~43,000 lab_for_test calls in 2,000 generated records). The catalogue is fixed at import.
_OBSERVABLE: dict[str, tuple[LabSpec, tuple[str, ...]]] = {
    test: (spec, accepted_units(spec, test))
    for test, spec in ((test, lab_for_test(test)) for test in (*LOINC_TO_LAB, *LABS))
    if spec is not None
}


class Observation(StrictModel):
    """One measured value. Field order matters: unit and value are checked against the test named first."""

    test: Annotated[str, Field(min_length=1, max_length=64)]
    unit: Annotated[str, Field(min_length=1, max_length=32)]
    value: Measured
    date: RecordDate
    reference_high: Annotated[float, Field(gt=0)] | None = None
    source: Annotated[FreeText, Field(max_length=200)] | None = None

    @field_validator("test")
    @classmethod
    def _known_test(cls, test: str) -> str:
        if test not in _OBSERVABLE:
            raise ValueError("unknown test: use a catalogue name (" + ", ".join(sorted(LABS)) + ") or its LOINC code")
        return test

    @field_validator("unit")
    @classmethod
    def _accepted_unit(cls, unit: str, info) -> str:
        test = info.data.get("test")
        if test is None:
            return unit
        units = _OBSERVABLE[test][1]
        if unit not in units:
            raise ValueError(f"unit not accepted for this test; accepted: {', '.join(units)}")
        return unit

    @field_validator("value")
    @classmethod
    def _plausible(cls, value: float, info) -> float:
        test, unit = info.data.get("test"), info.data.get("unit")
        if test is None or unit is None:
            return value
        spec = _OBSERVABLE[test][0]
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
        spec = _OBSERVABLE[test][0]
        low, high = max(spec.plausible[0], spec.plausible[1] / 10_000), spec.plausible[1]
        if not low <= to_canonical(spec, limit, unit) <= high:
            raise ValueError(
                f"implausible upper limit of normal for {spec.description}: must lie between "
                f"{low:,.10g} and {high:,.10g} {spec.canonical_unit}"
            )
        return limit


class Transplant(StrictModel):
    type: Literal["autologous", "allogeneic", "haploidentical"]
    date: RecordDate


class _Period(StrictModel):
    start: RecordDate
    end: RecordDate | None = None

    @model_validator(mode="after")
    def _end_not_before_start(self):
        if self.end is not None and self.end < self.start:
            raise ValueError("end is before start")
        return self


class ChemotherapyCourse(_Period):
    regimen: Annotated[FreeText, Field(max_length=200)] | None = None


class Transfusion(StrictModel):
    product: Literal["platelets", "red_cells", "plasma", "other"]
    date: RecordDate


class Imaging(StrictModel):
    modality: Annotated[
        Literal["mri", "ct", "mibg", "fdg_pet"],
        Words(values={"mri": "MRI", "ct": "CT", "mibg": "MIBG", "fdg_pet": "FDG-PET"}),
    ]
    date: RecordDate
    largest_lesion_mm: Annotated[
        Annotated[Measured, Field(ge=0, le=1000)] | None, Words(label="Largest lesion (mm)")
    ] = None
    avid: Annotated[bool | None, Words(label="Avid on this scan")] = None


Route = Literal["oral", "iv", "im", "sc", "inhaled", "topical", "intrathecal", "other", "unknown"]
DoseUnit = Literal["mg/kg/day", "mg/m2/day", "mg/day"]


class Medication(_Period):
    name: Annotated[FreeText, Field(min_length=1, max_length=100)]
    rxnorm: Annotated[
        Annotated[str, Field(pattern=r"^[0-9]{1,12}$")] | None, Words(label="RxNorm id (optional)")
    ] = Field(None, description="RxNorm concept id (RXCUI)")
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

    # Each label is the form's title for the list.

    transplants: Annotated[
        Annotated[list[Transplant], Field(max_length=config.MAX_TRANSPLANTS_PER_RECORD)] | None,
        Words(label="Stem-cell transplants"),
    ] = None
    chemotherapy: Annotated[
        Annotated[list[ChemotherapyCourse], Field(max_length=config.MAX_CHEMOTHERAPY_COURSES_PER_RECORD)] | None,
        Words(label="Chemotherapy courses", fhir=False),
    ] = None
    transfusions: Annotated[
        Annotated[list[Transfusion], Field(max_length=config.MAX_TRANSFUSIONS_PER_RECORD)] | None,
        Words(label="Transfusions"),
    ] = None
    imaging: Annotated[
        Annotated[list[Imaging], Field(max_length=config.MAX_IMAGING_PER_RECORD)] | None,
        Words(label="Imaging studies", fhir=False),
    ] = None
    medications: Annotated[
        Annotated[list[Medication], Field(max_length=config.MAX_MEDICATIONS_PER_RECORD)] | None,
        Words(label="Medications (generic names)"),
    ] = None


def _ctcae(organ: str) -> Words:
    """What a reason calls an organ's grade: "Worst CTCAE v5.0 grade, renal: 2"."""
    return Words(label=f"Worst CTCAE v5.0 grade, {organ}")


class OrganToxicity(StrictModel):
    """Worst current CTCAE v5.0 grade per organ system."""

    renal: Annotated[Grade | None, _ctcae("renal")] = Field(
        None, description="worst current CTCAE v5.0 grade, renal (0-5)"
    )
    cardiac: Annotated[Grade | None, _ctcae("cardiac")] = Field(
        None, description="worst current CTCAE v5.0 grade, cardiac (0-5)"
    )
    hepatic: Annotated[Grade | None, _ctcae("hepatic")] = Field(
        None, description="worst current CTCAE v5.0 grade, hepatic (0-5)"
    )
    neurological: Annotated[Grade | None, _ctcae("neurological")] = Field(
        None, description="worst current CTCAE v5.0 grade, neurological (0-5)"
    )
    pulmonary: Annotated[Grade | None, _ctcae("pulmonary")] = Field(
        None, description="worst current CTCAE v5.0 grade, pulmonary (0-5)"
    )
    gastrointestinal: Annotated[Grade | None, _ctcae("gastrointestinal")] = Field(
        None, description="worst current CTCAE v5.0 grade, gastrointestinal (0-5)"
    )



class Findings(StrictModel):
    seizures: Annotated[Literal["none", "controlled", "uncontrolled"] | None, Words(label="Seizures")] = Field(
        None, description="seizures (none, controlled with anticonvulsants, not controlled)"
    )
    dyspnea_at_rest: Annotated[
        bool | None, yes_no("Dyspnoea at rest", "No dyspnoea at rest", "whether there is dyspnoea at rest")
    ] = Field(None, description="dyspnea at rest")
    exercise_intolerance: Annotated[
        bool | None,
        yes_no("Exercise intolerance", "No exercise intolerance", "whether there is exercise intolerance"),
    ] = Field(None, description="exercise intolerance")
    chronic_oxygen_need: Annotated[
        bool | None,
        yes_no("Needs oxygen chronically", "No chronic oxygen need", "whether the patient needs oxygen chronically"),
    ] = Field(None, description="chronic need for oxygen")
    pulse_oximetry_indicated: Annotated[
        bool | None,
        yes_no(
            "Pulse oximetry clinically indicated",
            "Pulse oximetry not indicated",
            "whether pulse oximetry is clinically indicated",
        ),
    ] = Field(None, description="pulse oximetry clinically indicated")
    pleural_or_pericardial_effusion: Annotated[
        bool | None,
        yes_no(
            "Pleural or pericardial effusion",
            "No pleural or pericardial effusion",
            "whether there is a pleural or pericardial effusion",
        ),
    ] = Field(None, description="pleural or pericardial effusion")
    hiv_status: Annotated[Literal["positive", "negative"] | None, Words(label="HIV status")] = Field(
        None, description="HIV status (disease or serology)"
    )
    other_trial_participation: Annotated[
        bool | None,
        # Any other clinical trial, current: the exclusion's words name no kind of trial (NCT06674265 E12). The
        # stored field keeps its name; its question was widened from "another clinical trial" to say so.
        yes_no(
            "Taking part in another clinical trial (any kind)",
            "Not taking part in any other clinical trial",
            "whether the patient takes part in any other clinical trial, of any kind (interventional or observational)",
        ),
    ] = Field(None, description="taking part in any other clinical trial, of any kind")
    ctcae_grades: OrganToxicity = OrganToxicity()
    assessed_on: RecordDate | None = Field(None, description="date these findings were assessed")


class Attestations(StrictModel):
    """Judgements no data can make; the investigator records them explicitly."""

    guardian_consent_signed: Annotated[Attestation, Words(attested="the guardian's consent is signed")] = Field(
        "not_assessed", description="guardian consent signed"
    )
    life_expectancy_at_least_6_months: Annotated[
        Attestation, Words(attested="life expectancy is at least 6 months")
    ] = Field("not_assessed", description="life expectancy at least 6 months")
    able_to_comply: Annotated[
        Attestation, Words(attested="the patient is able to comply with the protocol")
    ] = Field("not_assessed", description="able to comply")
    no_emergency_condition: Annotated[Attestation, Words(attested="there is no emergency condition")] = Field(
        "not_assessed", description="no emergency condition"
    )
    assessed_on: RecordDate | None = Field(None, description="date the investigator signed these attestations")


class PatientRecord(StrictModel):
    record_id: Annotated[str, Field(pattern=r"^[A-Za-z0-9._-]{1,64}$")] | None = None
    # The child in the site's screening log (model/children.py): screenings with one number are one child.
    screening_number: ScreeningNumber | None = None
    demographics: Demographics
    # A nested model's section and FHIR carriage hold for each of its fields unless the field declares its own.
    diagnosis: Annotated[Diagnosis, Words(section=Section.DIAGNOSIS)] = Diagnosis()
    observations: Annotated[list[Observation], Field(max_length=config.MAX_OBSERVATIONS_PER_RECORD)] = []
    history: History = History()
    findings: Annotated[Findings, Words(section=Section.FINDINGS, fhir=False)] = Findings()
    attestations: Annotated[Attestations, Words(section=Section.ATTESTATIONS, fhir=False)] = Attestations()
