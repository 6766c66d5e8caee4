"""Reviewed rule sets read over HTTP as FHIR (web/fhir_publish.py): read semantics, the searchset Bundle a FHIR
client asks for, OperationOutcome for what is not there, and nothing arbitrary echoed."""
import json

import pytest
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.group import Group
from fhir.resources.R4B.operationoutcome import OperationOutcome
from fhir.resources.R4B.researchstudy import ResearchStudy

from screener.authoring.fhir_publish import eligibility_group, research_study
from screener.rules import load_rule_sets

from .helpers import REPO, authorised, make_app

FHIR_JSON = "application/fhir+json; charset=utf-8"


@pytest.fixture(scope="module")
def fhir_client(tmp_path_factory):
    return authorised(make_app(tmp_path_factory.mktemp("fhir")), "auditor")


def _outcome(response, status: int) -> str:
    assert response.status_code == status and response.content_type == FHIR_JSON
    outcome = OperationOutcome.model_validate(response.get_json())
    return outcome.issue[0].diagnostics


def test_read_study_and_group_are_the_published_resources(fhir_client):
    for trial_id, rule_set in load_rule_sets().items():
        study = fhir_client.get(f"/fhir/ResearchStudy/{trial_id}")
        assert study.status_code == 200 and study.content_type == FHIR_JSON
        assert study.get_json() == research_study(rule_set)
        ResearchStudy.model_validate(study.get_json())
        reference = study.get_json()["enrollment"][0]["reference"]
        group = fhir_client.get(f"/fhir/{reference}")
        assert group.status_code == 200 and group.get_json() == eligibility_group(rule_set)
        Group.model_validate(group.get_json())


def test_search_with_include_is_a_searchset_bundle(fhir_client):
    response = fhir_client.get("/fhir/ResearchStudy?_id=NCT06674265&_include=ResearchStudy:enrollment")
    assert response.status_code == 200 and response.content_type == FHIR_JSON
    bundle = response.get_json()
    Bundle.model_validate(bundle)
    assert bundle["type"] == "searchset" and bundle["total"] == 1
    assert [(e["resource"]["resourceType"], e["search"]["mode"]) for e in bundle["entry"]] == [
        ("ResearchStudy", "match"), ("Group", "include")]
    study, group = (e["resource"] for e in bundle["entry"])
    # The enrollment reference resolves inside the Bundle against the study's fullUrl base.
    base = bundle["entry"][0]["fullUrl"].rsplit("/ResearchStudy/", 1)[0]
    assert bundle["entry"][1]["fullUrl"] == f"{base}/{study['enrollment'][0]['reference']}"
    assert base == "http://localhost/fhir"
    assert bundle["link"][0]["url"] == f"{base}/ResearchStudy?_id=NCT06674265&_include=ResearchStudy:enrollment"
    plain = fhir_client.get("/fhir/ResearchStudy?_id=NCT06674265").get_json()
    assert [e["search"]["mode"] for e in plain["entry"]] == ["match"]
    every = fhir_client.get("/fhir/ResearchStudy").get_json()
    assert every["total"] == len(load_rule_sets())
    none = fhir_client.get("/fhir/ResearchStudy?_id=NCT00000000,<script>").get_json()
    assert none["total"] == 0 and none["entry"] == [] and "script" not in json.dumps(none)


def test_unknown_ids_are_404_outcomes_naming_only_what_looks_like_an_id(fhir_client):
    assert _outcome(fhir_client.get("/fhir/ResearchStudy/NCT00000000"), 404) == "no ResearchStudy/NCT00000000"
    assert _outcome(fhir_client.get("/fhir/Group/NCT00000000-eligibility"), 404) == \
        "no Group/NCT00000000-eligibility"
    hostile = "%3Cscript%3Ealert(1)%3C%2Fscript%3E"
    for path in (f"/fhir/ResearchStudy/{hostile}", f"/fhir/Group/{hostile}", f"/fhir/Group/{hostile}-eligibility",
                 "/fhir/Group/NCT06674265", "/fhir/ResearchStudy/" + "A" * 300):
        response = fhir_client.get(path)
        diagnostics = _outcome(response, 404)
        assert diagnostics in ("no ResearchStudy with that id", "no Group with that id"), path
        assert "script" not in response.get_data(as_text=True)


def test_unsupported_search_is_a_400_outcome_without_echo(fhir_client):
    assert "_id and _include" in _outcome(fhir_client.get("/fhir/ResearchStudy?title=%3Cb%3E"), 400)
    response = fhir_client.get("/fhir/ResearchStudy?_include=Group:%3Cb%3E")
    assert "ResearchStudy:enrollment only" in _outcome(response, 400) and "<b>" not in response.get_data(as_text=True)
    ids = ",".join(f"NCT{n:08d}" for n in range(51))
    assert "at most 50" in _outcome(fhir_client.get(f"/fhir/ResearchStudy?_id={ids}"), 400)


def test_a_draft_is_not_published(tmp_path, monkeypatch):
    from screener import config

    source = (REPO / "criteria" / "NCT06674265.yaml").read_text(encoding="utf-8")
    (tmp_path / "NCT06674265.yaml").write_text(source.replace("\nstatus: reviewed\n", "\nstatus: draft\n"))
    # A folder of its own (the loader caches by folder); an instance that may screen under drafts, as only such an
    # instance starts with a draft in its folder: even there a draft is not published.
    monkeypatch.setattr(config, "SCREENER_CRITERIA_DIR", tmp_path)
    client = authorised(make_app(tmp_path / "instance", ALLOW_DRAFT_RULES=True), "screener")
    assert "is a draft rule set" in _outcome(client.get("/fhir/ResearchStudy/NCT06674265"), 404)
    assert "is a draft rule set" in _outcome(client.get("/fhir/Group/NCT06674265-eligibility"), 404)
    assert client.get("/fhir/ResearchStudy?_id=NCT06674265").get_json()["total"] == 0


def test_without_credentials_a_fhir_client_gets_401_json(tmp_path):
    response = make_app(tmp_path).test_client().get("/fhir/ResearchStudy/NCT06674265",
                                                    headers={"Accept": "application/fhir+json"})
    assert response.status_code == 401 and response.is_json and "WWW-Authenticate" in response.headers


def test_the_routes_are_in_the_openapi_document(fhir_client):
    paths = fhir_client.get("/api/v1/openapi.json").get_json()["paths"]
    assert {"/fhir/ResearchStudy/{trial_id}", "/fhir/Group/{group}", "/fhir/ResearchStudy"} <= set(paths)
    assert "application/fhir+json" in paths["/fhir/ResearchStudy"]["get"]["responses"]["200"]["content"]
