"""Evaluators: the narrow interface between compiled criteria and the backends that judge them.

Every backend takes the compiled rule set and the derived fact values (numbers, 1/0, category names, or None
for unknown) and returns pass/fail/unknown for every criterion. "durable" runs the criteria in durable-rules;
"reference" is the plain-Python Kleene evaluator the engine is tested against.
"""
import logging
import uuid
from typing import Mapping, Protocol

from ..config import Engine
from ..facts.keys import AnyFactKey
from ..model.errors import ScreenerError
from ..model.report import Status
from ._reference import kleene
from .compile import CompiledRuleSet


class Evaluator(Protocol):
    name: str

    def evaluate(self, rule_set: CompiledRuleSet, values: Mapping[AnyFactKey, float | str | None]) -> dict[str, Status]:
        """Status of every criterion, by criterion id."""


_EVALUATORS: dict[str, Evaluator] = {}  # by Engine, a StrEnum: its plain name finds it too


def _engine(name: str) -> Engine:
    """The backend a name (an Engine, or SCREENER_ENGINE's or --engine's text) stands for."""
    try:
        return Engine(name)
    except ValueError:
        raise ValueError(f"unknown evaluator {name!r}: choose {' or '.join(Engine)}") from None


def get_evaluator(name: str) -> Evaluator:
    """The process-wide evaluator of that name (durable-rules' host is process-global, so one instance)."""
    evaluator = _EVALUATORS.get(name)
    if evaluator is not None:
        return evaluator
    engine = _engine(name)
    if engine not in _EVALUATORS:
        if engine is Engine.REFERENCE:
            from ._reference import ReferenceEvaluator

            _EVALUATORS[engine] = ReferenceEvaluator()
        else:
            from ._durable import DurableEvaluator

            _EVALUATORS[engine] = DurableEvaluator()
    return _EVALUATORS[engine]


log = logging.getLogger("screener.engine")


class EngineDisagreement(RuntimeError, ScreenerError):
    """The durable-rules backend and the reference evaluator judged a criterion differently: nothing is reported."""

    def __init__(self, incident_id: str, trial_id: str, criteria: list[str]):
        self.incident_id, self.trial_id, self.criteria = incident_id, trial_id, criteria
        super().__init__(f"incident {incident_id}: the evaluators disagree on {', '.join(criteria)} ({trial_id})")


# Disagreements seen by this process since it started; /readyz reports the count (per worker process).
disagreements = 0


def evaluate_checked(
    name: str, rule_set: CompiledRuleSet, values: Mapping[AnyFactKey, float | str | None]
) -> dict[str, Status]:
    """Statuses from the named backend, refused unless the reference evaluator reaches the same on every criterion.

    The backend is an unmaintained C library; the reference is a few lines of Kleene logic. A disagreement is a
    defect in one of them, and a report built on it could show a child eligible who is not.
    """
    global disagreements
    evaluator, reference_evaluator = get_evaluator(name), get_evaluator(Engine.REFERENCE)
    statuses = evaluator.evaluate(rule_set, values)
    if evaluator is reference_evaluator:
        return statuses
    reference = reference_evaluator.evaluate(rule_set, values)
    if reference == statuses:  # the same criteria, each with the same status
        return statuses
    differing = sorted(c for c in statuses.keys() | reference.keys() if statuses.get(c) != reference.get(c))
    if differing:
        disagreements += 1
        incident = uuid.uuid4().hex[:12]
        # Criterion ids and the trial only: the values could identify the patient.
        log.error(
            "incident %s: evaluators disagree on %s in %s (rule set %s)",
            incident,
            ",".join(differing),
            rule_set.rule_set.trial_id,
            rule_set.digest[:12],
        )
        raise EngineDisagreement(incident, rule_set.rule_set.trial_id, differing)
    return statuses


__all__ = ["Engine", "EngineDisagreement", "Evaluator", "evaluate_checked", "get_evaluator", "kleene"]
