"""The batch's screening without explanation text (screen_outcome) says what the full report says, on every pinned
case: verdict, failing and unknown criteria, eligible-from, candidate or not, rank, and for a candidate the report."""
from screener.candidates import is_candidate, rank
from screener.screening import parse_record, screen, screen_outcome
from tests import report_cases


def test_outcomes_agree_with_full_reports():
    kinds = set()
    for name, text, trial, as_of in report_cases.cases():
        record = parse_record(text)
        report, outcome = screen(record, trial, as_of), screen_outcome(record, trial, as_of)
        assert (outcome.trial_id, outcome.verdict, outcome.eligible_from) == \
            (report.trial_id, report.verdict, report.eligible_from), name
        assert outcome.failing == tuple(c.id for c in report.criteria if c.status == "fail"), name
        assert outcome.unknown == tuple(c.id for c in report.criteria if c.status == "unknown"), name
        assert outcome.candidate == is_candidate(report) and outcome.rank == rank(report), name
        assert outcome.report == (report if outcome.candidate else None), name
        kinds.add((outcome.verdict, outcome.candidate, outcome.eligible_from is not None))
    # the cases reach every branch: candidates and not, incomplete both ways, an eligible-from date
    assert {("incomplete", True, False), ("incomplete", False, False), ("ineligible", False, False)} <= kinds
    assert any(verdict in ("eligible", "no_known_exclusion") for verdict, _, _ in kinds)
    assert any(dated for *_, dated in kinds)
