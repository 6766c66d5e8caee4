"""FHIR medication resources as the record's medication history: drug (RxNorm code and name), route, daily dose, period.

How each status is used (a course counts as taken unless the resource says it was not):
- MedicationStatement (what the patient takes or took): active, on-hold, unknown, completed and stopped are taken;
  intended (not yet started), not-taken and entered-in-error are ignored with the reason.
- MedicationAdministration (a dose given): completed, in-progress, on-hold, stopped and unknown were given;
  not-done and entered-in-error are ignored.
- MedicationRequest (what was ordered, i.e. intended): an order (intent order, original-order, reflex-order,
  filler-order, instance-order) is taken as taken from its start; proposal, plan, directive and option are not
  orders and are ignored, as are cancelled, draft and entered-in-error requests.
A course that ended on a date the resource does not give (completed/stopped without an end, no bounds and no
supply duration) is read as ongoing: taking its start as its end could clear a 7-day window that has not
cleared. Doses are read only where they are stated in mg (or mg/kg, mg/m²) with a daily timing; anything else
leaves the dose unknown and lists why, so a corticosteroid criterion stays unknown rather than passing.
"""

import math
import re
from dataclasses import dataclass
from datetime import date, timedelta

from .. import config
from ..facts.drug_names import vocabulary
from ..model.errors import render_path
from ..rules import load_tables
from ._common import RXNORM, as_dict, codes, codings, day, table, words
from ._models import AdministrationDosage, Dosage, problem
from ._models import Medication as MedicationModel

TYPES = ("MedicationStatement", "MedicationAdministration", "MedicationRequest")
_IGNORED_STATUS = {
    "MedicationStatement": {
        "intended": "intended, not yet taken",
        "not-taken": "not taken",
        "entered-in-error": "entered in error",
    },
    "MedicationAdministration": {"not-done": "not given", "entered-in-error": "entered in error"},
    "MedicationRequest": {
        "cancelled": "cancelled",
        "draft": "a draft, not an order",
        "entered-in-error": "entered in error",
    },
}
_ORDER_INTENTS = {"order", "original-order", "reflex-order", "filler-order", "instance-order"}
_ENDED = {"completed", "stopped"}
_SECONDS = {"s": 1, "min": 60, "h": 3600, "d": 86400}
_DAYS = {"h": 1 / 24, "d": 1, "wk": 7, "mo": 31, "a": 366}  # a month or year as its longest: an end is never too early
# HL7 v3 GTSAbbreviation codes for Timing.code (terminology.hl7.org/ValueSet/timing-abbreviation): daily counts.
_TIMING_CODES = {"QD": 1, "AM": 1, "PM": 1, "BID": 2, "TID": 3, "QID": 4, "Q4H": 6, "Q6H": 4, "Q8H": 3}
_MASS_MG = {"mg": 1.0, "g": 1000.0, "ug": 0.001, "mcg": 0.001, "µg": 0.001}
_PER = {"": "mg/day", "kg": "mg/kg/day", "m2": "mg/m2/day"}
_COUNT_UNITS = {"", "1", "tablet", "tablets", "tab", "{tablet}", "{tbl}", "capsule", "capsules", "cap", "{capsule}"}
# One strength in mg per tablet or capsule: an RxNorm clinical drug of a single ingredient (no " / ").
_STRENGTH = re.compile(r"^[^/]*?\b(\d+(?:\.\d+)?) MG\b[^/]*\b(?:tablet|capsule)\b[^/]*$", re.IGNORECASE)
_MAX_PER_DAY = 48  # more administrations a day than every 30 minutes is not a dosing schedule
_MAX_DOSE = 100_000  # the record's upper bound for a daily dose


@dataclass
class _Read:
    """One medication entry as read: the Bundle entry it starts at, what it was read from and the orders named."""

    index: int
    resource: dict
    entry: dict
    logged: list  # (resource name, note) of every resource whose dose is in the entry
    orders: list  # the MedicationRequest each of those resources names as its order, or None


def _within(given: dict, ordered: dict) -> bool:
    """Doses given that the order already accounts for: same drug, route and unit, inside its period, no more."""
    same_drug = given["rxnorm"] == ordered["rxnorm"] and (
        given["rxnorm"] is not None or given["name"].lower() == ordered["name"].lower()
    )
    inside = ordered["start"] <= given["start"] and (
        ordered["end"] is None or (given["end"] is not None and given["end"] <= ordered["end"])
    )
    return (
        same_drug
        and inside
        and given["route"] == ordered["route"]
        and given["dose_unit"] == ordered["dose_unit"]
        and given["dose"] is not None
        and ordered["dose"] is not None
        and given["dose"] <= ordered["dose"]
    )


def _number(value) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return None
    return float(value)


class MedicationReader:
    """Reads every medication resource of a bundle (a _Bundle: entries, references, import log)."""

    def __init__(self, bundle):
        self.bundle, self.out = bundle, bundle.out
        self.unreadable = 0  # resources that may be a given drug but whose drug or dates cannot be read

    def read(self) -> list[dict] | None:
        days: list = []
        given: dict = {}
        seen_any = False
        for index, resource in self.bundle.of_type(*TYPES):
            seen_any = True
            item = self._one(index, resource)
            if item is None:
                continue
            entry, note, name = item
            key = entry.pop("_same_day", None)
            if key is not None and key in given:
                # Several doses of one drug on one day are that day's dose: each alone would understate it.
                first = days[given[key]]
                first.entry["dose"] = round(first.entry["dose"] + entry["dose"], 6)
                first.logged.append((name, note + f"; added to that day's dose, now {first.entry['dose']:g} "
                                              f"{first.entry['dose_unit']}"))
                first.orders.append(self._order_of(resource))
                continue
            if key is not None:
                given[key] = len(days)
            days.append(_Read(index, resource, entry, [(name, note)], [self._order_of(resource)]))
        medications = []
        for kept in self._without_doses_given_under_their_order(days):
            medications.append(kept.entry)
            self.bundle.within_limit(
                kept.index,
                len(medications),
                config.MAX_MEDICATIONS_PER_RECORD,
                "medication entries (MAX_MEDICATIONS_PER_RECORD)",
            )
            for name, note in kept.logged:
                self.out.use(name, f"history.medications[{len(medications) - 1}]", note)
        for entry in medications:
            if entry["dose"] is not None and entry["dose"] > _MAX_DOSE:
                entry["dose"] = entry["dose_unit"] = None  # a sum past any real dose: say unknown, not a number
        for kind in TYPES:
            for resource in self.bundle.malformed.get(kind, []):
                status = resource.get("status")
                if isinstance(status, str) and status in _IGNORED_STATUS[kind]:
                    continue  # it says itself it was not taken: nothing is lost by not reading the rest
                seen_any, self.unreadable = True, self.unreadable + 1  # malformed: could be the excluding drug
        if not seen_any:
            return None
        if self.unreadable:
            # An unreadable entry could be the excluding steroid or CYP3A4 drug: the history is not complete.
            self.out.assumptions.append(
                f"{self.unreadable} medication resource(s) could not be read (malformed, no drug or no dates), "
                "so the medication history is taken as not recorded: criteria on medications stay unknown."
            )
            return None
        self.out.assumptions.append(
            "The Bundle's medication resources are taken as the patient's medication history. A request (an order) "
            "is taken as given from its start; a course stopped or completed on a date not given is taken as "
            "ongoing; doses are read where stated in mg, mg/kg or mg/m² with a daily timing, else left unknown."
        )
        return medications

    def _order_of(self, resource: dict) -> dict | None:
        """The MedicationRequest an administration (request) or a statement (basedOn) says it carries out."""
        if resource["resourceType"] == "MedicationAdministration":
            links = [resource.get("request")]
        else:
            based_on = resource.get("basedOn")
            links = based_on if isinstance(based_on, list) else []
        for link in links:
            target = self.bundle.by_reference.get(as_dict(link).get("reference"))
            if isinstance(target, dict) and target.get("resourceType") == "MedicationRequest":
                return target
        return None

    def _without_doses_given_under_their_order(self, days: list["_Read"]) -> list["_Read"]:
        """Daily doses are added up per day (facts.medications), so a dose given under an order must not count
        beside the order itself. Doses that all name one order that was read, of the same drug, route and unit,
        inside its period and at most its daily dose, are that order being carried out: they are left out, with
        that reason. Any that give more, or differ in any of those, stay and are added: the strict side."""
        orders = {id(d.resource): d for d in days if d.resource["resourceType"] == "MedicationRequest"}
        kept = []
        for read in days:
            order = orders.get(id(read.orders[0])) if all(o is read.orders[0] for o in read.orders) else None
            if order is None or order is read or not _within(read.entry, order.entry):
                kept.append(read)
                continue
            for name, _ in read.logged:
                self.out.ignore(name, f"given under its own order ({order.logged[0][0]}): the same daily exposure "
                                      "as the order, not a second one")
        return kept

    # --- one resource ---------------------------------------------------------------------------------------
    def _one(self, index: int, resource: dict):
        name = self.bundle.name(index, resource)
        kind = resource["resourceType"]
        status = resource.get("status")
        status = status if isinstance(status, str) else None
        if status in _IGNORED_STATUS[kind]:
            self.out.ignore(name, f"status {status!r}: {_IGNORED_STATUS[kind][status]}")
            return None
        if kind == "MedicationRequest":
            intent = resource.get("intent")
            if isinstance(intent, str) and intent not in _ORDER_INTENTS:
                self.out.ignore(name, f"intent {intent!r}: not an order, so not taken as given")
                return None
        drug = self._drug(index, resource)
        if isinstance(drug, str):
            self.out.ignore(name, drug)
            self.unreadable += 1
            return None
        drug_name, rxnorm, drug_note = drug
        period = self._period(index, resource, status)
        if isinstance(period, str):
            self.out.ignore(name, period)
            self.unreadable += 1
            return None
        start, end, period_note = period
        dosages = self._dosages(resource)
        if isinstance(dosages, str):
            (route, route_note), dose = ("unknown", " (dosage malformed)"), dosages
        else:
            route, route_note = self._route(dosages, drug_name)
            dose = self._dose(resource, dosages, drug_name)
        entry = {
            "name": drug_name,
            "rxnorm": rxnorm,
            "route": route,
            "start": start.isoformat(),
            "end": end.isoformat() if end else None,
            "dose": None,
            "dose_unit": None,
        }
        if not isinstance(dose, str) and dose[3] and end != start:
            dose = "a dose given over several days, not a daily dose"
        if isinstance(dose, str):
            self.out.ignore(name, f"dose not read: {dose}")
            dose_note = "dose unknown"
        else:
            entry["dose"], entry["dose_unit"], dose_note, per_administration = dose
            if per_administration:
                entry["_same_day"] = (rxnorm or drug_name.lower(), route, start, entry["dose_unit"])
        parts = [
            f"{drug_name[:60]}" + (f" (RxNorm {rxnorm})" if rxnorm else ""),
            drug_note,
            f"route {route}{route_note}",
            dose_note,
            f"{kind.removeprefix('Medication').lower()} {status or 'without status'}: {period_note}",
        ]
        return entry, "; ".join(p for p in parts if p), name

    def _concept(self, resource: dict):
        if "medicationCodeableConcept" in resource:
            return resource["medicationCodeableConcept"], ""
        reference = as_dict(resource.get("medicationReference")).get("reference")
        if not isinstance(reference, str):
            return None, ""
        if reference.startswith("#"):
            contained = resource.get("contained")
            medication = (
                next((r for r in contained if isinstance(r, dict) and r.get("id") == reference[1:]), None)
                if isinstance(contained, list)
                else None
            )
            where = "contained Medication"
        else:
            medication, where = self.bundle.by_reference.get(reference), "referenced Medication"
        if not isinstance(medication, dict) or medication.get("resourceType") != "Medication":
            return None, "medicationReference does not resolve to a Medication"
        wrong = problem(MedicationModel, medication)
        if wrong:
            return None, f"the {where} is malformed at {render_path(wrong[0])}: {wrong[1]}"
        return medication.get("code"), where

    def _drug(self, index: int, resource: dict):
        """(name, RxNorm code, note), or why the drug cannot be named."""
        concept, where = self._concept(resource)
        if concept is None:
            return where or "no medication code or name"
        rxnorm_codes = [c for c in codes(concept, RXNORM) if re.fullmatch(r"[0-9]{1,12}", c)]
        rxnorm = rxnorm_codes[0] if rxnorm_codes else None
        rx_display = next(
            (
                c.get("display")
                for c in codings(concept)
                if c.get("system") == RXNORM and isinstance(c.get("display"), str) and c["display"].strip()
            ),
            None,
        )
        text = as_dict(concept).get("text")
        other = next(
            (c.get("display") for c in codings(concept) if isinstance(c.get("display"), str) and c["display"].strip()),
            None,
        )
        names = [n.strip() for n in (rx_display, text, other) if isinstance(n, str) and n.strip()]
        # A free-text dose instruction ("5 mL twice daily Sat/Sun") given where a name belongs names no drug: it is
        # never taken as the name, and one written after the drug is taken off the name.
        words = vocabulary(load_tables().medications)
        instructions = [n for n in names if len(n) <= 100 and words.names_no_drug(n)]
        given = [n for n in names if n not in instructions]
        names = [words.without_instruction(n) if len(n) <= 100 else n for n in given]
        if not names and rxnorm is None:
            return "no medication name or RxNorm code" + (
                " (the text given is a dose instruction, not a drug name)" if instructions else "")
        notes = [where] if where else []
        if instructions:
            notes.append("a dose instruction given as a name was not read as one")
        if names[:1] != given[:1]:
            notes.append("the dose instruction after the name taken off it")
        if len(set(rxnorm_codes)) > 1:
            notes.append(f"first of {len(set(rxnorm_codes))} RxNorm codes")
        if not names:
            return f"RxNorm {rxnorm}", rxnorm, "; ".join(notes + ["no name given: the RxNorm code names it"])
        fitting = [n for n in names if len(n) <= 100]
        name = fitting[0] if fitting else names[0][:100]
        if not fitting:
            notes.append("name cut to 100 characters")
        return name, rxnorm, "; ".join(notes)

    def _period(self, index: int, resource: dict, status: str | None):
        """(start, end or None for ongoing, how it was read), or why no start date is known."""
        kind = resource["resourceType"]
        path = ("entry", index, "resource")
        if kind == "MedicationRequest":
            dosages = self._dosages(resource)
            dosages = dosages if isinstance(dosages, list) else []
            repeat = as_dict(as_dict(dosages[0].get("timing")).get("repeat")) if dosages else {}
            bounds = as_dict(repeat.get("boundsPeriod"))
            start = day(
                bounds.get("start"), (*path, "dosageInstruction", 0, "timing", "repeat", "boundsPeriod", "start")
            ) or day(resource.get("authoredOn"), (*path, "authoredOn"))
            if start is None:
                return "no start date (authoredOn or dosage bounds)"
            end = day(bounds.get("end"), (*path, "dosageInstruction", 0, "timing", "repeat", "boundsPeriod", "end"))
            how = "bounds end"
            if end is None:
                end, how = self._duration_end(start, repeat.get("boundsDuration"), 1), "bounds duration"
            if end is None:
                supply = as_dict(resource.get("dispenseRequest"))
                repeats = _number(supply.get("numberOfRepeatsAllowed")) if "numberOfRepeatsAllowed" in supply else 0.0
                if repeats is not None and 0 <= repeats <= 100:  # a supply past 100 refills bounds nothing useful
                    end = self._duration_end(start, supply.get("expectedSupplyDuration"), 1 + int(repeats))
                how = "end of the expected supply, refills included"
            if end is None:
                return (
                    start,
                    None,
                    (
                        "ongoing from "
                        if status not in _ENDED
                        else f"{status} on a date not given: taken as ongoing from "
                    )
                    + str(start),
                )
            end = max(end, start)
            return start, end, f"taken from {start} to {end} ({how})"
        period = as_dict(resource.get("effectivePeriod"))
        point = day(resource.get("effectiveDateTime"), (*path, "effectiveDateTime"))
        start = point or day(period.get("start"), (*path, "effectivePeriod", "start"))
        if start is None:
            return "no start date (effectiveDateTime or effectivePeriod.start)"
        end = start if point is not None else day(period.get("end"), (*path, "effectivePeriod", "end"))
        if end is None:
            return (
                start,
                None,
                ("ongoing from " if status not in _ENDED else f"{status} on a date not given: taken as ongoing from ")
                + str(start),
            )
        end = max(end, start)
        return start, end, f"{start} to {end}" if end != start else f"on {start}"

    @staticmethod
    def _duration_end(start: date, duration, times: int) -> date | None:
        duration = as_dict(duration)
        value, unit = _number(duration.get("value")), duration.get("code") or duration.get("unit")
        if value is None or value <= 0 or unit not in _DAYS:
            return None
        days = value * _DAYS[unit] * times
        if days > 36_600:
            return None
        return start + timedelta(days=math.ceil(days))

    @staticmethod
    def _dosages(resource: dict) -> list[dict] | str:
        """The dosage lines, each checked against its model; or what is malformed (then dose and route are unknown)."""
        kind = resource["resourceType"]
        found = resource.get("dosageInstruction") if kind == "MedicationRequest" else resource.get("dosage")
        if found is None:
            return []
        model, key = (
            (AdministrationDosage, "dosage")
            if kind == "MedicationAdministration"
            else (Dosage, "dosageInstruction" if kind == "MedicationRequest" else "dosage")
        )
        lines = [found] if kind == "MedicationAdministration" else found
        for i, line in enumerate(lines):
            wrong = problem(model, line)
            if wrong:
                where = (key,) if kind == "MedicationAdministration" else (key, i)
                return f"{render_path((*where, *wrong[0]))} malformed: {wrong[1]}"
        return lines

    # --- route and dose -------------------------------------------------------------------------------------
    @staticmethod
    def _route(dosages: list[dict], drug_name: str) -> tuple[str, str]:
        terms = table("fhir_terms.yaml")["routes"]
        found = set()
        for dosage in dosages:
            concept = dosage.get("route")
            coded = [terms["snomed"][c] for c in codes(concept, "http://snomed.info/sct") if c in terms["snomed"]]
            route = coded[0] if coded else _route_from_words(words(concept), terms["words"])
            if route != "unknown":
                found.add(route)
        if len(found) == 1:
            return found.pop(), ""
        if len(found) > 1:
            return "unknown", " (the dosage lines give different routes)"
        route = _route_from_words(drug_name.lower(), terms["dose_forms"])
        return (route, " (from the dose form in the name)") if route != "unknown" else ("unknown", " (not stated)")

    def _dose(self, resource: dict, dosages: list[dict], drug_name: str):
        """(daily dose, unit, how it was read, whether it is one administration's), or why the dose cannot be read."""
        if not dosages:
            return "no dosage given"
        if resource["resourceType"] == "MedicationAdministration":
            dosage = dosages[0]
            if "dose" not in dosage:
                return "no dose given" + (
                    " (a rate, not a dose, is given)" if "rateQuantity" in dosage or "rateRatio" in dosage else ""
                )
            amount = _amount(dosage.get("dose"), drug_name)
            if isinstance(amount, str):
                return amount
            mg, per, how = amount
            if per.endswith("/day"):
                return mg, _PER[per.removesuffix("/day")], how, False
            return mg, _PER[per], f"{how} given", True
        sequences = {d.get("sequence") for d in dosages}
        if len(dosages) > 1 and (len(sequences) > 1 or None in sequences):
            return "several dosage lines in sequence (a taper or alternatives): no single daily dose"
        total, unit, hows = 0.0, None, []
        for dosage in dosages:
            one = _daily(dosage, drug_name)
            if isinstance(one, str):
                return one
            if unit is not None and one[1] != unit:
                return "concurrent dosage lines in different units"
            total, unit = total + one[0], one[1]
            hows.append(one[2])
        if not 0 < total <= _MAX_DOSE:
            return "implausible daily dose"
        return round(total, 6), unit, " + ".join(hows), False


def _route_from_words(text: str, rows: dict) -> str:
    for phrase, route in rows.items():
        if phrase in text:
            return route
    return "unknown"


def _amount(quantity, drug_name: str):
    """(mg, per — '' or 'kg' or 'm2', or one of those + '/day' — how), or why the quantity is not a mass dose."""
    quantity = as_dict(quantity)
    value = _number(quantity.get("value"))
    if value is None or value <= 0 or value > _MAX_DOSE:
        return "no usable dose value"
    unit = quantity.get("code") if isinstance(quantity.get("code"), str) else quantity.get("unit")
    unit = (unit if isinstance(unit, str) else "").strip().lower().replace("²", "2").replace("^2", "2").replace(" ", "")
    if unit in _COUNT_UNITS:
        strength = _STRENGTH.match(drug_name)
        if strength is None:
            return (f"dose {value:g} {unit or '(no unit)'}: no mass unit, "
                    "and the name gives no single strength per tablet or capsule")
        mg = value * float(strength.group(1))
        return mg, "", f"{value:g} × {float(strength.group(1)):g} mg (strength from the name)"
    parts = unit.split("/")
    if parts[0] not in _MASS_MG:
        return f"dose unit {unit[:20]!r} is not a mass (mg, g, ug)"
    rest = parts[1:]
    daily = bool(rest) and rest[-1] in ("d", "day")
    if daily:
        rest = rest[:-1]
    if len(rest) > 1 or (rest and rest[0] not in ("kg", "m2")):
        return f"dose unit {unit[:20]!r} is not mg, mg/kg or mg/m2"
    mg = value * _MASS_MG[parts[0]]
    per = rest[0] if rest else ""
    return mg, per + ("/day" if daily else ""), f"{value:g} {unit}"


def _per_day(timing) -> float | str | None:
    """Administrations a day from a FHIR Timing; None when no timing is given."""
    timing = as_dict(timing)
    repeat = as_dict(timing.get("repeat"))
    if not repeat:
        code = next(iter(codes(timing.get("code"), "http://terminology.hl7.org/CodeSystem/v3-GTSAbbreviation")), None)
        code = code or next(
            (c.get("code") for c in codings(timing.get("code")) if isinstance(c.get("code"), str)), None
        )
        return (
            _TIMING_CODES.get(code.upper())
            if isinstance(code, str) and code.upper() in _TIMING_CODES
            else (f"timing code {code[:12]!r} is not a daily count" if isinstance(code, str) else None)
        )
    if "frequencyMax" in repeat or "periodMax" in repeat:
        return "a range of frequencies (frequencyMax/periodMax), not one schedule"
    frequency, period, unit = repeat.get("frequency"), repeat.get("period"), repeat.get("periodUnit")
    if frequency is None and period is None:
        times = repeat.get("timeOfDay") or repeat.get("when")
        return float(len(times)) if isinstance(times, list) and times else None
    frequency = 1.0 if frequency is None else _number(frequency)
    period = _number(period)
    if frequency is None or frequency <= 0 or period is None or period <= 0:
        return "timing without a usable frequency and period"
    if unit not in _SECONDS:
        return (
            f"given every {period:g} {unit if isinstance(unit, str) else '?'}: less often than daily, so no daily dose"
        )
    per_day = frequency * 86400 / (period * _SECONDS[unit])
    if per_day < 1:
        return "given less often than daily, so no daily dose"
    if per_day > _MAX_PER_DAY:
        return "implausible timing (more than every 30 minutes)"
    return per_day


def _daily(dosage: dict, drug_name: str):
    """One dosage line as (daily dose, unit, how), or why not."""
    if dosage.get("asNeededBoolean") is True or "asNeededCodeableConcept" in dosage:
        return "taken as needed: the dose taken is not known"
    lines = (
        [d for d in dosage.get("doseAndRate") or [] if isinstance(d, dict)]
        if isinstance(dosage.get("doseAndRate"), list)
        else []
    )
    quantities = [d["doseQuantity"] for d in lines if "doseQuantity" in d]
    if not quantities:
        return "a dose range, not a dose" if any("doseRange" in d for d in lines) else "no dose quantity"
    amount = _amount(quantities[0], drug_name)
    if isinstance(amount, str):
        return amount
    mg, per, how = amount
    if per.endswith("/day"):
        return mg, _PER[per.removesuffix("/day")], how
    per_day = _per_day(dosage.get("timing"))
    if per_day is None:
        return "a dose without timing: the daily dose cannot be computed"
    if isinstance(per_day, str):
        return per_day
    return mg * per_day, _PER[per], f"{how} × {per_day:g} a day"
