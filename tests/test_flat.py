"""Flat values (form fields, CSV cells) become what strict validation expects, the same way on both channels."""
import pytest

from screener.model.flat import ValueKind, flat_value, set_path


@pytest.mark.parametrize("raw,kind,value", [
    ("yes", "boolean", True), ("TRUE", "boolean", True), ("1", "boolean", True),
    ("no", "boolean", False), (" false ", "boolean", False), ("0", "boolean", False),
    ("4", "integer", 4), ("4.0", "integer", 4), ("4.5", "integer", 4.5),  # the fraction is left for validation
    ("142", "number", 142.0), ("", "number", None), ("2026-11-22", "date", "2026-11-22"), (" x ", "text", "x"),
])
def test_flat_values(raw, kind, value):
    got = flat_value(raw, ValueKind(kind))
    assert got == value and type(got) is type(value)


@pytest.mark.parametrize("raw,kind", [("maybe", "boolean"), ("ten", "number"), ("4,5", "integer")])
def test_unreadable_text_is_refused(raw, kind):
    with pytest.raises(ValueError):
        flat_value(raw, ValueKind(kind))


def test_set_path_creates_the_parents():
    record = {"demographics": {"sex": "female"}}
    set_path(record, "demographics.weight_kg", 24.5)
    set_path(record, "findings.ctcae_grades.renal", 0)
    assert record == {"demographics": {"sex": "female", "weight_kg": 24.5}, "findings": {"ctcae_grades": {"renal": 0}}}


def test_the_form_and_the_csv_reader_spell_booleans_alike():
    from screener.batch import csv_row_to_record

    assert '"mycn_amplified": true' in csv_row_to_record({"diagnosis.mycn_amplified": "Yes"})
    assert '"mycn_amplified": false' in csv_row_to_record({"diagnosis.mycn_amplified": "0"})
