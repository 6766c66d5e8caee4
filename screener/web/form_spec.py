"""Which inputs the screening form shows: derived from the chosen trials' facts and the field catalogue.

No per-trial template code: a trial's rule set names facts; each fact maps to the record inputs that establish it;
the inputs fall into sections in the order a chart is read.
"""
from dataclasses import dataclass, field

from pydantic import BaseModel

from ..engine.compile import compiled
from ..facts.catalogue import catalogue
from ..facts.keys import (
    DaysSinceFact,
    DerivedFact,
    LabFact,
    LabMultipleFact,
    RecordedFact,
    RecordFact,
    TransfusionFreeFact,
)
from ..model.labs import LABS, unit_choices
from ..model.record import ChemotherapyCourse, Imaging, Medication, Transfusion, Transplant
from ..rules import load_rule_sets

# The order a coordinator reads a chart in, defined here and nowhere else: each section and its items in order.
# An item is a record path (one input), "lab.NAME" (a row of the section's lab table) or "history.NAME" (a list).
CHART: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "Patient",
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
        "Diagnosis and disease status",
        (
            "diagnosis.primary",
            "diagnosis.pathology_confirmed",
            "diagnosis.disease_status",
            "diagnosis.risk_group",
            "diagnosis.mycn_amplified",
            "diagnosis.evaluable_disease",
            "diagnosis.marrow_tumor_cells",
            "diagnosis.urine_catecholamines_elevated",
        ),
    ),
    ("Imaging", ("history.imaging",)),
    ("Prior therapy and transplants", ("diagnosis.induction_cycles", "history.chemotherapy", "history.transplants")),
    ("Transfusions", ("history.transfusions",)),
    (
        "Laboratory values",
        (
            "lab.platelets",
            "lab.anc",
            "lab.agc",
            "lab.hemoglobin",
            "lab.inr",
            "lab.ptt",
            "lab.creatinine",
            "lab.bilirubin",
            "lab.alt",
            "lab.ast",
        ),
    ),
    (
        "Organ function",
        ("lab.measured_gfr", "lab.shortening_fraction", "lab.ejection_fraction", "lab.spo2", "lab.lansky_karnofsky"),
    ),
    ("Medications", ("history.medications",)),
    (
        "Findings",
        (
            "findings.assessed_on",
            "findings.seizures",
            "findings.dyspnea_at_rest",
            "findings.exercise_intolerance",
            "findings.chronic_oxygen_need",
            "findings.pulse_oximetry_indicated",
            "findings.pleural_or_pericardial_effusion",
            "findings.hiv_status",
            "findings.other_trial_participation",
            "findings.ctcae_grades.renal",
            "findings.ctcae_grades.cardiac",
            "findings.ctcae_grades.hepatic",
            "findings.ctcae_grades.neurological",
            "findings.ctcae_grades.pulmonary",
            "findings.ctcae_grades.gastrointestinal",
        ),
    ),
    (
        "Investigator attestations",
        (
            "attestations.guardian_consent_signed",
            "attestations.life_expectancy_at_least_6_months",
            "attestations.able_to_comply",
            "attestations.no_emergency_condition",
            "attestations.assessed_on",
        ),
    ),
)
HISTORY_ROWS = {"transplants": 2, "chemotherapy": 2, "transfusions": 3, "imaging": 3, "medications": 4}
HISTORY_MODEL: dict[str, type[BaseModel]] = {
    "transplants": Transplant,
    "chemotherapy": ChemotherapyCourse,
    "transfusions": Transfusion,
    "imaging": Imaging,
    "medications": Medication,
}
HISTORY_LABEL = {
    "transplants": "Stem-cell transplants",
    "chemotherapy": "Chemotherapy courses",
    "transfusions": "Transfusions",
    "imaging": "Imaging studies",
    "medications": "Medications (generic names)",
}


@dataclass
class Input:
    name: str  # the HTML name, a path into the record
    label: str
    kind: str  # date, number, select, text
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
        return self.units if len(self.units) == 1 else (("", "— unit —"),) + self.units


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


_YES_NO = (("", "not recorded"), ("yes", "yes"), ("no", "no"))
_ATTEST = (("not_assessed", "not assessed"), ("yes", "yes"), ("no", "no"))


def _record_input(key: str) -> Input:
    info = catalogue()[key]
    label = info.description[:1].upper() + info.description[1:]
    if info.type == "attestation":
        return Input(key, label, "select", _ATTEST)
    if info.type == "boolean":
        return Input(key, label, "select", _YES_NO)
    if info.type == "category":
        return Input(
            key, label, "select", (("", "not recorded"),) + tuple((c, c.replace("_", " ")) for c in info.categories)
        )
    if info.choices:  # a grade: pick among the values the schema allows, never type one it refuses
        return Input(key, label, "select", (("", "not recorded"),) + tuple((str(v), str(v)) for v in info.choices))
    return Input(key, label, "number")


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

COLUMN_LABEL = {
    "rxnorm": "RxNorm id (optional)",
    "largest_lesion_mm": "Largest lesion (mm)",
    "avid": "Avid on this scan",
    "dose_unit": "Dose unit",
    "type": "Type",
}


def _literal_options(annotation) -> tuple[tuple[str, str], ...]:
    import typing

    literal = (
        annotation
        if typing.get_origin(annotation) is typing.Literal
        else next((a for a in typing.get_args(annotation) if typing.get_origin(a) is typing.Literal), None)
    )
    if literal is None:
        return ()
    return (("", "—"),) + tuple((v, v.replace("_", " ")) for v in typing.get_args(literal))


def _history_columns(name: str) -> list[Input]:
    columns = []
    fields = HISTORY_MODEL[name].model_fields
    for column in sorted(fields, key=lambda c: COLUMN_ORDER.index(c) if c in COLUMN_ORDER else len(COLUMN_ORDER)):
        info = fields[column]
        label = COLUMN_LABEL.get(column) or column.replace("_", " ").capitalize()
        annotation = info.annotation
        options = _literal_options(annotation)
        kind = (
            "select"
            if options or annotation in (bool, bool | None)
            else (
                "date"
                if column in ("date", "start", "end")
                else "number"
                if column in ("dose", "largest_lesion_mm")
                else "text"
            )
        )
        if kind == "select" and not options:
            options = (("", "—"), ("yes", "yes"), ("no", "no"))
        columns.append(Input(column, label, kind, options))
    return columns


SECTION_NOTES = {
    "Laboratory values": "The most recent result on or before the screening date.",
    "Organ function": "The most recent result on or before the screening date.",
    "Investigator attestations": "The investigator's judgement; not assessed counts as unknown.",
}


# Inputs that are not facts themselves: the patient's identity and when a block of the chart was written.
_PATIENT = {
    "record_id": Input("record_id", "Other pseudonymous id (optional, another system's; no names or MRNs)", "text"),
    "demographics.birth_date": Input("demographics.birth_date", "Date of birth", "date", required=True),
    # No default: a sex the coordinator did not choose would silently pick a creatinine limit.
    "demographics.sex": Input(
        "demographics.sex",
        "Sex",
        "select",
        (("", "— choose —"), ("female", "female"), ("male", "male"), ("other", "other"), ("unknown", "unknown")),
        required=True,
    ),
    "demographics.weight_kg": Input("demographics.weight_kg", "Weight (kg)", "number"),
    "demographics.weight_date": Input("demographics.weight_date", "Weight measured on", "date"),
    "demographics.height_cm": Input("demographics.height_cm", "Height (cm)", "number"),
    "demographics.height_date": Input("demographics.height_date", "Height measured on", "date"),
    "findings.assessed_on": Input(
        "findings.assessed_on",
        "Date these findings were assessed",
        "date",
        hint="Without it the findings below count as not recorded.",
    ),
    "attestations.assessed_on": Input(
        "attestations.assessed_on",
        "Date the investigator signed these attestations",
        "date",
        hint="Without it the attestations count as not assessed.",
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
            if not key.name.startswith("diagnosis."):
                items.add(key.name.split(".")[0] + ".assessed_on")
    items.update(f"lab.{lab}" for lab in labs)
    return items, labs


def _placed(items: set[str]) -> list[tuple[str, str]]:
    """(section, item) in chart order; an item the chart does not list yet still gets an input, at its section's end."""
    order = [(title, item) for title, chart_items in CHART for item in chart_items if item in items]
    listed = {item for _, item in order}
    home = {
        "lab": "Laboratory values",
        "history": "Prior therapy and transplants",
        "diagnosis": "Diagnosis and disease status",
        "findings": "Findings",
        "attestations": "Investigator attestations",
    }
    titles = [title for title, _ in CHART]
    extra = sorted((home.get(item.split(".")[0], "Patient"), item) for item in items - listed)
    return sorted(order + extra, key=lambda pair: titles.index(pair[0]))  # stable: chart order within a section


def form_sections(trial_ids: list[str]) -> list[Section]:
    """The sections and inputs the chosen trials need, in chart order."""
    rule_sets = load_rule_sets()
    facts = {fact for t in trial_ids for fact in compiled(rule_sets[t]).facts}
    items, labs = _needed(facts)
    sections = {title: Section(title) for title, _ in CHART}
    for title, item in _placed(items):
        section = sections[title]
        if item.startswith("lab."):
            spec = LABS[item[4:]]
            section.labs.append(
                LabInput(
                    spec.name,
                    spec.description,
                    tuple(unit_choices(spec)),
                    labs[spec.name] or spec.reference_range_from_lab,
                )
            )
        elif item.startswith("history."):
            name = item[8:]
            section.histories.append(
                HistoryInput(name, HISTORY_LABEL[name], _history_columns(name), HISTORY_ROWS[name])
            )
        else:
            section.inputs.append(_PATIENT.get(item) or _record_input(item))
    return [s for s in sections.values() if not s.empty]
