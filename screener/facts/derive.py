"""Derive the named facts a rule set needs from a patient record at an as-of date.

Every fact carries its provenance (value as reported, unit, date, record path) and, when it cannot be
established, why not and what would settle it. Nothing missing is ever replaced by a default.
Window semantics (one definition, used everywhere): an event on day E is "within the last N days" of the
as-of date A when A - E < N days; it clears on E + N.
"""
import math
from dataclasses import dataclass, replace
from datetime import date, timedelta
from functools import partial
from operator import attrgetter
from typing import Any, Callable, Sequence

from .. import config
from ..model.labs import LABS, RAISED_BY_TRANSFUSION, TRANSFUSION_WORDS, LabSpec, lab_of, to_canonical
from ..model.record import Observation, PatientRecord
from ..model.report import UnknownReason
from ..model.ruleset import Lookback
from ..model.tables import Tables
from .catalogue import FieldInfo, catalogue
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
)
from .medications import cyp3a4_exposures, steroid_exposures

_Date = date  # the Fact field named `date` hides the type inside the class


@dataclass(frozen=True)
class Fact:
    value: float | str | None  # what the evaluators see: numbers, 1/0 for booleans, category names; None = unknown
    display: str | None = None
    unit: str | None = None
    date: _Date | None = None
    source: str | None = None
    missing: str | None = None
    settle: str | None = None
    clears_on: _Date | None = None  # for a day window that currently holds: the first day it no longer does
    unknown: UnknownReason | None = None  # why the value is None, as a code (model/report.py)


def _missing(why: str, settle: str, unknown: UnknownReason = "not_recorded") -> Fact:
    return Fact(None, missing=why, settle=settle, unknown=unknown)


def _fmt(number: float) -> str:
    if number == int(number) and abs(number) >= 1000:
        return f"{number:,.0f}"
    return f"{number:.3g}" if abs(number) < 100 else f"{number:,.1f}".rstrip("0").rstrip(".")


def completed_years(birth: date, on: date) -> int:
    """Age in completed years: a birthday counts from its own day (29 February counts from 1 March in common years)."""
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def completed_months(birth: date, on: date) -> int:
    return (on.year - birth.year) * 12 + (on.month - birth.month) - (on.day < birth.day)


def mosteller_bsa(height_cm: float, weight_kg: float) -> float:
    """Body surface area, m² (Mosteller RD, N Engl J Med 1987;317:1098)."""
    return math.sqrt(height_cm * weight_kg / 3600)


_DATED_BLOCKS = ("findings", "attestations")
_FIELDS: dict[RecordFact, tuple[str, tuple[str, ...], FieldInfo]] = {}


def _field(fact: RecordFact) -> tuple[str, tuple[str, ...], FieldInfo]:
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
        self._blocks: dict[str, "date | tuple[str, str, UnknownReason]"] = {}
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
        return Fact(years, f"{years} years", "years", source=f"demographics.birth_date {birth.isoformat()}")

    def age_months(self) -> int:
        return completed_months(self.record.demographics.birth_date, self.as_of)

    # --- record fields ----------------------------------------------------------------------------------------
    def record_field(self, fact: RecordFact) -> Fact:
        # The one implementation is the prepared step (its unknown Fact and getter made once per field).
        return _prepared(fact)(self)

    def _dated_block(self, block: str, description: str) -> "date | Fact":
        """Findings and attestations count only with the date they were assessed, and only while it is recent.

        A two-year-old "no seizures" or a consent signed for another screening does not describe the patient
        today. Returns the assessment date or the unknown Fact.
        """
        judged = self._blocks.get(block)
        if judged is None:  # judged once per block and record; only the words differ from field to field
            judged = self._blocks[block] = self._judge_block(block)
        if isinstance(judged, date):
            return judged
        why, settle, unknown = judged
        return _missing(why.format(description=description), settle.format(description=description), unknown)

    def _judge_block(self, block: str) -> "date | tuple[str, str, UnknownReason]":
        """The block's assessment date if recent enough, else (why, settle, code) with {description} to fill in."""
        if block == "findings":
            assessed, limit = self.record.findings.assessed_on, self.lookback.findings_days
            what = "the findings were assessed"
        else:
            assessed, limit, what = (
                self.record.attestations.assessed_on,
                self.lookback.attestations_days,
                "the investigator signed the attestations",
            )
        settle = f"record {{description}} with the date {what} ({block}.assessed_on), within the last {limit} days"
        if assessed is None:
            return f"{{description}}: recorded without the date {what}, so its age cannot be judged", settle, "undated"
        if assessed > self.as_of:
            return f"{{description}}: dated {assessed}, after the as-of date {self.as_of}", settle, "after_as_of"
        age = (self.as_of - assessed).days
        if age > limit:
            return (
                f"too old: {{description}} was assessed on {assessed}, {age} days before {self.as_of}; "
                f"this rule set uses assessments up to {limit} days old",
                settle,
                "too_old",
            )
        return assessed

    def current_weight(self) -> float | str:
        """Weight in kg measured within the lookback, or why there is none: a child's size changes quickly."""
        d = self.record.demographics
        return self._current_size(d.weight_kg, d.weight_date, "weight")

    def current_height(self) -> float | str:
        d = self.record.demographics
        return self._current_size(d.height_cm, d.height_date, "height")

    def _current_size(self, value: float | None, measured: "date | None", what: str) -> float | str:
        limit = self.lookback.labs_days
        if value is None:
            return f"{what} not recorded"
        if measured is None:
            return f"{what} recorded without the date it was measured (demographics.{what}_date)"
        if measured > self.as_of:
            return f"{what} dated {measured}, after the as-of date"
        if (self.as_of - measured).days > limit:
            days = (self.as_of - measured).days
            return f"too old: the {what} was measured on {measured}, {days} days ago (limit {limit} days)"
        return value

    # --- labs ---------------------------------------------------------------------------------------------------
    def latest(self, lab: str) -> Fact | tuple[int, Observation]:
        """The most recent observation of a lab on or before the as-of date, or why there is none usable."""
        if lab in self._latest:
            return self._latest[lab]
        spec = LABS[lab]
        best = self._newest.get(lab)
        limit = self.lookback.labs_days
        if best is None:
            settle = f"record {spec.description} ({', '.join(spec.units)}) dated within the last {limit} days"
            later = self._first_after.get(lab)
            # A retrospective screening leaves out what was measured after its date, and says so: "none recorded"
            # would read as if the value had never been entered.
            result: Fact | tuple[int, Observation] = (
                _missing(f"{spec.description}: the result of {later} is left out, dated after the screening "
                         f"date {self.as_of}", settle, "after_as_of")
                if later
                else _missing(f"no {spec.description} recorded on or before {self.as_of}", settle)
            )
        elif (self.as_of - best[1].date).days > limit:
            obs = best[1]
            result = Fact(
                None,
                f"{_fmt(obs.value)} {obs.unit}",
                obs.unit,
                obs.date,
                f"observations[{best[0]}]",
                missing=f"too old: the last {spec.description} ({obs.date}) is {(self.as_of - obs.date).days} days "
                f"before {self.as_of}; this rule set uses values up to {limit} days old",
                settle=f"record {spec.description} dated within the last {limit} days",
                unknown="too_old",
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
        shown = f"{_fmt(obs.value)} {obs.unit}"
        if obs.unit != spec.canonical_unit:
            shown += f" (= {_fmt(value)} {spec.canonical_unit})"
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
        words = TRANSFUSION_WORDS[product]
        transfusions = self.record.history.transfusions
        if transfusions is None:
            return replace(
                fact,
                value=None,
                missing=f"transfusion history not recorded: cannot tell whether the "
                f"{LABS[lab].description} of {fact.date} is independent of transfusion",
                settle="record the transfusion history (an empty list if none)",
                unknown="not_recorded",
            )
        before = [t.date for t in transfusions if t.product == product and t.date <= drawn]
        if before and (drawn - max(before)).days < days:
            last = max(before)
            return replace(
                fact,
                value=None,
                missing=(
                    f"the {LABS[lab].description} of {fact.date} was drawn {(drawn - last).days} days after "
                    f"a {words} transfusion on {last}: it may be transfusion-supported"
                ),
                settle=f"repeat the {LABS[lab].description} on or after {last + timedelta(days=days)} "
                f"({days} days after the {words} transfusion)",
                unknown="transfusion_supported",
            )
        note = (
            f"no {words} transfusion in the {days} days before it"
            if not before
            else f"drawn {(drawn - max(before)).days} days after the last {words} transfusion ({max(before)})"
        )
        return replace(fact, value=1, display=f"{fact.display}; {note}", unit=None)

    def recorded(self, key: RecordedFact) -> Fact:
        """Whether a usable value is recorded: never unknown, so a criterion can say what absence means."""
        inner = self.fact(key.of)
        if inner.value is None:
            return Fact(0, f"no usable value ({inner.missing})", None, inner.date, inner.source)
        return Fact(1, f"recorded: {inner.display}", None, inner.date, inner.source)

    def _source(self, index: int, obs: Observation) -> str:
        return f"observations[{index}]" + (f" from {obs.source}" if obs.source else "") + f" test {obs.test}"

    def uln(self, spec: LabSpec, obs: Observation) -> tuple[float, str, str | None] | None:
        """(limit, where it came from, caveat for the reader or None)."""
        if obs.reference_high is not None:
            return to_canonical(spec, obs.reference_high, obs.unit), "the reporting lab's upper limit of normal", None
        months = self.age_months()
        for row in self.tables.uln.rows:
            if (
                row.lab == spec.name
                and row.min_age_months <= months
                and (row.max_age_months is None or months < row.max_age_months)
            ):
                return (
                    to_canonical(spec, row.uln, row.unit),
                    f"default ULN {row.uln:g} {row.unit} ({row.source.strip()})",
                    f"ULN {row.uln:g} {row.unit} is the project's default, not the reporting lab's: "
                    "record the lab's range",
                )
        return None

    def creatinine_max(self) -> tuple[float, str, str | None] | str:
        months, sex = self.age_months(), self.record.demographics.sex
        for row in self.tables.creatinine_max.rows:
            if row.min_age_months <= months and (row.max_age_months is None or months < row.max_age_months):
                if sex in ("male", "female"):
                    limit = getattr(row, sex)
                elif row.male == row.female:
                    limit = row.male
                else:
                    return "the age/sex limit differs by sex and the record's sex is " + sex
                flag = "" if row.verified else "; UNVERIFIED row, see criteria/tables/creatinine_max_cog.yaml"
                age = f"{row.min_age_months // 12 if row.min_age_months >= 12 else row.min_age_months}" + (
                    " years" if row.min_age_months >= 12 else " months"
                )
                caveat = (
                    None
                    if row.verified
                    else (
                        f"the COG limit {limit:g} mg/dL from {age} is an unverified table row "
                        "(no public copy found): check it against the protocol"
                    )
                )
                return limit, f"COG maximum {limit:g} mg/dL for {sex} from {age}{flag}", caveat
        return "no age/sex creatinine limit below 1 month of age"

    def ratio(self, key: LabMultipleFact) -> Fact:
        lab, reference = key.lab, key.of
        found = self.observed(lab)
        if isinstance(found, Fact):
            return found
        index, obs, spec, value = found
        limit = self.uln(spec, obs) if reference == "uln" else self.creatinine_max()
        if not isinstance(limit, tuple):
            why = limit or f"no upper limit of normal for {spec.description} at this age"
            return Fact(
                None,
                f"{_fmt(obs.value)} {obs.unit}",
                obs.unit,
                obs.date,
                self._source(index, obs),
                missing=why,
                settle=f"record the reporting lab's upper limit of normal (reference_high) for {spec.description}"
                if reference == "uln"
                else "record the patient's sex",
                unknown="no_limit",
            )
        multiple = value / limit[0]
        caveat = f" ({limit[2]})" if limit[2] else ""
        return Fact(
            multiple,
            f"{_fmt(obs.value)} {obs.unit} = {multiple:.2f} × {_fmt(limit[0])} {spec.canonical_unit}{caveat}",
            "× limit",
            obs.date,
            f"{self._source(index, obs)}; limit: {limit[1]}",
        )

    # --- history --------------------------------------------------------------------------------------------------
    def imaging(self, key: str) -> Fact:
        """The most recent scan of the kind the derived fact names, within the imaging lookback."""
        scans = self.record.history.imaging
        if scans is None:
            return _missing("imaging history not recorded", "record the recent imaging (MRI/CT, MIBG, FDG-PET)")
        earliest = self.as_of - timedelta(days=self.lookback.imaging_days)
        if key == "imaging.largest_lesion_mm":
            modalities: tuple[str, ...]
            modalities, attribute, label = ("mri", "ct"), "largest_lesion_mm", "MRI or CT with a lesion measurement"
        else:
            modalities = ("mibg",) if key == "imaging.mibg_avid" else ("fdg_pet",)
            attribute, label = "avid", "MIBG scan" if key == "imaging.mibg_avid" else "FDG-PET"
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
            return _missing(
                f"no {label} dated {earliest} to {self.as_of}",
                f"record {label} dated within the last {self.lookback.imaging_days} days",
            )
        index, scan = found
        value = getattr(scan, attribute)
        if attribute == "avid":
            return Fact(
                1 if value else 0,
                "avid" if value else "not avid",
                None,
                scan.date,
                f"history.imaging[{index}] ({scan.modality})",
            )
        return Fact(value, f"{value:g} mm", "mm", scan.date, f"history.imaging[{index}] ({scan.modality})")

    def transplant_ever(self, key: str) -> Fact:
        kind = key.removeprefix("history.").removesuffix("_hsct")
        transplants = self.record.history.transplants
        if transplants is None:
            return _missing("transplant history not recorded", "record the transplant history (an empty list if none)")
        dates = [t.date for t in transplants if t.type == kind and t.date <= self.as_of]
        if dates:
            return Fact(1, "yes (most recent)", None, max(dates), "history.transplants")
        return Fact(0, "none recorded (history reviewed)", None, None, "history.transplants")

    def latest_transplant(self) -> Fact:
        """The type of the latest transplant on or before the as-of date: the one a post-transplant trial is about."""
        transplants = self.record.history.transplants
        if transplants is None:
            return _missing("transplant history not recorded", "record the transplant history (an empty list if none)")
        done = [t for t in transplants if t.date <= self.as_of]
        if not done:
            return Fact("none", "none recorded (history reviewed)", source="history.transplants")
        day = max(t.date for t in done)
        kinds = {t.type for t in done if t.date == day}
        if len(kinds) > 1:
            return _missing(
                f"transplants of different types ({', '.join(sorted(kinds))}) recorded on the same day, {day}",
                "record which transplant the patient had on that day",
            )
        kind = kinds.pop()
        return Fact(kind, kind, None, day, "history.transplants")

    def newly_diagnosed(self) -> Fact:
        """Whether the disease is a new diagnosis: a relapse or progression says no; refractory, stable or remission
        can describe a first diagnosis in its first treatment as well as a recurrence, so they leave it open."""
        status = self.record.diagnosis.disease_status
        if status is None:
            return _missing("disease status not recorded", "record the disease status (diagnosis.disease_status)")
        if status == "newly_diagnosed":
            return Fact(1, "yes (disease status: newly diagnosed)", source="diagnosis.disease_status")
        if status in ("relapsed", "progressive"):
            return Fact(0, f"no (disease status: {status})", source="diagnosis.disease_status")
        return _missing(
            f"disease status {status} does not say whether this is the first diagnosis or a recurrence",
            "record the disease status as newly diagnosed if the tumour is being treated for the first time and has "
            "not recurred or progressed, else as relapsed or progressive",
        )

    def tissue_confirmed(self) -> Fact:
        """A diagnosis the trial defines on tissue: proven by pathology, else open (an imaging diagnosis is not a
        different disease, so it never excludes)."""
        confirmed = self.record.diagnosis.pathology_confirmed
        if confirmed is None:
            return _missing(
                "whether pathology confirms the diagnosis: not recorded",
                "record whether pathology confirms the diagnosis (diagnosis.pathology_confirmed)",
            )
        if confirmed:
            return Fact(1, "yes (pathology confirmed)", source="diagnosis.pathology_confirmed")
        return _missing(
            "not confirmed by pathology (a diagnosis without tissue, e.g. on imaging alone)",
            "record the pathology result once the diagnosis is confirmed on tissue",
        )

    # --- day windows --------------------------------------------------------------------------------------------
    def days_since(self, key: DaysSinceFact) -> Fact:
        event, window = key.event, key.window
        history = self.record.history
        if event.transfusion:
            return self._event_days(
                history.transfusions,
                "transfusion history",
                [
                    (f"history.transfusions[{i}]", t.date, t.date)
                    for i, t in enumerate(history.transfusions or ())
                    if event.transfusion in ("any", t.product)
                ],
                window,
            )
        if event.transplant:
            return self._event_days(
                history.transplants,
                "transplant history",
                [
                    (f"history.transplants[{i}]", t.date, t.date)
                    for i, t in enumerate(history.transplants or ())
                    if t.type == event.transplant
                ],
                window,
            )
        if event.chemotherapy_end:
            return self._event_days(
                history.chemotherapy,
                "chemotherapy history",
                [(f"history.chemotherapy[{i}]", c.start, c.end) for i, c in enumerate(history.chemotherapy or ())],
                window,
            )
        return self._medication_days(event, window)

    def _event_days(
        self,
        history,
        label: str,
        events: list[tuple[str, date, date | None]],
        window: int | None,
        uncertain: Sequence[tuple[str, date, date | None, str, UnknownReason]] = (),
    ) -> Fact:
        if history is None:
            return _missing(f"{label} not recorded", f"record the {label} (an empty list if none)")
        best = None
        for path, start, end in events:
            if start > self.as_of:
                continue  # planned, not yet happened
            ended = end if end is not None and end <= self.as_of else None  # None: still going on the as-of date
            days = (self.as_of - ended).days if ended else 0
            if best is None or days < best[0]:
                best = (days, path, ended)
        horizon = min(best[0] if best else math.inf, window or math.inf)
        for path, start, end, why, unknown in uncertain:
            if start <= self.as_of:
                days = (self.as_of - end).days if end is not None and end <= self.as_of else 0
                if days < horizon:
                    return Fact(
                        None,
                        None,
                        "days",
                        end,
                        path,
                        missing=why,
                        settle=f"record the dose and unit for {path}",
                        unknown=unknown,
                    )
        if best is None:
            return Fact(config.NEVER_DAYS, f"none recorded ({label} reviewed)", "days", None, None)
        days, path, ended = best
        if ended is None:
            return Fact(0, "ongoing on the as-of date (clears only after it stops)", "days", None, path)
        clears = ended + timedelta(days=window) if (window and days < window) else None
        return Fact(days, f"{days} days before the as-of date", "days", ended, path, clears_on=clears)

    def _medication_days(self, event: Event, window: int | None) -> Fact:
        if event.medication_class == "cyp3a4_modulator":
            found = cyp3a4_exposures(self, set(event.strengths))
        else:
            found = steroid_exposures(self, event.min_prednisone_mg_kg_day)
        fact = self._event_days(
            self.record.history.medications, "medication history", found.events, window, found.uncertain
        )
        return found.explain(fact, self.as_of, window)

    # --- dispatch -------------------------------------------------------------------------------------------------
    def derived(self, key: DerivedFact) -> Fact:
        name = key.name
        if name == "age_years":
            return self.age_years()
        if name == "sex":
            return Fact(self.record.demographics.sex, self.record.demographics.sex, source="demographics.sex")
        if name.startswith("imaging."):
            return self.imaging(name)
        if name == "history.latest_hsct":
            return self.latest_transplant()
        if name == "diagnosis.newly_diagnosed":
            return self.newly_diagnosed()
        if name == "diagnosis.tissue_confirmed":
            return self.tissue_confirmed()
        return self.transplant_ever(name)

    def fact(self, key: AnyFactKey) -> Fact:
        return _BY_KIND[type(key)](self, key)


# Each method takes its own kind of key: the table pairs them, so the key reaching one is of its type.
_BY_KIND: dict[type, Callable[[_Deriver, Any], Fact]] = {
    RecordFact: _Deriver.record_field,
    DerivedFact: _Deriver.derived,
    LabFact: _Deriver.lab_fact,
    LabMultipleFact: _Deriver.ratio,
    DaysSinceFact: _Deriver.days_since,
    TransfusionFreeFact: _Deriver.transfusion_free,
    RecordedFact: _Deriver.recorded,
}


def _record_step(key: RecordFact) -> Callable[[_Deriver], Fact]:
    """_Deriver.record_field prepared for one field: its getter, its unknown Fact and its block decided once."""
    block, path, info = _field(key)
    get, name, description = attrgetter(key.name), key.name, info.description
    attestation = info.type == "attestation"
    what = "investigator has not assessed" if attestation else "not recorded"
    absent = _missing(
        f"{description}: {what}", f"record {description} ({name})", "not_assessed" if attestation else "not_recorded"
    )  # frozen: one Fact serves every record
    dated = block in _DATED_BLOCKS
    undated: dict = {}  # an undated field's few values (categories, yes/no), each Fact made once

    def step(deriver: _Deriver) -> Fact:
        obj = get(deriver.record)
        if obj is None or obj == "not_assessed":
            return absent
        if dated:
            when = deriver._dated_block(block, description)
            if isinstance(when, Fact):
                return when
        else:
            fact = undated.get((type(obj), obj))
            if fact is not None:
                return fact
            when = None
        if isinstance(obj, bool):
            fact = Fact(1 if obj else 0, "yes" if obj else "no", date=when, source=name)
        else:
            fact = Fact(obj, str(obj), date=when, source=name)
        if not dated and len(undated) < 64 and isinstance(obj, (bool, str)):
            undated[(type(obj), obj)] = fact
        return fact

    return step


def _step(key: AnyFactKey) -> Callable[[_Deriver], Fact]:
    """How one fact is derived, decided once per key instead of per record."""
    if isinstance(key, RecordFact):
        return _record_step(key)
    return partial(_call, _BY_KIND[type(key)], key)


def _call(method, argument, deriver: _Deriver) -> Fact:
    return method(deriver, argument)


_STEPS: dict[AnyFactKey, Callable[[_Deriver], Fact]] = {}
_PLANS: dict[tuple, tuple] = {}


def fact_plan(keys) -> tuple[tuple[AnyFactKey, Callable[[_Deriver], Fact]], ...]:
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


def derive(record: PatientRecord, as_of: date, keys, lookback: Lookback, tables: Tables) -> dict[AnyFactKey, Fact]:
    """The facts named by keys, for this record on the as-of date."""
    deriver = _Deriver(record, as_of, lookback, tables)
    facts = {}
    for key, step in fact_plan(keys):
        fact = step(deriver)
        value = fact.value
        if isinstance(value, float):
            rounded = round(value, config.DECIMALS)
            if rounded != value:
                fact = replace(fact, value=rounded)
        facts[key] = fact
    return facts
