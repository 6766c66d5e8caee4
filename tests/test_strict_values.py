"""One strict date parser and plausible ranges, the same through the API, FHIR, the form and the CLI."""
import copy
import json

import pytest
from click.testing import CliRunner

from screener.model.dates import parse_date, parse_fhir_day

from .helpers import PATIENTS, REPO, authorised, make_app

URL = "/api/v1/trials/NCT06674265/screen"
BASE = json.loads((PATIENTS / "eligible.json").read_text())
BUNDLE = json.loads((REPO / "tests" / "fixtures" / "fhir_bundle.json").read_text())
LENIENT_DATES = [
    "2026-W47-7",
    "20180314",
    "2018-03-14garbage",
    "1521072000",
    "2018-3-14",
    "２０１８-03-14",
    " 2018-03-14",
    "2018-03-14T00:00:00",
    "9999-12-31",
    "1899-12-31",
    "2018-02-30",
    "",
]


@pytest.mark.parametrize("text", LENIENT_DATES)
def test_the_strict_parser_refuses_what_fromisoformat_or_pydantic_would_take(text):
    with pytest.raises(ValueError) as refused:
        parse_date(text)
    assert text.strip() == "" or text not in str(refused.value)  # never echoes the input


def test_the_strict_parser_accepts_plain_dates_at_both_ends_of_the_range():
    assert str(parse_date("1900-01-01")) == "1900-01-01" and str(parse_date("2200-01-01")) == "2200-01-01"
    assert (
        str(parse_fhir_day("2026-11-18T08:00:00Z"))
        == str(parse_fhir_day("2026-11-18T23:59:59.5+05:30"))
        == "2026-11-18"
    )
    for text in ("2026-11-18T08:00Z", "2026-11-18T08:00:00", "2026-11-18garbage", "2026-W47-7"):
        with pytest.raises(ValueError):
            parse_fhir_day(text)


def _record(**changes) -> str:
    record = copy.deepcopy(BASE)
    for path, value in changes.items():
        node = record
        *parents, last = path.split("/")
        for part in parents:
            node = node[int(part)] if part.isdigit() else node[part]
        node[int(last) if last.isdigit() else last] = value
    return json.dumps(record)


def _bundle(index: int, key: str, value) -> bytes:
    bundle = copy.deepcopy(BUNDLE)
    bundle["entry"][index]["resource"][key] = value
    return json.dumps(bundle).encode()


@pytest.mark.parametrize(
    "query", ["as_of=9999-12-31", "as_of=2026-W47-7", "as_of=20261122", "as_of=2026-11-22&as_of=2026-11-23"]
)
def test_api_as_of_is_strict_and_given_once(client, query):
    response = client.post(f"{URL}?{query}", data=json.dumps(BASE), content_type="application/json")
    assert response.status_code == 422 and response.get_json()["errors"][0]["field"] == "as_of"


@pytest.mark.parametrize(
    "body, field",
    [
        (_record(**{"demographics/birth_date": "1521072000"}), "demographics.birth_date"),
        (_record(**{"observations/0/reference_high": 1e-7}), "observations[0].reference_high"),
        (_record(**{"observations/0/reference_high": 1e-300}), "observations[0].reference_high"),
        (_record(**{"history/medications/0/name": "predni\u0000sone"}), "history.medications[0].name"),
        (_record(**{"history/chemotherapy/0/regimen": "line one\nline two"}), "history.chemotherapy[0].regimen"),
    ],
)
def test_api_refuses_lenient_values_naming_the_field(client, body, field):
    response = client.post(f"{URL}?as_of=2026-11-22", data=body, content_type="application/json")
    assert response.status_code == 422 and field in [e["field"] for e in response.get_json()["errors"]]


def test_a_plausible_reference_limit_is_still_taken(client):
    body = _record(**{"observations/0/reference_high": 400})  # 400 x 10*3/uL
    assert client.post(f"{URL}?as_of=2026-11-22", data=body, content_type="application/json").status_code == 200


@pytest.mark.parametrize(
    "body",
    [
        _bundle(0, "birthDate", "2018-03-14garbage"),
        _bundle(0, "birthDate", "2018-W11-3"),
        _bundle(1, "effectiveDateTime", "2026-W47-3"),
        _bundle(3, "referenceRange", [{"high": {"value": 1e-7, "unit": "U/L", "code": "U/L"}}]),
        b"\xef\xbb\xbf" + json.dumps(BUNDLE).encode(),
    ],
)
def test_fhir_refuses_lenient_values(client, body):
    response = client.post(f"{URL}?as_of=2026-11-22", data=body, content_type="application/fhir+json")
    assert response.status_code == 422, response.get_json()


def test_the_native_channel_refuses_a_byte_order_mark_too(client):
    body = b"\xef\xbb\xbf" + json.dumps(BASE).encode()
    response = client.post(f"{URL}?as_of=2026-11-22", data=body, content_type="application/json")
    assert response.status_code == 422 and response.get_json()["errors"][0]["field"] == "(body)"


@pytest.fixture
def form_client(tmp_path):
    return authorised(make_app(tmp_path, WTF_CSRF_ENABLED=False), "screener")


FORM = {
    "trial": "NCT06674265",
    "as_of": "2026-11-22",
    "demographics.birth_date": "2018-03-14",
    "demographics.sex": "female",
}


@pytest.mark.parametrize(
    "field, typed",
    [
        ("demographics.birth_date", "2026-W47-7"),
        ("demographics.birth_date", "20180314"),
        ("as_of", "9999-12-31"),
        ("diagnosis.induction_cycles", "nan"),
        ("diagnosis.induction_cycles", "inf"),
        ("demographics.weight_kg", "-inf"),
        ("diagnosis.induction_cycles", "1e400"),
    ],
)
def test_the_form_refuses_lenient_values_and_keeps_what_was_typed(form_client, field, typed):
    response = form_client.post("/screen", data={**FORM, field: typed})
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and f'value="{typed}"' in page
    assert 'id="f-' + field.replace(".", "-") + '-error"' in page


@pytest.mark.parametrize("posted", ["-inf", "2.5", "9", "two"])
def test_a_grade_select_refuses_a_posted_value_it_does_not_offer(form_client, posted):
    # The grade is a select now (nothing to type); a crafted post is still refused next to it.
    response = form_client.post("/screen", data={**FORM, "findings.ctcae_grades.renal": posted})
    assert response.status_code == 422 and 'id="f-findings-ctcae_grades-renal-error"' in response.get_data(as_text=True)


def test_the_cli_as_of_is_the_same_strict_date():
    from screener.cli import main

    for as_of in ("9999-12-31", "2026-1-5", "2026-W47-7"):
        result = CliRunner().invoke(
            main, ["screen", str(PATIENTS / "eligible.json"), "--trial", "NCT06674265", "--as-of", as_of]
        )
        assert result.exit_code == 2 and "--as-of" in result.output
