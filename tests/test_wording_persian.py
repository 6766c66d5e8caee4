"""The wording modules a Persian report reads besides the facts' words (issue 30 point 3): a report's warnings (the
values to confirm), a day window's event, a threshold's multiple, dates in free text; each English as before."""
import json
from datetime import date

import pytest
from freezegun import freeze_time

from screener.facts.keys import Event
from screener.model.language import persian_digits
from screener.rules import load_tables
from screener.screening import parse_record, screen_outcome
from screener.wording.events import describe, noun
from screener.wording.plausibility import confirm_message, impossible_message
from screener.wording.sentences import sentences
from screener.wording.text import plain, spell_dates
from screener.wording.thresholds import MULTIPLES, LimitOf, Stated, after_number

from .helpers import PATIENTS

AS_OF = date(2026, 11, 22)  # 1 Azar 1405
TABLES = load_tables()


def _platelets(value: float, unit: str = "/uL") -> dict:
    record = json.loads((PATIENTS / "eligible.json").read_text())
    record["observations"] = [o for o in record["observations"] if o["test"] != "platelets"]
    record["observations"].append({"test": "platelets", "unit": unit, "value": value, "date": "2026-11-18"})
    return record


@freeze_time("2026-12-06")
def test_a_persian_report_asks_its_values_to_confirm_in_persian_and_the_english_one_as_before():
    outcome = screen_outcome(parse_record(json.dumps(_platelets(3000))), "NCT06674265", AS_OF)
    english, persian = outcome.worded(), outcome.worded("fa")
    assert [w.message for w in english.warnings] == [
        "Platelets below 5,000 /µL: possible, but usually a slip; check the value"]
    assert [w.field for w in persian.warnings] == [w.field for w in english.warnings]
    assert [w.message for w in persian.warnings] == [
        "پلاکت کمتر از ۵٬۰۰۰ /µL: ممکن است، اما معمولاً خطای ثبت است؛ مقدار را بررسی کنید"]


@pytest.mark.parametrize("row", [r for r in TABLES.to_confirm.labs + TABLES.impossible.labs if r.did_you_mean])
def test_a_slip_s_question_names_the_likely_unit_in_both_languages(row):
    unit = row.given_in[0] if row.given_in else row.unit
    for message in (confirm_message, impossible_message):
        english, persian = message(row, unit), message(row, unit, "fa")
        assert "did you mean" in english and "آیا منظور" in persian
        assert "did you mean" not in persian and "%(" not in persian


def test_a_day_window_s_event_in_persian_and_the_compiled_text_english():
    course = Event(chemotherapy_end=True)
    assert describe(course) == "end of a chemotherapy course"
    assert describe(course, "fa") == "پایان دوره شیمی‌درمانی"
    platelets = Event(transfusion="platelets")
    assert describe(platelets) == "platelet transfusion"
    assert describe(platelets, "fa") == noun(platelets, "fa") != noun(platelets)
    steroid = Event(medication_class="systemic_corticosteroid", min_prednisone_mg_kg_day=0.5)
    assert describe(steroid) == "systemic corticosteroid at ≥ 0.5 mg/kg/day prednisone-equivalent"
    assert "۰٫۵ mg/kg/day" in describe(steroid, "fa")


def test_a_threshold_s_multiple_and_stated_limit_in_the_reader_s_words():
    fa, en = sentences("fa"), sentences("en")
    uln = Stated("1.5", then=MULTIPLES["uln"])
    assert after_number(uln) == after_number(uln, str, en) == " × ULN"
    assert after_number(uln, str, fa) == " × ULN"  # an abbreviation charts keep
    age_sex = Stated("1.5", then=MULTIPLES["age_sex_max"])
    assert after_number(age_sex) == " × age/sex maximum" and "سن/جنس" in after_number(age_sex, str, fa)
    stated = Stated("3", then=LimitOf(45, "U/L", 135, "U/L", "the trial's stated ULN for ALT"))
    assert after_number(stated) == after_number(stated, str, en) == \
        " × 45 U/L (= 135 U/L; limit: the trial's stated ULN for ALT)"
    assert after_number(stated, str, fa) == " × ۴۵ U/L (= ۱۳۵ U/L؛ حد: ULN اعلام‌شده در کارآزمایی برای ALT)"


def test_dates_in_free_text_in_the_reader_s_calendar():
    assert spell_dates("eligible from 2026-11-22") == "eligible from 22 Nov 2026"
    assert spell_dates(AS_OF, "fa") == "۱ آذر ۱۴۰۵"
    assert spell_dates("2026-03-21", "fa") == f"{persian_digits('1')} فروردین {persian_digits('1405')}"  # Nowruz
    assert plain("value dated 2026-11-22 (observations[0].value)") == "value dated 22 Nov 2026"
    assert plain("2026-11-22 (observations[0].value)", "fa") == "۱ آذر ۱۴۰۵"


def test_a_threshold_s_unit_that_is_a_word_reads_in_persian_and_a_symbol_stays_latin():
    from screener.model.labs import unit_label

    fa = sentences("fa")
    assert after_number(Stated("19", "years"), unit_label) == " years"
    assert after_number(Stated("19", "years"), unit_label, fa) == " سال"
    assert after_number(Stated("10", "mm"), unit_label, fa) == " mm"
    assert after_number(Stated("50000", "/uL"), unit_label, fa) == " /µL"


def test_no_persian_report_of_the_demo_patients_shows_an_english_unit_word():
    for patient in ("eligible", "incomplete", "ineligible-waiting"):
        text = (PATIENTS / f"{patient}.json").read_text()
        report = screen_outcome(parse_record(text), "NCT06674265", AS_OF).worded("fa")
        assert not [c.reason for c in report.criteria if " years" in c.reason or " months" in c.reason]


def test_the_registry_s_item_number_in_persian_and_english_as_before():
    from screener.explain import registry_label

    assert registry_label("exclusion", "3") == "Exclusion 3" and registry_label("inclusion", None) == "Inclusion"
    assert registry_label("exclusion", "3-") == "Exclusion 3- (the registry's second list)"
    assert registry_label("exclusion", "3", "fa") == "معیار خروج ۳"
    assert registry_label("inclusion", None, "fa") == "معیار ورود"
    assert registry_label("exclusion", "3-", "fa") == "معیار خروج ۳- (فهرست دوم در سامانه ثبت کارآزمایی)"
