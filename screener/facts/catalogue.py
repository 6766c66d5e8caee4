"""The field catalogue: every fact a criterion may name, its type, unit and meaning.

Record fields are read off the pydantic models (one schema, not a second list); labs come from the lab
catalogue; derived facts are declared here beside the code that derives them (facts/derive.py).
"""
import datetime
import typing
from dataclasses import dataclass
from functools import lru_cache

from pydantic import BaseModel

from ..model.labs import LABS
from ..model.record import Attestations, Diagnosis, Findings, OrganToxicity, PatientRecord
from .keys import DerivedFact, FieldKey, LabFact, RecordFact


@dataclass(frozen=True)
class FieldInfo:
    key: FieldKey  # what a comparison on this field reads; key.slot is the name a rule file uses
    type: str  # "number", "boolean", "category", "attestation"
    description: str
    unit: str | None = None
    categories: tuple[str, ...] = ()
    loinc: tuple[str, ...] = ()
    accepted_units: tuple[str, ...] = ()
    # A derived fact's record input (the form offers it when a rule needs the fact); a record field is its own.
    record_path: str | None = None
    always_known: bool = False  # derived from required record fields: can never be unknown
    choices: tuple[int, ...] = ()  # every value a small bounded integer may take (a CTCAE grade: 0-5), from the schema

    @property
    def name(self) -> str:
        return self.key.slot


def _literal_values(annotation) -> tuple[str, ...]:
    if typing.get_origin(annotation) is typing.Literal:
        return tuple(typing.get_args(annotation))
    for arg in typing.get_args(annotation):  # Optional[Literal[...]]
        if typing.get_origin(arg) is typing.Literal:
            return tuple(typing.get_args(arg))
    return ()


def _integer_choices(annotation) -> tuple[int, ...]:
    """The values of an integer the schema bounds to a short range (Grade: ge=0, le=5), else ()."""
    for arg in (annotation, *typing.get_args(annotation)):  # Optional[Annotated[int, ...]]
        if typing.get_origin(arg) is typing.Annotated and typing.get_args(arg)[0] is int:
            bounds = {type(m).__name__: m for info in arg.__metadata__ for m in getattr(info, "metadata", [info])}
            if "Ge" in bounds and "Le" in bounds and bounds["Le"].le - bounds["Ge"].ge <= 10:
                return tuple(range(bounds["Ge"].ge, bounds["Le"].le + 1))
    return ()


def _unannotated(annotation):
    return typing.get_args(annotation)[0] if typing.get_origin(annotation) is typing.Annotated else annotation


def _model_fields(prefix: str, model: type[BaseModel]) -> list[FieldInfo]:
    fields = []
    for name, info in model.model_fields.items():
        annotation = info.annotation
        # Annotated types (IsoDate) unwrapped: the date test below missed `IsoDate | None` until it was.
        args = {_unannotated(a) for a in typing.get_args(annotation)} or {annotation}
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            fields.extend(_model_fields(f"{prefix}.{name}", annotation))
            continue
        if datetime.date in args:
            continue  # when a block was assessed: it dates the block's facts, it is not a fact itself
        categories = _literal_values(annotation)
        if model is Attestations:
            kind = "attestation"
        elif bool in args:
            kind = "boolean"
        elif categories:
            kind = "category"
        else:
            kind = "number"
        description = info.description or name.replace("_", " ")
        choices = _integer_choices(annotation)
        if model is OrganToxicity:
            kind, description = "number", f"worst current CTCAE v5.0 grade, {name} ({choices[0]}-{choices[-1]})"
        fields.append(
            FieldInfo(RecordFact(f"{prefix}.{name}"), kind, description, categories=categories, choices=choices)
        )
    return fields


_DERIVED = (
    FieldInfo(
        DerivedFact("age_years"),
        "number",
        "age in completed years on the as-of date",
        unit="years",
        record_path="demographics.birth_date",
        always_known=True,
    ),
    FieldInfo(
        DerivedFact("sex"),
        "category",
        "sex",
        categories=("female", "male", "other", "unknown"),
        record_path="demographics.sex",
        always_known=True,
    ),
    FieldInfo(
        DerivedFact("imaging.largest_lesion_mm"),
        "number",
        "largest lesion on the most recent MRI or CT",
        unit="mm",
        record_path="history.imaging",
    ),
    FieldInfo(
        DerivedFact("imaging.mibg_avid"),
        "boolean",
        "most recent I-123 MIBG scan shows avid disease",
        record_path="history.imaging",
    ),
    FieldInfo(
        DerivedFact("imaging.fdg_pet_avid"),
        "boolean",
        "most recent 18F-FDG PET shows avid disease",
        record_path="history.imaging",
    ),
    FieldInfo(
        DerivedFact("diagnosis.newly_diagnosed"),
        "boolean",
        "disease newly diagnosed",
        record_path="diagnosis.disease_status",
    ),
    FieldInfo(
        DerivedFact("diagnosis.tissue_confirmed"),
        "boolean",
        "diagnosis confirmed on tissue",
        record_path="diagnosis.pathology_confirmed",
    ),
    FieldInfo(
        DerivedFact("history.latest_hsct"),
        "category",
        "type of the most recent stem-cell transplant (none: reviewed, no transplant)",
        categories=("none", "autologous", "allogeneic", "haploidentical"),
        record_path="history.transplants",
    ),
    FieldInfo(
        DerivedFact("history.autologous_hsct"),
        "boolean",
        "has had an autologous stem-cell transplant",
        record_path="history.transplants",
    ),
    FieldInfo(
        DerivedFact("history.allogeneic_hsct"),
        "boolean",
        "has had an allogeneic stem-cell transplant",
        record_path="history.transplants",
    ),
    FieldInfo(
        DerivedFact("history.haploidentical_hsct"),
        "boolean",
        "has had a haploidentical stem-cell transplant",
        record_path="history.transplants",
    ),
)


@lru_cache(maxsize=1)
def catalogue() -> dict[str, FieldInfo]:
    """Every named fact, by name."""
    fields: list[FieldInfo] = []
    for prefix, model in (("diagnosis", Diagnosis), ("findings", Findings), ("attestations", Attestations)):
        fields.extend(_model_fields(prefix, model))
    for spec in LABS.values():
        fields.append(
            FieldInfo(
                LabFact(spec.name),
                "number",
                spec.description,
                unit=spec.canonical_unit,
                loinc=spec.loinc,
                accepted_units=tuple(spec.units),
            )
        )
    fields.extend(_DERIVED)
    return {f.name: f for f in fields}


def record_path_of(info: FieldInfo) -> str | None:
    """Where in the record a field's value comes from, by its key's type: a record field is its own path, a lab
    is read from the observations, a derived fact from the input its entry names."""
    if isinstance(info.key, RecordFact):
        return info.key.name
    if isinstance(info.key, LabFact):
        return "observations"
    return info.record_path


def info_for(key) -> FieldInfo | None:
    """The catalogue entry a key reads directly (a record field, derived fact or lab), else None."""
    name = getattr(key, "name", None)
    return catalogue().get(name) if isinstance(name, str) else None


def entry_for(key) -> FieldInfo:
    """The catalogue entry of a key that reads a record field or derived fact: its absence is a defect."""
    info = info_for(key)
    if info is None:
        raise LookupError(f"{key} is not in the field catalogue")
    return info


@lru_cache(maxsize=1)
def record_value_kinds() -> dict[str, str]:
    """Record path -> "integer", "number", "boolean", "date" or "text" for every scalar field of the record model.

    What turns a flat string (a form field, a CSV cell) into the value strict validation expects: pydantic strict
    mode refuses 4.0 for an int and "yes" for a bool.
    """
    kinds: dict[str, str] = {}

    def walk(model, prefix):
        for name, info in model.model_fields.items():
            args = typing.get_args(info.annotation) or (info.annotation,)
            flat = [typing.get_args(a)[0] if typing.get_origin(a) is typing.Annotated else a for a in args]
            nested = [a for a in flat if isinstance(a, type) and issubclass(a, BaseModel)]
            if nested:
                walk(nested[0], f"{prefix}{name}.")
            elif bool in flat:
                kinds[prefix + name] = "boolean"
            elif int in flat:
                kinds[prefix + name] = "integer"
            elif float in flat:
                kinds[prefix + name] = "number"
            elif datetime.date in flat:
                kinds[prefix + name] = "date"
            else:
                kinds[prefix + name] = "text"

    walk(PatientRecord, "")
    return kinds
