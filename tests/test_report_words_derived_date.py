"""The memo of worded criteria (screening._RESULTS) keys a criterion's non-shared facts by their contents: a derived
fact (not a lab value, which the memo's own date test covers) differing only in its date gets its own words."""
import dataclasses
from collections import OrderedDict
from datetime import timedelta

from screener import screening

from .test_report_words_memo import NCT, _criterion, _eligible, _fresh, _report, _with


def test_a_derived_fact_differing_only_in_its_date_gets_its_own_words(monkeypatch):
    monkeypatch.setattr(screening, "_RESULTS", OrderedDict())
    judged = _eligible()
    lesion = next(f for k, f in judged[1].items() if k.slot == "imaging.largest_lesion_mm")
    assert not lesion.shared and lesion.date is not None  # keyed by its contents, not its identity
    first = _criterion(_report(judged), f"{NCT}-I5")
    moved = _with(judged, "imaging.largest_lesion_mm",
                  lambda f: dataclasses.replace(f, date=f.date - timedelta(days=1)))
    second = _criterion(_report(judged, facts=moved), f"{NCT}-I5")
    assert second != first
    assert second == _criterion(_fresh(monkeypatch, judged, facts=moved), f"{NCT}-I5")
