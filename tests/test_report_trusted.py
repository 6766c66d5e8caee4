"""The report built without validation (model.trusted) is exactly what validating the same data gives, for every
pinned screening (demo patients, golden cases, generated records, every trial in criteria/): the fast path cannot
drift from the one schema, the Report model."""
from datetime import date

import pytest
from pydantic import BaseModel, ValidationError

from screener.model.report import Evidence, Report
from screener.model.trusted import trusted
from screener.screening import parse_record, screen
from tests import report_cases


def _models(value):
    if isinstance(value, BaseModel):
        yield value
        for field in type(value).model_fields:
            yield from _models(getattr(value, field))
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _models(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _models(item)


@pytest.mark.parametrize("engine", ["durable", "reference"])
def test_constructed_reports_equal_validated_ones(engine):
    checked = 0
    for name, text, trial, as_of in report_cases.cases():
        report = screen(parse_record(text), trial, as_of, engine)
        for model in _models(report):
            # every field present, in the declared order (the JSON is written in this order), nothing else
            assert list(model.__dict__) == list(type(model).model_fields), (name, type(model).__name__)
            assert model.model_fields_set == set(type(model).model_fields), (name, type(model).__name__)
        validated = Report.model_validate(report.model_dump())  # strict: a wrong type in the fast path fails here
        assert validated == report, name
        assert validated.model_dump_json() == report.model_dump_json(), name
        checked += 1
    assert checked > 2000


def test_the_check_above_catches_a_wrong_type():
    """A date where a string belongs, or a missing field: what the comparison must not let through."""
    good = {"fact": "anc", "label": "anc", "test": "≥ 750/µL", "value": "800", "unit": "/µL", "date": date(2026, 1, 2),
            "source": "labs", "holds": True, "missing": None, "unknown": None}
    assert trusted(Evidence, dict(good)) == Evidence.model_validate(good)
    with pytest.raises(ValidationError), pytest.warns(UserWarning, match="Expected `str`"):  # pydantic's serializer
        Evidence.model_validate(trusted(Evidence, {**good, "value": date(2026, 1, 2)}).model_dump())
    short = trusted(Evidence, {k: v for k, v in good.items() if k != "unit"})
    assert list(short.__dict__) != list(Evidence.model_fields)
