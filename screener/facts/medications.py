"""What each medication entry is (its ingredients and classes), and which entries a steroid or CYP3A4 window counts.

Three outcomes per entry, never two: recognised and in a class, recognised and in no class, or not recognised.
An entry that is not recognised, or whose route or dose cannot settle a class criterion, is "uncertain": the
criterion stays unknown while it could matter, and the report names the entry and what to record.
"""
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from functools import lru_cache

from ..model.record import Medication
from .brand_names import BRANDS
from .drug_names import Resolution, built_once, vocabulary

NOT_SYSTEMIC = ("inhaled", "topical", "intrathecal")  # routes a corticosteroid does not act systemically by
SHOWN_ENTRIES = 8  # entries listed in a class fact's display; more are counted, not listed


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

    def _view(self, name: str, rxnorm: str | None) -> tuple[Resolution, tuple[str, ...], str]:
        rec = self.words.resolve(name, rxnorm)
        active = tuple(dict.fromkeys(self.words.active(i) for i in rec.ingredients))
        return rec, active, recognised_as(name, rec, self.tables) if rec.ingredients else ""


def recognised_as(name: str, found: Resolution, tables) -> str:
    """What an entry was recognised as, with its classes.

    For example "Decadron → dexamethasone, systemic corticosteroid, 6.67 × prednisone".
    """
    words = vocabulary(tables.medications)
    shown = []
    for ingredient in found.ingredients:
        active = words.active(ingredient)
        text = words.shown(ingredient)
        steroid = tables.corticosteroids.drugs.get(active)
        cyp = tables.cyp3a4.drugs.get(active)
        if steroid:
            text += f", systemic corticosteroid, {steroid.prednisone_factor:g} × prednisone"
        if cyp:
            text += f", {cyp.strength} CYP3A4 {cyp.role}"
        shown.append(text)
    return f"{name} → " + "; ".join(shown)


def _days_since(end: date | None, as_of: date) -> int:
    return 0 if end is None or end > as_of else (as_of - end).days


def _course(med: Medication, as_of: date) -> str:
    if med.end is None:
        return f"from {med.start}, no end date (ongoing)"
    if med.end > as_of:
        return f"{med.start} to {med.end} (ongoing on {as_of})"
    return f"{med.start} to {med.end}"


@dataclass
class Exposures:
    """What a medication window sees: qualifying events, uncertain entries, and how to describe each entry."""

    events: list = field(default_factory=list)  # (path, start, end) for _event_days
    uncertain: list = field(default_factory=list)  # (path, start, end, why, unknown reason)
    labels: dict = field(default_factory=dict)  # path -> description of the qualifying entry
    settle: dict = field(default_factory=dict)  # path -> what to record for an uncertain entry
    reviewed: list = field(default_factory=list)  # description of every entry, in record order

    def count(self, path: str, med: Medication, label: str) -> None:
        self.events.append((path, med.start, med.end))
        self.labels[path] = label
        self.reviewed.append(label)

    def doubt(self, path: str, med: Medication, why: str, settle: str, shown: str, unknown: str) -> None:
        self.uncertain.append((path, med.start, med.end, why, unknown))
        self.settle[path] = settle
        self.reviewed.append(shown)

    def explain(self, fact, as_of: date, window: int | None):
        """The window's Fact, its display naming the deciding entry (or every entry reviewed)."""
        if fact.value is None and fact.source in self.settle:
            # Every uncertain entry that could still matter is named, not only the first.
            open_items = [
                (path, why, unknown)
                for path, start, end, why, unknown in self.uncertain
                if start <= as_of and (end is None or window is None or _days_since(end, as_of) < window)
            ]
            missing = "; ".join(dict.fromkeys(why for _, why, _ in open_items)) or fact.missing
            settle = (
                "; ".join(dict.fromkeys(self.settle[path] for path, _, _ in open_items)) or self.settle[fact.source]
            )
            unknown = open_items[0][2] if open_items else fact.unknown
            certain = [(_days_since(end, as_of), path) for path, start, end in self.events if start <= as_of]
            if window is not None and certain and min(certain)[0] < window:
                # A counted entry already lies in the window: the criterion holds whatever the uncertain ones
                # are; only the day it clears is unknown, so no clearing date is given.
                days, path = min(certain)
                return replace(
                    fact,
                    value=days,
                    display=f"{self.labels[path]}; clearing date unknown: {missing}",
                    source=path,
                    missing=None,
                    settle=None,
                    clears_on=None,
                    unknown=None,
                )
            return replace(fact, missing=missing, settle=settle, unknown=unknown)
        if fact.source in self.labels:
            label = self.labels[fact.source]
            others = self._listed([r for r in self.reviewed if r != label])
            # A summed day's entries are its parts, not others beside it.
            heading = "other entries" if label in self.reviewed else "the entries"
            return replace(fact, display=f"{label}: {fact.display}" + (f" ({heading}: {others})" if others else ""))
        if self.reviewed:
            return replace(
                fact, display=f"no entry counts ({len(self.reviewed)} reviewed: {self._listed(self.reviewed)})"
            )
        return fact

    @staticmethod
    def _listed(entries: list[str]) -> str:
        more = f"; and {len(entries) - SHOWN_ENTRIES} more" if len(entries) > SHOWN_ENTRIES else ""
        return "; ".join(entries[:SHOWN_ENTRIES]) + more


def _recognised_entries(deriver, found: Exposures, question: str):
    """Each recognised entry: path, entry, course, active ingredients, what it was recognised as.

    The others are doubted in found: whether they are in the class is unknown.
    """
    view = built_once(deriver.tables, _Entries).view
    for i, med in enumerate(deriver.record.history.medications or ()):
        path, course = f"history.medications[{i}]", _course(med, deriver.as_of)
        rec, active, seen_as = view(med.name, med.rxnorm)
        if rec.ingredients:
            yield path, med, course, rec, active, seen_as
        else:
            found.doubt(
                path,
                med,
                f"{rec.why_not}, so whether it is {question} is unknown ({course})",
                f"record the generic name of {med.name} ({path})",
                f"{med.name}: not recognised ({course})",
                "unrecognised",
            )


def _route(med: Medication, rec: Resolution) -> tuple[str, str]:
    """The route to judge by and how it reads: a recorded other/unknown yields to a route the dose form states."""
    if med.route in ("other", "unknown") and rec.route:
        return rec.route, f"{rec.route} (from the dose form in the name; route recorded as {med.route})"
    return med.route, med.route


def steroid_exposures(deriver, min_dose: float | None) -> Exposures:
    """Entries that count for a systemic-corticosteroid window.

    With min_dose, what counts is the day's exposure: the prednisone-equivalent mg/kg/day of every systemic entry
    active that day, added up (several drugs, split doses, overlapping orders, tapers), so that two entries each
    below min_dose cannot hide a day at or above it. Each run of days at or above min_dose is one counted event.
    """
    tables, found = deriver.tables, Exposures()
    factors = tables.corticosteroids.drugs
    dosed: list[DailyDose] = []
    for path, med, course, rec, active, seen_as in _recognised_entries(deriver, found, "a systemic corticosteroid"):
        steroids = [s for s in active if s in factors]
        unrated = [s for s in active if s in tables.corticosteroids.without_equivalence]
        if not steroids and not unrated:
            found.reviewed.append(f"{seen_as}, not a corticosteroid")
            continue
        route, route_shown = _route(med, rec)
        if route in NOT_SYSTEMIC:
            found.reviewed.append(f"{seen_as}, {route_shown}: not systemic")
            continue
        if not steroids and min_dose is not None and route in tables.corticosteroids.systemic_routes:
            found.doubt(
                path,
                med,
                f"{', '.join(unrated)} is a systemic corticosteroid with no prednisone equivalence in "
                f"the table, so whether the dose reaches {min_dose:g} mg/kg/day cannot be judged ({course})",
                f"ask the investigator whether the {med.name} dose is below {min_dose:g} mg/kg/day "
                f"prednisone-equivalent ({path})",
                f"{seen_as}, corticosteroid without a cited equivalence",
                "dose_unknown",
            )
            continue
        if route not in tables.corticosteroids.systemic_routes:
            found.doubt(
                path,
                med,
                f"route of {med.name} recorded as {route}: systemic or not cannot be told ({course})",
                f"record the route of {med.name} ({path}.route: oral, iv, im, sc, inhaled, topical or intrathecal)",
                f"{seen_as}, route {route}",
                "unclassifiable",
            )
            continue
        if min_dose is None:
            found.count(path, med, f"{seen_as}, {route_shown}, {course}")
            continue
        if len(active) > 1:
            dose: float | str = f"{med.name} is a combination product: its dose is not the corticosteroid's own dose"
        else:
            dose = prednisone_mg_kg_day(deriver, med, factors[steroids[0]].prednisone_factor)
        if isinstance(dose, str):
            found.doubt(
                path,
                med,
                f"{dose} ({route_shown}, {course})",
                f"record the dose and unit of {med.name} ({path}.dose, dose_unit)",
                f"{seen_as}, {route_shown}, dose unknown",
                "dose_unknown",
            )
            continue
        shown = (f"{seen_as}: {med.dose:g} {med.dose_unit} = {dose:.2f} mg/kg/day prednisone-equivalent, "
                 f"{route_shown}, {course}")
        dosed.append(DailyDose(path, med, dose, shown))
        found.reviewed.append(shown if dose >= min_dose else f"{shown} (below {min_dose:g} on its own)")
    if min_dose is not None:
        for run in exposure_runs(dosed, min_dose, deriver.as_of):
            found.events.append((run.path, run.start, run.end))
            found.labels[run.path] = run.label
    return found


@dataclass(frozen=True)
class DailyDose:
    """One systemic entry's prednisone-equivalent mg/kg/day over its course."""

    path: str
    med: Medication
    mg_kg_day: float
    shown: str

    def active_on(self, day: date, as_of: date) -> bool:
        # An entry still going on the as-of date (no end, or a planned end after it) is taken as going on to then.
        return self.med.start <= day and (self.med.end is None or self.med.end >= day or self.med.end > as_of)

    def ongoing(self, as_of: date) -> bool:
        return self.med.end is None or self.med.end > as_of


@dataclass(frozen=True)
class ExposureRun:
    """Consecutive days whose summed dose reaches the threshold: one event of the window. end is its last day, or
    None while an entry of that day is still going on (it clears only after it stops)."""

    path: str
    start: date
    end: date | None
    label: str


def exposure_runs(dosed: list[DailyDose], threshold: float, as_of: date) -> list[ExposureRun]:
    """Each run of days up to the as-of date on which the summed mg/kg/day of the active entries reaches threshold.

    The sum changes only where an entry starts or ends, so it is evaluated once per stretch between those days,
    not per calendar day: a course begun years ago costs no more than one begun last week.
    """
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
    parts = " + ".join(f"{d.med.name} {d.mg_kg_day:.2f}" for d in active)
    span = "" if first == last else f" from {first} to {last}"
    label = (f"{len(active)} systemic corticosteroid entries taken together{span}: on {last}, {parts} = {total:.2f} "
             f"mg/kg/day prednisone-equivalent, at or above {threshold:g}")
    return ExposureRun(active[0].path, first, end, label)


def cyp3a4_exposures(deriver, strengths: set[str]) -> Exposures:
    """Entries that count for a CYP3A4 window: an inhibitor or inducer of one of the given strengths."""
    found, drugs = Exposures(), deriver.tables.cyp3a4.drugs
    for path, med, course, _rec, active, seen_as in _recognised_entries(
        deriver, found, "a CYP3A4 inhibitor or inducer"
    ):
        counted = [d for d in active if d in drugs and drugs[d].strength in strengths]
        if counted:
            found.count(path, med, f"{seen_as}, {med.route}, {course}")
        else:
            found.reviewed.append(
                f"{seen_as}"
                + ("" if any(d in drugs for d in active) else ", not a strong or moderate CYP3A4 inhibitor or inducer")
            )
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
