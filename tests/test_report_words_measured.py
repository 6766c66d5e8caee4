"""A criterion reading a record's measured lab value (a LabFact or LabMultipleFact, not a shared Fact) is worded
afresh, with no memo key made (screening._MEASURED): the value is new in nearly every record. Every other criterion
still goes through the memo, so what its key holds must still tell apart what its words read."""
import dataclasses
from collections import OrderedDict
from datetime import timedelta

from screener import screening

from .test_report_words_memo import NCT, _criterion, _eligible, _fresh, _report, _with


def _keyed(criterion_id):
    return [k for k in screening._RESULTS if k.parts[0] == id(_compiled(criterion_id))]


def _compiled(criterion_id):
    judged = _eligible()
    return next(c for c in judged[0].criteria if c.id == criterion_id)


def test_a_criterion_reading_a_measured_lab_value_makes_no_entry(monkeypatch):
    monkeypatch.setattr(screening, "_RESULTS", OrderedDict())
    judged = _eligible()
    report = _report(judged)
    assert not _keyed(f"{NCT}-E1")  # platelets, ANC, haemoglobin measured: no key made
    assert _keyed(f"{NCT}-I5")  # imaging, attestations: keyed
    assert report == _fresh(monkeypatch, judged)


def test_a_lab_value_shared_by_every_record_keeps_the_memo(monkeypatch):
    """The rule is what the criterion reads in this record: a shared lab Fact (an unrecorded value) is keyed."""
    monkeypatch.setattr(screening, "_RESULTS", OrderedDict())
    judged = _eligible()
    facts = dict(judged[1])
    for key in list(facts):
        if isinstance(key, screening._MEASURED):
            facts[key] = dataclasses.replace(facts[key], shared=True)
    _report(judged, facts=facts)
    assert _keyed(f"{NCT}-E1")


def test_a_memoised_criterion_s_fact_differing_only_in_its_date_gets_its_own_words(monkeypatch):
    """As the memo's own date test, on a criterion still keyed (its lab criterion is no longer)."""
    monkeypatch.setattr(screening, "_RESULTS", OrderedDict())
    judged = _eligible()
    first = _criterion(_report(judged), f"{NCT}-I5")
    moved = _with(judged, "imaging.largest_lesion_mm",
                  lambda f: dataclasses.replace(f, date=f.date - timedelta(days=1)))
    second = _criterion(_report(judged, facts=moved), f"{NCT}-I5")
    assert second != first
    assert second == _criterion(_fresh(monkeypatch, judged, facts=moved), f"{NCT}-I5")
