"""The plain-Python reference evaluator: Kleene three-valued logic over the compiled condition trees.

`kleene` reads a tree as it stands. The evaluator reads the same logic from closures built once per rule set
(`reading`), because walking the trees on every screening was most of its time: the tests hold the two readings
to each other on random trees, and the evaluator to durable-rules.
"""
from typing import Callable, Mapping

from ..config import Engine
from ..facts.keys import AnyFactKey
from ..model.report import Status
from .compile import ORDERED, CompiledRuleSet, Leaf

Values = Mapping[AnyFactKey, float | str | None]
Reading = Callable[[Values], bool | None]


def kleene(node, values: Values) -> bool | None:
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


def _leaf(leaf: Leaf) -> Reading:
    fact, threshold = leaf.fact, leaf.value
    if leaf.op in ("eq", "ne"):
        equal = leaf.op == "eq"
        return lambda values: None if (actual := values[fact]) is None else (actual == threshold) is equal
    compare = ORDERED[leaf.op]

    def ordered(values: Values) -> bool | None:
        actual = values[fact]
        if actual is None:
            return None
        if isinstance(actual, str):
            raise TypeError(f"ordered comparison on a category: {fact}")
        return compare(actual, threshold)

    return ordered


def reading(node) -> Reading:
    """The tree as a function of the fact values, with kleene's result on every input (and every child read, so a
    misplaced category raises wherever it stands, as in kleene)."""
    if isinstance(node, Leaf):
        return _leaf(node)
    if node.op == "not":
        inner = reading(node.children[0])
        return lambda values: None if (result := inner(values)) is None else not result
    children = tuple(reading(child) for child in node.children)
    decisive = node.op == "any"  # True decides an any, False decides an all

    def junction(values: Values) -> bool | None:
        results = [child(values) for child in children]
        if decisive in results:
            return decisive
        return None if None in results else not decisive

    return junction


def criterion_status(holds: bool | None, is_exclusion: bool) -> Status:
    if holds is None:
        return Status.UNKNOWN
    return Status.FAIL if holds == is_exclusion else Status.PASS


def _statuses(is_exclusion: bool) -> dict[bool | None, Status]:
    return {holds: criterion_status(holds, is_exclusion) for holds in (True, False, None)}


class ReferenceEvaluator:
    name = Engine.REFERENCE.value

    def __init__(self):
        # By the compiled rule set's identity, holding it so the id is not reused: the readings are always those of
        # the very trees passed in, whatever their digest says.
        self._readings: dict[int, tuple[CompiledRuleSet, tuple]] = {}

    def _prepared(self, rule_set: CompiledRuleSet) -> tuple:
        entry = self._readings.get(id(rule_set))
        if entry is None:
            prepared = tuple((c.id, reading(c.tree), _statuses(c.is_exclusion)) for c in rule_set.criteria)
            entry = self._readings[id(rule_set)] = (rule_set, prepared)
        return entry[1]

    def evaluate(self, rule_set: CompiledRuleSet, values: Values) -> dict[str, Status]:
        return {cid: statuses[read(values)] for cid, read, statuses in self._prepared(rule_set)}
