"""The durable-rules backend: the only module that imports durable_rules.

How a rule set becomes durable-rules rules, and why:
- Each criterion contributes rules only for its non-passing outcomes: "fail" and "unknown". The engine's work
  (rules fired, each a Python callback) therefore grows with what fails or is missing, not with the number of
  criteria. Pass is what remains, and a hypothesis test holds this backend to the reference evaluator.
- Three-valued logic is compiled into positive formulas over leaf atoms: leaf true, leaf false (negated
  operator), leaf unknown (value == None). durable-rules matches None only by == None and never by an ordered
  comparison, which is exactly the Kleene behaviour of a missing value. Every fact carries every slot, None
  for missing: an absent field behaves differently from None in durable-rules.
- A rule may hold at most 15 AND/OR nodes (MAX_SEQUENCE_EXPRESSIONS = 32 in rete.c, two per node; measured).
  A formula within that limit is one rule, ORs and all; a larger one is split at its top-level ORs into separate
  rules, distributing further only where a rule is still too big. Fewer, larger rules cost the C engine less per
  fact (NCT06674265: 62 rules instead of 88 when every top-level OR was split, ~10 us less a record, measured).
- A sentinel rule fires for every record. delete_state on a session in which no rule fired segfaults the process,
  and a session never deleted counts towards the 1,024 live sessions per ruleset after which every assert raises
  MemoryError: the sentinel makes deletion always safe, and its absence is an engine fault, not a pass.
- The Host's timer threads are disabled (_run does nothing): they only serve timers and queued actions, which
  this synchronous use never has, and they were the source of thread errors and crashes.
- The Host registers the rulesets; evaluation then drives the native action loop itself (assert_fact,
  start_action_for_state, complete_and_start_action: what durable.engine.Ruleset.do_actions does), reading only
  the fired rule's name. Our actions change no session state, so durable's per-action Closure/Promise objects and
  its update_state JSON round trip are skipped: they were about half the engine's time (profiled, 3,000 records).
- Only numbers, 1/0 and category names reach the engine; ordered comparisons get numbers only, because
  durable-rules compares a string with a number as a string prefix ('9' >= 50000 is true).
- Numbers reach it as integers in micro-units. Its JSON reader refuses a float written with an exponent but no
  decimal point, which is how Python writes 1e-05 or 1e+16 (error 204; found by the agreement property test).
  Facts and thresholds are carried to 6 decimal places (config.DECIMALS), so micro-units compare exactly.
"""
import itertools
import json
import threading
from typing import Mapping, cast

import durable_rules_engine as _native
from durable import engine as _durable_engine

from .. import config
from ..facts.keys import AnyFactKey
from ..model.errors import ScreenerError
from ..model.report import Status
from .compile import NEGATED_OP, CompiledRuleSet, Leaf

MAX_NODES_PER_RULE = 14  # measured limit is 15; one spare
_DURABLE_OP = {"lt": "$lt", "le": "$lte", "gt": "$gt", "ge": "$gte", "ne": "$neq"}


class EngineFault(RuntimeError, ScreenerError):
    """durable-rules did something the compiled rules make impossible; the screening must not be reported."""


class _QuietHost(_durable_engine.Host):
    def _run(self):
        pass


_SCALE = 10 ** config.DECIMALS
MAX_MAGNITUDE = 1e9  # far above any plausible fact (platelets top out at 5e6 /uL) and exact in micro-units


def to_micro(value: float) -> int:
    """A number on the 6-decimal grid as integer micro-units; off the grid is a caller's error, not a rounding."""
    if type(value) is int:  # on the grid already (most facts: days, 1/0): only its range to check
        if abs(value) <= MAX_MAGNITUDE:
            return value * _SCALE
    # On the grid, value * 10**6 lies within float spacing (< 0.01 below 10**15) of an integer, so rounding
    # preserves the order and equality of any two grid values.
    elif round(value, config.DECIMALS) == value and abs(value) <= MAX_MAGNITUDE:
        return round(value * _SCALE)
    raise ValueError(f"number {value!r} is not carried to {config.DECIMALS} decimal places or is out of range")


# Formulas: ("atom", slot, op, value) with op in lt/le/gt/ge/eq/ne/none, ("and", [..]), ("or", [..]).
def _atom(slots, leaf: Leaf, op: str):
    if op == "none":
        return ("atom", slots[leaf.fact], op, None)
    return ("atom", slots[leaf.fact], op, leaf.value if isinstance(leaf.value, str) else to_micro(leaf.value))


def _join(kind: str, parts: list) -> tuple:
    flat: list[tuple] = []
    for part in parts:
        flat.extend(part[1] if part[0] == kind else [part])
    return flat[0] if len(flat) == 1 else (kind, flat)


class _Kleene:
    """Positive formulas for a node being true (T), false (F), unknown (U), not true (NT), not false (NF)."""

    def __init__(self, slots):
        self.slots = slots

    def T(self, n):
        if isinstance(n, Leaf):
            return _atom(self.slots, n, n.op)
        if n.op == "not":
            return self.F(n.children[0])
        return _join("and" if n.op == "all" else "or", [self.T(c) for c in n.children])

    def F(self, n):
        if isinstance(n, Leaf):
            return _atom(self.slots, n, NEGATED_OP[n.op])
        if n.op == "not":
            return self.T(n.children[0])
        return _join("or" if n.op == "all" else "and", [self.F(c) for c in n.children])

    def NT(self, n):
        if isinstance(n, Leaf):
            return _join("or", [self.F(n), self.U(n)])
        if n.op == "not":
            return self.NF(n.children[0])
        return _join("or" if n.op == "all" else "and", [self.NT(c) for c in n.children])

    def NF(self, n):
        if isinstance(n, Leaf):
            return _join("or", [self.T(n), self.U(n)])
        if n.op == "not":
            return self.NT(n.children[0])
        return _join("and" if n.op == "all" else "or", [self.NF(c) for c in n.children])

    def U(self, n):
        if isinstance(n, Leaf):
            return _atom(self.slots, n, "none")
        if n.op == "not":
            return self.U(n.children[0])
        # all: no child false and one unknown; any: no child true and one unknown.
        others = self.NF if n.op == "all" else self.NT
        return _join(
            "or", [_join("and", [self.U(c)] + [others(o) for o in n.children if o is not c]) for c in n.children]
        )


def _node_count(formula) -> int:
    if formula[0] == "atom":
        return 0
    return 1 + sum(_node_count(part) for part in formula[1])


def _split(formula) -> list:
    """Disjuncts small enough for one durable-rules rule each, whose OR is the formula."""
    if _node_count(formula) <= MAX_NODES_PER_RULE:
        return [formula]
    if formula[0] == "or":
        return [rule for part in formula[1] for rule in _split(part)]
    if formula[0] == "and":
        for i, part in enumerate(formula[1]):
            if part[0] == "or":  # distribute: (a or b) and rest -> (a and rest) or (b and rest)
                rest = formula[1][:i] + formula[1][i + 1 :]
                return [rule for option in part[1] for rule in _split(_join("and", [option] + rest))]
    raise EngineFault(f"a conjunction too large for one durable-rules rule ({_node_count(formula)} nodes)")


def _to_durable(formula) -> dict:
    if formula[0] == "atom":
        _, slot, op, value = formula
        if op == "none":
            return {slot: None}
        if op == "eq":
            return {slot: value}
        return {_DURABLE_OP[op]: {slot: value}}
    return {"$" + formula[0]: [_to_durable(part) for part in formula[1]]}


_UNKNOWN = object()
# The fact's JSON, without the circular-reference check (a flat dict of numbers and names) and without spaces.
_to_json = json.JSONEncoder(check_circular=False, separators=(",", ":")).encode


def _no_action(closure) -> None:
    pass


class _CompiledDurable:
    def __init__(self, host: _QuietHost, rule_set: CompiledRuleSet):
        self.name = "screener_" + rule_set.digest.removeprefix("sha256:")[:24]
        referenced = dict.fromkeys(leaf.fact for c in rule_set.criteria for leaf in c.leaves)
        self.slots = {fact: f"f{i}" for i, fact in enumerate(referenced)}
        # A slot is numeric when any comparison holds it against a number, categorical otherwise.
        self.numeric_slots = {
            self.slots[leaf.fact] for c in rule_set.criteria for leaf in c.leaves if not isinstance(leaf.value, str)
        }
        kleene = _Kleene(self.slots)
        # The Host requires an action per rule; evaluation reads fired rule names natively (_fire), so none runs.
        rules = {"sentinel": {"all": [{"m": {"evaluated": 1}}], "run": _no_action}}
        for index, criterion in enumerate(rule_set.criteria):
            holds = kleene.T(criterion.tree)
            fails = holds if criterion.is_exclusion else kleene.F(criterion.tree)
            for outcome, formula in ((Status.FAIL, fails), (Status.UNKNOWN, kleene.U(criterion.tree))):
                for k, part in enumerate(_split(formula)):
                    rules[f"c{index}.{outcome}.{k}"] = {"all": [{"m": _to_durable(part)}], "run": _no_action}
        self.markers = {
            name: None if name == "sentinel" else (int(name[1 : name.index(".")]), Status(name.split(".")[1]))
            for name in rules
        }
        # Read on every screening, so prepared here: each fact's slot and whether it holds a number; criterion ids.
        self.inputs = tuple((fact, slot, slot in self.numeric_slots) for fact, slot in self.slots.items())
        self.ids = tuple(c.id for c in rule_set.criteria)
        host.register_rulesets({self.name: rules})
        self.handle = host.get_ruleset(self.name)._handle


class DurableEvaluator:
    name = config.Engine.DURABLE.value

    def __init__(self):
        self._host = _QuietHost()
        self._compiled: dict[str, _CompiledDurable] = {}
        self._session_ids = itertools.count()
        # The durable-rules host and its native rulesets are process-global state: one evaluation at a time.
        self._lock = threading.Lock()

    def _prepared(self, rule_set: CompiledRuleSet) -> _CompiledDurable:
        prepared = self._compiled.get(rule_set.digest)
        if prepared is None:
            prepared = self._compiled[rule_set.digest] = _CompiledDurable(self._host, rule_set)
        return prepared

    @staticmethod
    def _fire(prepared: _CompiledDurable, fact: dict) -> list:
        """Assert the fact and run every action it triggers; the markers of the rules that fired."""
        code, state_handle = _native.assert_fact(prepared.handle, _to_json(fact))
        if code != 0:  # 1: not handled (no rule matched), 2: observed before; the sentinel makes both impossible
            raise EngineFault(f"durable-rules returned {code} for a fact: no rule fired, not even the sentinel")
        fired = []
        markers = prepared.markers
        result = _native.start_action_for_state(prepared.handle, state_handle)
        while result:
            message = result[1] if isinstance(result, tuple) else result
            # An action's message is {"<rule name>":{"m":<the whole fact>}}, one rule per action (durable's own
            # Ruleset._flush_actions reads only the first key). Only the name is needed: slicing it out instead of
            # json.loads of the whole fact, 6-7 times a screening, measured in the commit. Our rule names hold no
            # quote; a name that is not one of ours is a fault, never skipped.
            end = message.find('"', 2)
            marker = markers.get(message[2:end], _UNKNOWN) if message.startswith('{"') else _UNKNOWN
            if marker is _UNKNOWN:
                raise EngineFault("durable-rules named a rule that is not in the compiled rule set")
            fired.append(marker)
            result = _native.complete_and_start_action(prepared.handle, state_handle)
        return fired

    def evaluate(self, rule_set: CompiledRuleSet, values: Mapping[AnyFactKey, float | str | None]) -> dict[str, Status]:
        with self._lock:
            prepared = self._prepared(rule_set)
            sid = str(next(self._session_ids))
            fact: dict[str, object] = {"sid": sid, "evaluated": 1}
            for key, slot, numeric_slot in prepared.inputs:
                value = values[key]
                if value is not None:
                    numeric = isinstance(value, (int, float)) and not isinstance(value, bool)
                    if numeric is not numeric_slot:
                        raise TypeError(f"fact {key} must be a {'number' if numeric_slot else 'category name'}")
                    if numeric:
                        value = to_micro(cast(float, value))  # numeric: an int or a float
                fact[slot] = value
            fired = self._fire(prepared, fact)
            if None not in fired:
                raise EngineFault("the sentinel rule did not fire")
            _native.delete_state(prepared.handle, sid)
        outcomes: dict[int, Status] = {}
        for marker in fired:
            if marker is not None:
                index, outcome = marker
                if outcomes.setdefault(index, outcome) != outcome:
                    raise EngineFault(f"criterion {prepared.ids[index]} both failed and was unknown")
        return {criterion: outcomes.get(i, Status.PASS) for i, criterion in enumerate(prepared.ids)}
