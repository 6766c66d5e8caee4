"""Which inputs the screening form shows: derived from the chosen trials' facts and the field catalogue.

No per-trial template code: a trial's rule set names facts; each fact maps to the record inputs that establish it;
the inputs fall into sections in the order a chart is read.
"""
import datetime
import typing
from dataclasses import dataclass, field
from enum import StrEnum

from pydantic import BaseModel

from ..engine.compile import compiled
from ..facts.catalogue import catalogue, category_word, record_words
from ..facts.keys import (
    DaysSinceFact,
    DerivedFact,
    LabFact,
    LabMultipleFact,
    RecordedFact,
    RecordFact,
    TransfusionFreeFact,
)
from ..model.fields import FieldType, Words, value_words, words_of
from ..model.fields import Section as ChartSection
from ..model.labs import LABS, unit_choices
from ..model.record import ChemotherapyCourse, Imaging, Medication, Sex, Transfusion, Transplant
from ..rules import load_rule_sets
from .i18n import N_

# The order a coordinator reads a chart in. Each field and lab declares its section (screener/model/fields.py,
# model/labs.py); here a section lists what it shows that is not such a fact (the patient's inputs, when a block was
# assessed, the history lists) and the facts it puts first, and FACTS stands for the section's other declared facts,
# in the order they are declared.
FACTS = None
_LAYOUT: tuple[tuple[ChartSection, tuple[str | None, ...]], ...] = (
    (
        ChartSection.PATIENT,
        (
            "record_id",
            "demographics.birth_date",
            "demographics.sex",
            "demographics.weight_kg",
            "demographics.weight_date",
            "demographics.height_cm",
            "demographics.height_date",
        ),
    ),
    (
        ChartSection.DIAGNOSIS,
        (
            "diagnosis.primary",
            "diagnosis.pathology_confirmed",
            "diagnosis.disease_status",
            "diagnosis.risk_group",
            "diagnosis.mycn_amplified",
            "diagnosis.evaluable_disease",
            FACTS,
        ),
    ),
    (ChartSection.IMAGING, ("history.imaging",)),
    (ChartSection.THERAPY, (FACTS, "history.chemotherapy", "history.transplants")),
    (ChartSection.TRANSFUSIONS, ("history.transfusions",)),
    (ChartSection.LABS, (FACTS,)),
    (ChartSection.ORGAN_FUNCTION, (FACTS,)),
    (ChartSection.MEDICATIONS, ("history.medications",)),
    (ChartSection.FINDINGS, ("findings.assessed_on", FACTS)),
    (ChartSection.ATTESTATIONS, (FACTS, "attestations.assessed_on")),
)


def _chart() -> tuple[tuple[str, tuple[str, ...]], ...]:
    declared: dict[ChartSection | None, list[str]] = {}
    for name, info in catalogue().items():
        declared.setdefault(info.section, []).append(name)
    chart = []
    for section, items in _LAYOUT:
        rest = [name for name in declared.get(section, []) if name not in items]
        chart.append((section.value, tuple(n for item in items for n in (rest if item is FACTS else [item]))))
    return tuple(chart)


# Each section's title and its items in order: a record path (one input), a lab (a row of the section's lab table)
# or a history list (a table of entries).
CHART: tuple[tuple[str, tuple[str, ...]], ...] = _chart()
HISTORY_ROWS = {"transplants": 2, "chemotherapy": 2, "transfusions": 3, "imaging": 3, "medications": 4}
HISTORY_MODEL: dict[str, type[BaseModel]] = {
    "transplants": Transplant,
    "chemotherapy": ChemotherapyCourse,
    "transfusions": Transfusion,
    "imaging": Imaging,
    "medications": Medication,
}
HISTORY_LABEL = {name: record_words(f"history.{name}").label or name for name in HISTORY_MODEL}
_HISTORY_ITEMS = {f"history.{name}": name for name in HISTORY_MODEL}


class InputKind(StrEnum):
    """The control an input is shown as; each value is the word the page's macros are given."""

    TEXT = "text"
    NUMBER = "number"
    DATE = "date"
    SELECT = "select"


@dataclass
class Input:
    name: str  # the HTML name, a path into the record
    label: str
    kind: InputKind
    options: tuple[tuple[str, str], ...] = ()
    required: bool = False
    hint: str = ""


@dataclass
class LabInput:
    lab: str
    label: str
    units: tuple[tuple[str, str], ...]  # (code the API accepts, label as people write it), one per label
    with_reference: bool

    @property
    def unit_options(self) -> tuple[tuple[str, str], ...]:
        # No preselected unit when there is a choice: 142 read as /uL instead of 10*3/uL is another patient.
        return self.units if len(self.units) == 1 else (("", N_("— unit —")),) + self.units


@dataclass
class HistoryInput:
    name: str
    label: str
    columns: list[Input]
    rows: int


@dataclass
class Section:
    title: str
    inputs: list[Input] = field(default_factory=list)
    labs: list[LabInput] = field(default_factory=list)
    histories: list[HistoryInput] = field(default_factory=list)

    @property
    def note(self) -> str:
        return SECTION_NOTES.get(self.title, "")

    @property
    def empty(self) -> bool:
        return not (self.inputs or self.labs or self.histories)


_YES_NO = (("", N_("not recorded")), ("yes", N_("yes")), ("no", N_("no")))
_ATTEST = (("not_assessed", N_("not assessed")), ("yes", N_("yes")), ("no", N_("no")))


def _record_input(key: str) -> Input:
    info = catalogue()[key]
    label = info.description[:1].upper() + info.description[1:]
    if info.type is FieldType.ATTESTATION:
        return Input(key, label, InputKind.SELECT, _ATTEST)
    if info.type is FieldType.BOOLEAN:
        return Input(key, label, InputKind.SELECT, _YES_NO)
    if info.type is FieldType.CATEGORY:
        words = tuple((c, category_word(c)) for c in info.categories)
        return Input(key, label, InputKind.SELECT, (("", N_("not recorded")),) + words)
    if info.choices:  # a grade: pick among the values the schema allows, never type one it refuses
        grades = tuple((str(v), str(v)) for v in info.choices)
        return Input(key, label, InputKind.SELECT, (("", N_("not recorded")),) + grades)
    return Input(key, label, InputKind.NUMBER)


# Columns in the order a chart lists them (model fields inherit the period's start/end first).
COLUMN_ORDER = (
    "name",
    "rxnorm",
    "type",
    "product",
    "modality",
    "route",
    "dose",
    "dose_unit",
    "regimen",
    "date",
    "start",
    "end",
    "largest_lesion_mm",
    "avid",
)

def _literal_options(annotation, words: Words) -> tuple[tuple[str, str], ...]:
    literal = (
        annotation
        if typing.get_origin(annotation) is typing.Literal
        else next((a for a in typing.get_args(annotation) if typing.get_origin(a) is typing.Literal), None)
    )
    if literal is None:
        return ()
    return (("", "—"),) + tuple((v, value_words(v, words.values)) for v in typing.get_args(literal))


def _column_kind(annotation) -> InputKind:
    args = typing.get_args(annotation) or (annotation,)
    types = {typing.get_args(a)[0] if typing.get_origin(a) is typing.Annotated else a for a in args}
    if bool in types:
        return InputKind.SELECT
    # a subclass test, not datetime.date in types: a frozen clock (freezegun) replaces datetime.date, and a history
    # list's date columns read then became text inputs, their typed dates passed to the record unread
    if any(isinstance(t, type) and issubclass(t, datetime.date) for t in types):
        return InputKind.DATE
    return InputKind.NUMBER if types & {int, float} else InputKind.TEXT


def _history_columns(name: str) -> list[Input]:
    """A history list's columns, each labelled and offered as its field declares (screener/model/record.py)."""
    columns = []
    fields = HISTORY_MODEL[name].model_fields
    for column in sorted(fields, key=lambda c: COLUMN_ORDER.index(c) if c in COLUMN_ORDER else len(COLUMN_ORDER)):
        info = fields[column]
        words = words_of(info.metadata)
        label = words.label or value_words(column).capitalize()
        options = _literal_options(info.annotation, words)
        kind = InputKind.SELECT if options else _column_kind(info.annotation)
        if kind is InputKind.SELECT and not options:
            options = (("", "—"), ("yes", N_("yes")), ("no", N_("no")))
        columns.append(Input(column, label, kind, options))
    return columns


# The sections' titles (model/fields.py Section), for the catalogue: the form shows them in the reader's language.
_SECTION_WORDS = (N_("Patient"), N_("Diagnosis and disease status"), N_("Imaging"), N_("Prior therapy and transplants"),
                  N_("Transfusions"), N_("Laboratory values"), N_("Organ function"), N_("Medications"), N_("Findings"),
                  N_("Investigator attestations"))

SECTION_NOTES: dict[str, str] = {  # by title
    ChartSection.LABS: N_("The most recent result on or before the screening date."),
    ChartSection.ORGAN_FUNCTION: N_("The most recent result on or before the screening date."),
    ChartSection.ATTESTATIONS: N_("The investigator's judgement; not assessed counts as unknown."),
}


# Inputs that are not facts themselves: the patient's identity and when a block of the chart was written.
_PATIENT = {
    "record_id": Input(
        "record_id", N_("Other pseudonymous id (optional, another system's; no names or MRNs)"), InputKind.TEXT
    ),
    "demographics.birth_date": Input("demographics.birth_date", N_("Date of birth"), InputKind.DATE, required=True),
    # No default: a sex the coordinator did not choose would silently pick a creatinine limit.
    "demographics.sex": Input(
        "demographics.sex",
        N_("Sex"),
        InputKind.SELECT,
        (("", N_("— choose —")),) + tuple((sex, category_word(sex)) for sex in typing.get_args(Sex)),
        required=True,
    ),
    "demographics.weight_kg": Input("demographics.weight_kg", N_("Weight (kg)"), InputKind.NUMBER),
    "demographics.weight_date": Input("demographics.weight_date", N_("Weight measured on"), InputKind.DATE),
    "demographics.height_cm": Input("demographics.height_cm", N_("Height (cm)"), InputKind.NUMBER),
    "demographics.height_date": Input("demographics.height_date", N_("Height measured on"), InputKind.DATE),
    "findings.assessed_on": Input(
        "findings.assessed_on",
        N_("Date these findings were assessed"),
        InputKind.DATE,
        hint=N_("Without it the findings below count as not recorded."),
    ),
    "attestations.assessed_on": Input(
        "attestations.assessed_on",
        N_("Date the investigator signed these attestations"),
        InputKind.DATE,
        hint=N_("Without it the attestations count as not assessed."),
    ),
}


def _needed(facts) -> tuple[set[str], dict[str, bool]]:
    """The chart items the facts need, and for each lab whether it needs the lab's upper limit of normal."""
    items = {"record_id", "demographics.birth_date", "demographics.sex"}
    labs: dict[str, bool] = {}
    body = ("demographics.weight_kg", "demographics.weight_date", "demographics.height_cm", "demographics.height_date")
    for key in facts:
        if isinstance(key, RecordedFact):
            key = key.of  # whether a value is recorded: the same input as the value itself
        if isinstance(key, TransfusionFreeFact):
            items.add("history.transfusions")  # independence of transfusion is judged from the transfusion history
            key = LabFact(key.lab)
        if isinstance(key, (LabFact, LabMultipleFact)):
            labs[key.lab] = labs.get(key.lab, False) or (isinstance(key, LabMultipleFact) and key.of == "uln")
        elif isinstance(key, DerivedFact):
            path = catalogue()[key.name].record_path  # age and sex read the patient inputs, always shown
            if path is None:
                raise LookupError(f"derived fact {key.name} names no record input")
            items.add(path)
        elif isinstance(key, DaysSinceFact):
            items.add(f"history.{key.event.history}")
            if key.event.history == "medications":
                items.update(body)  # doses per kg or m² need the weight and height
        elif isinstance(key, RecordFact):
            items.add(key.name)
            dated_by = catalogue()[key.name].dated_by
            if dated_by:
                items.add(dated_by)
    items.update(f"lab.{lab}" for lab in labs)
    return items, labs


def _placed(items: set[str]) -> list[tuple[str, str]]:
    """(section, item) in chart order."""
    order = [(title, item) for title, chart_items in CHART for item in chart_items if item in items]
    unplaced = items - {item for _, item in order}
    if unplaced:  # every field and lab declares a section: an input with none is a defect, not a guess
        raise LookupError(f"no place on the form for {', '.join(sorted(unplaced))}")
    return order


def form_sections(trial_ids: list[str]) -> list[Section]:
    """The sections and inputs the chosen trials need, in chart order."""
    rule_sets = load_rule_sets()
    facts = {fact for t in trial_ids for fact in compiled(rule_sets[t]).facts}
    items, labs = _needed(facts)
    sections = {title: Section(title) for title, _ in CHART}
    for title, item in _placed(items):
        section = sections[title]
        info = catalogue().get(item)
        if info is not None and isinstance(info.key, LabFact):
            spec = LABS[info.key.lab]
            section.labs.append(
                LabInput(
                    spec.name,
                    spec.description,
                    tuple(unit_choices(spec)),
                    labs[spec.name] or spec.reference_range_from_lab,
                )
            )
        elif item in _HISTORY_ITEMS:
            name = _HISTORY_ITEMS[item]
            section.histories.append(
                HistoryInput(name, HISTORY_LABEL[name], _history_columns(name), HISTORY_ROWS[name])
            )
        else:
            section.inputs.append(_PATIENT.get(item) or _record_input(item))
    return [s for s in sections.values() if not s.empty]
