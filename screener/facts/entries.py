"""What a medication window saw in each entry, as data: what the entry was recognised as, its course, and why it
counts, does not count, or leaves the window open. screener/wording words them."""
from dataclasses import dataclass
from datetime import date
from typing import Literal

from ..model.report import UnknownReason
from .fast_init import fast_init
from .provenance import EntryPath


@fast_init
@dataclass(frozen=True)
class Course:
    """An entry's start and end as of the screening date (an end after it: still going on then)."""

    start: date
    end: date | None
    as_of: date


@fast_init
@dataclass(frozen=True)
class Ingredient:
    """One ingredient of a recognised entry: its active moiety and the classes that moiety is in."""

    name: str
    active: str
    prednisone_factor: float | None = None
    cyp3a4: tuple[str, str] | None = None  # (strength, role)


@fast_init
@dataclass(frozen=True)
class Recognition:
    """What an entry's name was recognised as (e.g. Decadron as dexamethasone, a corticosteroid)."""

    name: str
    ingredients: tuple[Ingredient, ...]


@fast_init
@dataclass(frozen=True)
class RouteReading:
    """The route judged by: the one the dose form in the name states when the record says other or unknown."""

    route: str
    recorded: str | None = None  # set when the route came from the dose form instead


MedicationClass = Literal["systemic_corticosteroid", "cyp3a4_modulator"]


# --- why a name was not recognised (facts/drug_names.py) ----------------------------------------------------------
@fast_init
@dataclass(frozen=True)
class DoseInstructionOnly:
    """The name is only a strength or a dose instruction."""

    name: str
    rxnorm: str | None = None


@fast_init
@dataclass(frozen=True)
class UnknownName:
    """The name (or the parts listed) is not a recognised medication name."""

    name: str
    parts: tuple[str, ...] = ()  # the unrecognised parts of a combination; empty: the name as a whole
    rxnorm: str | None = None  # an RxNorm code not in the table either


@fast_init
@dataclass(frozen=True)
class CodeDisagrees:
    """The RxNorm code and the name read as different ingredients."""

    name: str
    rxnorm: str
    coded: tuple[str, ...]
    named: tuple[str, ...]


NotRecognised = DoseInstructionOnly | UnknownName | CodeDisagrees


# --- how an entry reads in the list of entries reviewed -----------------------------------------------------------
@fast_init
@dataclass(frozen=True)
class UnrecognisedEntry:
    name: str
    course: Course


@fast_init
@dataclass(frozen=True)
class NotCorticosteroid:
    seen: Recognition


@fast_init
@dataclass(frozen=True)
class NotCountedModulator:
    """Recognised, and not a CYP3A4 modulator of a strength the window counts."""

    seen: Recognition
    listed: bool  # a listed modulator of another strength: its recognition already says which


@fast_init
@dataclass(frozen=True)
class NotSystemic:
    seen: Recognition
    route: RouteReading


@fast_init
@dataclass(frozen=True)
class WithoutEquivalence:
    seen: Recognition


@fast_init
@dataclass(frozen=True)
class RouteUnclear:
    seen: Recognition
    route: str


@fast_init
@dataclass(frozen=True)
class DoseUnknownEntry:
    seen: Recognition
    route: RouteReading


@fast_init
@dataclass(frozen=True)
class CountedCourse:
    """An entry that counts for the window as it is (no dose threshold): its route and course."""

    seen: Recognition
    route: RouteReading
    course: Course


@fast_init
@dataclass(frozen=True)
class DosedEntry:
    """A systemic corticosteroid entry with its prednisone-equivalent mg/kg/day; below: the threshold it stays
    under on its own, when it does."""

    seen: Recognition
    dose: float
    dose_unit: str
    mg_kg_day: float
    route: RouteReading
    course: Course
    below: float | None = None


@fast_init
@dataclass(frozen=True)
class SummedRun:
    """Several entries whose daily doses add up to the threshold over a run of days (the sum of its last day)."""

    count: int
    first: date
    last: date
    parts: tuple[tuple[str, float], ...]  # (entry name, mg/kg/day)
    total: float
    threshold: float


EntryLabel = (UnrecognisedEntry | NotCorticosteroid | NotCountedModulator | NotSystemic | WithoutEquivalence
              | RouteUnclear | DoseUnknownEntry | CountedCourse | DosedEntry | SummedRun)


# --- why an entry leaves the window open --------------------------------------------------------------------------
@fast_init
@dataclass(frozen=True)
class EntryNotRecognised:
    """Whether the entry is in the class is unknown: its name was not recognised."""

    why: NotRecognised
    question: "MedicationClass"  # the class asked about
    course: Course
    code: UnknownReason = "unrecognised"


@fast_init
@dataclass(frozen=True)
class NoEquivalence:
    """A systemic corticosteroid without a cited prednisone equivalence, against a dose threshold."""

    ingredients: tuple[str, ...]
    threshold: float
    course: Course
    code: UnknownReason = "dose_unknown"


@fast_init
@dataclass(frozen=True)
class RouteUnclassifiable:
    name: str
    route: str
    course: Course
    code: UnknownReason = "unclassifiable"


@fast_init
@dataclass(frozen=True)
class CombinationDose:
    """A combination product's dose is not the corticosteroid's own."""

    name: str


@fast_init
@dataclass(frozen=True)
class DoseNotRecorded:
    name: str


@fast_init
@dataclass(frozen=True)
class SizeProblem:
    """Why the weight or height is not usable: not recorded, undated, after the as-of date, or too old."""

    what: Literal["weight", "height"]
    problem: Literal["not_recorded", "undated", "after_as_of", "too_old"]
    measured: date | None = None
    days: int | None = None
    limit: int | None = None


@fast_init
@dataclass(frozen=True)
class SizeNotUsable:
    """The weight (per kg) or height (from mg/m2/day) a dose conversion needs is not usable."""

    name: str
    size: SizeProblem


DoseProblem = CombinationDose | DoseNotRecorded | SizeNotUsable


@fast_init
@dataclass(frozen=True)
class DoseUnknown:
    problem: DoseProblem
    route: RouteReading
    course: Course
    code: UnknownReason = "dose_unknown"


EntryDoubt = EntryNotRecognised | NoEquivalence | RouteUnclassifiable | DoseUnknown


# --- what to record to settle an entry ------------------------------------------------------------------------------
@fast_init
@dataclass(frozen=True)
class RecordGenericName:
    name: str
    path: EntryPath


@fast_init
@dataclass(frozen=True)
class AskDoseBelow:
    name: str
    threshold: float
    path: EntryPath


@fast_init
@dataclass(frozen=True)
class RecordRoute:
    name: str
    path: EntryPath


@fast_init
@dataclass(frozen=True)
class RecordDose:
    name: str
    path: EntryPath


EntrySettle = RecordGenericName | AskDoseBelow | RecordRoute | RecordDose


# --- how a medication window's known value reads --------------------------------------------------------------------
@fast_init
@dataclass(frozen=True)
class CountedEntry:
    """The deciding entry (or summed run), the window's own reading, and every entry reviewed."""

    label: EntryLabel
    inner: "object"  # the window's Shown (fact.Shown)
    reviewed: tuple[EntryLabel, ...]


@fast_init
@dataclass(frozen=True)
class NoEntryCounts:
    reviewed: tuple[EntryLabel, ...]


@fast_init
@dataclass(frozen=True)
class ClearingUnknown:
    """A counted entry lies in the window, so it holds; uncertain entries leave the day it clears unknown."""

    label: EntryLabel
    doubts: tuple[EntryDoubt, ...]
