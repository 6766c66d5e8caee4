"""The Bundle as a whole: entries, references, the Patient, Observations and Procedures, and the record they make."""
import json
from datetime import date

from pydantic import ValidationError

from ..model.errors import FieldError, InvalidRecord, error_path, validation_message
from ..model.labs import LABS, LOINC_TO_LAB, accepted_units, to_canonical
from ..model.record import PatientRecord
from ._common import LOINC, FhirImport, as_dict, table
from ._common import day as _day
from ._common import fail as _fail
from ._common import match_words as _match
from ._common import words as _words
from ._conditions import ConditionReader
from ._medications import MedicationReader
from ._models import MODELS, problem

_USABLE_OBSERVATION_STATUS = {"final", "amended", "corrected"}
_WEIGHT, _HEIGHT = "29463-7", "8302-2"
_LOINC_SYSTEM = LOINC


def _terms() -> dict:
    return table("fhir_terms.yaml")


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
        wrong = problem(MODELS["Patient"], self.patient)
        if wrong:
            _fail(f"entry[{self.patient_index}].resource.{wrong[0]}", wrong[1])
        self.out = FhirImport()

    def name(self, index: int, resource: dict) -> str:
        id_ = resource.get("id")
        return f"entry[{index}] {resource['resourceType'][:40]}/{id_[:64] if isinstance(id_, str) else '?'}"

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
                wrong = problem(MODELS[resource["resourceType"]], resource)
                if wrong:
                    self.out.ignore(self.name(index, resource), f"malformed at {wrong[0]}: {wrong[1]}")
                    continue
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
            # The measurement's date goes with it: derivation decides whether it is too old to size the child.
            demographics[target.rsplit("_", 1)[0] + "_date"] = day.isoformat()
            self.out.use(name, f"demographics.{target}", f"most recent on or before {self.as_of}: {day}")
        return observations

    def diagnosis(self) -> dict:
        return ConditionReader(self).read()

    def medications(self) -> list[dict] | None:
        return MedicationReader(self).read()

    def procedures(self) -> tuple[list[dict] | None, list[dict] | None]:
        """Transplants and transfusions. A history counts as recorded only when the Bundle has a Procedure of that
        kind (any status: a not-done transfusion says transfusions were reviewed); a Bundle whose Procedures
        are all of other kinds says nothing about them, so the history stays unknown rather than 'none'."""
        found = {"transplant": [], "transfusion": []}
        seen: set[str] = set()
        terms = _terms()
        for index, resource in self.of_type("Procedure"):
            words = _words(resource.get("code"))
            kinds = [k for k in found if k in words]
            status = resource.get("status")
            if not kinds or status == "entered-in-error":
                continue
            seen.update(kinds)
            name = self.name(index, resource)
            if status not in ("completed", None):
                self.out.use(name, f"history.{kinds[0]}s", f"status {str(status)[:20]!r}: not an event, but the {kinds[0]} history is recorded")
                continue
            day = _day(resource.get("performedDateTime") or as_dict(resource.get("performedPeriod")).get("start"),
                       f"entry[{index}].resource.performedDateTime")
            transplant = _match(words, terms["transplants"])
            transfusion = _match(words, terms["transfusions"])
            if (transplant or transfusion) and day is None:
                self.out.ignore(name, "transplant or transfusion without a date")
                continue
            if transplant:
                found["transplant"].append({"type": transplant, "date": day.isoformat()})
                self.out.use(name, f"history.transplants[{len(found['transplant']) - 1}]", transplant)
            elif transfusion:
                found["transfusion"].append({"product": transfusion, "date": day.isoformat()})
                self.out.use(name, f"history.transfusions[{len(found['transfusion']) - 1}]", transfusion)
            else:
                self.out.ignore(name, f"a {kinds[0]} of a kind screening does not use")
        for kind in sorted(seen):
            self.out.assumptions.append(f"The Bundle's {kind} Procedures are taken as the patient's whole {kind} history.")
        return (found["transplant"] if "transplant" in seen else None,
                found["transfusion"] if "transfusion" in seen else None)


def record_from_bundle(raw: bytes | str, as_of: date) -> tuple[PatientRecord, FhirImport]:
    """The patient record a FHIR R4 Bundle describes, and what was used or ignored to build it."""
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):
        raise InvalidRecord([FieldError(("(body)",), "not valid JSON")]) from None
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
        # Pre-rendered: the prefix says the path is in the record derived from the Bundle, not in the Bundle.
        raise InvalidRecord([FieldError(("(derived record) " + (error_path(e["loc"]) or ""),), validation_message(e))
                             for e in exc.errors()]) from None
