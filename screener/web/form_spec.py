"""Which inputs the screening form shows: derived from the chosen trials' facts and the field catalogue.

No per-trial template code: a trial's rule set names facts; each fact maps to the record inputs that establish it;
the inputs fall into sections in the order a chart is read.
"""
from dataclasses import dataclass, field

from ..engine.compile import compiled
from ..facts.catalogue import catalogue
from ..model.labs import LABS
from ..model.record import ChemotherapyCourse, Imaging, Medication, Transfusion, Transplant
from ..rules import load_rule_sets

SECTIONS = ("Patient", "Diagnosis and disease status", "Prior therapy and transplants", "Laboratory values",
            "Organ function", "Medications", "Investigator attestations")
ORGAN_FUNCTION_LABS = {"shortening_fraction", "ejection_fraction", "spo2", "lansky_karnofsky", "measured_gfr"}
HISTORY_ROWS = {"transplants": 2, "chemotherapy": 2, "transfusions": 3, "imaging": 3, "medications": 4}
HISTORY_SECTION = {"transplants": "Prior therapy and transplants", "chemotherapy": "Prior therapy and transplants",
                   "transfusions": "Prior therapy and transplants", "imaging": "Diagnosis and disease status",
                   "medications": "Medications"}
HISTORY_MODEL = {"transplants": Transplant, "chemotherapy": ChemotherapyCourse, "transfusions": Transfusion,
                 "imaging": Imaging, "medications": Medication}
HISTORY_LABEL = {"transplants": "Stem-cell transplants", "chemotherapy": "Chemotherapy courses",
                 "transfusions": "Transfusions", "imaging": "Imaging studies", "medications": "Medications (generic names)"}


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
    units: tuple[str, ...]
    with_reference: bool


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
    def empty(self) -> bool:
        return not (self.inputs or self.labs or self.histories)


_YES_NO = (("", "not recorded"), ("yes", "yes"), ("no", "no"))
_ATTEST = (("not_assessed", "not assessed"), ("yes", "yes"), ("no", "no"))


def _record_input(key: str) -> Input:
    info = catalogue()[key]
    label = info.description[:1].upper() + info.description[1:]
    if info.type == "attestation":
        return Input(key, label, "select", _ATTEST, hint="The investigator's judgement; not assessed counts as unknown.")
    if info.type == "boolean":
        return Input(key, label, "select", _YES_NO)
    if info.type == "category":
        return Input(key, label, "select", (("", "not recorded"),) + tuple((c, c.replace("_", " ")) for c in info.categories))
    return Input(key, label, "number")


# Columns in the order a chart lists them (model fields inherit the period's start/end first).
COLUMN_ORDER = ("name", "type", "product", "modality", "route", "dose", "dose_unit", "regimen", "date", "start", "end",
                "largest_lesion_mm", "avid")


def _literal_options(annotation) -> tuple[tuple[str, str], ...]:
    import typing

    literal = annotation if typing.get_origin(annotation) is typing.Literal else next(
        (a for a in typing.get_args(annotation) if typing.get_origin(a) is typing.Literal), None)
    if literal is None:
        return ()
    return (("", "—"),) + tuple((v, v.replace("_", " ")) for v in typing.get_args(literal))


def _history_columns(name: str) -> list[Input]:
    columns = []
    fields = HISTORY_MODEL[name].model_fields
    for column in sorted(fields, key=lambda c: COLUMN_ORDER.index(c) if c in COLUMN_ORDER else len(COLUMN_ORDER)):
        info = fields[column]
        label = column.replace("_", " ").capitalize()
        annotation = info.annotation
        options = _literal_options(annotation)
        kind = "select" if options or annotation in (bool, bool | None) else (
            "date" if column in ("date", "start", "end") else "number" if column in ("dose", "largest_lesion_mm") else "text")
        if kind == "select" and not options:
            options = (("", "—"), ("yes", "yes"), ("no", "no"))
        columns.append(Input(column, label, kind, options))
    return columns


def form_sections(trial_ids: list[str]) -> list[Section]:
    """The sections and inputs the chosen trials need, in chart order."""
    rule_sets = load_rule_sets()
    facts = sorted({fact for t in trial_ids for fact in compiled(rule_sets[t]).facts})
    sections = {title: Section(title) for title in SECTIONS}
    patient = sections["Patient"]
    patient.inputs += [
        Input("record_id", "Pseudonymous screening id (optional; no names or MRNs)", "text"),
        Input("demographics.birth_date", "Date of birth", "date", required=True),
        Input("demographics.sex", "Sex", "select", (("female", "female"), ("male", "male"), ("other", "other"), ("unknown", "unknown")), required=True),
    ]
    labs: dict[str, bool] = {}
    histories: set[str] = set()
    needs_body = False
    for key in facts:
        if key.startswith("recorded["):
            key = key[len("recorded["):-1]  # whether a value is recorded: the same input as the value itself
        if key.startswith("transfusion_free["):
            histories.add("transfusions")  # independence of transfusion is judged from the transfusion history
            key = "lab." + key.split("lab=", 1)[1].split(";", 1)[0]
        if key in ("age_years", "sex"):
            continue
        if key == "gfr":
            labs.setdefault("measured_gfr", False)
            labs.setdefault("creatinine", False)
            needs_body = True
        elif key.startswith("lab."):
            lab, _, reference = key.removeprefix("lab.").partition("/")
            labs[lab] = labs.get(lab, False) or reference == "uln"
        elif key.startswith("imaging."):
            histories.add("imaging")
        elif key.startswith("history.") or "transplant=" in key:
            histories.add("transplants")
        elif "transfusion=" in key:
            histories.add("transfusions")
        elif "chemotherapy_end" in key:
            histories.add("chemotherapy")
        elif "medication=" in key:
            histories.add("medications")
            needs_body = True
        elif key.startswith(("diagnosis.", "findings.", "attestations.")):
            section = ("Investigator attestations" if key.startswith("attestations.") else
                       "Diagnosis and disease status" if key.startswith("diagnosis.") else "Organ function")
            sections[section].inputs.append(_record_input(key))
    if needs_body:
        patient.inputs += [Input("demographics.weight_kg", "Weight (kg)", "number"),
                           Input("demographics.weight_date", "Date weighed", "date"),
                           Input("demographics.height_cm", "Height (cm)", "number"),
                           Input("demographics.height_date", "Date measured", "date")]
    # Findings and attestations count only with the date they were assessed (the rule set's lookback applies).
    for title, name, label in (("Organ function", "findings.assessed_on", "Date these findings were assessed"),
                               ("Investigator attestations", "attestations.assessed_on",
                                "Date the investigator signed these attestations")):
        if any(i.name.startswith(name.split(".")[0] + ".") for i in sections[title].inputs):
            sections[title].inputs.insert(0, Input(name, label, "date", hint="Without it these answers count as not recorded."))
    for lab, with_reference in labs.items():
        spec = LABS[lab]
        target = sections["Organ function" if lab in ORGAN_FUNCTION_LABS else "Laboratory values"]
        target.labs.append(LabInput(lab, spec.description, tuple(spec.units), with_reference or spec.reference_range_from_lab))
    for name in ("imaging", "transplants", "chemotherapy", "transfusions", "medications"):
        if name in histories:
            sections[HISTORY_SECTION[name]].histories.append(
                HistoryInput(name, HISTORY_LABEL[name], _history_columns(name), HISTORY_ROWS[name]))
    return [s for s in sections.values() if not s.empty]
