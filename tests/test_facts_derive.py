"""Clinical arithmetic at its edges: ages on birthdays, day windows, Schwartz, ULN by age and sex, doses."""
import json
from datetime import date

import pytest
from freezegun import freeze_time

from screener.facts.derive import completed_months, completed_years, derive, mosteller_bsa
from screener.facts.keys import DaysSinceFact, Event, FactKey, LabFact, LabMultipleFact
from screener.model.ruleset import Lookback
from screener.rules import load_tables
from screener.screening import parse_record
from screener.wording.facts import settle, source

LOOKBACK = Lookback(labs_days=14, imaging_days=42, findings_days=14, attestations_days=14, rationale="test")
AS_OF = date(2026, 11, 22)


def fact(record_json: dict, key: FactKey, as_of: date = AS_OF):
    return derive(parse_record(json.dumps(record_json)), as_of, [key], LOOKBACK, load_tables())[key]


@pytest.mark.parametrize("birth,on,years", [
    (date(2010, 11, 22), date(2026, 11, 22), 16),  # birthday: counts from its own day
    (date(2010, 11, 23), date(2026, 11, 22), 15),  # day before the birthday
    (date(2009, 11, 23), date(2026, 11, 22), 16),  # last day at 16
    (date(2009, 11, 22), date(2026, 11, 22), 17),
    (date(2016, 2, 29), date(2026, 2, 28), 9),     # leap-day child in a common year: not yet
    (date(2016, 2, 29), date(2026, 3, 1), 10),     # ... a year older on 1 March
    (date(2016, 2, 29), date(2028, 2, 29), 12),    # ... and on 29 February in a leap year
])
def test_completed_years(birth, on, years):
    assert completed_years(birth, on) == years


@pytest.mark.parametrize("birth,on,months", [
    (date(2024, 11, 22), date(2026, 11, 22), 24), (date(2024, 11, 23), date(2026, 11, 22), 23),
    (date(2026, 1, 31), date(2026, 2, 28), 0), (date(2026, 1, 31), date(2026, 3, 1), 1),
])
def test_completed_months(birth, on, months):
    assert completed_months(birth, on) == months


def test_bsa():
    assert mosteller_bsa(150, 54) == pytest.approx(1.5)


@pytest.mark.parametrize("birth,sex,creatinine,expected_ratio", [
    ("2024-11-22", "female", 0.8, 1.0),   # 24 months: first day of the 2-to-6 row (0.8)
    ("2024-11-23", "female", 0.6, 1.0),   # 23 months: 1-to-2 row (0.6)
    ("2013-11-22", "male", 1.5, 1.0),     # 13 years: unverified row, male 1.5
    ("2013-11-22", "female", 1.4, 1.0),   # 13 years: unverified row, female 1.4
    ("2010-11-22", "male", 1.7, 1.0),     # 16 years: male 1.7
    ("2010-11-22", "female", 1.7, 1.7 / 1.4),
])
def test_creatinine_limit_by_age_and_sex(eligible_json, birth, sex, creatinine, expected_ratio):
    eligible_json["demographics"].update(birth_date=birth, sex=sex)
    eligible_json["observations"].append({"test": "2160-0", "value": creatinine, "unit": "mg/dL", "date": "2026-11-21"})
    result = fact(eligible_json, LabMultipleFact("creatinine", "creatinine_max_for_age_sex"))
    assert result.value == pytest.approx(expected_ratio)


def test_unverified_creatinine_row_is_flagged(eligible_json):
    eligible_json["demographics"].update(birth_date="2012-01-01", sex="male")
    assert "UNVERIFIED" in source(fact(eligible_json, LabMultipleFact("creatinine", "creatinine_max_for_age_sex")))


def test_creatinine_limit_needs_sex_only_where_rows_differ(eligible_json):
    eligible_json["demographics"].update(birth_date="2012-01-01", sex="unknown")
    assert fact(eligible_json, LabMultipleFact("creatinine", "creatinine_max_for_age_sex")).value is None
    eligible_json["demographics"].update(birth_date="2018-01-01")
    assert fact(eligible_json, LabMultipleFact("creatinine", "creatinine_max_for_age_sex")).value == pytest.approx(0.45)


def test_bilirubin_uln_prefers_the_labs_own_range(eligible_json):
    assert fact(eligible_json, LabMultipleFact("bilirubin", "uln")).value == pytest.approx(0.6 / 1.0)
    del eligible_json["observations"][3]["reference_high"]
    result = fact(eligible_json, LabMultipleFact("bilirubin", "uln"))
    assert result.value == pytest.approx(0.6 / 1.2)
    assert "default ULN 1.2 mg/dL" in source(result)


def test_lab_without_default_uln_is_unknown_without_the_labs_range(eligible_json):
    eligible_json["observations"].append({"test": "1920-8", "value": 40, "unit": "U/L", "date": "2026-11-21"})
    result = fact(eligible_json, LabMultipleFact("ast", "uln"))
    assert result.value is None and "reference_high" in settle(result.settle)


def test_latest_value_wins_and_future_values_are_ignored(eligible_json):
    eligible_json["observations"] += [
        {"test": "777-3", "value": 90, "unit": "10*3/uL", "date": "2026-11-20"},
        {"test": "777-3", "value": 10, "unit": "10*3/uL", "date": "2026-11-23"},  # after the as-of date
    ]
    result = fact(eligible_json, LabFact("platelets"))
    assert result.value == 90_000 and result.date == date(2026, 11, 20)


def test_same_day_values_last_listed_wins(eligible_json):
    eligible_json["observations"].append({"test": "777-3", "value": 99, "unit": "10*3/uL", "date": "2026-11-18"})
    assert fact(eligible_json, LabFact("platelets")).value == 99_000


@pytest.mark.parametrize("lab_date,known", [("2026-11-08", True), ("2026-11-07", False)])
def test_lab_lookback_first_and_last_day(eligible_json, lab_date, known):
    eligible_json["observations"] = [{"test": "777-3", "value": 90, "unit": "10*3/uL", "date": lab_date}]
    result = fact(eligible_json, LabFact("platelets"))
    assert (result.value is not None) is known
    if not known:
        assert result.unknown == "too_old" and result.date == date(2026, 11, 7)


WINDOW = DaysSinceFact(Event(transfusion="platelets"), 7)


@pytest.mark.parametrize("when,days,clears", [
    ("2026-11-22", 0, date(2026, 11, 29)),  # same day: within, clears a week later
    ("2026-11-16", 6, date(2026, 11, 23)),  # last day inside the window
    ("2026-11-15", 7, None),                # first day outside
])
def test_transfusion_window_edges(eligible_json, when, days, clears):
    eligible_json["history"]["transfusions"] = [{"product": "platelets", "date": when}]
    result = fact(eligible_json, WINDOW)
    assert result.value == days and result.clears_on == clears


def test_never_transfused_is_far_outside_any_window(eligible_json):
    eligible_json["history"]["transfusions"] = []
    assert fact(eligible_json, WINDOW).value >= 1_000_000
    eligible_json["history"]["transfusions"] = None
    assert fact(eligible_json, WINDOW).value is None


STEROID = DaysSinceFact(Event(medication_class="systemic_corticosteroid", min_prednisone_mg_kg_day=0.5), 7)


@pytest.mark.parametrize("med,qualifies", [
    ({"name": "prednisone", "dose": 0.5, "dose_unit": "mg/kg/day"}, True),
    ({"name": "prednisone", "dose": 0.49, "dose_unit": "mg/kg/day"}, False),
    ({"name": "Dexamethasone", "dose": 0.075, "dose_unit": "mg/kg/day"}, True),   # x 6.67 = 0.50
    ({"name": "dexamethasone", "dose": 0.074, "dose_unit": "mg/kg/day"}, False),
    ({"name": "hydrocortisone", "dose": 2, "dose_unit": "mg/kg/day"}, True),      # x 0.25 = 0.5
    ({"name": "prednisone", "dose": 12.25, "dose_unit": "mg/day"}, True),         # / 24.5 kg = 0.5
    ({"name": "prednisone", "dose": 12.0, "dose_unit": "mg/day"}, False),
    # 124 cm, 24.5 kg: BSA sqrt(124 x 24.5 / 3600) = 0.9186 m2; the threshold is 0.5 x 24.5 / 0.9186 = 13.335 mg/m2/day
    ({"name": "prednisone", "dose": 13.34, "dose_unit": "mg/m2/day"}, True),
    ({"name": "prednisone", "dose": 13.33, "dose_unit": "mg/m2/day"}, False),
])
def test_prednisone_equivalent_threshold(eligible_json, med, qualifies):
    eligible_json["history"]["medications"] = [dict(med, route="oral", start="2026-11-10")]
    assert (fact(eligible_json, STEROID).value == 0) is qualifies


def test_unknown_dose_is_unknown_only_while_it_could_matter(eligible_json):
    prednisone = {"name": "prednisone", "route": "oral", "start": "2026-11-01", "end": "2026-11-20"}
    meds = eligible_json["history"]["medications"] = [prednisone]
    assert fact(eligible_json, STEROID).value is None
    meds[0]["end"] = "2026-11-10"  # ended 12 days ago: outside the 7-day window whatever the dose
    assert fact(eligible_json, STEROID).value >= 1_000_000


@freeze_time("2026-11-22")
def test_screen_defaults_to_today(eligible_record):
    from screener.screening import screen

    assert screen(eligible_record, "NCT06674265").as_of == date(2026, 11, 22)
