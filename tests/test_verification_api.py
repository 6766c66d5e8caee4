"""A signed eligibility verification through the JSON API (issue 26 point 4): GET /api/v1/verifications/{id} is the
service's VerificationView; a screener sees only those of the children they screened, everyone else none or every
one by role; a malformed or unknown id is a 404 that echoes nothing; a child's history carries, per trial, the
verification standing and the protocol deviations; a refusal's problem says the conflict's own words."""
import json

import pytest
from freezegun import freeze_time

from screener import enrolment, service
from screener.model.verification import DeviationRequest

from .helpers import PATIENTS, authorised, make_app
from .test_enrolment import DAY, TRIAL, _approve, _people, _request

SCREEN = f"/api/v1/trials/{TRIAL}/screen?as_of=2026-11-22"


@pytest.fixture
def site(tmp_path):
    """An app whose store has the investigator, the rule set approved, and alice's screening of SCR-0007."""
    from screener.web.storage import get_store

    app = make_app(tmp_path)
    with app.app_context():
        store = get_store()
    _people(store)
    _approve(store)
    return app, store


def _screen(client, number: str, name: str = "eligible.json") -> dict:
    record = {**json.loads((PATIENTS / name).read_text()), "screening_number": number}
    response = client.post(SCREEN, data=json.dumps(record), content_type="application/json")
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def _sign(store, number: str):
    found = enrolment.checklist(store, number, TRIAL, sees=None, on=DAY)
    return enrolment.sign(store, number, TRIAL, _request(store, found), username="dr-rahimi", role="investigator",
                          on=DAY)


def _alices_child_signed(app, store):
    """alice (a screener) screens SCR-0007 through the API; the investigator signs its verification."""
    alice = authorised(app, "screener", "alice")
    _screen(alice, "SCR-0007")
    return alice, _sign(store, "SCR-0007")


@freeze_time("2026-11-22")
def test_the_verification_is_the_services_view_as_json(site):
    alice, signed = _alices_child_signed(*site)
    response = alice.get(f"/api/v1/verifications/{signed.verification_id}")
    assert response.status_code == 200 and response.mimetype == "application/json"
    body = response.get_json()
    assert body == json.loads(signed.model_dump_json())  # the one schema, nothing added or dropped
    assert body["status"] == "verified" and body["status_text"] == "verified"
    assert body["signature"]["printed_name"] == "Leila Rahimi" and body["approval"]["reference"] == "REC 24/LO/0123"
    assert body["valid_through"] == "2026-11-26" and body["waivers"] == "none"
    assert [c["id"] for c in body["report"]["criteria"]] == body["reviewed"]


@freeze_time("2026-11-22")
def test_a_screener_sees_only_the_verifications_of_children_they_screened(site):
    app, _store = site
    alice, signed = _alices_child_signed(*site)
    path = f"/api/v1/verifications/{signed.verification_id}"
    refused = authorised(app, "screener", "bob").get(path)
    assert refused.status_code == 404 and refused.mimetype == "application/problem+json"
    assert refused.get_json()["detail"] == "no such verification you may see"
    for role in ("auditor", "admin", "investigator"):
        assert authorised(app, role).get(path).status_code == 200, role
    assert alice.get(path).status_code == 200


@freeze_time("2026-11-22")
@pytest.mark.parametrize("given", ["0" * 32, "f" * 32, "SCR-0007", "Jane%20Doe", "0" * 31, "x" * 300])
def test_an_unknown_or_malformed_id_is_a_404_echoing_nothing(site, given):
    app, store = site
    auditor = authorised(app, "auditor")
    response = auditor.get(f"/api/v1/verifications/{given}")
    assert response.status_code == 404 and response.mimetype == "application/problem+json"
    text = response.get_data(as_text=True)
    assert given not in text and "Jane" not in text


@freeze_time("2026-11-22")
def test_a_childs_history_carries_each_trials_verification_and_deviations(site):
    _app, store = site
    alice, signed = _alices_child_signed(*site)
    _screen(alice, "SCR-0008", "ineligible-waiting.json")
    failing = enrolment.checklist(store, "SCR-0008", TRIAL, sees=None, on=DAY)
    deviation = enrolment.record_deviation(
        store, "SCR-0008", TRIAL, DeviationRequest(reason="enrolled by the sponsor's decision",
                                                   fingerprint=failing.fingerprint),
        username="dr-rahimi", role="investigator", on=DAY)
    (course,) = alice.get("/api/v1/patients/SCR-0007").get_json()["trials"]
    assert course["verification"] == {
        "verification_id": signed.verification_id, "status": "verified", "status_text": "verified",
        "verified_on": "2026-11-22", "valid_through": "2026-11-26", "signed_by": "Leila Rahimi"}
    assert course["deviations"] == []
    (course,) = alice.get("/api/v1/patients/SCR-0008").get_json()["trials"]
    assert course["verification"] is None
    assert [d["deviation_id"] for d in course["deviations"]] == [deviation.deviation_id]
    assert course["deviations"][0]["criterion_ids"] == deviation.criterion_ids != []


def test_the_standing_is_todays(site):
    with freeze_time("2026-11-22"):
        alice, signed = _alices_child_signed(*site)
        path = f"/api/v1/verifications/{signed.verification_id}"
    with freeze_time("2026-11-26"):  # the last day of its validity
        assert alice.get(path).get_json()["status"] == "verified"
    with freeze_time("2026-11-27"):
        body = alice.get(path).get_json()
        assert (body["status"], body["status_text"]) == ("verified_expired", "verified, expired")
        (course,) = alice.get("/api/v1/patients/SCR-0007").get_json()["trials"]
        assert course["verification"]["status"] == "verified_expired"


@freeze_time("2026-11-22")
def test_a_conflicts_problem_says_its_own_words_and_a_void_keeps_its_own(site):
    app, _store = site
    alice = authorised(app, "screener", "alice")
    screened = _screen(alice, "SCR-0007")
    path = f"/api/v1/screenings/{screened['screening_id']}/void"
    assert alice.post(path, json={"reason": "test"}).status_code == 200
    again = alice.post(path, json={"reason": "test"})
    assert again.status_code == 409 and again.get_json()["detail"] == "the screening is voided already"


def test_enrolments_refusals_are_problems_with_their_own_words():
    from flask import Flask

    from screener.web.api import _REFUSALS

    with Flask(__name__).test_request_context():
        refused = service.refusal(enrolment.NotPermitted("only an investigator signs an eligibility verification"))
        response = _REFUSALS[refused.reason](refused)
        assert response.status_code == 403
        assert response.get_json()["detail"] == "only an investigator signs an eligibility verification"
        refused = service.refusal(service.Conflict("this signature was submitted already"))
        response = _REFUSALS[refused.reason](refused)
        assert response.status_code == 409 and response.get_json()["detail"] == "this signature was submitted already"
    assert set(_REFUSALS) == set(service.Refusal)  # every refusal has its problem


def test_the_route_is_in_the_openapi_document(site):
    app, _ = site
    document = app.test_client().get("/api/v1/openapi.json").get_json()
    operation = document["paths"]["/api/v1/verifications/{verification_id}"]["get"]
    assert operation["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/VerificationView"}
    assert {"404", "401", "403"} <= set(operation["responses"])
    schemas = document["components"]["schemas"]
    assert set(schemas["VerificationView"]["properties"]) >= {"signature", "approval", "valid_through", "report"}
    assert "deviations" in schemas["TrialCourse"]["properties"]
