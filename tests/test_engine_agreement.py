"""durable-rules and the reference evaluator must agree on every record: the engine's correctness oracle."""
import itertools
import os

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from screener.engine import get_evaluator
from screener.engine.compile import CompiledCriterion, CompiledRuleSet, Leaf, Node, compiled, leaves_of
from screener.facts.catalogue import info_for
from screener.model.ruleset import Criterion
from screener.rules import load_rule_sets

EXAMPLES = int(os.environ.get("SCREENER_AGREEMENT_EXAMPLES", "3000"))
DURABLE, REFERENCE = get_evaluator("durable"), get_evaluator("reference")


def _value_strategy(fact, leaves: list[Leaf]):
    """None, or values on, just below and just above every threshold the rule set holds this fact against."""
    info = info_for(fact)
    if info is not None and info.type in ("category", "attestation"):
        return st.one_of(st.none(), st.sampled_from(list(info.categories)))
    if info is not None and info.type == "boolean":
        return st.sampled_from([None, 0, 1])
    thresholds = sorted({float(leaf.value) for leaf in leaves if leaf.fact == fact})
    near = [t + d for t in thresholds for d in (-1, -0.01, 0, 0.01, 1)]
    # Derivation carries every value to 6 decimals; so do the generated ones (tiny and huge included, which
    # durable-rules' JSON reader once refused).
    anywhere = st.floats(min_value=0, max_value=1e9, allow_nan=False).map(lambda v: round(v, 6))
    return st.one_of(st.none(), st.sampled_from(near), anywhere, st.sampled_from([1e-6, 1e-5, 3e-6, 1e9, 1e16 / 1e7]))


def _record_strategy(rule_set: CompiledRuleSet):
    leaves = [leaf for c in rule_set.criteria for leaf in c.leaves]
    return st.fixed_dictionaries({fact: _value_strategy(fact, leaves) for fact in rule_set.facts})


NCT = compiled(load_rule_sets()["NCT06674265"])


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_record_strategy(NCT))
def test_engines_agree_on_nct06674265(values):
    assert DURABLE.evaluate(NCT, values) == REFERENCE.evaluate(NCT, values)


# --- random condition trees: the Kleene compilation in general, including rules split past the size limit ---
FACTS = ("f.a", "f.b", "f.c", "f.d")
_digests = itertools.count()


def _leaf():
    return st.builds(lambda fact, op, value: Leaf(fact, op, float(value), f"{fact} {op} {value}"),
                     st.sampled_from(FACTS), st.sampled_from(["lt", "le", "gt", "ge", "eq", "ne"]), st.integers(0, 4))


_trees = st.recursive(
    _leaf(),
    lambda children: st.one_of(
        st.builds(lambda cs: Node("all", tuple(cs)), st.lists(children, min_size=1, max_size=4)),
        st.builds(lambda cs: Node("any", tuple(cs)), st.lists(children, min_size=1, max_size=4)),
        st.builds(lambda c: Node("not", (c,)), children),
    ),
    max_leaves=9,
)


def _rule_set(trees_and_kinds) -> CompiledRuleSet:
    criteria = tuple(
        CompiledCriterion(Criterion.model_construct(id=f"C{i}", kind=kind), tree, leaves_of(tree))
        for i, (tree, kind) in enumerate(trees_and_kinds)
    )
    return CompiledRuleSet(None, criteria, FACTS, f"sha256:random{next(_digests):08d}")


@settings(max_examples=max(EXAMPLES // 15, 50), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(_trees, st.sampled_from(["inclusion", "exclusion"])), min_size=1, max_size=3),
       st.lists(st.fixed_dictionaries({f: st.one_of(st.none(), st.integers(-1, 5).map(float)) for f in FACTS}),
                min_size=1, max_size=8))
def test_engines_agree_on_random_trees(trees_and_kinds, records):
    rule_set = _rule_set(trees_and_kinds)
    for values in records:
        assert DURABLE.evaluate(rule_set, values) == REFERENCE.evaluate(rule_set, values)
