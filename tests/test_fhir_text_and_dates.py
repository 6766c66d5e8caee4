"""FHIR text may hold tabs and line breaks; FHIR dates and times are read as FHIR defines them, or refused."""
import copy
import json
from datetime import date

import pytest

from screener.fhir import record_from_bundle
from screener.model.dates import parse_fhir_day
from screener.model.errors import InvalidRecord

AS_OF = date(2026, 11, 22)
RX = "http://www.nlm.nih.gov/research/umls/rxnorm"
BUNDLE = {
    "resourceType": "Bundle",
    "type": "collection",
    "entry": [
        {"fullUrl": "urn:uuid:p1",
         "resource": {"resourceType": "Patient", "id": "p1", "birthDate": "2018-03-14", "gender": "female"}},
        {"resource": {"resourceType": "MedicationStatement", "id": "m1", "status": "completed",
                      "subject": {"reference": "urn:uuid:p1"},
                      "medicationCodeableConcept": {"text": "prednisone"},
                      "effectivePeriod": {"start": "2026-11-10", "end": "2026-11-12"}}},
        {"resource": {"resourceType": "MedicationStatement", "id": "m2", "status": "completed",
                      "subject": {"reference": "urn:uuid:p1"},
                      "medicationCodeableConcept": {"coding": [{"system": RX, "code": "3264",
                                                                "display": "dexamethasone"}]},
                      "effectiveDateTime": "2026-11-18T10:00:00Z"}},
        {"resource": {"resourceType": "Observation", "id": "o1", "status": "final",
                      "subject": {"reference": "urn:uuid:p1"},
                      "code": {"coding": [{"system": "http://loinc.org", "code": "777-3"}]},
                      "effectiveDateTime": "2026-11-18T08:00:00Z",
                      "valueQuantity": {"value": 142, "unit": "10*3/uL", "code": "10*3/uL"}}},
    ],
}


def test_a_tab_or_line_break_in_one_statements_text_does_not_refuse_the_bundle():
    record, imported = _read_with(1, ("medicationCodeableConcept",), {"text": "prednisone\t5 mg\r\ntablet"})
    names = [m.name for m in record.history.medications]
    assert len(names) == 2 and all("\t" not in n and "\n" not in n and "\r" not in n for n in names)
    assert any("m1" in u["resource"] for u in imported.used)


def _read_with(index: int, path: tuple, value):
    bundle = copy.deepcopy(BUNDLE)
    node = bundle["entry"][index]["resource"]
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return record_from_bundle(json.dumps(bundle), AS_OF)


def test_a_tab_in_a_resource_id_is_read_as_a_space_in_its_source_label():
    record, _ = _read_with(3, ("id",), "o\t1")
    assert record.observations[0].source == "entry[3] Observation/o 1"


def test_a_nul_in_one_statements_text_ignores_that_resource_with_its_reason_not_the_bundle():
    record, imported = _read_with(1, ("medicationCodeableConcept",), {"text": "predni\u0000sone"})
    ignored = [i for i in imported.ignored if "m1" in i["resource"]]
    assert ignored and "medicationCodeableConcept.text" in ignored[0]["reason"]
    assert "control characters" in ignored[0]["reason"] and "\u0000" not in json.dumps(imported.as_dict())
    # The dropped statement could be an excluding drug: the medication history is not taken as complete.
    assert record.history.medications is None
    assert record.observations and record.observations[0].value == 142


@pytest.mark.parametrize("index, path", [
    (3, ("effectiveDateTime",)),
    (2, ("effectiveDateTime",)),
    (1, ("effectivePeriod", "start")),
])
@pytest.mark.parametrize("value", [
    "2018-03-14T25:61:61Z", "2026-11-18T24:00:00Z", "2026-11-18T12:60:00Z", "2026-11-18T12:00:61Z",
    "2026-11-18T12:00:00+15:00", "2026-11-18T12:00:00", "2026-11-18T12:00Z", "2026-02-30", "2026-13",
    "2026-11-18T12:00:00Zjunk", "２０２６-11-18",
])
def test_an_invalid_date_or_time_refuses_the_bundle_naming_its_path(index, path, value):
    with pytest.raises(InvalidRecord) as refused:
        _read_with(index, path, value)
    assert [e.field for e in refused.value.errors] == [f"entry[{index}].resource." + ".".join(path)]
    assert value not in str(refused.value)


def test_a_birth_date_is_a_fhir_date_without_a_time():
    with pytest.raises(InvalidRecord) as refused:
        _read_with(0, ("birthDate",), "2018-03-14T00:00:00Z")
    assert refused.value.errors[0].field == "entry[0].resource.birthDate"


@pytest.mark.parametrize("text, day", [
    ("2026-11-18T23:59:60Z", date(2026, 11, 18)),  # a leap second, as FHIR's regex allows
    ("2026-11-18T00:00:00+14:00", date(2026, 11, 18)),
    ("2026-11-18T23:59:59.123456789123-13:59", date(2026, 11, 18)),
    ("2026-11-18", date(2026, 11, 18)),
    ("2024-02-29", date(2024, 2, 29)),
    ("2026-11", None),
    ("2026", None),
    ("۲۰۲۶-۱۱-۱۸T08:00:00Z", date(2026, 11, 18)),  # Persian digits, the one digit policy (model/text.py)
    ("٢٠٢٦-١١-١٨", date(2026, 11, 18)),  # Arabic-Indic digits
])
def test_fhir_dates_times_and_partial_dates_as_fhir_defines_them(text, day):
    assert parse_fhir_day(text) == day


@pytest.mark.parametrize("text", ["2023-02-29", "0000", "2026-00", "2026-11-00", "2026-11-18T", "1899-12-31"])
def test_what_fhir_does_not_define_or_the_calendar_lacks_is_refused(text):
    with pytest.raises(ValueError):
        parse_fhir_day(text)


def test_an_impossible_time_is_never_used_for_its_day():
    with pytest.raises(InvalidRecord):
        _read_with(3, ("effectiveDateTime",), "2026-11-18T25:61:61Z")
    record, _ = _read_with(3, ("effectiveDateTime",), "2026-11-18T23:59:59Z")
    assert record.observations[0].date == date(2026, 11, 18)
