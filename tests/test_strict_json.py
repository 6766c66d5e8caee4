"""One strict JSON reader for every body and file: UTF-8 only, no byte-order mark, no key given twice."""
import json

import pytest
from click.testing import CliRunner

from screener.cli import main
from screener.model.errors import InvalidRecord
from screener.model.json_text import load_json

from .helpers import PATIENTS, REPO, authorised, make_app

URL = "/api/v1/trials/NCT06674265/screen?as_of=2026-11-22"
BUNDLE = (REPO / "tests" / "fixtures" / "fhir_bundle.json").read_text()
SECRET = "Zq7MarkerX"


def _fields(raw) -> list[tuple[str, str]]:
    with pytest.raises(InvalidRecord) as caught:
        load_json(raw, "(record)")
    return [(e.field, e.message) for e in caught.value.errors]


def test_every_repeated_key_is_named_by_its_path_outer_objects_first():
    text = '{"a": [{"x": 1}, {"x": 2, "x": "' + SECRET + '"}], "b": {"c": {"d": 1, "d": 1}}, "z": 0, "z": 1}'
    assert _fields(text) == [
        ("z", "key given more than once"),
        ("a[1].x", "key given more than once"),
        ("b.c.d", "key given more than once"),
    ]


def test_a_key_repeated_three_times_is_named_once():
    assert _fields('{"k": 1, "k": 2, "k": 3}') == [("k", "key given more than once")]


def test_well_formed_json_reads_as_json_loads_reads_it():
    text = (PATIENTS / "eligible.json").read_text()
    assert load_json(text) == json.loads(text) == load_json(text.encode())


@pytest.mark.parametrize("raw", [
    '{"a": 1}'.encode("utf-16"),
    '{"a": 1}'.encode("utf-16-be"),
    b"\xef\xbb\xbf" + b'{"a": 1}',
    "\ufeff" + '{"a": 1}',
    b'{"a": "\xff"}',
])
def test_only_utf8_without_a_byte_order_mark(raw):
    assert [field for field, _ in _fields(raw)] == ["(body)"]


def test_deep_nesting_and_huge_integers_are_invalid_json_not_crashes():
    assert _fields("[" * 100_000 + "]" * 100_000) == [("(record)", "not valid JSON")]
    assert _fields('{"a": ' + "9" * 5000 + "}") == [("(record)", "not valid JSON")]


@pytest.fixture
def api(tmp_path):
    app = make_app(tmp_path)
    return authorised(app, "screener"), authorised(app, "auditor")


def _stored(auditor) -> int:
    return len(auditor.get("/audit/export/screenings.json").get_json())


def test_a_duplicated_birth_date_in_a_bundle_is_refused_not_the_last_one_used(api):
    client, auditor = api
    bundle = json.loads(BUNDLE)
    assert bundle["entry"][0]["resource"]["resourceType"] == "Patient"
    text = json.dumps(bundle).replace('"birthDate": ', '"birthDate": "2000-01-01", "birthDate": ', 1)
    response = client.post(URL, data=text, content_type="application/fhir+json")
    assert response.status_code == 422 and SECRET.encode() not in response.data
    assert [e["field"] for e in response.get_json()["errors"]] == ["entry[0].resource.birthDate"]
    assert _stored(auditor) == 0


def test_a_fhir_bundle_in_utf16_is_refused_as_a_native_record_is(api):
    client, auditor = api
    for body, kind in ((BUNDLE.encode("utf-16"), "application/fhir+json"),
                       ((PATIENTS / "eligible.json").read_text().encode("utf-16"), "application/json")):
        response = client.post(URL, data=body, content_type=kind)
        assert response.status_code == 422 and response.get_json()["errors"][0]["field"] == "(body)"
    assert client.post(URL, data=BUNDLE.encode(), content_type="application/fhir+json").status_code == 200
    assert _stored(auditor) == 1


@pytest.mark.parametrize("name, text, field", [
    ("native", (PATIENTS / "eligible.json").read_text().replace('"sex": ', '"sex": "male", "sex": ', 1),
     "demographics.sex"),
    ("bundle", BUNDLE.replace('"birthDate": ', '"birthDate": "2000-01-01", "birthDate": ', 1),
     "entry[0].resource.birthDate"),
])
def test_the_cli_refuses_a_repeated_key_with_exit_2_naming_the_path(tmp_path, name, text, field):
    path = tmp_path / "input.json"
    path.write_text(text)
    result = CliRunner().invoke(main, ["screen", str(path), "--trial", "NCT06674265", "--as-of", "2026-11-22"])
    assert result.exit_code == 2 and field in result.output and "Traceback" not in result.output
