"""The words for implausible values (facts/plausibility.py finds them): each a FieldError naming the field and the
likely slip, never the value given, so it can travel into problem responses, the CLI's errors and the form without
echoing a record. The questions a report's warnings ask are said in the reader's language (reasons catalogue); the
refusals (problem responses, the CLI) stay English, as the API does."""
from datetime import date

from ..facts.plausibility import as_of_too_far, dates_after, first_row, lab_rows, slip_row
from ..model.dates import today
from ..model.errors import FieldError
from ..model.labs import LAB_LABELS, LABS, unit_label
from ..model.language import DEFAULT_LANGUAGE, Language
from ..model.record import Observation, PatientRecord
from ..model.tables import ConfirmTable, ImpossibleTable, Tables, ValueLimit
from .facts import reader
from .sentences import Sentences, sentences


def _number(value: float, w: Sentences) -> str:
    return w.number(f"{value:,.10g}")


def _bounds(row: ValueLimit, w: Sentences) -> str:
    unit = unit_label(row.unit)
    low, high = row.more_than, row.less_than
    if low is not None and high is not None:
        return w.say("above %(low)s and below %(high)s %(unit)s", low=_number(low, w), high=_number(high, w),
                     unit=unit)
    if low is not None:
        return w.say("above %(low)s %(unit)s", low=_number(low, w), unit=unit)
    if high is not None:
        return w.say("below %(high)s %(unit)s", high=_number(high, w), unit=unit)
    raise ValueError("a value-limit row without a bound")  # the table's model refuses one (model/tables.py)


def _lab(row: ValueLimit, w: Sentences) -> str:
    label = LAB_LABELS.get(row.lab, LABS[row.lab].description)
    return w.say("%(lab)s %(bounds)s", lab=reader(w.language).text(label), bounds=_bounds(row, w))


def impossible_message(row: ValueLimit, unit: str, language: Language = DEFAULT_LANGUAGE) -> str:
    w = sentences(language)
    slip = w.say("; did you mean %(unit)s?", unit=unit_label(row.did_you_mean)) if row.did_you_mean else ""
    return w.say("%(lab)s: no living child has this value given in %(unit)s%(slip)s", lab=_lab(row, w),
                 unit=unit_label(unit), slip=slip)


def confirm_message(row: ValueLimit, unit: str, language: Language = DEFAULT_LANGUAGE) -> str:
    """The question a possible but unusual value asks; in the reader's language where it reaches a report (its
    warnings)."""
    w = sentences(language)
    slip = w.say(" (did you mean %(unit)s?)", unit=unit_label(row.did_you_mean)) if row.did_you_mean else ""
    return w.say("%(lab)s: possible, but usually a slip%(slip)s; check the value", lab=_lab(row, w), slip=slip)


def _lab_errors(record: PatientRecord, rows: list[ValueLimit], message) -> list[FieldError]:
    return [
        FieldError(("observations", index, "value"), message(row, obs.unit))
        for index, obs, row in lab_rows(record, rows)
    ]


def slip_for(table: ImpossibleTable, test: object, unit: object, value: object) -> str | None:
    """The impossible-value message for a lab value the record's own schema refused, where a row names its slip."""
    row = slip_row(table, test, unit, value)
    return impossible_message(row, unit) if row is not None and isinstance(unit, str) else None


def as_of_problem(table: ImpossibleTable, as_of: date) -> FieldError | None:
    if as_of_too_far(table, as_of):
        limit = table.dates.as_of_days_after_today
        return FieldError(
            ("as_of",), f"more than {limit} days after today ({today()}): a screening date that far ahead is a slip; "
            "check the year"
        )
    return None


def impossible_values(record: PatientRecord, tables: Tables, as_of: date | None = None) -> list[FieldError]:
    """Every value in the record no living child can have as given (dates after today, slipped units), and a
    screening date too far ahead: each a FieldError naming the field and, where likely, the slip."""
    table = tables.impossible
    now = today()
    errors = []
    if as_of is not None and (problem := as_of_problem(table, as_of)) is not None:
        errors.append(problem)
    exempt = table.dates.exempt
    for path in dates_after(record, now):
        if ".".join(p for p in path if isinstance(p, str)) not in exempt:
            errors.append(FieldError(path, f"after today ({now}): it cannot have happened yet; check the year"))
    return errors + _lab_errors(record, table.labs, impossible_message)


def values_to_confirm(record: PatientRecord, table: ConfirmTable,
                      language: Language = DEFAULT_LANGUAGE) -> list[FieldError]:
    """Values a real child can have that are usually a slip, each with the question to ask (never refused)."""
    return _lab_errors(record, table.labs, lambda row, unit: confirm_message(row, unit, language))


def question_for(obs: Observation, table: ConfirmTable) -> str | None:
    """values_to_confirm for one observation (the form asks beside each lab, even while other fields are wrong)."""
    row = first_row(table.labs, obs)
    return confirm_message(row, obs.unit) if row is not None else None
