"""FHIR Conditions as the record's diagnosis: the screened disease by code (words only for an uncoded Condition),
its state, and what a problem list without the disease means.

Each Condition is read as one of: a screened disease (neuroblastoma, AML, high- or low-grade glioma), a possible
one (a code or words that may name the disease without settling it: the diagnosis stays unknown), or another
condition. Codes come from criteria/tables/fhir_conditions.yaml (SNOMED CT, ICD-10-CM, ICD-O-3). Statuses are
read, not ignored: verificationStatus entered-in-error drops the Condition, refuted makes it "not the disease",
unconfirmed/provisional/differential make a disease only possible; clinicalStatus recurrence/relapse gives
disease_status relapsed, remission/inactive/resolved gives remission (the disease stays the primary diagnosis:
a child in remission is not a relapsed child), as do ICD-10-CM leukaemia codes "in relapse"/"in remission".
When the Bundle carries Conditions and none is, or may be, a screened disease, the diagnosis is recorded as
"other" and the import says so: the Bundle's Conditions are taken as the patient's problem list.
"""
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from ._common import as_dict, codings, day, status_words, table, words

_DISEASES: dict[str | None, str] = {
    "neuroblastoma": "neuroblastoma",
    "aml": "acute myeloid leukaemia",
    "high_grade_glioma": "high-grade glioma",
    "low_grade_glioma": "low-grade glioma",
}
_UNCONFIRMED = ("unconfirmed", "provisional", "differential")


@dataclass
class _Reading:
    name: str
    kind: str  # disease, possible, other
    value: str | None = None  # the disease (kind disease) or what it could be (kind possible)
    state: str | None = None
    how: str = ""
    onset: date = date.min


def _normal(system: str, code: str) -> str:
    code = code.strip().upper().replace(".", "")
    return code.removeprefix("M").replace("/", "") if system == "icdo3" else code.replace("/", "")


@lru_cache(maxsize=1)
def _code_table() -> tuple[dict[object, str], dict[tuple[str, str], dict], dict[str, str]]:
    data = table("fhir_conditions.yaml")
    systems = {uri: key for key, uri in data["systems"].items()}
    rows = {(row["system"], _normal(row["system"], str(row["code"]))): row for row in data["codes"]}
    return systems, rows, data["icd10cm_last_character_states"]


def _by_code(concept) -> tuple[bool, list[tuple[dict, str, str | None]]]:
    """Whether the concept has a coding in a covered system, and each table row it matches (row, code, state)."""
    systems, rows, last_character = _code_table()
    covered, found = False, []
    for coding in codings(concept):
        system = systems.get(coding.get("system"))
        code = coding.get("code")
        if system is None or not isinstance(code, str) or not code.strip():
            continue
        covered = True
        code = _normal(system, code)[:20]
        lengths = range(len(code), 2, -1) if system == "icd10cm" else (len(code),)  # ICD-10-CM: longest prefix
        row = next((rows[(system, code[:n])] for n in lengths if (system, code[:n]) in rows), None)
        if row is not None:
            state = last_character.get(code[-1]) if row.get("state_in_code") and len(code) == 5 else None
            found.append((row, coding["code"].strip()[:20], state))
    return covered, found


def _by_words(text: str) -> tuple[str, str | None]:
    """('disease', value) or ('possible', could_be) or ('other', None) from a Condition's words."""
    terms = table("fhir_terms.yaml")
    for row in terms["diagnoses"]:
        if all(t in text for t in row["all"]) and not any(t in text for t in row.get("none", [])):
            return ("disease", row["value"]) if row["value"] else ("other", None)
    for row in terms["possible_diagnoses"]:
        if all(t in text for t in row["all"]) and not any(t in text for t in row.get("none", [])):
            return "possible", row["could_be"]
    return "other", None


class ConditionReader:
    """Reads every Condition of a bundle (a _Bundle: entries, references, import log) into diagnosis fields."""

    def __init__(self, bundle):
        self.bundle, self.out = bundle, bundle.out

    def _read(self, index: int, resource: dict) -> _Reading | None:
        name = self.bundle.name(index, resource)
        verification = status_words(resource.get("verificationStatus"))
        if "entered-in-error" in verification:
            self.out.ignore(name, "verificationStatus entered-in-error")
            return None
        onset = day(
            resource.get("onsetDateTime")
            or as_dict(resource.get("onsetPeriod")).get("start")
            or resource.get("recordedDate"),
            ("entry", index, "resource", "onsetDateTime"),
        )
        if onset is not None and onset > self.bundle.as_of:
            self.out.ignore(name, f"onset or record date {onset} is after the as-of date")
            return None
        concept = resource.get("code")
        text = words(concept)
        covered, found = _by_code(concept)
        reading = _Reading(name, "other", onset=onset or date.min, how=text[:80] or "no code text")
        definite = {row["value"] for row, _, _ in found if row["value"] != "possible"}
        if len(definite) == 1:
            reading.kind, reading.value = "disease", definite.pop()
            states = {state for _, _, state in found if state}
            reading.state = states.pop() if len(states) == 1 else None
            reading.how = "coded " + ", ".join(f"{code} ({row['title']})" for row, code, _ in found)
        elif definite or found:
            reading.kind = "possible"
            reading.value = " or ".join(sorted(definite)) if definite else found[0][0]["could_be"]
            reading.how = "coded " + ", ".join(f"{code} ({row['title']})" for row, code, _ in found)
        else:
            kind, value = _by_words(text)
            if covered and kind != "other":
                # Coded, but not with a code the table knows: words alone may not settle a coded diagnosis.
                reading.kind, reading.value = "possible", _DISEASES.get(value, value)
                reading.how = (
                    f"its code is not in the code table, but its words ({text[:60]!r}) suggest {reading.value}"
                )
            elif not covered and kind != "other":
                reading.kind, reading.value = kind, value
                reading.how = f"no SNOMED CT, ICD-10-CM or ICD-O-3 coding; words {text[:60]!r}"
        if "refuted" in verification:
            if reading.kind != "other":
                self.out.ignore(name, "verificationStatus refuted: not taken as the disease")
            reading.kind, reading.value = "other", None
            return reading
        if reading.kind == "disease" and any(s in verification for s in _UNCONFIRMED):
            reading.kind, reading.how = "possible", reading.how + "; verificationStatus not confirmed"
            reading.value = _DISEASES[reading.value]
        clinical = status_words(resource.get("clinicalStatus"))
        clinical_state = (
            "relapsed"
            if ("recurrence" in clinical or "relapse" in clinical)
            else "remission"
            if any(s in clinical for s in ("remission", "inactive", "resolved"))
            else None
        )
        if reading.kind == "disease" and clinical_state:
            if reading.state and reading.state != clinical_state:
                reading.how += (
                    f"; the code says {reading.state} but clinicalStatus says {clinical_state}: state left unknown"
                )
                reading.state = None
            else:
                reading.state = clinical_state
        return reading

    def read(self) -> dict:
        readings = []
        for index, resource in self.bundle.of_type("Condition"):
            reading = self._read(index, resource)
            if reading is not None:
                readings.append(reading)
        if not readings:
            return {}
        diseases = [r for r in readings if r.kind == "disease"]
        possible = [r for r in readings if r.kind == "possible"]
        if len({r.value for r in diseases}) > 1:
            for r in diseases:
                self.out.ignore(
                    r.name, "more than one screened-for diagnosis in the Bundle: the primary cannot be chosen"
                )
            return {}
        if diseases:
            latest = max(diseases, key=lambda r: r.onset)
            diagnosis = {"primary": latest.value}
            self.out.use(latest.name, "diagnosis.primary", f"{latest.value}: {latest.how}")
            if latest.state:
                diagnosis["disease_status"] = latest.state
                self.out.use(latest.name, "diagnosis.disease_status", latest.state)
            for r in possible:
                self.out.ignore(
                    r.name, f"may be {r.value} ({r.how}); the primary diagnosis is taken from {latest.name}"
                )
            return diagnosis
        if possible:
            for r in possible:
                self.out.ignore(r.name, f"may be {r.value} but does not settle it ({r.how}): diagnosis left unknown")
            self.out.assumptions.append(
                f"{len(possible)} of the {len(readings)} conditions in the record may be a screened disease without "
                "saying which (see ignored): the diagnosis is left unknown, to be recorded by the coordinator."
            )
            return {}
        shown = "; ".join(dict.fromkeys(r.how for r in readings[:5])) + ("; …" if len(readings) > 5 else "")
        self.out.use(
            f"{len(readings)} Condition resources",
            "diagnosis.primary",
            f"other: no {', '.join(list(_DISEASES.values())[:-2])} or glioma among them ({shown})",
        )
        self.out.assumptions.append(
            f"No neuroblastoma, acute myeloid leukaemia or glioma among the {len(readings)} conditions in the "
            "record: the Bundle's Conditions are taken as the patient's problem list, so the diagnosis is recorded "
            "as other (not a screened disease). A Bundle without Conditions leaves the diagnosis unknown."
        )
        return {"primary": "other"}
