"""A hook's prefetch (or what was fetched in its place) as one FHIR Bundle for the project's FHIR reader.

Only what is known to be whole is read. A key sent as null (the client has no data), an OperationOutcome in place of
a resource, a search Bundle carrying an error or cut off at a page (a `next` link), or a fetch that failed: every
resource of that key's category is left out, so the facts it would give are missing and their criteria unknown,
never passed or failed (a medication history with one of its three kinds missing is not the history).
"""
from collections.abc import Callable

from ..model.cds_hooks import HookRequest
from ..model.errors import FieldError, InvalidRecord, ScreenerError
from .discovery import Category, prefetch_templates

# The resource types each category reads; anything else a search Bundle carries (an included Patient, a Provenance)
# is not this key's to give.
_TYPES = {
    Category.PATIENT: {"Patient"},
    Category.CONDITIONS: {"Condition"},
    Category.OBSERVATIONS: {"Observation"},
    Category.MEDICATIONS: {"MedicationRequest", "MedicationStatement", "MedicationAdministration", "Medication"},
    Category.PROCEDURES: {"Procedure"},
}
_FAILED = {"fatal", "error"}

Fetch = Callable[[str], dict | None]


class NeedsData(ScreenerError):
    """Neither prefetch nor FHIR access gives what screening needs: the spec's 412 Precondition Failed."""


def _entries(value: dict | None) -> list[tuple[str | None, dict]] | None:
    """The (fullUrl, resource) pairs a prefetch value gives; None when it is not known to be whole."""
    if not isinstance(value, dict):
        return None
    kind = value.get("resourceType")
    if kind == "OperationOutcome" or not isinstance(kind, str):
        return None
    if kind != "Bundle":
        return [(None, value)]
    if _paged(value):
        return None  # one page of several: the rest may hold the value that decides
    pairs = []
    for entry in value.get("entry") or []:
        resource = entry.get("resource") if isinstance(entry, dict) else None
        if not isinstance(resource, dict):
            return None
        if resource.get("resourceType") == "OperationOutcome":
            issues = resource.get("issue") or []
            if any(isinstance(i, dict) and i.get("severity") in _FAILED for i in issues):
                return None
            continue  # information or a warning beside the results
        url = entry.get("fullUrl")
        pairs.append((url if isinstance(url, str) else None, resource))
    return pairs


def _paged(value: dict | None) -> bool:
    return isinstance(value, dict) and any(isinstance(link, dict) and link.get("relation") == "next"
                                           for link in value.get("link") or [])


def fill(template: str, patient_id: str) -> str:
    """A template's query for this patient (patientId matched the FHIR id pattern: nothing to escape)."""
    return template.replace("{{context.patientId}}", patient_id)


def gather(request: HookRequest, fetch: Fetch | None) -> tuple[dict, list[str]]:
    """The Bundle to screen and the categories left out as not whole (sorted). NeedsData when a key is neither sent
    nor fetchable, or the Patient cannot be had."""
    given = request.prefetch or {}
    incomplete: set[str] = set()
    kept: dict[str, list[tuple[str | None, dict]]] = {}
    for key, (category, template) in prefetch_templates().items():
        if key in given:
            value = given[key]
        elif fetch is not None:
            value = fetch(fill(template, request.context.patientId))
        else:
            raise NeedsData(key)
        pairs = _entries(value)
        if pairs is None and key in given and fetch is not None and _paged(value):
            pairs = _entries(fetch(fill(template, request.context.patientId)))  # the whole search, every page
        if pairs is None:
            incomplete.add(category)
            continue
        kept.setdefault(category, []).extend(p for p in pairs if p[1].get("resourceType") in _TYPES[category])
    if Category.PATIENT in incomplete or not kept.get(Category.PATIENT):
        raise NeedsData("patient")
    if kept[Category.PATIENT][0][1].get("id") != request.context.patientId:
        # Another chart's data would be screened and carded as this child's.
        raise InvalidRecord([FieldError(("prefetch", "patient", "id"), "is not the context's patientId")])
    entries: list[dict] = []
    seen = set()
    for category, pairs in kept.items():
        if category in incomplete:
            continue
        for url, resource in pairs:
            identity = (resource.get("resourceType"), resource.get("id"), url)
            if identity in seen:
                continue  # the same Medication included by two searches
            seen.add(identity)
            entries.append({"fullUrl": url, "resource": resource} if url else {"resource": resource})
    if request.fhirServer and Category.PATIENT in kept:
        # References may be absolute (the server's base and Patient/id): let them resolve to the Patient.
        patient = kept[Category.PATIENT][0][1]
        for entry in entries:
            if entry["resource"] is patient and "fullUrl" not in entry and isinstance(patient.get("id"), str):
                entry["fullUrl"] = f"{request.fhirServer.rstrip('/')}/Patient/{patient['id']}"
    return {"resourceType": "Bundle", "type": "collection", "entry": entries}, sorted(incomplete)
