"""The coordinator's form, through the test client: fields per trial, validation round trip, CSRF, results."""
import re

import pytest

from .conftest import authorised, make_app

BASE = {"as_of": "2026-11-22", "demographics.birth_date": "2018-03-14", "demographics.sex": "female"}


@pytest.fixture
def form_client(tmp_path):
    return authorised(make_app(tmp_path, WTF_CSRF_ENABLED=False), "screener")


def _post(client, trial="NCT06674265", **fields):
    return client.post("/screen", data={"trial": trial, **BASE, **fields})


def test_form_shows_only_the_fields_the_trial_needs(form_client):
    nct = form_client.get("/screen?trial=NCT06674265").get_data(as_text=True)
    aml = form_client.get("/screen?trial=AML-NK-BMC2023").get_data(as_text=True)
    assert 'name="lab.platelets.value"' in nct and 'name="history.medications.0.name"' in nct
    assert 'name="attestations.guardian_consent_signed"' in nct
    assert 'name="lab.platelets.value"' not in aml and 'name="diagnosis.disease_status"' in aml
    sections = re.findall(r"<legend>([^<]+)</legend>", nct)
    assert sections == ["Patient", "Diagnosis and disease status", "Prior therapy and transplants", "Laboratory values",
                        "Organ function", "Medications", "Investigator attestations"]


def test_every_input_has_a_label(form_client):
    page = form_client.get("/screen?trial=all").get_data(as_text=True)
    ids = re.findall(r'<(?:input|select)[^>]*id="([^"]+)"', page)
    labelled = set(re.findall(r'<label for="([^"]+)"', page)) | set(
        re.findall(r'<(?:input|select)[^>]*id="([^"]+)"[^>]*aria-label=', page))
    assert ids and not [i for i in ids if i not in labelled and not i.startswith("t-")]


def test_validation_error_round_trip_keeps_what_was_entered(form_client):
    response = _post(form_client, **{"lab.platelets.value": "-5", "lab.platelets.unit": "/uL", "lab.platelets.date": "2026-11-20",
                                     "lab.hemoglobin.value": "ten", "diagnosis.risk_group": "high"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="f-lab-platelets-value-error">Impossible value for Platelet count: must lie between 0 and 5,000,000 /uL.' in page
    assert 'id="f-lab-hemoglobin-value-error">Enter a number.' in page
    assert 'value="-5"' in page and 'value="ten"' in page and '<option value="high" selected>' in page
    assert 'href="#f-lab-platelets-value"' in page  # the error summary links to the field


def test_history_rows_need_the_list_marked_complete(form_client):
    response = _post(form_client, **{"history.transfusions.0.product": "platelets", "history.transfusions.0.date": "2026-11-20"})
    assert response.status_code == 422
    assert "mark the list as complete" in response.get_data(as_text=True)


def test_end_before_start_lands_next_to_the_row(form_client):
    response = _post(form_client, **{"history.medications.status": "complete", "history.medications.1.name": "prednisone",
                                     "history.medications.1.route": "oral", "history.medications.1.start": "2026-11-10",
                                     "history.medications.1.end": "2026-11-01"})
    assert 'id="f-history-medications-1-end-error">End is before start.' in response.get_data(as_text=True)


def test_add_row_without_javascript(form_client):
    page = form_client.post("/screen", data={"trial": "NCT06674265", "action": "add:medications", "rows.medications": "4"}).get_data(as_text=True)
    assert 'name="history.medications.4.name"' in page and 'name="rows.medications" value="5"' in page


def test_submit_records_and_shows_the_result(form_client):
    response = _post(form_client, **{"lab.platelets.value": "45", "lab.platelets.unit": "10*3/uL", "lab.platelets.date": "2026-11-20"})
    assert response.status_code == 303
    page = form_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "<strong>INELIGIBLE</strong>" in page and "Platelet count ≤ 50,000 /uL? yes" in page
    assert "To settle this, record" in page  # only platelets were entered: the rest is open
    record = form_client.get(response.headers["Location"] + "/record.json").get_json()
    assert record["observations"][0]["value"] == 45.0 and record["demographics"]["birth_date"] == "2018-03-14"


def test_all_trials_summary(form_client):
    response = _post(form_client, trial="all", **{"diagnosis.primary": "high_grade_glioma", "diagnosis.disease_status": "relapsed"})
    page = form_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "All trials, best prospects first" in page
    assert page.index('href="#r-IRCT20170122032121N6"') < page.index('href="#r-NCT06674265"')


def test_csrf_rejects_a_post_without_the_token(tmp_path):
    client = authorised(make_app(tmp_path), "screener")
    response = client.post("/screen", data={"trial": "NCT06674265", **BASE})
    assert response.status_code == 400 and b"CSRF" in response.data
    page = client.get("/screen?trial=NCT06674265").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)[1]
    assert client.post("/screen", data={"trial": "NCT06674265", "csrf_token": token, **BASE}).status_code == 303


def test_unknown_result_is_404(form_client):
    assert form_client.get("/results/" + "0" * 32).status_code == 404
    assert form_client.get("/results/not-an-id").status_code == 404


def test_medication_names_are_offered_without_javascript(form_client):
    page = form_client.get("/screen?trial=NCT06674265").get_data(as_text=True)
    assert 'name="history.medications.0.name" type="text" list="medication-names"' in page
    datalist = re.search(r'<datalist id="medication-names">(.*?)</datalist>', page, re.S)[1]
    for name in ("decadron", "dexamethasone", "tegretol", "cerebyx", "kaletra", "hypericum perforatum"):
        assert f'<option value="{name}">' in datalist
    aml = form_client.get("/screen?trial=AML-NK-BMC2023").get_data(as_text=True)
    assert "<datalist" not in aml  # no medication field there, nothing to offer


@pytest.mark.parametrize("name,shown", [
    ("Decadron", "Decadron → dexamethasone, systemic corticosteroid, 6.67 × prednisone"),
    ("dexamethasone sodium phosphate", "dexamethasone sodium phosphate → dexamethasone"),
    ("St Johns wort", "St Johns wort → st. john&#39;s wort, strong CYP3A4 inducer"),
    ("Kaletra", "Kaletra → lopinavir, strong CYP3A4 inhibitor; ritonavir, strong CYP3A4 inhibitor"),
    ("Cerebyx", "Cerebyx → fosphenytoin (prodrug of phenytoin), strong CYP3A4 inducer"),
    ("Zofran", "Zofran → ondansetron, not a corticosteroid"),
    ("Zorbexal", "record the generic name of Zorbexal"),
])
def test_result_shows_what_each_medication_was_recognised_as(form_client, name, shown):
    response = _post(form_client, **{"history.medications.status": "complete", "history.medications.0.name": name,
                                     "history.medications.0.route": "oral", "history.medications.0.dose": "0.2",
                                     "history.medications.0.dose_unit": "mg/kg/day", "history.medications.0.start": "2026-11-20"})
    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    page = form_client.get(response.headers["Location"]).get_data(as_text=True)
    assert shown in page
