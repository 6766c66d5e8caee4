"""order-sign, acting as the EHR: a draft order for a drug a candidate trial excludes gives a warning citing the
criterion in the report's words; an unrelated drug gives no card."""
import json

import pytest
from freezegun import freeze_time

from screener.cds_hooks.example import hook_request, prefetch_from_bundle

from .cds_ehr import bearer, registry
from .helpers import REPO, make_app

SERVICE = "/cds-services/trial-order-check"
AS_OF = "2026-11-22"


@pytest.fixture
def ehr(tmp_path):
    return make_app(tmp_path, CDS_EHRS=registry()).test_client()


def _draft(name: str, rxcui: str, patient_id: str) -> dict:
    return {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": {
        "resourceType": "MedicationRequest", "id": "draft-1", "status": "draft", "intent": "order",
        "subject": {"reference": f"Patient/{patient_id}"},
        "medicationCodeableConcept": {"text": name, "coding": [
            {"system": "http://www.nlm.nih.gov/research/umls/rxnorm", "code": rxcui, "display": name}]},
        "dosageInstruction": [{"route": {"coding": [{"system": "http://snomed.info/sct", "code": "26643006",
                                                     "display": "Oral route"}]}}],
    }}]}


def _sign(ehr, drug: str, rxcui: str) -> list[dict]:
    patient_id, prefetch = prefetch_from_bundle(json.loads((REPO / "seeds" / "fhir" / "eligible.json").read_text()))
    body = hook_request("order-sign", patient_id, prefetch,
                        context={"draftOrders": _draft(drug, rxcui, patient_id)})
    with freeze_time(AS_OF, tick=True):
        response = ehr.post(SERVICE, data=json.dumps(body), content_type="application/json", headers=bearer(SERVICE))
    assert response.status_code == 200, response.get_json()
    return response.get_json()["cards"]


def test_a_draft_fluconazole_order_warns_citing_exclusion_8(ehr):
    cards = _sign(ehr, "fluconazole", "4450")
    assert len(cards) == 1
    card = cards[0]
    assert card["indicator"] == "warning" and len(card["summary"]) < 140
    assert card["summary"].startswith("fluconazole would exclude this patient from NCT06674265")
    assert "NCT06674265-E8" in card["detail"] and "CYP3A4" in card["detail"]
    assert "Receiving CYP3A4 inducers or inhibitors" in card["detail"]  # the source's words


def test_an_unrelated_draft_order_gives_no_card(ehr):
    assert _sign(ehr, "acetaminophen", "161") == []


def test_the_screening_with_an_order_is_worded_only_for_a_card(ehr, monkeypatch):
    """The screening with the draft order is triage: its reasons are worded only for a trial it makes a criterion
    fail in, whose card cites one. The hook's own screening is recorded, so its reports are worded (once per trial)."""
    from screener import screening

    from .test_screen_outcome import counting

    calls = counting(monkeypatch)
    assert _sign(ehr, "acetaminophen", "161") == []
    recorded = calls.count("reason")
    calls.clear()
    screening._RESULTS.clear()  # worded afresh, not served from the first call's memo of worded criteria
    assert len(_sign(ehr, "fluconazole", "4450")) == 1
    assert calls.count("reason") > recorded > 0  # the same recorded screening, and the one worded for the card


def test_a_draft_order_that_would_exclude_an_enrolled_child_is_critical(tmp_path):
    """The EHR's patient is linked to their screening number at the first call; once the screening log records them
    enrolled in NCT06674265, a draft fluconazole order gives a critical card naming the enrolment."""
    app = make_app(tmp_path, CDS_EHRS=registry())
    ehr = app.test_client()
    before = _sign(ehr, "fluconazole", "4450")
    assert [c["indicator"] for c in before] == ["warning"]
    from screener.audit import add_outcome
    from screener.web.storage import get_store

    with app.app_context():
        store = get_store()
        row = store.screenings(trial_id="NCT06674265", limit=1)[0]
        # Recorded as the log would after an enrolment (the outcome rests on the child's screening).
        add_outcome(store, screening_number=row.screening_number, trial_id="NCT06674265", outcome="enrolled",
                    on_date=AS_OF, reason=None, note=None, study_number="NK-007", criterion_ids=[],
                    screening_id=row.id, actor="user:coordinator")
    cards = _sign(ehr, "fluconazole", "4450")
    assert len(cards) == 1 and cards[0]["indicator"] == "critical"
    assert "is enrolled in the trial" in cards[0]["detail"] and "NCT06674265-E8" in cards[0]["detail"]
    assert _sign(ehr, "acetaminophen", "161") == []
