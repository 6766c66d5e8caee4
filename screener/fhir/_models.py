"""Typed models of the FHIR R4 subset the reader uses: every resource is checked against its model before it is read.

Only the elements screening reads are declared; others are ignored (a FHIR resource has many). Types are strict
(a code given as a number, a coding given as a string, a period given as text is an error), every number is
bounded and finite, and lists are capped, so nothing the readers touch can have a shape they do not expect. A
malformed Patient is a 422 naming the path; any other malformed resource is listed as ignored with the path and
what was wrong, and the rest of the Bundle is read. A medication resource's dosage is checked line by line: a
bad line leaves the dose and route unknown but keeps the medication (dropping it could hide an excluding drug).
"""
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

Text = Annotated[str, StringConstraints(max_length=10_000)]
Number = Annotated[float, Field(ge=-1e12, le=1e12, allow_inf_nan=False)]
Count = Annotated[int, Field(ge=0, le=100_000)]
MAX_LIST = 1_000


def _list(item):
    return Annotated[list[item], Field(max_length=MAX_LIST)]


class _Element(BaseModel):
    model_config = ConfigDict(strict=True, extra="ignore", allow_inf_nan=False)


class Coding(_Element):
    system: Text | None = None
    code: Text | None = None
    display: Text | None = None


class CodeableConcept(_Element):
    coding: _list(Coding) | None = None
    text: Text | None = None


class Reference(_Element):
    reference: Text | None = None


class Period(_Element):
    start: Text | None = None
    end: Text | None = None


class Quantity(_Element):
    value: Number | None = None
    unit: Text | None = None
    code: Text | None = None
    system: Text | None = None


class TimingRepeat(_Element):
    boundsDuration: Quantity | None = None
    boundsPeriod: Period | None = None
    frequency: Count | None = None
    frequencyMax: Count | None = None
    period: Number | None = None
    periodMax: Number | None = None
    periodUnit: Text | None = None
    timeOfDay: _list(Text) | None = None
    when: _list(Text) | None = None


class Timing(_Element):
    repeat: TimingRepeat | None = None
    code: CodeableConcept | None = None


class DoseAndRate(_Element):
    type: CodeableConcept | None = None
    doseQuantity: Quantity | None = None
    doseRange: dict | None = None
    rateQuantity: Quantity | None = None


class Dosage(_Element):
    sequence: Count | None = None
    timing: Timing | None = None
    asNeededBoolean: bool | None = None
    asNeededCodeableConcept: CodeableConcept | None = None
    route: CodeableConcept | None = None
    doseAndRate: _list(DoseAndRate) | None = None


class AdministrationDosage(_Element):
    route: CodeableConcept | None = None
    dose: Quantity | None = None
    rateQuantity: Quantity | None = None
    rateRatio: dict | None = None


class _Resource(_Element):
    resourceType: Text
    id: Annotated[str, StringConstraints(max_length=200)] | None = None
    subject: Reference | None = None


class Patient(_Resource):
    birthDate: Text | None = None
    gender: Text | None = None


class ReferenceRange(_Element):
    high: Quantity | None = None


class Observation(_Resource):
    status: Text | None = None
    code: CodeableConcept | None = None
    effectiveDateTime: Text | None = None
    effectivePeriod: Period | None = None
    issued: Text | None = None
    valueQuantity: Quantity | None = None
    referenceRange: _list(ReferenceRange) | None = None


class Condition(_Resource):
    code: CodeableConcept | None = None
    clinicalStatus: CodeableConcept | None = None
    verificationStatus: CodeableConcept | None = None
    onsetDateTime: Text | None = None
    onsetPeriod: Period | None = None
    recordedDate: Text | None = None


class Procedure(_Resource):
    status: Text | None = None
    code: CodeableConcept | None = None
    performedDateTime: Text | None = None
    performedPeriod: Period | None = None


class Medication(_Resource):
    code: CodeableConcept | None = None


class _MedicationUse(_Resource):
    status: Text | None = None
    medicationCodeableConcept: CodeableConcept | None = None
    medicationReference: Reference | None = None
    contained: _list(dict) | None = None
    effectiveDateTime: Text | None = None
    effectivePeriod: Period | None = None


class MedicationStatement(_MedicationUse):
    patient: Reference | None = None
    dosage: _list(Any) | None = None  # each line checked on its own (Dosage)


class MedicationAdministration(_MedicationUse):
    dosage: Any = None  # checked on its own (AdministrationDosage)


class DispenseRequest(_Element):
    validityPeriod: Period | None = None
    numberOfRepeatsAllowed: Count | None = None
    expectedSupplyDuration: Quantity | None = None


class MedicationRequest(_MedicationUse):
    intent: Text | None = None
    authoredOn: Text | None = None
    dosageInstruction: _list(Any) | None = None  # each line checked on its own (Dosage)
    dispenseRequest: DispenseRequest | None = None


MODELS: dict[str, type[_Resource]] = {m.__name__: m for m in (
    Patient, Observation, Condition, Procedure, Medication, MedicationStatement, MedicationAdministration, MedicationRequest)}


def path_of(loc: tuple) -> str:
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path


def problem(model: type[_Element], data) -> tuple[str, str] | None:
    """None when data fits the model, else the first offending path and what is wrong there (never the value)."""
    try:
        model.model_validate(data)
    except ValidationError as exc:
        errors = exc.errors()
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        return path_of(errors[0]["loc"]), errors[0]["msg"] + more
    return None
