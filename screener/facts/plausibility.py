"""Plausibility before scoring: values no living child can have (refused) and values usually a slip (to confirm).

The limits and the reason for each are data (criteria/tables/impossible_values.yaml and values_to_confirm.yaml);
this module only applies them. Messages name the field and the likely slip, never the value given, so they can
travel into problem responses, the CLI's errors and the form without echoing a record.
"""
from datetime import date, timedelta
from typing import Iterator

from pydantic import BaseModel

from ..model.dates import today
from ..model.errors import FieldError
from ..model.labs import LAB_LABELS, LABS, lab_for_test, lab_of, unit_label
from ..model.record import Observation, PatientRecord
from ..model.tables import ConfirmTable, ImpossibleTable, Tables, ValueLimit


def _number(value: float) -> str:
    return f"{value:,.10g}"


def _in_row_unit(row: ValueLimit, value: float, unit: str) -> float:
    if unit == row.unit:  # no round trip through the factors: a bound given in the unit itself stays exact
        return value
    units = LABS[row.lab].units
    return value * units[unit] / units[row.unit]


def holds(row: ValueLimit, value: float, unit: str) -> bool:
    """Whether a value given in `unit` falls in the row (bounds exclusive, in the row's unit)."""
    if row.given_in is not None and unit not in row.given_in:
        return False
    if unit not in LABS[row.lab].units:
        return False
    number = _in_row_unit(row, value, unit)
    return (row.more_than is None or number > row.more_than) and (row.less_than is None or number < row.less_than)


def _bounds(row: ValueLimit) -> str:
    unit = unit_label(row.unit)
    low, high = row.more_than, row.less_than
    if low is not None and high is not None:
        return f"above {_number(low)} and below {_number(high)} {unit}"
    if low is not None:
        return f"above {_number(low)} {unit}"
    if high is not None:
        return f"below {_number(high)} {unit}"
    raise ValueError("a value-limit row without a bound")  # the table's model refuses one (model/tables.py)


def _lab(row: ValueLimit) -> str:
    return f"{LAB_LABELS.get(row.lab, LABS[row.lab].description)} {_bounds(row)}"


def impossible_message(row: ValueLimit, unit: str) -> str:
    slip = f"; did you mean {unit_label(row.did_you_mean)}?" if row.did_you_mean else ""
    return f"{_lab(row)}: no living child has this value given in {unit_label(unit)}{slip}"


def confirm_message(row: ValueLimit, unit: str) -> str:
    slip = f" (did you mean {unit_label(row.did_you_mean)}?)" if row.did_you_mean else ""
    return f"{_lab(row)}: possible, but usually a slip{slip}; check the value"


def _first(rows: list[ValueLimit], obs: Observation, message) -> str | None:
    """The message of the first row an observation falls in, if any."""
    lab = lab_of(obs.test).name
    return next((message(row, obs.unit) for row in rows if row.lab == lab and holds(row, obs.value, obs.unit)), None)


def _lab_rows(record: PatientRecord, rows: list[ValueLimit], message) -> list[FieldError]:
    return [
        FieldError(("observations", index, "value"), found)
        for index, obs in enumerate(record.observations)
        if (found := _first(rows, obs, message)) is not None
    ]


def slip_for(table: ImpossibleTable, test: object, unit: object, value: object) -> str | None:
    """The impossible-value message for a lab value the record's own schema refused, where a row names its slip.
    The row is raw input (it failed validation): each part is checked here."""
    spec = lab_for_test(test) if isinstance(test, str) else None
    if spec is None or not isinstance(unit, str) or isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    for row in table.labs:
        if row.lab == spec.name and row.did_you_mean and holds(row, value, unit):
            return impossible_message(row, unit)
    return None


def _after(model: BaseModel, now: date, path: tuple[str | int, ...] = ()) -> Iterator[tuple[str | int, ...]]:
    """The path of every date in a record after `now`: the schema's own fields, so a date field added later is
    checked too. Read from the instances' dicts (pydantic's own iteration took ~200 µs a record, profiled)."""
    for name, value in model.__dict__.items():
        if isinstance(value, date):
            if value > now:
                yield (*path, name)
        elif isinstance(value, BaseModel):
            yield from _after(value, now, (*path, name))
        elif isinstance(value, list) and value and isinstance(value[0], BaseModel):
            for i, item in enumerate(value):
                yield from _after(item, now, (*path, name, i))


def as_of_problem(table: ImpossibleTable, as_of: date) -> FieldError | None:
    limit = table.dates.as_of_days_after_today
    if as_of > today() + timedelta(days=limit):
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
    for path in _after(record, now):
        if ".".join(p for p in path if isinstance(p, str)) not in exempt:
            errors.append(FieldError(path, f"after today ({now}): it cannot have happened yet; check the year"))
    return errors + _lab_rows(record, table.labs, impossible_message)


def values_to_confirm(record: PatientRecord, table: ConfirmTable) -> list[FieldError]:
    """Values a real child can have that are usually a slip, each with the question to ask (never refused)."""
    return _lab_rows(record, table.labs, confirm_message)


def question_for(obs: Observation, table: ConfirmTable) -> str | None:
    """values_to_confirm for one observation (the form asks beside each lab, even while other fields are wrong)."""
    return _first(table.labs, obs, confirm_message)
