"""Every problem of a record in one answer: field errors together with the checks across fields."""
import json
from datetime import date

import pytest

from screener.batch import Item, screen_chunk
from screener.screening import InvalidRecord, parse_record

AS_OF = date(2026, 11, 22)
# A route missing and an end before the start in the same row: pydantic alone reports only the first.
BAD = {"demographics": {"birth_date": "2026-11-23", "sex": "x"},
       "observations": [{"test": "platelets", "unit": "/uL", "value": -5, "date": "2026-11-20"}],
       "history": {"medications": [{"name": "prednisone", "start": "2026-11-10", "end": "2026-11-09"}]}}


def _errors(record: dict, as_of=AS_OF) -> list[tuple[str, str]]:
    with pytest.raises(InvalidRecord) as caught:
        parse_record(json.dumps(record), as_of)
    return [(e.field, e.message) for e in caught.value.errors]


def test_field_and_cross_field_errors_come_together():
    errors = _errors(BAD)
    assert ("demographics.birth_date", "birth date is after the as-of date 2026-11-22") in errors
    assert ("history.medications[0]", "end is before start") in errors
    assert {field for field, _ in errors} >= {
        "demographics.sex",
        "observations[0].value",
        "history.medications[0].route",
    }


def test_born_on_the_screening_date_is_not_an_error_the_day_after_is():
    on_the_day = BAD | {"demographics": {"birth_date": "2026-11-22", "sex": "x"}}
    assert "demographics.birth_date" not in {field for field, _ in _errors(on_the_day)}
    assert "demographics.birth_date" in {field for field, _ in _errors(BAD)}


def test_a_valid_record_born_after_the_as_of_date():
    record = {"demographics": {"birth_date": "2026-11-23", "sex": "female"}}
    assert _errors(record) == [("demographics.birth_date", "birth date is after the as-of date 2026-11-22")]
    assert parse_record(json.dumps(record)).demographics.birth_date == date(2026, 11, 23)  # no as-of date, no check


def test_an_end_on_its_start_day_is_fine():
    same_day = BAD | {"history": {"medications": [{"name": "prednisone", "start": "2026-11-10", "end": "2026-11-10"}]}}
    assert "history.medications[0]" not in {field for field, _ in _errors(same_day)}


@pytest.mark.parametrize(
    "text",
    [
        "[]",
        "{ truncated",
        "[" * 5000 + "]" * 5000,
        '{"demographics": []}',
        '{"history": {"medications": {"a": 1}}}',
        '{"history": {"chemotherapy": [5, {"start": 3}]}, "demographics": {"birth_date": 7}}',
    ],
)
def test_odd_shapes_are_reported_not_crashed_on(text):
    with pytest.raises(InvalidRecord):
        parse_record(text, AS_OF)


def test_batch_errors_csv_rows_list_every_problem():
    rows, errors, _candidates = screen_chunk(
        [Item("line 1", "native", json.dumps(BAD))], ["NCT06674265"], AS_OF, "reference"
    )
    assert rows == []
    fields = [field for source, field, _ in errors if source == "line 1"]
    assert {
        "demographics.birth_date",
        "demographics.sex",
        "observations[0].value",
        "history.medications[0].route",
        "history.medications[0]",
    } <= set(fields)
