"""Evaluators: the narrow interface between compiled criteria and the backends that judge them.

Every backend takes the compiled rule set and the derived fact values (numbers, 1/0, category names, or None
for unknown) and returns pass/fail/unknown for every criterion. "durable" runs the criteria in durable-rules;
"reference" is the plain-Python Kleene evaluator the engine is tested against.
"""
from typing import Mapping, Protocol

from ..model.report import Status
from .compile import CompiledRuleSet


class Evaluator(Protocol):
    name: str

    def evaluate(self, rule_set: CompiledRuleSet, values: Mapping[str, float | str | None]) -> dict[str, Status]:
        """Status of every criterion, by criterion id."""


_EVALUATORS: dict[str, Evaluator] = {}


def get_evaluator(name: str) -> Evaluator:
    """The process-wide evaluator of that name (durable-rules' host is process-global, so one instance)."""
    if name not in _EVALUATORS:
        if name == "reference":
            from ._reference import ReferenceEvaluator

            _EVALUATORS[name] = ReferenceEvaluator()
        elif name == "durable":
            from ._durable import DurableEvaluator

            _EVALUATORS[name] = DurableEvaluator()
        else:
            raise ValueError(f"unknown evaluator {name!r}: choose durable or reference")
    return _EVALUATORS[name]


__all__ = ["Evaluator", "get_evaluator"]
