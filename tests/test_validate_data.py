"""validate_data: dict data validated as strictly as the same data given as JSON text, with the same error paths."""
import json
from pathlib import Path

import pytest
from pydantic import ValidationError

from screener.model.ctgov import Study
from screener.model.dates import _strict, _strict_in_range
from screener.model.errors import field_errors
from screener.model.record import ChemotherapyCourse, PatientRecord
from screener.model.ruleset import Criterion
from screener.model.validate import validate_data

ROOT = Path(__file__).resolve().parent.parent
# Types whose strict Python-mode validation refuses a value strict JSON mode accepts (a string, a list).
_PYTHON_MODE_DIFFERS = {"date", "datetime", "time", "timedelta", "tuple", "set", "frozenset", "enum", "uuid",
                        "decimal", "bytes", "url", "multi-host-url", "complex"}


def _refusing_types(schema) -> set[str]:
    found = set()
    if isinstance(schema, dict):
        before = schema.get("type") == "function-before"
        if before and schema.get("function", {}).get("function") in (_strict, _strict_in_range):
            return found  # an IsoDate or RecordDate: the string is parsed before the strict date check, either mode
        if isinstance(schema.get("type"), str) and schema["type"] in _PYTHON_MODE_DIFFERS:
            found.add(schema["type"])
        for value in schema.values():
            found |= _refusing_types(value)
    elif isinstance(schema, list):
        for value in schema:
            found |= _refusing_types(value)
    return found


@pytest.mark.parametrize("model", [PatientRecord, ChemotherapyCourse, Criterion, Study])
def test_models_given_to_validate_data_take_json_values_in_python_mode(model):
    assert _refusing_types(model.__pydantic_core_schema__) == set()


def test_the_schema_walk_finds_a_type_that_would_differ():
    from datetime import date

    from pydantic import BaseModel, ConfigDict

    class Plain(BaseModel):
        model_config = ConfigDict(strict=True)
        day: date
        pair: tuple[int, int]

    assert _refusing_types(Plain.__pydantic_core_schema__) == {"date", "tuple"}


def _both(model, data):
    results = []
    for validate in (lambda: validate_data(model, data), lambda: model.model_validate_json(json.dumps(data))):
        try:
            results.append(("ok", validate()))
        except ValidationError as exc:
            # The same paths and kinds of error; pydantic words a few type errors per mode ("a valid list" for
            # Python, "a valid array" for JSON), which no caller of validate_data shows to anyone.
            paths = [e.path for e in field_errors(exc, "(record)")]
            results.append(("errors", list(zip(paths, (e["type"] for e in exc.errors()), strict=True))))
    return results


@pytest.mark.parametrize("path", sorted((ROOT / "seeds" / "patients").glob("*.json")), ids=lambda p: p.stem)
def test_seed_patients_read_the_same(path):
    data = json.loads(path.read_text())
    by_data, by_text = _both(PatientRecord, data)
    assert by_data == by_text and by_data[0] == "ok"


@pytest.mark.parametrize("change", [
    {"demographics": {"birth_date": "2018-02-30", "sex": "female"}},
    {"demographics": {"birth_date": "20180314", "sex": "female"}},
    {"demographics": {"birth_date": 20180314, "sex": "girl"}},
    {"demographics": "2018-03-14"},
    {"observations": [{"test": "platelets", "unit": "10*3/uL", "value": "150", "date": "2026-11-20"}]},
    {"observations": [{"test": "platelets", "unit": "10*3/uL", "value": True, "date": "2026-11-20", "extra": 1}]},
    {"observations": [{"test": "platelets", "unit": "10*3/uL", "value": 1e9, "date": "2026-11-20"}]},
    {"history": {"chemotherapy": [{"start": "2026-10-10", "end": "2026-10-01"}], "transfusions": "none"}},
    {"attestations": {"guardian_consent_signed": True}},
])
def test_bad_records_give_the_same_errors_at_the_same_paths(change):
    data = {"demographics": {"birth_date": "2018-03-14", "sex": "female"}, **change}
    by_data, by_text = _both(PatientRecord, data)
    assert by_data[0] == "errors"
    assert by_data == by_text


def test_a_course_ending_before_it_starts_is_a_root_error():
    with pytest.raises(ValidationError) as caught:
        validate_data(ChemotherapyCourse, {"start": "2026-10-10", "end": "2026-10-01"})
    assert [e["loc"] for e in caught.value.errors()] == [()]
