"""A fact's words: what it shows, where it was read, why it is unknown and what would settle it.

Each is worded from the fact's data (facts/fact.py, facts/reasons.py, facts/provenance.py, facts/entries.py) in a
Style: EVIDENCE, the report's evidence strings (record paths, ISO dates, unit codes, as stored reports carry them),
or READER, what a coordinator reads in the reasons and instructions (dates spelt out, units as written, no record or
file paths).
"""
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Callable

from ..facts import entries as e
from ..facts import provenance as p
from ..facts import reasons as r
from ..facts.catalogue import info_for
from ..facts.fact import Fact, RecordedValue
from ..facts.keys import FieldKey
from ..model.labs import LABS, TRANSFUSION_WORDS, unit_label
from .dates import when
from .numbers import fmt

SHOWN_ENTRIES = 8  # entries listed in a medication window's reading; more are counted, not listed


@dataclass(frozen=True)
class Style:
    """How dates, units and record paths read."""

    day: Callable[[date], str]
    unit: Callable[[str], str]  # a unit code as shown after a number ("" for a dimensionless one)
    paths: bool  # record and file paths shown

    def qty(self, number: str, unit: str) -> str:
        """A number and its unit."""
        shown = self.unit(unit)
        return f"{number} {shown}" if shown else number

    def path(self, text: str) -> str:
        return text if self.paths else ""


EVIDENCE = Style(day=date.isoformat, unit=str, paths=True)
READER = Style(day=when, unit=unit_label, paths=False)

HISTORY = {
    "transfusions": "transfusion history", "transplants": "transplant history", "chemotherapy": "chemotherapy history",
    "medications": "medication history", "imaging": "imaging history",
}
_ASSESSED = {"findings": "the findings were assessed", "attestations": "the investigator signed the attestations"}
_SCANS = {"largest_lesion": "MRI or CT with a lesion measurement", "mibg": "MIBG scan", "fdg_pet": "FDG-PET"}
_CLASSES = {"systemic_corticosteroid": "a systemic corticosteroid", "cyp3a4_modulator": "a CYP3A4 inhibitor or inducer"}


def _description(key: FieldKey) -> str:
    info = info_for(key)
    if info is None:
        raise KeyError(f"{key} is not in the field catalogue")
    return info.description


def _lab(lab: str) -> str:
    return LABS[lab].description


def _age(months: int) -> str:
    return f"{months // 12} years" if months >= 12 else f"{months} months"


def _unique(texts) -> str:
    return "; ".join(dict.fromkeys(texts))


# --- where a value was read ------------------------------------------------------------------------------------------
# display, source and missing index the type's words directly: worded for every fact of every screening, each
# call layer counted (profiled).
def source(fact: Fact, st: Style = EVIDENCE) -> str | None:
    src = fact.source
    return None if src is None else _SOURCE[type(src)](src, st)


def evidence(fact: Fact) -> tuple[str | None, str | None, str | None]:
    """What the report's evidence says of a fact: its reading, where it was read, why it is unknown."""
    s, src, w = fact.shown, fact.source, fact.why
    return (
        None if s is None else _SHOWN[type(s)](s, EVIDENCE),
        None if src is None else _SOURCE[type(src)](src, EVIDENCE),
        None if w is None else _WHY[type(w)](w, EVIDENCE),
    )


def _source(src: p.Source, st: Style) -> str:
    return _worded(_SOURCE, src, st)


_SOURCE: dict[type, Callable] = {
    p.FieldPath: lambda src, st: src.path + (f" {src.value.isoformat()}" if src.value else ""),
    p.ObservationPath: lambda src, st: (
        f"observations[{src.index}]" + (f" from {src.origin}" if src.origin else "")
        + (f" test {src.test}" if src.test else "")
    ),
    p.EntryPath: lambda src, st: entry_path(src) + (f" ({src.modality})" if src.modality else ""),
    p.AgainstLimit: lambda src, st: f"{_source(src.observation, st)}; limit: {limit_basis(src.limit, st)}",
}


def entry_path(path: p.EntryPath) -> str:
    return f"history.{path.history}[{path.index}]"


def limit_basis(limit: p.LimitBasis, st: Style = EVIDENCE) -> str:
    if isinstance(limit, p.ReportingLabLimit):
        return "the reporting lab's upper limit of normal"
    if isinstance(limit, p.DefaultUln):
        # The row's verification note is for reviewers (the evidence), not for the reason a coordinator reads.
        checked = f" {limit.verification}" if limit.verification and st.paths else ""
        return f"default ULN {st.qty(f'{limit.uln:g}', limit.unit)} ({limit.source}{checked})"
    flag = "" if limit.verified else "; UNVERIFIED row" + st.path(", see criteria/tables/creatinine_max_cog.yaml")
    return f"COG maximum {st.qty(f'{limit.limit:g}', 'mg/dL')} for {limit.sex} from {_age(limit.from_months)}{flag}"


# --- what a value shows ------------------------------------------------------------------------------------------
def display(fact: Fact, st: Style = EVIDENCE) -> str | None:
    s = fact.shown
    return None if s is None else _SHOWN[type(s)](s, st)


def measured(m: p.Measured, st: Style = EVIDENCE) -> str:
    text = st.qty(fmt(m.value), m.unit)
    if m.canonical is None or m.canonical_unit is None:
        return text
    return f"{text} (= {st.qty(fmt(m.canonical), m.canonical_unit)})"


def caveat(c: p.DefaultLimitCaveat | p.UnverifiedRowCaveat, st: Style = EVIDENCE) -> str:
    if isinstance(c, p.DefaultLimitCaveat):
        return (f"ULN {st.qty(f'{c.uln:g}', c.unit)} is the project's default, not the reporting lab's: record "
                "the lab's range")
    return (f"the COG limit {st.qty(f'{c.limit:g}', 'mg/dL')} from {_age(c.from_months)} is an unverified table row "
            "(no public copy found): check it against the protocol")


def transfusion_note(d: p.DrawnAfterTransfusion, st: Style = EVIDENCE) -> str:
    words = TRANSFUSION_WORDS[d.product]
    if d.last is None:
        return f"no {words} transfusion in the {d.days} days before it"
    return f"drawn {d.days_after} days after the last {words} transfusion ({st.day(d.last)})"


def shown(s, st: Style = EVIDENCE) -> str:
    return _worded(_SHOWN, s, st)


def _multiple(s: p.MultipleOfLimit, st: Style) -> str:
    m = s.measured
    text = f"{st.qty(fmt(m.value), m.unit)} = {s.multiple:.2f} × {st.qty(fmt(s.limit), s.canonical_unit)}"
    return text + (f" ({caveat(s.caveat, st)})" if s.caveat else "")


def _recorded(s: RecordedValue, st: Style) -> str:
    inner = s.inner
    if inner.value is None:
        return f"no usable value ({missing(inner, st)})"
    return f"recorded: {display(inner, st)}"


def _scan(s: p.ScanFinding, st: Style) -> str:
    if s.largest_lesion_mm is not None:
        return f"{s.largest_lesion_mm:g} mm"
    return "avid" if s.avid else "not avid"


def basis(s) -> str | None:
    """What a derived yes/no or "none" was read from ("disease status: relapsed", "transplant history reviewed"), if
    it says."""
    if isinstance(s, p.DiseaseStatusReading):
        return "disease status: newly diagnosed" if s.status == "newly_diagnosed" else f"disease status: {s.status}"
    if isinstance(s, p.PathologyConfirmed):
        return "pathology confirmed"
    if isinstance(s, p.TransplantDone):
        return "most recent"
    if isinstance(s, p.HistoryReviewedNone):
        return "history reviewed"
    if isinstance(s, p.NoEvent):
        return f"{HISTORY[s.history]} reviewed"
    return None


def counted_entry(s: e.CountedEntry, st: Style = EVIDENCE, reading: bool = True) -> str:
    """The deciding entry, the window's reading of it (reading=False: left out, the reason says it its own way) and
    the other entries reviewed."""
    label = entry(s.label, st)
    texts = [entry(x, st) for x in s.reviewed]
    others = listed([t for t in texts if t != label])
    # A summed day's entries are its parts, not others beside it.
    heading = "other entries" if label in texts else "the entries"
    return label + (f": {shown(s.inner, st)}" if reading else "") + (f" ({heading}: {others})" if others else "")


def listed(texts: list[str]) -> str:
    more = f"; and {len(texts) - SHOWN_ENTRIES} more" if len(texts) > SHOWN_ENTRIES else ""
    return "; ".join(texts[:SHOWN_ENTRIES]) + more


# --- medication entries --------------------------------------------------------------------------------------------
@lru_cache(maxsize=8192)  # the same entries recur from screening to screening (facts/medications.py resolves once)
def recognition(seen: e.Recognition) -> str:
    """What an entry was recognised as, with its classes: "Decadron → dexamethasone, systemic corticosteroid,
    6.67 × prednisone"."""
    parts = []
    for ingredient in seen.ingredients:
        text = ingredient.name
        if ingredient.active != ingredient.name:
            text += f" (prodrug of {ingredient.active})"
        if ingredient.prednisone_factor is not None:
            text += f", systemic corticosteroid, {ingredient.prednisone_factor:g} × prednisone"
        if ingredient.cyp3a4 is not None:
            text += f", {ingredient.cyp3a4[0]} CYP3A4 {ingredient.cyp3a4[1]}"
        parts.append(text)
    return f"{seen.name} → " + "; ".join(parts)


def course(c: e.Course, st: Style = EVIDENCE) -> str:
    if c.end is None:
        return f"from {st.day(c.start)}, no end date (ongoing)"
    if c.end > c.as_of:
        return f"{st.day(c.start)} to {st.day(c.end)} (ongoing on {st.day(c.as_of)})"
    return f"{st.day(c.start)} to {st.day(c.end)}"


def route(reading: e.RouteReading) -> str:
    if reading.recorded is None:
        return reading.route
    return f"{reading.route} (from the dose form in the name; route recorded as {reading.recorded})"


@lru_cache(maxsize=8192)  # as plain() was: the same entries are listed in every window and screening of a record
def entry(label: e.EntryLabel, st: Style = EVIDENCE) -> str:
    if isinstance(label, e.UnrecognisedEntry):
        return f"{label.name}: not recognised ({course(label.course, st)})"
    if isinstance(label, e.SummedRun):
        parts = " + ".join(f"{name} {mg:.2f}" for name, mg in label.parts)
        span = "" if label.first == label.last else f" from {st.day(label.first)} to {st.day(label.last)}"
        return (f"{label.count} systemic corticosteroid entries taken together{span}: on {st.day(label.last)}, "
                f"{parts} = {label.total:.2f} mg/kg/day prednisone-equivalent, at or above {label.threshold:g}")
    seen = recognition(label.seen)
    if isinstance(label, e.NotCorticosteroid):
        return f"{seen}, not a corticosteroid"
    if isinstance(label, e.NotCountedModulator):
        return seen if label.listed else f"{seen}, not a strong or moderate CYP3A4 inhibitor or inducer"
    if isinstance(label, e.NotSystemic):
        return f"{seen}, {route(label.route)}: not systemic"
    if isinstance(label, e.WithoutEquivalence):
        return f"{seen}, corticosteroid without a cited equivalence"
    if isinstance(label, e.RouteUnclear):
        return f"{seen}, route {label.route}"
    if isinstance(label, e.DoseUnknownEntry):
        return f"{seen}, {route(label.route)}, dose unknown"
    if isinstance(label, e.CountedCourse):
        return f"{seen}, {route(label.route)}, {course(label.course, st)}"
    below = f" (below {label.below:g} on its own)" if label.below is not None else ""
    return (f"{seen}: {label.dose:g} {label.dose_unit} = {label.mg_kg_day:.2f} mg/kg/day prednisone-equivalent, "
            f"{route(label.route)}, {course(label.course, st)}{below}")


def not_recognised(why: e.NotRecognised) -> str:
    if isinstance(why, e.CodeDisagrees):
        return (f"RxNorm {why.rxnorm} is {', '.join(why.coded)} but the name {why.name!r} reads as "
                f"{', '.join(why.named)}: check the entry")
    if isinstance(why, e.DoseInstructionOnly):
        text = f"{why.name!r} is a strength or dose instruction, not a medication name"
    elif why.parts:
        text = f"{', '.join(repr(part) for part in why.parts)} in {why.name!r} is not a recognised medication name"
    else:
        text = f"{why.name!r} is not a recognised medication name"
    return text + (f" (nor is RxNorm {why.rxnorm})" if why.rxnorm else "")


def size_problem(size: e.SizeProblem, st: Style = EVIDENCE) -> str:
    what = size.what
    if size.problem == "not_recorded":
        return f"{what} not recorded"
    if size.problem == "undated":
        return f"{what} recorded without the date it was measured" + st.path(f" (demographics.{what}_date)")
    measured_on = st.day(size.measured) if size.measured else ""
    if size.problem == "after_as_of":
        return f"{what} dated {measured_on}, after the as-of date"
    return f"too old: the {what} was measured on {measured_on}, {size.days} days ago (limit {size.limit} days)"


def dose_problem(problem: e.DoseProblem, st: Style = EVIDENCE) -> str:
    if isinstance(problem, e.CombinationDose):
        return f"{problem.name} is a combination product: its dose is not the corticosteroid's own dose"
    if isinstance(problem, e.DoseNotRecorded):
        return f"dose of {problem.name} not recorded"
    if problem.size.what == "weight":
        return f"{size_problem(problem.size, st)}: needed to express the {problem.name} dose per kg"
    return f"{size_problem(problem.size, st)}: needed to convert the {problem.name} dose from mg/m2/day"


def doubt(d: e.EntryDoubt, st: Style = EVIDENCE) -> str:
    if isinstance(d, e.EntryNotRecognised):
        return (f"{not_recognised(d.why)}, so whether it is {_CLASSES[d.question]} is unknown "
                f"({course(d.course, st)})")
    if isinstance(d, e.NoEquivalence):
        return (f"{', '.join(d.ingredients)} is a systemic corticosteroid with no prednisone equivalence in the "
                f"table, so whether the dose reaches {d.threshold:g} mg/kg/day cannot be judged "
                f"({course(d.course, st)})")
    if isinstance(d, e.RouteUnclassifiable):
        return f"route of {d.name} recorded as {d.route}: systemic or not cannot be told ({course(d.course, st)})"
    return f"{dose_problem(d.problem, st)} ({route(d.route)}, {course(d.course, st)})"


def entry_action(a: e.EntrySettle, st: Style = EVIDENCE) -> str:
    path = st.path(entry_path(a.path))
    if isinstance(a, e.RecordGenericName):
        return f"record the generic name of {a.name}" + st.path(f" ({path})")
    if isinstance(a, e.AskDoseBelow):
        return (f"ask the investigator whether the {a.name} dose is below {a.threshold:g} mg/kg/day "
                "prednisone-equivalent" + st.path(f" ({path})"))
    if isinstance(a, e.RecordRoute):
        field = f"{path}.route: " if st.paths else ""
        return f"record the route of {a.name} ({field}oral, iv, im, sc, inhaled, topical or intrathecal)"
    return f"record the dose and unit of {a.name}" + st.path(f" ({path}.dose, dose_unit)")


# --- why unknown -----------------------------------------------------------------------------------------------------
def missing(fact: Fact, st: Style = EVIDENCE) -> str | None:
    w = fact.why
    return None if w is None else _WHY[type(w)](w, st)


def why(w: r.Why, st: Style = EVIDENCE, labelled: bool = True) -> str:
    """labelled=False: said after the field's own label, so without it ("not recorded", not "Seizures: not
    recorded"; a lab's "none recorded on or before ..."). See subject()."""
    if not labelled:
        if isinstance(w, r.LabNotRecorded):
            return f"none recorded on or before {st.day(w.as_of)}"
        if type(w) in _PREDICATE:
            return _worded(_PREDICATE, w, st)
    return _worded(_WHY, w, st)


def subject(w: r.Why) -> str | None:
    """The field or lab a reason starts by naming ("Seizures: not recorded"), if it does."""
    if isinstance(w, r.LabAfterAsOf):
        return _lab(w.lab)
    if isinstance(w, (r.NotRecorded, r.NotAssessed, r.AssessmentUndated, r.AssessmentAfterAsOf)):
        return _description(w.field)
    return None


def _labelled(w, st: Style) -> str:
    return f"{subject(w)}: {_worded(_PREDICATE, w, st)}"


# What the reasons that start by naming their field say of it.
_PREDICATE: dict[type, Callable] = {
    r.NotRecorded: lambda w, st: "not recorded",
    r.NotAssessed: lambda w, st: "investigator has not assessed",
    r.AssessmentUndated: lambda w, st: f"recorded without the date {_ASSESSED[w.block]}, so its age cannot be judged",
    r.AssessmentAfterAsOf: lambda w, st: f"dated {st.day(w.assessed)}, after the as-of date {st.day(w.as_of)}",
    r.LabAfterAsOf: lambda w, st: (
        f"the result of {st.day(w.first_after)} is left out, dated after the screening date {st.day(w.as_of)}"
    ),
}


def _worded(table: dict[type, Callable], data, st: Style) -> str:
    words = table.get(type(data))
    if words is None:
        raise TypeError(f"no words for {type(data).__name__}")
    return words(data, st)


def _transfusion_supported(w: r.TransfusionSupported, st: Style) -> str:
    return (f"the {_lab(w.lab)} of {st.day(w.drawn)} was drawn {w.days_after} days after a "
            f"{TRANSFUSION_WORDS[w.product]} transfusion on {st.day(w.transfused)}: it may be transfusion-supported")


_WHY: dict[type, Callable] = {
    r.NotRecorded: _labelled,
    r.NotAssessed: _labelled,
    r.AssessmentUndated: _labelled,
    r.AssessmentAfterAsOf: _labelled,
    r.LabAfterAsOf: _labelled,
    r.AssessmentTooOld: lambda w, st: (
        f"too old: {_description(w.field)} was assessed on {st.day(w.assessed)}, {w.age_days} days before "
        f"{st.day(w.as_of)}; this rule set uses assessments up to {w.limit_days} days old"
    ),
    r.LabNotRecorded: lambda w, st: f"no {_lab(w.lab)} recorded on or before {st.day(w.as_of)}",
    r.LabTooOld: lambda w, st: (
        f"too old: the last {_lab(w.lab)} ({st.day(w.drawn)}) is {w.age_days} days before {st.day(w.as_of)}; "
        f"this rule set uses values up to {w.limit_days} days old"
    ),
    r.TransfusionHistoryUnknown: lambda w, st: (
        f"transfusion history not recorded: cannot tell whether the {_lab(w.lab)} of {st.day(w.drawn)} is "
        "independent of transfusion"
    ),
    r.TransfusionSupported: _transfusion_supported,
    r.NoUln: lambda w, st: f"no upper limit of normal for {_lab(w.lab)} at this age",
    r.LimitDiffersBySex: lambda w, st: "the age/sex limit differs by sex and the record's sex is " + w.sex,
    r.NoCreatinineLimitUnderOneMonth: lambda w, st: "no age/sex creatinine limit below 1 month of age",
    r.HistoryNotRecorded: lambda w, st: f"{HISTORY[w.history]} not recorded",
    r.NoScan: lambda w, st: f"no {_SCANS[w.kind]} dated {st.day(w.earliest)} to {st.day(w.as_of)}",
    r.SameDayTransplants: lambda w, st: (
        f"transplants of different types ({', '.join(w.kinds)}) recorded on the same day, {st.day(w.day)}"
    ),
    r.DiseaseStatusNotRecorded: lambda w, st: "disease status not recorded",
    r.StatusAmbiguous: lambda w, st: (
        f"disease status {w.status} does not say whether this is the first diagnosis or a recurrence"
    ),
    r.PathologyNotRecorded: lambda w, st: "whether pathology confirms the diagnosis: not recorded",
    r.NotConfirmedOnTissue: lambda w, st: (
        "not confirmed by pathology (a diagnosis without tissue, e.g. on imaging alone)"
    ),
    r.EntriesUncertain: lambda w, st: _unique(doubt(d, st) for d in w.doubts),
    r.NotEncoded: lambda w, st: NOT_ENCODED,
}


# A drafted placeholder's words, wherever it shows (the compiled rule's text, the reason, the instruction).
NOT_ENCODED = "not encoded yet: review the draft"


# --- what settles it -------------------------------------------------------------------------------------------------
def settle(s: r.Settle, st: Style = EVIDENCE) -> str:
    return _worded(_SETTLE, s, st)


def _record_lab(s: r.RecordLab, st: Style) -> str:
    spec = LABS[s.lab]
    shown = [label for label in dict.fromkeys(st.unit(code) for code in spec.units) if label]
    units = f" ({', '.join(shown)})" if s.units and shown else ""
    return f"record {spec.description}{units} dated within the last {s.limit_days} days"


_SETTLE: dict[type, Callable] = {
    r.RecordField: lambda s, st: f"record {_description(s.field)}" + st.path(f" ({s.field.slot})"),
    r.RecordAssessment: lambda s, st: (
        f"record {_description(s.field)} with the date {_ASSESSED[s.block]}" + st.path(f" ({s.block}.assessed_on)")
        + f", within the last {s.limit_days} days"
    ),
    r.RecordLab: _record_lab,
    r.RepeatLab: lambda s, st: (
        f"repeat the {_lab(s.lab)} on or after {st.day(s.on)} ({s.days} days after the "
        f"{TRANSFUSION_WORDS[s.product]} transfusion)"
    ),
    r.RecordUln: lambda s, st: (
        "record the reporting lab's upper limit of normal" + st.path(" (reference_high)") + f" for {_lab(s.lab)}"
    ),
    r.RecordSex: lambda s, st: "record the patient's sex",
    r.RecordHistory: lambda s, st: f"record the {HISTORY[s.history]} (an empty list if none)",
    r.RecordImaging: lambda s, st: "record the recent imaging (MRI/CT, MIBG, FDG-PET)",
    r.RecordScan: lambda s, st: f"record {_SCANS[s.kind]} dated within the last {s.days} days",
    r.ChooseSameDayTransplant: lambda s, st: "record which transplant the patient had on that day",
    r.RecordDiseaseStatus: lambda s, st: "record the disease status" + st.path(" (diagnosis.disease_status)"),
    r.RecordFirstOrRecurrence: lambda s, st: (
        "record the disease status as newly diagnosed if the tumour is being treated for the first time and has "
        "not recurred or progressed, else as relapsed or progressive"
    ),
    r.RecordPathology: lambda s, st: (
        "record whether pathology confirms the diagnosis" + st.path(" (diagnosis.pathology_confirmed)")
    ),
    r.RecordPathologyOnTissue: lambda s, st: "record the pathology result once the diagnosis is confirmed on tissue",
    # Each once as the style says it: the evidence tells two entries' actions apart by their record path; a reader,
    # who sees no paths, is not told the same thing twice.
    r.SettleEntries: lambda s, st: _unique(entry_action(a, st) for a in s.actions),
    r.ReviewDraft: lambda s, st: (
        "have a reviewer encode this criterion from its source words (the rule set is a draft); no record data "
        "settles it until then"
    ),
}


# Dispatched on the type (a chain of isinstance tests was a tenth of a screening's wording, profiled).
_SHOWN: dict[type, Callable] = {
    p.AsRecorded: lambda s, st: ("yes" if s.value else "no") if isinstance(s.value, bool) else str(s.value),
    p.Years: lambda s, st: f"{s.years} years",
    p.Measured: measured,
    p.MultipleOfLimit: _multiple,
    p.DrawnAfterTransfusion: lambda s, st: f"{measured(s.measured, st)}; {transfusion_note(s, st)}",
    RecordedValue: _recorded,
    p.ScanFinding: _scan,
    p.TransplantDone: lambda s, st: f"yes ({basis(s)})",
    p.PathologyConfirmed: lambda s, st: f"yes ({basis(s)})",
    p.HistoryReviewedNone: lambda s, st: f"none recorded ({basis(s)})",
    p.NoEvent: lambda s, st: f"none recorded ({basis(s)})",
    p.DiseaseStatusReading: lambda s, st: f"{'yes' if s.status == 'newly_diagnosed' else 'no'} ({basis(s)})",
    p.Ongoing: lambda s, st: "ongoing on the as-of date (clears only after it stops)",
    p.DaysBefore: lambda s, st: f"{s.days} days before the as-of date",
    e.CountedEntry: lambda s, st: counted_entry(s, st),
    e.NoEntryCounts: lambda s, st: (
        f"no entry counts ({len(s.reviewed)} reviewed: {listed([entry(x, st) for x in s.reviewed])})"
    ),
    e.ClearingUnknown: lambda s, st: (
        f"{entry(s.label, st)}; clearing date unknown: {_unique(doubt(d, st) for d in s.doubts)}"
    ),
}
