"""Strict validation of patient records: precise errors naming the field, never echoing the value."""
import json

import pytest

from screener.model.errors import FieldError
from screener.screening import InvalidRecord, parse_record


def _errors(record: dict) -> list[FieldError]:
    with pytest.raises(InvalidRecord) as caught:
        parse_record(json.dumps(record))
    return caught.value.errors


def _fields(record):
    return [e.field for e in _errors(record)]


def test_demo_record_is_valid(eligible_json):
    assert parse_record(json.dumps(eligible_json)).record_id == "DEMO-NB-001"


def test_negative_platelets_rejected_naming_the_field(eligible_json):
    eligible_json["observations"][0]["value"] = -5
    errors = _errors(eligible_json)
    assert errors[0].field == "observations[0].value"
    assert "impossible value" in errors[0].message
    assert "-5" not in str(errors)  # neither in the path nor in the message


def test_unknown_unit_rejected(eligible_json):
    eligible_json["observations"][0]["unit"] = "mg/dL"
    errors = _errors(eligible_json)
    assert errors[0].field == "observations[0].unit"
    assert errors[0].message == "unit not accepted for this test; accepted: /uL, /mm3, 10*3/uL, 10*3/mm3, 10*9/L, K/uL"


def test_molar_loinc_code_refuses_mass_unit(eligible_json):
    eligible_json["observations"].append({"test": "59260-0", "value": 10, "unit": "g/dL", "date": "2026-11-20"})
    assert _fields(eligible_json) == ["observations[8].unit"]


def test_unknown_test_rejected(eligible_json):
    eligible_json["observations"][0]["test"] = "unobtainium"
    assert _fields(eligible_json) == ["observations[0].test"]


def test_five_metre_child_rejected(eligible_json):
    eligible_json["demographics"]["height_cm"] = 500
    assert _fields(eligible_json) == ["demographics.height_cm"]


def test_end_before_start_rejected(eligible_json):
    eligible_json["history"]["chemotherapy"][0]["end"] = "2026-10-01"
    errors = _errors(eligible_json)
    assert errors[0].field == "history.chemotherapy[0]"
    assert "end is before start" in errors[0].message


@pytest.mark.parametrize("path,value", [
    (("demographics", "weight_kg"), True),        # bool is not a number
    (("demographics", "weight_kg"), "24.5"),      # a string is not a number
    (("diagnosis", "induction_cycles"), 4.5),     # not a whole number
    (("demographics", "birth_date"), 20180314),   # a number is not a date
    (("diagnosis", "pathology_confirmed"), "yes"),  # a string is not a boolean
])
def test_no_coercion(eligible_json, path, value):
    eligible_json[path[0]][path[1]] = value
    assert _fields(eligible_json) == [".".join(path)]


def test_extra_field_rejected(eligible_json):
    eligible_json["diagnosis"]["stage"] = "M"
    assert _fields(eligible_json) == ["diagnosis.stage"]


def test_every_problem_reported_not_just_the_first(eligible_json):
    eligible_json["observations"][0]["value"] = -5
    eligible_json["demographics"]["sex"] = "x"
    eligible_json["findings"]["seizures"] = "sometimes"
    assert set(_fields(eligible_json)) == {"observations[0].value", "demographics.sex", "findings.seizures"}


@pytest.mark.parametrize(
    "text",
    [
        '{"demographics": {"birth_date": "2018-03-14", "sex": "female", "weight_kg": NaN}}',
        '{"demographics": {"birth_date": "2018-03-14", "sex": "female", "weight_kg": Infinity}}',
    ],
)
def test_nan_and_infinity_rejected(text):
    with pytest.raises(InvalidRecord) as caught:
        parse_record(text)
    # Strict JSON parsing reads NaN and Infinity and the finite-number check names the field (it once could
    # have been "(record)" for unparseable JSON; today the answer is exact).
    assert [(e.path, e.message) for e in caught.value.errors] == [
        (("demographics", "weight_kg"), "Input should be a finite number")
    ]


def test_malformed_json_does_not_echo_input():
    with pytest.raises(InvalidRecord) as caught:
        parse_record('{"demographics": {"birth_date": "SECRET-NAME-1234"')
    assert "SECRET" not in str(caught.value)


def test_oversized_record_refused_before_parsing():
    with pytest.raises(InvalidRecord) as caught:
        parse_record(b"{" + b" " * (3 * 1024 * 1024) + b"}")
    assert caught.value.errors[0].field == "(body)"


def test_date_out_of_range_rejected(eligible_json):
    eligible_json["demographics"]["birth_date"] = "1850-01-01"
    assert _fields(eligible_json) == ["demographics.birth_date"]
