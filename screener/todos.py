"""What settles an open criterion, as data: each to-do's kind and day, and where any one of several routes settles
it, the routes ("record either the MRI/CT and the MIBG scan, or the FDG-PET").

Computed from the compiled condition tree (engine/compile.py) and the facts' typed settle actions (facts/reasons.py),
the same for every trial: a route already decided against the patient is left out (recording it cannot make the
criterion pass), and the routes of an "any" (or of an exclusion's "all", which any one part avoids) become one
to-do. Nothing here decides a status: only what to record and how it is grouped.
"""
from datetime import date
from functools import lru_cache
from typing import Mapping

from .engine.compile import CompiledCriterion, Leaf, Node
from .explain import instruction
from .facts.catalogue import catalogue
from .facts.fact import Fact
from .facts.keys import AnyFactKey
from .facts.reasons import (
    ChooseSameDayTransplant,
    RecordAssessment,
    RecordField,
    RecordHistory,
    RecordImaging,
    RecordLab,
    RecordScan,
    RecordUln,
    RepeatLab,
    ReviewDraft,
    Settle,
    SettleEntries,
)
from .model.fields import FieldType
from .model.language import DEFAULT_LANGUAGE, Language
from .model.report import Step, Todo, TodoKind
from .model.trusted import trusted
from .wording.sentences import sentences

_TESTS = (RecordLab, RecordUln, RecordScan)
_HISTORIES = (RecordHistory, RecordImaging, ChooseSameDayTransplant, SettleEntries)


def kind(settle: Settle) -> tuple[TodoKind, date | None]:
    """What an action asks for, and the day it hangs on."""
    if isinstance(settle, RepeatLab):
        return "repeat_after", settle.on
    if isinstance(settle, ReviewDraft):
        return "review_draft", None  # nothing in the chart settles a placeholder: the rule set's reviewer does
    if isinstance(settle, (RecordField, RecordAssessment)):
        if catalogue()[settle.field.name].type is FieldType.ATTESTATION:
            return "ask_investigator", None
        return "record_chart", None  # a finding (with its assessment date): the chart's
    if isinstance(settle, _TESTS):
        return "record_test", None
    if isinstance(settle, _HISTORIES):
        return "record_history", None
    return "record_chart", None  # the patient's sex, the disease status, the pathology


@lru_cache(maxsize=4096)
def step(settle: Settle, language: Language = DEFAULT_LANGUAGE) -> Step:
    """The action as a to-do (frozen, so shared: the same action words the same in every report)."""
    what, day = kind(settle)
    return trusted(Step, {"kind": what, "text": instruction(settle, language), "date": day, "routes": []})


# A need is what one part of the tree still asks for: its routes, any one of which settles it, each the steps it
# takes. A list of needs: every one of them is needed. None: the part is decided against the patient.
_Need = tuple[tuple[Step, ...], ...]


def _needs(tree, good: bool, facts: Mapping[AnyFactKey, Fact], language: Language) -> list[_Need] | None:
    if isinstance(tree, Leaf):
        fact = facts[tree.fact]
        if fact.value is None:
            return [((step(fact.settle, language),) if fact.settle is not None else (),)]
        return [] if tree.holds(fact.value) == good else None
    if not isinstance(tree, Node):
        raise TypeError(f"not a condition: {tree!r}")
    if tree.op == "not":
        return _needs(tree.children[0], not good, facts, language)
    parts = [_needs(child, good, facts, language) for child in tree.children]
    if (tree.op == "all") == good:  # every part is needed
        if any(part is None for part in parts):
            return None
        return [need for part in parts if part is not None for need in part]
    live = [part for part in parts if part is not None]  # any one part will do
    if not live:
        return None
    if any(not part for part in live):
        return []
    if len(live) == 1:
        return live[0]
    return [tuple(tuple({s.text: s for need in part for route in need for s in route}.values()) for part in live)]


def _lower_first(text: str) -> str:
    return text if text[1:2].isupper() else text[:1].lower() + text[1:]


def _either(routes: list[tuple[Step, ...]], language: Language) -> Step:
    w = sentences(language)
    kinds = [s.kind for route in routes for s in route]  # a mixed either goes where its first route's step does
    days = {s.date for route in routes for s in route}
    said = w.say("Either %(routes)s (any one settles it)", routes=w.any_route(
        [w.both([_lower_first(s.text) for s in route]) for route in routes]
    ))
    return trusted(Step, {
        "kind": kinds[0],
        "text": said,
        "date": days.pop() if len(days) == 1 else None,
        "routes": [[s.text for s in route] for route in routes],
    })


def _steps(needs: list[_Need], language: Language) -> list[Step]:
    out: list[Step] = []
    for need in needs:
        routes = [route for route in need if route]
        if len(routes) == 1:
            out.extend(routes[0])
            continue
        common = [s for s in routes[0] if all(s in route for route in routes[1:])] if routes else []
        out.extend(common)
        rest = [tuple(s for s in route if s not in common) for route in routes]
        if len(rest) > 1 and all(rest):  # else what every route shares settles it alone
            out.append(_either(rest, language))
    return list({s.text: s for s in out}.values())


def criterion_steps(
    criterion: CompiledCriterion, facts: Mapping[AnyFactKey, Fact], open_: bool, language: Language = DEFAULT_LANGUAGE
) -> list[Step]:
    """The to-dos of an open criterion (open_), or of a fail that waiting turns open (each missing value's action)."""
    flat = list(
        {
            s.text: s
            for leaf in criterion.leaves
            if facts[leaf.fact].value is None and (settle := facts[leaf.fact].settle) is not None
            for s in (step(settle, language),)
        }.values()
    )
    if not open_:
        return flat
    needs = _needs(criterion.tree, not criterion.is_exclusion, facts, language)
    steps = _steps(needs, language) if needs else []
    return steps or flat  # the tree always has a need when the criterion is open; never an empty list if not


def report_todos(
    results: list[dict], to_repeat: list[tuple[str, date]], language: Language = DEFAULT_LANGUAGE
) -> list[Todo]:
    """Each criterion's steps once, with the criteria they settle; then what to repeat by the day every fail clears."""
    w = sentences(language)
    todos: dict[tuple, dict] = {}
    for r in results:
        for s in r["to_do"]:
            key = (s.kind, s.text, s.date)
            todos.setdefault(key, {"kind": s.kind, "text": s.text, "date": s.date, "routes": s.routes,
                                   "criteria": []})["criteria"].append(r["id"])
    for criterion_id, day in to_repeat:
        text = w.say("Repeat by %(date)s what this criterion is judged on: its data will be too old by then",
                     date=w.stated_day(day))
        todos.setdefault(("repeat_by", text, day), {"kind": "repeat_by", "text": text, "date": day, "routes": [],
                                                    "criteria": []})["criteria"].append(criterion_id)
    return [trusted(Todo, t) for t in todos.values()]
