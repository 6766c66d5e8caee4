"""What every FHIR reader shares: the import log, refusal with a path, dates, words and codes of a CodeableConcept."""
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from typing import NoReturn

import yaml

from .. import config
from ..model.dates import parse_fhir_day
from ..model.errors import FieldError, InvalidRecord

RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
SNOMED = "http://snomed.info/sct"
ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
ICDO3 = "http://terminology.hl7.org/CodeSystem/icd-o-3"
LOINC = "http://loinc.org"


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


@lru_cache(maxsize=None)
def table(name: str) -> dict:
    """A data table of criteria/tables/ (read once per process)."""
    return yaml.safe_load((config.SCREENER_CRITERIA_DIR / "tables" / name).read_text(encoding="utf-8"))


Path = tuple[str | int, ...]  # ("entry", 3, "resource", "valueQuantity"): rendered like a record's paths


def fail(path: Path, message: str) -> NoReturn:
    raise InvalidRecord([FieldError(path, message)])


def codings(concept) -> list[dict]:
    if not isinstance(concept, dict) or not isinstance(concept.get("coding"), list):
        return []
    return [c for c in concept["coding"] if isinstance(c, dict)]


def codes(concept, system: str) -> list[str]:
    """The codes of one system in a CodeableConcept, as written (strings only)."""
    return [c["code"].strip() for c in codings(concept) if c.get("system") == system and isinstance(c.get("code"), str)]


def words(concept) -> str:
    if not isinstance(concept, dict):
        return ""
    parts = [concept.get("text")] + [c.get("display") for c in codings(concept)]
    return " ".join(p for p in parts if isinstance(p, str)).lower()


def status_words(concept) -> str:
    """A status concept's codes and words: FHIR status values live in coding.code (recurrence, refuted, …)."""
    found = [c.get("code") for c in codings(concept)]
    return " ".join(c for c in found if isinstance(c, str)).lower() + " " + words(concept)


def match_words(text: str, rows: list[dict]):
    for row in rows:
        if all(term in text for term in row["all"]) and not any(term in text for term in row.get("none", [])):
            return row["value"]
    return None


def day(value, path: Path, kind: str = "dateTime") -> date | None:
    """The calendar day of a FHIR date/dateTime; None when absent or partial (a year or a year and month cannot
    be used). A value FHIR does not define as a date (2018-03-14T25:61:61Z, 2018-02-30, text) refuses the Bundle
    naming its path, as every date the reader needs always has: what it decides (a window, the latest result)
    cannot be guessed around."""
    if value is None:
        return None
    try:
        return parse_fhir_day(value, kind)  # the one strict parser, with the plausible range of every channel
    except ValueError as exc:
        fail(path, str(exc))


def as_dict(value) -> dict:
    """A FHIR element that should be an object: anything else reads as absent (the caller says what is missing)."""
    return value if isinstance(value, dict) else {}
