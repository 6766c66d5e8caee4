"""Read a FHIR R4 Bundle into a patient record, reporting which resource each value came from.

Only what screening needs is read: Patient (birth date, sex), Observations matched by LOINC code and UCUM unit
(final/amended/corrected only), Conditions (diagnosis), MedicationStatement/MedicationAdministration/
MedicationRequest (name, route, period) and Procedures (transplants, transfusions). Everything used or ignored is
listed with the reason, so a coordinator can see why a value was used. Conditions and procedures are matched by
the words of their code text or display (criteria/tables/fhir_terms.yaml): no verified SNOMED CT subset was
available, and matching words keeps the rule visible.

Assumptions, stated in every import: a bundle with any medication resource carries the patient's medication
history; a bundle with any Procedure carries the transplant and transfusion history. With none of them the
history is "not recorded" (unknown), never "none".
"""
import json
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache

import yaml
from pydantic import ValidationError

from . import config
from .model.dates import parse_fhir_day
from .model.labs import LOINC_TO_LAB, LABS, accepted_units, to_canonical
from .model.record import PatientRecord
from .screening import InvalidRecord, validation_message
from .rules._load import error_path

_USABLE_OBSERVATION_STATUS = {"final", "amended", "corrected"}
_WEIGHT, _HEIGHT = "29463-7", "8302-2"
_LOINC_SYSTEM = "http://loinc.org"
_ROUTES = {"oral": "oral", "by mouth": "oral", "intravenous": "iv", "iv": "iv", "intramuscular": "im",
           "subcutaneous": "sc", "inhalation": "inhaled", "respiratory tract": "inhaled", "topical": "topical",
           "cutaneous": "topical", "intrathecal": "intrathecal"}


@dataclass
class FhirImport:
    used: list[dict] = field(default_factory=list)
    ignored: list[dict] = field(default_factory=list)
    assumptions: list[str] = field(default_factory=list)

    def use(self, resource: str, as_: str, note: str = "") -> None:
        self.used.append({"resource": resource, "used_as": as_, "note": note})

    def ignore(self, resource: str, reason: str) -> None:
        self.ignored.append({"resource": resource, "reason": reason})

    def as_dict(self) -> dict:
        return {"used": self.used, "ignored": self.ignored, "assumptions": self.assumptions}


@lru_cache(maxsize=1)
def _terms() -> dict:
    return yaml.safe_load((config.SCREENER_CRITERIA_DIR / "tables" / "fhir_terms.yaml").read_text(encoding="utf-8"))


def _fail(path: str, message: str):
    raise InvalidRecord([{"field": path, "message": message}])


def _words(concept) -> str:
    if not isinstance(concept, dict):
        return ""
    parts = [concept.get("text") or ""] + [c.get("display") or "" for c in concept.get("coding") or [] if isinstance(c, dict)]
    return " ".join(p for p in parts if isinstance(p, str)).lower()


def _status(concept) -> str:
    """A status concept's codes and words: FHIR status values live in coding.code (recurrence, refuted, …)."""
    codes = [c.get("code") or "" for c in (concept or {}).get("coding") or [] if isinstance(c, dict)] if isinstance(concept, dict) else []
    return " ".join(c for c in codes if isinstance(c, str)).lower() + " " + _words(concept)


def _match(words: str, table: list[dict]):
    for row in table:
        if all(term in words for term in row["all"]) and not any(term in words for term in row.get("none", [])):
            return row["value"]
    return None


def _day(value, path: str) -> date | None:
    """The calendar day of a FHIR date/dateTime; a partial date (year or year-month only) cannot be used."""
    if value is None:
        return None
    if not isinstance(value, str) or len(value) < 10:
        return None
    try:
        return parse_fhir_day(value)
    except ValueError:
        _fail(path, "not a valid FHIR date")


class _Bundle:
    def __init__(self, bundle, as_of: date):
        if not isinstance(bundle, dict) or bundle.get("resourceType") != "Bundle":
            _fail("resourceType", "expected a FHIR Bundle")
        entries = bundle.get("entry")
        if not isinstance(entries, list):
            _fail("entry", "a Bundle needs an entry list")
        self.as_of = as_of
        self.entries = []
        self.by_reference = {}
        for i, entry in enumerate(entries):
            resource = entry.get("resource") if isinstance(entry, dict) else None
            if not isinstance(resource, dict) or not isinstance(resource.get("resourceType"), str):
                _fail(f"entry[{i}].resource", "each entry needs a resource with a resourceType")
            self.entries.append((i, resource))
            if isinstance(entry.get("fullUrl"), str):
                self.by_reference[entry["fullUrl"]] = resource
            if isinstance(resource.get("id"), str):
                self.by_reference[f"{resource['resourceType']}/{resource['id']}"] = resource
        patients = [(i, r) for i, r in self.entries if r["resourceType"] == "Patient"]
        if not patients:
            _fail("entry", "the Bundle has no Patient")
        if len(patients) > 1:
            _fail(f"entry[{patients[1][0]}]", "the Bundle has more than one Patient")
        self.patient_index, self.patient = patients[0]
        self.out = FhirImport()

    def name(self, index: int, resource: dict) -> str:
        return f"entry[{index}] {resource['resourceType']}/{resource.get('id', '?')}"

    def check_subject(self, index: int, resource: dict, key: str) -> None:
        ref = resource.get(key)
        reference = ref.get("reference") if isinstance(ref, dict) else None
        if reference is None:
            return
        if self.by_reference.get(reference) is not self.patient:
            _fail(f"entry[{index}].resource.{key}.reference", "does not resolve to the Bundle's Patient")

    def of_type(self, *types: str):
        for index, resource in self.entries:
            if resource["resourceType"] in types:
                key = "patient" if resource["resourceType"] in ("MedicationStatement",) and "subject" not in resource else "subject"
                self.check_subject(index, resource, key)
                yield index, resource

    # --- resources ------------------------------------------------------------------------------------------
    def demographics(self) -> dict:
        birth = self.patient.get("birthDate")
        path = f"entry[{self.patient_index}].resource.birthDate"
        if birth is None:
            _fail(path, "the Patient has no birth date")
        day = _day(birth, path)
        if day is None:
            _fail(path, "a full birth date (YYYY-MM-DD) is needed to compute age")
        sex = self.patient.get("gender") if self.patient.get("gender") in ("male", "female", "other", "unknown") else "unknown"
        name = self.name(self.patient_index, self.patient)
        self.out.use(name, "demographics.birth_date, demographics.sex")
        return {"birth_date": day.isoformat(), "sex": sex}

    def observations(self, demographics: dict) -> list[dict]:
        observations, latest_body = [], {}
        for index, resource in self.of_type("Observation"):
            name = self.name(index, resource)
            codes = [c.get("code") for c in (resource.get("code") or {}).get("coding") or []
                     if isinstance(c, dict) and c.get("system") == _LOINC_SYSTEM]
            code = next((c for c in codes if c in LOINC_TO_LAB or c in (_WEIGHT, _HEIGHT)), None)
            if code is None:
                continue  # not something screening uses; not worth listing
            status = resource.get("status")
            if status not in _USABLE_OBSERVATION_STATUS:
                self.out.ignore(name, f"status {status!r} (only final, amended or corrected results are used)")
                continue
            quantity = resource.get("valueQuantity")
            value = quantity.get("value") if isinstance(quantity, dict) else None
            unit = (quantity.get("code") or quantity.get("unit")) if isinstance(quantity, dict) else None
            day = _day(resource.get("effectiveDateTime") or (resource.get("effectivePeriod") or {}).get("start")
                       or resource.get("issued"), f"entry[{index}].resource.effectiveDateTime")
            if not isinstance(value, (int, float)) or isinstance(value, bool) or not isinstance(unit, str) or day is None:
                self.out.ignore(name, "no numeric valueQuantity with a unit and a date")
                continue
            if code in (_WEIGHT, _HEIGHT):
                target, expected = ("weight_kg", "kg") if code == _WEIGHT else ("height_cm", "cm")
                if unit == expected and day <= self.as_of and (target not in latest_body or day >= latest_body[target][0]):
                    latest_body[target] = (day, float(value), name)
                continue
            spec = LABS[LOINC_TO_LAB[code]]
            if unit not in accepted_units(spec, code):
                self.out.ignore(name, f"unit {unit!r} is not accepted for LOINC {code}")
                continue
            low, high = spec.plausible
            if not low <= to_canonical(spec, float(value), unit) <= high:
                self.out.ignore(name, f"impossible value for {spec.description}")
                continue
            observation = {"test": code, "unit": unit, "value": float(value), "date": day.isoformat(), "source": name[:200]}
            ranges = resource.get("referenceRange") or []
            high_ref = ranges[0].get("high") if ranges and isinstance(ranges[0], dict) else None
            if isinstance(high_ref, dict) and (high_ref.get("code") or high_ref.get("unit")) == unit and isinstance(high_ref.get("value"), (int, float)) and high_ref["value"] > 0:
                observation["reference_high"] = float(high_ref["value"])
            self.out.use(name, f"observations[{len(observations)}]", f"LOINC {code} {value} {unit} on {day}")
            observations.append(observation)
        for target, (day, value, name) in latest_body.items():
            demographics[target] = value
            self.out.use(name, f"demographics.{target}", f"most recent on or before {self.as_of}: {day}")
        return observations

    def diagnosis(self) -> dict:
        found = []
        for index, resource in self.of_type("Condition"):
            verification = _status(resource.get("verificationStatus"))
            if "entered-in-error" in verification or "refuted" in verification:
                continue
            value = _match(_words(resource.get("code")), _terms()["diagnoses"])
            if value is None:
                continue
            clinical = _status(resource.get("clinicalStatus"))
            if "resolved" in clinical or "inactive" in clinical or "remission" in clinical:
                self.out.ignore(self.name(index, resource), "condition resolved or inactive")
                continue
            onset = _day(resource.get("onsetDateTime") or resource.get("recordedDate"), f"entry[{index}].resource.onsetDateTime")
            found.append((onset or date.min, value, clinical, self.name(index, resource)))
        if not found:
            return {}
        values = {v for _, v, _, _ in found}
        if len(values) > 1:
            for _, _, _, name in found:
                self.out.ignore(name, "more than one screened-for diagnosis in the Bundle: the primary cannot be chosen")
            return {}
        onset, value, clinical, name = max(found)
        diagnosis = {"primary": value}
        self.out.use(name, "diagnosis.primary", value)
        if "recurrence" in clinical or "relapse" in clinical:
            diagnosis["disease_status"] = "relapsed"
            self.out.use(name, "diagnosis.disease_status", "clinicalStatus recurrence/relapse")
        return diagnosis

    def medications(self) -> list[dict] | None:
        medications, seen_any = [], False
        for index, resource in self.of_type("MedicationStatement", "MedicationAdministration", "MedicationRequest"):
            seen_any = True
            name = self.name(index, resource)
            status = resource.get("status")
            if status in ("entered-in-error", "cancelled", "draft", "not-taken", "not-done"):
                self.out.ignore(name, f"status {status!r}")
                continue
            concept = resource.get("medicationCodeableConcept")
            if concept is None and isinstance(resource.get("medicationReference"), dict):
                medication = self.by_reference.get(resource["medicationReference"].get("reference"))
                concept = medication.get("code") if isinstance(medication, dict) else None
            drug = (concept or {}).get("text") or next((c.get("display") for c in (concept or {}).get("coding") or [] if isinstance(c, dict) and c.get("display")), None)
            if not isinstance(drug, str) or not drug.strip():
                self.out.ignore(name, "no medication name")
                continue
            period = resource.get("effectivePeriod") or {}
            start = _day(period.get("start") or resource.get("effectiveDateTime") or resource.get("authoredOn"),
                         f"entry[{index}].resource.effectivePeriod.start")
            if start is None:
                self.out.ignore(name, "no start date")
                continue
            end = _day(period.get("end"), f"entry[{index}].resource.effectivePeriod.end")
            note = ""
            if resource["resourceType"] == "MedicationRequest":
                validity = (resource.get("dispenseRequest") or {}).get("validityPeriod") or {}
                end = None if status in ("active", "on-hold") else (_day(validity.get("end"), f"entry[{index}].resource.dispenseRequest") or start)
                note = "ongoing (request active)" if end is None else f"request {status}: taken as ended {end}"
            elif resource["resourceType"] == "MedicationAdministration" and end is None and period == {}:
                end = start
            if end is not None and end < start:
                end = start
            dosage = resource.get("dosage") or resource.get("dosageInstruction") or []
            dosage = dosage[0] if isinstance(dosage, list) and dosage else dosage if isinstance(dosage, dict) else {}
            route = _match_route(_words(dosage.get("route")))
            medications.append({"name": drug.strip()[:100], "route": route, "start": start.isoformat(),
                                "end": end.isoformat() if end else None})
            self.out.use(name, f"history.medications[{len(medications) - 1}]",
                         f"{drug.strip()[:60]}, route {route}, dose not read" + (f"; {note}" if note else ""))
        if not seen_any:
            return None
        self.out.assumptions.append("The Bundle's medication resources are taken as the patient's medication history; doses are not read, so a corticosteroid's prednisone-equivalent dose stays unknown.")
        return medications

    def procedures(self) -> tuple[list[dict] | None, list[dict] | None]:
        transplants, transfusions, seen_any = [], [], False
        terms = _terms()
        for index, resource in self.of_type("Procedure"):
            seen_any = True
            if resource.get("status") not in ("completed", None):
                continue
            words = _words(resource.get("code"))
            day = _day(resource.get("performedDateTime") or (resource.get("performedPeriod") or {}).get("start"),
                       f"entry[{index}].resource.performedDateTime")
            name = self.name(index, resource)
            transplant = _match(words, terms["transplants"])
            transfusion = _match(words, terms["transfusions"])
            if (transplant or transfusion) and day is None:
                self.out.ignore(name, "transplant or transfusion without a date")
                continue
            if transplant:
                transplants.append({"type": transplant, "date": day.isoformat()})
                self.out.use(name, f"history.transplants[{len(transplants) - 1}]", transplant)
            elif transfusion:
                transfusions.append({"product": transfusion, "date": day.isoformat()})
                self.out.use(name, f"history.transfusions[{len(transfusions) - 1}]", transfusion)
        if not seen_any:
            return None, None
        self.out.assumptions.append("The Bundle's Procedure resources are taken as the patient's transplant and transfusion history.")
        return transplants, transfusions


def _match_route(words: str) -> str:
    for key, route in _ROUTES.items():
        if key in words:
            return route
    return "unknown"


def record_from_bundle(raw: bytes | str, as_of: date) -> tuple[PatientRecord, FhirImport]:
    """The patient record a FHIR R4 Bundle describes, and what was used or ignored to build it."""
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):
        raise InvalidRecord([{"field": "(body)", "message": "not valid JSON"}]) from None
    bundle = _Bundle(data, as_of)
    demographics = bundle.demographics()
    observations = bundle.observations(demographics)
    transplants, transfusions = bundle.procedures()
    record = {
        "demographics": demographics,
        "diagnosis": bundle.diagnosis(),
        "observations": observations,
        "history": {"medications": bundle.medications(), "transplants": transplants, "transfusions": transfusions},
    }
    try:
        return PatientRecord.model_validate_json(json.dumps(record)), bundle.out
    except ValidationError as exc:
        raise InvalidRecord([{"field": "(derived record) " + (error_path(e["loc"]) or ""), "message": validation_message(e)}
                             for e in exc.errors()]) from None
