"""The JSON API: trials, rule sets, fields, screening, and errors as problem+json that never echo input."""
import json

import pytest

from .helpers import PATIENTS, trial_ids

SCREEN = "/api/v1/trials/NCT06674265/screen?as_of=2026-11-22"


def _post(client, body, url=SCREEN, content_type="application/json"):
    return client.post(
        url, data=body if isinstance(body, (str, bytes)) else json.dumps(body), content_type=content_type
    )


def test_health_and_readiness(client):
    assert client.get("/healthz").json == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200 and "NCT06674265" in ready.json["trials"]


def test_list_trials_and_rule_set(client):
    trials = client.get("/api/v1/trials").json
    assert {t["trial_id"] for t in trials} >= {"NCT06674265", "IRCT20170122032121N7"}
    detail = client.get("/api/v1/trials/NCT06674265").json
    e1 = next(c for c in detail["criteria"] if c["id"] == "NCT06674265-E1")
    assert e1["source_text"].startswith("Insufficient bone marrow function")
    assert e1["interpretation"].startswith("Garbled")
    assert "Platelet count ≤ 50,000 /uL" in e1["encoded"]
    assert detail["digest"].startswith("sha256:") and detail["coverage"]["complete"] is True


def test_fields_catalogue(client):
    fields = {f["name"]: f for f in client.get("/api/v1/fields").json}
    assert "10*9/L" in fields["lab.platelets"]["accepted_units"] and "777-3" in fields["lab.platelets"]["loinc"]


def test_screen_native_record(client):
    response = _post(client, (PATIENTS / "eligible.json").read_text())
    assert response.status_code == 200
    body = response.json
    assert body["report"]["verdict"] == "eligible" and body["fhir_import"] is None and len(body["screening_id"]) == 32


def test_screen_all_trials(client):
    body = _post(client, (PATIENTS / "glioma-recurrent.json").read_text(), "/api/v1/screen?as_of=2026-11-22").json
    # Relapsed glioma: IRCT20170122032121N6's population; every other trial's excludes it (N7: newly diagnosed only).
    reports = body["reports"]
    assert sorted(r["trial_id"] for r in reports) == sorted(trial_ids())
    assert (reports[0]["trial_id"], reports[0]["verdict"]) == ("IRCT20170122032121N6", "no_known_exclusion")
    assert [r["verdict"] for r in reports[1:]] == ["ineligible"] * (len(trial_ids()) - 1)
    assert body["reports"][0]["verdict_text"] == "NO KNOWN EXCLUSION — PARTIAL, 2 criteria encoded"


def test_invalid_record_is_422_with_every_field_and_no_value(client, eligible_json):
    eligible_json["observations"][0]["value"] = -98765
    eligible_json["demographics"]["sex"] = "SECRETSEX"
    response = _post(client, eligible_json)
    assert response.status_code == 422 and response.content_type == "application/problem+json"
    assert {e["field"] for e in response.json["errors"]} == {"observations[0].value", "demographics.sex"}
    assert b"98765" not in response.data and b"SECRETSEX" not in response.data


def test_strict_types_on_raw_json(client, eligible_json):
    eligible_json["demographics"]["weight_kg"] = True
    eligible_json["diagnosis"]["induction_cycles"] = "5"
    fields = {e["field"] for e in _post(client, eligible_json).json["errors"]}
    assert fields == {"demographics.weight_kg", "diagnosis.induction_cycles"}


@pytest.mark.parametrize(
    "url,field",
    [
        ("/api/v1/trials/NCT06674265/screen?as_of=2026-13-01", "as_of"),
        ("/api/v1/trials/NCT06674265/screen?as_of=20261122", "as_of"),
    ],
)
def test_bad_as_of(client, url, field):
    response = _post(client, (PATIENTS / "eligible.json").read_text(), url)
    assert response.status_code == 422 and response.json["errors"][0]["field"] == field


def test_birth_after_as_of(client):
    response = _post(
        client, (PATIENTS / "eligible.json").read_text(), "/api/v1/trials/NCT06674265/screen?as_of=2010-01-01"
    )
    assert response.status_code == 422 and response.json["errors"][0]["field"] == "demographics.birth_date"


def test_unknown_trial_404(client):
    response = _post(client, "{}", "/api/v1/trials/NOPE/screen")
    assert response.status_code == 404 and response.content_type == "application/problem+json"


@pytest.mark.parametrize("content_type", ["text/plain", "application/xml", "application/json; charset=latin-1"])
def test_unsupported_media_type_415(client, content_type):
    response = _post(client, (PATIENTS / "eligible.json").read_text(), content_type=content_type)
    assert response.status_code == 415 and response.content_type == "application/problem+json"


def test_oversized_body_413(client):
    response = _post(client, b"{" + b" " * (9 * 1024 * 1024) + b"}")
    assert response.status_code == 413 and response.content_type == "application/problem+json"


@pytest.mark.parametrize("body", [b"", b"{", b"[]", b'"text"', b"null", b'{"demographics": 1}', b"\xff\xfe"])
def test_malformed_bodies_are_422(client, body):
    response = _post(client, body)
    assert response.status_code == 422 and response.json["errors"]


def test_unexpected_error_is_generic_500_with_incident_id(app, client, monkeypatch):
    import screener.service as service  # every channel screens through the service

    def boom(*args, **kwargs):
        raise RuntimeError("secret patient detail")

    monkeypatch.setattr(service, "screen", boom)
    response = _post(client, (PATIENTS / "eligible.json").read_text())
    assert response.status_code == 500 and response.json["incident_id"]
    assert b"secret" not in response.data and b"Traceback" not in response.data


def test_screening_logs_carry_no_submitted_value(client, caplog, eligible_json):
    eligible_json["record_id"] = "PSEUDO-7431"
    eligible_json["observations"][0]["value"] = 123.45
    with caplog.at_level("INFO"):
        _post(client, eligible_json)
        eligible_json["observations"][0]["value"] = -1
        _post(client, eligible_json)
    text = caplog.text
    assert "screening" in text
    for secret in ("PSEUDO-7431", "123.45", "2018-03-14", "female"):
        assert secret not in text


def test_openapi_document_validates(client):
    from openapi_spec_validator import validate

    document = client.get("/api/v1/openapi.json").json
    validate(document)
    assert document["openapi"] == "3.1.0" and "/api/v1/trials/{trial_id}/screen" in document["paths"]
    assert client.get("/api/v1/docs").status_code == 200


def test_readme_curl_examples(client):
    from .helpers import REPO

    native = _post(client, (PATIENTS / "eligible.json").read_text())
    assert native.status_code == 200 and native.json["report"]["verdict"] == "eligible"
    fhir = client.post(
        "/api/v1/screen?as_of=2026-11-22",
        data=(REPO / "tests" / "fixtures" / "fhir_bundle.json").read_bytes(),
        content_type="application/fhir+json",
    )
    assert fhir.status_code == 200
    nct = next(r for r in fhir.json["reports"] if r["trial_id"] == "NCT06674265")
    assert nct["verdict"] == "incomplete"  # a FHIR bundle carries no attestations, findings or imaging


def test_the_docs_page_obeys_our_csp_and_its_example_sends_a_token(app):
    page = app.test_client().get("/api/v1/docs").get_data(as_text=True)
    assert "<style" not in page and "style=" not in page  # the CSP allows no inline style
    assert "Authorization: Bearer" in page
    assert app.test_client().get("/static/docs.css").status_code == 200
