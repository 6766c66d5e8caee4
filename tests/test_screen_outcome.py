"""The batch's screening without explanation text (screen_outcome) says what the full report says, on every pinned
case: verdict, failing and unknown criteria, eligible-from, candidate or not, rank, and for a candidate the report."""
from screener.candidates import is_candidate, open_items, rank
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
        assert outcome.to_settle == report.to_settle and outcome.open_items == open_items(report), name
        assert outcome.report == (report if outcome.candidate else None) and outcome.worded() == report, name
        kinds.add((outcome.verdict, outcome.candidate, outcome.eligible_from is not None))
    # the cases reach every branch: candidates and not, incomplete both ways, an eligible-from date
    assert {("incomplete", True, False), ("incomplete", False, False), ("ineligible", False, False)} <= kinds
    assert any(verdict in ("eligible", "no_known_exclusion") for verdict, _, _ in kinds)
    assert any(dated for *_, dated in kinds)


def counting(monkeypatch) -> list[str]:
    """Counts every call of the entry points that word a report's explanation text: a criterion's reason and an
    evidence's value and source words. The memo of worded criteria starts empty (screening._RESULTS: a result worded
    by an earlier test would be served, not worded)."""
    from collections import OrderedDict

    from screener import explain, screening
    from screener.wording import facts as words

    monkeypatch.setattr(screening, "_RESULTS", OrderedDict())
    calls: list[str] = []
    for module, name in ((explain, "reason"), (words, "evidence")):
        original = getattr(module, name)

        def counted(*args, _original=original, _name=name, **kwargs):
            calls.append(_name)
            return _original(*args, **kwargs)

        monkeypatch.setattr(module, name, counted)
    return calls


def test_the_batch_words_no_reason_even_for_its_candidates(monkeypatch):
    """Batch pre-screening writes verdicts, criterion ids and what to record next: it never words a reason or an
    evidence, not even for a candidate's row (its to_record comes from the to-dos alone)."""
    from screener.batch import CANDIDATE_COLUMNS, Item, screen_chunk

    from .helpers import PATIENTS

    calls = counting(monkeypatch)
    chunk = [Item(p.name, "native", p.read_text()) for p in sorted(PATIENTS.glob("*.json"))]
    rows, errors, candidates = screen_chunk(chunk, None, report_cases.AS_OF, "durable")
    to_record = CANDIDATE_COLUMNS.index("to_record")
    assert not errors and len(rows) > len(candidates) > 0 and any(c[to_record] for c in candidates)
    assert calls == []
    # the same records read as reports do word them: the counter sees the entry points the reports use
    screen(parse_record(chunk[0].payload), rows[0][3], report_cases.AS_OF)
    assert "reason" in calls and "evidence" in calls


def test_an_outcome_words_its_report_only_when_read(monkeypatch):
    calls = counting(monkeypatch)
    for _name, text, trial, as_of in report_cases.cases():
        outcome = screen_outcome(parse_record(text), trial, as_of)
        if outcome.candidate:
            break
    assert calls == [] and outcome.candidate and outcome.to_settle is not None
    assert outcome.report is not None and calls and outcome.report is outcome.report  # worded once, when read


def test_the_batch_checks_a_native_record_against_the_as_of_date_once(monkeypatch):
    """Read with check_as_of (its errors join the field errors), a native record is not checked again when screened
    (impossible values, born after the as-of date: once per record, not once more per screening)."""
    from screener import screening
    from screener.batch import Item, screen_chunk

    from .helpers import PATIENTS

    checks = []
    real = screening.check_as_of
    monkeypatch.setattr(screening, "check_as_of", lambda *args: checks.append(args) or real(*args))
    chunk = [Item(p.name, "native", p.read_text()) for p in sorted(PATIENTS.glob("*.json"))]
    rows, errors, _ = screen_chunk(chunk, None, report_cases.AS_OF, "reference")
    assert not errors and len(rows) > len(chunk) and len(checks) == len(chunk)
