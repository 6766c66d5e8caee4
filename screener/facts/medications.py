"""What each medication entry is (its ingredients and classes), and which entries a steroid or CYP3A4 window counts.

Three outcomes per entry, never two: recognised and in a class, recognised and in no class, or not recognised.
An entry that is not recognised, or whose route or dose cannot settle a class criterion, is "uncertain": the
criterion stays unknown while it could matter, and the report names the entry and what to record.
"""
import math
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache

from ..model.record import Medication
from .brand_names import BRANDS
from .drug_names import Resolution, built_once, vocabulary
from .entries import (
    AskDoseBelow,
    ClearingUnknown,
    CombinationDose,
    CountedCourse,
    CountedEntry,
    Course,
    DosedEntry,
    DoseNotRecorded,
    DoseProblem,
    DoseUnknown,
    DoseUnknownEntry,
    EntryDoubt,
    EntryLabel,
    EntryNotRecognised,
    EntrySettle,
    Ingredient,
    MedicationClass,
    NoEntryCounts,
    NoEquivalence,
    NotCorticosteroid,
    NotCountedModulator,
    NotSystemic,
    Recognition,
    RecordDose,
    RecordGenericName,
    RecordRoute,
    RouteReading,
    RouteUnclassifiable,
    RouteUnclear,
    SizeNotUsable,
    SizeProblem,
    SummedRun,
    UnrecognisedEntry,
    WithoutEquivalence,
)
from .fast_init import fast_init, replaced
from .provenance import EntryPath
from .reasons import EntriesUncertain, SettleEntries

NOT_SYSTEMIC = ("inhaled", "topical", "intrathecal")  # routes a corticosteroid does not act systemically by


def suggested_names(tables) -> list[str]:
    """Recognised names worth offering where a medication is typed (the form's datalist), built once."""
    return built_once(tables, _suggestions)


def _suggestions(tables) -> list[str]:
    classes = set(tables.corticosteroids.drugs) | set(tables.cyp3a4.drugs)
    return vocabulary(tables.medications).suggestions(classes, BRANDS)


class _Entries:
    """Per loaded tables: each distinct (name, code) resolved and described once per process, not per screening."""

    def __init__(self, tables):
        self.tables, self.words = tables, vocabulary(tables.medications)
        self.view = lru_cache(maxsize=8192)(self._view)

    def _view(self, name: str, rxnorm: str | None) -> tuple[Resolution, tuple[str, ...], Recognition | None]:
        rec = self.words.resolve(name, rxnorm)
        active = tuple(dict.fromkeys(self.words.active(i) for i in rec.ingredients))
        return rec, active, recognised_as(name, rec, self.tables) if rec.ingredients else None


def recognised_as(name: str, found: Resolution, tables) -> Recognition:
    """What an entry was recognised as, with its classes (Decadron as dexamethasone, a systemic corticosteroid)."""
    words = vocabulary(tables.medications)
    shown = []
    for ingredient in found.ingredients:
        active = words.active(ingredient)
        steroid = tables.corticosteroids.drugs.get(active)
        cyp = tables.cyp3a4.drugs.get(active)
        shown.append(
            Ingredient(
                ingredient,
                active,
                steroid.prednisone_factor if steroid else None,
                (cyp.strength, cyp.role) if cyp else None,
            )
        )
    return Recognition(name, tuple(shown))


def mosteller_bsa(height_cm: float, weight_kg: float) -> float:
    """Body surface area, m² (Mosteller RD, N Engl J Med 1987;317:1098)."""
    return math.sqrt(height_cm * weight_kg / 3600)


def _days_since(end: date | None, as_of: date) -> int:
    return 0 if end is None or end > as_of else (as_of - end).days


@fast_init
@dataclass(frozen=True)
class Uncertain:
    """An entry that may count for the window: why it is uncertain and what to record."""

    path: EntryPath
    start: date
    end: date | None
    why: EntryDoubt
    settle: EntrySettle


@dataclass
class Exposures:
    """What a medication window sees: qualifying events, uncertain entries, and how each entry reads."""

    events: list = field(default_factory=list)  # (path, start, end) for _event_days
    uncertain: list[Uncertain] = field(default_factory=list)
    labels: dict[EntryPath, EntryLabel] = field(default_factory=dict)  # the qualifying entry (or summed run)
    reviewed: list[EntryLabel] = field(default_factory=list)  # every entry, in record order

    def count(self, path: EntryPath, med: Medication, label: EntryLabel) -> None:
        self.events.append((path, med.start, med.end))
        self.labels[path] = label
        self.reviewed.append(label)

    def doubt(self, path: EntryPath, med: Medication, why: EntryDoubt, settle: EntrySettle, shown: EntryLabel) -> None:
        self.uncertain.append(Uncertain(path, med.start, med.end, why, settle))
        self.reviewed.append(shown)

    def explain(self, fact, as_of: date, window: int | None):
        """The window's Fact, naming the deciding entry (or every entry reviewed)."""
        if fact.value is None and any(u.path == fact.source for u in self.uncertain):
            # Every uncertain entry that could still matter is named, not only the first.
            open_items = [
                u
                for u in self.uncertain
                if u.start <= as_of and (u.end is None or window is None or _days_since(u.end, as_of) < window)
            ]
            why = EntriesUncertain(tuple(u.why for u in open_items)) if open_items else fact.why
            settle = SettleEntries(tuple(u.settle for u in open_items)) if open_items else fact.settle
            certain = [(_days_since(end, as_of), path) for path, start, end in self.events if start <= as_of]
            if window is not None and certain and min(certain, key=_first)[0] < window:
                # A counted entry already lies in the window: the criterion holds whatever the uncertain ones
                # are; only the day it clears is unknown, so no clearing date is given.
                days, path = min(certain, key=_first)
                return replaced(
                    fact,
                    value=days,
                    shown=ClearingUnknown(self.labels[path], why.doubts),
                    source=path,
                    why=None,
                    settle=None,
                    clears_on=None,
                )
            return replaced(fact, why=why, settle=settle)
        if fact.source in self.labels:
            return replaced(fact, shown=CountedEntry(self.labels[fact.source], fact.shown, tuple(self.reviewed)))
        if self.reviewed:
            return replaced(fact, shown=NoEntryCounts(tuple(self.reviewed)))
        return fact


def _first(item: tuple[int, EntryPath]) -> tuple[int, str]:
    # Fewest days first; among equal days, the path that sorts first as text ("[10]" before "[2]"), as reports
    # have always chosen.
    return item[0], str(item[1].index)


Entry = tuple[EntryPath, Medication, Course, Resolution, tuple[str, ...], Recognition | None]


def read_entries(deriver) -> tuple[Entry, ...]:
    """Every entry with its path, course, resolution, active ingredients and recognition (None: not recognised):
    the same for every window, so read once per record and screening date (the deriver keeps it)."""
    view = built_once(deriver.tables, _Entries).view
    return tuple(
        (EntryPath("medications", i), med, Course(med.start, med.end, deriver.as_of), *view(med.name, med.rxnorm))
        for i, med in enumerate(deriver.record.history.medications or ())
    )


def _recognised_entries(deriver, found: Exposures, question: MedicationClass):
    """Each recognised entry: path, entry, course, active ingredients, what it was recognised as.

    The others are doubted in found: whether they are in the class is unknown.
    """
    for path, med, course, rec, active, seen_as in deriver.medication_entries():
        if seen_as is not None:
            yield path, med, course, rec, active, seen_as
        else:
            found.doubt(
                path,
                med,
                EntryNotRecognised(rec.why_not, question, course),
                RecordGenericName(med.name, path),
                UnrecognisedEntry(med.name, course),
            )


def _route(med: Medication, rec: Resolution) -> RouteReading:
    """The route to judge by: a recorded other/unknown yields to a route the dose form states."""
    if med.route in ("other", "unknown") and rec.route:
        return RouteReading(rec.route, med.route)
    return RouteReading(med.route)


def steroid_exposures(deriver, min_dose: float | None) -> Exposures:
    """Entries that count for a systemic-corticosteroid window.

    With min_dose, what counts is the day's exposure: the prednisone-equivalent mg/kg/day of every systemic entry
    active that day, added up (several drugs, split doses, overlapping orders, tapers), so that two entries each
    below min_dose cannot hide a day at or above it. Each run of days at or above min_dose is one counted event.
    """
    tables, found = deriver.tables, Exposures()
    factors = tables.corticosteroids.drugs
    dosed: list[DailyDose] = []
    for path, med, course, rec, active, seen_as in _recognised_entries(deriver, found, "systemic_corticosteroid"):
        steroids = [s for s in active if s in factors]
        unrated = [s for s in active if s in tables.corticosteroids.without_equivalence]
        if not steroids and not unrated:
            found.reviewed.append(NotCorticosteroid(seen_as))
            continue
        reading = _route(med, rec)
        route = reading.route
        if route in NOT_SYSTEMIC:
            found.reviewed.append(NotSystemic(seen_as, reading))
            continue
        if not steroids and min_dose is not None and route in tables.corticosteroids.systemic_routes:
            found.doubt(
                path,
                med,
                NoEquivalence(tuple(unrated), min_dose, course),
                AskDoseBelow(med.name, min_dose, path),
                WithoutEquivalence(seen_as),
            )
            continue
        if route not in tables.corticosteroids.systemic_routes:
            found.doubt(
                path,
                med,
                RouteUnclassifiable(med.name, route, course),
                RecordRoute(med.name, path),
                RouteUnclear(seen_as, route),
            )
            continue
        if min_dose is None:
            found.count(path, med, CountedCourse(seen_as, reading, course))
            continue
        if len(active) > 1:
            dose: float | DoseProblem = CombinationDose(med.name)
        else:
            dose = prednisone_mg_kg_day(deriver, med, factors[steroids[0]].prednisone_factor)
        if not isinstance(dose, float | int):
            found.doubt(
                path,
                med,
                DoseUnknown(dose, reading, course),
                RecordDose(med.name, path),
                DoseUnknownEntry(seen_as, reading),
            )
            continue
        if med.dose is None or med.dose_unit is None:  # prednisone_mg_kg_day computed a dose from them
            raise ValueError("a dose without its amount and unit")
        shown = DosedEntry(seen_as, med.dose, med.dose_unit, dose, reading, course)
        dosed.append(DailyDose(path, med, dose, shown))
        found.reviewed.append(shown if dose >= min_dose else replaced(shown, below=min_dose))
    if min_dose is not None:
        for run in exposure_runs(dosed, min_dose, deriver.as_of):
            found.events.append((run.path, run.start, run.end))
            found.labels[run.path] = run.label
    return found


@fast_init
@dataclass(frozen=True)
class DailyDose:
    """One systemic entry's prednisone-equivalent mg/kg/day over its course."""

    path: EntryPath
    med: Medication
    mg_kg_day: float
    shown: EntryLabel

    def active_on(self, day: date, as_of: date) -> bool:
        # An entry still going on the as-of date (no end, or a planned end after it) is taken as going on to then.
        return self.med.start <= day and (self.med.end is None or self.med.end >= day or self.med.end > as_of)

    def ongoing(self, as_of: date) -> bool:
        return self.med.end is None or self.med.end > as_of


@fast_init
@dataclass(frozen=True)
class ExposureRun:
    """Consecutive days whose summed dose reaches the threshold: one event of the window. end is its last day, or
    None while an entry of that day is still going on (it clears only after it stops)."""

    path: EntryPath
    start: date
    end: date | None
    label: EntryLabel


def exposure_runs(dosed: list[DailyDose], threshold: float, as_of: date) -> list[ExposureRun]:
    """Each run of days up to the as-of date on which the summed mg/kg/day of the active entries reaches threshold.

    The sum changes only where an entry starts or ends, so it is evaluated once per stretch between those days,
    not per calendar day: a course begun years ago costs no more than one begun last week.
    """
    if round(sum(d.mg_kg_day for d in dosed), 9) < threshold:
        # Doses are positive (dose, factor, weight and height are), so no day's sum exceeds the sum of every
        # entry, and rounding keeps that order: no day reaches the threshold.
        return []
    changes = {d.med.start for d in dosed if d.med.start <= as_of}
    changes |= {d.med.end + timedelta(days=1) for d in dosed if d.med.end is not None and d.med.end < as_of}
    firsts = sorted(changes)
    stretches = []  # (first day, last day, active entries, their sum)
    for i, first in enumerate(firsts):
        last = firsts[i + 1] - timedelta(days=1) if i + 1 < len(firsts) else as_of
        active = [d for d in dosed if d.active_on(first, as_of)]
        stretches.append((first, last, active, round(sum(d.mg_kg_day for d in active), 9)))  # 0.3 + 0.2 is 0.5
    runs, run_first = [], None
    for i, (first, last, active, total) in enumerate(stretches):
        if total < threshold:
            continue
        run_first = first if run_first is None else run_first
        if i + 1 == len(stretches) or stretches[i + 1][3] < threshold:
            runs.append(_run(active, run_first, last, total, threshold, as_of))
            run_first = None
    return runs


def _run(active: list[DailyDose], first: date, last: date, total: float, threshold: float, as_of: date):
    end = None if last == as_of and any(d.ongoing(as_of) for d in active) else last
    if len(active) == 1:
        return ExposureRun(active[0].path, first, end, active[0].shown)
    # The sum is the run's last day's: which entries make it up may change within the run.
    parts = tuple((d.med.name, d.mg_kg_day) for d in active)
    return ExposureRun(active[0].path, first, end, SummedRun(len(active), first, last, parts, total, threshold))


def cyp3a4_exposures(deriver, strengths: set[str]) -> Exposures:
    """Entries that count for a CYP3A4 window: an inhibitor or inducer of one of the given strengths."""
    found, drugs = Exposures(), deriver.tables.cyp3a4.drugs
    for path, med, course, _rec, active, seen_as in _recognised_entries(deriver, found, "cyp3a4_modulator"):
        counted = [d for d in active if d in drugs and drugs[d].strength in strengths]
        if counted:
            found.count(path, med, CountedCourse(seen_as, RouteReading(med.route), course))
        else:
            found.reviewed.append(NotCountedModulator(seen_as, listed=any(d in drugs for d in active)))
    return found


def prednisone_mg_kg_day(deriver, med: Medication, factor: float) -> float | DoseProblem:
    """Prednisone-equivalent mg/kg/day, or why it cannot be computed."""
    if med.dose is None:
        return DoseNotRecorded(med.name)
    if med.dose_unit == "mg/kg/day":
        return med.dose * factor
    weight = deriver.current_weight()
    if isinstance(weight, SizeProblem):
        return SizeNotUsable(med.name, weight)
    if med.dose_unit == "mg/day":
        return med.dose / weight * factor
    height = deriver.current_height()
    if isinstance(height, SizeProblem):
        return SizeNotUsable(med.name, height)
    return med.dose * mosteller_bsa(height, weight) / weight * factor
