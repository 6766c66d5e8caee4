"""Medication entries for the steroid and CYP3A4 windows: what is not recognised or not classifiable is unknown."""
import json
from datetime import date

import pytest

from screener.facts.derive import derive
from screener.facts.keys import DaysSinceFact, Event
from screener.model.ruleset import Lookback
from screener.rules import load_tables
from screener.screening import parse_record, screen
from screener.wording.facts import display, entry, missing, settle

LOOKBACK = Lookback(labs_days=14, imaging_days=42, findings_days=14, attestations_days=14, rationale="test")
AS_OF = date(2026, 11, 22)
STEROID = DaysSinceFact(Event(medication_class="systemic_corticosteroid", min_prednisone_mg_kg_day=0.5), 7)
CYP = DaysSinceFact(Event(medication_class="cyp3a4_modulator", cyp3a4_strengths=("moderate", "strong")), 7)


def facts(record_json: dict, *meds: dict) -> dict:
    record_json["history"]["medications"] = list(meds)
    return derive(parse_record(json.dumps(record_json)), AS_OF, [STEROID, CYP], LOOKBACK, load_tables())


def test_unrecognised_name_in_the_window_is_unknown_and_named(eligible_json):
    got = facts(eligible_json, {"name": "Zorbexal", "route": "oral", "start": "2026-11-20"})
    for key in (STEROID, CYP):
        assert got[key].value is None
        assert got[key].unknown == "unrecognised" and "Zorbexal" in missing(got[key])
        assert "record the generic name of Zorbexal" in settle(got[key].settle)


def test_unrecognised_name_outside_the_window_cannot_matter(eligible_json):
    # ended 7 days before the as-of date: the first day outside a 7-day window
    got = facts(eligible_json, {"name": "Zorbexal", "route": "oral", "start": "2026-11-01", "end": "2026-11-15"})
    assert got[STEROID].value >= 1_000_000 and got[CYP].value >= 1_000_000
    assert "Zorbexal: not recognised (2026-11-01 to 2026-11-15)" in display(got[CYP])
    got = facts(eligible_json, {"name": "Zorbexal", "route": "oral", "start": "2026-11-01", "end": "2026-11-16"})
    assert got[STEROID].value is None and got[CYP].value is None


def test_every_unrecognised_entry_is_named(eligible_json):
    got = facts(eligible_json, {"name": "Zorbexal", "route": "oral", "start": "2026-11-20"},
                {"name": "Quintrabex", "route": "iv", "start": "2026-11-21"})
    assert "Zorbexal" in missing(got[CYP]) and "Quintrabex" in missing(got[CYP])
    assert "Zorbexal" in settle(got[CYP].settle) and "Quintrabex" in settle(got[CYP].settle)


@pytest.mark.parametrize("route", ["other", "unknown"])
def test_steroid_route_that_cannot_be_classified_is_unknown(eligible_json, route):
    got = facts(
        eligible_json,
        {"name": "prednisone", "route": route, "dose": 1, "dose_unit": "mg/kg/day", "start": "2026-11-20"},
    )
    assert got[STEROID].value is None and got[STEROID].unknown == "unclassifiable"
    assert f"recorded as {route}" in missing(got[STEROID])
    assert "record the route of prednisone" in settle(got[STEROID].settle)


@pytest.mark.parametrize("route", ["inhaled", "topical", "intrathecal"])
def test_non_systemic_routes_do_not_count(eligible_json, route):
    got = facts(
        eligible_json,
        {"name": "dexamethasone", "route": route, "dose": 1, "dose_unit": "mg/kg/day", "start": "2026-11-20"},
    )
    assert got[STEROID].value >= 1_000_000
    assert f"{route}: not systemic" in display(got[STEROID])


@pytest.mark.parametrize("route", ["oral", "iv", "im", "sc"])
def test_systemic_routes_count(eligible_json, route):
    got = facts(
        eligible_json,
        {"name": "dexamethasone", "route": route, "dose": 1, "dose_unit": "mg/kg/day", "start": "2026-11-20"},
    )
    assert got[STEROID].value == 0


def test_steroid_display_names_drug_dose_equivalent_route_and_dates(eligible_json):
    got = facts(
        eligible_json,
        {
            "name": "Dexamethasone",
            "route": "oral",
            "dose": 0.1,
            "dose_unit": "mg/kg/day",
            "start": "2026-11-01",
            "end": "2026-11-16",
        },
    )
    shown = display(got[STEROID])
    for part in (
        "Dexamethasone → dexamethasone",
        "systemic corticosteroid, 6.67 × prednisone",
        "0.1 mg/kg/day",
        "0.67 mg/kg/day prednisone-equivalent",
        "oral",
        "2026-11-01 to 2026-11-16",
        "6 days before",
    ):
        assert part in shown, part


def test_ongoing_course_says_so(eligible_json):
    got = facts(
        eligible_json,
        {"name": "prednisone", "route": "oral", "dose": 12.25, "dose_unit": "mg/day", "start": "2026-11-01"},
    )
    shown = display(got[STEROID])
    assert got[STEROID].value == 0
    assert (
        "from 2026-11-01, no end date (ongoing)" in shown
        and "ongoing on the as-of date" in shown
        and "12.25 mg/day = 0.50 mg/kg/day prednisone-equivalent" in shown
    )


def test_below_threshold_course_is_shown_with_its_equivalent(eligible_json):
    got = facts(
        eligible_json,
        {"name": "prednisone", "route": "oral", "dose": 0.49, "dose_unit": "mg/kg/day", "start": "2026-11-01"},
    )
    assert got[STEROID].value >= 1_000_000
    assert "0.49 mg/kg/day prednisone-equivalent" in display(got[STEROID]) and "below 0.5" in display(got[STEROID])


def test_weight_needed_for_a_mg_per_day_dose(eligible_json):
    eligible_json["demographics"]["weight_kg"] = None
    got = facts(
        eligible_json, {"name": "prednisone", "route": "oral", "dose": 10, "dose_unit": "mg/day", "start": "2026-11-20"}
    )
    assert got[STEROID].unknown == "dose_unknown" and "weight not recorded" in missing(got[STEROID])


def test_cyp3a4_display_names_drug_class_route_and_dates(eligible_json):
    got = facts(eligible_json, {"name": "fluconazole", "route": "oral", "start": "2026-11-01", "end": "2026-11-16"})
    shown = display(got[CYP])
    assert got[CYP].value == 6 and got[CYP].clears_on == date(2026, 11, 23)
    for part in ("fluconazole → fluconazole", "moderate CYP3A4 inhibitor", "oral", "2026-11-01 to 2026-11-16"):
        assert part in shown, part


def test_report_reason_names_the_unrecognised_entry(eligible_json):
    eligible_json["history"]["medications"][0].update(name="Zorbexal", end=None)
    report = screen(parse_record(json.dumps(eligible_json)), "NCT06674265", AS_OF, "reference")
    by_id = {c.id: c for c in report.criteria}
    for cid in ("NCT06674265-E7", "NCT06674265-E8"):
        assert by_id[cid].status == "unknown" and "Zorbexal" in by_id[cid].reason
    assert any("Record the generic name of Zorbexal" in item for item in report.to_settle)


def test_a_counted_entry_in_the_window_decides_even_beside_an_uncertain_one(eligible_json):
    got = facts(
        eligible_json,
        {
            "name": "prednisolone",
            "route": "oral",
            "dose": 1,
            "dose_unit": "mg/kg/day",
            "start": "2026-11-10",
            "end": "2026-11-20",
        },
        {"name": "Zorbexal", "route": "oral", "start": "2026-11-01"},
    )
    steroid = got[STEROID]
    assert steroid.value == 2 and steroid.clears_on is None  # holds; the day it clears depends on Zorbexal
    assert "prednisolone" in display(steroid) and "Zorbexal" in display(steroid)
    assert got[CYP].value is None  # Zorbexal alone decides E8


def test_the_worst_accepted_record_screens():
    # benchmarks/worst_case.py times it; here only that it is accepted and every entry is accounted for
    from benchmarks.worst_case import worst_record_json
    from screener import config
    from screener.screening import screen_all

    text = worst_record_json()
    record = parse_record(text)
    assert len(record.history.medications) == config.MAX_MEDICATIONS_PER_RECORD
    assert max(len(m.name) for m in record.history.medications) == 100
    for report in screen_all(record, AS_OF, "reference"):
        if report.trial_id == "NCT06674265":
            e8 = next(c for c in report.criteria if c.id == "NCT06674265-E8")
            assert e8.status == "unknown" and record.history.medications[-1].name in e8.reason


def test_each_entry_shows_what_it_was_recognised_as(eligible_json):
    got = facts(
        eligible_json,
        {"name": "Decadron", "route": "oral", "dose": 0.1, "dose_unit": "mg/kg/day", "start": "2026-11-20"},
        {"name": "Cerebyx", "route": "iv", "start": "2026-11-20"},
        {"name": "Zofran", "route": "iv", "start": "2026-11-20"},
    )
    assert "Decadron → dexamethasone, systemic corticosteroid, 6.67 × prednisone" in display(got[STEROID])
    assert "Cerebyx → fosphenytoin (prodrug of phenytoin), strong CYP3A4 inducer" in display(got[CYP])
    assert "Zofran → ondansetron, not a corticosteroid" in display(got[STEROID])
    assert "Zofran → ondansetron, not in the CYP3A4 inhibitor and inducer table" in display(got[CYP])


WEAK_TOO = DaysSinceFact(Event(medication_class="cyp3a4_modulator", cyp3a4_strengths=("moderate", "strong", "weak")), 7)


def test_a_window_counts_only_the_strengths_it_names(eligible_json):
    # fosaprepitant is tabled weak (clinical-facts.md): only a window that names weak counts it
    eligible_json["history"]["medications"] = [{"name": "fosaprepitant", "route": "iv", "start": "2026-11-20",
                                                "end": "2026-11-20"}]
    got = derive(parse_record(json.dumps(eligible_json)), AS_OF, [CYP, WEAK_TOO], LOOKBACK, load_tables())
    assert got[WEAK_TOO].value == 2
    assert got[CYP].value >= 1_000_000
    assert "fosaprepitant → fosaprepitant, weak CYP3A4 inhibitor" in display(got[CYP])


@pytest.mark.parametrize(("name", "shown"), [
    ("dexamethasone", "dexamethasone, systemic corticosteroid, 6.67 × prednisone, moderate CYP3A4 inducer"),
    ("rifabutin", "rifabutin, moderate CYP3A4 inducer"),
    ("phenobarbital", "phenobarbital, strong CYP3A4 inducer"),  # UpToDate's grade, stronger than FDA's moderate
])
def test_a_drug_either_cited_source_grades_a_modulator_counts(eligible_json, name, shown):
    got = facts(eligible_json, {"name": name, "route": "oral", "dose": 0.01, "dose_unit": "mg/kg/day",
                                "start": "2026-11-20"})
    assert got[CYP].value == 0 and shown in display(got[CYP])


def test_levetiracetam_is_not_a_cyp3a4_modulator(eligible_json):
    got = facts(eligible_json, {"name": "levetiracetam", "route": "oral", "start": "2026-11-20"})
    assert got[CYP].value >= 1_000_000
    assert "levetiracetam → levetiracetam, not in the CYP3A4 inhibitor and inducer table" in display(got[CYP])


def test_steroid_in_a_combination_product_has_no_dose_of_its_own(eligible_json):
    got = facts(
        eligible_json,
        {
            "name": "ciprofloxacin/dexamethasone",
            "route": "oral",
            "dose": 1,
            "dose_unit": "mg/day",
            "start": "2026-11-20",
        },
    )
    assert got[STEROID].unknown == "dose_unknown" and "combination product" in missing(got[STEROID])


def test_a_steroid_written_with_a_dose_instruction_beside_another_drug_is_a_combination(eligible_json):
    # issue 22: the instruction is taken off, the second drug never is, and the steroid has no dose of its own
    got = facts(eligible_json, {"name": "dexamethasone 4 mg daily + fluconazole", "route": "oral", "dose": 1,
                                "dose_unit": "mg/day", "start": "2026-11-20"})
    assert got[STEROID].unknown == "dose_unknown" and "combination product" in missing(got[STEROID])
    assert got[CYP].value == 0 and "fluconazole, moderate CYP3A4 inhibitor" in display(got[CYP])


# Each kind of name through the channels: (name, rxnorm, E7 status, E8 status, words the E7/E8 reasons carry)
CHANNEL_CASES = [
    # dexamethasone is a moderate CYP3A4 inducer too (UpToDate, clinical-facts.md): E8 fails beside E7
    ("Decadron", None, "fail", "fail", "Decadron → dexamethasone, systemic corticosteroid, 6.67 × prednisone"),  # brand
    ("dexamethasone sodium phosphate", None, "fail", "fail", "→ dexamethasone"),  # salt
    ("St. John's Wort", None, "pass", "fail", "→ st. john's wort, strong CYP3A4 inducer"),  # spelling
    ("Kaletra", None, "pass", "fail", "ritonavir, strong CYP3A4 inhibitor"),  # combination
    ("fosphenytoin", None, "pass", "fail", "fosphenytoin (prodrug of phenytoin), strong CYP3A4 inducer"),  # prodrug
    ("Simvistatin 10 MG", "316672", "pass", "pass", "Simvistatin 10 MG → simvastatin"),  # coded
    ("Zorbexal", None, "unknown", "unknown", "Record the generic name of Zorbexal"),  # unknown
    # issue 22: PJP prophylaxis and the usual antibiotics by their ward names, and a dose instruction in the name
    ("TMP-SMX", None, "pass", "pass", "TMP-SMX → trimethoprim; sulfamethoxazole, not in the CYP3A4"),
    ("sulfamethoxazole / trimethoprim", None, "pass", "pass", "→ sulfamethoxazole; trimethoprim"),
    ("co-trimoxazole 240 mg/5 mL, 5 mL twice daily Sat/Sun", None, "pass", "pass", "→ sulfamethoxazole; trimethoprim"),
    ("pip-tazo", None, "pass", "pass", "pip-tazo → piperacillin; tazobactam"),
    ("amox-clav", None, "pass", "pass", "amox-clav → amoxicillin; clavulanic acid"),
    ("5 mL twice daily Sat/Sun", None, "unknown", "unknown", "is a strength or dose instruction, not a medication"),
]


def _channel_record(eligible_json, name, rxnorm):
    med = {"name": name, "route": "oral", "dose": 0.2, "dose_unit": "mg/kg/day", "start": "2026-11-20"}
    if rxnorm:
        med["rxnorm"] = rxnorm
    eligible_json["history"]["medications"] = [med]
    return eligible_json


def _statuses_and_text(report: dict) -> tuple[str, str, str]:
    by_id = {c["id"]: c for c in report["criteria"]}
    e7, e8 = by_id["NCT06674265-E7"], by_id["NCT06674265-E8"]
    return e7["status"], e8["status"], json.dumps([e7["reason"], e8["reason"], report["to_settle"]], ensure_ascii=False)


@pytest.mark.parametrize("name,rxnorm,e7,e8,words", CHANNEL_CASES, ids=[c[0] for c in CHANNEL_CASES])
def test_medication_names_on_the_cli(tmp_path, eligible_json, name, rxnorm, e7, e8, words):
    from click.testing import CliRunner

    from screener.cli import main

    path = tmp_path / "record.json"
    path.write_text(json.dumps(_channel_record(eligible_json, name, rxnorm)))
    result = CliRunner().invoke(
        main, ["screen", str(path), "--trial", "NCT06674265", "--as-of", "2026-11-22", "--format", "json"]
    )
    got7, got8, text = _statuses_and_text(json.loads(result.stdout))
    assert (got7, got8) == (e7, e8) and words in text


@pytest.mark.parametrize("name,rxnorm,e7,e8,words", CHANNEL_CASES, ids=[c[0] for c in CHANNEL_CASES])
def test_medication_names_on_the_api(client, eligible_json, name, rxnorm, e7, e8, words):
    response = client.post(
        "/api/v1/trials/NCT06674265/screen?as_of=2026-11-22",
        content_type="application/json",
        data=json.dumps(_channel_record(eligible_json, name, rxnorm)),
    )
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    got7, got8, text = _statuses_and_text(response.get_json()["report"])
    assert (got7, got8) == (e7, e8) and words in text


# --- the form's suggestions ---------------------------------------------------------------------------------------
def test_every_curated_brand_resolves_to_a_class_ingredient():
    from screener.facts.brand_names import BRANDS
    from screener.facts.drug_names import vocabulary

    tables = load_tables()
    words = vocabulary(tables.medications)
    classes = set(tables.corticosteroids.drugs) | set(tables.cyp3a4.drugs)
    assert len(set(BRANDS)) == len(BRANDS)
    for brand in BRANDS:
        assert any(words.active(i) in classes for i in words.resolve(brand).ingredients), brand


def test_the_form_offers_only_real_names_of_class_drugs():
    from screener.facts.drug_names import vocabulary
    from screener.facts.medications import suggested_names

    tables = load_tables()
    words = vocabulary(tables.medications)
    classes = set(tables.corticosteroids.drugs) | set(tables.cyp3a4.drugs)
    offered = suggested_names(tables)
    for name in offered:  # each one is recognised, and as a drug of a class the criteria count
        assert any(words.active(i) in classes for i in words.resolve(name).ingredients), name
    for real in (
        "decadron",
        "dexamethasone",
        "medrol",
        "solu-medrol",
        "orapred",
        "tegretol",
        "rifampin",
        "kaletra",
        "voriconazole",
        "cresemba",
        "hypericum perforatum",
        "grapefruit juice",
    ):
        assert real in offered, real
    # what the library recognises but nobody should be offered: fragments, foreign and Latin spellings, chemical
    # synonyms, veterinary products, regional generics; and drugs of no class (they are still recognised when typed)
    for junk in (
        "ears and nose",
        "and veldex",
        "sone",
        "prdl",
        "t stat",
        "carbamazepina",
        "dexamethasonum",
        "betametasona",
        "kendall's compound e",
        "beuthanasia-d special",
        "otomax",
        "fluconazol ratiopharm",
        "diadresonf",
        "guanyejinsitao",
        "simvistatin",
        "nicotine",
        "yaz",
    ):
        assert junk not in offered, junk
        assert words.resolve(junk).ingredients or junk in ("diadresonf",), junk  # recognising is unchanged


# --- daily exposure, summed (issue 22) ---------------------------------------------------------------------------
def _steroid(name, dose, unit="mg/kg/day", route="oral", start="2026-11-10", end=None):
    entry = {"name": name, "route": route, "dose": dose, "dose_unit": unit, "start": start}
    return entry | ({"end": end} if end else {})


def test_concurrent_entries_each_below_the_threshold_add_up(eligible_json):
    # hydrocortisone 1.2 mg/kg/day × 0.25 = 0.30, dexamethasone 0.04 × 6.67 = 0.27: 0.57 in all
    got = facts(eligible_json, _steroid("hydrocortisone", 1.2), _steroid("dexamethasone", 0.04, route="iv"))
    steroid = got[STEROID]
    assert steroid.value == 0 and steroid.clears_on is None  # ongoing: clears only after it stops
    assert "hydrocortisone 0.30 + dexamethasone 0.27 = 0.57 mg/kg/day prednisone-equivalent" in display(steroid)
    assert display(steroid).count("(below 0.5 on its own)") == 2  # each entry alone, and their sum


@pytest.mark.parametrize(("second", "value"), [(0.2, 0), (0.19, 1_000_000)])
def test_a_sum_exactly_at_the_threshold_counts_and_just_below_does_not(eligible_json, second, value):
    got = facts(eligible_json, _steroid("prednisone", 0.3), _steroid("prednisolone", second))
    assert got[STEROID].value == 0 if value == 0 else got[STEROID].value >= value


def test_split_mg_per_day_doses_are_summed_with_the_weight(eligible_json):
    # 24.5 kg: 7.35 + 4.9 mg/day = 12.25 mg/day = 0.5 mg/kg/day
    got = facts(eligible_json, _steroid("prednisone", 7.35, "mg/day"), _steroid("prednisone", 4.9, "mg/day"))
    assert got[STEROID].value == 0


@pytest.mark.parametrize(("second_end", "days", "clears"), [
    ("2026-11-15", 7, None),  # the last day both were taken is the 7th before: outside the window
    ("2026-11-16", 6, date(2026, 11, 23)),  # 6th day before: inside, clears 7 days after that day
])
def test_the_window_counts_from_the_last_day_the_sum_reached_the_threshold(eligible_json, second_end, days, clears):
    # The first entry alone (0.3) goes on to 20 Nov: only the days both were taken count.
    got = facts(eligible_json, _steroid("prednisone", 0.3, start="2026-11-01", end="2026-11-20"),
                _steroid("prednisone", 0.3, start="2026-11-09", end=second_end))
    assert got[STEROID].value == days and got[STEROID].clears_on == clears
    assert got[STEROID].date == date.fromisoformat(second_end)


def test_an_entry_of_unknown_dose_beside_one_below_the_threshold_is_unknown(eligible_json):
    got = facts(eligible_json, _steroid("prednisone", 0.3),
                {"name": "dexamethasone", "route": "iv", "start": "2026-11-10"})
    assert got[STEROID].value is None and got[STEROID].unknown == "dose_unknown"


def test_known_entries_that_already_reach_the_sum_fail_whatever_the_unknown_one_is(eligible_json):
    # The known pair ended 2 days ago; the unknown dose goes on, so only the day it clears is unknown.
    unknown_dose = {"name": "dexamethasone", "route": "iv", "start": "2026-11-10"}
    got = facts(eligible_json, _steroid("prednisone", 0.3, end="2026-11-20"),
                _steroid("prednisone", 0.3, end="2026-11-20"), unknown_dose)
    assert got[STEROID].value == 2 and got[STEROID].clears_on is None
    assert "clearing date unknown" in display(got[STEROID])


def test_non_systemic_entries_are_not_added(eligible_json):
    got = facts(eligible_json, _steroid("prednisone", 0.3), _steroid("budesonide", 0.3, route="inhaled"))
    assert got[STEROID].value >= 1_000_000


def _daily(path, mg, start, end=None):
    from screener.facts.medications import DailyDose
    from screener.model.record import Medication

    med = Medication(name="prednisone", route="oral", dose=mg, dose_unit="mg/kg/day",
                     start=date.fromisoformat(start), end=date.fromisoformat(end) if end else None)
    return DailyDose(path, med, mg, path)


def test_exposure_runs_cut_at_every_change_of_the_sum():
    from screener.facts.medications import exposure_runs

    dose = _daily
    dosed = [dose("a", 0.3, "2000-01-01", "2026-11-20"), dose("b", 0.3, "2026-11-03", "2026-11-05"),
             dose("c", 0.25, "2026-11-05", "2026-11-08"), dose("d", 0.6, "2026-11-21")]
    runs = exposure_runs(dosed, 0.5, AS_OF)
    # a+b on 3-5 Nov, a+c on 5-8 Nov (one run: 5 Nov has all three), d alone from 21 Nov, still going on
    assert [(r.start, r.end) for r in runs] == [
        (date(2026, 11, 3), date(2026, 11, 8)),
        (date(2026, 11, 21), None),
    ]
    assert "a 0.30 + c 0.25" not in entry(runs[0].label)  # entries are named by the medication's name
    # The run's span, then the sum of its last day (a + c; b had stopped): not a sum that held throughout.
    said = entry(runs[0].label)
    assert "from 2026-11-03 to 2026-11-08: on 2026-11-08, prednisone 0.30 + prednisone 0.25 = 0.55" in said
    assert exposure_runs(dosed, 0.9, AS_OF) == []  # the most on any day is 0.85 (a, b and c on 5 Nov)


def test_exposure_runs_shortcut_when_every_dose_together_stays_below_the_threshold():
    # exposure_runs answers at once when even the sum of every entry is below the threshold; at the boundary
    # (a sum equal to it after rounding) the days are still added up.
    from screener.facts.medications import exposure_runs

    together = [_daily("a", 0.3, "2026-11-01", "2026-11-10"), _daily("b", 0.2, "2026-11-05", "2026-11-06")]
    assert [(r.start, r.end) for r in exposure_runs(together, 0.5, AS_OF)] == [
        (date(2026, 11, 5), date(2026, 11, 6))]
    assert exposure_runs(together, 0.5000001, AS_OF) == []
    apart = [_daily("a", 0.3, "2026-11-01", "2026-11-02"), _daily("b", 0.3, "2026-11-05", "2026-11-06")]
    assert exposure_runs(apart, 0.5, AS_OF) == []  # 0.6 in all, never on one day
    assert exposure_runs([], 0.5, AS_OF) == []
