"""The durable-rules wrapper's defences against the library's measured sharp edges (regression tests)."""
import pytest

from screener.engine import get_evaluator
from screener.engine._durable import MAX_NODES_PER_RULE, _Kleene, _node_count, _split, to_micro
from screener.engine.compile import Leaf, Node, compiled
from screener.facts.keys import LabFact
from screener.rules import load_rule_sets

NCT = compiled(load_rule_sets()["NCT06674265"])
DURABLE = get_evaluator("durable")
PLATELETS = LabFact("platelets")


def _all_pass_values():
    values = {fact: None for fact in NCT.facts}
    return values


def test_more_evaluations_than_live_sessions_allowed():
    # durable-rules allows 1,024 live sessions per ruleset; every session must be deleted after use.
    values = _all_pass_values()
    first = DURABLE.evaluate(NCT, values)
    assert set(first) == {c.id for c in NCT.criteria} and "pass" not in first.values()  # nothing known: no pass
    for _ in range(3000):
        assert DURABLE.evaluate(NCT, values) == first  # the 1,025th session and beyond answer like the first


def test_an_all_passing_record_still_deletes_its_session(eligible_record):
    # Nothing but the sentinel fires for an eligible record; without it delete_state would segfault.
    from datetime import date

    from screener.screening import screen

    for _ in range(1100):
        assert screen(eligible_record, "NCT06674265", date(2026, 11, 22), "durable").verdict == "eligible"


def test_string_never_reaches_an_ordered_comparison():
    # durable-rules compares '9' >= 50000 as a string prefix: true. Only numbers may reach it.
    values = _all_pass_values()
    values[PLATELETS] = "9"
    with pytest.raises(TypeError):
        DURABLE.evaluate(NCT, values)


def test_missing_everything_is_unknown_never_pass():
    statuses = DURABLE.evaluate(NCT, _all_pass_values())
    assert statuses["NCT06674265-AGE"] == "unknown"
    assert "pass" not in statuses.values()


def test_large_formulas_split_to_the_rule_limit():
    leaves = [Leaf(f"x{i}", "lt", 1.0, "") for i in range(12)]
    tree = Node("any", tuple(Node("all", (leaves[i], leaves[i + 1])) for i in range(0, 12, 2)))
    kleene = _Kleene({leaf.fact: leaf.fact for leaf in leaves})
    for part in _split(kleene.U(tree)):
        assert _node_count(part) <= MAX_NODES_PER_RULE


def test_a_formula_within_the_rule_limit_is_one_rule_ors_and_all():
    leaves = [Leaf(f"x{i}", "lt", 1.0, "") for i in range(4)]
    tree = Node("any", (Node("all", leaves[:2]), Node("all", leaves[2:])))
    formula = _Kleene({leaf.fact: leaf.fact for leaf in leaves}).T(tree)
    assert formula[0] == "or" and _split(formula) == [formula]


@pytest.mark.parametrize("tiny_or_huge", [1e-05, 1e-06, 1e+08, 0.0])
def test_numbers_python_writes_with_an_exponent_reach_the_engine(tiny_or_huge):
    # Regression: durable-rules' JSON reader refused 1e-05 and 1e+16 (error 204); numbers now go as micro-units.
    values = _all_pass_values()
    values[PLATELETS] = tiny_or_huge
    expected = "fail" if tiny_or_huge < 50_000 else "unknown"
    assert DURABLE.evaluate(NCT, values)["NCT06674265-E1"] == expected


def test_a_number_off_the_decimal_grid_is_refused_not_rounded():
    values = _all_pass_values()
    values[PLATELETS] = 49_999.9999999
    with pytest.raises(ValueError):
        DURABLE.evaluate(NCT, values)


def test_a_fired_rule_is_read_by_its_name_and_an_unknown_name_is_a_fault(monkeypatch):
    # The wrapper slices the rule name out of each action message instead of parsing the whole fact.
    from types import SimpleNamespace

    from screener.engine import _durable

    messages = []
    native = SimpleNamespace(assert_fact=lambda handle, fact: (0, 7),
                             start_action_for_state=lambda handle, state: ("{}", messages.pop(0)) if messages else None,
                             complete_and_start_action=lambda handle, state: messages.pop(0) if messages else None)
    monkeypatch.setattr(_durable, "_native", native)
    prepared = SimpleNamespace(handle=1, markers={"sentinel": None, "c3.fail.0": (3, "fail")})
    messages[:] = ['{"sentinel":{"m":{"sid": "0", "f1": "a\\"b"}}}', '{"c3.fail.0":{"m":{"sid": "0"}}}']
    assert _durable.DurableEvaluator._fire(prepared, {"sid": "0"}) == [None, (3, "fail")]
    for unknown in ('{"c4.fail.0":{"m":{}}}', '{"sentinel2":{}}', '["sentinel"]'):
        messages[:] = ['{"sentinel":{"m":{}}}', unknown]
        with pytest.raises(_durable.EngineFault):
            _durable.DurableEvaluator._fire(prepared, {"sid": "0"})


@pytest.mark.parametrize("number", [0, 1, 7, 49_999, 50_000, 10**9, -(10**9)])
def test_an_integer_becomes_the_same_micro_units_as_its_float(number):
    # Integers (days, 1/0) take a shorter path than floats; both must land on the same micro-units.
    assert to_micro(number) == to_micro(float(number)) == number * 10**6
    assert type(to_micro(number)) is int


@pytest.mark.parametrize("number", [10**9 + 1, -(10**9) - 1, 10**16, 1e9 + 1, float("inf"), float("nan"), 0.1234567])
def test_a_number_out_of_range_or_off_the_grid_is_refused(number):
    with pytest.raises(ValueError):
        to_micro(number)
