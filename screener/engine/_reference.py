"""The plain-Python reference evaluator: Kleene three-valued logic over the compiled condition trees."""
from typing import Mapping

from ..config import Engine
from ..facts.keys import AnyFactKey
from ..model.report import Status
from .compile import CompiledRuleSet, Leaf


def kleene(node, values: Mapping[AnyFactKey, float | str | None]) -> bool | None:
    """True, False, or None (unknown). all: any False is False; any: any True is True; not swaps."""
    if isinstance(node, Leaf):
        actual = values[node.fact]
        return None if actual is None else node.holds(actual)
    if node.op == "not":
        inner = kleene(node.children[0], values)
        return None if inner is None else not inner
    results = [kleene(child, values) for child in node.children]
    decisive = node.op == "any"  # True decides an any, False decides an all
    if decisive in results:
        return decisive
    return None if None in results else not decisive


def criterion_status(holds: bool | None, is_exclusion: bool) -> Status:
    if holds is None:
        return Status.UNKNOWN
    return Status.FAIL if holds == is_exclusion else Status.PASS


class ReferenceEvaluator:
    name = Engine.REFERENCE.value

    def evaluate(self, rule_set: CompiledRuleSet, values: Mapping[AnyFactKey, float | str | None]) -> dict[str, Status]:
        return {c.id: criterion_status(kleene(c.tree, values), c.is_exclusion) for c in rule_set.criteria}
