"""Screen a patient record against a trial's rule set: validate, derive facts, evaluate, explain."""
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from threading import Lock
from typing import Any, Iterable, NamedTuple

from pydantic import ValidationError

from . import config, explain, todos
from .candidates import candidate_by_verdict, order, rank
from .engine import evaluate_checked, get_evaluator, kleene
from .engine.compile import CompiledCriterion, CompiledRuleSet, Leaf, compiled
from .facts.derive import derive
from .facts.drug_names import vocabulary
from .facts.fact import Fact
from .facts.keys import AnyFactKey
from .facts.provenance import AsRecorded
from .model.dates import parse_date, today
from .model.errors import FieldError, InvalidRecord, ScreenerError, field_errors, render_path, validation_message
from .model.json_text import load_json
from .model.language import DEFAULT_LANGUAGE, Language
from .model.record import PatientRecord
from .model.report import Coverage, CriterionResult, Evidence, InputWarning, Recruitment, Report
from .model.ruleset import CriterionWords, RuleSet
from .model.trusted import trusted
from .model.validate import validate_data
from .model.verdict import Status, Verdict
from .rules import load_rule_sets, load_tables
from .wording import facts as words
from .wording.plausibility import as_of_problem, impossible_values, slip_for, values_to_confirm
from .wording.sentences import sentences


class UnknownTrial(KeyError, ScreenerError):
    pass


def parse_record(text: str | bytes, as_of: date | None = None) -> PatientRecord:
    """Strictly validate a JSON record; every problem is reported with its path, none echoes the input.

    With as_of, the checks that need it (born after it) are reported in the same list as the field errors, so a
    coordinator or a batch's errors.csv sees every problem at once.
    """
    if len(text) > config.MAX_RECORD_BYTES:
        raise InvalidRecord([FieldError(("(body)",), f"record larger than {config.MAX_RECORD_BYTES} bytes")])
    return parse_data(load_json(text, "(record)"), as_of)


def parse_data(data, as_of: date | None = None) -> PatientRecord:
    """parse_record for a record already built as data (the form's, or JSON parsed by model.json_text): the same
    checks and errors."""
    return _checked(lambda raw: validate_data(PatientRecord, raw), data, as_of)


def _checked(validate, raw, as_of: date | None) -> PatientRecord:
    try:
        record = validate(raw)
    except ValidationError as exc:
        errors = field_errors(exc, "(record)")
        errors = _with_slips(errors, raw) + _cross_field_errors(raw, as_of, {e.field for e in errors})
        if as_of is not None and (problem := as_of_problem(load_tables().impossible, as_of)) is not None:
            errors.append(problem)
        raise InvalidRecord(errors) from None
    if as_of is not None:
        check_as_of(record, as_of)
    return record


def _cross_field_errors(raw, as_of: date | None, reported: set[str]) -> list[FieldError]:
    """Checks across fields that pydantic skips once another field of the same part failed, run on the raw data
    through the same models: a birth date after the as-of date, a medication or course ending before it starts."""
    from .model.record import ChemotherapyCourse

    if as_of is None and not any(f.startswith(("history.chemotherapy[", "history.medications[")) for f in reported):
        return []
    data = raw
    part = lambda parent, key: parent.get(key) if isinstance(parent, dict) else None  # noqa: E731
    birth = part(part(data, "demographics"), "birth_date")
    rows = {name: part(part(data, "history"), name) for name in ("chemotherapy", "medications")}
    errors = []
    if as_of is not None and "demographics.birth_date" not in reported and isinstance(birth, str):
        try:
            errors += _born_after(parse_date(birth), as_of)
        except ValueError:
            pass
    for name, items in rows.items():
        for i, row in enumerate(items if isinstance(items, list) else []):
            where = ("history", name, i)
            path = render_path(where)
            if path in reported or not isinstance(row, dict) or not any(f.startswith(path + ".") for f in reported):
                continue
            try:
                validate_data(ChemotherapyCourse, {"start": row.get("start"), "end": row.get("end")})
            except ValidationError as exc:
                errors += [FieldError(where, validation_message(e)) for e in exc.errors() if not e["loc"]]
    return errors


def _with_slips(errors: list[FieldError], raw) -> list[FieldError]:
    """A lab value the schema refused as impossible, reworded with the likely slip where the impossible-values
    table names one (a platelet count of 250,000 given in ×10³/µL: did you mean /µL?)."""
    if not any(len(e.path) == 3 and e.path[0] == "observations" and e.path[2] == "value" for e in errors):
        return errors
    rows = raw.get("observations") if isinstance(raw, dict) else None
    table = load_tables().impossible
    out = []
    for error in errors:
        path = error.path
        if len(path) == 3 and path[0] == "observations" and path[2] == "value" and isinstance(rows, list):
            row = rows[path[1]] if isinstance(path[1], int) and path[1] < len(rows) else None
            if isinstance(row, dict):
                message = slip_for(table, row.get("test"), row.get("unit"), row.get("value"))
                if message is not None:
                    error = FieldError(path, message)
        out.append(error)
    return out


def _born_after(birth_date: date, as_of: date) -> list[FieldError]:
    if birth_date > as_of:
        return [FieldError(("demographics", "birth_date"), f"birth date is after the as-of date {as_of}")]
    return []


def check_as_of(record: PatientRecord, as_of: date) -> None:
    """Checks that need the as-of date (a patient not yet born on it cannot be screened) and every value no living
    child can have (criteria/tables/impossible_values.yaml: dates after today, slipped units, a screening date
    too far ahead)."""
    errors = _born_after(record.demographics.birth_date, as_of) + impossible_values(record, load_tables(), as_of)
    if errors:
        raise InvalidRecord(errors)


def rule_set_for(trial: str | RuleSet) -> RuleSet:
    if isinstance(trial, str):  # first: a trial id is the common case, and a model's isinstance is the slower
        rule_set = load_rule_sets().get(trial)
        if rule_set is None:
            raise UnknownTrial(trial)
        return rule_set
    if isinstance(trial, RuleSet):
        return trial
    raise UnknownTrial(trial)


def screen(record: PatientRecord, trial: str | RuleSet, as_of: date | None = None, engine: str | None = None) -> Report:
    """Screen one record against one trial on the as-of date (default: today)."""
    return _screen(record, trial, as_of or today(), engine)


def rescreen(record: PatientRecord, trial: str | RuleSet, as_of: date, engine: str | None = None) -> Report:
    """screen() for a record already stored: its input checks ran when it was accepted, or predate it, so an
    amendment's impact re-judges it as stored rather than refusing it for a check added since."""
    return _screen(record, trial, as_of, engine, checked=True)


def _screen(
    record: PatientRecord,
    trial: str | RuleSet,
    as_of: date,
    engine: str | None,
    checked: bool = False,
    warnings: list[InputWarning] | None = None,
):
    """warnings: the record's, when the caller already has them (screen_all: once, not once per trial)."""
    rule_set, facts, statuses, clearing, clears_on, waited, engine = _judged(record, trial, as_of, engine, checked)
    warnings = warnings_for(record) if warnings is None else warnings
    return build_report(rule_set, facts, statuses, clearing, as_of, engine, clears_on, waited, warnings)


def warnings_for(record: PatientRecord, language: Language = DEFAULT_LANGUAGE) -> list[InputWarning]:
    """The report's warnings: values a real child can have but that are usually a slip, screened as given (their
    questions in the reader's language)."""
    return [
        InputWarning(field=w.field, message=w.message)
        for w in values_to_confirm(record, load_tables().to_confirm, language)
    ]


def _judged(record: PatientRecord, trial: str | RuleSet, as_of: date, engine: str | None, checked: bool = False):
    """Everything a report is built from: the rule set, facts, statuses, each fail's clearing day, the day every
    fail clears and the statuses on that day, and the evaluator's name. checked: check_as_of has already run on
    this record and date (once for all trials)."""
    if not checked:
        check_as_of(record, as_of)
    rule_set = compiled(rule_set_for(trial))
    engine = engine or config.SCREENER_ENGINE
    facts, values, statuses = _judge(record, rule_set, as_of, engine)
    # The first day each failing criterion clears by waiting alone, if it does; the day every fail clears, if each
    # does, and the statuses the same record gets on that day (a second judgement only then).
    clearing = {c.id: _clearing(c, facts, values) for c in rule_set.criteria if statuses[c.id] == Status.FAIL}
    days = [c for c in clearing.values() if c is not None]
    clears_on = max(c.day for c in days) if days and len(days) == len(clearing) else None
    waited = _judge(record, rule_set, clears_on, engine)[2] if clears_on else None
    return rule_set, facts, statuses, clearing, clears_on, waited, get_evaluator(engine).name


def _judge(record: PatientRecord, rule_set: CompiledRuleSet, as_of: date, engine: str):
    """The facts, their values and every criterion's status, checked against the reference evaluator."""
    facts = derive(record, as_of, rule_set.facts, rule_set.rule_set.lookback, load_tables())
    values = {key: fact.value for key, fact in facts.items()}
    return facts, values, evaluate_checked(engine, rule_set, values)


def warm_up(engine: str | None = None) -> list[str]:
    """Load and compile every rule set and build it in the evaluator, so the first screening pays nothing."""
    evaluator = get_evaluator(engine or config.SCREENER_ENGINE)
    vocabulary(load_tables().medications).resolve("warm-up")  # opens the drug-name index (built once, ~2 s, if missing)
    trials = []
    for trial_id, rule_set in load_rule_sets().items():
        prepared = compiled(rule_set)
        evaluator.evaluate(prepared, {fact: None for fact in prepared.facts})
        trials.append(trial_id)
    return trials


def screen_all(record: PatientRecord, as_of: date | None = None, engine: str | None = None,
               trials: Iterable[str] | None = None) -> list[Report]:
    """One report per trial, candidates first (see candidates.rank)."""
    as_of = as_of or today()
    check_as_of(record, as_of)  # once, not once per trial; so are the warnings
    warnings = warnings_for(record)
    reports = [_screen(record, trial, as_of, engine, True, warnings) for trial in (trials or load_rule_sets())]
    return sorted(reports, key=rank)


def _evidence(leaves: tuple[Leaf, ...], facts: dict[AnyFactKey, Fact], said: dict[AnyFactKey, tuple]) -> list[Evidence]:
    """Each comparison's evidence; said: each fact's words, worded once per screening (several criteria and
    comparisons read one fact).

    An Evidence is frozen: one on a shared Fact (the derivation hands one Fact to every record with that value, a
    field not recorded, a category with its assessment date) is made once per comparison and shared by those
    records' reports, as the strings the derivation once wrote were. The memo holds the leaf and the fact, so
    neither id can be reused while it is there.
    """
    evidence = []
    for leaf in leaves:
        key = leaf.fact
        fact = facts[key]
        if fact.shared:
            found = _EVIDENCE.get((id(leaf), id(fact)))
            if found is not None:
                evidence.append(found[2])
                continue
        worded = said.get(key)
        if worded is None:
            worded = said[key] = (*words.evidence(fact), fact.unknown)
        name = key.slot
        value = fact.value
        made = trusted(Evidence, {"fact": name, "label": name, "test": leaf.text, "value": worded[0],
                                  "unit": fact.unit, "date": fact.date, "source": worded[1],
                                  "holds": None if value is None else leaf.holds(value), "missing": worded[2],
                                  "unknown": worded[3]})
        if fact.shared:
            if len(_EVIDENCE) >= _EVIDENCE_MEMO:
                _EVIDENCE.clear()
            _EVIDENCE[(id(leaf), id(fact))] = (leaf, fact, made)
        evidence.append(made)
    return evidence


_EVIDENCE_MEMO = 8192
_EVIDENCE: dict[tuple[int, int], tuple[Leaf, Fact, Evidence]] = {}

# A criterion's result (its reason, evidence and to-dos in a reader's language) is made from the criterion, its
# status, its clearing day, the language and the facts of its own comparisons, nothing else: explain.reason,
# _evidence and _steps read only facts[leaf.fact] for the criterion's leaves (and the rule set's fixed parts, the
# reasons catalogue). So a result is made once per shape and shared by the reports with that shape (frozen models).
# Bounded, least recently used dropped first; an entry holds its criterion and facts, so no id in a key is reused
# while it is there.
_RESULTS_MEMO = 4096
_RESULTS: "OrderedDict[_Key, tuple[_Key, CompiledCriterion, list[Fact], dict[str, Any], CriterionResult]]" = (
    OrderedDict()
)
# The web app screens on several threads: a lookup and its move, an eviction and its insertion, each under the lock
# (the key's hash and equality are Python code, so another thread can run inside any one of them).
_RESULTS_LOCK = Lock()


class _Key:
    """A result's key with its hash worked out once: hashing a fact hashes each of its fields, nested, and a lookup
    and an insertion would each do it again."""

    __slots__ = ("parts", "_hash")

    def __init__(self, parts: tuple):
        self.parts = parts
        self._hash = hash(parts)

    def __hash__(self) -> int:
        return self._hash

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Key) and self.parts == other.parts


def _shape(fact: Fact) -> object:
    """What of a fact its words read, as a key (a shared Fact, one frozen object for every record with that value,
    is keyed by its identity where the key is made): all its fields (a Fact and what it holds are frozen
    dataclasses, equal when every field is; `shared`, the one field left out of equality, no word reads), with the
    types of the two values whose type is not fixed by their field: Fact.value (1/0 for yes/no, numbers, category
    names) and an AsRecorded value (True, 1 and 1.0 are equal keys but read "yes", "1" and "1.0"). Every other number
    in a fact has one type by its field: the strict schema's for what a record gives, int for the day and month
    counts the derivation computes (as the wording layer's own caches, keyed by the same dataclasses, rely on)."""
    shown = fact.shown
    return fact, type(fact.value), type(shown.value) if type(shown) is AsRecorded else None


class _Parts:
    """What a rule set's reports share, prepared once per compiled rule set: each criterion's fixed fields and its
    comparisons each once (a comparison used in two branches is shown once), the rule set's fixed fields."""

    def __init__(self, rule_set: CompiledRuleSet):
        self.criteria = []
        for criterion in rule_set.criteria:
            c = criterion.criterion
            fixed = {
                "id": c.id,
                "kind": c.kind,
                "title": c.title,
                "registry_number": c.registry_number,
                "source_text": c.source_text,
                "citation": explain.citation(c.citation.reference, c.citation.section),
                "basis": c.basis,
                "interpretation": c.interpretation,
                "attestation": c.attestation is not None,
            }
            leaves = tuple(dict.fromkeys(criterion.leaves))
            self.criteria.append((criterion, fixed, leaves, tuple(dict.fromkeys(leaf.fact for leaf in leaves))))
        meta = rule_set.rule_set
        self.report = {
            "trial_id": meta.trial_id,
            "title": meta.title,
            "recruitment": Recruitment.model_validate(meta.recruitment.model_dump()) if meta.recruitment else None,
            "rule_set_version": meta.version,
            "rule_set_digest": rule_set.digest,
            "rule_set_status": meta.status,
        }
        self._translated: dict[Language, list[dict[str, Any]]] = {}
        # Validated here, once per rule set, and shared by its reports (frozen models).
        self.coverage = Coverage.model_validate(
            {
                "complete": meta.coverage.complete,
                "statement": meta.coverage.statement,
                "criteria_from_data": sum(c.attestation is None for c in meta.criteria),
                "criteria_by_attestation": sum(c.attestation is not None for c in meta.criteria),
                "unknown_from_source": list(meta.coverage.unknown_from_source),
            }
        )


    def fixed(self, language: Language) -> list[dict[str, Any]]:
        """Each criterion's fixed fields in a reader's language: its title and interpretation note as the rule file
        writes them in that language (the registry's verbatim words, the citation and the basis stay as the source
        gives them); a rule set that declares no such language keeps its English ones."""
        if language == DEFAULT_LANGUAGE:
            return [fixed for _, fixed, _, _ in self.criteria]
        found = self._translated.get(language)
        if found is None:
            found = self._translated[language] = [
                {**fixed, **({"title": said.title, "interpretation": said.interpretation or fixed["interpretation"]}
                             if (said := _translated_words(criterion, language)) else {})}
                for criterion, fixed, _, _ in self.criteria
            ]
        return found


def _translated_words(criterion: CompiledCriterion, language: Language) -> CriterionWords | None:
    """The criterion's title and note as its rule file writes them in this language, if it does."""
    return next((words for lang, words in (criterion.criterion.translations or {}).items() if lang == language), None)


_PARTS: dict[int, tuple[CompiledRuleSet, _Parts]] = {}


def _parts(rule_set: CompiledRuleSet) -> _Parts:
    """Keyed by identity and holding a reference, as engine.compile.compiled is."""
    entry = _PARTS.get(id(rule_set))
    if entry is None:
        entry = _PARTS[id(rule_set)] = (rule_set, _Parts(rule_set))
    return entry[1]


class Clearing(NamedTuple):
    """The first day a failing criterion stops failing by waiting alone, and whether it then passes (it may be
    unknown instead: a platelet count drawn inside a transfusion window must still be repeated)."""

    day: date
    passes: bool


def _clearing(
    criterion: CompiledCriterion, facts: dict[AnyFactKey, Fact], values: dict[AnyFactKey, float | str | None]
) -> Clearing | None:
    """When a failing criterion would stop failing by waiting alone, if waiting alone stops it failing."""
    clearing = {leaf.fact: leaf for leaf in criterion.leaves if facts[leaf.fact].clears_on is not None}
    if not clearing:
        return None
    waited = dict(values)
    for fact, leaf in clearing.items():
        waited[fact] = leaf.value  # a window's first day outside it
    holds = kleene(criterion.tree, waited)
    if holds is criterion.is_exclusion:  # still fails after waiting: no day to give
        return None
    last = max(day for fact in clearing if (day := facts[fact].clears_on) is not None)
    return Clearing(last, holds is (not criterion.is_exclusion))


def _counts(statuses: dict[str, Status]) -> dict[Status, int]:
    values = list(statuses.values())
    return {s: values.count(s) for s in Status}


def _claims_eligibility(meta: RuleSet) -> bool:
    """Whether every criterion passing may read eligible: a complete rule set a person has reviewed. A draft's
    encoding is unchecked, so like a partial rule set's its passing reads no known exclusion, never eligible."""
    return meta.coverage.complete and meta.status != "draft"


def _verdict(counts: dict[Status, int], complete: bool) -> Verdict:
    return (
        Verdict.INELIGIBLE
        if counts[Status.FAIL]
        else Verdict.INCOMPLETE
        if counts[Status.UNKNOWN]
        else Verdict.ELIGIBLE
        if complete
        else Verdict.NO_KNOWN_EXCLUSION
    )


def _expired(statuses: dict[str, Status], waited: dict[str, Status] | None, clearing) -> list[str]:
    """Criteria settled today whose data will be too old on the day every fail clears.

    A fail that waiting turns into an unknown (a count inside a transfusion window) is not one: what settles it is
    in its to_settle, not an age.
    """
    return [
        c
        for c, status in statuses.items()
        if status != Status.UNKNOWN
        and waited
        and waited[c] == Status.UNKNOWN
        and (clearing.get(c) is None or clearing[c].passes)
    ]


def _clears_to_eligible(
    counts: dict[Status, int], expired: list[str], complete: bool, waited: dict[str, Status] | None
) -> bool:
    """Waiting alone makes every criterion pass: the day every fail clears is an eligible-from date."""
    return (
        counts[Status.UNKNOWN] == 0
        and not expired
        and complete
        and waited is not None
        and bool(waited)
        and all(v == Status.PASS for v in waited.values())
    )


@dataclass(frozen=True)
class Outcome:
    """A screening as data: the verdict, the failing and unknown criteria, the eligible-from day, whether it is a
    candidate, and what to record next (each to-do's instruction), from the judgement alone. Its explanation text
    (each criterion's reason and evidence words) is worded only when `report` is read: a batch row shows none, and a
    candidate's row only what to record (candidates.csv)."""

    trial_id: str
    verdict: Verdict
    failing: tuple[str, ...]
    unknown: tuple[str, ...]
    eligible_from: date | None
    complete: bool
    candidate: bool
    judged: "_Judged" = field(repr=False, compare=False)

    @property
    def rank(self) -> tuple:
        """candidates.rank's key, without a report."""
        return order(
            self.verdict,
            self.candidate,
            self.complete,
            self.open_items,
            self.trial_id,
        )

    @property
    def open_items(self) -> int:
        """candidates.open_items, without a report."""
        return len(self.unknown) if self.verdict == Verdict.INCOMPLETE else 0

    @property
    def to_settle(self) -> list[str]:
        """The report's to_settle (what to record next), from the to-dos alone: no reason or evidence is worded."""
        j = self.judged
        return _to_settle(
            [_steps(c, j.facts, j.statuses[c.id], j.clearing.get(c.id)) for c in j.rule_set.criteria]
        )

    @property
    def report(self) -> Report | None:
        """A candidate's full report, worded when first read (None for any other screening)."""
        return self.worded() if self.candidate else None

    def worded(self, language: Language = DEFAULT_LANGUAGE) -> Report:
        """The full report, screen()'s, worded on the first call and kept; in another language (the same judgement,
        its sentences in the reader's words), worded each time it is asked for."""
        if language == DEFAULT_LANGUAGE:
            return self._worded
        j = self.judged
        return build_report(j.rule_set, j.facts, j.statuses, j.clearing, j.as_of, j.engine, j.clears_on, j.waited,
                            warnings_for(j.record, language), language)

    @cached_property
    def _worded(self) -> Report:
        j = self.judged
        return build_report(j.rule_set, j.facts, j.statuses, j.clearing, j.as_of, j.engine, j.clears_on, j.waited,
                            warnings_for(j.record))


class _Judged(NamedTuple):
    """What _judged found, kept by an Outcome so that its report can be worded later, if it is read."""

    record: PatientRecord
    as_of: date
    rule_set: CompiledRuleSet
    facts: dict[AnyFactKey, Fact]
    statuses: dict[str, Status]
    clearing: "dict[str, Clearing | None]"
    clears_on: date | None
    waited: dict[str, Status] | None
    engine: str


def screen_outcome(
    record: PatientRecord,
    trial: str | RuleSet,
    as_of: date | None = None,
    engine: str | None = None,
    checked: bool = False,
) -> Outcome:
    """screen() for population pre-screening: the same judgement (facts, both evaluators, the clearing day), no
    sentence worded unless its report is read. tests/test_screen_outcome.py holds it to screen() on every pinned
    case."""
    as_of = as_of or today()
    rule_set, facts, statuses, clearing, clears_on, waited, engine = _judged(record, trial, as_of, engine, checked)
    complete = _claims_eligibility(rule_set.rule_set)
    counts = _counts(statuses)
    verdict = _verdict(counts, complete)
    candidate = candidate_by_verdict(verdict, lambda: _disease_present(rule_set, facts))
    expired = _expired(statuses, waited, clearing)
    eligible = clears_on is not None and _clears_to_eligible(counts, expired, complete, waited)
    return Outcome(
        rule_set.rule_set.trial_id,
        verdict,
        tuple(c for c, s in statuses.items() if s == Status.FAIL),
        tuple(c for c, s in statuses.items() if s == Status.UNKNOWN),
        clears_on if eligible else None,
        complete,
        candidate,
        _Judged(record, as_of, rule_set, facts, statuses, clearing, clears_on, waited, engine),
    )


def screen_outcomes(
    record: PatientRecord, trials: Iterable[str], as_of: date, engine: str | None = None, checked: bool = False
) -> list[Outcome]:
    """An outcome per trial, in the order given. checked: check_as_of already ran on this record and date (the
    batch reads a native record with it)."""
    if not checked:
        check_as_of(record, as_of)  # once, not once per trial
    return [screen_outcome(record, trial, as_of, engine, checked=True) for trial in trials]


def screen_all_outcomes(
    record: PatientRecord, as_of: date, engine: str | None = None, checked: bool = False
) -> list[Outcome]:
    """screen_all's order (candidates first), as outcomes."""
    return sorted(screen_outcomes(record, load_rule_sets(), as_of, engine, checked), key=lambda o: o.rank)


def _disease_present(rule_set: CompiledRuleSet, facts: dict[AnyFactKey, Fact]) -> bool:
    """candidates.disease_present on the facts instead of the report's evidence: a comparison on the primary
    diagnosis holds in an inclusion criterion."""
    for criterion in rule_set.criteria:
        if criterion.criterion.kind == "inclusion":
            for leaf in criterion.leaves:
                if leaf.fact.slot == "diagnosis.primary":
                    value = facts[leaf.fact].value
                    if value is not None and leaf.holds(value) is True:
                        return True
    return False


def _steps(criterion: CompiledCriterion, facts: dict[AnyFactKey, Fact], status: Status, cleared: "Clearing | None",
           language: Language = DEFAULT_LANGUAGE):
    """A criterion's to-dos. An unknown criterion says what settles it; so does a fail that waiting turns into an
    unknown, at once: during a transfusion window, the day to repeat the count is known now."""
    if status == Status.UNKNOWN or (cleared and not cleared.passes):
        return todos.criterion_steps(criterion, facts, status == Status.UNKNOWN, language)
    return []


def _to_settle(steps: list[list]) -> list[str]:
    """The report's to_settle: every criterion's to-dos in order, each instruction once."""
    return list(dict.fromkeys(s.text for criterion in steps for s in criterion))


def build_report(
    rule_set: CompiledRuleSet,
    facts: dict[AnyFactKey, Fact],
    statuses: dict[str, Status],
    clearing: "dict[str, Clearing | None]",
    as_of: date,
    engine: str,
    clears_on: date | None = None,
    waited: dict[str, Status] | None = None,
    warnings: list[InputWarning] | None = None,
    language: Language = DEFAULT_LANGUAGE,
) -> Report:
    """The report, built from parts the compiler and the derivation already checked, not validated a second time.

    language: the reader's language of its sentences (reasons, instructions, summary, verdict line, the criteria's
    titles and notes); everything else (statuses, evidence, dates, to-do kinds) is the same in every language, and
    what is stored is always English.

    clearing: each failing criterion's first day it clears by waiting alone (None if waiting does not clear it).
    clears_on and waited: the day every fail clears by waiting alone, and the statuses the same record gets on
    that day (data older by then is too old there, so what must be repeated shows).
    Profiled: validating the whole report in pydantic's core was 130-210 µs a screening, model_construct slower
    still; model.trusted builds the same instances in ~55 µs (tests/test_report_trusted.py holds them to the schema).
    """
    parts = _parts(rule_set)
    w = sentences(language)
    said: dict[AnyFactKey, tuple] = {}
    results: list[dict[str, Any]] = []
    criteria: list[CriterionResult] = []
    for (criterion, _, leaves, keys), fixed in zip(parts.criteria, parts.fixed(language), strict=True):
        cid = fixed["id"]
        status = statuses[cid]
        cleared = clearing.get(cid)
        read = [facts[key] for key in keys]
        memo = _Key((id(criterion), language, status, cleared, *[id(f) if f.shared else _shape(f) for f in read]))
        with _RESULTS_LOCK:
            found = _RESULTS.get(memo)
            if found is not None:
                _RESULTS.move_to_end(found[0])  # the stored key: found by identity, not compared again
        if found is not None:
            results.append(found[3])
            criteria.append(found[4])
            continue
        steps = _steps(criterion, facts, status, cleared, language)
        result = {
            **fixed,
            "status": status,
            "reason": explain.reason(status, criterion, facts, language),
            "evidence": _evidence(leaves, facts, said),
            "to_settle": [s.text for s in steps],
            "eligible_from": cleared.day if cleared and cleared.passes else None,
            "to_do": steps,
        }
        made = trusted(CriterionResult, result)
        with _RESULTS_LOCK:
            if len(_RESULTS) >= _RESULTS_MEMO:
                _RESULTS.popitem(last=False)
            _RESULTS[memo] = (memo, criterion, read, result, made)
        results.append(result)
        criteria.append(made)
    counts = _counts(statuses)
    meta = rule_set.rule_set
    complete = _claims_eligibility(meta)
    verdict = _verdict(counts, complete)
    fails = [r for r in results if r["status"] == Status.FAIL]
    to_settle = _to_settle([r["to_do"] for r in results])
    encoded = w.count("PARTIAL, %(n)s criterion encoded", "PARTIAL, %(n)s criteria encoded", len(results))
    if verdict == Verdict.ELIGIBLE:
        summary = w.say("every criterion passes")
    elif verdict == Verdict.NO_KNOWN_EXCLUSION:
        summary = (
            w.say("no known exclusion — %(encoded)s; the source's other criteria are not known, so eligibility cannot "
                  "be judged here", encoded=encoded) if not meta.coverage.complete else
            w.say("no known exclusion — every criterion passes under DRAFT RULES nobody has reviewed, so eligibility "
                  "cannot be judged here")
        )
    elif verdict == Verdict.INELIGIBLE:
        summary = w.count("%(n)s criterion fails (%(ids)s)", "%(n)s criteria fail (%(ids)s)", counts[Status.FAIL],
                          ids=w.comma.join(r["id"] for r in fails))
    else:
        summary = w.count("no criterion fails; %(n)s criterion cannot be judged yet",
                          "no criterion fails; %(n)s criteria cannot be judged yet", counts[Status.UNKNOWN])
    if not meta.coverage.complete and verdict != Verdict.NO_KNOWN_EXCLUSION:
        summary += w.say(" — %(encoded)s; the source leaves others unknown", encoded=encoded)
    if meta.status == "draft" and verdict != Verdict.NO_KNOWN_EXCLUSION:
        summary += w.say(" — under DRAFT RULES nobody has reviewed")
    eligible_from, no_fail_from, to_repeat, expired = None, None, [], []
    if clears_on is not None and waited is not None:  # judged again on clears_on (_judged)
        expired = _expired(statuses, waited, clearing)
        by = w.stated_day(clears_on)
        to_repeat = [
            w.say("%(id)s (%(title)s): its data will be too old by %(date)s", id=r["id"], title=r["title"], date=by)
            for r in results if r["id"] in expired
        ]
        if _clears_to_eligible(counts, expired, complete, waited):
            eligible_from = clears_on
            summary += w.say("; every fail clears by waiting: eligible from %(date)s if nothing else changes", date=by)
        elif Status.FAIL not in waited.values():  # a limit crossed while waiting (an age) gives no such day
            no_fail_from = clears_on
            open_items = list(waited.values()).count(Status.UNKNOWN)
            summary += w.count("; no failing criterion from %(date)s; %(n)s item still to record",
                               "; no failing criterion from %(date)s; %(n)s items still to record", open_items, date=by)
            if expired:
                summary += w.say(" (to repeat by then: %(ids)s)", ids=w.comma.join(expired))
    return trusted(
        Report,
        {
            **parts.report,
            "engine": engine,
            "as_of": as_of,
            "verdict": verdict,
            "verdict_text": verdict.line(len(results), meta.status == "draft", meta.coverage.complete, w),
            "summary": summary,
            "counts": counts,
            "criteria": criteria,
            "to_settle": to_settle,
            "eligible_from": eligible_from,
            "no_fail_from": no_fail_from,
            "to_repeat": to_repeat,
            "coverage": parts.coverage,
            "warnings": list(warnings or ()),  # its own list: screen_all shares one among its reports
            "to_do": todos.report_todos(
                results, [(r["id"], clears_on) for r in results if r["id"] in expired] if clears_on else [], language
            ),
        },
    )
