"""The coordinator's form, through the test client: fields per trial, validation round trip, CSRF, results."""
import re

import pytest
from freezegun import freeze_time

from .helpers import authorised, make_app, trial_ids

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
    sections = re.findall(r'<fieldset class="section"><legend>([^<]+)</legend>', nct)
    assert sections == [
        "Patient",
        "Diagnosis and disease status",
        "Imaging",
        "Prior therapy and transplants",
        "Transfusions",
        "Laboratory values",
        "Organ function",
        "Medications",
        "Findings",
        "Investigator attestations",
    ]


def test_sex_starts_empty_and_is_required(form_client):
    page = form_client.get("/screen?trial=NCT06674265").get_data(as_text=True)
    sex = re.search(r'<select id="f-demographics-sex".*?</select>', page, re.S)[0]
    assert re.findall(r'<option value="([^"]*)" selected', sex) == [""]
    response = form_client.post(
        "/screen", data={"trial": "NCT06674265", "as_of": "2026-11-22", "demographics.birth_date": "2018-03-14"}
    )
    assert response.status_code == 422 and 'id="f-demographics-sex-error">Required.' in response.get_data(as_text=True)


def test_a_lab_unit_is_chosen_never_assumed(form_client):
    page = form_client.get("/screen?trial=NCT06674265").get_data(as_text=True)
    platelets = re.search(r'<select id="f-lab-platelets-unit".*?</select>', page, re.S)[0]
    assert re.findall(r'<option value="([^"]*)" selected', platelets) == [""]
    page = _post(
        form_client,
        **{
            "lab.platelets.value": "142",
            "lab.platelets.date": "2026-11-18",
            "lab.shortening_fraction.value": "34",
            "lab.shortening_fraction.date": "2026-11-12",
        },
    ).get_data(as_text=True)
    assert 'id="f-lab-platelets-unit-error">Choose the unit of this result.' in page
    assert "f-lab-shortening_fraction-unit-error" not in page  # one unit only (%): nothing to choose


def test_the_unit_picker_offers_the_units_the_api_accepts_as_people_write_them(form_client):
    page = form_client.get("/screen?trial=all").get_data(as_text=True)

    def options(lab):
        select = re.search(rf'<select id="f-lab-{lab}-unit".*?</select>', page, re.S)[0]
        return re.findall(r'<option value="([^"]*)" [^>]*>([^<]*)</option>', select)

    assert options("platelets") == [
        ("", "— unit —"),
        ("/uL", "/µL"),
        ("/mm3", "/mm³"),
        ("10*3/uL", "×10³/µL"),
        ("10*3/mm3", "×10³/mm³"),
        ("10*9/L", "×10⁹/L"),
    ]
    assert ("umol/L", "µmol/L") in options("creatinine")
    # two codes for one unit are offered once; a unitless result offers no unit to pick wrongly
    assert options("measured_gfr") == [("mL/min/1.73m2", "mL/min/1.73 m²")]
    assert options("inr") == [("1", "(no unit)")]


def test_inputs_follow_the_chart_not_the_alphabet(form_client):
    nct = form_client.get("/screen?trial=NCT06674265").get_data(as_text=True)
    names = list(
        dict.fromkeys(
            re.findall(r'name="((?:demographics|diagnosis|findings|attestations|lab)\.[\w.]+?)(?:\.value)?"', nct)
        )
    )
    chart = [
        "demographics.birth_date",
        "demographics.sex",
        "demographics.weight_kg",
        "demographics.weight_date",
        "demographics.height_cm",
        "demographics.height_date",
        "diagnosis.primary",
        "diagnosis.pathology_confirmed",
        "diagnosis.disease_status",
        "diagnosis.induction_cycles",
        "lab.platelets",
        "lab.anc",
        "lab.hemoglobin",
        "lab.creatinine",
        "lab.bilirubin",
        "lab.alt",
        "lab.measured_gfr",
        "lab.shortening_fraction",
        "findings.assessed_on",
        "findings.seizures",
        "findings.ctcae_grades.renal",
        "attestations.guardian_consent_signed",
        "attestations.assessed_on",
    ]
    assert [n for n in names if n in chart] == chart
    # Alphabetical order would put the marrow before the primary diagnosis and ALT before the platelets.
    assert names.index("diagnosis.primary") < names.index("diagnosis.marrow_tumor_cells")


def test_the_chart_places_every_field_a_rule_can_name():
    from screener.facts.catalogue import catalogue
    from screener.web.form_spec import CHART, HISTORY_ROWS

    placed = [item for _, items in CHART for item in items]
    assert len(placed) == len(set(placed))  # each item in one place only
    from screener.facts.keys import RecordFact

    record_fields = {
        f.record_path or f.name for f in catalogue().values() if f.record_path or isinstance(f.key, RecordFact)
    }
    wanted = (
        {p for p in record_fields if not p.startswith("demographics.")}
        | {f"history.{h}" for h in HISTORY_ROWS}
        | {k for k in catalogue() if k.startswith("lab.")}
    )
    assert wanted - set(placed) == set()


def test_every_input_has_a_label(form_client):
    page = form_client.get("/screen?trial=all").get_data(as_text=True)
    ids = re.findall(r'<(?:input|select)[^>]*id="([^"]+)"', page)
    labelled = set(re.findall(r'<label[^>]* for="([^"]+)"', page)) | set(
        re.findall(r'<(?:input|select)[^>]*id="([^"]+)"[^>]*aria-label=', page)
    )
    assert ids and not [i for i in ids if i not in labelled]


def test_validation_error_round_trip_keeps_what_was_entered(form_client):
    response = _post(
        form_client,
        **{
            "lab.platelets.value": "-5",
            "lab.platelets.unit": "/uL",
            "lab.platelets.date": "2026-11-20",
            "lab.hemoglobin.value": "ten",
            "diagnosis.risk_group": "high",
        },
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert (
        'id="f-lab-platelets-value-error">Impossible value for Platelet count: must lie between 0 and 5,000,000 /uL.'
        in page
    )
    assert 'id="f-lab-hemoglobin-value-error">Enter a number.' in page
    assert 'value="-5"' in page and 'value="ten"' in page and '<option value="high" selected>' in page
    assert 'href="#f-lab-platelets-value"' in page  # the error summary links to the field


def test_history_rows_need_the_list_marked_complete(form_client):
    response = _post(
        form_client, **{"history.transfusions.0.product": "platelets", "history.transfusions.0.date": "2026-11-20"}
    )
    assert response.status_code == 422
    assert "mark the list as complete" in response.get_data(as_text=True)


def test_end_before_start_lands_next_to_the_row(form_client):
    response = _post(
        form_client,
        **{
            "history.medications.status": "complete",
            "history.medications.1.name": "prednisone",
            "history.medications.1.route": "oral",
            "history.medications.1.start": "2026-11-10",
            "history.medications.1.end": "2026-11-01",
        },
    )
    assert 'id="f-history-medications-1-end-error">End is before start.' in response.get_data(as_text=True)


def test_every_problem_in_one_round_trip(form_client):
    response = form_client.post(
        "/screen",
        data={
            "trial": "NCT06674265",
            "as_of": "2026-11-22",
            "demographics.birth_date": "2026-11-23",
            "demographics.sex": "female",
            "lab.platelets.value": "-5",
            "lab.platelets.unit": "/uL",
            "lab.platelets.date": "2026-11-20",
            "history.medications.status": "complete",
            "history.medications.0.name": "prednisone",
            "history.medications.0.start": "2026-11-10",
            "history.medications.0.end": "2026-11-01",
        },
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and "Please correct 4 problems" in page
    assert 'id="f-demographics-birth_date-error">The date of birth is after the screening date (2026-11-22).' in page
    assert 'id="f-lab-platelets-value-error">Impossible value' in page
    assert 'id="f-history-medications-0-route-error">Required.' in page
    assert 'id="f-history-medications-0-end-error">End is before start.' in page
    summary = page[page.index('id="error-summary"') : page.index("</ul>")]
    links = re.findall(r'href="#f-([^"]+)"', summary)
    assert links == [
        "demographics-birth_date",
        "lab-platelets-value",
        "history-medications-0-route",
        "history-medications-0-end",
    ]


def test_add_row_without_javascript(form_client):
    page = form_client.post(
        "/screen", data={"trial": "NCT06674265", "action": "add:medications", "rows.medications": "4"}
    ).get_data(as_text=True)
    assert 'name="history.medications.4.name"' in page and 'name="rows.medications" value="5"' in page


def test_submit_records_and_shows_the_result(form_client):
    response = _post(
        form_client,
        **{"lab.platelets.value": "45", "lab.platelets.unit": "10*3/uL", "lab.platelets.date": "2026-11-20"},
    )
    assert response.status_code == 303
    page = form_client.get(response.headers["Location"]).get_data(as_text=True)
    assert (
        "<strong>INELIGIBLE</strong>" in page
        and "Platelets 45 ×10³/µL (= 45,000 /µL) on 20 Nov 2026 — needs more than 50,000 /µL" in page
    )  # issue 14 wording
    assert re.search(r"To do: \d+ items, by action", page)  # only platelets were entered: the rest is open
    record = form_client.get(response.headers["Location"] + "/record.json").get_json()
    assert record["observations"][0]["value"] == 45.0 and record["demographics"]["birth_date"] == "2018-03-14"


def test_all_trials_summary(form_client):
    response = _post(
        form_client, trial="all", **{"diagnosis.primary": "high_grade_glioma", "diagnosis.disease_status": "relapsed"}
    )
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


@pytest.mark.parametrize(
    "name,shown",
    [
        ("Decadron", "Decadron → dexamethasone, systemic corticosteroid, 6.67 × prednisone"),
        # a failing criterion's reason opens with the entry, capitalised (E7 and E8 both fail on it)
        ("dexamethasone sodium phosphate", "Dexamethasone sodium phosphate → dexamethasone, systemic corticosteroid"),
        ("St Johns wort", "St Johns wort → st. john&#39;s wort, strong CYP3A4 inducer"),
        ("Kaletra", "Kaletra → lopinavir, strong CYP3A4 inhibitor; ritonavir, strong CYP3A4 inhibitor"),
        ("Cerebyx", "Cerebyx → fosphenytoin (prodrug of phenytoin), strong CYP3A4 inducer"),
        ("Zofran", "Zofran → ondansetron, not a corticosteroid"),
        ("Zorbexal", "Record the generic name of Zorbexal"),
    ],
)
def test_result_shows_what_each_medication_was_recognised_as(form_client, name, shown):
    response = _post(
        form_client,
        **{
            "history.medications.status": "complete",
            "history.medications.0.name": name,
            "history.medications.0.route": "oral",
            "history.medications.0.dose": "0.2",
            "history.medications.0.dose_unit": "mg/kg/day",
            "history.medications.0.start": "2026-11-20",
        },
    )
    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    page = form_client.get(response.headers["Location"]).get_data(as_text=True)
    assert shown in page


def test_result_names_the_record_who_screened_when_and_the_rule_set(form_client):
    response = _post(
        form_client,
        **{
            "record_id": "DEMO-7",
            "lab.platelets.value": "45",
            "lab.platelets.unit": "10*3/uL",
            "lab.platelets.date": "2026-11-20",
        },
    )
    page = form_client.get(response.headers["Location"]).get_data(as_text=True)
    provenance = page[page.index('<dl class="provenance">') : page.index("</dl>")]
    assert "<strong>DEMO-7</strong> (pseudonymous id)" in provenance
    assert "test-screener" in provenance and re.search(
        r"<dd>\d{1,2} [A-Z][a-z]{2} \d{4} \d\d:\d\d UTC</dd>", provenance
    )
    assert re.search(r"NCT06674265 version \d+\.\d+", provenance) and "<dd>22 Nov 2026</dd>" in provenance
    assert re.search(r'class="small interpretation[^"]*"><summary>How this was read</summary>', page)


def test_all_trials_fold_each_trial_under_the_summary(form_client):
    response = _post(
        form_client, trial="all", **{"diagnosis.primary": "high_grade_glioma", "diagnosis.disease_status": "relapsed"}
    )
    page = form_client.get(response.headers["Location"]).get_data(as_text=True)
    assert page.count('<details class="trial">') == len(trial_ids()) and '<details class="trial" open' not in page
    assert all(f'id="r-{trial}"' in page for trial in trial_ids())
    assert page.index('<table class="summary">') < page.index('<details class="trial">')


def test_any_verdict_is_shown_through_the_one_mapping(app):
    from datetime import date

    from flask import render_template_string

    from screener.screening import parse_record, screen
    from screener.web.verdicts import verdict_view, verdicts

    from .helpers import PATIENTS

    report = screen(parse_record((PATIENTS / "eligible.json").read_text()), "AML-NK-BMC2023", date(2026, 11, 22))
    partial = report.model_copy(update={"verdict": "no_known_exclusion"})
    unheard = report.model_copy(update={"verdict": "some_new_verdict"})
    template = '{% from "_report.html" import render_report %}{{ render_report(r) }}'
    with app.test_request_context():
        shown = render_template_string(template, r=partial)
        assert (
            "<strong>NO KNOWN EXCLUSION — PARTIAL, 1 criterion encoded</strong>" in shown and "banner-partial" in shown
        )
        shown = render_template_string(template, r=unheard)
        assert "<strong>SOME NEW VERDICT</strong>" in shown and "banner-unknown" in shown  # never the eligible tone
    assert verdict_view("eligible").tone == "pass" and verdict_view("ineligible").tone == "fail"
    assert verdicts()[0] == "eligible" and set(verdicts()) >= {"eligible", "incomplete", "ineligible"}
    assert [v.rank for v in verdicts()] == list(range(4))  # the filters offer the one order candidates.rank uses


def test_ctcae_grades_are_picked_from_the_grades_the_schema_allows(form_client):
    page = form_client.get("/screen?trial=NCT06674265").get_data(as_text=True)
    for organ in ("renal", "cardiac", "hepatic", "neurological", "pulmonary", "gastrointestinal"):
        select = re.search(rf'<select id="f-findings-ctcae_grades-{organ}".*?</select>', page, re.S)[0]
        assert re.findall(r'<option value="([^"]*)"', select) == ["", "0", "1", "2", "3", "4", "5"], organ
        assert re.findall(r'<option value="([^"]*)" selected', select) == [""]  # not recorded until chosen
    response = _post(form_client, **{"findings.assessed_on": "2026-11-18", "findings.ctcae_grades.renal": "3"})
    record = form_client.get(response.headers["Location"] + "/record.json").get_json()
    assert record["findings"]["ctcae_grades"]["renal"] == 3  # an integer, as the API takes it


def _result_page(client, response) -> str:
    assert response.status_code == 303, response.status_code  # screened: the result page is its own address
    return client.get(response.headers["Location"]).get_data(as_text=True)


def _result_row(page: str, criterion_id: str) -> str:
    within_a_row = r"(?:(?!</tr>).)*?"
    return re.search(
        rf'<tr class="row-\w+">{within_a_row}<span class="small">{criterion_id}</span>{within_a_row}</tr>', page, re.S
    )[0]


def test_split_steroid_entries_are_added_up_on_the_form(form_client):
    # Issue 22: prednisone 0.3 mg/kg/day twice (morning and evening), both ongoing: 0.6 a day.
    rows = {}
    for i in (0, 1):
        rows |= {f"history.medications.{i}.name": "prednisone", f"history.medications.{i}.route": "oral",
                 f"history.medications.{i}.dose": "0.3", f"history.medications.{i}.dose_unit": "mg/kg/day",
                 f"history.medications.{i}.start": "2026-11-10"}
    page = _result_page(form_client, _post(form_client, **{"history.medications.status": "complete", **rows}))
    row = _result_row(page, "NCT06674265-E7")
    assert ">FAIL<" in row and "prednisone 0.30 + prednisone 0.30 = 0.60 mg/kg/day" in row


def test_a_transfusion_seven_days_before_the_count_asks_for_a_repeat_on_the_form(form_client):
    page = _result_page(form_client, _post(form_client, **{
        "lab.platelets.value": "142", "lab.platelets.unit": "10*3/uL", "lab.platelets.date": "2026-11-18",
        "history.transfusions.status": "complete",
        "history.transfusions.0.product": "platelets", "history.transfusions.0.date": "2026-11-11",
    }))
    row = _result_row(page, "NCT06674265-E1")
    assert ">UNKNOWN<" in row and "Repeat the Platelet count on or after 19 Nov 2026" in row


# --- plausibility: a value no child can have is refused; one usually a slip is confirmed before screening -------
PLATELETS = {"lab.platelets.unit": "/uL", "lab.platelets.date": "2026-11-20"}


def _stored(client) -> int:
    from screener.web.storage import get_store

    with client.application.app_context():
        return len(get_store().screenings())


@freeze_time("2026-12-06")
def test_an_impossible_value_is_refused_beside_its_field_with_the_slip(form_client):
    response = _post(form_client, **PLATELETS, **{"lab.platelets.value": "142"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert (
        'id="f-lab-platelets-value-error">Platelets above 0 and below 1,000 /µL: no living child has this value '
        "given in /µL; did you mean ×10³/µL?" in page
    )
    assert 'value="142"' in page and _stored(form_client) == 0  # kept for correcting; nothing stored


@freeze_time("2026-12-06")
def test_dates_after_today_and_a_screening_date_far_ahead_are_refused(form_client):
    page = _post(form_client, **{**PLATELETS, "lab.platelets.value": "90", "lab.platelets.unit": "10*3/uL",
                                 "lab.platelets.date": "2026-12-07", "as_of": "2062-11-22"}).get_data(as_text=True)
    assert 'id="f-lab-platelets-date-error">After today (2026-12-06): it cannot have happened yet' in page
    assert 'id="f-as_of-error">More than 365 days after today (2026-12-06)' in page
    ok = _post(form_client, **{**PLATELETS, "lab.platelets.value": "90", "lab.platelets.unit": "10*3/uL",
                               "lab.platelets.date": "2026-12-06", "as_of": "2027-12-06"})
    assert ok.status_code == 303


@freeze_time("2026-12-06")
def test_a_value_usually_a_slip_is_confirmed_before_anything_is_screened(form_client):
    first = _post(form_client, **PLATELETS, **{"lab.platelets.value": "3000"})
    page = first.get_data(as_text=True)
    assert first.status_code == 422 and _stored(form_client) == 0
    assert "Check 1 value before screening" in page and "Nothing has been screened yet" in page
    box = re.search(r'<input type="checkbox" id="f-confirm-lab-platelets-value"[^>]*>', page)[0]
    assert 'name="confirm.lab.platelets.value" value="3000"' in box and "checked" not in box
    assert "Platelets below 5,000 /µL: possible, but usually a slip; check the value" in page

    # ticked, but another field still wrong: the question and the tick stay; still nothing screened
    confirm = {"confirm.lab.platelets.value": "3000"}
    again = _post(form_client, **PLATELETS, **confirm, **{"lab.platelets.value": "3000", "demographics.sex": ""})
    page = again.get_data(as_text=True)
    assert again.status_code == 422 and _stored(form_client) == 0
    box = re.search(r'<input type="checkbox" id="f-confirm-lab-platelets-value"[^>]*>', page)[0]
    assert "checked" in box

    # a tick for another value does not confirm this one
    changed = _post(form_client, **PLATELETS, **confirm, **{"lab.platelets.value": "2000"})
    assert changed.status_code == 422 and "Check 1 value before screening" in changed.get_data(as_text=True)

    done = _post(form_client, **PLATELETS, **confirm, **{"lab.platelets.value": "3000"})
    assert done.status_code == 303 and _stored(form_client) == 1
    result = form_client.get(done.headers["Location"]).get_data(as_text=True)
    assert "Values to check" in result and "Platelets below 5,000 /µL: possible, but usually a slip" in result
    assert "<strong>INELIGIBLE</strong>" in result


@freeze_time("2026-12-06")
def test_an_ordinary_value_asks_nothing(form_client):
    response = _post(form_client, **{**PLATELETS, "lab.platelets.value": "90", "lab.platelets.unit": "10*3/uL"})
    assert response.status_code == 303


@pytest.mark.parametrize("name,reads_as", [
    ("TMP-SMX", "TMP-SMX → trimethoprim; sulfamethoxazole"),
    ("sulfamethoxazole / trimethoprim", "sulfamethoxazole / trimethoprim → sulfamethoxazole; trimethoprim"),
    ("pip-tazo", "pip-tazo → piperacillin; tazobactam"),
    ("co-amoxiclav", "co-amoxiclav → amoxicillin; clavulanic acid"),
    ("cotrimoxazole 5 mL twice daily Sat/Sun", "cotrimoxazole 5 mL twice daily Sat/Sun → sulfamethoxazole"),
])
def test_the_usual_names_of_combinations_are_recognised_on_the_form(form_client, name, reads_as):
    # issue 22: PJP prophylaxis by any of its ward names no longer leaves the medication criteria open
    response = _post(form_client, **{"history.medications.status": "complete", "history.medications.0.name": name,
                                      "history.medications.0.route": "oral",
                                      "history.medications.0.start": "2026-11-20"})
    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    page = form_client.get(response.headers["Location"]).get_data(as_text=True)
    assert reads_as in page and "not a recognised medication name" not in page
