"""What each medication entry is (its ingredients and classes), and which entries a steroid or CYP3A4 window counts.

Three outcomes per entry, never two: recognised and in a class, recognised and in no class, or not recognised.
An entry that is not recognised, or whose route or dose cannot settle a class criterion, is "uncertain": the
criterion stays unknown while it could matter, and the report names the entry and what to record.
"""
import re
from dataclasses import dataclass, field, replace
from datetime import date
from functools import lru_cache

from ..model.record import Medication

NOT_SYSTEMIC = ("inhaled", "topical", "intrathecal")  # routes a corticosteroid does not act systemically by
SHOWN_ENTRIES = 8  # entries listed in a class fact's display; more are counted, not listed


@dataclass(frozen=True)
class Recognition:
    """One medication entry as recognised: its ingredients (empty when not recognised)."""

    name: str
    ingredients: tuple[str, ...]
    why_not: str | None = None

    @property
    def recognised(self) -> bool:
        return bool(self.ingredients)


def normalise(name: str) -> str:
    """Lower case, one kind of apostrophe, single spaces: the form every vocabulary key is stored in."""
    text = name.lower().replace("\u2019", "'").replace("\u2018", "'").replace("`", "'")
    return " ".join(text.split())


def _parts(text: str) -> list[str]:
    return [p.strip() for p in re.split(r"\s*[/+]\s*|\s+and\s+", text) if p.strip()]


# Stop-gap until the medication vocabulary: generic names known to be in neither class (not corticosteroids;
# not in the FDA CYP3A4 strong/moderate table, shared/reference/clinical-facts.md), used by the demo patients.
_NO_CLASS = frozenset({"levetiracetam", "ondansetron", "acetaminophen", "paracetamol"})


_BUILT: dict[int, tuple] = {}  # id(tables) -> (tables, what was built from them); Tables is not hashable


def _known(tables) -> frozenset:
    entry = _BUILT.get(id(tables))
    if entry is None or entry[0] is not tables:
        if len(_BUILT) >= 8:
            _BUILT.clear()
        entry = _BUILT[id(tables)] = (tables, frozenset(tables.corticosteroids.drugs) | frozenset(tables.cyp3a4.drugs) | _NO_CLASS)
    return entry[1]


@lru_cache(maxsize=4096)
def _recognise_name(name: str, known: frozenset) -> tuple[str, ...]:
    # Each part of a combination is one set access: the cost grows with the name's length, not the tables'.
    whole = normalise(name)
    if whole in known:
        return (whole,)
    parts = _parts(whole)
    if len(parts) > 1 and all(p in known for p in parts):
        return tuple(dict.fromkeys(parts))
    return ()


def recognise(med: Medication, tables) -> Recognition:
    ingredients = _recognise_name(med.name, _known(tables))
    if ingredients:
        return Recognition(med.name, ingredients)
    return Recognition(med.name, (), f"{med.name!r} is not a recognised medication name")


def _days_since(end: date | None, as_of: date) -> int:
    return 0 if end is None or end > as_of else (as_of - end).days


def _course(med: Medication, as_of: date) -> str:
    if med.end is None:
        return f"from {med.start}, no end date: ongoing"
    if med.end > as_of:
        return f"{med.start} to {med.end} (ongoing on {as_of})"
    return f"{med.start} to {med.end}"


@dataclass
class Exposures:
    """What a medication window sees: qualifying events, uncertain entries, and how to describe each entry."""

    events: list = field(default_factory=list)      # (path, start, end) for _event_days
    uncertain: list = field(default_factory=list)   # (path, start, end, why)
    labels: dict = field(default_factory=dict)      # path -> description of the qualifying entry
    settle: dict = field(default_factory=dict)      # path -> what to record for an uncertain entry
    reviewed: list = field(default_factory=list)    # description of every entry, in record order

    def count(self, path: str, med: Medication, label: str) -> None:
        self.events.append((path, med.start, med.end))
        self.labels[path] = label
        self.reviewed.append(label)

    def doubt(self, path: str, med: Medication, why: str, settle: str, shown: str) -> None:
        self.uncertain.append((path, med.start, med.end, why))
        self.settle[path] = settle
        self.reviewed.append(shown)

    def explain(self, fact, as_of: date, window: int | None):
        """The window's Fact, its display naming the deciding entry (or every entry reviewed)."""
        if fact.value is None and fact.source in self.settle:
            # Every uncertain entry that could still matter is named, not only the first.
            open_items = [(path, why) for path, start, end, why in self.uncertain
                          if start <= as_of and (end is None or window is None or _days_since(end, as_of) < window)]
            missing = "; ".join(dict.fromkeys(why for _, why in open_items)) or fact.missing
            settle = "; ".join(dict.fromkeys(self.settle[path] for path, _ in open_items)) or self.settle[fact.source]
            certain = [(_days_since(end, as_of), path) for path, start, end in self.events if start <= as_of]
            if window is not None and certain and min(certain)[0] < window:
                # A counted entry already lies in the window: the criterion holds whatever the uncertain ones
                # are; only the day it clears is unknown, so no clearing date is given.
                days, path = min(certain)
                return replace(fact, value=days, display=f"{self.labels[path]}; clearing date unknown: {missing}",
                               source=path, missing=None, settle=None, clears_on=None)
            return replace(fact, missing=missing, settle=settle)
        if fact.source in self.labels:
            return replace(fact, display=f"{self.labels[fact.source]}: {fact.display}")
        if self.reviewed:
            shown = "; ".join(self.reviewed[:SHOWN_ENTRIES])
            more = f"; and {len(self.reviewed) - SHOWN_ENTRIES} more" if len(self.reviewed) > SHOWN_ENTRIES else ""
            return replace(fact, display=f"no entry counts ({len(self.reviewed)} reviewed: {shown}{more})")
        return fact


def _recognised_entries(deriver, found: Exposures, question: str):
    """Each recognised entry with its path, course and "name → ingredients"; the others are doubted in found."""
    for i, med in enumerate(deriver.record.history.medications or ()):
        path, course = f"history.medications[{i}]", _course(med, deriver.as_of)
        rec = recognise(med, deriver.tables)
        if rec.recognised:
            yield path, med, course, rec, f"{med.name} → {', '.join(rec.ingredients)}"
        else:
            found.doubt(path, med, f"{rec.why_not}, so whether it is {question} is unknown ({course})",
                        f"record the generic name of {med.name} ({path})", f"{med.name}: not recognised ({course})")


def steroid_exposures(deriver, min_dose: float | None) -> Exposures:
    """Entries that count for a systemic-corticosteroid window (at or above min_dose prednisone-eq mg/kg/day)."""
    tables, found = deriver.tables, Exposures()
    factors = tables.corticosteroids.drugs
    for path, med, course, rec, seen_as in _recognised_entries(deriver, found, "a systemic corticosteroid"):
        steroids = [s for s in rec.ingredients if s in factors]
        if not steroids:
            found.reviewed.append(f"{seen_as}, not a corticosteroid")
            continue
        steroid = steroids[0]
        seen_as += f", systemic corticosteroid, {factors[steroid]:g} × prednisone"
        if med.route in NOT_SYSTEMIC:
            found.reviewed.append(f"{seen_as}, {med.route}: not systemic")
            continue
        if med.route not in tables.corticosteroids.systemic_routes:
            found.doubt(path, med, f"route of {med.name} recorded as {med.route}: systemic or not cannot be told ({course})",
                        f"record the route of {med.name} ({path}.route: oral, iv, im, sc, inhaled, topical or intrathecal)",
                        f"{seen_as}, route {med.route}")
            continue
        if min_dose is None:
            found.count(path, med, f"{seen_as}, {med.route}, {course}")
            continue
        if len(steroids) > 1 or len(rec.ingredients) > 1:
            dose = f"{med.name} is a combination product: its dose is not the corticosteroid's own dose"
        else:
            dose = prednisone_mg_kg_day(deriver, med, factors[steroid])
        if isinstance(dose, str):
            found.doubt(path, med, f"{dose} ({med.route}, {course})", f"record the dose and unit of {med.name} ({path}.dose, dose_unit)",
                        f"{seen_as}, {med.route}, dose unknown")
            continue
        shown = f"{seen_as}: {med.dose:g} {med.dose_unit} = {dose:.2f} mg/kg/day prednisone-equivalent, {med.route}, {course}"
        if dose >= min_dose:
            found.count(path, med, shown)
        else:
            found.reviewed.append(f"{shown} (below {min_dose:g})")
    return found


def cyp3a4_exposures(deriver, strengths: set[str]) -> Exposures:
    """Entries that count for a CYP3A4 window: an inhibitor or inducer of one of the given strengths."""
    found, drugs = Exposures(), deriver.tables.cyp3a4.drugs
    for path, med, course, rec, seen_as in _recognised_entries(deriver, found, "a CYP3A4 inhibitor or inducer"):
        modulators = [(d, drugs[d]) for d in rec.ingredients if d in drugs]
        classes = ", ".join(f"{d}: {e.strength} CYP3A4 {e.role}" for d, e in modulators)
        if any(e.strength in strengths for _, e in modulators):
            found.count(path, med, f"{seen_as} ({classes}), {med.route}, {course}")
        else:
            found.reviewed.append(f"{seen_as}, " + (f"{classes}: not counted" if modulators else "not a strong or moderate CYP3A4 inhibitor or inducer"))
    return found


def prednisone_mg_kg_day(deriver, med: Medication, factor: float) -> float | str:
    """Prednisone-equivalent mg/kg/day, or why it cannot be computed."""
    from .derive import mosteller_bsa  # derive imports this module: a top-level import would be circular

    if med.dose is None:
        return f"dose of {med.name} not recorded"
    if med.dose_unit == "mg/kg/day":
        return med.dose * factor
    weight = deriver.current_weight()
    if isinstance(weight, str):
        return f"{weight}: needed to express the {med.name} dose per kg"
    if med.dose_unit == "mg/day":
        return med.dose / weight * factor
    height = deriver.current_height()
    if isinstance(height, str):
        return f"{height}: needed to convert the {med.name} dose from mg/m2/day"
    return med.dose * mosteller_bsa(height, weight) / weight * factor
