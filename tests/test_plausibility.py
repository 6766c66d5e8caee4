"""Plausibility before scoring: every limit of both tables on both sides, dates against the real date, and the
refusals and warnings through the API (native and FHIR), the CLI and the Python API. The form: test_web_form.py."""
import copy
import json
from datetime import date, timedelta

import pytest
from click.testing import CliRunner
from freezegun import freeze_time

from screener import parse_record, screen
from screener.cli import main
from screener.facts.plausibility import holds
from screener.model.errors import InvalidRecord
from screener.model.labs import LABS, unit_label
from screener.rules import load_tables

from .helpers import PATIENTS, REPO, authorised, make_app

TODAY = "2026-12-06"
AS_OF = date(2026, 11, 22)
TABLES = load_tables()
run = CliRunner().invoke


def _eligible() -> dict:
    return json.loads((PATIENTS / "eligible.json").read_text())


def _with_lab(lab: str, value: float, unit: str) -> dict:
    record = _eligible()
    record["observations"] = [o for o in record["observations"] if LABS.get(o["test"]) is None or o["test"] != lab]
    record["observations"].append({"test": lab, "unit": unit, "value": value, "date": "2026-11-18"})
    return record


def _index_of(record: dict, lab: str) -> int:
    return next(i for i, o in enumerate(record["observations"]) if o["test"] == lab)


def _refusal(record: dict, as_of: date = AS_OF) -> dict[str, str]:
    with pytest.raises(InvalidRecord) as refused:
        screen(parse_record(json.dumps(record), as_of), "NCT06674265", as_of)
    return {e.field: e.message for e in refused.value.errors}


def _sides(row):
    """(value inside the row, value just outside it) for each bound, in the unit the row's values are given in."""
    unit = row.given_in[0] if row.given_in else row.unit
    factor = LABS[row.lab].units[row.unit] / LABS[row.lab].units[unit]
    for bound, inward in ((row.more_than, 1), (row.less_than, -1)):
        if bound is None:
            continue
        step = max(abs(bound) * 1e-3, 1e-3)
        yield unit, (bound + inward * step) * factor, bound * factor


def _cases(table):
    return [
        pytest.param(row, unit, inside, outside, id=f"{row.lab}-{unit}-{outside:g}")
        for row in table.labs
        for unit, inside, outside in _sides(row)
    ]


@freeze_time(TODAY)
@pytest.mark.parametrize(("row", "unit", "inside", "outside"), _cases(TABLES.impossible))
def test_every_impossible_limit_refuses_inside_and_accepts_at_the_bound(row, unit, inside, outside):
    assert holds(row, inside, unit) and not holds(row, outside, unit)
    record = _with_lab(row.lab, inside, unit)
    errors = _refusal(record)
    field = f"observations[{_index_of(record, row.lab)}].value"
    assert list(errors) == [field]
    assert "no living child" in errors[field]
    if row.did_you_mean:
        assert errors[field].endswith(f"did you mean {unit_label(row.did_you_mean)}?")
    assert f"{inside:g}" not in errors[field]  # the slip, never the value
    screen(parse_record(json.dumps(_with_lab(row.lab, outside, unit)), AS_OF), "NCT06674265", AS_OF)


@freeze_time(TODAY)
@pytest.mark.parametrize(("row", "unit", "inside", "outside"), _cases(TABLES.to_confirm))
def test_every_limit_to_confirm_warns_inside_and_not_at_the_bound_and_never_refuses(row, unit, inside, outside):
    assert holds(row, inside, unit) and not holds(row, outside, unit)
    record = _with_lab(row.lab, inside, unit)
    report = screen(parse_record(json.dumps(record), AS_OF), "NCT06674265", AS_OF)
    field = f"observations[{_index_of(record, row.lab)}].value"
    assert [w.field for w in report.warnings] == [field]
    assert "usually a slip" in report.warnings[0].message
    if row.did_you_mean:
        assert f"did you mean {unit_label(row.did_you_mean)}?" in report.warnings[0].message
    at_bound = parse_record(json.dumps(_with_lab(row.lab, outside, unit)), AS_OF)
    assert screen(at_bound, "NCT06674265", AS_OF).warnings == []


def test_every_limit_has_a_reason_and_the_units_hold_the_slip():
    for row in TABLES.impossible.labs + TABLES.to_confirm.labs:
        assert len(row.reason.split()) > 10
        if row.did_you_mean:
            assert row.did_you_mean not in (row.given_in or ()), "the slip names another unit than the one given"


@freeze_time(TODAY)
def test_the_clinical_examples():
    # 142 in /µL is no laboratory's count; 3,000 /µL is a real child's (relapsed cancer): asked, never refused
    errors = _refusal(_with_lab("platelets", 142, "/uL"))
    assert list(errors.values()) == [
        "Platelets above 0 and below 1,000 /µL: no living child has this value given in /µL; did you mean ×10³/µL?"
    ]
    real = screen(parse_record(json.dumps(_with_lab("platelets", 3000, "/uL")), AS_OF), "NCT06674265", AS_OF)
    assert real.verdict == "ineligible" and len(real.warnings) == 1
    zero = screen(parse_record(json.dumps(_with_lab("platelets", 0, "/uL")), AS_OF), "NCT06674265", AS_OF)
    assert zero.verdict == "ineligible" and len(zero.warnings) == 1  # reported so in aplasia: asked, not refused
    # ANC 142 /µL is real (profound neutropenia): neither refused nor asked; 1.2 /µL is asked (×10³/µL?)
    assert screen(parse_record(json.dumps(_with_lab("anc", 142, "/uL")), AS_OF), "NCT06674265", AS_OF).warnings == []
    assert "×10³/µL" in screen(
        parse_record(json.dumps(_with_lab("anc", 1.2, "/uL")), AS_OF), "NCT06674265", AS_OF
    ).warnings[0].message
    # hemoglobin 98 g/dL is the g/L figure; 9.8 g/L (0.98 g/dL) is asked: did you mean g/dL?
    assert "did you mean g/L?" in next(iter(_refusal(_with_lab("hemoglobin", 98, "g/dL")).values()))
    low = screen(parse_record(json.dumps(_with_lab("hemoglobin", 9.8, "g/L")), AS_OF), "NCT06674265", AS_OF)
    assert "did you mean g/dL?" in low.warnings[0].message
    # creatinine 55 mg/dL is the µmol/L figure; 0.6 µmol/L the mg/dL figure
    assert "did you mean µmol/L?" in next(iter(_refusal(_with_lab("creatinine", 55, "mg/dL")).values()))
    assert "did you mean mg/dL?" in next(iter(_refusal(_with_lab("creatinine", 0.6, "umol/L")).values()))


@freeze_time(TODAY)
@pytest.mark.parametrize(
    ("where", "field"),
    [
        (lambda r, d: r["demographics"].update(birth_date=d), "demographics.birth_date"),
        (lambda r, d: r["demographics"].update(weight_date=d), "demographics.weight_date"),
        (lambda r, d: r["observations"][0].update(date=d), "observations[0].date"),
        (lambda r, d: r["history"]["transfusions"].append({"product": "platelets", "date": d}),
         "history.transfusions[1].date"),
        (lambda r, d: r["history"]["transplants"].append({"type": "autologous", "date": d}),
         "history.transplants[1].date"),
        (lambda r, d: r["findings"].update(assessed_on=d), "findings.assessed_on"),
        (lambda r, d: r["attestations"].update(assessed_on=d), "attestations.assessed_on"),
        (lambda r, d: r["history"]["chemotherapy"][0].update(start=d, end=None), "history.chemotherapy[0].start"),
    ],
)
def test_a_date_after_today_is_refused_today_is_not(where, field):
    record = _eligible()
    record["history"]["transplants"] = [{"type": "autologous", "date": "2024-01-01"}]
    record["history"]["transfusions"] = [{"product": "red_cells", "date": "2024-01-01"}]
    as_of = date(2026, 12, 6)
    tomorrow, today = copy.deepcopy(record), copy.deepcopy(record)
    where(tomorrow, "2026-12-07")
    where(today, "2026-12-06")
    errors = _refusal(tomorrow, as_of)
    assert field in errors and errors[field].startswith("after today (2026-12-06)")
    assert all(not m.startswith("after today") for m in _messages(today, as_of))


def _messages(record: dict, as_of: date) -> list[str]:
    try:
        screen(parse_record(json.dumps(record), as_of), "NCT06674265", as_of)
    except InvalidRecord as exc:
        return [e.message for e in exc.errors]
    return []


@freeze_time(TODAY)
def test_planned_ends_and_scheduled_starts_are_not_refused():
    record = _eligible()
    record["history"]["medications"] = [
        {"name": "fluconazole", "route": "oral", "start": "2026-12-10", "end": "2027-01-10"},
        {"name": "ondansetron", "route": "oral", "start": "2026-11-01", "end": "2027-02-01"},
    ]
    record["history"]["chemotherapy"][0]["end"] = "2027-03-01"
    assert _messages(record, AS_OF) == []
    for exempt in TABLES.impossible.dates.exempt:  # each exemption names a real record field
        block, *rest = exempt.split(".")
        assert block in ("history", "demographics", "findings", "attestations")


@freeze_time(TODAY)
def test_a_screening_date_more_than_a_year_ahead_is_refused():
    limit = date(2026, 12, 6) + timedelta(days=TABLES.impossible.dates.as_of_days_after_today)
    assert _messages(_eligible(), limit) == []
    errors = _refusal(_eligible(), limit + timedelta(days=1))
    assert list(errors) == ["as_of"] and errors["as_of"].startswith("more than 365 days after today")
    errors = _refusal(_eligible(), date(2062, 11, 22))
    assert "as_of" in errors


@freeze_time(TODAY)
def test_a_lab_after_the_screening_date_but_not_after_today_is_left_out_and_says_so():
    record = _eligible()
    alt = next(o for o in record["observations"] if o["test"] == "1742-6")
    alt["date"] = "2026-11-24"
    record["observations"].insert(0, {**alt, "date": "2026-11-30"})  # the earliest of those left out is named
    report = screen(parse_record(json.dumps(record), AS_OF), "NCT06674265", AS_OF)
    liver = next(c for c in report.criteria if "ALT" in c.reason)
    assert liver.status == "unknown"
    assert "ALT: the result of 24 Nov 2026 is left out, dated after the screening date 22 Nov 2026" in liver.reason
    assert "none recorded" not in liver.reason
    assert "after_as_of" in [e.unknown for e in liver.evidence]


# --- the API, native and FHIR ---------------------------------------------------------------------------------
@pytest.fixture
def api(tmp_path):
    return authorised(make_app(tmp_path), "screener")


def _stored(client) -> int:
    from screener.web.storage import get_store

    with client.application.app_context():
        return len(get_store().screenings())


@freeze_time(TODAY)
def test_api_native_refuses_the_slip_naming_field_and_unit_and_stores_nothing(api):
    record = _with_lab("platelets", 142, "/uL")
    response = api.post("/api/v1/trials/NCT06674265/screen?as_of=2026-11-22", json=record)
    assert response.status_code == 422
    [error] = response.json["errors"]
    assert error["field"] == f"observations[{_index_of(record, 'platelets')}].value"
    assert "did you mean ×10³/µL?" in error["message"] and b"142" not in response.data
    assert _stored(api) == 0


@freeze_time(TODAY)
def test_api_refuses_a_screening_date_too_far_ahead(api):
    response = api.post("/api/v1/screen?as_of=2062-11-22", json=_eligible())
    assert response.status_code == 422 and [e["field"] for e in response.json["errors"]] == ["as_of"]


@freeze_time(TODAY)
def test_api_warns_of_a_value_to_check_and_screens_it(api):
    record = _with_lab("platelets", 3000, "/uL")
    response = api.post("/api/v1/trials/NCT06674265/screen?as_of=2026-11-22", json=record)
    assert response.status_code == 200
    report = response.json["report"]
    assert report["verdict"] == "ineligible"
    assert report["warnings"] == [
        {
            "field": f"observations[{_index_of(record, 'platelets')}].value",
            "message": "Platelets below 5,000 /µL: possible, but usually a slip; check the value",
        }
    ]
    assert _stored(api) == 1


def _bundle(value, unit, day="2026-11-18T08:00:00Z") -> dict:
    bundle = json.loads((REPO / "tests" / "fixtures" / "fhir_bundle.json").read_text())
    observation = bundle["entry"][1]["resource"]
    observation["valueQuantity"] = {"value": value, "unit": unit, "system": "http://unitsofmeasure.org", "code": unit}
    observation["effectiveDateTime"] = day
    return bundle


@freeze_time(TODAY)
def test_api_fhir_refuses_at_the_entry_and_warns_of_a_value_to_check(api):
    url = "/api/v1/trials/NCT06674265/screen?as_of=2026-11-22"
    fhir = "application/fhir+json"
    refused = api.post(url, data=json.dumps(_bundle(142, "/uL")), content_type=fhir)
    assert refused.status_code == 422
    assert [e["field"] for e in refused.json["errors"]] == ["entry[1].resource.valueQuantity.value"]
    assert "did you mean ×10³/µL?" in refused.json["errors"][0]["message"]
    future = api.post(url, data=json.dumps(_bundle(182, "10*3/uL", "2026-12-07T08:00:00Z")), content_type=fhir)
    assert future.status_code == 422
    assert [e["field"] for e in future.json["errors"]] == ["entry[1].resource.effectiveDateTime"]
    assert _stored(api) == 0
    warned = api.post(url, data=json.dumps(_bundle(3000, "/uL")), content_type=fhir)
    assert warned.status_code == 200
    assert [w["field"] for w in warned.json["report"]["warnings"]] == ["observations[0].value"]


# --- the command line -------------------------------------------------------------------------------------------
@freeze_time(TODAY)
def test_cli_refuses_with_exit_2_naming_field_and_slip(tmp_path):
    path = tmp_path / "record.json"
    record = _with_lab("platelets", 142, "/uL")
    path.write_text(json.dumps(record))
    result = run(main, ["screen", str(path), "--trial", "NCT06674265", "--as-of", "2026-11-22"])
    assert result.exit_code == 2
    field = f"observations[{_index_of(record, 'platelets')}].value"
    assert f"{field}: Platelets above 0 and below 1,000 /µL" in result.stderr
    assert "did you mean ×10³/µL?" in result.stderr and "142" not in result.stderr
    far = run(main, ["screen", str(PATIENTS / "eligible.json"), "--trial", "NCT06674265", "--as-of", "2062-11-22"])
    assert far.exit_code == 2 and "--as-of" in far.stderr and "more than 365 days after today" in far.stderr


@freeze_time(TODAY)
def test_cli_text_and_json_carry_the_warning(tmp_path):
    path = tmp_path / "record.json"
    path.write_text(json.dumps(_with_lab("platelets", 3000, "/uL")))
    text = run(main, ["screen", str(path), "--trial", "NCT06674265", "--as-of", "2026-11-22"])
    assert text.exit_code == 0, text.output
    assert "CHECK observations[" in text.stdout
    assert "Platelets below 5,000 /µL: possible, but usually a slip" in text.stdout
    as_json = run(main, ["screen", str(path), "--trial", "NCT06674265", "--as-of", "2026-11-22", "--format", "json"])
    assert json.loads(as_json.stdout)["warnings"][0]["message"].startswith("Platelets below 5,000 /µL")


@freeze_time(TODAY)
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_an_amendment_re_screens_stored_records_accepted_before_a_check_was_added(store):
    """A screening stored before a plausibility limit existed is re-judged as stored, never refused mid-run."""
    from screener.audit import amendment_impact
    from screener.rules import load_rule_sets
    from screener.screening import rescreen

    record = parse_record(json.dumps(_with_lab("platelets", 142, "/uL")))  # refused today by screen()
    report = rescreen(record, "NCT06674265", AS_OF)
    store.record(record, [report], actor="user:test", channel="api")
    rescreened, impacts = amendment_impact(store, load_rule_sets()["NCT06674265"])
    assert rescreened == 1 and impacts == []


def test_the_walk_for_dates_after_today_visits_every_field_that_can_hold_a_date_or_a_model():
    """dates_after skips fields whose annotation is plainly scalar (decided once per class): every field of the record's
    models whose type mentions a date, a model or a list is still visited."""
    import typing

    from pydantic import BaseModel

    from screener.facts.plausibility import _walked
    from screener.model.record import PatientRecord

    def parts(annotation):
        yield annotation
        for arg in typing.get_args(annotation):
            yield from parts(arg)

    seen, todo, dated = set(), [PatientRecord], 0
    while todo:
        model = todo.pop()
        if model in seen:
            continue
        seen.add(model)
        for name, info in model.model_fields.items():
            types = [t for t in parts(info.annotation) if isinstance(t, type)]
            if any(issubclass(t, (date, BaseModel)) for t in types):
                assert name in _walked(model), (model.__name__, name)
                dated += any(issubclass(t, date) for t in types)
            todo += [t for t in types if issubclass(t, BaseModel)]
    assert dated >= 10  # birth, weight and height dates, observations, history, assessments
