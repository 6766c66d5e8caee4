"""A criterion's worded result (reason, evidence, to-dos) is made once per shape and shared (screening._RESULTS): a
result served from the memo is the one the same screening makes afresh, for every pinned screening in an order other
than the snapshot's, in English and in Persian; and two screenings that differ only in something the words read
(a date, a value's type, the reader's language) never share one."""
import dataclasses
from collections import OrderedDict
from datetime import timedelta
from itertools import islice

import pytest

from screener import screening
from screener.facts.fact import Fact
from screener.facts.provenance import AsRecorded
from screener.screening import _judged, build_report, parse_record

from .helpers import PATIENTS
from .report_cases import AS_OF, cases

NCT = "NCT06674265"


def _fresh(monkeypatch, *args, **kwargs):
    """_report with an empty memo (nothing served from an earlier screening), the memo restored after."""
    with monkeypatch.context() as m:
        m.setattr(screening, "_RESULTS", OrderedDict())
        return _report(*args, **kwargs)


def _report(judged, language="en", facts=None, as_of=AS_OF):
    rule_set, found, statuses, clearing, clears_on, waited, engine = judged
    return build_report(rule_set, facts or found, statuses, clearing, as_of, engine, clears_on, waited, [], language)


def _criterion(report, criterion_id):
    return next(c for c in report.criteria if c.id == criterion_id)


@pytest.mark.parametrize("language", ["en", "fa"])
def test_a_result_from_the_memo_is_the_one_made_afresh(monkeypatch, language):
    monkeypatch.setattr(screening, "_RESULTS", OrderedDict())
    monkeypatch.setattr(screening, "_RESULTS_MEMO", 10**6)  # nothing dropped: what is not served is counted
    judged = [(_judged(parse_record(text), trial, as_of, "durable"), as_of) for _, text, trial, as_of in cases()]
    for j, as_of in judged:  # warm, in the pinned order
        _report(j, language, as_of=as_of)
    served = made = total = 0
    for j, as_of in reversed(judged):
        screening._RESULTS.popitem()  # the newest entry out: not everything is served from the memo
        before = len(screening._RESULTS)
        memo = _report(j, language, as_of=as_of)
        made += len(screening._RESULTS) - before
        served += len(memo.criteria) - (len(screening._RESULTS) - before)
        total += len(memo.criteria)
        fresh = _fresh(monkeypatch, j, language, as_of=as_of)
        assert memo.model_dump_json() == fresh.model_dump_json()
    assert made > 0
    assert served >= total - len(judged)  # all but the one left out each time: the memo was used, not bypassed


def _eligible():
    return _judged(parse_record((PATIENTS / "eligible.json").read_bytes()), NCT, AS_OF, "durable")


def _with(judged, slot, change):
    facts = dict(judged[1])
    key = next(k for k in facts if k.slot == slot)
    facts[key] = change(facts[key])
    return facts


def test_a_fact_differing_only_in_its_date_gets_its_own_words(monkeypatch):
    judged = _eligible()
    first = _criterion(_report(judged), f"{NCT}-E1")
    platelets = judged[1][next(k for k in judged[1] if k.slot == "lab.platelets")]
    moved = _with(judged, "lab.platelets", lambda f: dataclasses.replace(f, date=f.date - timedelta(days=1)))
    second = _criterion(_report(judged, facts=moved), f"{NCT}-E1")
    assert platelets.date is not None and second.reason != first.reason
    assert second == _criterion(_fresh(monkeypatch, judged, facts=moved), f"{NCT}-E1")


def test_equal_values_of_another_type_get_their_own_words(monkeypatch):
    """1, 1.0 and True are equal (and hash alike) but a value as recorded reads "1", "1.0" and "yes"."""
    judged = _eligible()
    key = next(k for k in judged[1] if k.slot == "diagnosis.induction_cycles")
    reasons = []
    for value in (4, 4.0):
        facts = {**judged[1], key: Fact(value, AsRecorded(value))}  # not shared: keyed by its contents
        made = _criterion(_report(judged, facts=facts), f"{NCT}-I1")
        assert made == _criterion(_fresh(monkeypatch, judged, facts=facts), f"{NCT}-I1")
        reasons.append(made.reason)
    assert reasons[0] != reasons[1]


def test_the_reader_s_language_gets_its_own_words():
    judged = _eligible()
    english, persian = _report(judged, "en"), _report(judged, "fa")
    assert [c.reason for c in english.criteria] != [c.reason for c in persian.criteria]
    assert english.criteria[0].reason == _report(judged, "en").criteria[0].reason


def test_the_memo_is_bounded(monkeypatch):
    monkeypatch.setattr(screening, "_RESULTS", OrderedDict())
    monkeypatch.setattr(screening, "_RESULTS_MEMO", 5)
    for _, text, trial, as_of in islice(cases(), 30):
        _report(_judged(parse_record(text), trial, as_of, "durable"))
        assert len(screening._RESULTS) <= 5


def test_a_zero_with_a_sign_reads_as_zero_and_shares_no_words(monkeypatch):
    """Regression (review of the memo): JSON keeps -0.0, which equals 0.0 and hashes alike, so a child measuring
    -0.0 first had another child's 0.0 worded "-0" from the memo. The record reads -0.0 as 0, so neither says -0."""
    import json

    monkeypatch.setattr(screening, "_RESULTS", OrderedDict())
    base = json.loads((PATIENTS / "eligible.json").read_text())
    worded = []
    for zero in (-0.0, 0.0):
        record = json.loads(json.dumps(base))
        for scan in record["history"]["imaging"]:
            scan["largest_lesion_mm"] = zero
        parsed = parse_record(json.dumps(record))
        assert all(str(scan.largest_lesion_mm) == "0.0" for scan in parsed.history.imaging)
        report = _report(_judged(parsed, NCT, AS_OF, "durable"))
        worded.append(report.model_dump_json())
        lesion = [e for c in report.criteria for e in c.evidence if "lesion" in e.fact]
        assert lesion and all(not str(e.value).startswith("-") for e in lesion)
        assert all("-0 mm" not in c.reason for c in report.criteria)
    assert worded[0] == worded[1]
