"""A prefetch key the EHR did not send is fetched from its FHIR server with the bearer token it lent (a FHIR server
on loopback stands in for the EHR's), only from a server registered for that EHR, following search pages."""
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest
from freezegun import freeze_time

from screener.cds_hooks.example import hook_request, prefetch_from_bundle

from .cds_ehr import bearer, registry
from .helpers import REPO, make_app

SERVICE = "/cds-services/trial-candidates"
TOKEN = "lent-access-token"


class _Fhir(BaseHTTPRequestHandler):
    resources: dict = {}
    seen: list = []

    def log_message(self, *args):  # quiet
        pass

    def do_GET(self):  # noqa: N802 (http.server's name)
        self.seen.append((self.path, self.headers.get("Authorization")))
        if self.headers.get("Authorization") != f"Bearer {TOKEN}":
            self.send_response(401)
            self.end_headers()
            return
        url = urlsplit(self.path)
        kind = url.path.rsplit("/", 2)[-2] if url.path.count("/") > 2 else url.path.rsplit("/", 1)[-1]
        if kind == "Patient":
            body = self.resources["patient"]
        else:
            key = {"Condition": "conditions", "Observation": "observations", "Procedure": "procedures",
                   "MedicationRequest": "medicationRequests", "MedicationStatement": "medicationStatements",
                   "MedicationAdministration": "medicationAdministrations"}[url.path.rsplit("/", 1)[-1]]
            whole = self.resources[key]
            page = int(parse_qs(url.query).get("page", ["0"])[0])
            entries = whole["entry"][page * 2:(page + 1) * 2]  # two a page: every search of many takes pages
            body = {**whole, "entry": entries}
            if (page + 1) * 2 < len(whole["entry"]):
                base = f"http://127.0.0.1:{self.server.server_port}{url.path}"
                body["link"] = [{"relation": "next", "url": f"{base}?page={page + 1}"}]
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/fhir+json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


@pytest.fixture
def fhir_server():
    patient_id, prefetch = prefetch_from_bundle(json.loads((REPO / "seeds" / "fhir" / "eligible.json").read_text()))
    _Fhir.resources, _Fhir.seen = prefetch, []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Fhir)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/fhir", patient_id, prefetch
    server.shutdown()
    server.server_close()


def _lent(base: str) -> dict:
    return {"fhirServer": base, "fhirAuthorization": {"access_token": TOKEN, "token_type": "Bearer",
                                                      "expires_in": 300, "scope": "patient/*.read",
                                                      "subject": "screener"}}


def _call(app, body):
    with freeze_time("2026-11-22", tick=True):
        return app.test_client().post(SERVICE, data=json.dumps(body), content_type="application/json",
                                      headers=bearer(SERVICE))


def test_keys_not_sent_are_fetched_with_the_lent_token(tmp_path, fhir_server):
    base, patient_id, prefetch = fhir_server
    app = make_app(tmp_path, CDS_EHRS=registry(fhir_servers=[base]))
    sent = _call(app, hook_request("patient-view", patient_id, prefetch))
    fetched = _call(app, hook_request("patient-view", patient_id, None, **_lent(base)))
    assert fetched.status_code == 200
    assert [c["summary"] for c in fetched.get_json()["cards"]] == [c["summary"] for c in sent.get_json()["cards"]]
    assert any("page=1" in path for path, _ in _Fhir.seen)  # a search of several pages was read whole
    assert {auth for _, auth in _Fhir.seen} == {f"Bearer {TOKEN}"}


def test_a_server_not_registered_for_the_ehr_is_never_called(tmp_path, fhir_server):
    base, patient_id, _ = fhir_server
    app = make_app(tmp_path, CDS_EHRS=registry())
    assert _call(app, hook_request("patient-view", patient_id, None, **_lent(base))).status_code == 412
    assert _Fhir.seen == []


def test_a_prefetch_sent_as_one_page_of_several_is_fetched_whole(tmp_path, fhir_server):
    base, patient_id, prefetch = fhir_server
    app = make_app(tmp_path, CDS_EHRS=registry(fhir_servers=[base]))
    whole = _call(app, hook_request("patient-view", patient_id, prefetch)).get_json()["cards"]
    first_page = {**prefetch["observations"], "entry": prefetch["observations"]["entry"][:1],
                  "link": [{"relation": "next", "url": f"{base}/Observation?page=1"}]}
    paged = _call(app, hook_request("patient-view", patient_id, {**prefetch, "observations": first_page},
                                    **_lent(base))).get_json()["cards"]
    assert [c["summary"] for c in paged] == [c["summary"] for c in whole]
    assert [path for path, _ in _Fhir.seen if "Observation" in path][0].startswith("/fhir/Observation?patient=")
