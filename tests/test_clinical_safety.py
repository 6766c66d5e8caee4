"""Regression tests for the clinical-safety review: each class of wrongly-eligible result, on every channel."""
import json
from datetime import date, timedelta

import pytest
from click.testing import CliRunner

from screener import engine
from screener.cli import main
from screener.screening import parse_record, screen

from .helpers import PATIENTS, authorised, make_app

AS_OF = date(2026, 11, 22)
NCT = "NCT06674265"


def _screen(record: dict, trial: str = NCT, as_of: date = AS_OF):
    return screen(parse_record(json.dumps(record)), trial, as_of)


def _criterion(report, cid):
    return next(c for c in report.criteria if c.id == cid)


def _api(client, record: dict, trial: str = NCT):
    return client.post(f"/api/v1/trials/{trial}/screen?as_of=2026-11-22", data=json.dumps(record),
                       content_type="application/json")


def _cli(tmp_path, record: dict, *args):
    path = tmp_path / "record.json"
    path.write_text(json.dumps(record))
    return CliRunner().invoke(main, ["screen", str(path), "--trial", NCT, "--as-of", "2026-11-22", *args])


# --- transfusion-supported platelets ----------------------------------------------------------------------------
def test_count_drawn_after_a_transfusion_asks_for_a_repeat_on_every_channel(eligible_json, client, tmp_path):
    eligible_json["history"]["transfusions"] = [
        {"product": "platelets", "date": "2026-11-13"}
    ]  # count of 11-18: 5 days
    e1 = _criterion(_screen(eligible_json), f"{NCT}-E1")
    assert e1.status == "unknown"
    assert "Repeat the Platelet count on or after 21 Nov 2026" in " ".join(e1.to_settle)  # day -7 is in the week
    assert "may be transfusion-supported" in e1.reason  # the words a coordinator reads
    assert [e.unknown for e in e1.evidence if e.unknown] == ["transfusion_supported"]
    body = _api(client, eligible_json).json
    assert body["report"]["verdict"] == "incomplete"
    result = _cli(tmp_path, eligible_json)
    assert (
        result.exit_code == 0
        and "VERDICT: INCOMPLETE" in result.output
        and "Repeat the Platelet count" in result.output
    )


def test_a_repeat_count_eight_days_after_the_transfusion_settles_it(eligible_json):
    eligible_json["history"]["transfusions"] = [{"product": "platelets", "date": "2026-11-13"}]
    eligible_json["observations"].append({"test": "777-3", "value": 120, "unit": "10*3/uL", "date": "2026-11-21"})
    assert _screen(eligible_json).verdict == "eligible"
    for day in ("2026-11-20", "2026-11-19"):  # day 7 (inside "within one week", the strict reading) and day 6
        eligible_json["observations"][-1]["date"] = day
        assert _criterion(_screen(eligible_json), f"{NCT}-E1").status == "unknown"


# --- boundaries read from the source's words --------------------------------------------------------------------
@pytest.mark.parametrize(
    "test,value,unit,status",
    [
        ("777-3", 50000, "/uL", "fail"),
        ("777-3", 50001, "/uL", "pass"),
        ("718-7", 10.0, "g/dL", "fail"),
        ("718-7", 10.01, "g/dL", "pass"),
        ("751-8", 500, "/uL", "fail"),
        ("751-8", 501, "/uL", "pass"),
    ],
)
def test_e1_boundaries_both_sides(eligible_json, test, value, unit, status):
    eligible_json["observations"].append({"test": test, "value": value, "unit": unit, "date": "2026-11-21"})
    assert _criterion(_screen(eligible_json), f"{NCT}-E1").status == status


def test_platelets_of_exactly_50000_are_ineligible_through_the_cli_and_the_api(eligible_json, client, tmp_path):
    eligible_json["observations"].append({"test": "777-3", "value": 50, "unit": "10*3/uL", "date": "2026-11-21"})
    assert "VERDICT: INELIGIBLE" in _cli(tmp_path, eligible_json).output
    assert _api(client, eligible_json).json["report"]["verdict"] == "ineligible"


# --- pulmonary: a measured low SpO2 always counts ------------------------------------------------------------------
def test_low_spo2_excludes_even_when_oximetry_is_recorded_as_not_indicated(eligible_json, client):
    assert eligible_json["findings"]["pulse_oximetry_indicated"] is False
    eligible_json["observations"].append({"test": "59408-5", "value": 90, "unit": "%", "date": "2026-11-21"})
    report = _api(client, eligible_json).json["report"]
    e4b = next(c for c in report["criteria"] if c["id"] == f"{NCT}-E4b")
    assert report["verdict"] == "ineligible" and e4b["status"] == "fail"


# --- kidney: COG structure ------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "birth,sex,height,creatinine", [("2018-03-14", "female", 124, 0.9), ("2010-06-01", "male", 175, 1.1)]
)
def test_creatinine_within_the_cog_maximum_passes_whatever_the_schwartz_estimate(
    eligible_json, client, birth, sex, height, creatinine
):
    eligible_json["demographics"].update(birth_date=birth, sex=sex, height_cm=height)
    eligible_json["observations"].append({"test": "2160-0", "value": creatinine, "unit": "mg/dL", "date": "2026-11-21"})
    report = _api(client, eligible_json).json["report"]
    e3 = next(c for c in report["criteria"] if c["id"] == f"{NCT}-E3")
    assert e3["status"] == "pass" and report["verdict"] == "eligible"


def test_creatinine_above_the_maximum_asks_for_a_measured_gfr(eligible_json):
    eligible_json["observations"].append({"test": "2160-0", "value": 1.2, "unit": "mg/dL", "date": "2026-11-21"})
    e3 = _criterion(_screen(eligible_json), f"{NCT}-E3")
    assert e3.status == "unknown"
    assert any("Creatinine clearance or radioisotope GFR" in item for item in e3.to_settle)


# --- every finding and attestation has a date and an age limit ---------------------------------------------------
def test_undated_findings_and_attestations_are_unknown_with_a_clear_message(eligible_json, client):
    del eligible_json["findings"]["assessed_on"]
    del eligible_json["attestations"]["assessed_on"]
    report = _api(client, eligible_json).json["report"]
    assert report["verdict"] == "incomplete"
    e16 = next(c for c in report["criteria"] if c["id"] == f"{NCT}-E16")
    assert e16["status"] == "unknown" and "recorded without the date the findings were assessed" in e16["reason"]
    # Issue 14: instructions to a coordinator name the date to record in words, not by record path.
    assert any("with the date the findings were assessed" in item for item in report["to_settle"])
    i3 = next(c for c in report["criteria"] if c["id"] == f"{NCT}-I3")
    assert i3["status"] == "unknown" and "with the date the investigator signed the attestations" in " ".join(
        i3["to_settle"]
    )


def test_findings_older_than_the_lookback_are_too_old(eligible_json):
    eligible_json["findings"]["assessed_on"] = "2024-11-22"
    e4 = _criterion(_screen(eligible_json), f"{NCT}-E4")
    assert e4.status == "unknown" and "22 Nov 2024" in e4.reason  # issue 14 dates
    assert {e.unknown for e in e4.evidence} == {"too_old"}


@pytest.mark.parametrize(("transfused", "status"), [("2026-11-11", "unknown"), ("2026-11-12", "unknown"),
                                                ("2026-11-10", "pass")])
def test_a_platelet_transfusion_on_day_minus_7_before_the_count_is_inside_the_week(eligible_json, transfused, status):
    # Count of 18 Nov: a transfusion on 11 Nov (day -7) or 12 Nov (day -6) leaves it unknown; 10 Nov (day -8) not.
    eligible_json["history"]["transfusions"] = [{"product": "platelets", "date": transfused}]
    e1 = _criterion(_screen(eligible_json), f"{NCT}-E1")
    assert e1.status == status
    if status == "unknown":
        repeat = date.fromisoformat(transfused) + timedelta(days=8)
        assert f"Repeat the Platelet count on or after {repeat.day} Nov 2026" in " ".join(e1.to_settle)


def test_inside_a_transfusion_window_the_report_says_when_to_repeat_the_count_at_once(eligible_json, client, tmp_path):
    # Transfused 19 Nov, the only count drawn 20 Nov: E1 fails until 27 Nov, and the count must be repeated.
    eligible_json["history"]["transfusions"] = [{"product": "platelets", "date": "2026-11-19"}]
    eligible_json["observations"] = [
        dict(o, date="2026-11-20") if o["test"] == "777-3" else o for o in eligible_json["observations"]
    ] + [{"test": "shortening_fraction", "value": 34, "unit": "%", "date": "2026-11-21"},  # an echo recent on 27 Nov
         {"test": "10230-1", "value": 63, "unit": "%", "date": "2026-11-21"}]
    report = _screen(eligible_json)
    e1 = _criterion(report, f"{NCT}-E1")
    assert e1.status == "fail" and e1.eligible_from is None  # waiting alone does not make it pass
    assert e1.to_settle == ["Repeat the Platelet count on or after 27 Nov 2026 (8 days after the platelet transfusion)"]
    assert report.no_fail_from == date(2026, 11, 27) and report.eligible_from is None
    assert "no failing criterion from 2026-11-27; 1 item still to record" in report.summary
    assert report.to_repeat == []  # nothing grows too old: the count is to be repeated, which to_settle says
    body = _api(client, eligible_json).json["report"]
    assert body["no_fail_from"] == "2026-11-27" and "Repeat the Platelet count" in " ".join(body["to_settle"])
    result = _cli(tmp_path, eligible_json)
    assert "no failing criterion from 27 Nov 2026" in result.output
    assert "Repeat the Platelet count on or after 27 Nov 2026" in result.output


def test_a_weight_from_years_ago_does_not_size_a_steroid_dose(eligible_json):
    eligible_json["history"]["medications"] = [
        {"name": "prednisone", "route": "oral", "dose": 20, "dose_unit": "mg/day", "start": "2026-11-01"}
    ]
    eligible_json["demographics"]["weight_date"] = "2020-11-22"
    e7 = _criterion(_screen(eligible_json), f"{NCT}-E7")
    assert e7.status == "unknown" and "too old" in e7.reason


# --- eligible-from ------------------------------------------------------------------------------------------------
def test_no_eligible_from_while_something_is_unknown(eligible_json):
    eligible_json["history"]["transfusions"].append({"product": "platelets", "date": "2026-11-19"})  # clears 11-27
    eligible_json["findings"]["hiv_status"] = None
    eligible_json["observations"] += [  # an echo still recent on 11-27 (the demo's of 11-12 would be too old)
        {"test": "shortening_fraction", "value": 34, "unit": "%", "date": "2026-11-21"},
        {"test": "10230-1", "value": 63, "unit": "%", "date": "2026-11-21"},
    ]
    report = _screen(eligible_json)
    assert report.verdict == "ineligible" and report.eligible_from is None
    assert report.no_fail_from == date(2026, 11, 27)
    assert "no failing criterion from 2026-11-27; 1 item still to record" in report.summary


def test_eligible_from_names_data_that_will_be_too_old_by_then(eligible_json):
    eligible_json["history"]["transfusions"].append({"product": "platelets", "date": "2026-11-20"})  # clears 11-28
    report = _screen(eligible_json)  # the echo of 2026-11-12 is 16 days old on 2026-11-28
    assert report.eligible_from is None and report.no_fail_from == date(2026, 11, 28)
    assert report.to_repeat == [f"{NCT}-E3b (Inadequate cardiac function): its data will be too old by 2026-11-28"]


# --- honest coverage ---------------------------------------------------------------------------------------------
def test_a_partial_rule_set_never_reads_eligible(client, tmp_path):
    record = json.loads((PATIENTS / "glioma-recurrent.json").read_text())
    report = _screen(record, "IRCT20170122032121N6")
    assert report.verdict == "no_known_exclusion" and "PARTIAL, 2 criteria encoded" in report.verdict_text
    path = tmp_path / "g.json"
    path.write_text(json.dumps(record))
    text = CliRunner().invoke(main, ["screen", str(path), "--all", "--as-of", "2026-11-22"]).output
    assert "NO KNOWN EXCLUSION — PARTIAL, 2 criteria encoded" in text
    assert "VERDICT: ELIGIBLE" not in text
    reports = client.post(
        "/api/v1/screen?as_of=2026-11-22", data=json.dumps(record), content_type="application/json"
    ).json["reports"]
    assert [r["verdict"] for r in reports].count("eligible") == 0


def test_the_complete_rule_set_states_what_its_source_lacks_and_its_recruitment(eligible_json, tmp_path):
    report = _screen(eligible_json)
    assert report.coverage.unknown_from_source == [
        "Registry exclusion items 9-11 are missing from the registry text itself."
    ]
    assert report.recruitment.status == "RECRUITING"
    text = _cli(tmp_path, eligible_json).output
    assert "not in the source: Registry exclusion items 9-11 are missing" in text and "recruitment: RECRUITING" in text


def test_reasons_say_when_a_uln_is_a_default_or_a_table_row_unverified(eligible_json):
    eligible_json["observations"].append({"test": "1975-2", "value": 0.5, "unit": "mg/dL", "date": "2026-11-21"})
    e2 = _criterion(_screen(eligible_json), f"{NCT}-E2")
    assert "the project's default, not the reporting lab's" in e2.reason
    eligible_json["demographics"].update(birth_date="2010-06-01", sex="male")
    e3 = _criterion(_screen(eligible_json), f"{NCT}-E3")
    assert "unverified table row" in e3.reason


# --- the run-time agreement guard ----------------------------------------------------------------------------------
@pytest.fixture
def disagreeing_durable(monkeypatch):
    durable = engine.get_evaluator("durable")
    real = durable.evaluate

    def flipped(rule_set, values):
        statuses = real(rule_set, values)
        first = next(iter(statuses))
        statuses[first] = "pass" if statuses[first] != "pass" else "fail"
        return statuses

    monkeypatch.setattr(durable, "evaluate", flipped)


def test_a_disagreement_refuses_the_screening(eligible_record, disagreeing_durable):
    before = engine.disagreements
    with pytest.raises(engine.EngineDisagreement) as caught:
        screen(eligible_record, NCT, AS_OF, "durable")
    assert len(caught.value.incident_id) == 12 and engine.disagreements == before + 1
    assert screen(eligible_record, NCT, AS_OF, "reference").verdict == "eligible"  # the reference alone is not guarded


def test_a_disagreement_is_an_incident_in_the_api_and_readyz_counts_it(tmp_path, caplog, disagreeing_durable):
    app = make_app(tmp_path)
    client = authorised(app, "screener")
    response = _api(client, json.loads((PATIENTS / "eligible.json").read_text()))
    assert response.status_code == 500 and response.json["incident_id"]
    assert "DEMO-NB-001" not in caplog.text and "2018-03-14" not in caplog.text
    assert client.get("/readyz").json["engine_disagreements"] >= 1
    auditor = authorised(app, "auditor")
    assert auditor.get("/api/v1/trials").status_code == 200
    with app.app_context():
        from screener.web.storage import get_store

        assert get_store().screenings() == []  # nothing was recorded


def test_a_disagreement_exits_the_cli_with_4(tmp_path, disagreeing_durable):
    result = _cli(tmp_path, json.loads((PATIENTS / "eligible.json").read_text()), "--engine", "durable")
    assert result.exit_code == 4 and "incident" in result.output


# --- the form carries the new dates ---------------------------------------------------------------------------------
def test_the_form_asks_for_the_assessment_dates(tmp_path):
    client = authorised(make_app(tmp_path, WTF_CSRF_ENABLED=False), "screener")
    page = client.get("/screen?trial=NCT06674265").get_data(as_text=True)
    for name in (
        "findings.assessed_on",
        "attestations.assessed_on",
        "demographics.weight_date",
        "demographics.height_date",
    ):
        assert f'name="{name}"' in page


# --- corticosteroids with no cited prednisone equivalence -------------------------------------------------------
@pytest.mark.parametrize(
    "name,route,status",
    [
        ("deflazacort", "oral", "unknown"),
        ("Emflaza", "oral", "unknown"),
        ("Entocort", "oral", "unknown"),
        ("Florinef", "oral", "unknown"),
        ("budesonide", "inhaled", "pass"),
    ],
)
def test_a_steroid_without_an_equivalence_factor_is_unknown_never_not_a_steroid(eligible_json, name, route, status):
    eligible_json["history"]["medications"] = [
        {"name": name, "route": route, "dose": 1, "dose_unit": "mg/kg/day", "start": "2026-11-20"}
    ]
    e7 = _criterion(_screen(eligible_json), f"{NCT}-E7")
    assert e7.status == status
    if status == "unknown":
        assert "no prednisone equivalence" in e7.reason


def test_the_result_page_states_the_registry_gap_and_recruitment(tmp_path):
    client = authorised(make_app(tmp_path, WTF_CSRF_ENABLED=False), "screener")
    response = client.post(
        "/screen",
        data={
            "trial": NCT,
            "as_of": "2026-11-22",
            "demographics.birth_date": "2018-03-14",
            "demographics.sex": "female",
        },
    )
    assert response.status_code == 303
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Not in the source:</strong> Registry exclusion items 9-11 are missing" in page
    assert "Recruitment: RECRUITING" in page
