"""Issue 22, siblings: a record that contradicts a sibling trial's population is never a candidate for it.

IRCT20170122032121N7 enrols newly diagnosed grade 3-4 gliomas of WHO CNS5 types (tissue diagnoses);
AML-HAPLO-NK-CRTM2025 is about haploidentical HSCT. Checked on the CLI, the API and the form.
"""
import json
from datetime import date

import pytest
from click.testing import CliRunner

from screener.candidates import is_candidate
from screener.cli import main
from screener.screening import parse_record, screen, screen_all

from .helpers import PATIENTS, authorised, make_app

AS_OF = date(2026, 11, 22)
N7, HAPLO = "IRCT20170122032121N7", "AML-HAPLO-NK-CRTM2025"


def _patient(name: str) -> dict:
    return json.loads((PATIENTS / name).read_text())


def _screen(record: dict, trial: str):
    return screen(parse_record(json.dumps(record)), trial, AS_OF)


def _status(report, cid: str) -> str:
    return next(c.status for c in report.criteria if c.id == cid)


def _cli(tmp_path, record: dict, *args):
    path = tmp_path / "record.json"
    path.write_text(json.dumps(record))
    result = CliRunner().invoke(main, ["screen", str(path), "--as-of", "2026-11-22", "--format", "json", *args])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout[result.stdout.index("{"):])  # after the "Recorded as screening" line


def _relapsed_adult_glioma() -> dict:
    record = _patient("glioma-adult-complete.json")  # complete, every threshold met
    record["diagnosis"]["disease_status"] = "relapsed"
    return record


def _after_matched_unrelated_hsct() -> dict:
    record = _patient("aml-haplo-day5.json")
    record["history"]["transplants"] = [{"type": "allogeneic", "date": "2026-11-17"}]
    return record


# --- IRCT20170122032121N7: newly diagnosed, on tissue ----------------------------------------------------------
@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("newly_diagnosed", "pass"),
        ("relapsed", "fail"),
        ("progressive", "fail"),
        ("refractory", "unknown"),
        ("stable", "unknown"),
        ("remission", "unknown"),
        (None, "unknown"),
    ],
)
def test_n7_population_is_the_newly_diagnosed(status, expected):
    record = _patient("glioma-adult-complete.json")
    record["diagnosis"]["disease_status"] = status
    report = _screen(record, N7)
    assert _status(report, "N7-NEW") == expected
    assert (report.verdict == "no_known_exclusion") == (expected == "pass")
    assert is_candidate(report) == (expected != "fail")


def test_the_demo_relapsed_glioma_is_not_a_candidate_for_n7(client):
    for record in (_patient("glioma-recurrent.json"), _relapsed_adult_glioma()):
        report = _screen(record, N7)
        assert report.verdict == "ineligible" and not is_candidate(report)
        assert _status(report, "N7-NEW") == "fail" and "Not newly diagnosed" in next(
            c.reason for c in report.criteria if c.id == "N7-NEW"
        )
        reports = client.post("/api/v1/screen?as_of=2026-11-22", data=json.dumps(record),
                              content_type="application/json").json["reports"]
        assert next(r for r in reports if r["trial_id"] == N7)["verdict"] == "ineligible"


def test_relapsed_glioma_is_ineligible_for_n7_on_the_cli(tmp_path):
    body = _cli(tmp_path, _relapsed_adult_glioma(), "--trial", N7)
    assert body["verdict"] == "ineligible"
    assert [c["id"] for c in body["criteria"] if c["status"] == "fail"] == ["N7-NEW"]


@pytest.mark.parametrize(("confirmed", "expected"), [(True, "pass"), (False, "unknown"), (None, "unknown")])
def test_n7_diagnosis_needs_tissue_and_is_never_failed_for_lack_of_it(confirmed, expected):
    record = _patient("glioma-adult-complete.json")
    record["demographics"]["birth_date"] = "2019-04-10"  # a child with a diffuse midline glioma
    record["diagnosis"]["pathology_confirmed"] = confirmed
    report = _screen(record, N7)
    assert _status(report, "N7-DIAG") == expected
    assert report.verdict == ("no_known_exclusion" if expected == "pass" else "incomplete")
    assert is_candidate(report)  # the disease is present: worth a coordinator's look, never excluded for it


def test_imaging_only_diagnosis_reason_says_what_to_record():
    record = _patient("glioma-adult-complete.json")
    record["diagnosis"]["pathology_confirmed"] = False
    criterion = next(c for c in _screen(record, N7).criteria if c.id == "N7-DIAG")
    assert "not confirmed by pathology" in criterion.reason
    assert any("pathology result" in item for item in criterion.to_settle)


def test_a_fhir_recurrence_fails_n7_and_an_active_condition_leaves_it_open():
    from screener.fhir import bundle_from_record, record_from_bundle

    for native, expected in ((_relapsed_adult_glioma(), "fail"), (_patient("glioma-adult-complete.json"), "unknown")):
        bundle = bundle_from_record(parse_record(json.dumps(native)), AS_OF)
        record, _ = record_from_bundle(json.dumps(bundle), AS_OF)
        assert _status(screen(record, N7, AS_OF), "N7-NEW") == expected


# --- AML-HAPLO-NK-CRTM2025: the transplant is haploidentical ---------------------------------------------------
@pytest.mark.parametrize(
    ("transplants", "expected"),
    [
        ([{"type": "haploidentical", "date": "2026-11-17"}], "pass"),
        ([], "pass"),  # before the transplant
        ([{"type": "allogeneic", "date": "2026-11-17"}], "fail"),
        ([{"type": "autologous", "date": "2026-11-17"}], "fail"),
        ([{"type": "allogeneic", "date": "2023-02-01"}, {"type": "haploidentical", "date": "2026-11-17"}], "pass"),
        ([{"type": "haploidentical", "date": "2025-02-01"}, {"type": "allogeneic", "date": "2026-11-22"}], "fail"),
        ([{"type": "haploidentical", "date": "2026-11-17"}, {"type": "autologous", "date": "2026-11-17"}], "unknown"),
        (None, "unknown"),
    ],
)
def test_haplo_needs_the_latest_transplant_to_be_haploidentical(transplants, expected):
    record = _patient("aml-haplo-day5.json")
    record["history"]["transplants"] = transplants
    report = _screen(record, HAPLO)
    assert _status(report, "HAPLO-HSCT") == expected
    assert is_candidate(report) == (expected != "fail")


def test_after_a_matched_unrelated_transplant_is_not_a_haplo_candidate_on_any_channel(client, tmp_path):
    record = _after_matched_unrelated_hsct()
    reports = screen_all(parse_record(json.dumps(record)), AS_OF)
    assert not is_candidate(next(r for r in reports if r.trial_id == HAPLO))
    body = client.post(f"/api/v1/trials/{HAPLO}/screen?as_of=2026-11-22", data=json.dumps(record),
                       content_type="application/json").json
    assert body["report"]["verdict"] == "ineligible"
    cli = _cli(tmp_path, record, "--trial", HAPLO)
    assert cli["verdict"] == "ineligible" and [c["id"] for c in cli["criteria"] if c["status"] == "fail"] == [
        "HAPLO-HSCT"
    ]


# --- the form ------------------------------------------------------------------------------------------------------
@pytest.fixture
def form_client(tmp_path):
    return authorised(make_app(tmp_path, WTF_CSRF_ENABLED=False), "screener")


def test_the_form_asks_what_the_populations_need_and_screens_them(form_client):
    n7 = form_client.get(f"/screen?trial={N7}").get_data(as_text=True)
    assert 'name="diagnosis.disease_status"' in n7 and 'name="diagnosis.pathology_confirmed"' in n7
    haplo = form_client.get(f"/screen?trial={HAPLO}").get_data(as_text=True)
    assert 'name="history.transplants.0.type"' in haplo

    base = {"as_of": "2026-11-22", "demographics.sex": "female"}
    response = form_client.post("/screen", data={
        "trial": N7, **base, "demographics.birth_date": "1990-06-15", "diagnosis.primary": "high_grade_glioma",
        "diagnosis.pathology_confirmed": "yes", "diagnosis.disease_status": "relapsed",
    })
    page = form_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "<strong>INELIGIBLE</strong>" in page and "Not newly diagnosed" in page

    response = form_client.post("/screen", data={
        "trial": HAPLO, **base, "demographics.birth_date": "2015-08-03", "diagnosis.primary": "aml",
        "diagnosis.risk_group": "high", "history.transplants.status": "complete",
        "history.transplants.0.type": "allogeneic", "history.transplants.0.date": "2026-11-17",
    })
    page = form_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "<strong>INELIGIBLE</strong>" in page and "Most recent stem-cell transplant: allogeneic" in page
