"""Plausibility before scoring: which values no living child can have (refused) and which are usually a slip (to
confirm), as data. The limits and the reason for each are data too (criteria/tables/impossible_values.yaml and
values_to_confirm.yaml); this module only applies them, and wording/plausibility.py words what it finds.
"""
from datetime import date, timedelta
from functools import lru_cache
from types import UnionType
from typing import Annotated, Iterator, Literal, Union, get_args, get_origin

from pydantic import BaseModel

from ..model.dates import today
from ..model.labs import LABS, lab_for_test, lab_of
from ..model.record import Observation, PatientRecord
from ..model.tables import ImpossibleTable, ValueLimit


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


def first_row(rows: list[ValueLimit], obs: Observation) -> ValueLimit | None:
    """The first row an observation falls in, if any."""
    lab = lab_of(obs.test).name
    return next((row for row in rows if row.lab == lab and holds(row, obs.value, obs.unit)), None)


def lab_rows(record: PatientRecord, rows: list[ValueLimit]) -> Iterator[tuple[int, Observation, ValueLimit]]:
    """Each observation that falls in a row, with its index and the row."""
    for index, obs in enumerate(record.observations):
        row = first_row(rows, obs)
        if row is not None:
            yield index, obs, row


def slip_row(table: ImpossibleTable, test: object, unit: object, value: object) -> ValueLimit | None:
    """The impossible-value row naming its slip that a lab value the record's own schema refused falls in. The row
    is raw input (it failed validation): each part is checked here."""
    spec = lab_for_test(test) if isinstance(test, str) else None
    if spec is None or not isinstance(unit, str) or isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return next((row for row in table.labs if row.lab == spec.name and row.did_you_mean and holds(row, value, unit)),
                None)


_SCALARS = (str, int, float, type(None))  # bool is an int; a str Enum or Literal is a str


def _may_hold(annotation) -> bool:
    """Whether a field so annotated can hold a date, a model or a list: anything not plainly a scalar can."""
    origin = get_origin(annotation)
    if origin is Literal:
        return False
    if origin is Annotated:
        return _may_hold(get_args(annotation)[0])
    if origin in (Union, UnionType):
        return any(_may_hold(arg) for arg in get_args(annotation))
    return not (isinstance(annotation, type) and issubclass(annotation, _SCALARS))


@lru_cache(maxsize=None)
def _walked(model: type[BaseModel]) -> tuple[str, ...]:
    """The fields of a model class that dates_after visits, in declaration order (the instance dict's): once per
    class, from the schema's annotations (profiled: visiting every field of every observation was most of the
    ~40 µs walk)."""
    return tuple(name for name, info in model.model_fields.items() if _may_hold(info.annotation))


def dates_after(model: BaseModel, now: date, path: tuple[str | int, ...] = ()) -> Iterator[tuple[str | int, ...]]:
    """The path of every date in a record after `now`: the schema's own fields, so a date field added later is
    checked too. Read from the instances' dicts (pydantic's own iteration took ~200 µs a record, profiled), only the
    fields whose type can hold a date or a model."""
    fields = model.__dict__
    for name in _walked(type(model)):
        value = fields[name]
        if isinstance(value, date):
            if value > now:
                yield (*path, name)
        elif isinstance(value, BaseModel):
            yield from dates_after(value, now, (*path, name))
        elif isinstance(value, list) and value and isinstance(value[0], BaseModel):
            for i, item in enumerate(value):
                yield from dates_after(item, now, (*path, name, i))


def as_of_too_far(table: ImpossibleTable, as_of: date) -> bool:
    """A screening date further after today than the table allows: a slip."""
    return as_of > today() + timedelta(days=table.dates.as_of_days_after_today)
