"""Derive the named facts a rule set needs from a patient record at an as-of date.

Every fact carries its provenance (value as reported, unit, date, record path) and, when it cannot be
established, why not and what would settle it. Nothing missing is ever replaced by a default.
Window semantics (one definition, used everywhere): an event on day E is "within the last N days" of the
as-of date A when A - E < N days; it clears on E + N.
"""
import math
from datetime import date, timedelta
from functools import lru_cache, partial
from operator import attrgetter
from typing import Any, Callable, Iterable, Sequence

from .. import config
from ..model.fields import FieldType
from ..model.labs import LABS, RAISED_BY_TRANSFUSION, LabSpec, lab_of, to_canonical
from ..model.record import Observation, PatientRecord
from ..model.ruleset import Lookback
from ..model.tables import Tables
from .catalogue import FieldInfo, catalogue
from .entries import SizeProblem
from .fact import Fact, RecordedValue
from .fast_init import replaced
from .keys import (
    AnyFactKey,
    DaysSinceFact,
    DerivedFact,
    Event,
    LabFact,
    LabMultipleFact,
    RecordedFact,
    RecordFact,
    TransfusionFreeFact,
    UnencodedFact,
)
from .medications import Entry, Uncertain, cyp3a4_exposures, mosteller_bsa, read_entries, steroid_exposures
from .provenance import (
    AgainstLimit,
    AsRecorded,
    CogMaximum,
    DaysBefore,
    DefaultLimitCaveat,
    DefaultUln,
    DiseaseStatusReading,
    DrawnAfterTransfusion,
    EntryPath,
    FieldPath,
    History,
    HistoryReviewedNone,
    LimitBasis,
    Measured,
    MultipleOfLimit,
    NoEvent,
    ObservationPath,
    Ongoing,
    PathologyConfirmed,
    ReportingLabLimit,
    ScanFinding,
    TransplantDone,
    UnverifiedRowCaveat,
    Years,
)
from .reasons import (
    AssessmentAfterAsOf,
    AssessmentTooOld,
    AssessmentUndated,
    Block,
    ChooseSameDayTransplant,
    DiseaseStatusNotRecorded,
    EntriesUncertain,
    HistoryNotRecorded,
    LabAfterAsOf,
    LabNotRecorded,
    LabTooOld,
    LimitDiffersBySex,
    NoCreatinineLimitUnderOneMonth,
    NoScan,
    NotAssessed,
    NotConfirmedOnTissue,
    NotEncoded,
    NotRecorded,
    NoUln,
    PathologyNotRecorded,
    RecordAssessment,
    RecordDiseaseStatus,
    RecordField,
    RecordFirstOrRecurrence,
    RecordHistory,
    RecordImaging,
    RecordLab,
    RecordPathology,
    RecordPathologyOnTissue,
    RecordScan,
    RecordSex,
    RecordUln,
    RepeatLab,
    ReviewDraft,
    SameDayTransplants,
    ScanKind,
    Settle,
    SettleEntries,
    StatusAmbiguous,
    TransfusionHistoryUnknown,
    TransfusionSupported,
    Why,
)

__all__ = ["Fact", "completed_years", "completed_months", "mosteller_bsa", "derive", "fact_plan"]


def _missing(why: Why, settle: Settle) -> Fact:
    return Fact(None, why=why, settle=settle)


@lru_cache(maxsize=1024)
def _lab_missing(lab: str, as_of: date, limit: int, later: date | None) -> Fact:
    """No usable value of a lab, not even a too old one: the same Fact for every record so on that date, made once
    and shared (its words and evidence are made once too)."""
    settle = RecordLab(lab, limit, units=True)
    # A retrospective screening leaves out what was measured after its date, and says so: "none recorded" would
    # read as if the value had never been entered.
    why = LabAfterAsOf(lab, later, as_of) if later else LabNotRecorded(lab, as_of)
    return Fact(None, why=why, settle=settle, shared=True)


@lru_cache(maxsize=256)
def _no_scan(kind: ScanKind, earliest: date, as_of: date, lookback_days: int) -> Fact:
    """No scan of the kind within the lookback: the same Fact for every record so on that date, made once and shared."""
    return Fact(None, why=NoScan(kind, earliest, as_of), settle=RecordScan(kind, lookback_days), shared=True)


def completed_years(birth: date, on: date) -> int:
    """Age in completed years: a birthday counts from its own day (29 February counts from 1 March in common years)."""
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def completed_months(birth: date, on: date) -> int:
    return (on.year - birth.year) * 12 + (on.month - birth.month) - (on.day < birth.day)


_Limit = tuple[float, LimitBasis, DefaultLimitCaveat | UnverifiedRowCaveat | None]  # limit, its basis, caveat
_DATED_BLOCKS: tuple[Block, ...] = ("findings", "attestations")
_FIELDS: dict[RecordFact, tuple[Any, tuple[str, ...], FieldInfo]] = {}


def _field(fact: RecordFact) -> tuple[Any, tuple[str, ...], FieldInfo]:
    """A record field's block, attribute path and catalogue entry, looked up once per key (keys are interned)."""
    found = _FIELDS.get(fact)
    if found is None:
        path = tuple(fact.name.split("."))
        found = _FIELDS[fact] = (path[0], path, catalogue()[fact.name])
    return found


class _Deriver:
    def __init__(self, record: PatientRecord, as_of: date, lookback: Lookback, tables: Tables):
        self.record, self.as_of, self.lookback, self.tables = record, as_of, lookback, tables
        self._latest: dict[str, Fact | tuple[int, Observation]] = {}
        self._blocks: dict[Block, "date | Callable[[RecordFact], Why]"] = {}
        self._entries: tuple[Entry, ...] | None = None
        # One pass over the observations: the most recent of each lab on or before the as-of date. Several on
        # that date: the one listed last wins (a correction is entered after the value it corrects).
        self._newest: dict[str, tuple[int, Observation]] = {}
        self._first_after: dict[str, date] = {}  # the earliest result after the as-of date, said when it is left out
        for index, obs in enumerate(record.observations):
            name = lab_of(obs.test).name
            if obs.date <= as_of:
                best = self._newest.get(name)
                if best is None or obs.date >= best[1].date:
                    self._newest[name] = (index, obs)
            elif name not in self._first_after or obs.date < self._first_after[name]:
                self._first_after[name] = obs.date

    # --- demographics -------------------------------------------------------------------------------------
    def age_years(self) -> Fact:
        birth = self.record.demographics.birth_date
        years = completed_years(birth, self.as_of)
        return Fact(years, Years(years), "years", source=FieldPath("demographics.birth_date", birth))

    def age_months(self) -> int:
        return completed_months(self.record.demographics.birth_date, self.as_of)

    # --- record fields ----------------------------------------------------------------------------------------
    def record_field(self, fact: RecordFact) -> Fact:
        # The one implementation is the prepared step (its unknown Fact and getter made once per field).
        return _prepared(fact)(self)

    def _dated_block(self, block: Block, field: RecordFact) -> "date | Fact":
        """Findings and attestations count only with the date they were assessed, and only while it is recent.

        A two-year-old "no seizures" or a consent signed for another screening does not describe the patient
        today. Returns the assessment date or the unknown Fact.
        """
        judged = self._blocks.get(block)
        if judged is None:  # judged once per block and record; only the field differs from field to field
            judged = self._blocks[block] = self._judge_block(block)
        if isinstance(judged, date):
            return judged
        return Fact(None, why=judged(field), settle=RecordAssessment(field, block, self._block_limit(block)))

    def _block_limit(self, block: Block) -> int:
        return self.lookback.findings_days if block == "findings" else self.lookback.attestations_days

    def _judge_block(self, block: Block) -> "date | Callable[[RecordFact], Why]":
        """The block's assessment date if recent enough, else why not, for a field of it."""
        assessed = (self.record.findings if block == "findings" else self.record.attestations).assessed_on
        limit = self._block_limit(block)
        if assessed is None:
            return partial(AssessmentUndated, block=block)
        if assessed > self.as_of:
            return partial(AssessmentAfterAsOf, block=block, assessed=assessed, as_of=self.as_of)
        age = (self.as_of - assessed).days
        if age > limit:
            return partial(AssessmentTooOld, block=block, assessed=assessed, age_days=age, as_of=self.as_of,
                           limit_days=limit)
        return assessed

    def current_weight(self) -> float | SizeProblem:
        """Weight in kg measured within the lookback, or why there is none: a child's size changes quickly."""
        d = self.record.demographics
        return self._current_size(d.weight_kg, d.weight_date, "weight")

    def current_height(self) -> float | SizeProblem:
        d = self.record.demographics
        return self._current_size(d.height_cm, d.height_date, "height")

    def _current_size(self, value: float | None, measured: "date | None", what) -> float | SizeProblem:
        limit = self.lookback.labs_days
        if value is None:
            return SizeProblem(what, "not_recorded")
        if measured is None:
            return SizeProblem(what, "undated")
        if measured > self.as_of:
            return SizeProblem(what, "after_as_of", measured)
        if (self.as_of - measured).days > limit:
            return SizeProblem(what, "too_old", measured, (self.as_of - measured).days, limit)
        return value

    # --- labs ---------------------------------------------------------------------------------------------------
    def latest(self, lab: str) -> Fact | tuple[int, Observation]:
        """The most recent observation of a lab on or before the as-of date, or why there is none usable."""
        if lab in self._latest:
            return self._latest[lab]
        best = self._newest.get(lab)
        limit = self.lookback.labs_days
        if best is None:
            result: Fact | tuple[int, Observation] = _lab_missing(lab, self.as_of, limit, self._first_after.get(lab))
        elif (self.as_of - best[1].date).days > limit:
            obs = best[1]
            result = Fact(
                None,
                Measured(obs.value, obs.unit),
                obs.unit,
                obs.date,
                ObservationPath(best[0]),
                why=LabTooOld(lab, obs.date, (self.as_of - obs.date).days, self.as_of, limit),
                settle=RecordLab(lab, limit, units=False),
            )
        else:
            result = best
        self._latest[lab] = result
        return result

    def observed(self, lab: str) -> Fact | tuple[int, Observation, LabSpec, float]:
        """The latest usable observation with its value in the canonical unit, or the Fact saying why there is none."""
        found = self.latest(lab)
        if isinstance(found, Fact):
            return found
        index, obs = found
        spec = LABS[lab]
        return index, obs, spec, to_canonical(spec, obs.value, obs.unit)

    def lab(self, lab: str) -> Fact:
        found = self.observed(lab)
        if isinstance(found, Fact):
            return found
        index, obs, spec, value = found
        shown = (
            Measured(obs.value, obs.unit)
            if obs.unit == spec.canonical_unit
            else Measured(obs.value, obs.unit, value, spec.canonical_unit)
        )
        return Fact(value, shown, spec.canonical_unit, obs.date, self._source(index, obs))

    def lab_fact(self, key: LabFact) -> Fact:
        return self.lab(key.lab)

    def transfusion_free(self, key: TransfusionFreeFact) -> Fact:
        """Whether the latest value of a lab was drawn at least N days after the last transfusion raising it: 1 or
        unknown, never 0.

        A platelet count the day after a platelet transfusion may measure the donor's platelets: whether it is
        the patient's own is unknown until a count drawn late enough is recorded.
        """
        lab, days = key.lab, key.days
        fact = self.lab(lab)
        if fact.value is None:
            return fact
        drawn = fact.date
        if drawn is None:  # lab() dates every value it gives
            raise ValueError("a lab value without its date")
        product = RAISED_BY_TRANSFUSION[lab]
        transfusions = self.record.history.transfusions
        if transfusions is None:
            return replaced(
                fact, value=None, why=TransfusionHistoryUnknown(lab, drawn), settle=RecordHistory("transfusions")
            )
        before = [t.date for t in transfusions if t.product == product and t.date <= drawn]
        if before and (drawn - max(before)).days < days:
            last = max(before)
            return replaced(
                fact,
                value=None,
                why=TransfusionSupported(lab, drawn, (drawn - last).days, product, last),
                settle=RepeatLab(lab, last + timedelta(days=days), days, product),
            )
        if not isinstance(fact.shown, Measured):  # lab() shows every value it gives as measured
            raise ValueError("a lab value not shown as measured")
        shown = (
            DrawnAfterTransfusion(fact.shown, product, days)
            if not before
            else DrawnAfterTransfusion(fact.shown, product, days, max(before), (drawn - max(before)).days)
        )
        return replaced(fact, value=1, shown=shown, unit=None)

    def recorded(self, key: RecordedFact) -> Fact:
        """Whether a usable value is recorded: never unknown, so a criterion can say what absence means."""
        inner = self.fact(key.of)
        return Fact(0 if inner.value is None else 1, RecordedValue(inner), None, inner.date, inner.source)

    def _source(self, index: int, obs: Observation) -> ObservationPath:
        return ObservationPath(index, obs.source, obs.test)

    def uln(self, spec: LabSpec, obs: Observation) -> "_Limit | None":
        """(limit, where it came from, caveat for the reader or None)."""
        if obs.reference_high is not None:
            return to_canonical(spec, obs.reference_high, obs.unit), ReportingLabLimit(), None
        months = self.age_months()
        for row in self.tables.uln.rows:
            if (
                row.lab == spec.name
                and row.min_age_months <= months
                and (row.max_age_months is None or months < row.max_age_months)
            ):
                return (
                    to_canonical(spec, row.uln, row.unit),
                    DefaultUln(row.uln, row.unit, row.source.strip(), (row.verification or "").strip() or None),
                    DefaultLimitCaveat(row.uln, row.unit),
                )
        return None

    def creatinine_max(self) -> "_Limit | Why":
        months, sex = self.age_months(), self.record.demographics.sex
        for row in self.tables.creatinine_max.rows:
            if row.min_age_months <= months and (row.max_age_months is None or months < row.max_age_months):
                if sex in ("male", "female"):
                    limit = getattr(row, sex)
                elif row.male == row.female:
                    limit = row.male
                else:
                    return LimitDiffersBySex(sex)
                caveat = None if row.verified else UnverifiedRowCaveat(limit, row.min_age_months)
                return limit, CogMaximum(limit, sex, row.min_age_months, row.verified), caveat
        return NoCreatinineLimitUnderOneMonth()

    def ratio(self, key: LabMultipleFact) -> Fact:
        lab, reference = key.lab, key.of
        found = self.observed(lab)
        if isinstance(found, Fact):
            return found
        index, obs, spec, value = found
        limit = self.uln(spec, obs) if reference == "uln" else self.creatinine_max()
        if not isinstance(limit, tuple):
            return Fact(
                None,
                Measured(obs.value, obs.unit),
                obs.unit,
                obs.date,
                self._source(index, obs),
                why=limit or NoUln(lab),
                settle=RecordUln(lab) if reference == "uln" else RecordSex(),
            )
        multiple = value / limit[0]
        return Fact(
            multiple,
            MultipleOfLimit(Measured(obs.value, obs.unit), multiple, limit[0], spec.canonical_unit, limit[2]),
            "× limit",
            obs.date,
            AgainstLimit(self._source(index, obs), limit[1]),
        )

    # --- history --------------------------------------------------------------------------------------------------
    def imaging(self, kind: ScanKind) -> Fact:
        """The most recent scan of the kind the derived fact names, within the imaging lookback."""
        scans = self.record.history.imaging
        if scans is None:
            return _missing(HistoryNotRecorded("imaging"), RecordImaging())
        earliest = self.as_of - timedelta(days=self.lookback.imaging_days)
        modalities, attribute = _SCANS[kind]
        found = None
        for index, scan in enumerate(scans):
            if (
                scan.modality in modalities
                and earliest <= scan.date <= self.as_of
                and getattr(scan, attribute) is not None
            ):
                if found is None or scan.date >= found[1].date:
                    found = (index, scan)
        if found is None:
            return _no_scan(kind, earliest, self.as_of, self.lookback.imaging_days)
        index, scan = found
        value = getattr(scan, attribute)
        source = EntryPath("imaging", index, scan.modality)
        if attribute == "avid":
            return Fact(1 if value else 0, ScanFinding(avid=bool(value)), None, scan.date, source)
        return Fact(value, ScanFinding(largest_lesion_mm=value), "mm", scan.date, source)

    def transplant_ever(self, kind: str) -> Fact:
        transplants = self.record.history.transplants
        if transplants is None:
            return _missing(HistoryNotRecorded("transplants"), RecordHistory("transplants"))
        dates = [t.date for t in transplants if t.type == kind and t.date <= self.as_of]
        if dates:
            return Fact(1, TransplantDone(), None, max(dates), _TRANSPLANTS)
        return Fact(0, HistoryReviewedNone(), None, None, _TRANSPLANTS)

    def latest_transplant(self) -> Fact:
        """The type of the latest transplant on or before the as-of date: the one a post-transplant trial is about."""
        transplants = self.record.history.transplants
        if transplants is None:
            return _missing(HistoryNotRecorded("transplants"), RecordHistory("transplants"))
        done = [t for t in transplants if t.date <= self.as_of]
        if not done:
            return Fact("none", HistoryReviewedNone(), source=_TRANSPLANTS)
        day = max(t.date for t in done)
        kinds = {t.type for t in done if t.date == day}
        if len(kinds) > 1:
            return _missing(SameDayTransplants(tuple(sorted(kinds)), day), ChooseSameDayTransplant())
        kind = kinds.pop()
        return Fact(kind, AsRecorded(kind), None, day, _TRANSPLANTS)

    def newly_diagnosed(self) -> Fact:
        """Whether the disease is a new diagnosis: a relapse or progression says no; refractory, stable or remission
        can describe a first diagnosis in its first treatment as well as a recurrence, so they leave it open."""
        status = self.record.diagnosis.disease_status
        if status is None:
            return _missing(DiseaseStatusNotRecorded(), RecordDiseaseStatus())
        if status == "newly_diagnosed":
            return Fact(1, DiseaseStatusReading(status), source=_DISEASE_STATUS)
        if status in ("relapsed", "progressive"):
            return Fact(0, DiseaseStatusReading(status), source=_DISEASE_STATUS)
        return _missing(StatusAmbiguous(status), RecordFirstOrRecurrence())

    def tissue_confirmed(self) -> Fact:
        """A diagnosis the trial defines on tissue: proven by pathology, else open (an imaging diagnosis is not a
        different disease, so it never excludes)."""
        confirmed = self.record.diagnosis.pathology_confirmed
        if confirmed is None:
            return _missing(PathologyNotRecorded(), RecordPathology())
        if confirmed:
            return Fact(1, PathologyConfirmed(), source=_PATHOLOGY)
        return _missing(NotConfirmedOnTissue(), RecordPathologyOnTissue())

    # --- day windows --------------------------------------------------------------------------------------------
    def days_since(self, key: DaysSinceFact) -> Fact:
        event, window = key.event, key.window
        history = self.record.history
        if event.transfusion:
            return self._event_days(
                history.transfusions,
                "transfusions",
                [
                    (EntryPath("transfusions", i), t.date, t.date)
                    for i, t in enumerate(history.transfusions or ())
                    if event.transfusion in ("any", t.product)
                ],
                window,
            )
        if event.transplant:
            return self._event_days(
                history.transplants,
                "transplants",
                [
                    (EntryPath("transplants", i), t.date, t.date)
                    for i, t in enumerate(history.transplants or ())
                    if t.type == event.transplant
                ],
                window,
            )
        if event.chemotherapy_end:
            return self._event_days(
                history.chemotherapy,
                "chemotherapy",
                [(EntryPath("chemotherapy", i), c.start, c.end) for i, c in enumerate(history.chemotherapy or ())],
                window,
            )
        return self._medication_days(event, window)

    def _event_days(
        self,
        history,
        label: History,
        events: list[tuple[EntryPath, date, date | None]],
        window: int | None,
        uncertain: Sequence[Uncertain] = (),
    ) -> Fact:
        if history is None:
            return _missing(HistoryNotRecorded(label), RecordHistory(label))
        best = None
        for path, start, end in events:
            if start > self.as_of:
                continue  # planned, not yet happened
            ended = end if end is not None and end <= self.as_of else None  # None: still going on the as-of date
            days = (self.as_of - ended).days if ended else 0
            if best is None or days < best[0]:
                best = (days, path, ended)
        horizon = min(best[0] if best else math.inf, window or math.inf)
        for doubt in uncertain:
            start, end = doubt.start, doubt.end
            if start <= self.as_of:
                days = (self.as_of - end).days if end is not None and end <= self.as_of else 0
                if days < horizon:
                    return Fact(
                        None,
                        None,
                        "days",
                        end,
                        doubt.path,
                        why=EntriesUncertain((doubt.why,)),
                        settle=SettleEntries((doubt.settle,)),
                    )
        if best is None:
            return Fact(config.NEVER_DAYS, NoEvent(label), "days", None, None)
        days, path, ended = best
        if ended is None:
            return Fact(0, Ongoing(), "days", None, path)
        clears = ended + timedelta(days=window) if (window and days < window) else None
        return Fact(days, DaysBefore(days), "days", ended, path, clears_on=clears)

    def _medication_days(self, event: Event, window: int | None) -> Fact:
        if event.medication_class == "cyp3a4_modulator":
            found = cyp3a4_exposures(self, set(event.strengths))
        else:
            found = steroid_exposures(self, event.min_prednisone_mg_kg_day)
        fact = self._event_days(self.record.history.medications, "medications", found.events, window, found.uncertain)
        return found.explain(fact, self.as_of, window)

    def medication_entries(self) -> tuple[Entry, ...]:
        """The record's medication entries as every medication window reads them, read once."""
        if self._entries is None:
            self._entries = read_entries(self)
        return self._entries

    # --- dispatch -------------------------------------------------------------------------------------------------
    def derived(self, key: DerivedFact) -> Fact:
        return _DERIVED[key](self)

    def sex(self) -> Fact:
        sex = self.record.demographics.sex
        return Fact(sex, AsRecorded(sex), source=FieldPath("demographics.sex"))

    def fact(self, key: AnyFactKey) -> Fact:
        return _BY_KIND[type(key)](self, key)


def _unencoded(deriver: _Deriver, key: UnencodedFact) -> Fact:
    return Fact(None, why=NotEncoded(key.criterion), settle=ReviewDraft(key.criterion))


_TRANSPLANTS = FieldPath("history.transplants")
_DISEASE_STATUS = FieldPath("diagnosis.disease_status")
_PATHOLOGY = FieldPath("diagnosis.pathology_confirmed")
# Which scans a derived imaging fact reads, and the finding it takes from them.
_SCANS: dict[ScanKind, tuple[tuple[str, ...], str]] = {
    "largest_lesion": (("mri", "ct"), "largest_lesion_mm"),
    "mibg": (("mibg",), "avid"),
    "fdg_pet": (("fdg_pet",), "avid"),
}
# Each derived fact of the catalogue (facts/catalogue.py) and how it is derived: dispatched on the key, never on its
# name's parts.
_DERIVED: dict[DerivedFact, Callable[[_Deriver], Fact]] = {
    DerivedFact("age_years"): _Deriver.age_years,
    DerivedFact("sex"): _Deriver.sex,
    DerivedFact("imaging.largest_lesion_mm"): partial(_Deriver.imaging, kind="largest_lesion"),
    DerivedFact("imaging.mibg_avid"): partial(_Deriver.imaging, kind="mibg"),
    DerivedFact("imaging.fdg_pet_avid"): partial(_Deriver.imaging, kind="fdg_pet"),
    DerivedFact("history.latest_hsct"): _Deriver.latest_transplant,
    DerivedFact("diagnosis.newly_diagnosed"): _Deriver.newly_diagnosed,
    DerivedFact("diagnosis.tissue_confirmed"): _Deriver.tissue_confirmed,
    DerivedFact("history.autologous_hsct"): partial(_Deriver.transplant_ever, kind="autologous"),
    DerivedFact("history.allogeneic_hsct"): partial(_Deriver.transplant_ever, kind="allogeneic"),
    DerivedFact("history.haploidentical_hsct"): partial(_Deriver.transplant_ever, kind="haploidentical"),
}
# Each method takes its own kind of key: the table pairs them, so the key reaching one is of its type.
_BY_KIND: dict[type, Callable[..., Fact]] = {  # (deriver, key), key also by name
    RecordFact: _Deriver.record_field,
    DerivedFact: _Deriver.derived,
    LabFact: _Deriver.lab_fact,
    LabMultipleFact: _Deriver.ratio,
    DaysSinceFact: _Deriver.days_since,
    TransfusionFreeFact: _Deriver.transfusion_free,
    RecordedFact: _Deriver.recorded,
    UnencodedFact: _unencoded,
}


def _record_step(key: RecordFact) -> Callable[[_Deriver], Fact]:
    """_Deriver.record_field prepared for one field: its getter, its unknown Fact and its block decided once."""
    block, path, info = _field(key)
    get, source = attrgetter(key.name), FieldPath(key.name)
    absent = Fact(
        None, why=NotAssessed(key) if info.type is FieldType.ATTESTATION else NotRecorded(key), settle=RecordField(key),
        shared=True,
    )  # frozen: one Fact serves every record
    dated = block in _DATED_BLOCKS
    # A field's few values (categories, yes/no, grades) with their assessment date, each Fact made once and shared by
    # every record that has it (the wording layer words a shared Fact once, too). Bounded: dates vary.
    made: dict = {}

    def step(deriver: _Deriver) -> Fact:
        obj = get(deriver.record)
        if obj is None or obj == "not_assessed":
            return absent
        when = None
        if dated:
            judged = deriver._dated_block(block, key)
            if isinstance(judged, Fact):
                return judged
            when = judged
        fact = made.get((type(obj), obj, when))
        if fact is not None:
            return fact
        value = (1 if obj else 0) if isinstance(obj, bool) else obj
        if len(made) < 256 and isinstance(obj, (bool, str, int)):
            fact = made[(type(obj), obj, when)] = Fact(value, AsRecorded(obj), date=when, source=source, shared=True)
        else:
            fact = Fact(value, AsRecorded(obj), date=when, source=source)
        return fact

    return step


def _step(key: AnyFactKey) -> Callable[[_Deriver], Fact]:
    """How one fact is derived, decided once per key instead of per record."""
    if isinstance(key, RecordFact):
        return _record_step(key)
    if isinstance(key, DerivedFact):
        return _DERIVED[key]
    return partial(_BY_KIND[type(key)], key=key)  # the method itself, no frame of ours around it


_STEPS: dict[AnyFactKey, Callable[[_Deriver], Fact]] = {}
_PLANS: dict[tuple, tuple] = {}


def fact_plan(keys: Iterable[AnyFactKey]) -> tuple[tuple[AnyFactKey, Callable[[_Deriver], Fact]], ...]:
    """The prepared derivation of exactly these facts (a compiled rule set's: none it does not use), made once per key
    set; keys are interned, so the tuple hashes by identity."""
    keys = tuple(keys)
    plan = _PLANS.get(keys)
    if plan is None:
        plan = _PLANS[keys] = tuple((key, _prepared(key)) for key in keys)
    return plan


def _prepared(key: AnyFactKey) -> Callable[[_Deriver], Fact]:
    step = _STEPS.get(key)
    if step is None:
        step = _STEPS[key] = _step(key)
    return step


def derive(
    record: PatientRecord, as_of: date, keys: Iterable[AnyFactKey], lookback: Lookback, tables: Tables
) -> dict[AnyFactKey, Fact]:
    """The facts named by keys, for this record on the as-of date."""
    deriver = _Deriver(record, as_of, lookback, tables)
    facts = {}
    for key, step in fact_plan(keys):
        fact = step(deriver)
        value = fact.value
        if isinstance(value, float):
            rounded = round(value, config.DECIMALS)
            if rounded != value:
                fact = replaced(fact, value=rounded)
        facts[key] = fact
    return facts
