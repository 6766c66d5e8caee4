"""The screening log by child through the JSON API (issue 25 points 1-4): the screening number (given in the record,
given as ?screening_number= for a FHIR Bundle, or assigned), a child's history, voids and outcomes; bad input is a
4xx naming the field, never echoing the value, storing nothing."""
import json

import pytest
from freezegun import freeze_time

from .helpers import PATIENTS, REPO, authorised, make_app

TRIAL = "NCT06674265"
SCREEN = f"/api/v1/trials/{TRIAL}/screen?as_of=2026-11-22"


@pytest.fixture
def api(tmp_path):
    app = make_app(tmp_path)
    return app, authorised(app, "screener", "coordinator")


def _screen(client, record: dict, query: str = "", content_type="application/json", url=SCREEN):
    return client.post(url + query, data=json.dumps(record), content_type=content_type)


def _events(app):
    from screener.web.storage import get_store

    with app.app_context():
        return get_store().events()


def test_a_screening_gets_the_next_number_when_none_is_given_and_keeps_a_given_one(api, eligible_json):
    app, client = api
    first = _screen(client, eligible_json).get_json()
    second = _screen(client, eligible_json).get_json()
    assert (first["screening_number"], second["screening_number"]) == ("SCR-0001", "SCR-0002")
    given = _screen(client, {**eligible_json, "screening_number": "SCR-0042"}).get_json()
    assert given["screening_number"] == "SCR-0042"
    assert _screen(client, eligible_json).get_json()["screening_number"] == "SCR-0043"  # one past the highest
    _screen(client, {**eligible_json, "screening_number": "SCR-9999"})
    assert _screen(client, eligible_json).get_json()["screening_number"] == "SCR-10000"  # after 9999, numerically
    assert _screen(client, eligible_json).get_json()["screening_number"] == "SCR-10001"
    every = client.post("/api/v1/screen?as_of=2026-11-22&screening_number=SCR-0042", data=json.dumps(eligible_json),
                        content_type="application/json").get_json()
    assert every["screening_number"] == "SCR-0042"
    history = client.get("/api/v1/patients/SCR-0042").get_json()
    assert len(history["screenings"]) == 1 + len(every["screening_ids"])
    assert {t["trial_id"] for t in history["trials"]} == set(every["screening_ids"])


def test_a_fhir_bundle_carries_the_number_in_the_query(api):
    _, client = api
    bundle = json.loads((REPO / "seeds" / "fhir" / "eligible.json").read_text())
    answer = _screen(client, bundle, "&screening_number=SCR-0100", "application/fhir+json").get_json()
    assert answer["screening_number"] == "SCR-0100" and answer["fhir_import"] is not None


@pytest.mark.parametrize("number", ["SCR-42", "SCR-123456", "John Smith", "MRN-1234567", "1234567", "scr-0042",
                                   "SCR-0042 ", "SCR 0042", "SMITH-0042", "SCR-００42", "SCR-00042"])
def test_anything_but_a_screening_number_is_refused_naming_the_field_and_storing_nothing(api, eligible_json, number):
    app, client = api
    before = len(_events(app))
    in_record = _screen(client, {**eligible_json, "screening_number": number})
    in_query = client.post(SCREEN.split("?")[0], query_string={"as_of": "2026-11-22", "screening_number": number},
                           data=json.dumps(eligible_json), content_type="application/json")
    for response in (in_record, in_query):
        assert response.status_code == 422
        assert [e["field"] for e in response.get_json()["errors"]] == ["screening_number"]
        assert number not in response.get_data(as_text=True)
    assert len(_events(app)) == before


def test_a_query_number_that_differs_from_the_records_is_refused(api, eligible_json):
    _, client = api
    response = _screen(client, {**eligible_json, "screening_number": "SCR-0001"}, "&screening_number=SCR-0002")
    assert response.status_code == 422 and response.get_json()["errors"][0]["field"] == "screening_number"


def test_void_keeps_the_screening_in_the_trail_and_out_of_the_count(api, eligible_json):
    app, client = api
    kept = _screen(client, {**eligible_json, "screening_number": "SCR-0007"}, url=SCREEN.replace("22", "20"))
    test = _screen(client, {**eligible_json, "screening_number": "SCR-0007"}).get_json()
    voided = client.post(f"/api/v1/screenings/{test['screening_id']}/void", json={"reason": "test", "note": "demo"})
    assert voided.status_code == 200 and voided.get_json()["void"]["reason"] == "test"
    again = client.post(f"/api/v1/screenings/{test['screening_id']}/void", json={"reason": "test"})
    assert again.status_code == 409
    history = client.get("/api/v1/patients/SCR-0007").get_json()
    by_id = {s["screening_id"]: s for s in history["screenings"]}
    assert by_id[test["screening_id"]]["void"]["note"] == "demo" and not by_id[test["screening_id"]]["counted"]
    assert history["trials"][0]["screening_id"] == kept.get_json()["screening_id"]  # the older one counts again
    voids = [e for e in _events(app) if e.action == "screening.voided"]
    assert [(e.subject, e.actor.endswith("(coordinator)")) for e in voids] == [(test["screening_id"], True)]


@pytest.mark.parametrize(("body", "field"), [
    ({"reason": "typo"}, "reason"), ({}, "reason"), ({"reason": "test", "note": "x" * 501}, "note"),
    ({"reason": "test", "extra": 1}, "extra"), ({"reason": "test", "note": "a\x00b"}, "note"),
])
def test_a_bad_void_is_a_422_naming_the_field(api, eligible_json, body, field):
    app, client = api
    screened = _screen(client, eligible_json).get_json()
    before = len(_events(app))
    response = client.post(f"/api/v1/screenings/{screened['screening_id']}/void", json=body)
    assert response.status_code == 422 and response.get_json()["errors"][0]["field"] == field
    assert len(_events(app)) == before


def test_a_screener_voids_and_sees_only_their_own(api, eligible_json):
    app, client = api
    screened = _screen(client, {**eligible_json, "screening_number": "SCR-0003"}).get_json()
    other = authorised(app, "screener", "someone-else")
    assert other.post(f"/api/v1/screenings/{screened['screening_id']}/void", json={"reason": "test"}).status_code == 404
    assert other.get("/api/v1/patients/SCR-0003").status_code == 404
    assert authorised(app, "auditor").get("/api/v1/patients/SCR-0003").status_code == 200
    assert authorised(app, "auditor").post(f"/api/v1/screenings/{screened['screening_id']}/void",
                                           json={"reason": "test"}).status_code == 403


@freeze_time("2026-12-06")
def test_outcomes_follow_the_counted_screening(api, eligible_json):
    app, client = api
    waiting = json.loads((PATIENTS / "ineligible-waiting.json").read_text())
    _screen(client, {**waiting, "screening_number": "SCR-0005"})
    outcomes = "/api/v1/patients/SCR-0005/outcomes"
    refused = client.post(outcomes, json={"trial_id": TRIAL, "outcome": "enrolled", "date": "2026-12-01",
                                          "study_number": "NK-1"})
    assert refused.status_code == 422 and refused.get_json()["errors"][0]["field"] == "outcome"
    failed = client.post(outcomes, json={"trial_id": TRIAL, "outcome": "screen_failed"})
    assert failed.status_code == 201
    assert failed.get_json()["outcome"]["criterion_ids"] == ["NCT06674265-E1", "NCT06674265-E7"]
    # Re-screened later (the steroids cleared): eligible now, and enrolled.
    _screen(client, {**eligible_json, "screening_number": "SCR-0005"})
    enrolled = client.post(outcomes, json={"trial_id": TRIAL, "outcome": "enrolled", "date": "2026-12-01",
                                           "study_number": "NK-1"})
    assert enrolled.status_code == 201
    course = client.get("/api/v1/patients/SCR-0005").get_json()["trials"][0]
    assert course["verdict"] == "eligible" and course["outcome"]["outcome"] == "enrolled"
    assert [e.action for e in _events(app)][-1] == "outcome.recorded"


@freeze_time("2026-12-06")
@pytest.mark.parametrize(("body", "field"), [
    ({"trial_id": TRIAL, "outcome": "enrolled", "date": "2026-12-01"}, "(body)"),  # no study number
    ({"trial_id": TRIAL, "outcome": "consented", "date": "2026-12-07"}, "date"),  # after today
    ({"trial_id": TRIAL, "outcome": "eligible_not_enrolled", "reason": "other"}, "(body)"),  # no words
    ({"trial_id": TRIAL, "outcome": "eligible_not_enrolled", "reason": "bored"}, "reason"),
    ({"trial_id": TRIAL, "outcome": "married"}, "outcome"),
    ({"trial_id": "NCT00000000", "outcome": "consented", "date": "2026-12-01"}, "trial_id"),
    ({"trial_id": "NCT06694701", "outcome": "consented", "date": "2026-12-01"}, "trial_id"),  # never screened for it
])
def test_a_bad_outcome_is_a_422_naming_the_field_and_storing_nothing(api, eligible_json, body, field):
    app, client = api
    _screen(client, {**eligible_json, "screening_number": "SCR-0006"})
    before = len(_events(app))
    response = client.post("/api/v1/patients/SCR-0006/outcomes", json=body)
    assert response.status_code == 422, response.get_json()
    assert response.get_json()["errors"][0]["field"] == field
    assert len(_events(app)) == before


def test_an_unknown_child_is_a_404_without_echo(api):
    _, client = api
    response = client.get("/api/v1/patients/SCR-9999")
    assert response.status_code == 404 and "SCR-9999" not in response.get_data(as_text=True)
    response = client.get("/api/v1/patients/Jane Doe")  # not a screening number: refused naming it (review)
    assert response.status_code == 422 and "Jane" not in response.get_data(as_text=True)


def test_the_new_routes_are_in_the_openapi_document(api):
    _, client = api
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert {"/api/v1/patients/{screening_number}", "/api/v1/screenings/{screening_id}/void",
            "/api/v1/patients/{screening_number}/outcomes"} <= set(paths)
    parameters = [p["name"] for p in paths["/api/v1/screen"]["post"]["parameters"]]
    assert "screening_number" in parameters
