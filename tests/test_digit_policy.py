"""One number and digit policy for the form, the API, the CLI, batch and FHIR (model/text.py): ASCII, Persian and
Arabic-Indic digits are read; "1_000", full-width and other scripts' digits are refused naming the field."""
import json

import pytest
from click.testing import CliRunner

from screener.model.dates import parse_date
from screener.model.flat import ValueKind, flat_value
from screener.model.text import ascii_digits, parse_number

from .helpers import PATIENTS, authorised, make_app

PERSIAN, ARABIC_INDIC = "۰۱۲۳۴۵۶۷۸۹", "٠١٢٣٤٥٦٧٨٩"
BASE = json.loads((PATIENTS / "eligible.json").read_text())
URL = "/api/v1/trials/NCT06674265/screen"


def _in(digits: str, ascii_text: str) -> str:
    return "".join(digits[int(c)] if c.isdigit() else c for c in ascii_text)


@pytest.mark.parametrize("digits", [PERSIAN, ARABIC_INDIC])
def test_persian_and_arabic_indic_digits_read_as_ascii(digits):
    assert ascii_digits(digits) == "0123456789"
    assert parse_number(_in(digits, "1000.5")) == 1000.5
    assert str(parse_date(_in(digits, "2018-03-14"))) == "2018-03-14"
    assert flat_value(_in(digits, "42"), ValueKind.INTEGER) == 42


@pytest.mark.parametrize("text", [
    "1_000", "１０００", "१०००", "𝟏𝟎𝟎𝟎", "inf", "nan", "-Infinity", "1e400", "0x10", "1,000", "½", "²", "",
    "1.2.3", "+", ".",
])
def test_lenient_numbers_and_other_digits_are_refused_without_echo(text):
    with pytest.raises(ValueError) as refused:
        parse_number(text)
    assert len(text) < 2 or text not in str(refused.value)


def test_the_api_reads_a_date_in_persian_digits_as_the_form_does(tmp_path):
    client = authorised(make_app(tmp_path), "screener")
    record = {**BASE, "demographics": {**BASE["demographics"], "birth_date": _in(PERSIAN, "2018-03-14")}}
    response = client.post(f"{URL}?as_of={_in(ARABIC_INDIC, '2026-11-22')}", data=json.dumps(record),
                           content_type="application/json")
    assert response.status_code == 200, response.get_json()
    plain = client.post(f"{URL}?as_of=2026-11-22", data=json.dumps(BASE), content_type="application/json")
    assert response.get_json()["report"]["verdict"] == plain.get_json()["report"]["verdict"]
    assert response.get_json()["report"]["as_of"] == "2026-11-22"


@pytest.mark.parametrize("typed", ["２０１８-03-14", "2018-03-1４"])
def test_the_api_refuses_full_width_digits_in_a_date_naming_the_field(tmp_path, typed):
    client = authorised(make_app(tmp_path), "screener")
    record = {**BASE, "demographics": {**BASE["demographics"], "birth_date": typed}}
    response = client.post(f"{URL}?as_of=2026-11-22", data=json.dumps(record), content_type="application/json")
    assert response.status_code == 422 and typed.encode() not in response.data
    assert [e["field"] for e in response.get_json()["errors"]] == ["demographics.birth_date"]


@pytest.fixture
def form_client(tmp_path):
    return authorised(make_app(tmp_path, WTF_CSRF_ENABLED=False), "screener")


FORM = {"trial": "NCT06674265", "as_of": "2026-11-22", "demographics.birth_date": "2018-03-14",
        "demographics.sex": "female"}


@pytest.mark.parametrize("typed", ["1_000", "１０００", "١_٠٠٠", "१४२"])
def test_the_form_refuses_what_the_api_refuses(form_client, typed):
    response = form_client.post("/screen", data={**FORM, "lab.platelets.value": typed,
                                                 "lab.platelets.unit": "10*3/uL", "lab.platelets.date": "2026-11-20"})
    assert response.status_code == 422 and 'id="f-lab-platelets-value-error"' in response.get_data(as_text=True)


@pytest.mark.parametrize("digits", [PERSIAN, ARABIC_INDIC])
def test_the_form_reads_persian_and_arabic_indic_digits(form_client, digits):
    response = form_client.post("/screen", data={
        **FORM, "as_of": _in(digits, "2026-11-22"), "demographics.birth_date": _in(digits, "2018-03-14"),
        "lab.platelets.value": _in(digits, "142"), "lab.platelets.unit": "10*3/uL",
        "lab.platelets.date": _in(digits, "2026-11-20"),
    })
    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    record = form_client.get(response.headers["Location"] + "/record.json").get_json()
    assert record["demographics"]["birth_date"] == "2018-03-14"
    assert [(o["value"], o["date"]) for o in record["observations"]] == [(142, "2026-11-20")]


def test_the_cli_reads_the_as_of_date_in_persian_digits_and_refuses_full_width():
    from screener.cli import main

    args = ["screen", str(PATIENTS / "eligible.json"), "--trial", "NCT06674265", "--as-of"]
    assert CliRunner().invoke(main, [*args, _in(PERSIAN, "2026-11-22")]).exit_code in (0, 1)
    refused = CliRunner().invoke(main, [*args, "２０２６-11-22"])
    assert refused.exit_code == 2 and "--as-of" in refused.output


def test_batch_csv_cells_follow_the_same_policy():
    from screener.batch import csv_row_to_record

    record = json.loads(csv_row_to_record({"demographics.birth_date": _in(PERSIAN, "2018-03-14"),
                                           "demographics.weight_kg": _in(ARABIC_INDIC, "24.5"),
                                           "demographics.height_cm": "1_240"}))
    assert record["demographics"]["weight_kg"] == 24.5
    assert record["demographics"]["height_cm"] == "1_240"  # left as text: validation refuses it, naming the field


def test_control_characters_are_exactly_unicode_category_cc():
    import unicodedata

    from screener.model.text import fhir_string, has_control, printable

    for code in range(0x10000):
        ch = chr(code)
        assert has_control(f"a{ch}b") == (unicodedata.category(ch) == "Cc"), hex(code)
    assert fhir_string("a\tb\r\nc") == "a\tb\r\nc"
    for text in ("a\u0000", "\u0085", "\x7f", "\x1b[31m"):
        with pytest.raises(ValueError):
            fhir_string(text)
        with pytest.raises(ValueError):
            printable(text)
