"""The services this screener offers an EHR, and the prefetch each asks for: built from what the FHIR reader reads,
so the queries ask for exactly that (the same text every time: the codes are sorted)."""
from functools import lru_cache

from ..fhir import observation_codes
from ..model.cds_hooks import CdsService, Discovery

PATIENT_VIEW = "trial-candidates"
ORDER_SIGN = "trial-order-check"
_PATIENT = "{{context.patientId}}"


class Category:
    """What a prefetch key feeds: a key that cannot be read leaves every fact of its category unknown."""

    PATIENT = "patient"
    CONDITIONS = "conditions"
    OBSERVATIONS = "observations"
    MEDICATIONS = "medications"
    PROCEDURES = "procedures"


def _observations() -> str:
    codes = ",".join(f"http://loinc.org|{code}" for code in observation_codes())
    return f"Observation?patient={_PATIENT}&code={codes}"


@lru_cache(maxsize=1)
def prefetch_templates() -> dict[str, tuple[str, str]]:
    """key -> (category, FHIR query template). Medications are asked with the Medication they reference: the reader
    needs the drug's code, and a request whose Medication is absent is unreadable (medications stay unknown)."""
    return {
        "patient": (Category.PATIENT, f"Patient/{_PATIENT}"),
        "conditions": (Category.CONDITIONS, f"Condition?patient={_PATIENT}"),
        "observations": (Category.OBSERVATIONS, _observations()),
        "medicationRequests": (
            Category.MEDICATIONS, f"MedicationRequest?patient={_PATIENT}&_include=MedicationRequest:medication"),
        "medicationStatements": (
            Category.MEDICATIONS, f"MedicationStatement?patient={_PATIENT}&_include=MedicationStatement:medication"),
        "medicationAdministrations": (
            Category.MEDICATIONS,
            f"MedicationAdministration?patient={_PATIENT}&_include=MedicationAdministration:medication"),
        "procedures": (Category.PROCEDURES, f"Procedure?patient={_PATIENT}"),
    }


@lru_cache(maxsize=1)
def discovery() -> Discovery:
    prefetch = {key: template for key, (_, template) in prefetch_templates().items()}
    return Discovery(services=[
        CdsService(
            hook="patient-view", id=PATIENT_VIEW, title="NK-cell trial candidates",
            description="Screens the patient against every recruiting NK-cell trial rule set and shows a card for "
            "each trial the child may be a candidate for, with the items still to record. Never says eligible "
            "from EHR data alone.",
            prefetch=prefetch,
        ),
        CdsService(
            hook="order-sign", id=ORDER_SIGN, title="NK-cell trial order check",
            description="Warns when a draft medication order would exclude the patient from a recruiting trial "
            "they are a candidate for, citing the criterion.",
            prefetch=prefetch,
        ),
    ])


def service_hook(service_id: str) -> str | None:
    return next((s.hook for s in discovery().services if s.id == service_id), None)
