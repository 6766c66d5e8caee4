"""Compile a rule set's condition trees into leaves over named facts, thresholds in canonical units.

Both evaluators, the fact derivation and the report work from this one compiled form, so the durable-rules
backend and the reference evaluator cannot disagree about what a criterion means, only about how it is
evaluated.
"""
import operator
from dataclasses import dataclass, field
from functools import cached_property

from .. import config
from ..facts.catalogue import catalogue
from ..facts.keys import (
    AnyFactKey,
    DaysSinceFact,
    Event,
    LabFact,
    LabMultipleFact,
    RecordedFact,
    TransfusionFreeFact,
    UnencodedFact,
)
from ..model.errors import FieldError, ScreenerError
from ..model.fields import FieldType
from ..model.labs import LABS, RAISED_BY_TRANSFUSION, TRANSFUSION_WORDS
from ..model.ruleset import (
    All,
    AnyOf,
    AtLeastDaysAgo,
    Compare,
    Criterion,
    Limit,
    Multiple,
    Not,
    OneOf,
    Recorded,
    RuleSet,
    Window,
)
from ..wording.events import describe as event_words
from ..wording.facts import NOT_ENCODED
from ..wording.numbers import threshold as _fmt
from ..wording.ops import OP_SYMBOLS
from ..wording.thresholds import MULTIPLES, LimitOf, Stated, stated

Where = tuple[str | int, ...]  # a place in the rule file, as in model/errors.FieldError
NEGATED_OP = {"lt": "ge", "le": "gt", "gt": "le", "ge": "lt", "eq": "ne", "ne": "eq"}
ORDERED = {"lt": operator.lt, "le": operator.le, "gt": operator.gt, "ge": operator.ge}


class CompileError(ValueError, ScreenerError):
    """A condition that names an unknown fact, a wrong unit or an impossible comparison; error says where."""

    def __init__(self, path: tuple[str | int, ...], message: str):
        self.error = FieldError(path, message)
        super().__init__(message)


@dataclass(frozen=True)
class Leaf:
    fact: AnyFactKey
    op: str
    value: float | str
    text: str
    stated: Stated | None = field(default=None, compare=False)  # the threshold as the rule file states it

    def __post_init__(self):
        # Thresholds live on the same decimal grid as facts (a converted unit can leave 10.000000000000002).
        if not isinstance(self.value, str):
            object.__setattr__(self, "value", round(float(self.value), config.DECIMALS))

    def holds(self, actual: float | str) -> bool:
        if self.op == "eq":
            return actual == self.value
        if self.op == "ne":
            return actual != self.value
        if isinstance(actual, str) or isinstance(self.value, str):
            raise TypeError(f"ordered comparison on a category: {self.fact}")
        return ORDERED[self.op](actual, self.value)


@dataclass(frozen=True)
class Node:
    op: str  # "all", "any", "not"
    children: tuple


@dataclass(frozen=True)
class CompiledCriterion:
    criterion: Criterion
    tree: "Node | Leaf"
    leaves: tuple[Leaf, ...]

    # Cached: read dozens of times a screening (evaluation, clearing, the report), each a property call before.
    @cached_property
    def id(self) -> str:
        return self.criterion.id

    @cached_property
    def is_exclusion(self) -> bool:
        return self.criterion.kind == "exclusion"


@dataclass(frozen=True)
class CompiledRuleSet:
    rule_set: RuleSet
    criteria: tuple[CompiledCriterion, ...]
    facts: tuple[AnyFactKey, ...]
    digest: str


_CATEGORIES = (FieldType.CATEGORY, FieldType.ATTESTATION)  # compared only for equality, with one of their values


class _Compiler:
    def __init__(self):
        self.fields = catalogue()

    def field(self, name: str, path: Where):
        info = self.fields.get(name)
        if info is None:
            raise CompileError(path + ("field",), f"unknown field {name!r}; see `screener fields` for the catalogue")
        return info

    def condition(self, node, path: Where):
        if isinstance(node, All):
            return Node("all", tuple(self.condition(c, path + ("all", i)) for i, c in enumerate(node.all)))
        if isinstance(node, AnyOf):
            return Node("any", tuple(self.condition(c, path + ("any", i)) for i, c in enumerate(node.any)))
        if isinstance(node, Not):
            return Node("not", (self.condition(node.not_, path + ("not",)),))
        if isinstance(node, OneOf):
            return self.one_of(node, path)
        if isinstance(node, Recorded):
            info = self.fields.get(node.recorded)
            if info is None:
                raise CompileError(
                    path + ("recorded",), f"unknown field {node.recorded!r}; see `screener fields` for the catalogue"
                )
            if info.always_known:
                raise CompileError(
                    path + ("recorded",), f"{node.recorded} is always recorded: the condition is constant"
                )
            return Leaf(RecordedFact(info.key), "eq", 1, f"{info.description} recorded")
        if isinstance(node, Compare):
            return self.compare(node, path)
        if isinstance(node, Multiple):
            return self.multiple(node, path)
        if isinstance(node, Window):
            event = Event.from_since(node.since)
            return Leaf(
                DaysSinceFact(event, node.within_days),
                "lt",
                node.within_days,
                f"{event_words(event)} within the last {node.within_days} days",
            )
        if isinstance(node, AtLeastDaysAgo):
            event = Event.from_since(node.since)
            key, what = DaysSinceFact(event), event_words(event)
            return Node(
                "all",
                (
                    Leaf(key, "ge", node.at_least_days_ago, f"{what} at least {node.at_least_days_ago} days ago"),
                    Leaf(key, "lt", config.NEVER_DAYS, f"{what} has happened"),
                ),
            )
        raise CompileError(path, f"unsupported condition {type(node).__name__}")

    def one_of(self, node: OneOf, path: Where):
        info = self.field(node.field, path)
        if info.type not in _CATEGORIES:
            raise CompileError(path + ("one_of",), f"one_of applies to categories; {node.field} is a {info.type}")
        for i, value in enumerate(node.one_of):
            if value not in info.categories:
                raise CompileError(
                    path + ("one_of", i), f"{value!r} is not a value of {node.field}: {', '.join(info.categories)}"
                )
        leaves = tuple(Leaf(info.key, "eq", v, f"{info.description} = {v}") for v in node.one_of)
        return leaves[0] if len(leaves) == 1 else Node("any", leaves)

    def compare(self, node: Compare, path: Where) -> Leaf | Node:
        info = self.field(node.field, path)
        words = OP_SYMBOLS[node.op]
        if info.type is not FieldType.NUMBER:
            if node.op not in ("eq", "ne"):
                raise CompileError(path + ("op",), f"{node.field} is a {info.type}: only eq and ne apply")
            if node.unit is not None:
                raise CompileError(path + ("unit",), f"{node.field} is a {info.type} and takes no unit")
        if info.type is FieldType.BOOLEAN:
            if not isinstance(node.value, bool):
                raise CompileError(path + ("value",), f"{node.field} is a boolean: compare with true or false")
            return Leaf(
                info.key, node.op, 1 if node.value else 0, f"{info.description} {words} {str(node.value).lower()}"
            )
        if info.type in _CATEGORIES:
            if not isinstance(node.value, str) or node.value not in info.categories:
                raise CompileError(
                    path + ("value",), f"{node.value!r} is not a value of {node.field}: {', '.join(info.categories)}"
                )
            return Leaf(info.key, node.op, node.value, f"{info.description} {words} {node.value}")
        if isinstance(node.value, (bool, str)):
            raise CompileError(path + ("value",), f"{node.field} is a number: compare with a number")
        threshold = float(node.value)
        if info.unit is not None:
            if node.unit is None:
                raise CompileError(
                    path + ("unit",), f"{node.field} is measured in {info.unit}: state the threshold's unit"
                )
            threshold = self.convert(info.key, threshold, node.unit, info.unit, path + ("unit",))
        elif node.unit is not None:
            raise CompileError(path + ("unit",), f"{node.field} takes no unit")
        said = Stated(_fmt(float(node.value)), node.unit)
        shown = stated(said)
        if node.transfusion_free_days is not None:
            product = RAISED_BY_TRANSFUSION.get(info.key.lab) if isinstance(info.key, LabFact) else None
            if product is None:
                raise CompileError(
                    path + ("transfusion_free_days",),
                    "transfusion independence applies to "
                    + ", ".join(f"lab.{lab}" for lab in sorted(RAISED_BY_TRANSFUSION)),
                )
            if node.op not in ("lt", "le", "gt", "ge"):
                raise CompileError(path + ("op",), "transfusion independence applies to ordered comparisons")
            # A transfusion only raises the count: a low value is low whatever came before it, a high one counts
            # only when it is the patient's own. So "low" holds on the value alone or stays open until
            # independence is shown, and "high" needs both.
            value = Leaf(info.key, node.op, threshold, f"{info.description} {words} {shown}", said)
            free = Leaf(
                TransfusionFreeFact(info.key.lab, node.transfusion_free_days),
                "eq",
                1,
                f"{info.description} drawn at least {node.transfusion_free_days} days after any "
                f"{TRANSFUSION_WORDS[product]} transfusion",
            )
            return Node("any", (value, Node("not", (free,)))) if node.op in ("lt", "le") else Node("all", (value, free))
        return Leaf(info.key, node.op, threshold, f"{info.description} {words} {shown}", said)

    def convert(self, key: AnyFactKey, value: float, unit: str, canonical: str, path: Where) -> float:
        if unit == canonical:
            return value
        lab = LABS.get(key.lab) if isinstance(key, LabFact) else None
        if lab is None or unit not in lab.units:
            raise CompileError(path, f"unit {unit!r} is not compatible with {key} ({canonical})")
        return value * lab.units[unit]

    def multiple(self, node: Multiple, path: Where) -> Leaf:
        info = self.field(node.field, path)
        if not isinstance(info.key, LabFact):
            raise CompileError(path + ("field",), "multiples apply to lab values")
        words = OP_SYMBOLS[node.op]
        if isinstance(node.of, Limit):
            limit = self.convert(info.key, node.of.value, node.of.unit, info.unit, path + ("of", "unit"))
            threshold = node.multiple * limit
            said = Stated(
                f"{node.multiple:g}",
                then=LimitOf(node.of.value, node.of.unit, threshold, info.unit or "", node.of.source),
            )
            return Leaf(info.key, node.op, threshold, f"{info.description} {words} {stated(said)}", said)
        said = Stated(f"{node.multiple:g}", then=MULTIPLES["uln" if node.of == "uln" else "age_sex_max"])
        return Leaf(
            LabMultipleFact(info.key.lab, node.of),
            node.op,
            node.multiple,
            f"{info.description} {words} {stated(said)}",
            said,
        )


def describe(tree) -> str:
    """The encoded logic in plain words."""
    if isinstance(tree, Leaf):
        return tree.text
    if tree.op == "not":
        return f"not ({describe(tree.children[0])})"
    joiner = " and " if tree.op == "all" else " or "
    return "(" + joiner.join(describe(c) for c in tree.children) + ")"


def leaves_of(tree) -> tuple[Leaf, ...]:
    if isinstance(tree, Leaf):
        return (tree,)
    return tuple(leaf for child in tree.children for leaf in leaves_of(child))


def compile_criterion(criterion: Criterion, path: Where, compiler: _Compiler | None = None) -> CompiledCriterion:
    compiler = compiler or _Compiler()
    if criterion.unencoded:
        # A placeholder reads one fact that no record can give: unknown in every evaluator, never a pass or a fail.
        tree: Node | Leaf = Leaf(UnencodedFact(criterion.id), "eq", 1, NOT_ENCODED)
    elif criterion.attestation is not None:
        # An inclusion passes on "yes"; an exclusion's condition is the attestation being "no". Either way
        # "not_assessed" is unknown, never a pass.
        info = compiler.fields[f"attestations.{criterion.attestation}"]
        name, words = info.key, info.description
        tree = (
            Leaf(name, "eq", "no", f"investigator attests NOT: {words}")
            if criterion.kind == "exclusion"
            else Leaf(name, "eq", "yes", f"investigator attests: {words}")
        )
    else:
        tree = compiler.condition(criterion.logic, path + ("logic",))
    return CompiledCriterion(criterion, tree, leaves_of(tree))


def compile_rule_set(rule_set: RuleSet) -> CompiledRuleSet:
    compiler = _Compiler()
    criteria = tuple(compile_criterion(c, ("criteria", i), compiler) for i, c in enumerate(rule_set.criteria))
    facts = tuple(sorted({leaf.fact for c in criteria for leaf in c.leaves}))
    return CompiledRuleSet(rule_set, criteria, facts, rule_set.digest())


_COMPILED: dict[int, tuple[RuleSet, CompiledRuleSet]] = {}


def compiled(rule_set: RuleSet) -> CompiledRuleSet:
    """The compiled form of a rule set, built once per process per rule-set object.

    Keyed by identity and holding a reference, so the id cannot be reused by another object.
    """
    entry = _COMPILED.get(id(rule_set))
    if entry is None:
        entry = _COMPILED[id(rule_set)] = (rule_set, compile_rule_set(rule_set))
    return entry[1]
