"""The field catalogue: every fact a criterion may name, its type, unit, meaning and words, declared once.

Record fields are read off the pydantic models (one schema, not a second list), their words off the `Words` each
declares beside its type; labs come from the lab catalogue; derived facts are declared here beside the code that
derives them (facts/derive.py). The form, the reasons, `screener fields`, the API and the FHIR writer read this.
"""
import datetime
import typing
from dataclasses import dataclass, replace
from functools import lru_cache

from pydantic import BaseModel

from ..model.derived_fields import DERIVED_FIELDS
from ..model.fields import FieldType, Section, Words, value_words, words_of
from ..model.flat import ValueKind
from ..model.labs import LABS
from ..model.record import Attestation, PatientRecord
from .keys import DerivedFact, FactKey, FieldKey, LabFact, RecordFact


@dataclass(frozen=True)
class FieldInfo:
    key: FieldKey  # what a comparison on this field reads; key.slot is the name a rule file uses
    type: FieldType
    description: str
    unit: str | None = None
    categories: tuple[str, ...] = ()
    loinc: tuple[str, ...] = ()
    accepted_units: tuple[str, ...] = ()
    # A derived fact's record input (the form offers it when a rule needs the fact); a record field is its own.
    record_path: str | None = None
    always_known: bool = False  # derived from required record fields: can never be unknown
    choices: tuple[int, ...] = ()  # every value a small bounded integer may take (a CTCAE grade: 0-5), from the schema
    words: Words = Words()
    section: Section | None = None  # where the form shows it: a derived fact is shown through its record input
    fhir: bool = True  # whether a FHIR Bundle carries it (a derived fact: whether it carries its record input)
    dated_by: str | None = None  # the record path of the date its block was assessed on (findings.assessed_on)

    @property
    def name(self) -> str:
        return self.key.slot

    @property
    def label(self) -> str:
        """What a reason calls the field: its declared label, else its description with a capital."""
        return self.words.label or self.description[:1].upper() + self.description[1:]

    def value_words(self, value) -> str:
        """The words for one of its category values."""
        return value_words(value, self.words.values)


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


def _model_fields(
    prefix: str, model: type[BaseModel], inherited: Words, dated_by: str | None = None
) -> list[FieldInfo]:
    fields = []
    if "assessed_on" in model.model_fields:  # a block with its own date: its facts age with it
        dated_by = f"{prefix}.assessed_on"
    for name, info in model.model_fields.items():
        annotation = info.annotation
        words = words_of(info.metadata)
        # A nested model's section and carriage hold for its fields unless a field declares its own.
        section = words.section or inherited.section
        fhir = words.fhir if words.fhir is not None else inherited.fhir
        # Annotated types (IsoDate) unwrapped: the date test below missed `IsoDate | None` until it was.
        args = {_unannotated(a) for a in typing.get_args(annotation)} or {annotation}
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            fields.extend(_model_fields(f"{prefix}.{name}", annotation, Words(section=section, fhir=fhir), dated_by))
            continue
        if datetime.date in args:
            continue  # when a block was assessed: it dates the block's facts, it is not a fact itself
        if info.description is None:
            raise LookupError(f"record field {prefix}.{name} has no description")
        categories = _literal_values(annotation)
        if annotation == Attestation:
            kind = FieldType.ATTESTATION
        elif bool in args:
            kind = FieldType.BOOLEAN
        elif categories:
            kind = FieldType.CATEGORY
        else:
            kind = FieldType.NUMBER
        fields.append(
            FieldInfo(
                RecordFact(f"{prefix}.{name}"),
                kind,
                info.description,
                categories=categories,
                choices=_integer_choices(annotation),
                words=words,
                section=section,
                fhir=fhir is not False,
                dated_by=dated_by,
            )
        )
    return fields


def record_words(path: str) -> Words:
    """The words a record path declares, with the section and FHIR carriage it inherits from the models around it."""
    model: type[BaseModel] = PatientRecord
    section, fhir, words = None, None, Words()
    for name in path.split("."):
        info = model.model_fields[name]
        words = words_of(info.metadata)
        section, fhir = words.section or section, words.fhir if words.fhir is not None else fhir
        nested = [a for a in (info.annotation, *typing.get_args(info.annotation)) if isinstance(a, type)]
        model = next((a for a in nested if issubclass(a, BaseModel)), model)
    return replace(words, section=section, fhir=fhir)


@lru_cache(maxsize=1)
def catalogue() -> dict[str, FieldInfo]:
    """Every named fact, by name."""
    fields: list[FieldInfo] = []
    for prefix in ("diagnosis", "findings", "attestations"):
        model = PatientRecord.model_fields[prefix].annotation
        assert isinstance(model, type) and issubclass(model, BaseModel)
        fields.extend(_model_fields(prefix, model, record_words(prefix)))
    for spec in LABS.values():
        fields.append(
            FieldInfo(
                LabFact(spec.name),
                FieldType.NUMBER,
                spec.description,
                unit=spec.canonical_unit,
                loinc=spec.loinc,
                accepted_units=tuple(spec.units),
                words=Words(label=spec.label),
                section=spec.section,
                fhir=bool(spec.loinc),  # a Bundle's Observation is read by its LOINC code
            )
        )
    # A derived fact travels in a Bundle as its record input does.
    fields.extend(
        FieldInfo(
            DerivedFact(d.name),
            d.type,
            d.description,
            unit=d.unit,
            categories=d.categories,
            record_path=d.record_path,
            always_known=d.always_known,
            words=d.words,
            fhir=d.record_path is None or record_words(d.record_path).fhir is not False,
        )
        for d in DERIVED_FIELDS
    )
    return {f.name: f for f in fields}


@lru_cache(maxsize=1)
def category_words() -> dict[str, str]:
    """Every category code some field declares words for, and those words (one code reads alike everywhere)."""
    words: dict[str, str] = {}
    for info in catalogue().values():
        for code, text in info.words.values.items():
            if words.setdefault(code, text) != text:
                raise ValueError(f"category value {code} is worded two ways")
    return words


def category_word(value) -> str:
    """The words for a category value wherever it is shown (reasons, form, command line)."""
    return value_words(value, category_words())


def record_path_of(info: FieldInfo) -> str | None:
    """Where in the record a field's value comes from, by its key's type: a record field is its own path, a lab
    is read from the observations, a derived fact from the input its entry names."""
    if isinstance(info.key, RecordFact):
        return info.key.name
    if isinstance(info.key, LabFact):
        return "observations"
    return info.record_path


def info_for(key: FactKey) -> FieldInfo | None:
    """The catalogue entry a key reads directly (a record field, derived fact or lab), else None."""
    name = getattr(key, "name", None)
    return catalogue().get(name) if isinstance(name, str) else None


def entry_for(key: FactKey) -> FieldInfo:
    """The catalogue entry of a key that reads a record field or derived fact: its absence is a defect."""
    info = info_for(key)
    if info is None:
        raise LookupError(f"{key} is not in the field catalogue")
    return info


@lru_cache(maxsize=1)
def record_value_kinds() -> dict[str, ValueKind]:
    """Record path -> the kind of value of every scalar field of the record model.

    What turns a flat string (a form field, a CSV cell) into the value strict validation expects: pydantic strict
    mode refuses 4.0 for an int and "yes" for a bool.
    """
    kinds: dict[str, ValueKind] = {}

    def walk(model, prefix):
        for name, info in model.model_fields.items():
            args = typing.get_args(info.annotation) or (info.annotation,)
            flat = [typing.get_args(a)[0] if typing.get_origin(a) is typing.Annotated else a for a in args]
            nested = [a for a in flat if isinstance(a, type) and issubclass(a, BaseModel)]
            if nested:
                walk(nested[0], f"{prefix}{name}.")
            elif bool in flat:
                kinds[prefix + name] = ValueKind.BOOLEAN
            elif int in flat:
                kinds[prefix + name] = ValueKind.INTEGER
            elif float in flat:
                kinds[prefix + name] = ValueKind.NUMBER
            elif datetime.date in flat:
                kinds[prefix + name] = ValueKind.DATE
            else:
                kinds[prefix + name] = ValueKind.TEXT

    walk(PatientRecord, "")
    return kinds
