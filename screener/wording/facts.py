"""A fact's words: what it shows, where it was read, why it is unknown and what would settle it.

Each is worded from the fact's data (facts/fact.py, facts/reasons.py, facts/provenance.py, facts/entries.py) in a
Style: EVIDENCE, the report's evidence strings (record paths, ISO dates, unit codes, as stored reports carry them,
always English), or a reader's style, what a coordinator reads in the reasons and instructions (dates spelt out,
units as written, no record or file paths): READER in English, reader(language) in any language.

Every sentence is an English msgid of the `reasons` catalogue with named placeholders (Style.say), so a translator
may reorder it; the words it takes from data (field descriptions, lab names, category words) are msgids of the same
catalogue (wording/terms.py lists them), translated where they are used (Style.text), never copied here.
"""
from dataclasses import dataclass
from datetime import date
from functools import cache, lru_cache
from typing import Callable

from babel.numbers import get_decimal_symbol, get_group_symbol

from ..facts import entries as e
from ..facts import provenance as p
from ..facts import reasons as r
from ..facts.catalogue import FieldInfo, category_word, info_for
from ..facts.fact import Fact, RecordedValue
from ..facts.keys import FieldKey
from ..model.labs import LABS, TRANSFUSION_WORDS, unit_label
from ..model.language import DEFAULT_LANGUAGE, Language, persian_digits
from .catalogues import translations
from .dates import when, when_in
from .numbers import fmt

SHOWN_ENTRIES = 8  # entries listed in a medication window's reading; more are counted, not listed


def N_(msgid: str) -> str:
    """Marks a msgid of the reasons catalogue that is translated where it is used (scripts/extract-translations)."""
    return msgid


@dataclass(frozen=True, eq=False)  # a style is one object: hashed by identity, cheaply, in the cached wordings
class Style:
    """How dates, units, numbers, record paths and words read."""

    day: Callable[[date], str]
    unit: Callable[[str], str]  # a unit code as shown after a number ("" for a dimensionless one)
    paths: bool  # record and file paths shown
    language: Language = DEFAULT_LANGUAGE
    # A msgid of the reasons catalogue in the style's language (str: English as written, no lookup, no cost).
    text: Callable[[str], str] = str
    # A number as English formats it (1,234.5), as the language writes it (۱٬۲۳۴٫۵).
    num: Callable[[str], str] = str
    # What separates the items of a list, and the clauses of a run of reasons (Persian: "، " and "؛ ").
    comma: str = ", "
    semicolon: str = "; "

    def say(self, msgid: str, **fill) -> str:
        """A sentence of the reasons catalogue with its named placeholders filled."""
        words = msgid if self.text is str else self.text(msgid)  # English: the msgid, looked up nowhere
        return words % fill if fill else words

    def qty(self, number: str, unit: str) -> str:
        """A number and its unit (units stay as charts write them, in Latin script)."""
        shown = self.unit(unit)
        if self.num is not str:
            number = self.num(number)
        return f"{number} {shown}" if shown else number

    def path(self, text: str) -> str:
        return text if self.paths else ""


EVIDENCE = Style(day=date.isoformat, unit=str, paths=True)
READER = Style(day=when, unit=unit_label, paths=False)


@lru_cache(maxsize=1024)  # a screening shows the same few numbers many times
def persian_number(text: str) -> str:
    """A number formatted as English formats it, written as Persian writes it: the fa locale's group and decimal
    symbols (Babel's, from CLDR: ٬ and ٫) and Persian digits (Babel leaves digits Latin)."""
    group, decimal = _PERSIAN_SYMBOLS
    return persian_digits(text.replace(",", "\0").replace(".", decimal).replace("\0", group))


_PERSIAN_SYMBOLS = (
    get_group_symbol("fa", numbering_system="default"), get_decimal_symbol("fa", numbering_system="default")
)


@cache  # one style a language, its catalogue loaded once: nothing is looked up per call but the words
def reader(language: Language = DEFAULT_LANGUAGE) -> Style:
    """What a coordinator reading in this language reads: READER for English; for Persian Solar Hijri dates and
    numbers in Persian digits, units as charts write them (Latin script), words from the reasons catalogue."""
    if language == DEFAULT_LANGUAGE:
        return READER
    return Style(
        day=lambda day: when_in(day, language),
        unit=unit_label,
        paths=False,
        language=language,
        text=translations("reasons", language).gettext,
        num=persian_number if language == "fa" else str,
        **(dict(comma="، ", semicolon="؛ ") if language == "fa" else {}),
    )


HISTORY = {
    "transfusions": N_("transfusion history"), "transplants": N_("transplant history"),
    "chemotherapy": N_("chemotherapy history"), "medications": N_("medication history"),
    "imaging": N_("imaging history"),
}
_ASSESSED = {"findings": "the findings were assessed", "attestations": "the investigator signed the attestations"}
_UNDATED = {
    "findings": N_("recorded without the date the findings were assessed, so its age cannot be judged"),
    "attestations": N_("recorded without the date the investigator signed the attestations, so its age cannot be "
                       "judged"),
}
_RECORD_DATED = {
    "findings": N_("record %(field)s with the date the findings were assessed, within the last %(days)s days"),
    "attestations": N_("record %(field)s with the date the investigator signed the attestations, within the last "
                       "%(days)s days"),
}
_SCANS = {"largest_lesion": N_("MRI or CT with a lesion measurement"), "mibg": N_("MIBG scan"),
          "fdg_pet": N_("FDG-PET")}
_CLASSES = {"systemic_corticosteroid": N_("a systemic corticosteroid"),
            "cyp3a4_modulator": N_("a CYP3A4 inhibitor or inducer")}
# A drafted placeholder's words, wherever it shows (the compiled rule's text, the reason, the instruction).
NOT_ENCODED = N_("not encoded yet: review the draft")
# Words data elsewhere gives as codes: a CYP3A4 strength and role (facts/entries.Ingredient), a size measured.
_CODE_WORDS = (  # marked for the catalogue only: each is looked up where its code is shown
    N_("strong"), N_("moderate"), N_("weak"), N_("inhibitor"), N_("inducer"), N_("weight"), N_("height"),
)


def _description(key: FieldKey, st: Style = EVIDENCE) -> str:
    info = info_for(key)
    if info is None:
        raise KeyError(f"{key} is not in the field catalogue")
    return st.text(info.description)


def label_of(info: FieldInfo, st: Style = READER) -> str:
    """What a reason calls a field (FieldInfo.label) in the style's words."""
    if info.words.label:
        return st.text(info.words.label)
    description = st.text(info.description)
    return description[:1].upper() + description[1:]


def _lab(lab: str, st: Style = EVIDENCE) -> str:
    return st.text(LABS[lab].description)


def _code(code: str, st: Style) -> str:
    """A code the English words show as it is (relapsed, iv, female), in the style's words."""
    return code if st.text is str else st.text(category_word(code))


def _n(number: object, st: Style) -> str:
    return str(number) if st.num is str else st.num(str(number))


def _age(months: int, st: Style = EVIDENCE) -> str:
    if months >= 12:
        return st.say("%(years)s years", years=_n(months // 12, st))
    return st.say("%(months)s months", months=_n(months, st))


def _unique(texts, st: Style = EVIDENCE) -> str:
    return st.semicolon.join(dict.fromkeys(texts))


# --- where a value was read ------------------------------------------------------------------------------------------
# display, source and missing index the type's words directly: worded for every fact of every screening, each
# call layer counted (profiled). Where a value was read is record paths: the evidence's, in English only.
def source(fact: Fact, st: Style = EVIDENCE) -> str | None:
    src = fact.source
    return None if src is None else _SOURCE[type(src)](src, st)


def evidence(fact: Fact) -> tuple[str | None, str | None, str | None]:
    """What the report's evidence says of a fact: its reading, where it was read, why it is unknown."""
    s, src, w = fact.shown, fact.source, fact.why
    return (
        None if s is None else _SHOWN[type(s)](s, EVIDENCE),
        None if src is None else _SOURCE[type(src)](src, EVIDENCE),
        None if w is None else _why(w, EVIDENCE),
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
        return st.say("the reporting lab's upper limit of normal")
    if isinstance(limit, p.DefaultUln):
        # The row's verification note is for reviewers (the evidence), not for the reason a coordinator reads.
        checked = f" {limit.verification}" if limit.verification and st.paths else ""
        return st.say("default ULN %(uln)s (%(source)s)", uln=st.qty(f"{limit.uln:g}", limit.unit),
                      source=limit.source + checked)
    text = st.say("COG maximum %(limit)s for %(sex)s from %(age)s", limit=st.qty(f"{limit.limit:g}", "mg/dL"),
                  sex=_code(limit.sex, st), age=_age(limit.from_months, st))
    if limit.verified:
        return text
    return st.say("%(limit)s; UNVERIFIED row", limit=text) + st.path(", see criteria/tables/creatinine_max_cog.yaml")


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
        return st.say("ULN %(uln)s is the project's default, not the reporting lab's: record the lab's range",
                      uln=st.qty(f"{c.uln:g}", c.unit))
    return st.say("the COG limit %(limit)s from %(age)s is an unverified table row (no public copy found): check it "
                  "against the protocol", limit=st.qty(f"{c.limit:g}", "mg/dL"), age=_age(c.from_months, st))


def transfusion_note(d: p.DrawnAfterTransfusion, st: Style = EVIDENCE) -> str:
    words = st.text(TRANSFUSION_WORDS[d.product])
    if d.last is None:
        return st.say("no %(product)s transfusion in the %(days)s days before it", product=words, days=_n(d.days, st))
    return st.say("drawn %(days)s days after the last %(product)s transfusion (%(day)s)",
                  days=_n(d.days_after, st), product=words, day=st.day(d.last))


def shown(s, st: Style = EVIDENCE) -> str:
    return _worded(_SHOWN, s, st)


def _multiple(s: p.MultipleOfLimit, st: Style) -> str:
    m = s.measured
    text = f"{st.qty(fmt(m.value), m.unit)} = {st.num(f'{s.multiple:.2f}')} × {st.qty(fmt(s.limit), s.canonical_unit)}"
    return text + (f" ({caveat(s.caveat, st)})" if s.caveat else "")


def _recorded(s: RecordedValue, st: Style) -> str:
    inner = s.inner
    if inner.value is None:
        return st.say("no usable value (%(why)s)", why=missing(inner, st))
    return st.say("recorded: %(value)s", value=display(inner, st))


def _scan(s: p.ScanFinding, st: Style) -> str:
    if s.largest_lesion_mm is not None:
        return f"{st.num(f'{s.largest_lesion_mm:g}')} mm"
    return st.say("avid") if s.avid else st.say("not avid")


def basis(s, st: Style = EVIDENCE) -> str | None:
    """What a derived yes/no or "none" was read from ("disease status: relapsed", "transplant history reviewed"), if
    it says."""
    if isinstance(s, p.DiseaseStatusReading):
        if s.status == "newly_diagnosed":
            return st.say("disease status: newly diagnosed")
        return st.say("disease status: %(status)s", status=_code(s.status, st))
    if isinstance(s, p.PathologyConfirmed):
        return st.say("pathology confirmed")
    if isinstance(s, p.TransplantDone):
        return st.say("most recent")
    if isinstance(s, p.HistoryReviewedNone):
        return st.say("history reviewed")
    if isinstance(s, p.NoEvent):
        return st.say("%(history)s reviewed", history=st.text(HISTORY[s.history]))
    return None


def counted_entry(s: e.CountedEntry, st: Style = EVIDENCE, reading: bool = True) -> str:
    """The deciding entry, the window's reading of it (reading=False: left out, the reason says it its own way) and
    the other entries reviewed."""
    label = entry(s.label, st)
    texts = [entry(x, st) for x in s.reviewed]
    others = listed([t for t in texts if t != label], st)
    # A summed day's entries are its parts, not others beside it.
    heading = st.say("other entries") if label in texts else st.say("the entries")
    return label + (f": {shown(s.inner, st)}" if reading else "") + (f" ({heading}: {others})" if others else "")


def listed(texts: list[str], st: Style = EVIDENCE) -> str:
    more = ""
    if len(texts) > SHOWN_ENTRIES:
        more = st.say("; and %(count)s more", count=_n(len(texts) - SHOWN_ENTRIES, st))
    return st.semicolon.join(texts[:SHOWN_ENTRIES]) + more


# --- medication entries --------------------------------------------------------------------------------------------
@lru_cache(maxsize=8192)  # the same entries recur from screening to screening (facts/medications.py resolves once)
def recognition(seen: e.Recognition, st: Style = EVIDENCE) -> str:
    """What an entry was recognised as, with its classes: "Decadron → dexamethasone, systemic corticosteroid,
    6.67 × prednisone"."""
    parts = []
    for ingredient in seen.ingredients:
        text = ingredient.name
        if ingredient.active != ingredient.name:
            text = st.say("%(name)s (prodrug of %(active)s)", name=text, active=ingredient.active)
        if ingredient.prednisone_factor is not None:
            text = st.say("%(name)s, systemic corticosteroid, %(factor)s × prednisone", name=text,
                          factor=st.num(f"{ingredient.prednisone_factor:g}"))
        if ingredient.cyp3a4 is not None:
            strength, role = ingredient.cyp3a4
            text = st.say("%(name)s, %(strength)s CYP3A4 %(role)s", name=text, strength=st.text(strength),
                          role=st.text(role))
        parts.append(text)
    return f"{seen.name} → " + st.semicolon.join(parts)


def course(c: e.Course, st: Style = EVIDENCE) -> str:
    if c.end is None:
        return st.say("from %(start)s, no end date (ongoing)", start=st.day(c.start))
    if c.end > c.as_of:
        return st.say("%(start)s to %(end)s (ongoing on %(as_of)s)", start=st.day(c.start), end=st.day(c.end),
                      as_of=st.day(c.as_of))
    return st.say("%(start)s to %(end)s", start=st.day(c.start), end=st.day(c.end))


def route(reading: e.RouteReading, st: Style = EVIDENCE) -> str:
    if reading.recorded is None:
        return _code(reading.route, st)
    return st.say("%(route)s (from the dose form in the name; route recorded as %(recorded)s)",
                  route=_code(reading.route, st), recorded=_code(reading.recorded, st))


@lru_cache(maxsize=8192)  # as plain() was: the same entries are listed in every window and screening of a record
def entry(label: e.EntryLabel, st: Style = EVIDENCE) -> str:
    if isinstance(label, e.UnrecognisedEntry):
        return st.say("%(name)s: not recognised (%(course)s)", name=label.name, course=course(label.course, st))
    if isinstance(label, e.SummedRun):
        fill = dict(
            count=_n(label.count, st), last=st.day(label.last), first=st.day(label.first),
            parts=" + ".join(f"{name} {st.num(f'{mg:.2f}')}" for name, mg in label.parts),
            total=st.num(f"{label.total:.2f}"), threshold=st.num(f"{label.threshold:g}"),
        )
        if label.first == label.last:
            return st.say("%(count)s systemic corticosteroid entries taken together: on %(last)s, %(parts)s = "
                          "%(total)s mg/kg/day prednisone-equivalent, at or above %(threshold)s", **fill)
        return st.say("%(count)s systemic corticosteroid entries taken together from %(first)s to %(last)s: on "
                      "%(last)s, %(parts)s = %(total)s mg/kg/day prednisone-equivalent, at or above %(threshold)s",
                      **fill)
    seen = recognition(label.seen, st)
    if isinstance(label, e.NotCorticosteroid):
        return st.say("%(entry)s, not a corticosteroid", entry=seen)
    if isinstance(label, e.NotCountedModulator):
        return seen if label.listed else st.say(
            "%(entry)s, not in the CYP3A4 inhibitor and inducer table", entry=seen)
    if isinstance(label, e.NotSystemic):
        return st.say("%(entry)s, %(route)s: not systemic", entry=seen, route=route(label.route, st))
    if isinstance(label, e.WithoutEquivalence):
        return st.say("%(entry)s, corticosteroid without a cited equivalence", entry=seen)
    if isinstance(label, e.RouteUnclear):
        return st.say("%(entry)s, route %(route)s", entry=seen, route=_code(label.route, st))
    if isinstance(label, e.DoseUnknownEntry):
        return st.say("%(entry)s, %(route)s, dose unknown", entry=seen, route=route(label.route, st))
    if isinstance(label, e.CountedCourse):
        return st.say("%(entry)s, %(route)s, %(course)s", entry=seen, route=route(label.route, st),
                      course=course(label.course, st))
    fill = dict(entry=seen, dose=st.qty(f"{label.dose:g}", label.dose_unit), mg=st.num(f"{label.mg_kg_day:.2f}"),
                route=route(label.route, st), course=course(label.course, st))
    if label.below is None:
        return st.say("%(entry)s: %(dose)s = %(mg)s mg/kg/day prednisone-equivalent, %(route)s, %(course)s", **fill)
    return st.say("%(entry)s: %(dose)s = %(mg)s mg/kg/day prednisone-equivalent, %(route)s, %(course)s (below "
                  "%(below)s on its own)", below=st.num(f"{label.below:g}"), **fill)


def not_recognised(why: e.NotRecognised, st: Style = EVIDENCE) -> str:
    if isinstance(why, e.CodeDisagrees):
        return st.say("RxNorm %(rxnorm)s is %(coded)s but the name %(name)s reads as %(named)s: check the entry",
                      rxnorm=why.rxnorm, coded=st.comma.join(why.coded), name=repr(why.name),
                      named=st.comma.join(why.named))
    if isinstance(why, e.DoseInstructionOnly):
        text = st.say("%(name)s is a strength or dose instruction, not a medication name", name=repr(why.name))
    elif why.parts:
        text = st.say("%(parts)s in %(name)s is not a recognised medication name",
                      parts=st.comma.join(repr(part) for part in why.parts), name=repr(why.name))
    else:
        text = st.say("%(name)s is not a recognised medication name", name=repr(why.name))
    return st.say("%(text)s (nor is RxNorm %(rxnorm)s)", text=text, rxnorm=why.rxnorm) if why.rxnorm else text


def size_problem(size: e.SizeProblem, st: Style = EVIDENCE) -> str:
    what = st.text(size.what)
    if size.problem == "not_recorded":
        return st.say("%(what)s not recorded", what=what)
    if size.problem == "undated":
        return (st.say("%(what)s recorded without the date it was measured", what=what)
                + st.path(f" (demographics.{size.what}_date)"))
    measured_on = st.day(size.measured) if size.measured else ""
    if size.problem == "after_as_of":
        return st.say("%(what)s dated %(day)s, after the as-of date", what=what, day=measured_on)
    return st.say("too old: the %(what)s was measured on %(day)s, %(days)s days ago (limit %(limit)s days)",
                  what=what, day=measured_on, days=_n(size.days, st), limit=_n(size.limit, st))


def dose_problem(problem: e.DoseProblem, st: Style = EVIDENCE) -> str:
    if isinstance(problem, e.CombinationDose):
        return st.say("%(name)s is a combination product: its dose is not the corticosteroid's own dose",
                      name=problem.name)
    if isinstance(problem, e.DoseNotRecorded):
        return st.say("dose of %(name)s not recorded", name=problem.name)
    if problem.size.what == "weight":
        return st.say("%(problem)s: needed to express the %(name)s dose per kg",
                      problem=size_problem(problem.size, st), name=problem.name)
    return st.say("%(problem)s: needed to convert the %(name)s dose from mg/m2/day",
                  problem=size_problem(problem.size, st), name=problem.name)


def doubt(d: e.EntryDoubt, st: Style = EVIDENCE) -> str:
    if isinstance(d, e.EntryNotRecognised):
        return st.say("%(problem)s, so whether it is %(class)s is unknown (%(course)s)",
                      problem=not_recognised(d.why, st), course=course(d.course, st),
                      **{"class": st.text(_CLASSES[d.question])})
    if isinstance(d, e.NoEquivalence):
        return st.say("%(ingredients)s is a systemic corticosteroid with no prednisone equivalence in the table, so "
                      "whether the dose reaches %(threshold)s mg/kg/day cannot be judged (%(course)s)",
                      ingredients=st.comma.join(d.ingredients), threshold=st.num(f"{d.threshold:g}"),
                      course=course(d.course, st))
    if isinstance(d, e.RouteUnclassifiable):
        return st.say("route of %(name)s recorded as %(route)s: systemic or not cannot be told (%(course)s)",
                      name=d.name, route=_code(d.route, st), course=course(d.course, st))
    return st.say("%(problem)s (%(route)s, %(course)s)", problem=dose_problem(d.problem, st),
                  route=route(d.route, st), course=course(d.course, st))


def entry_action(a: e.EntrySettle, st: Style = EVIDENCE) -> str:
    path = st.path(entry_path(a.path))
    if isinstance(a, e.RecordGenericName):
        return st.say("record the generic name of %(name)s", name=a.name) + st.path(f" ({path})")
    if isinstance(a, e.AskDoseBelow):
        return (st.say("ask the investigator whether the %(name)s dose is below %(threshold)s mg/kg/day "
                       "prednisone-equivalent", name=a.name, threshold=st.num(f"{a.threshold:g}"))
                + st.path(f" ({path})"))
    if isinstance(a, e.RecordRoute):
        if st.paths:  # the evidence names the record field among the route codes it takes
            return f"record the route of {a.name} ({path}.route: oral, iv, im, sc, inhaled, topical or intrathecal)"
        return st.say("record the route of %(name)s (oral, iv, im, sc, inhaled, topical or intrathecal)", name=a.name)
    return st.say("record the dose and unit of %(name)s", name=a.name) + st.path(f" ({path}.dose, dose_unit)")


# --- why unknown -----------------------------------------------------------------------------------------------------
def missing(fact: Fact, st: Style = EVIDENCE) -> str | None:
    w = fact.why
    return None if w is None else _why(w, st)


def why(w: r.Why, st: Style = EVIDENCE, labelled: bool = True) -> str:
    """labelled=False: said after the field's own label, so without it ("not recorded", not "Seizures: not
    recorded"; a lab's "none recorded on or before ..."). See subject()."""
    if not labelled:
        if isinstance(w, r.LabNotRecorded):
            return st.say("none recorded on or before %(as_of)s", as_of=st.day(w.as_of))
        if type(w) in _PREDICATE:
            return _worded(_PREDICATE, w, st)
    return _why(w, st)


def subject(w: r.Why, st: Style = EVIDENCE) -> str | None:
    """The field or lab a reason starts by naming ("Seizures: not recorded"), if it does."""
    if isinstance(w, r.LabAfterAsOf):
        return _lab(w.lab, st)
    if isinstance(w, (r.NotRecorded, r.NotAssessed, r.AssessmentUndated, r.AssessmentAfterAsOf)):
        return _description(w.field, st)
    return None


def _labelled(w, st: Style) -> str:
    return f"{subject(w, st)}: {_worded(_PREDICATE, w, st)}"


# What the reasons that start by naming their field say of it.
_PREDICATE: dict[type, Callable] = {
    r.NotRecorded: lambda w, st: st.say("not recorded"),
    r.NotAssessed: lambda w, st: st.say("investigator has not assessed"),
    r.AssessmentUndated: lambda w, st: st.text(_UNDATED[w.block]),
    r.AssessmentAfterAsOf: lambda w, st: st.say(
        "dated %(assessed)s, after the as-of date %(as_of)s", assessed=st.day(w.assessed), as_of=st.day(w.as_of)
    ),
    r.LabAfterAsOf: lambda w, st: st.say(
        "the result of %(day)s is left out, dated after the screening date %(as_of)s",
        day=st.day(w.first_after), as_of=st.day(w.as_of),
    ),
}


def _worded(table: dict[type, Callable], data, st: Style) -> str:
    words = table.get(type(data))
    if words is None:
        raise TypeError(f"no words for {type(data).__name__}")
    return words(data, st)


# A screening's reasons and instructions recur (the same lab not recorded, the same lab to record, across criteria,
# trials and records): each worded once a style, as the cached entries are (a sentence costs more than its key's hash).
@lru_cache(maxsize=8192)
def _why(w: r.Why, st: Style) -> str:
    return _worded(_WHY, w, st)


@lru_cache(maxsize=8192)
def _settle(s: r.Settle, st: Style) -> str:
    return _worded(_SETTLE, s, st)


def _transfusion_supported(w: r.TransfusionSupported, st: Style) -> str:
    return st.say(
        "the %(lab)s of %(drawn)s was drawn %(days)s days after a %(product)s transfusion on %(transfused)s: it may "
        "be transfusion-supported", lab=_lab(w.lab, st), drawn=st.day(w.drawn), days=_n(w.days_after, st),
        product=st.text(TRANSFUSION_WORDS[w.product]), transfused=st.day(w.transfused),
    )


_WHY: dict[type, Callable] = {
    r.NotRecorded: _labelled,
    r.NotAssessed: _labelled,
    r.AssessmentUndated: _labelled,
    r.AssessmentAfterAsOf: _labelled,
    r.LabAfterAsOf: _labelled,
    r.AssessmentTooOld: lambda w, st: st.say(
        "too old: %(field)s was assessed on %(assessed)s, %(days)s days before %(as_of)s; this rule set uses "
        "assessments up to %(limit)s days old", field=_description(w.field, st), assessed=st.day(w.assessed),
        days=_n(w.age_days, st), as_of=st.day(w.as_of), limit=_n(w.limit_days, st),
    ),
    r.LabNotRecorded: lambda w, st: st.say(
        "no %(lab)s recorded on or before %(as_of)s", lab=_lab(w.lab, st), as_of=st.day(w.as_of)
    ),
    r.LabTooOld: lambda w, st: st.say(
        "too old: the last %(lab)s (%(drawn)s) is %(days)s days before %(as_of)s; this rule set uses values up to "
        "%(limit)s days old", lab=_lab(w.lab, st), drawn=st.day(w.drawn), days=_n(w.age_days, st),
        as_of=st.day(w.as_of), limit=_n(w.limit_days, st),
    ),
    r.TransfusionHistoryUnknown: lambda w, st: st.say(
        "transfusion history not recorded: cannot tell whether the %(lab)s of %(drawn)s is independent of "
        "transfusion", lab=_lab(w.lab, st), drawn=st.day(w.drawn),
    ),
    r.TransfusionSupported: _transfusion_supported,
    r.NoUln: lambda w, st: st.say("no upper limit of normal for %(lab)s at this age", lab=_lab(w.lab, st)),
    r.LimitDiffersBySex: lambda w, st: st.say(
        "the age/sex limit differs by sex and the record's sex is %(sex)s", sex=_code(w.sex, st)
    ),
    r.NoCreatinineLimitUnderOneMonth: lambda w, st: st.say("no age/sex creatinine limit below 1 month of age"),
    r.HistoryNotRecorded: lambda w, st: st.say("%(what)s not recorded", what=st.text(HISTORY[w.history])),
    r.NoScan: lambda w, st: st.say(
        "no %(scan)s dated %(earliest)s to %(as_of)s", scan=st.text(_SCANS[w.kind]), earliest=st.day(w.earliest),
        as_of=st.day(w.as_of),
    ),
    r.SameDayTransplants: lambda w, st: st.say(
        "transplants of different types (%(kinds)s) recorded on the same day, %(day)s",
        kinds=st.comma.join(_code(kind, st) for kind in w.kinds), day=st.day(w.day),
    ),
    r.DiseaseStatusNotRecorded: lambda w, st: st.say("disease status not recorded"),
    r.StatusAmbiguous: lambda w, st: st.say(
        "disease status %(status)s does not say whether this is the first diagnosis or a recurrence",
        status=_code(w.status, st),
    ),
    r.PathologyNotRecorded: lambda w, st: st.say("whether pathology confirms the diagnosis: not recorded"),
    r.NotConfirmedOnTissue: lambda w, st: st.say(
        "not confirmed by pathology (a diagnosis without tissue, e.g. on imaging alone)"
    ),
    r.EntriesUncertain: lambda w, st: _unique((doubt(d, st) for d in w.doubts), st),
    r.NotEncoded: lambda w, st: st.text(NOT_ENCODED),
}



# --- what settles it -------------------------------------------------------------------------------------------------
def settle(s: r.Settle, st: Style = EVIDENCE) -> str:
    return _settle(s, st)


def _record_lab(s: r.RecordLab, st: Style) -> str:
    spec = LABS[s.lab]
    shown = [label for label in dict.fromkeys(st.unit(code) for code in spec.units) if label]
    lab, days = st.text(spec.description), _n(s.limit_days, st)
    if s.units and shown:
        return st.say("record %(lab)s (%(units)s) dated within the last %(days)s days", lab=lab,
                      units=st.comma.join(shown), days=days)
    return st.say("record %(lab)s dated within the last %(days)s days", lab=lab, days=days)


def _record_assessment(s: r.RecordAssessment, st: Style) -> str:
    field, days = _description(s.field, st), _n(s.limit_days, st)
    if st.paths:  # the evidence names the record field between the sentence's clauses
        return (f"record {field} with the date {_ASSESSED[s.block]} ({s.block}.assessed_on), within the last "
                f"{days} days")
    return st.say(_RECORD_DATED[s.block], field=field, days=days)


def _record_uln(s: r.RecordUln, st: Style) -> str:
    if st.paths:
        return f"record the reporting lab's upper limit of normal (reference_high) for {_lab(s.lab, st)}"
    return st.say("record the reporting lab's upper limit of normal for %(lab)s", lab=_lab(s.lab, st))


_SETTLE: dict[type, Callable] = {
    r.RecordField: lambda s, st: st.say("record %(field)s", field=_description(s.field, st)) + st.path(
        f" ({s.field.slot})"
    ),
    r.RecordAssessment: _record_assessment,
    r.RecordLab: _record_lab,
    r.RepeatLab: lambda s, st: st.say(
        "repeat the %(lab)s on or after %(day)s (%(days)s days after the %(product)s transfusion)",
        lab=_lab(s.lab, st), day=st.day(s.on), days=_n(s.days, st), product=st.text(TRANSFUSION_WORDS[s.product]),
    ),
    r.RecordUln: _record_uln,
    r.RecordSex: lambda s, st: st.say("record the patient's sex"),
    r.RecordHistory: lambda s, st: st.say(
        "record the %(history)s (an empty list if none)", history=st.text(HISTORY[s.history])
    ),
    r.RecordImaging: lambda s, st: st.say("record the recent imaging (MRI/CT, MIBG, FDG-PET)"),
    r.RecordScan: lambda s, st: st.say(
        "record %(scan)s dated within the last %(days)s days", scan=st.text(_SCANS[s.kind]), days=_n(s.days, st)
    ),
    r.ChooseSameDayTransplant: lambda s, st: st.say("record which transplant the patient had on that day"),
    r.RecordDiseaseStatus: lambda s, st: st.say("record the disease status") + st.path(
        " (diagnosis.disease_status)"
    ),
    r.RecordFirstOrRecurrence: lambda s, st: st.say(
        "record the disease status as newly diagnosed if the tumour is being treated for the first time and has "
        "not recurred or progressed, else as relapsed or progressive"
    ),
    r.RecordPathology: lambda s, st: st.say("record whether pathology confirms the diagnosis") + st.path(
        " (diagnosis.pathology_confirmed)"
    ),
    r.RecordPathologyOnTissue: lambda s, st: st.say(
        "record the pathology result once the diagnosis is confirmed on tissue"
    ),
    # Each once as the style says it: the evidence tells two entries' actions apart by their record path; a reader,
    # who sees no paths, is not told the same thing twice.
    r.SettleEntries: lambda s, st: _unique((entry_action(a, st) for a in s.actions), st),
    r.ReviewDraft: lambda s, st: st.say(
        "have a reviewer encode this criterion from its source words (the rule set is a draft); no record data "
        "settles it until then"
    ),
}


_YES_NO = {True: N_("yes"), False: N_("no")}


def _as_recorded(s: p.AsRecorded, st: Style) -> str:
    value = s.value
    if isinstance(value, bool):
        return _YES_NO[value] if st.text is str else st.text(_YES_NO[value])
    if isinstance(value, str):
        return value if st.text is str else _code(value, st)
    return _n(value, st)


# Dispatched on the type (a chain of isinstance tests was a tenth of a screening's wording, profiled).
_SHOWN: dict[type, Callable] = {
    p.AsRecorded: _as_recorded,
    p.Years: lambda s, st: st.say("%(years)s years", years=_n(s.years, st)),
    p.Measured: measured,
    p.MultipleOfLimit: _multiple,
    p.DrawnAfterTransfusion: lambda s, st: f"{measured(s.measured, st)}{st.semicolon}{transfusion_note(s, st)}",
    RecordedValue: _recorded,
    p.ScanFinding: _scan,
    p.TransplantDone: lambda s, st: st.say("yes (%(basis)s)", basis=basis(s, st)),
    p.PathologyConfirmed: lambda s, st: st.say("yes (%(basis)s)", basis=basis(s, st)),
    p.HistoryReviewedNone: lambda s, st: st.say("none recorded (%(basis)s)", basis=basis(s, st)),
    p.NoEvent: lambda s, st: st.say("none recorded (%(basis)s)", basis=basis(s, st)),
    p.DiseaseStatusReading: lambda s, st: (
        st.say("yes (%(basis)s)", basis=basis(s, st)) if s.status == "newly_diagnosed"
        else st.say("no (%(basis)s)", basis=basis(s, st))
    ),
    p.Ongoing: lambda s, st: st.say("ongoing on the as-of date (clears only after it stops)"),
    p.DaysBefore: lambda s, st: st.say("%(days)s days before the as-of date", days=_n(s.days, st)),
    e.CountedEntry: lambda s, st: counted_entry(s, st),
    e.NoEntryCounts: lambda s, st: st.say(
        "no entry counts (%(count)s reviewed: %(entries)s)", count=_n(len(s.reviewed), st),
        entries=listed([entry(x, st) for x in s.reviewed], st),
    ),
    e.ClearingUnknown: lambda s, st: st.say(
        "%(entry)s; clearing date unknown: %(doubts)s", entry=entry(s.label, st),
        doubts=_unique((doubt(d, st) for d in s.doubts), st),
    ),
}
