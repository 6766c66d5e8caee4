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

from flask import has_app_context
from flask_babel import gettext, ngettext

from ..explain import plain, registry_label, spell_dates
from ..model.dates import parse_date
from ..model.language import DEFAULT_LANGUAGE, Language, persian_digits
from ..model.report import CriterionResult, Report
from ..model.verdict import Status, Verdict
from ..wording.dates import when_in
from .i18n import N_, page_language


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


def _language() -> Language:
    """The page's language; English where there is no page (a worklist composed outside a request)."""
    return page_language() if has_app_context() else DEFAULT_LANGUAGE


def _day(day) -> str:
    """A day in the page's words: English as the report spells it (27 Nov 2026), Persian in Solar Hijri."""
    language = _language()
    if language == DEFAULT_LANGUAGE:
        return spell_dates(day)
    try:
        return when_in(day if isinstance(day, date) else parse_date(str(day)), language)
    except ValueError:
        return spell_dates(day)


def _n(number: int) -> str:
    return persian_digits(str(number)) if _language() == "fa" else str(number)


def _repeat_by(day) -> str:
    return gettext("Repeat by %(day)s what this criterion is judged on: today's values will be too old by then",
                   day=_day(day))


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
            gettext("Screen again on or after %(day)s: every fail clears by waiting then (eligible if nothing else "
                    "changes)", day=_day(report.eligible_from)),
            clearing,
        )
        return
    if report.no_fail_from is not None:
        yield (
            gettext("Screen again on or after %(day)s, once the other to-dos are done: by then no criterion fails, if "
                    "nothing else changes", day=_day(report.no_fail_from)),
            fails,
        )
        return
    for day in sorted({c.eligible_from for c in clearing if c.eligible_from is not None}):
        yield gettext("Wait: passes by waiting alone from %(day)s", day=_day(day)), [
            c for c in clearing if c.eligible_from == day]


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
    return ngettext("%(count)s criterion", "%(count)s criteria", n, count=_n(n))


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
    """The verdict in one sentence, in the page's language (the web catalogue's words; English as before)."""
    total, passed = _n(len(report.criteria)), _n(len(report.criteria))
    try:
        verdict = Verdict(report.verdict)
    except ValueError:  # a verdict a later version stored: no words beyond its name, never eligible's
        return gettext("This version does not know this verdict: read each criterion below.")
    criteria = criteria_word(len(report.criteria))
    if verdict is Verdict.ELIGIBLE:
        words = [gettext("Every criterion passes (%(passed)s of %(total)s).", passed=passed, total=total)]
    elif verdict is Verdict.NO_KNOWN_EXCLUSION and not report.coverage.complete:
        words = [gettext("Every encoded criterion passes (%(passed)s of %(total)s); the source's other criteria are "
                         "not encoded, so eligibility cannot be judged here.", passed=passed, total=total)]
    elif verdict is Verdict.NO_KNOWN_EXCLUSION:
        words = [gettext("Every criterion passes (%(passed)s of %(total)s) under DRAFT RULES nobody has reviewed, so "
                         "eligibility cannot be judged here.", passed=passed, total=total)]
    elif verdict is Verdict.INELIGIBLE:
        separator = "؛ " if _language() == "fa" else "; "
        words = [ngettext("%(count)s of %(criteria)s fails: %(titles)s.", "%(count)s of %(criteria)s fail: %(titles)s.",
                          len(fails), count=_n(len(fails)), criteria=criteria,
                          titles=separator.join(n.title for n in fails))]
        if unknowns:
            words.append(gettext("%(num)s more cannot be judged yet.", num=_n(len(unknowns))))
    else:
        words = [gettext("No criterion fails; %(num)s of %(criteria)s cannot be judged yet.", num=_n(len(unknowns)),
                         criteria=criteria)]
    if not report.coverage.complete and verdict is not Verdict.NO_KNOWN_EXCLUSION:
        words.append(gettext("Partial rule set: %(criteria)s encoded; the source leaves others unknown.",
                             criteria=criteria))
    said = verdict is Verdict.NO_KNOWN_EXCLUSION and report.coverage.complete  # its own words say draft already
    if report.rule_set_status == "draft" and not said:
        words.append(gettext("Screened under DRAFT RULES nobody has reviewed."))
    if report.eligible_from is not None:
        words.append(gettext("Every fail clears by waiting: eligible from %(day)s if nothing else changes.",
                             day=_day(report.eligible_from)))
    elif report.no_fail_from is not None:
        words.append(gettext("No criterion fails from %(day)s if nothing else changes; the to-dos below are still "
                             "needed.", day=_day(report.no_fail_from)))
    return " ".join(words)


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
    text = plain(text)
    # In the note's own language: an English note (a stored report, read by an auditor on a Persian page) stays
    # English; a Persian one keeps a table's name as one Latin term.
    persian = _ARABIC_SCRIPT.search(text) is not None
    say = gettext if persian else _as_written

    def table(m: re.Match) -> str:
        return say(_TABLE_WORDS, table=m[1] if persian else m[1].replace("_", " "))

    text = _TABLE_FILE.sub(table, text)
    return _FACTS_FILE.sub(lambda m: say(_FACTS_WORDS), text)


_ARABIC_SCRIPT = re.compile(r"[\u0600-\u06FF]")
_TABLE_WORDS = N_("the rule set's %(table)s table")
_FACTS_WORDS = N_("the project's clinical reference")


def _as_written(msgid: str, **values: str) -> str:
    return msgid % values if values else msgid
