"""Candidates first: eligible, then incomplete with the trial's disease present (fewest open items first), the rest."""

from datetime import date

from screener.candidates import disease_present, is_candidate, rank
from screener.screening import parse_record, screen, screen_all

AS_OF = date(2026, 11, 22)


def _record(**diagnosis):
    return parse_record(
        '{"demographics": {"birth_date": "2018-03-14", "sex": "female"}, "diagnosis": %s}'
        % str(diagnosis).replace("'", '"')
    )


def test_incomplete_with_the_disease_ranks_before_incomplete_without_it_whatever_the_open_items():
    with_disease = screen(_record(primary="neuroblastoma", disease_status="relapsed"), "NCT06674265", AS_OF)
    without = screen(_record(), "AML-NK-BMC2023", AS_OF)
    assert with_disease.verdict == without.verdict == "incomplete"
    assert with_disease.counts["unknown"] > without.counts["unknown"]
    assert disease_present(with_disease) and not disease_present(without)
    assert is_candidate(with_disease) and not is_candidate(without)
    assert sorted([without, with_disease], key=rank) == [with_disease, without]


def test_other_diagnosis_is_never_a_candidate_and_eligible_always_is(eligible_record):
    report = screen(_record(primary="other"), "AML-NK-BMC2023", AS_OF)
    assert report.verdict == "ineligible" and not is_candidate(report)
    eligible = screen(eligible_record, "NCT06674265", AS_OF)
    assert eligible.verdict == "eligible" and is_candidate(eligible) and rank(eligible)[0] == 0


def test_screen_all_puts_candidates_first():
    reports = screen_all(_record(primary="aml", disease_status="relapsed"), AS_OF)
    groups = [rank(r)[0] for r in reports]
    assert groups == sorted(groups)
    # AML-NK: its one criterion passes (a partial rule set: no known exclusion);
    # AML-HAPLO: AML present, risk group open.
    assert [(r.trial_id, r.verdict) for r in reports if is_candidate(r)] == [
        ("AML-NK-BMC2023", "no_known_exclusion"),
        ("AML-HAPLO-NK-CRTM2025", "incomplete"),
    ]
    rest = [r.verdict for r in reports[2:]]
    assert rest == sorted(rest, key=["incomplete", "ineligible"].index)  # disease absent: incomplete, then ineligible

