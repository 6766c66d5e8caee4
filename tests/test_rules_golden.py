"""Golden cases: every example patient gives its expected verdict and per-criterion outcomes, on both engines."""
import pytest

from screener.authoring.golden import coverage_gaps, golden_files, load_golden, run_case
from screener.cli import _decidable_statuses
from screener.engine.compile import compiled
from screener.model.golden import Expectation
from screener.rules import load_rule_sets

from .helpers import REPO

GOLDEN = [load_golden(path) for path in golden_files()]
CASES = [(golden, case) for golden in GOLDEN for case in golden.cases]


@pytest.mark.parametrize("engine", ["durable", "reference"])
@pytest.mark.parametrize("golden,case", CASES, ids=[f"{g.trial_id}:{c.name}" for g, c in CASES])
def test_golden_case(golden, case, engine):
    result = run_case(golden, case, engine)
    assert result.ok, "\n".join(result.mismatches)


def test_every_rule_set_has_golden_cases_covering_every_status():
    rule_sets = load_rule_sets()
    assert {g.trial_id for g in GOLDEN} == set(rule_sets)
    results = [run_case(golden, case, "reference") for golden, case in CASES]
    expected = {t: _decidable_statuses(compiled(rule_sets[t])) for t in rule_sets}
    assert coverage_gaps(results, expected) == []


def test_a_wrong_expectation_is_reported():
    golden = next(g for g in GOLDEN if g.trial_id == "NCT06674265")
    case = golden.cases[0].model_copy(
        update={"expect": Expectation(verdict="ineligible", fail=[golden.trial_id + "-AGE"])}
    )
    result = run_case(golden, case, "durable")
    assert not result.ok
    assert any("verdict eligible, expected ineligible" in m for m in result.mismatches)
    assert any(m.startswith(golden.trial_id + "-AGE: pass, expected fail") for m in result.mismatches)


def test_an_unknown_comparison_always_says_why_as_a_code():
    """Evidence.unknown is set exactly when the value is unknown, so programs need not read the prose."""
    from screener.authoring.golden import case_record
    from screener.screening import parse_record, screen

    reasons = set()
    for golden in GOLDEN:
        for case in golden.cases:
            report = screen(parse_record(case_record(golden, case, REPO)), golden.trial_id, case.as_of or golden.as_of)
            for criterion in report.criteria:
                for evidence in criterion.evidence:
                    assert (evidence.holds is None) == (evidence.unknown is not None), (case.name, evidence.fact)
                    reasons.add(evidence.unknown)
    assert {"not_recorded", "not_assessed", "undated", "too_old", "transfusion_supported", "unrecognised"} <= reasons
