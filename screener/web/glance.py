"""What a coordinator reads first on a result page: the verdict in words, the failing and open criteria by title, and
one worklist of to-dos grouped by action, each naming the criteria it settles.

Composed from the report's structured fields (criteria[].status/title/eligible_from, to_do with each to-do's kind,
day and criteria, eligible_from, no_fail_from, coverage; a report stored before to_do: its to_settle and to_repeat).
The report's own `summary` string is left as it is (the API, the CLI and the exports carry it); it names criteria by
id and counts items the page does not list, so the page does not show it. Every count on the page is the length of a
list shown beside it.
"""
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from ..explain import plain, registry_label, spell_dates
from ..model.report import CriterionResult, Report
from ..model.verdict import Status, Verdict
from .i18n import N_


@dataclass(frozen=True)
class Named:
    """A criterion as people name it: its title, where the registry lists it, which trial it belongs to."""

    trial_id: str
    id: str
    title: str
    where: str  # "Exclusion 7- (the registry's second list)"
    short: str  # "Exclusion 7-": beside a title, where the full table explains the numbering
    status: str
    eligible_from: date | None

    @classmethod
    def of(cls, trial_id: str, criterion: CriterionResult) -> "Named":
        return cls(
            trial_id,
            criterion.id,
            criterion.title,
            registry_label(criterion.kind, criterion.registry_number),
            f"{criterion.kind.capitalize()} {criterion.registry_number or ''}".strip(),
            str(criterion.status),
            criterion.eligible_from,
        )


@dataclass
class Todo:
    text: str
    settles: list[Named] = field(default_factory=list)

    def trials(self) -> list[str]:
        return list(dict.fromkeys(n.trial_id for n in self.settles))


@dataclass
class Group:
    key: str
    heading: str
    todos: list[Todo] = field(default_factory=list)


# The actions a to-do can ask for, in the order a coordinator works through them: what has a date first (re-screen,
# repeat on or after), then whom to ask, then what to record.
_GROUPS = (
    ("dates", N_("On or after a date: wait, repeat, re-screen")),
    ("investigator", N_("Ask the investigator")),
    ("tests", N_("Record a test or scan (dated within the rule set's window)")),
    ("histories", N_("Record or complete a history: imaging, transfusions, medications, treatment")),
    ("chart", N_("Record from the chart")),
)
_HEADING = dict(_GROUPS)
# Each to-do's kind (model/report.TodoKind) names its group; a kind a later version stored lands in the last group.
_KIND_GROUP = {
    "repeat_after": "dates",
    "repeat_by": "dates",
    "ask_investigator": "investigator",
    "record_test": "tests",
    "record_history": "histories",
    "record_chart": "chart",
}


def _repeat_by(day) -> str:
    return f"Repeat by {spell_dates(day)} what this criterion is judged on: today's values will be too old by then"


def _todos(report: Report) -> Iterable[tuple[str, str, list[CriterionResult]]]:
    """Each to-do of the report: its words, its group, the criteria it settles; from the report's to_do (its kind and
    day as data), or for a report stored before it, from its words (_stored_todos)."""
    if not report.to_do and (report.to_repeat or any(c.to_settle for c in report.criteria)):
        yield from _stored_todos(report)
        return
    by_id = {c.id: c for c in report.criteria}
    for todo in report.to_do:
        text = _repeat_by(todo.date) if todo.kind == "repeat_by" and todo.date else todo.text
        yield text, _KIND_GROUP.get(todo.kind, "chart"), [by_id[i] for i in todo.criteria if i in by_id]


# --- reports stored before to_do: the action read from the first words, which explain.instruction writes from a
# handful of templates; anything else lands in the last group, never dropped.
_HISTORY_WORDS = (
    "Record the recent imaging",
    "Record the generic name of ",
    "Record the route of ",
    "Record the dose and unit ",
)


def _action(text: str) -> str:
    if text.startswith("Repeat "):
        return "dates"
    if text.startswith("Ask the investigator"):
        return "investigator"
    if " dated within " in text or "upper limit of normal" in text:
        return "tests"
    if text.startswith(_HISTORY_WORDS) or "(or that there were none)" in text or " history" in text:
        return "histories"
    return "chart"


_TOO_OLD_BY = re.compile(r"its data will be too old by (\d{4}-\d{2}-\d{2})$")


def _stored_todos(report: Report) -> Iterable[tuple[str, str, list[CriterionResult]]]:
    for item in report.to_repeat:  # "ID (title): its data will be too old by DAY"
        criterion = next((c for c in report.criteria if item.startswith(f"{c.id} (")), None)
        day = _TOO_OLD_BY.search(item)
        if criterion is None or day is None:  # a wording this page does not know: shown as the report words it
            yield spell_dates(item), "dates", [criterion] if criterion is not None else []
            continue
        yield _repeat_by(day[1]), "dates", [criterion]
    for criterion in report.criteria:
        for text in criterion.to_settle:
            yield text, _action(text), [criterion]


# Two trials can word the same to-do with and without the units it may be written in; the key leaves the
# bracketed parts before "dated within" out, so they are listed once (the fuller wording is kept).
_BRACKET_BEFORE_WINDOW = re.compile(r" \([^()]*\)(?= dated within )")


def _key(text: str) -> str:
    previous = None
    while previous != text:
        previous, text = text, _BRACKET_BEFORE_WINDOW.sub("", text)
    return text


def _waits(report: Report) -> Iterable[tuple[str, list[CriterionResult]]]:
    """Failing criteria that pass by waiting alone, by the day they pass, and the day to screen again."""
    fails = [c for c in report.criteria if c.status == Status.FAIL]
    clearing = [c for c in fails if c.eligible_from is not None]
    if report.eligible_from is not None:
        yield (
            f"Screen again on or after {spell_dates(report.eligible_from)}: every fail clears by waiting then "
            "(eligible if nothing else changes)",
            clearing,
        )
        return
    if report.no_fail_from is not None:
        yield (
            f"Screen again on or after {spell_dates(report.no_fail_from)}, once the other to-dos are done: by then no "
            "criterion fails, if nothing else changes",
            fails,
        )
        return
    for day in sorted({c.eligible_from for c in clearing if c.eligible_from is not None}):
        yield f"Wait: passes by waiting alone from {spell_dates(day)}", [c for c in clearing if c.eligible_from == day]


def worklist(reports: Iterable[Report]) -> list[Group]:
    """One list of to-dos for one or more trials' reports: each to-do once, grouped by action, with what it settles."""
    todos: dict[str, Todo] = {}
    grouped: dict[str, list[str]] = {key: [] for key, _ in _GROUPS}

    def add(text: str, group: str, criteria: Iterable[Named]) -> None:
        key = _key(text) if group != "dates" else text
        if key not in todos:
            todos[key] = Todo(text)
            grouped[group].append(key)
        elif len(text) > len(todos[key].text):
            todos[key].text = text
        for named in criteria:
            if named not in todos[key].settles:
                todos[key].settles.append(named)

    for report in reports:
        for text, waiting in _waits(report):
            add(text, "dates", [Named.of(report.trial_id, c) for c in waiting])
        for text, group, criteria in _todos(report):
            add(text, group, [Named.of(report.trial_id, c) for c in criteria])
    return [
        Group(key, _HEADING[key], [todos[k] for k in grouped[key]]) for key, _ in _GROUPS if grouped[key]
    ]


def count(groups: list[Group]) -> int:
    return sum(len(g.todos) for g in groups)


def settled(groups: list[Group]) -> int:
    """How many distinct criteria the listed to-dos name."""
    return len({(n.trial_id, n.id) for g in groups for t in g.todos for n in t.settles})


def criteria_word(n: int) -> str:
    return f"{n} criteri{'on' if n == 1 else 'a'}"


@dataclass
class Glance:
    """One trial's summary: the verdict in words, its failing and open criteria by title, its worklist."""

    report: Report
    sentence: str
    fails: list[Named]
    unknowns: list[Named]
    worklist: list[Group]

    @property
    def todo_count(self) -> int:
        return count(self.worklist)


def _sentence(report: Report, fails: list[Named], unknowns: list[Named]) -> str:
    total = len(report.criteria)
    try:
        verdict = Verdict(report.verdict)
    except ValueError:  # a verdict a later version stored: no words beyond its name, never eligible's
        return "This version does not know this verdict: read each criterion below."
    words = {
        Verdict.ELIGIBLE: f"Every criterion passes ({total} of {total}).",
        Verdict.NO_KNOWN_EXCLUSION: f"Every encoded criterion passes ({total} of {total}); the source's other "
        "criteria are not encoded, so eligibility cannot be judged here." if not report.coverage.complete else
        f"Every criterion passes ({total} of {total}) under DRAFT RULES nobody has reviewed, so eligibility cannot "
        "be judged here.",
        Verdict.INELIGIBLE: f"{len(fails)} of {criteria_word(total)} fail{'s' if len(fails) == 1 else ''}: "
        + "; ".join(n.title for n in fails)
        + "."
        + (f" {len(unknowns)} more cannot be judged yet." if unknowns else ""),
        Verdict.INCOMPLETE: f"No criterion fails; {len(unknowns)} of {criteria_word(total)} cannot be judged yet.",
    }[verdict]
    if not report.coverage.complete and verdict is not Verdict.NO_KNOWN_EXCLUSION:
        words += f" Partial rule set: {criteria_word(total)} encoded; the source leaves others unknown."
    said = verdict is Verdict.NO_KNOWN_EXCLUSION and report.coverage.complete  # its own words say draft already
    if report.rule_set_status == "draft" and not said:
        words += " Screened under DRAFT RULES nobody has reviewed."
    if report.eligible_from is not None:
        words += f" Every fail clears by waiting: eligible from {spell_dates(report.eligible_from)} if nothing else " \
            "changes."
    elif report.no_fail_from is not None:
        words += f" No criterion fails from {spell_dates(report.no_fail_from)} if nothing else changes; the to-dos " \
            "below are still needed."
    return words


def glance(report: Report) -> Glance:
    fails = [Named.of(report.trial_id, c) for c in report.criteria if c.status == Status.FAIL]
    unknowns = [Named.of(report.trial_id, c) for c in report.criteria if c.status == Status.UNKNOWN]
    return Glance(report, _sentence(report, fails, unknowns), fails, unknowns, worklist([report]))


def by_status(criteria: list[CriterionResult]) -> list[tuple[str, list[CriterionResult]]]:
    """The full table's rows: failing first, then open, then passing; the registry's order within each."""
    groups = (
        (Status.FAIL, N_("Fails")),
        (Status.UNKNOWN, N_("Cannot be judged yet")),
        (Status.PASS, N_("Passes")),
    )
    known = [(words, [c for c in criteria if c.status == status]) for status, words in groups]
    # A status a later version stored: still listed, never dropped.
    other = [c for c in criteria if c.status not in (Status.FAIL, Status.UNKNOWN, Status.PASS)]
    return [(words, rows) for words, rows in known + [(N_("Other"), other)] if rows]


# Interpretation notes are written for reviewers of the rule set and name the repository's files; plain() drops a
# bracketed file path, these name what is left the way a coordinator knows it (the report keeps the paths).
_TABLE_FILE = re.compile(r"\bcriteria/tables/([a-z0-9_]+)\.yaml\b")
_FACTS_FILE = re.compile(r"\bclinical-facts\.md\b")


def readable(text: str | None) -> str:
    """A note as people read it: plain(), and no repository file names."""
    text = _TABLE_FILE.sub(lambda m: f"the rule set's {m[1].replace('_', ' ')} table", plain(text))
    return _FACTS_FILE.sub("the project's clinical reference", text)
