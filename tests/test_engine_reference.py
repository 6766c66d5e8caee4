"""The reference evaluator's readings, built once per rule set, against kleene's reading of the tree itself."""
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from screener.engine import get_evaluator, kleene
from screener.engine._reference import reading
from screener.engine.compile import CompiledCriterion, CompiledRuleSet, Leaf, Node, leaves_of
from screener.model.report import Status
from screener.model.ruleset import Criterion

NUMBERS, CATEGORIES = ("n.a", "n.b", "n.c"), ("k.x", "k.y")
REFERENCE = get_evaluator("reference")


def _number_leaf():
    return st.builds(lambda fact, op, value: Leaf(fact, op, float(value), f"{fact} {op} {value}"),
                     st.sampled_from(NUMBERS), st.sampled_from(["lt", "le", "gt", "ge", "eq", "ne"]), st.integers(0, 3))


def _category_leaf():
    return st.builds(lambda fact, op, value: Leaf(fact, op, value, f"{fact} {op} {value}"),
                     st.sampled_from(CATEGORIES), st.sampled_from(["eq", "ne"]), st.sampled_from(["p", "q"]))


_trees = st.recursive(
    st.one_of(_number_leaf(), _category_leaf()),
    lambda children: st.one_of(
        st.builds(lambda cs: Node("all", tuple(cs)), st.lists(children, min_size=1, max_size=5)),
        st.builds(lambda cs: Node("any", tuple(cs)), st.lists(children, min_size=1, max_size=5)),
        st.builds(lambda c: Node("not", (c,)), children),
    ),
    max_leaves=12,
)
# Numbers as ints and floats (derivation gives both, 1/0 for booleans), on and beside the thresholds.
_values = st.fixed_dictionaries(
    {**{f: st.one_of(st.none(), st.integers(-1, 4), st.sampled_from([-0.5, 0.0, 1.0, 1.5, 2.0, 3.000001]))
        for f in NUMBERS},
     **{f: st.one_of(st.none(), st.sampled_from(["p", "q", "r"])) for f in CATEGORIES}}
)


@settings(max_examples=400, deadline=None)
@given(_trees, st.lists(_values, min_size=1, max_size=6))
def test_a_reading_is_kleene_on_random_trees(tree, records):
    read = reading(tree)
    for values in records:
        assert read(values) is kleene(tree, values)


def _criterion(tree, kind="inclusion"):
    return CompiledCriterion(Criterion.model_construct(id="C1", kind=kind), tree, leaves_of(tree))


def test_an_ordered_comparison_with_a_category_raises_even_beside_a_deciding_child():
    # Every child is read, as kleene reads them: a category where a number belongs is a fault, not a quiet pass.
    tree = Node("any", (Leaf("k.x", "eq", "p", "x is p"), Leaf("n.a", "ge", 1.0, "a >= 1")))
    values = {"k.x": "p", "n.a": "p"}
    with pytest.raises(TypeError):
        kleene(tree, values)
    with pytest.raises(TypeError):
        reading(tree)(values)


@pytest.mark.parametrize(
    ("kind", "value", "status"),
    [("inclusion", 2.0, Status.PASS), ("inclusion", 0.0, Status.FAIL), ("inclusion", None, Status.UNKNOWN),
     ("exclusion", 2.0, Status.FAIL), ("exclusion", 0.0, Status.PASS), ("exclusion", None, Status.UNKNOWN)],
)
def test_statuses_by_kind(kind, value, status):
    tree = Leaf("n.a", "ge", 1.0, "a >= 1")
    rule_set = CompiledRuleSet(None, (_criterion(tree, kind),), ("n.a",), f"sha256:reference-{kind}")
    assert REFERENCE.evaluate(rule_set, {"n.a": value}) == {"C1": status}


def test_readings_are_those_of_the_rule_set_passed_not_of_another_with_its_digest():
    at_least_one = CompiledRuleSet(None, (_criterion(Leaf("n.a", "ge", 1.0, "a >= 1")),), ("n.a",), "sha256:same")
    below_one = CompiledRuleSet(None, (_criterion(Leaf("n.a", "lt", 1.0, "a < 1")),), ("n.a",), "sha256:same")
    assert REFERENCE.evaluate(at_least_one, {"n.a": 2.0}) == {"C1": Status.PASS}
    assert REFERENCE.evaluate(below_one, {"n.a": 2.0}) == {"C1": Status.FAIL}
