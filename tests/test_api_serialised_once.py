"""The screening endpoints serialise each report once, for the store and the answer, byte for byte as pydantic."""
import json

import pytest

from screener.audit import report_of
from screener.model.api import ScreenAllResponse, ScreenResponse
from screener.web.storage import get_store

from .helpers import PATIENTS, REPO

FHIR_BUNDLE = (REPO / "tests" / "fixtures" / "fhir_bundle.json").read_bytes()


@pytest.mark.parametrize("body, content_type", [((PATIENTS / "eligible.json").read_bytes(), "application/json"),
                                                 ((PATIENTS / "incomplete.json").read_bytes(), "application/json"),
                                                 (FHIR_BUNDLE, "application/fhir+json")])
def test_one_trial_answer_is_the_models_json_and_the_stored_report(app, client, body, content_type):
    response = client.post("/api/v1/trials/NCT06674265/screen?as_of=2026-11-22", data=body, content_type=content_type)
    assert response.status_code == 200, response.json
    answered = ScreenResponse.model_validate_json(response.data)
    # What the model itself writes for the same values: the hand-joined answer must not differ by a byte.
    assert response.data == answered.model_dump_json().encode()
    assert (answered.fhir_import is not None) == (content_type == "application/fhir+json")
    with app.app_context():
        row = get_store().screening(answered.screening_id)
    assert row.report_json == answered.report.model_dump_json()
    assert json.dumps(response.json["report"], separators=(",", ":"), ensure_ascii=False) == row.report_json
    assert report_of(row) == answered.report


@pytest.mark.parametrize("body, content_type", [((PATIENTS / "aml-relapsed.json").read_bytes(), "application/json"),
                                                 (FHIR_BUNDLE, "application/fhir+json")])
def test_every_trial_answer_is_the_models_json_and_the_stored_reports(app, client, body, content_type):
    response = client.post("/api/v1/screen?as_of=2026-11-22", data=body, content_type=content_type)
    assert response.status_code == 200, response.json
    answered = ScreenAllResponse.model_validate_json(response.data)
    assert response.data == answered.model_dump_json().encode()
    assert len(answered.reports) == len(answered.screening_ids) > 1
    with app.app_context():
        rows = get_store().request(answered.screening_id)
    assert {row.trial_id: row.id for row in rows} == answered.screening_ids
    stored = {row.trial_id: row.report_json for row in rows}
    assert all(stored[r.trial_id] == r.model_dump_json() for r in answered.reports)
