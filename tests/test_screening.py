"""The screening pipeline: verdict rules, as-of checks, the report's reasons and eligible-from."""
import json
from datetime import date

import pytest

from screener.screening import InvalidRecord, UnknownTrial, parse_record, screen

AS_OF = date(2026, 11, 22)


def _screen(record_json, engine="durable", as_of=AS_OF):
    return screen(parse_record(json.dumps(record_json)), "NCT06674265", as_of, engine)


def test_birth_date_after_as_of_is_an_input_error(eligible_json):
    eligible_json["demographics"]["birth_date"] = "2026-11-23"
    with pytest.raises(InvalidRecord) as caught:
        _screen(eligible_json)
    assert [(e.field, e.message) for e in caught.value.errors] == [
        ("demographics.birth_date", "birth date is after the as-of date 2026-11-22")
    ]


def test_unknown_trial(eligible_record):
    with pytest.raises(UnknownTrial):
        screen(eligible_record, "NCT00000000", AS_OF)


def test_one_fail_makes_ineligible_even_with_unknowns(eligible_json):
    eligible_json["findings"]["hiv_status"] = "positive"
    eligible_json["observations"] = []
    report = _screen(eligible_json)
    assert report.verdict == "ineligible"
    assert report.counts["fail"] == 1 and report.counts["unknown"] >= 3


def test_unknown_reports_what_would_settle_it(eligible_json):
    eligible_json["observations"] = [o for o in eligible_json["observations"] if o["test"] != "777-3"]
    report = _screen(eligible_json)
    assert report.verdict == "incomplete"
    e1 = next(c for c in report.criteria if c.id == "NCT06674265-E1")
    assert e1.status == "unknown"
    # Wording changed in issue 14: an instruction to a coordinator, units as people write them.
    assert e1.to_settle == [
        "Record Platelet count (/µL, /mm³, ×10³/µL, ×10³/mm³, ×10⁹/L) dated within the last 14 days"
    ]
    assert report.to_settle == e1.to_settle


def test_reason_carries_value_unit_date_and_threshold(eligible_json):
    eligible_json["observations"].append({"test": "777-3", "value": 45, "unit": "10*3/uL", "date": "2026-11-21"})
    e1 = next(c for c in _screen(eligible_json).criteria if c.id == "NCT06674265-E1")
    assert e1.status == "fail"
    # Wording changed in issue 14 (clinical sentence instead of the encoded predicate); the same value, unit,
    # date and threshold are all still there.
    assert e1.reason.startswith("Platelets 45 ×10³/µL (= 45,000 /µL) on 21 Nov 2026 — needs more than 50,000 /µL")
    platelets = next(e for e in e1.evidence if e.fact == "lab.platelets")
    assert (platelets.unit, platelets.date, platelets.holds) == ("/uL", date(2026, 11, 21), True)


def test_stale_value_is_unknown_with_its_date(eligible_json):
    eligible_json["observations"] = [
        dict(o, date="2026-10-01") if o["test"] == "1742-6" else o for o in eligible_json["observations"]
    ]
    e2 = next(c for c in _screen(eligible_json).criteria if c.id == "NCT06674265-E2")
    assert e2.status == "unknown"
    assert "1 Oct 2026" in e2.reason  # dates as people read them (issue 14)
    assert [e.unknown for e in e2.evidence if e.holds is None] == ["too_old"]


def test_eligible_from_only_when_waiting_clears_every_fail(eligible_json):
    eligible_json["history"]["transfusions"].append({"product": "platelets", "date": "2026-11-20"})
    # An echo that is still recent on 2026-11-28 (the demo's of 2026-11-12 would be too old by then).
    eligible_json["observations"] += [
        {"test": "shortening_fraction", "value": 34, "unit": "%", "date": "2026-11-21"},
        {"test": "10230-1", "value": 63, "unit": "%", "date": "2026-11-21"},
    ]
    report = _screen(eligible_json)
    assert report.verdict == "ineligible" and report.eligible_from == date(2026, 11, 28)
    eligible_json["findings"]["hiv_status"] = "positive"
    report = _screen(eligible_json)
    assert report.eligible_from is None
    assert next(c for c in report.criteria if c.id == "NCT06674265-E1").eligible_from == date(2026, 11, 28)


def test_waiting_does_not_clear_a_transfusion_if_the_count_is_also_low(eligible_json):
    eligible_json["history"]["transfusions"].append({"product": "platelets", "date": "2026-11-20"})
    # Drawn the day before the transfusion: transfusion-independent, and low.
    eligible_json["observations"].append({"test": "777-3", "value": 30, "unit": "10*3/uL", "date": "2026-11-19"})
    e1 = next(c for c in _screen(eligible_json).criteria if c.id == "NCT06674265-E1")
    assert e1.status == "fail" and e1.eligible_from is None


@pytest.mark.parametrize("engine", ["durable", "reference"])
def test_report_is_identical_whichever_engine(eligible_json, engine):
    eligible_json["observations"] = eligible_json["observations"][:3]
    baseline = _screen(eligible_json, "reference").model_dump(exclude={"engine"})
    assert _screen(eligible_json, engine).model_dump(exclude={"engine"}) == baseline


def test_report_names_rule_set_version_and_digest(eligible_record):
    report = screen(eligible_record, "NCT06674265", AS_OF)
    assert report.rule_set_version == "2.4.0" and report.rule_set_digest.startswith("sha256:")
    assert report.coverage.complete and report.coverage.criteria_by_attestation == 4


def test_screen_all_orders_eligible_then_incomplete_then_ineligible():
    from screener.screening import screen_all

    from .helpers import PATIENTS

    glioma = json.loads((PATIENTS / "glioma-recurrent.json").read_text())
    # Refractory: IRCT20170122032121N6's population, while N7's (newly diagnosed) stays open (relapsed fails it).
    glioma["diagnosis"]["disease_status"] = "refractory"
    reports = screen_all(parse_record(json.dumps(glioma)), AS_OF)
    verdicts = [r.verdict for r in reports]
    # A partial rule set whose encoded criteria all pass is never "eligible".
    assert verdicts[:2] == ["no_known_exclusion", "incomplete"] and set(verdicts[2:]) == {"ineligible"}
    assert [r.trial_id for r in reports[:2]] == ["IRCT20170122032121N6", "IRCT20170122032121N7"]
    assert reports[0].verdict_text == "NO KNOWN EXCLUSION — PARTIAL, 2 criteria encoded"
    assert "no known exclusion — PARTIAL, 2 criteria encoded" in reports[0].summary and not reports[0].coverage.complete
    assert "ELIGIBLE" not in reports[0].verdict_text.replace("INELIGIBLE", "")


def test_incomplete_reports_with_fewer_open_items_come_first(eligible_json):
    from screener.screening import screen_all

    eligible_json["diagnosis"]["disease_status"] = None  # one unknown for IRCT20201202049568N1, three for NCT06674265
    eligible_json["diagnosis"]["risk_group"] = "high"
    reports = screen_all(parse_record(json.dumps(eligible_json)), AS_OF, trials=["IRCT20201202049568N1", "NCT06674265"])
    # At equal verdict a complete rule set ranks above a partial one, whatever the open items.
    assert [(r.trial_id, r.counts["unknown"]) for r in reports] == [("NCT06674265", 2), ("IRCT20201202049568N1", 1)]
    eligible_json["findings"]["hiv_status"] = None
    reports = screen_all(parse_record(json.dumps(eligible_json)), AS_OF, trials=["NCT06674265", "IRCT20201202049568N1"])
    assert [r.trial_id for r in reports] == ["NCT06674265", "IRCT20201202049568N1"]


def test_incomplete_reports_with_fewer_open_items_come_first_at_equal_coverage(eligible_json):
    from screener.screening import rank, screen_all

    eligible_json["findings"]["hiv_status"] = None
    one = screen_all(parse_record(json.dumps(eligible_json)), AS_OF, trials=["NCT06674265"])[0]
    eligible_json["attestations"]["able_to_comply"] = "not_assessed"
    two = screen_all(parse_record(json.dumps(eligible_json)), AS_OF, trials=["NCT06674265"])[0]
    assert (one.counts["unknown"], two.counts["unknown"]) == (1, 2) and rank(one) < rank(two)
