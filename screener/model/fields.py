"""How a field is declared once: what kind of value it holds, the words people read for it, its place on the form,
and whether a FHIR Bundle carries it.

A record field declares its words as `Annotated` metadata beside its pydantic type (the description stays
pydantic's, so the OpenAPI document and `screener fields` read the same words); a lab declares them in its
`LabSpec`; a derived fact in facts/catalogue.py. The field catalogue gathers them, and the form, the reasons,
`screener fields` and the FHIR writer's list of what a Bundle does not carry all read the catalogue.
"""
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType


class FieldType(StrEnum):
    """What a comparison on a field may do: a number is compared, the others are only equal or not."""

    NUMBER = "number"
    BOOLEAN = "boolean"
    CATEGORY = "category"
    ATTESTATION = "attestation"  # yes / no / not assessed, the investigator's word


class Section(StrEnum):
    """The form's sections, in the order a coordinator reads a chart; each value is the section's title."""

    PATIENT = "Patient"
    DIAGNOSIS = "Diagnosis and disease status"
    IMAGING = "Imaging"
    THERAPY = "Prior therapy and transplants"
    TRANSFUSIONS = "Transfusions"
    LABS = "Laboratory values"
    ORGAN_FUNCTION = "Organ function"
    MEDICATIONS = "Medications"
    FINDINGS = "Findings"
    ATTESTATIONS = "Investigator attestations"


_NO_WORDS: Mapping[str, str] = MappingProxyType({})


@dataclass(frozen=True, eq=False)  # compared and hashed by identity: pydantic may hash a field's metadata
class Words:
    """A field's words. Each is optional where a default reads well: the label defaults to the description with a
    capital, a category value to its code without underscores."""

    label: str | None = None  # what a reason calls the field ("Primary diagnosis")
    values: Mapping[str, str] = field(default_factory=dict)  # category code -> words, where the code does not read well
    # A yes/no field: the clause when true, when false, and what a coordinator is asked to record.
    yes: str | None = None
    no: str | None = None
    ask: str | None = None
    attested: str | None = None  # an attestation: what the investigator attests ("life expectancy is at least ...")
    section: Section | None = None  # where the form shows it (a nested model's fields inherit their parent's)
    fhir: bool | None = None  # False: a FHIR Bundle does not carry it (inherited like the section; default True)
    fhir_only: str | None = None  # what part of it a Bundle carries, when only a part is


def yes_no(yes: str, no: str, ask: str) -> Words:
    """A yes/no field's words: the clause when true, when false, and what a coordinator is asked to record."""
    return Words(yes=yes, no=no, ask=ask)


def words_of(metadata) -> Words:
    """The Words among a pydantic field's metadata (Annotated[..., Words(...)]), else empty words."""
    return next((m for m in metadata if isinstance(m, Words)), Words())


def value_words(value, declared: Mapping[str, str] = _NO_WORDS) -> str:
    """The words for a category value: as declared, else its code without underscores. The one place that does so."""
    text = str(value)
    return declared.get(text, text.replace("_", " "))
