"""Typed fact keys: what a compiled comparison reads, made by the compiler and dispatched on by type.

Derivation, the form and the reasons ask a key what it is (a lab, a multiple of a limit, a day window, ...) by
its type and fields; nothing parses a name back. Each key renders once to its slot name, the string durable-rules
holds the value under and the report's evidence shows: the formats are the ones stored reports already carry.
"""
from dataclasses import Field, dataclass, field, fields
from typing import Any, ClassVar, Literal

EventHistory = Literal["transfusions", "transplants", "chemotherapy", "medications"]


class _Interned(type):
    """Equal keys are one object: made through the class, a key already made is returned instead.

    So a key compares and hashes by identity, in C: the evaluators look a value up by key for every comparison,
    and a Python-level __hash__ there cost 40% of the reference evaluator's time (measured).
    """

    _made: dict[tuple[type, str], "FactKey"] = {}

    def __call__(cls, *args, **kwargs):
        key = super().__call__(*args, **kwargs)
        return _Interned._made.setdefault((cls, key.slot), key)


class FactKey(metaclass=_Interned):
    """A fact a comparison reads. Its slot name spells out every parameter, so kind and slot identify it."""

    slot: str
    # Every concrete key is a dataclass (the subclasses below); __reduce__ reads its fields.
    __dataclass_fields__: ClassVar[dict[str, Field[Any]]]

    def __str__(self) -> str:
        return self.slot

    def __lt__(self, other: "FactKey") -> bool:
        return self.slot < other.slot

    def __post_init__(self):
        # Rendered once, when the key is made (at compile time).
        object.__setattr__(self, "slot", self._render())

    def __reduce__(self):
        # Unpickled (a Dask worker, a deep copy) through the class too, so it is the interned key again.
        return type(self), tuple(getattr(self, f.name) for f in fields(self) if f.init)

    def _render(self) -> str:
        raise NotImplementedError




@dataclass(frozen=True, eq=False)  # identity equality and hash: keys are interned
class _CatalogueName(FactKey):
    name: str  # the field catalogue's name, which is also the slot name
    slot: str = field(init=False, repr=False, compare=False)

    def _render(self) -> str:
        return self.name


class RecordFact(_CatalogueName):
    """A field read off the record at its own path (diagnosis, findings, attestations)."""


class DerivedFact(_CatalogueName):
    """A catalogue fact computed from the record under its own name (age, sex, imaging, transplants ever)."""


@dataclass(frozen=True, eq=False)
class LabFact(FactKey):
    """The latest usable value of a lab, in its canonical unit."""

    lab: str
    slot: str = field(init=False, repr=False, compare=False)

    @property
    def name(self) -> str:
        return f"lab.{self.lab}"

    def _render(self) -> str:
        return self.name


@dataclass(frozen=True, eq=False)
class LabMultipleFact(FactKey):
    """The latest value of a lab as a multiple of its upper limit of normal or the COG age/sex maximum."""

    lab: str
    of: Literal["uln", "creatinine_max_for_age_sex"]
    slot: str = field(init=False, repr=False, compare=False)

    def _render(self) -> str:
        return f"lab.{self.lab}/{self.of}"


@dataclass(frozen=True)
class Event:
    """What a day window counts from: exactly one kind of event, as the rule file's `since` names it."""

    transfusion: str | None = None
    medication_class: str | None = None
    min_prednisone_mg_kg_day: float | None = None
    cyp3a4_strengths: tuple[str, ...] | None = None
    chemotherapy_end: bool = False
    transplant: str | None = None

    @classmethod
    def from_since(cls, since) -> "Event":
        """From the rule file's Since (model/ruleset.py)."""
        strengths = tuple(sorted(since.cyp3a4_strengths)) if since.cyp3a4_strengths else None
        return cls(since.transfusion, since.medication_class, since.min_prednisone_mg_kg_day, strengths,
                   bool(since.chemotherapy_end), since.transplant)

    @property
    def strengths(self) -> tuple[str, ...]:
        """A cyp3a4_modulator event's strengths: the rule file's validator requires at least one (ruleset.py)."""
        if not self.cyp3a4_strengths:
            raise ValueError("a cyp3a4_modulator event names its strengths")
        return self.cyp3a4_strengths

    @property
    def history(self) -> EventHistory:
        """The record's history list the event is looked up in (what the form must offer to settle it)."""
        if self.transfusion:
            return "transfusions"
        if self.transplant:
            return "transplants"
        if self.chemotherapy_end:
            return "chemotherapy"
        return "medications"

    def render(self) -> str:
        parts = [
            f"{name}={value}"
            for name, value in (
                ("transfusion", self.transfusion),
                ("medication", self.medication_class),
                ("min_prednisone_mg_kg_day", self.min_prednisone_mg_kg_day),
                ("strengths", ",".join(self.cyp3a4_strengths) if self.cyp3a4_strengths else None),
                ("chemotherapy_end", "yes" if self.chemotherapy_end else None),
                ("transplant", self.transplant),
            )
            if value is not None
        ]
        return ";".join(parts)


@dataclass(frozen=True, eq=False)
class DaysSinceFact(FactKey):
    """Days from the most recent such event to the as-of date (0 while it goes on).

    The window is part of the key: an exposure of unknown dose older than the window cannot matter, and the
    derivation needs to know that to avoid reporting unknown where the answer is already certain.
    """

    event: Event
    window: int | None = None
    slot: str = field(init=False, repr=False, compare=False)

    def _render(self) -> str:
        return f"days_since[{self.event.render()}" + (f";window={self.window}]" if self.window else "]")


@dataclass(frozen=True, eq=False)
class TransfusionFreeFact(FactKey):
    """Whether the latest value of a lab was drawn at least N days after the last transfusion that raises it.

    True or unknown, never false: a value drawn sooner may or may not be the patient's own.
    """

    lab: str
    days: int
    slot: str = field(init=False, repr=False, compare=False)

    def _render(self) -> str:
        return f"transfusion_free[lab={self.lab};days={self.days}]"


@dataclass(frozen=True, eq=False)
class RecordedFact(FactKey):
    """Whether a usable value of a field is recorded: never unknown, so a criterion can say what absence means."""

    of: RecordFact | DerivedFact | LabFact
    slot: str = field(init=False, repr=False, compare=False)

    def _render(self) -> str:
        return f"recorded[{self.of.slot}]"


@dataclass(frozen=True, eq=False)
class UnencodedFact(FactKey):
    """A drafted criterion's placeholder: no rule reads the record yet, so its value is never known."""

    criterion: str
    slot: str = field(init=False, repr=False, compare=False)

    def _render(self) -> str:
        return f"unencoded[{self.criterion}]"


FieldKey = RecordFact | DerivedFact | LabFact
AnyFactKey = FieldKey | LabMultipleFact | DaysSinceFact | TransfusionFreeFact | RecordedFact | UnencodedFact


def slot_name(key: FactKey) -> str:
    """The one place a key becomes a string: the durable-rules slot and the report's evidence name."""
    return key.slot
