"""The derived facts a criterion may name, declared once like a record field: their type, meaning, unit, the record
input they are derived from (the form offers it when a rule needs the fact) and their words.

The field catalogue (facts/catalogue.py) makes each a DerivedFact entry; facts/derive.py says how each is derived.
"""
from dataclasses import dataclass, field

from .fields import FieldType, Words, yes_no


@dataclass(frozen=True)
class DerivedField:
    name: str  # the name a rule file uses
    type: FieldType
    description: str
    unit: str | None = None
    categories: tuple[str, ...] = ()
    record_path: str | None = None  # the record input it is derived from
    always_known: bool = False  # derived from required record fields: can never be unknown
    words: Words = field(default_factory=Words)



DERIVED_FIELDS: tuple["DerivedField", ...] = (
    DerivedField(
        "age_years",
        FieldType.NUMBER,
        "age in completed years on the as-of date",
        unit="years",
        record_path="demographics.birth_date",
        always_known=True,
        words=Words(label="Age"),
    ),
    DerivedField(
        "sex",
        FieldType.CATEGORY,
        "sex",
        categories=("female", "male", "other", "unknown"),
        record_path="demographics.sex",
        always_known=True,
        words=Words(label="Sex"),
    ),
    DerivedField(
        "imaging.largest_lesion_mm",
        FieldType.NUMBER,
        "largest lesion on the most recent MRI or CT",
        unit="mm",
        record_path="history.imaging",
        words=Words(label="Largest lesion on MRI/CT"),
    ),
    DerivedField(
        "imaging.mibg_avid",
        FieldType.BOOLEAN,
        "most recent I-123 MIBG scan shows avid disease",
        record_path="history.imaging",
        words=yes_no("MIBG scan shows avid disease", "MIBG scan shows no avid disease", "an MIBG scan"),
    ),
    DerivedField(
        "imaging.fdg_pet_avid",
        FieldType.BOOLEAN,
        "most recent 18F-FDG PET shows avid disease",
        record_path="history.imaging",
        words=yes_no("FDG-PET shows avid disease", "FDG-PET shows no avid disease", "an FDG-PET"),
    ),
    DerivedField(
        "diagnosis.newly_diagnosed",
        FieldType.BOOLEAN,
        "disease newly diagnosed",
        record_path="diagnosis.disease_status",
        words=yes_no("Newly diagnosed", "Not newly diagnosed", "whether the disease is newly diagnosed"),
    ),
    DerivedField(
        "diagnosis.tissue_confirmed",
        FieldType.BOOLEAN,
        "diagnosis confirmed on tissue",
        record_path="diagnosis.pathology_confirmed",
        words=yes_no(
            "Diagnosis confirmed on tissue",
            "Diagnosis not confirmed on tissue",
            "whether pathology confirms the diagnosis",
        ),
    ),
    DerivedField(
        "history.latest_hsct",
        FieldType.CATEGORY,
        "type of the most recent stem-cell transplant (none: reviewed, no transplant)",
        categories=("none", "autologous", "allogeneic", "haploidentical"),
        record_path="history.transplants",
        words=Words(label="Most recent stem-cell transplant"),
    ),
    DerivedField(
        "history.autologous_hsct",
        FieldType.BOOLEAN,
        "has had an autologous stem-cell transplant",
        record_path="history.transplants",
        words=yes_no(
            "Autologous stem-cell transplant", "No autologous stem-cell transplant", "the transplant history"
        ),
    ),
    DerivedField(
        "history.allogeneic_hsct",
        FieldType.BOOLEAN,
        "has had an allogeneic stem-cell transplant",
        record_path="history.transplants",
        words=yes_no(
            "Allogeneic stem-cell transplant", "No allogeneic stem-cell transplant", "the transplant history"
        ),
    ),
    DerivedField(
        "history.haploidentical_hsct",
        FieldType.BOOLEAN,
        "has had a haploidentical stem-cell transplant",
        record_path="history.transplants",
        words=yes_no(
            "Haploidentical stem-cell transplant",
            "No haploidentical stem-cell transplant",
            "the transplant history",
        ),
    ),
)
