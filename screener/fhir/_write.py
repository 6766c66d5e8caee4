"""A native patient record as a FHIR R4 Bundle (examples for integrators, and the round-trip test of the reader).

Written: Patient; the diagnosis as a Condition coded in SNOMED CT, ICD-O-3 (and ICD-10-CM for AML, its state in
the code) with clinicalStatus recurrence/remission; each lab with a LOINC code as an Observation with its UCUM
unit and the reporting lab's upper limit; weight and height (LOINC 29463-7, 8302-2); medications as
MedicationStatements with their RxNorm ingredient code, route (SNOMED CT) and daily dose; transplants and
transfusions as Procedures. NOT_CARRIED lists what a Bundle does not carry to the reader, so those criteria come
back unknown from FHIR.
"""
import typing
import uuid
from datetime import date

from pydantic import BaseModel

from ..model.fields import words_of
from ..model.labs import LABS, LOINC_TO_LAB, accepted_units, lab_of
from ..model.record import PatientRecord, Transplant
from ._common import ICD10CM, ICDO3, LOINC, RXNORM, SNOMED, table


def not_carried_by_fhir() -> tuple[str, ...]:
    """What a FHIR Bundle does not carry to the reader, from what each field declares: record paths (a nested
    model's path when none of it is carried), a field only part of which is carried, and the labs without a LOINC
    code (an Observation is read by its code). Criteria on them come back unknown from a Bundle."""
    paths: list[str] = []

    def walk(model: type[BaseModel], prefix: str) -> None:
        for name, info in model.model_fields.items():
            words, path = words_of(info.metadata), prefix + name
            if words.fhir is False:
                paths.append(path)
                continue
            if words.fhir_only:
                paths.append(f"{path} other than {words.fhir_only}")
            nested = [a for a in (info.annotation, *typing.get_args(info.annotation)) if isinstance(a, type)]
            for sub in nested:
                if issubclass(sub, BaseModel):
                    walk(sub, path + ".")

    walk(PatientRecord, "")
    uncoded = [(spec.label or spec.description) for spec in LABS.values() if not spec.loinc]
    return (*paths, f"labs without a LOINC code ({', '.join(uncoded)})")


# Record fields the reader takes from no FHIR resource (criteria on them are unknown from a Bundle), as each field
# declares it (screener/model/fields.py).
NOT_CARRIED = not_carried_by_fhir()
_CLINICAL: dict[str | None, str] = {"relapsed": "recurrence", "remission": "remission"}
_ROUTE_CODES = {
    "oral": ("26643006", "Oral route"),
    "iv": ("47625008", "Intravenous route"),
    "im": ("78421000", "Intramuscular route"),
    "sc": ("34206005", "Subcutaneous route"),
    "inhaled": ("447694001", "Respiratory tract route"),
    "topical": ("6064005", "Topical route"),
    "intrathecal": ("72607000", "Intrathecal route"),
}
_DOSE_UCUM: dict[str | None, str] = {"mg/day": "mg/d", "mg/kg/day": "mg/kg/d", "mg/m2/day": "mg/m2/d"}
_PROCEDURE_TEXT = {
    "autologous": "Autologous hematopoietic stem cell transplant",
    "allogeneic": "Allogeneic hematopoietic stem cell transplant",
    "haploidentical": "Haploidentical hematopoietic stem cell transplant",
    "platelets": "Transfusion of platelets",
    "red_cells": "Transfusion of red blood cells",
    "plasma": "Transfusion of plasma",
    "other": "Transfusion of blood product",
}
_NONE_TEXT = {"transplant": "Hematopoietic stem cell transplant", "transfusion": "Transfusion of blood product"}
_NAMESPACE = uuid.UUID("6f1c1d4e-3b7a-4c53-9a43-3f0b8f4a5e21")  # stable ids: the same record gives the same bundle


class _Writer:
    def __init__(self, record: PatientRecord, undated: date):
        self.record, self.undated = record, undated
        self.seed = record.record_id or "record"
        self.entries: list[dict] = []
        self.patient_ref = self.add(
            {
                "resourceType": "Patient",
                "birthDate": record.demographics.birth_date.isoformat(),
                "gender": record.demographics.sex,
            }
        )

    def add(self, resource: dict) -> str:
        key = f"{self.seed}/{len(self.entries)}"
        resource = {"resourceType": resource["resourceType"], "id": str(uuid.uuid5(_NAMESPACE, key))} | resource
        if resource["resourceType"] != "Patient":
            resource["subject"] = {"reference": self.patient_ref}
        url = f"urn:uuid:{resource['id']}"
        self.entries.append({"fullUrl": url, "resource": resource})
        return url

    def condition(self) -> None:
        diagnosis = self.record.diagnosis
        if diagnosis.primary is None:
            return
        rows = table("fhir_conditions.yaml")
        systems = {"snomed": SNOMED, "icdo3": ICDO3, "icd10cm": ICD10CM}
        coding = []
        for system in ("snomed", "icdo3", "icd10cm"):
            row = next((r for r in rows["codes"] if r["system"] == system and r["value"] == diagnosis.primary), None)
            if row is None:
                continue
            code = str(row["code"])
            if row.get("state_in_code"):
                states = {v: k for k, v in rows["icd10cm_last_character_states"].items()}
                code += states.get(diagnosis.disease_status, "0")
            coding.append({"system": systems[system], "code": code, "display": row["title"]})
        text = {
            "neuroblastoma": "Neuroblastoma",
            "aml": "Acute myeloid leukemia",
            "high_grade_glioma": "High-grade glioma",
            "low_grade_glioma": "Low-grade glioma",
            "brain_tumor_other": "Brain tumour other than glioma",
            "other": "Other condition",
        }[diagnosis.primary]
        resource = {
            "resourceType": "Condition",
            "code": {"coding": coding, "text": text},
            "clinicalStatus": {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/condition-clinical",
                        "code": _CLINICAL.get(diagnosis.disease_status, "active"),
                    }
                ]
            },
        }
        if diagnosis.pathology_confirmed:
            resource["verificationStatus"] = {
                "coding": [
                    {"system": "http://terminology.hl7.org/CodeSystem/condition-ver-status", "code": "confirmed"}
                ]
            }
        self.add(resource)

    def observation(
        self, loinc: str, value: float, unit: str, day: date, reference_high: float | None = None, note: str = ""
    ) -> None:
        resource: dict[str, object] = {
            "resourceType": "Observation",
            "status": "final",
            "code": {"coding": [{"system": LOINC, "code": loinc}]},
            "effectiveDateTime": day.isoformat(),
            "valueQuantity": {"value": value, "unit": unit, "system": "http://unitsofmeasure.org", "code": unit},
        }
        if reference_high is not None:
            resource["referenceRange"] = [
                {"high": {"value": reference_high, "unit": unit, "system": "http://unitsofmeasure.org", "code": unit}}
            ]
        if note:
            resource["note"] = [{"text": note}]
        self.add(resource)

    def observations(self) -> None:
        demographics = self.record.demographics
        for loinc, value, unit, day in (
            ("29463-7", demographics.weight_kg, "kg", demographics.weight_date),
            ("8302-2", demographics.height_cm, "cm", demographics.height_date),
        ):
            if value is not None:
                self.observation(
                    loinc,
                    value,
                    unit,
                    day or self.undated,
                    note="" if day else "undated in the native record: dated on the conversion's as-of date",
                )
        for obs in self.record.observations:
            spec = lab_of(obs.test)
            coded = (
                obs.test
                if obs.test in LOINC_TO_LAB
                else next((code for code in spec.loinc if obs.unit in accepted_units(spec, code)), None)
            )
            if coded is not None:
                self.observation(coded, obs.value, obs.unit, obs.date, obs.reference_high)

    def medications(self) -> None:
        codes = table("fhir_export_rxnorm.yaml")["ingredients"]
        for med in self.record.history.medications or ():
            rxnorm = med.rxnorm or str(codes.get(med.name.strip().lower(), {}).get("rxcui") or "") or None
            concept: dict[str, object] = {"text": med.name}
            if rxnorm:
                concept["coding"] = [{"system": RXNORM, "code": rxnorm, "display": med.name}]
            dosage: dict[str, object] = {}
            if med.route in _ROUTE_CODES:
                code, display = _ROUTE_CODES[med.route]
                dosage["route"] = {"coding": [{"system": SNOMED, "code": code, "display": display}]}
            if med.dose is not None:
                unit = _DOSE_UCUM[med.dose_unit]
                dosage["doseAndRate"] = [
                    {
                        "doseQuantity": {
                            "value": med.dose,
                            "unit": unit,
                            "system": "http://unitsofmeasure.org",
                            "code": unit,
                        }
                    }
                ]
            period = {"start": med.start.isoformat()} | ({"end": med.end.isoformat()} if med.end else {})
            resource: dict[str, object] = {
                "resourceType": "MedicationStatement",
                "status": "completed" if med.end else "active",
                "medicationCodeableConcept": concept,
                "effectivePeriod": period,
            }
            if dosage:
                resource["dosage"] = [dosage]
            self.add(resource)

    def procedures(self) -> None:
        history = self.record.history
        for kind, items in (("transplant", history.transplants), ("transfusion", history.transfusions)):
            if items == []:
                # Reviewed, none: a not-done Procedure of the kind says the history was looked at.
                self.add(
                    {
                        "resourceType": "Procedure",
                        "status": "not-done",
                        "code": {"text": _NONE_TEXT[kind]},
                        "statusReason": {"text": "none in the patient's history"},
                    }
                )
            for item in items or ():
                text = _PROCEDURE_TEXT[item.type if isinstance(item, Transplant) else item.product]
                self.add(
                    {
                        "resourceType": "Procedure",
                        "status": "completed",
                        "code": {"text": text},
                        "performedDateTime": item.date.isoformat(),
                    }
                )


def bundle_from_record(record: PatientRecord, undated: date) -> dict:
    """The FHIR R4 collection Bundle for a record; undated weight and height are dated `undated` (and say so)."""
    writer = _Writer(record, undated)
    writer.condition()
    writer.observations()
    writer.medications()
    writer.procedures()
    return {"resourceType": "Bundle", "type": "collection", "entry": writer.entries}
