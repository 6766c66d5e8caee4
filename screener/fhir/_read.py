"""The Bundle as a whole: entries, references, the Patient, Observations and Procedures, and the record they make."""
import re
from datetime import date

from pydantic import ValidationError

from .. import config
from ..model.errors import FieldError, InvalidRecord, clean_loc, render_path, validation_message
from ..model.json_text import load_json
from ..model.labs import LABS, LOINC_TO_LAB
from ..model.record import Observation as RecordObservation
from ..model.record import PatientRecord
from ..model.text import one_line
from ..model.validate import validate_data
from ..rules import load_tables
from ..wording.plausibility import impossible_values
from ._common import LOINC, FhirImport, as_dict, table
from ._common import day as _day
from ._common import fail as _fail
from ._common import match_words as _match
from ._common import words as _words
from ._conditions import ConditionReader
from ._medications import MedicationReader
from ._models import MODELS, CodeableConcept, problem
from ._models import Bundle as BundleModel

_USABLE_OBSERVATION_STATUS = {"final", "amended", "corrected"}
# A result in these states never existed as a value; any other unusable result (pending, malformed, an odd unit,
# an impossible number) may be the patient's latest value of that test.
_NO_RESULT_STATUS = {"entered-in-error", "cancelled"}
_WEIGHT, _HEIGHT = "29463-7", "8302-2"
_LOINC_SYSTEM = LOINC
# Where in the FHIR Observation each field of the record's Observation comes from, for the reason a result is unusable.
# Looked up by a pydantic error location's first part: any name or index, or None.
_RESULT_PATHS: dict[object, str] = {
    "test": "code",
    "unit": "valueQuantity.code",
    "value": "valueQuantity.value",
    "date": "effectiveDateTime",
}
_REFUSES_THE_BUNDLE: dict[object, tuple[str | int, ...]] = {
    "reference_high": ("referenceRange", 0, "high", "value"), "source": ("id",)
}


def observation_codes() -> tuple[str, ...]:
    """Every LOINC code an Observation is read by (the labs of the field catalogue, weight and height), sorted: what
    a FHIR query must ask for to get everything screening reads (the CDS Hooks prefetch)."""
    return tuple(sorted({*LOINC_TO_LAB, _WEIGHT, _HEIGHT}))


def _terms() -> dict:
    return table("fhir_terms.yaml")


class _Bundle:
    def __init__(self, bundle, as_of: date):
        if not isinstance(bundle, dict) or bundle.get("resourceType") != "Bundle":
            _fail(("resourceType",), "expected a FHIR Bundle")
        entries = bundle.get("entry")
        if isinstance(entries, list) and len(entries) > config.MAX_BUNDLE_ENTRIES:
            # Before anything is read: each entry costs time, and the limit keeps the worst bundle in seconds.
            _fail(
                ("entry",),
                f"the Bundle has {len(entries):,} entries; at most {config.MAX_BUNDLE_ENTRIES:,} are read "
                "(MAX_BUNDLE_ENTRIES)",
            )
        wrong = problem(BundleModel, bundle)  # the envelope; each resource is checked against its model when read
        if wrong:
            _fail(wrong[0], wrong[1].removeprefix("Value error, "))
        self.as_of = as_of
        self.entries = []
        self.by_reference = {}
        for i, entry in enumerate(bundle["entry"]):  # required by the envelope's model, checked above
            resource = entry["resource"]
            self.entries.append((i, resource))
            if isinstance(entry.get("fullUrl"), str):
                self.by_reference[entry["fullUrl"]] = resource
            if isinstance(resource.get("id"), str):
                self.by_reference[f"{resource['resourceType']}/{resource['id']}"] = resource
        patients = [(i, r) for i, r in self.entries if r["resourceType"] == "Patient"]
        if not patients:
            _fail(("entry",), "the Bundle has no Patient")
        if len(patients) > 1:
            _fail(("entry", patients[1][0]), "the Bundle has more than one Patient")
        self.patient_index, self.patient = patients[0]
        wrong = problem(MODELS["Patient"], self.patient)
        if wrong:
            _fail(("entry", self.patient_index, "resource", *wrong[0]), wrong[1])
        self.out = FhirImport()
        # Resources of each type that were skipped as malformed: a reader whose history must be complete (every
        # medication, every transfusion) cannot call it complete when one of its resources could not be read.
        self.malformed: dict[str, list[dict]] = {}

    def name(self, index: int, resource: dict) -> str:
        id_ = resource.get("id")
        return one_line(f"entry[{index}] {resource['resourceType'][:40]}/{id_[:64] if isinstance(id_, str) else '?'}")

    def within_limit(self, index: int, count: int, limit: int, what: str) -> None:
        """Refuse, at the entry that goes past it, a Bundle whose record list would be longer than the record allows."""
        if count > limit:
            _fail(("entry", index), f"the Bundle gives more than {limit:,} {what}; at most {limit:,} are screened")

    def check_subject(self, index: int, resource: dict, key: str) -> None:
        ref = resource.get(key)
        reference = ref.get("reference") if isinstance(ref, dict) else None
        if reference is None:
            return
        if self.by_reference.get(reference) is not self.patient:
            _fail(("entry", index, "resource", key, "reference"), "does not resolve to the Bundle's Patient")

    def of_type(self, *types: str):
        for index, resource in self.entries:
            if resource["resourceType"] in types:
                wrong = problem(MODELS[resource["resourceType"]], resource)
                if wrong:
                    self.out.ignore(self.name(index, resource), f"malformed at {render_path(wrong[0])}: {wrong[1]}")
                    self.malformed.setdefault(resource["resourceType"], []).append(resource)
                    continue
                key = (
                    "patient"
                    if resource["resourceType"] in ("MedicationStatement",) and "subject" not in resource
                    else "subject"
                )
                self.check_subject(index, resource, key)
                yield index, resource

    # --- resources ------------------------------------------------------------------------------------------
    def demographics(self) -> dict:
        birth = self.patient.get("birthDate")
        path = ("entry", self.patient_index, "resource", "birthDate")
        if birth is None:
            _fail(path, "the Patient has no birth date")
        day = _day(birth, path, "date")
        if day is None:
            _fail(path, "a full birth date (YYYY-MM-DD) is needed to compute age")
        sex = (
            self.patient.get("gender")
            if self.patient.get("gender") in ("male", "female", "other", "unknown")
            else "unknown"
        )
        name = self.name(self.patient_index, self.patient)
        self.out.use(name, "demographics.birth_date, demographics.sex")
        return {"birth_date": day.isoformat(), "sex": sex}

    def observations(self, demographics: dict) -> list[RecordObservation]:
        observations: list[tuple[RecordObservation, str, str]] = []  # with its name and what it was
        latest_body: dict[str, tuple[date, float, str]] = {}  # demographics target -> day, value, name
        # Days of the lab results of a screened test that could not be used, by lab (None: no readable day).
        unread: dict[str, list[date | None]] = {}
        for index, resource in self.of_type("Observation"):
            name = self.name(index, resource)
            codes = [
                c.get("code")
                for c in (resource.get("code") or {}).get("coding") or []
                if isinstance(c, dict) and c.get("system") == _LOINC_SYSTEM
            ]
            code = next((c for c in codes if c in LOINC_TO_LAB or c in (_WEIGHT, _HEIGHT)), None)
            if code is None:
                continue  # not something screening uses; not worth listing
            lab = LOINC_TO_LAB.get(code)  # None for weight and height
            status = resource.get("status")
            if status not in _USABLE_OBSERVATION_STATUS:
                reason = f"status {status!r} (only final, amended or corrected results are used)"
                if isinstance(status, str) and status in _NO_RESULT_STATUS:
                    self.out.ignore(name, reason)  # never a result, so it cannot be the latest value
                else:
                    self._unusable(unread, lab, name, reason, _day_or_none(resource))
                continue
            quantity = resource.get("valueQuantity")
            value = quantity.get("value") if isinstance(quantity, dict) else None
            unit = (quantity.get("code") or quantity.get("unit")) if isinstance(quantity, dict) else None
            day = _day(
                resource.get("effectiveDateTime")
                or (resource.get("effectivePeriod") or {}).get("start")
                or resource.get("issued"),
                ("entry", index, "resource", "effectiveDateTime"),
            )
            if (
                not isinstance(value, (int, float))
                or isinstance(value, bool)
                or not isinstance(unit, str)
                or day is None
            ):
                self._unusable(unread, lab, name, "no numeric valueQuantity with a unit and a date", day)
                continue
            if code in (_WEIGHT, _HEIGHT):
                target, expected = ("weight_kg", "kg") if code == _WEIGHT else ("height_cm", "cm")
                if (
                    unit == expected
                    and day <= self.as_of
                    and (target not in latest_body or day >= latest_body[target][0])
                ):
                    latest_body[target] = (day, float(value), name)
                continue
            observation = {
                "test": code,
                "unit": unit,
                "value": float(value),
                "date": day.isoformat(),
                "source": name[:200],
            }
            ranges = resource.get("referenceRange") or []
            high_ref = ranges[0].get("high") if ranges and isinstance(ranges[0], dict) else None
            if (
                isinstance(high_ref, dict)
                and (high_ref.get("code") or high_ref.get("unit")) == unit
                and isinstance(high_ref.get("value"), (int, float))
                and high_ref["value"] > 0
            ):
                observation["reference_high"] = float(high_ref["value"])
            checked = self._as_record_observation(index, observation)
            if isinstance(checked, str):
                self._unusable(unread, lab, name, checked, day)
                continue
            observations.append((checked, name, f"LOINC {code} {value} {unit} on {day}"))
            self.within_limit(
                index,
                len(observations),
                config.MAX_OBSERVATIONS_PER_RECORD,
                "lab observations (MAX_OBSERVATIONS_PER_RECORD)",
            )
        for resource in self.malformed.get("Observation", []):
            status = resource.get("status")
            if not (isinstance(status, str) and status in _NO_RESULT_STATUS):
                for lab in _labs_it_may_be(resource):
                    unread.setdefault(lab, []).append(_day_or_none(resource))
        kept = self._without_unsettled_labs(observations, unread)
        for target, (day, value, name) in latest_body.items():
            demographics[target] = value
            # The measurement's date goes with it: derivation decides whether it is too old to size the child.
            demographics[target.rsplit("_", 1)[0] + "_date"] = day.isoformat()
            self.out.use(name, f"demographics.{target}", f"most recent on or before {self.as_of}: {day}")
        return kept

    def _as_record_observation(self, index: int, observation: dict) -> RecordObservation | str:
        """The result as the record's own Observation model checks it (test, accepted unit, possible value), or why
        it cannot be used. A lab's upper limit or the source name that the model refuses refuses the Bundle, as an
        impossible value anywhere else in the derived record does; when the result itself cannot be used, it is
        only ignored, as before the model checked it."""
        try:
            return validate_data(RecordObservation, observation)
        except ValidationError as exc:
            errors = exc.errors()
        fields = [e["loc"][0] if e["loc"] else None for e in errors]
        if all(field in _REFUSES_THE_BUNDLE for field in fields):
            _fail(("entry", index, "resource", *_REFUSES_THE_BUNDLE[fields[0]]), validation_message(errors[0]))
        return "; ".join(
            f"{_RESULT_PATHS.get(field, 'valueQuantity')}: {validation_message(e)}"
            for field, e in zip(fields, errors, strict=True)
            if field not in _REFUSES_THE_BUNDLE
        )

    def _unusable(
        self, unread: dict[str, list[date | None]], lab: str | None, name: str, reason: str, day: date | None
    ) -> None:
        """List a result as ignored and, when it is a screened lab's, keep its day: it may be the latest value."""
        self.out.ignore(name, reason)
        if lab is not None:
            unread.setdefault(lab, []).append(day)

    def _without_unsettled_labs(
        self, found: list[tuple[RecordObservation, str, str]], unread: dict[str, list[date | None]]
    ) -> list[RecordObservation]:
        """The usable results, less every result of a lab whose latest result may be one that could not be read.

        Screening decides on the latest value of a test: if an unreadable result is as recent as the latest readable
        one (or has no readable date), the older value must not decide a threshold it may no longer meet (a platelet
        count that fell, a bilirubin that rose). That lab is left unrecorded, so its criteria are unknown.
        """
        latest: dict[str, date] = {}
        for observation, _, _ in found:
            lab, day = LOINC_TO_LAB[observation.test], observation.date
            if day <= self.as_of and (lab not in latest or day > latest[lab]):
                latest[lab] = day
        unsettled = {
            lab
            for lab, days in unread.items()
            if lab in latest and any(day is None or latest[lab] <= day <= self.as_of for day in days)
        }
        for lab in sorted(unsettled):
            self.out.assumptions.append(
                f"A {LABS[lab].description} result as recent as the latest readable one ({latest[lab]}) or undated "
                "could not be used (see ignored), so the patient's current value is not known: that test is taken as "
                "not recorded and criteria on it stay unknown."
            )
        observations: list[RecordObservation] = []
        for observation, name, note in found:
            if LOINC_TO_LAB[observation.test] in unsettled:
                self.out.ignore(name, "a result of the same test as recent or more recent could not be used")
                continue
            self.out.use(name, f"observations[{len(observations)}]", note)
            observations.append(observation)
        return observations

    def diagnosis(self) -> dict:
        return ConditionReader(self).read()

    def medications(self) -> list[dict] | None:
        return MedicationReader(self).read()

    def procedures(self) -> tuple[list[dict] | None, list[dict] | None]:
        """Transplants and transfusions. A history counts as recorded only when the Bundle has a Procedure of that
        kind (any status: a not-done transfusion says transfusions were reviewed); a Bundle whose Procedures
        are all of other kinds says nothing about them, so the history stays unknown rather than 'none'."""
        found: dict[str, list[dict[str, str]]] = {"transplant": [], "transfusion": []}
        seen: set[str] = set()
        untyped = False  # a stem-cell transplant of unstated type: the history it belongs to cannot be read
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
                self.out.use(
                    name,
                    f"history.{kinds[0]}s",
                    f"status {str(status)[:20]!r}: not an event, but the {kinds[0]} history is recorded",
                )
                continue
            day = _day(
                resource.get("performedDateTime") or as_dict(resource.get("performedPeriod")).get("start"),
                ("entry", index, "resource", "performedDateTime"),
            )
            transplant = _match(words, terms["transplants"])
            transfusion = _match(words, terms["transfusions"])
            if (transplant or transfusion) and day is None:
                self.out.ignore(name, "transplant or transfusion without a date")
                continue
            if transplant and day is not None:  # not None: skipped above
                found["transplant"].append({"type": transplant, "date": day.isoformat()})
                self.within_limit(
                    index,
                    len(found["transplant"]),
                    config.MAX_TRANSPLANTS_PER_RECORD,
                    "transplants (MAX_TRANSPLANTS_PER_RECORD)",
                )
                self.out.use(name, f"history.transplants[{len(found['transplant']) - 1}]", transplant)
            elif transfusion and day is not None:
                found["transfusion"].append({"product": transfusion, "date": day.isoformat()})
                self.within_limit(
                    index,
                    len(found["transfusion"]),
                    config.MAX_TRANSFUSIONS_PER_RECORD,
                    "transfusions (MAX_TRANSFUSIONS_PER_RECORD)",
                )
                self.out.use(name, f"history.transfusions[{len(found['transfusion']) - 1}]", transfusion)
            elif _match(words, terms["untyped_transplants"]):
                untyped = True
                self.out.ignore(
                    name, "a stem-cell transplant whose type (autologous, allogeneic or haploidentical) is not stated"
                )
            else:
                self.out.ignore(name, f"a {kinds[0]} of a kind screening does not use")
        unreadable = self._unreadable_procedure_kinds(list(found))
        for kind in sorted(unreadable):
            self.out.assumptions.append(
                f"A Procedure that may be a {kind} could not be read (see ignored), so the {kind} history is taken as "
                "not recorded: criteria on it stay unknown."
            )
        if untyped and "transplant" not in unreadable:
            unreadable.add("transplant")
            self.out.assumptions.append(
                "A stem-cell transplant Procedure does not say its type (see ignored), so the transplant history is "
                "taken as not recorded: criteria on it stay unknown."
            )
        for kind in sorted(seen - unreadable):
            self.out.assumptions.append(
                f"The Bundle's {kind} Procedures are taken as the patient's whole {kind} history."
            )
        return (
            found["transplant"] if "transplant" in seen - unreadable else None,
            found["transfusion"] if "transfusion" in seen - unreadable else None,
        )

    def _unreadable_procedure_kinds(self, kinds: list[str]) -> set[str]:
        """The histories a malformed Procedure may belong to: its kind by its words when its code can be read, else
        every kind (a dropped transfusion could be the one that makes a platelet count unusable)."""
        unreadable: set[str] = set()
        for resource in self.malformed.get("Procedure", []):
            if resource.get("status") == "entered-in-error":
                continue
            code = resource.get("code")
            if code is not None and problem(CodeableConcept, code) is not None:
                return set(kinds)
            unreadable.update(k for k in kinds if k in _words(code))
        return unreadable


def _day_or_none(resource: dict) -> date | None:
    """An Observation's day if it can be read at all; None when it cannot (the caller treats it as possibly latest)."""
    period = resource.get("effectivePeriod")
    for value in (
        resource.get("effectiveDateTime"),
        period.get("start") if isinstance(period, dict) else None,
        resource.get("issued"),
    ):
        if isinstance(value, str):
            try:
                return _day(value, ())
            except InvalidRecord:
                return None
    return None


def _labs_it_may_be(resource: dict) -> set[str]:
    """The screened labs a malformed Observation may report: by its LOINC codes, or every lab if its code is unread."""
    code = resource.get("code")
    if problem(CodeableConcept, code) is not None:
        return set(LABS)
    return {
        LOINC_TO_LAB[c["code"]]
        for c in as_dict(code).get("coding") or []
        if c.get("system") == _LOINC_SYSTEM and c.get("code") in LOINC_TO_LAB
    }


def record_from_bundle(raw: bytes | str | dict, as_of: date) -> tuple[PatientRecord, FhirImport]:
    """The patient record a FHIR R4 Bundle (JSON text, or a Bundle load_json already read) describes, and what was
    used or ignored to build it."""
    data = raw if isinstance(raw, dict) else load_json(raw)
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
        derived = validate_data(PatientRecord, _one_line(record))
    except ValidationError as exc:
        # The pseudo-field says the path is in the record derived from the Bundle, not in the Bundle.
        raise InvalidRecord(
            [FieldError(("(derived record)", *clean_loc(e["loc"])), validation_message(e)) for e in exc.errors()]
        ) from None
    impossible = impossible_values(derived, load_tables(), as_of)
    if impossible:
        raise InvalidRecord([_in_bundle(error, bundle.out) for error in impossible])
    return derived, bundle.out


# Where a derived record's dated or measured field came from in the resource it was read from.
_FHIR_FIELD: dict[tuple[object, object], tuple[str | int, ...]] = {
    ("observations", "value"): ("valueQuantity", "value"),
    ("observations", "date"): ("effectiveDateTime",),
    ("demographics", "birth_date"): ("birthDate",),
    ("demographics", "weight_date"): ("effectiveDateTime",),
    ("demographics", "height_date"): ("effectiveDateTime",),
    ("history", "date"): ("performedDateTime",),
}
_DEMOGRAPHICS_SOURCE: dict[object, str] = {
    "weight_date": "demographics.weight_kg", "height_date": "demographics.height_cm"
}


def _in_bundle(error: FieldError, out: FhirImport) -> FieldError:
    """A problem found in the derived record, at the Bundle entry it was read from where that is known."""
    path = error.path
    if path[:1] == ("as_of",):
        return error
    if path[0] == "demographics":
        target = _DEMOGRAPHICS_SOURCE.get(path[-1], f"demographics.{path[-1]}")
    else:
        target = render_path(path[:-1])
    for used in out.used:
        if target in used["used_as"].split(", "):
            entry = re.match(r"entry\[(\d+)\]", used["resource"])
            field = _FHIR_FIELD.get((path[0], path[-1]))
            if entry and field:
                return FieldError(("entry", int(entry[1]), "resource", *field), error.message)
    return FieldError(("(derived record)", *path), error.message)


def _one_line(value):
    """The derived record with the tabs and line breaks FHIR text may hold read as spaces: a record's free text
    takes none (model/text.py), and one MedicationStatement's text must not refuse the whole Bundle."""
    if isinstance(value, str):
        return one_line(value)
    if isinstance(value, dict):
        return {k: _one_line(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_one_line(v) for v in value]
    return value
