"""CDS Hooks 2.0.1 conformance, acting as the EHR (standards.md §1 and §3a): discovery, patient-view cards, 412,
null prefetch, the JWT checks, feedback in the chain."""
import json
import uuid

import jwt
import pytest
from freezegun import freeze_time

from screener.cds_hooks.example import hook_request, prefetch_from_bundle, token

from .cds_ehr import BASE, ISS, KEY_256, KEY_384, SANDBOX_ISS, bearer, private_jwk, registry
from .helpers import REPO, make_app

DEMO = sorted((REPO / "seeds" / "fhir").glob("*.json"))
SERVICE = "/cds-services/trial-candidates"
AS_OF = "2026-11-22"


@pytest.fixture
def app(tmp_path):
    return make_app(tmp_path, CDS_EHRS=registry(), CDS_CORS_ORIGINS=["https://sandbox.cds-hooks.org"])


@pytest.fixture
def ehr(app):
    return app.test_client()


def _call(ehr, body: dict, path: str = SERVICE, **options):
    return ehr.post(path, data=json.dumps(body), content_type="application/json", headers=bearer(path, **options))


def _demo(name: str) -> tuple[str, dict]:
    return prefetch_from_bundle(json.loads((REPO / "seeds" / "fhir" / name).read_text()))


def test_discovery_lists_both_hooks_with_prefetch_from_the_catalogue(ehr):
    first = ehr.get("/cds-services", headers=bearer("/cds-services"))
    second = ehr.get("/cds-services", headers=bearer("/cds-services"))
    assert first.status_code == 200 and first.data == second.data
    services = first.get_json()["services"]
    assert {(s["hook"], s["id"]) for s in services} == {("patient-view", "trial-candidates"),
                                                        ("order-sign", "trial-order-check")}
    for service in services:
        assert service["description"] and service["title"]
        assert all("{{context.patientId}}" in t for t in service["prefetch"].values())
        observations = service["prefetch"]["observations"]
        assert "http://loinc.org|777-3" in observations and "http://loinc.org|29463-7" in observations
        assert {"patient", "conditions", "medicationRequests", "medicationStatements", "medicationAdministrations",
                "procedures"} <= set(service["prefetch"])


def _check_cards(cards: list[dict]) -> None:
    for card in cards:
        assert len(card["summary"]) < 140
        assert card["indicator"] in ("info", "warning", "critical")
        assert card["source"]["label"]
        uuid.UUID(card["uuid"])
        assert all(link["type"] == "absolute" for link in card.get("links", []))
        assert "suggestions" not in card and "selectionBehavior" not in card


@pytest.mark.parametrize("path", DEMO, ids=lambda p: p.stem)
def test_patient_view_for_each_demo_bundle(ehr, path):
    patient_id, prefetch = prefetch_from_bundle(json.loads(path.read_text()))
    with freeze_time(AS_OF):
        response = _call(ehr, hook_request("patient-view", patient_id, prefetch))
    assert response.status_code == 200, response.get_json()
    _check_cards(response.get_json()["cards"])


def test_a_candidate_gets_one_info_card_with_every_criterion_and_a_link_without_phi(app, ehr):
    patient_id, prefetch = _demo("eligible.json")
    with freeze_time(AS_OF):
        response = _call(ehr, hook_request("patient-view", patient_id, prefetch))
    cards = response.get_json()["cards"]
    assert len(cards) == 1
    card = cards[0]
    _check_cards(cards)
    assert card["indicator"] == "info"
    assert card["summary"].startswith("Possible candidate: NCT06674265 ")
    assert "to record" in card["summary"] and "eligible" not in card["summary"].lower()
    assert card["source"]["label"].endswith("NCT06674265")
    for word in ("**passed**", "**unknown**", "To settle:"):
        assert word in card["detail"]
    link = card["links"][0]["url"]
    assert link.startswith(BASE + "/results/") and link.endswith("/rescreen")
    assert patient_id not in link
    from screener.web.storage import get_store

    with app.app_context():
        store = get_store()
        screening = store.screening(uuid.UUID(card["uuid"]).hex)
        assert screening.channel == "cds-hooks" and screening.actor == f"cds-hooks {ISS}"
        call = [e for e in store.events() if e.action == "cds.call"][-1]
        assert call.subject == screening.request_id and "hookInstance" in call.details_json


def test_412_without_prefetch_or_fhir_server(ehr):
    patient_id, prefetch = _demo("eligible.json")
    del prefetch["observations"]
    with freeze_time(AS_OF):
        assert _call(ehr, hook_request("patient-view", patient_id, prefetch)).status_code == 412
        assert _call(ehr, hook_request("patient-view", patient_id, None)).status_code == 412


def _report(app, card_uuid: str):
    from screener.audit import report_of
    from screener.web.storage import get_store

    with app.app_context():
        return report_of(get_store().screening(uuid.UUID(card_uuid).hex))


@pytest.mark.parametrize("empty", [
    None,
    {"resourceType": "OperationOutcome", "issue": [{"severity": "error", "code": "exception"}]},
    # the first page of a search whose other pages were not sent
    {"resourceType": "Bundle", "type": "searchset", "entry": [],
     "link": [{"relation": "next", "url": "https://fhir.example.org/r4/Observation?page=2"}]},
], ids=["null", "OperationOutcome", "one page of several"])
def test_null_or_an_operation_outcome_leaves_the_facts_unknown(app, ehr, empty):
    """The medications and the labs withheld: their criteria are unknown, never passed or failed."""
    patient_id, prefetch = _demo("eligible.json")
    with freeze_time(AS_OF):
        full = _call(ehr, hook_request("patient-view", patient_id, prefetch)).get_json()["cards"][0]
        prefetch.update(observations=empty, medicationStatements=empty)
        partial = _call(ehr, hook_request("patient-view", patient_id, prefetch)).get_json()["cards"][0]
    before, after = _report(app, full["uuid"]), _report(app, partial["uuid"])
    changed = [(b, a) for b, a in zip(before.criteria, after.criteria, strict=True) if b.status != a.status]
    assert changed, "withholding labs and medications changed nothing"
    assert all(a.status == "unknown" for _, a in changed)
    labs_or_drugs = [a for a in after.criteria
                     if any(e.fact.startswith(("lab.", "history.medications", "medications")) for e in a.evidence)]
    assert labs_or_drugs and all(a.status == "unknown" for a in labs_or_drugs)
    assert after.verdict == "incomplete"


def test_no_card_for_a_child_who_is_not_a_candidate(ehr):
    patient_id, prefetch = _demo("glioma-recurrent.json")
    with freeze_time(AS_OF):
        response = _call(ehr, hook_request("patient-view", patient_id, prefetch))
    assert response.status_code == 200 and response.get_json() == {"cards": []}


def _hs256(secret: bytes, claims: dict) -> str:
    import base64
    import hashlib
    import hmac

    def part(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    head = part(json.dumps({"alg": "HS256", "typ": "JWT", "kid": KEY_384["kid"]}).encode())
    body = part(json.dumps({**claims, "jti": str(uuid.uuid4())}).encode())
    signature = hmac.new(secret, f"{head}.{body}".encode(), hashlib.sha256).digest()
    return f"{head}.{body}.{part(signature)}"


def _refused(response) -> None:
    assert response.status_code == 401 and response.data == b""


@pytest.mark.parametrize("case", ["no header", "wrong aud", "alg none", "HS256", "expired", "unknown iss",
                                  "no iat", "no jti", "ES256 not registered for this EHR", "other key",
                                  "lives over an hour", "no typ"])
def test_untrusted_tokens_get_a_bare_401(ehr, case):
    patient_id, prefetch = _demo("eligible.json")
    body = json.dumps(hook_request("patient-view", patient_id, prefetch))
    url = BASE + SERVICE
    if case == "no header":
        headers = {}
    elif case == "wrong aud":
        headers = {"Authorization": f"Bearer {token(KEY_384, ISS, BASE + '/cds-services/trial-order-check')}"}
    elif case == "alg none":
        raw = jwt.encode({"iss": ISS, "aud": url, "exp": 2**40, "iat": 1, "jti": "x"}, None, algorithm="none",
                         headers={"kid": KEY_384["kid"], "typ": "JWT"})
        headers = {"Authorization": f"Bearer {raw}"}
    elif case == "HS256":
        # The classic confusion: the public key's text used as an HMAC secret (signed by hand: PyJWT refuses to).
        secret = json.dumps({k: v for k, v in KEY_384.items() if k != "d"}).encode()
        headers = {"Authorization": f"Bearer {_hs256(secret, {'iss': ISS, 'aud': url, 'exp': 2**40, 'iat': 1})}"}
    elif case == "expired":
        headers = {"Authorization": f"Bearer {token(KEY_384, ISS, url, lifetime=-60)}"}
    elif case == "lives over an hour":  # its jti would have to be kept that long: best practice is an hour at most
        headers = {"Authorization": f"Bearer {token(KEY_384, ISS, url, lifetime=2 * 3600)}"}
    elif case == "no typ":
        import time

        raw = jwt.encode({"iss": ISS, "aud": url, "exp": int(time.time()) + 60, "iat": int(time.time()), "jti": "t"},
                         jwt.PyJWK.from_dict(KEY_384).key, algorithm="ES384",
                         headers={"kid": KEY_384["kid"], "typ": None})  # None: PyJWT leaves typ out
        headers = {"Authorization": f"Bearer {raw}"}
    elif case == "unknown iss":
        headers = {"Authorization": f"Bearer {token(KEY_384, 'https://evil.example', url)}"}
    elif case == "no iat":
        raw = jwt.encode({"iss": ISS, "aud": url, "exp": 2**40, "jti": "z"}, jwt.PyJWK.from_dict(KEY_384).key,
                         algorithm="ES384", headers={"kid": KEY_384["kid"], "typ": "JWT"})
        headers = {"Authorization": f"Bearer {raw}"}
    elif case == "no jti":
        import time

        raw = jwt.encode({"iss": ISS, "aud": url, "exp": int(time.time()) + 60, "iat": int(time.time())},
                         jwt.PyJWK.from_dict(KEY_384).key, algorithm="ES384",
                         headers={"kid": KEY_384["kid"], "typ": "JWT"})
        headers = {"Authorization": f"Bearer {raw}"}
    elif case == "ES256 not registered for this EHR":
        headers = {"Authorization": f"Bearer {token({**KEY_256, 'kid': KEY_384['kid']}, ISS, url, alg='ES256')}"}
    else:  # signed by the sandbox's key under this EHR's name and key id
        from cryptography.hazmat.primitives.asymmetric import ec

        stranger = private_jwk(ec.SECP384R1(), KEY_384["kid"])
        headers = {"Authorization": f"Bearer {token(stranger, ISS, url)}"}
    _refused(ehr.post(SERVICE, data=body, content_type="application/json", headers=headers))


def test_a_replayed_token_is_refused(ehr):
    patient_id, prefetch = _demo("eligible.json")
    body = json.dumps(hook_request("patient-view", patient_id, prefetch))
    headers = bearer(SERVICE)
    with freeze_time(AS_OF, tick=True):
        headers = bearer(SERVICE)
        assert ehr.post(SERVICE, data=body, content_type="application/json", headers=headers).status_code == 200
        _refused(ehr.post(SERVICE, data=body, content_type="application/json", headers=headers))


def test_the_sandbox_signs_es256_and_is_trusted_when_registered_so(ehr):
    with freeze_time(AS_OF, tick=True):
        raw = token(KEY_256, SANDBOX_ISS, BASE + "/cds-services", alg="ES256")
        response = ehr.get("/cds-services", headers={"Authorization": f"Bearer {raw}"})
    assert response.status_code == 200


def test_cors_preflight_for_the_sandbox_origin(ehr):
    response = ehr.options(SERVICE, headers={"Origin": "https://sandbox.cds-hooks.org",
                                             "Access-Control-Request-Method": "POST",
                                             "Access-Control-Request-Headers": "authorization,content-type"})
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == "https://sandbox.cds-hooks.org"
    other = ehr.options(SERVICE, headers={"Origin": "https://elsewhere.example",
                                          "Access-Control-Request-Method": "POST"})
    assert "Access-Control-Allow-Origin" not in other.headers


def test_feedback_is_recorded_in_the_chain_and_verifies(app, ehr, monkeypatch):
    patient_id, prefetch = _demo("eligible.json")
    with freeze_time(AS_OF, tick=True):
        card = _call(ehr, hook_request("patient-view", patient_id, prefetch)).get_json()["cards"][0]
        path = SERVICE + "/feedback"
        sent = {"feedback": [{"card": card["uuid"], "outcome": "overridden", "outcomeTimestamp": "2026-11-22T10:00:00Z",
                              "overrideReason": {"reason": {"system": "http://example.org/reasons", "code": "not-now",
                                                            "display": "Not now"},
                                                 "userComment": "Mother prefers to wait (Jane Doe)"}}]}
        response = ehr.post(path, data=json.dumps(sent), content_type="application/json", headers=bearer(path))
    assert response.status_code == 200
    from screener.web.storage import get_store

    with app.app_context():
        store = get_store()
        event = [e for e in store.events() if e.action == "cds.feedback"][-1]
        assert event.subject == card["uuid"]
        assert "not-now" in event.details_json and "Jane" not in event.details_json
    from click.testing import CliRunner

    from screener import audit
    from screener.cli import main

    monkeypatch.setattr(audit.config, "DATABASE_URL", app.config["DATABASE_URL"])  # the CLI on the app's store
    verify = CliRunner().invoke(main, ["audit", "verify"])
    assert verify.exit_code == 0 and verify.stdout.startswith("OK:"), verify.output
    assert " 1 screenings" in verify.stdout, verify.stdout  # the app's store: one CDS screening, no other


def test_the_access_token_is_never_logged(ehr, caplog):
    patient_id, prefetch = _demo("eligible.json")
    secret = "s3cr3t-access-token-value"
    body = hook_request("patient-view", patient_id, prefetch, fhirServer="https://fhir.example.org/r4",
                        fhirAuthorization={"access_token": secret, "token_type": "Bearer", "expires_in": 300,
                                           "scope": "patient/*.read", "subject": "screener"})
    with caplog.at_level("DEBUG"), freeze_time(AS_OF, tick=True):
        assert _call(ehr, body).status_code == 200
    assert secret not in caplog.text and patient_id not in caplog.text


def test_the_registry_is_read_from_a_file_and_refuses_symmetric_algorithms(tmp_path):
    from pydantic import ValidationError

    path = tmp_path / "ehrs.json"
    path.write_text(json.dumps(registry()))
    app = make_app(tmp_path, CDS_EHRS=str(path), CDS_CORS_ORIGINS="https://a.example, https://b.example")
    with freeze_time(AS_OF, tick=True):
        assert app.test_client().get("/cds-services", headers=bearer("/cds-services")).status_code == 200
    preflight = app.test_client().options("/cds-services", headers={"Origin": "https://b.example",
                                                                    "Access-Control-Request-Method": "GET"})
    assert preflight.headers["Access-Control-Allow-Origin"] == "https://b.example"
    for algorithms in (["HS256"], ["none"], []):
        with pytest.raises(ValidationError):
            make_app(tmp_path / algorithms[0] if algorithms else tmp_path / "empty",
                     CDS_EHRS=registry(algorithms=algorithms))


def test_a_prefetch_of_another_patient_is_refused_naming_the_field(ehr):
    patient_id, prefetch = _demo("eligible.json")
    with freeze_time(AS_OF, tick=True):
        response = _call(ehr, hook_request("patient-view", "someone-else", prefetch))
    assert response.status_code == 422
    assert [e["field"] for e in response.get_json()["errors"]] == ["prefetch.patient.id"]
    assert patient_id not in response.get_data(as_text=True)


def test_a_chart_opened_again_is_the_same_child_in_the_screening_log(app, ehr):
    """The EHR's patient id is never stored; a keyed hash of it links the patient to the screening number of their
    first screening, so a second patient-view call screens the same child again instead of adding a child."""
    patient_id, prefetch = _demo("eligible.json")
    other_id, other = _demo("incomplete.json")
    with freeze_time(AS_OF):
        first = _call(ehr, hook_request("patient-view", patient_id, prefetch))
        again = _call(ehr, hook_request("patient-view", patient_id, prefetch))
        someone_else = _call(ehr, hook_request("patient-view", other_id, other))
    assert first.status_code == again.status_code == someone_else.status_code == 200
    from screener.web.storage import get_store

    with app.app_context():
        rows = get_store().screenings(limit=100)
        per_child: dict[str, int] = {}
        for row in rows:
            per_child[row.screening_number] = per_child.get(row.screening_number, 0) + 1
        trials = len({row.trial_id for row in rows})
        # The frozen clock gives every row one time, so the children are told apart by their counts: the chart
        # opened twice has two screenings per trial, the other patient one.
        assert sorted(per_child.values()) == [trials, 2 * trials], per_child
        from sqlalchemy import text

        with get_store().engine.connect() as connection:
            stored = " ".join(str(v) for row in connection.execute(text("SELECT * FROM ehr_patients")) for v in row)
        assert patient_id not in stored and other_id not in stored
