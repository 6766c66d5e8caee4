"""Verdict and Status, declared once (model/verdict.py): the same JSON words as before, one order, one verdict line
for the report, the pages and the CLI, and reports stored before verdict_text still read with the same line."""
import json
from datetime import date

import pytest
from pydantic import ValidationError

from screener.model.report import CriterionResult, Report
from screener.model.verdict import Status, Verdict
from screener.screening import parse_record, screen_all

from .helpers import PATIENTS

AS_OF = date(2026, 11, 22)


def test_the_json_words_are_the_ones_reports_have_always_used():
    assert [v.value for v in Verdict] == ["eligible", "no_known_exclusion", "incomplete", "ineligible"]
    assert [s.value for s in Status] == ["pass", "fail", "unknown"]  # also the order counts are written in
    # The API's schema offers exactly these words.
    schema = Report.model_json_schema()
    assert schema["$defs"]["Verdict"]["enum"] == [v.value for v in Verdict]
    assert schema["$defs"]["Status"]["enum"] == [s.value for s in Status]


def test_a_member_is_its_word_in_comparisons_dicts_text_and_json():
    counts = {Status.PASS: 2, Status.FAIL: 0, Status.UNKNOWN: 1}
    assert counts["unknown"] == 1 and Verdict("no_known_exclusion") is Verdict.NO_KNOWN_EXCLUSION
    assert f"{Verdict.NO_KNOWN_EXCLUSION}" == str(Verdict.NO_KNOWN_EXCLUSION) == "no_known_exclusion"
    assert json.dumps({Status.FAIL: Verdict.INELIGIBLE}) == '{"fail": "ineligible"}'  # the trail hashes this form
    assert repr([("X", Verdict.ELIGIBLE, Status.PASS)]) == "[('X', 'eligible', 'pass')]"  # as plain strings printed
    with pytest.raises(ValueError):
        Verdict("ELIGIBLE")  # the label is not a JSON word


def test_rank_passing_and_tone():
    assert [v.rank for v in Verdict] == [0, 1, 2, 3]  # declared best first
    assert [v for v in Verdict if v.passing] == [Verdict.ELIGIBLE, Verdict.NO_KNOWN_EXCLUSION]
    # Only ELIGIBLE is shown in the eligible (pass) tone; a partial rule set's verdict never is.
    assert [v for v in Verdict if v.tone == Status.PASS.tone] == [Verdict.ELIGIBLE]
    assert {v: v.tone for v in Verdict} == {"eligible": "pass", "no_known_exclusion": "partial",
                                            "incomplete": "unknown", "ineligible": "fail"}
    assert [(s.label, s.tone) for s in Status] == [("PASS", "pass"), ("FAIL", "fail"), ("UNKNOWN", "unknown")]
    assert Verdict.NO_KNOWN_EXCLUSION.words == "no known exclusion"


def test_the_verdict_line():
    assert Verdict.NO_KNOWN_EXCLUSION.line(1) == "NO KNOWN EXCLUSION — PARTIAL, 1 criterion encoded"
    assert Verdict.NO_KNOWN_EXCLUSION.line(7) == "NO KNOWN EXCLUSION — PARTIAL, 7 criteria encoded"
    assert [Verdict.ELIGIBLE.line(7), Verdict.INCOMPLETE.line(7), Verdict.INELIGIBLE.line(1)] == [
        "ELIGIBLE", "INCOMPLETE", "INELIGIBLE"]


def _reports():
    records = [(PATIENTS / "eligible.json").read_text(),
               '{"demographics": {"birth_date": "2018-03-14", "sex": "female"}, "diagnosis": {"primary": "aml"}}']
    return [report for text in records for report in screen_all(parse_record(text), AS_OF)]


def test_reports_stored_before_verdict_text_read_with_the_line_new_reports_carry():
    reports = _reports()
    assert {r.verdict for r in reports} == set(Verdict)  # every verdict is exercised
    for report in reports:
        assert report.verdict_text == report.verdict.line(len(report.criteria))
        stored = json.loads(report.model_dump_json())
        del stored["verdict_text"]
        loaded = Report.model_validate_json(json.dumps(stored))
        assert loaded.verdict is report.verdict and loaded.verdict_text == report.verdict_text
        assert loaded.model_dump_json() == report.model_dump_json()


def test_strict_models_take_the_json_word_and_in_python_only_a_member():
    report = _reports()[0]
    text = report.model_dump_json()
    assert Report.model_validate_json(text) == report
    for wrong in ("ELIGIBLE", "eligible ", "partial"):
        with pytest.raises(ValidationError):
            Report.model_validate_json(text.replace(f'"verdict":"{report.verdict}"', f'"verdict":"{wrong}"', 1))
    result = report.criteria[0].model_dump()
    assert CriterionResult.model_validate(result).status is report.criteria[0].status
    with pytest.raises(ValidationError):
        CriterionResult.model_validate({**result, "status": str(result["status"])})
