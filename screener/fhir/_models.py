"""Typed models of the FHIR R4 subset the reader uses: every resource is checked against its model before it is read.

Only the elements screening reads are declared; others are ignored (a FHIR resource has many). Types are strict
(a code given as a number, a coding given as a string, a period given as text is an error), every number is
bounded and finite, and lists are capped, so nothing the readers touch can have a shape they do not expect. A
malformed Patient is a 422 naming the path; any other malformed resource is listed as ignored with the path and
what was wrong, and the rest of the Bundle is read. A medication resource's dosage is checked line by line: a
bad line leaves the dose and route unknown but keeps the medication (dropping it could hide an excluding drug).
"""
from typing import Annotated, Any, Literal, TypeVar, Union

from pydantic import BaseModel, ConfigDict, Field, PlainValidator, StringConstraints, ValidationError

from .. import config
from ..model.errors import validation_message
from ..model.text import FhirString

# A FHIR string: tab and line breaks allowed, other control characters not (model/text.py).
Text = Annotated[FhirString, StringConstraints(max_length=10_000)]
Number = Annotated[float, Field(ge=-1e12, le=1e12, allow_inf_nan=False)]
Count = Annotated[int, Field(ge=0, le=100_000)]
MAX_LIST = 1_000


_Item = TypeVar("_Item")
# A list of at most MAX_LIST items: `_List[Coding]` (a generic alias, so type checkers read it as list[Coding]).
_List = Annotated[list[_Item], Field(max_length=MAX_LIST)]


def _checked_later(model) -> PlainValidator:
    """Any value here, described as `model` in the OpenAPI document: the reader checks it on its own (a bad dosage
    line, a bad resource is ignored with its reason rather than refusing the Bundle)."""
    return PlainValidator(lambda value: value, json_schema_input_type=model)


class _Element(BaseModel):
    model_config = ConfigDict(strict=True, extra="ignore", allow_inf_nan=False)


class Coding(_Element):
    system: Text | None = None
    code: Text | None = None
    display: Text | None = None


class CodeableConcept(_Element):
    coding: _List[Coding] | None = None
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
    timeOfDay: _List[Text] | None = None
    when: _List[Text] | None = None


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
    doseAndRate: _List[DoseAndRate] | None = None


class AdministrationDosage(_Element):
    route: CodeableConcept | None = None
    dose: Quantity | None = None
    rateQuantity: Quantity | None = None
    rateRatio: dict | None = None


class _Resource(_Element):
    resourceType: Text
    id: Annotated[FhirString, StringConstraints(max_length=200)] | None = None
    subject: Reference | None = None


class Patient(_Resource):
    resourceType: Literal["Patient"]
    birthDate: Text | None = None
    gender: Text | None = None


class ReferenceRange(_Element):
    high: Quantity | None = None


class Observation(_Resource):
    resourceType: Literal["Observation"]
    status: Text | None = None
    code: CodeableConcept | None = None
    effectiveDateTime: Text | None = None
    effectivePeriod: Period | None = None
    issued: Text | None = None
    valueQuantity: Quantity | None = None
    referenceRange: _List[ReferenceRange] | None = None


class Condition(_Resource):
    resourceType: Literal["Condition"]
    code: CodeableConcept | None = None
    clinicalStatus: CodeableConcept | None = None
    verificationStatus: CodeableConcept | None = None
    onsetDateTime: Text | None = None
    onsetPeriod: Period | None = None
    recordedDate: Text | None = None


class Procedure(_Resource):
    resourceType: Literal["Procedure"]
    status: Text | None = None
    code: CodeableConcept | None = None
    performedDateTime: Text | None = None
    performedPeriod: Period | None = None


class Medication(_Resource):
    resourceType: Literal["Medication"]
    code: CodeableConcept | None = None


class _MedicationUse(_Resource):
    status: Text | None = None
    medicationCodeableConcept: CodeableConcept | None = None
    medicationReference: Reference | None = None
    contained: _List[Annotated[Any, _checked_later(Medication)]] | None = None
    effectiveDateTime: Text | None = None
    effectivePeriod: Period | None = None


class MedicationStatement(_MedicationUse):
    resourceType: Literal["MedicationStatement"]
    patient: Reference | None = None
    dosage: _List[Annotated[Any, _checked_later(Dosage)]] | None = None


class MedicationAdministration(_MedicationUse):
    resourceType: Literal["MedicationAdministration"]
    dosage: Annotated[Any, _checked_later(AdministrationDosage)] = None


class DispenseRequest(_Element):
    validityPeriod: Period | None = None
    numberOfRepeatsAllowed: Count | None = None
    expectedSupplyDuration: Quantity | None = None


class MedicationRequest(_MedicationUse):
    resourceType: Literal["MedicationRequest"]
    intent: Text | None = None
    authoredOn: Text | None = None
    dosageInstruction: _List[Annotated[Any, _checked_later(Dosage)]] | None = None
    dispenseRequest: DispenseRequest | None = None


MODELS: dict[str, type[_Resource]] = {m.__name__: m for m in (
    Patient, Observation, Condition, Procedure,
    Medication, MedicationStatement, MedicationAdministration, MedicationRequest,
)}


class OtherResource(_Resource):
    """Any other resource (Encounter, Claim, …): not read, and a resource of a type above that does not fit its
    model is read as this one, listed as ignored with the path and the reason."""

    model_config = ConfigDict(extra="allow")


def _a_resource(value):
    if not isinstance(value, dict) or not isinstance(value.get("resourceType"), str):
        raise ValueError("each entry needs a resource with a resourceType")
    return value


class BundleEntry(_Element):
    fullUrl: Text | None = None
    # Each resource is checked against its own model as it is read (a malformed Patient is refused, any other
    # malformed resource ignored), so here only that it is a resource.
    resource: Annotated[
        dict, PlainValidator(_a_resource, json_schema_input_type=Union[tuple(MODELS.values()) + (OtherResource,)])
    ]


_EXAMPLE: dict[str, Any] = {
    "resourceType": "Bundle",
    "type": "collection",
    "entry": [
        {
            "fullUrl": "urn:uuid:p1",
            "resource": {"resourceType": "Patient", "id": "p1", "birthDate": "2018-03-14", "gender": "female"},
        },
        {
            "resource": {
                "resourceType": "Observation",
                "status": "final",
                "subject": {"reference": "urn:uuid:p1"},
                "code": {"coding": [{"system": "http://loinc.org", "code": "777-3"}]},
                "effectiveDateTime": "2026-11-18",
                "valueQuantity": {"value": 142, "unit": "10*3/uL", "code": "10*3/uL"},
            }
        },
        {
            "resource": {
                "resourceType": "MedicationStatement",
                "status": "active",
                "subject": {"reference": "urn:uuid:p1"},
                "medicationCodeableConcept": {
                    "coding": [
                        {
                            "system": "http://www.nlm.nih.gov/research/umls/rxnorm",
                            "code": "3264",
                            "display": "dexamethasone",
                        }
                    ]
                },
                "effectivePeriod": {"start": "2026-10-20", "end": "2026-10-24"},
                "dosage": [
                    {
                        "timing": {"repeat": {"frequency": 1, "period": 1, "periodUnit": "d"}},
                        "doseAndRate": [{"doseQuantity": {"value": 4, "unit": "mg", "code": "mg"}}],
                    }
                ],
            }
        },
    ],
}


class Bundle(_Element):
    """A FHIR R4 Bundle with exactly one Patient; the resources screening reads are described by their models."""

    model_config = ConfigDict(json_schema_extra={"examples": [_EXAMPLE]})
    resourceType: Literal["Bundle"]
    type: Text | None = None
    entry: Annotated[list[BundleEntry], Field(max_length=config.MAX_BUNDLE_ENTRIES)]


def problem(model: type[_Element], data) -> tuple[tuple[str | int, ...], str] | None:
    """None when data fits the model, else the first offending path (within data) and what is wrong there (never
    the value)."""
    try:
        model.model_validate(data)
    except ValidationError as exc:
        errors = exc.errors()
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        return tuple(errors[0]["loc"]), validation_message(errors[0]) + more
    return None
