"""The bad-input catalogue: malformed and hostile inputs across the API, FHIR, the form and the CLI.

Each must get a clear 4xx (or CLI exit 2) naming the field where there is one, never echo the submitted marker,
never a stack trace, and record nothing.
"""
import copy
import json

import pytest
from click.testing import CliRunner

from screener.cli import main

from .helpers import PATIENTS, authorised, make_app

MARKER = "Zq7MarkerX"  # put into inputs: it must never come back in a response
BASE = json.loads((PATIENTS / "eligible.json").read_text())
URL = "/api/v1/trials/NCT06674265/screen?as_of=2026-11-22"


def _with(path: str, value):
    record = copy.deepcopy(BASE)
    node = record
    *parents, last = path.replace("]", "").replace("[", ".").split(".")
    for part in parents:
        node = node[int(part)] if part.isdigit() else node[part]
    if last.isdigit():
        node[int(last)] = value
    else:
        node[last] = value
    return json.dumps(record)


def _without(path: str):
    record = copy.deepcopy(BASE)
    section, key = path.split(".")
    del record[section][key]
    return json.dumps(record)


# (name, body, content type, expected status, field named in errors or None)
API_CASES = [
    ("negative platelets", _with("observations[0].value", -5), None, 422, "observations[0].value"),
    ("platelets absurdly high", _with("observations[0].value", 1e12), None, 422, "observations[0].value"),
    (
        "huge number",
        '{"demographics": {"birth_date": "2018-03-14", "sex": "female", "weight_kg": 1e400}}',
        None,
        422,
        "demographics.weight_kg",
    ),
    ("NaN", _with("demographics.weight_kg", 1).replace('"weight_kg": 1', '"weight_kg": NaN'), None, 422, None),
    (
        "Infinity",
        _with("demographics.weight_kg", 1).replace('"weight_kg": 1', '"weight_kg": Infinity'),
        None,
        422,
        None,
    ),
    (
        "-Infinity",
        _with("demographics.weight_kg", 1).replace('"weight_kg": 1', '"weight_kg": -Infinity'),
        None,
        422,
        None,
    ),
    ("bool for number", _with("demographics.weight_kg", True), None, 422, "demographics.weight_kg"),
    ("string for number", _with("observations[0].value", "142"), None, 422, "observations[0].value"),
    ("number for date", _with("demographics.birth_date", 20180314), None, 422, "demographics.birth_date"),
    ("date out of range", _with("demographics.birth_date", "0001-01-01"), None, 422, "demographics.birth_date"),
    ("impossible date", _with("demographics.birth_date", "2018-02-30"), None, 422, "demographics.birth_date"),
    ("future birth date", _with("demographics.birth_date", "2030-01-01"), None, 422, "demographics.birth_date"),
    ("five-metre child", _with("demographics.height_cm", 500), None, 422, "demographics.height_cm"),
    ("zero weight", _with("demographics.weight_kg", 0), None, 422, "demographics.weight_kg"),
    ("unknown sex", _with("demographics.sex", MARKER), None, 422, "demographics.sex"),
    ("unknown unit", _with("observations[0].unit", "furlongs"), None, 422, "observations[0].unit"),
    (
        "unit with injection text",
        _with("observations[0].unit", "10*3/uL'; DROP TABLE screenings;--"),
        None,
        422,
        "observations[0].unit",
    ),
    ("unit with HTML", _with("observations[0].unit", "<script>alert(1)</script>"), None, 422, "observations[0].unit"),
    ("unicode confusable unit", _with("observations[0].unit", "10*3/\u03bcL"), None, 422, "observations[0].unit"),
    ("unknown test", _with("observations[0].test", MARKER), None, 422, "observations[0].test"),
    ("empty test", _with("observations[0].test", ""), None, 422, "observations[0].test"),
    (
        "observation without date",
        json.dumps({**BASE, "observations": [{"test": "777-3", "unit": "/uL", "value": 1}]}),
        None,
        422,
        "observations[0].date",
    ),
    ("end before start", _with("history.chemotherapy[0].end", "2026-01-01"), None, 422, "history.chemotherapy[0]"),
    ("dose without unit", _with("history.medications[0].dose_unit", None), None, 422, "history.medications[0]"),
    ("negative dose", _with("history.medications[0].dose", -1), None, 422, "history.medications[0].dose"),
    ("unknown route", _with("history.medications[0].route", "telepathic"), None, 422, "history.medications[0].route"),
    ("grade 9", _with("findings.ctcae_grades.renal", 9), None, 422, "findings.ctcae_grades.renal"),
    ("fractional grade", _with("findings.ctcae_grades.renal", 1.5), None, 422, "findings.ctcae_grades.renal"),
    ("attestation maybe", _with("attestations.able_to_comply", "maybe"), None, 422, "attestations.able_to_comply"),
    ("extra field", _with("diagnosis.stage", MARKER), None, 422, "diagnosis.stage"),
    ("record id with spaces", _with("record_id", "John Smith"), None, 422, "record_id"),
    ("record id too long", _with("record_id", "x" * 200), None, 422, "record_id"),
    ("missing demographics", json.dumps({"diagnosis": {}}), None, 422, "demographics"),
    ("missing birth date", _without("demographics.birth_date"), None, 422, "demographics.birth_date"),
    ("list instead of object", "[]", None, 422, None),
    ("null body", "null", None, 422, None),
    ("string body", json.dumps(MARKER), None, 422, None),
    ("empty body", "", None, 422, "(body)"),
    ("truncated body", _with("record_id", "A")[:-40], None, 422, None),
    ("deeply nested", "[" * 5000 + "]" * 5000, None, 422, None),
    (
        "duplicate keys",
        '{"demographics": {"birth_date": "2018-03-14", "sex": "female", "sex": "' + MARKER + '"}}',
        None,
        422,
        "demographics.sex",
    ),
    (
        "10 MB string",
        json.dumps(
            {"demographics": {"birth_date": "2018-03-14", "sex": "female"}, "record_id": "A" * (10 * 1024 * 1024)}
        ),
        None,
        413,
        None,
    ),
    # Between the 2 MiB record limit and the 8 MiB body limit: the record limit answers, naming the body.
    (
        "2.5 MB record",
        json.dumps({**BASE, "record_id": None, "observations": BASE["observations"] * 3500}),
        None,
        422,
        "(body)",
    ),
    (
        "too many medications",
        json.dumps({**BASE, "history": {**BASE["history"], "medications": BASE["history"]["medications"] * 251}}),
        None,
        422,
        "history.medications",
    ),
    # Past MAX_OBSERVATIONS_PER_RECORD (raised from 5,000 to 20,000: years of a child's labs) and under 2 MiB.
    (
        "too many observations",
        json.dumps({**BASE, "observations": BASE["observations"] * 2501}),
        None,
        422,
        "observations",
    ),
    ("wrong charset", _with("record_id", "A"), "application/json; charset=latin-1", 415, None),
    ("text/plain", _with("record_id", "A"), "text/plain", 415, None),
    ("form-encoded", "a=1", "application/x-www-form-urlencoded", 415, None),
    ("xml", "<record/>", "application/xml", 415, None),
    ("invalid UTF-8", b'{"record_id": "\xff\xfe"}', None, 422, None),
    ("as_of garbage", (URL.replace("2026-11-22", MARKER), _with("record_id", "A")), None, 422, "as_of"),
]

FHIR_CASES = [
    ("bundle without patient", {"resourceType": "Bundle", "entry": []}, "entry"),
    (
        "two patients",
        {"resourceType": "Bundle", "entry": [{"resource": {"resourceType": "Patient", "birthDate": "2018-01-01"}}] * 2},
        "entry[1]",
    ),
    ("not a bundle", {"resourceType": "Patient"}, "resourceType"),
    ("entry not a list", {"resourceType": "Bundle", "entry": {"a": 1}}, "entry"),
    ("entry without resource", {"resourceType": "Bundle", "entry": [{"fullUrl": MARKER}]}, "entry[0].resource"),
    (
        "partial birth date",
        {"resourceType": "Bundle", "entry": [{"resource": {"resourceType": "Patient", "birthDate": "2018"}}]},
        "entry[0].resource.birthDate",
    ),
    (
        "no birth date",
        {"resourceType": "Bundle", "entry": [{"resource": {"resourceType": "Patient"}}]},
        "entry[0].resource.birthDate",
    ),
    (
        "garbage birth date",
        {"resourceType": "Bundle", "entry": [{"resource": {"resourceType": "Patient", "birthDate": "2018-99-99"}}]},
        "entry[0].resource.birthDate",
    ),
    (
        "dangling reference",
        {
            "resourceType": "Bundle",
            "entry": [
                {"fullUrl": "urn:uuid:p", "resource": {"resourceType": "Patient", "birthDate": "2018-01-01"}},
                {
                    "resource": {
                        "resourceType": "Observation",
                        "status": "final",
                        "subject": {"reference": "urn:uuid:" + MARKER},
                        "code": {"coding": [{"system": "http://loinc.org", "code": "777-3"}]},
                    }
                },
            ],
        },
        "entry[1].resource.subject.reference",
    ),
    (
        "future birth date",
        {"resourceType": "Bundle", "entry": [{"resource": {"resourceType": "Patient", "birthDate": "2031-01-01"}}]},
        "entry[0].resource.birthDate",  # after today: refused at the Bundle's own field (impossible_values.yaml)
    ),
    ("not JSON", "{" + MARKER, "(body)"),
    ("bundle is a list", [], "resourceType"),
]


@pytest.fixture(scope="module")
def api(tmp_path_factory):
    app = make_app(tmp_path_factory.mktemp("bad"))
    return app, authorised(app, "screener"), authorised(app, "auditor")


def _screenings(auditor) -> int:
    return len(auditor.get("/audit/export/screenings.json").get_json())


def _check(response, status, field):
    assert response.status_code == status, response.get_data(as_text=True)[:300]
    assert MARKER.encode() not in response.data and b"Traceback" not in response.data
    if field is not None:
        assert field in [e["field"] for e in response.get_json()["errors"]], response.get_json()


@pytest.mark.parametrize("name,body,content_type,status,field", API_CASES, ids=[c[0] for c in API_CASES])
def test_api_bad_input(api, name, body, content_type, status, field):
    _, client, auditor = api
    before = _screenings(auditor)
    url, body = body if isinstance(body, tuple) else (URL, body)
    response = client.post(url, data=body, content_type=content_type or "application/json")
    _check(response, status, field)
    assert response.content_type == "application/problem+json"
    assert _screenings(auditor) == before


@pytest.mark.parametrize("name,bundle,field", FHIR_CASES, ids=[c[0] for c in FHIR_CASES])
def test_fhir_bad_input(api, name, bundle, field):
    _, client, auditor = api
    before = _screenings(auditor)
    body = bundle if isinstance(bundle, str) else json.dumps(bundle)
    response = client.post(URL, data=body, content_type="application/fhir+json")
    _check(response, 422, field)
    assert _screenings(auditor) == before


FORM_CASES = [
    (
        "letters for a number",
        {"lab.platelets.value": MARKER, "lab.platelets.date": "2026-11-20"},
        "f-lab-platelets-value-error",
    ),
    ("impossible date", {"demographics.birth_date": "2018-02-30"}, "f-demographics-birth_date-error"),
    ("birth after screening", {"demographics.birth_date": "2027-01-01"}, "f-demographics-birth_date-error"),
    (
        "unknown unit",
        {"lab.platelets.value": "45", "lab.platelets.unit": "furlongs", "lab.platelets.date": "2026-11-20"},
        "f-lab-platelets-unit-error",
    ),
    ("value without date", {"lab.hemoglobin.value": "9"}, "f-lab-hemoglobin-date-error"),
    ("script in a select", {"demographics.sex": "<script>" + MARKER}, "f-demographics-sex-error"),
    ("fractional cycles", {"diagnosis.induction_cycles": "4.5"}, "f-diagnosis-induction_cycles-error"),
    ("screening date garbage", {"as_of": MARKER}, "f-as_of-error"),
]


@pytest.mark.parametrize("name,fields,error_id", FORM_CASES, ids=[c[0] for c in FORM_CASES])
def test_form_bad_input(tmp_path, name, fields, error_id):
    app = make_app(tmp_path, WTF_CSRF_ENABLED=False)
    client, auditor = authorised(app, "screener"), authorised(app, "auditor")
    data = {
        "trial": "NCT06674265",
        "as_of": "2026-11-22",
        "demographics.birth_date": "2018-03-14",
        "demographics.sex": "female",
        **fields,
    }
    response = client.post("/screen", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and f'id="{error_id}"' in page
    assert "<script>" + MARKER not in page  # what was entered is kept, but escaped
    assert _screenings(auditor) == 0


CLI_CASES = [
    ("not json", "{" + MARKER),
    ("future birth", json.dumps({"demographics": {"birth_date": "2099-01-01", "sex": "female"}})),
    ("negative count", _with("observations[0].value", -1)),
    ("wrong type", _with("demographics.weight_kg", "heavy")),
    ("empty file", ""),
    ("binary", "\x00\x01\x02"),
    (
        "too many medications",
        json.dumps({**BASE, "history": {**BASE["history"], "medications": BASE["history"]["medications"] * 251}}),
    ),
]


@pytest.mark.parametrize("name,content", CLI_CASES, ids=[c[0] for c in CLI_CASES])
def test_cli_bad_input(tmp_path, name, content):
    path = tmp_path / "record.json"
    path.write_text(content)
    result = CliRunner().invoke(main, ["screen", str(path), "--trial", "NCT06674265", "--as-of", "2026-11-22"])
    assert result.exit_code == 2 and "The record cannot be screened" in result.output
    assert MARKER not in result.output and "Traceback" not in result.output


def test_the_catalogue_has_at_least_60_inputs():
    assert len(API_CASES) + len(FHIR_CASES) + len(FORM_CASES) + len(CLI_CASES) >= 60
