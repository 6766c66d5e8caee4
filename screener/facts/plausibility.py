"""Plausibility before scoring: which values no living child can have (refused) and which are usually a slip (to
confirm), as data. The limits and the reason for each are data too (criteria/tables/impossible_values.yaml and
values_to_confirm.yaml); this module only applies them, and wording/plausibility.py words what it finds.
"""
from datetime import date, timedelta
from functools import lru_cache
from types import UnionType
from typing import Annotated, Literal, Union, get_args, get_origin

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


def _by_lab(rows: list[ValueLimit]) -> dict[str, tuple[ValueLimit, ...]]:
    """A table's rows by lab, in table order: most observations' labs have no row, and those now cost one lookup
    rather than a pass over every row (profiled: ~15 µs a record of the ~35 µs check). Kept per list of rows (the
    loaded table's, one per process) with the list itself, so its id cannot be reused while it is here."""
    found = _BY_LAB.get(id(rows))
    if found is None or found[0] is not rows:
        index: dict[str, list[ValueLimit]] = {}
        for row in rows:
            index.setdefault(row.lab, []).append(row)
        if len(_BY_LAB) >= 8:
            _BY_LAB.clear()
        found = _BY_LAB[id(rows)] = (rows, {lab: tuple(labs) for lab, labs in index.items()})
    return found[1]


_BY_LAB: dict[int, tuple[list[ValueLimit], dict[str, tuple[ValueLimit, ...]]]] = {}


def first_row(rows: list[ValueLimit], obs: Observation) -> ValueLimit | None:
    """The first row an observation falls in, if any."""
    return _first_of(_by_lab(rows), obs)


def _first_of(by_lab: dict[str, tuple[ValueLimit, ...]], obs: Observation) -> ValueLimit | None:
    for row in by_lab.get(lab_of(obs.test).name, ()):
        if holds(row, obs.value, obs.unit):
            return row
    return None


def lab_rows(record: PatientRecord, rows: list[ValueLimit]) -> list[tuple[int, Observation, ValueLimit]]:
    """Each observation that falls in a row, with its index and the row."""
    by_lab = _by_lab(rows)
    found = []
    for index, obs in enumerate(record.observations):
        if (row := _first_of(by_lab, obs)) is not None:
            found.append((index, obs, row))
    return found


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


def _is_date(annotation) -> bool:
    """Whether a field so annotated holds a date or nothing (date | None, an annotated date)."""
    origin = get_origin(annotation)
    if origin is Annotated:
        return _is_date(get_args(annotation)[0])
    if origin in (Union, UnionType):
        return all(arg is type(None) or _is_date(arg) for arg in get_args(annotation))
    return isinstance(annotation, type) and issubclass(annotation, date)


@lru_cache(maxsize=None)
def _dates_only(model: type[BaseModel]) -> tuple[str, ...]:
    """The fields dates_after visits when each of them holds only a date or nothing (an observation's date), so the
    items of a list of such models are read in place; empty otherwise."""
    walked = _walked(model)
    return walked if walked and all(_is_date(model.model_fields[n].annotation) for n in walked) else ()


def dates_after(model: BaseModel, now: date, path: tuple[str | int, ...] = ()) -> list[tuple[str | int, ...]]:
    """The path of every date in a record after `now`: the schema's own fields, so a date field added later is
    checked too. Read from the instances' dicts (pydantic's own iteration took ~200 µs a record, profiled), only the
    fields whose type can hold a date or a model; gathered into one list by plain calls (nested generators, one per
    model, were ~19 µs a record: 21 of them for each of 2,000 generated records)."""
    found: list[tuple[str | int, ...]] = []
    _dates_after(model, now, path, found)
    return found


def _dates_after(model: BaseModel, now: date, path: tuple[str | int, ...], found: list) -> None:
    fields = model.__dict__
    for name in _walked(type(model)):
        value = fields[name]
        if value is None:  # an optional field not given: most are, and a model's isinstance is the slow check
            continue
        if isinstance(value, date):
            if value > now:
                found.append((*path, name))
        elif isinstance(value, list):
            if value and isinstance(value[0], BaseModel):
                dated = _dates_only(type(value[0]))
                for i, item in enumerate(value):
                    if dated and type(item) is type(value[0]):  # read here: no call for each lab of a record
                        row = item.__dict__
                        for part in dated:
                            day = row[part]
                            if isinstance(day, date) and day > now:  # as the walk reads any field
                                found.append((*path, name, i, part))
                    else:
                        _dates_after(item, now, (*path, name, i), found)
        elif isinstance(value, BaseModel):
            _dates_after(value, now, (*path, name), found)


def as_of_too_far(table: ImpossibleTable, as_of: date) -> bool:
    """A screening date further after today than the table allows: a slip."""
    return as_of > today() + timedelta(days=table.dates.as_of_days_after_today)
