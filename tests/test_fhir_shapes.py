"""Malformed FHIR: a wrong type, a huge or non-finite number or a missing element at any path the reader reads is a
422 naming a path or an ignored resource with its reason, never an exception (hypothesis, and the named shapes)."""
import copy
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from screener.fhir import record_from_bundle
from screener.screening import InvalidRecord

from .test_fhir import AS_OF

RX, SCT = "http://www.nlm.nih.gov/research/umls/rxnorm", "http://snomed.info/sct"
SUBJECT = {"reference": "urn:uuid:p1"}
QTY = {"value": 4, "unit": "mg", "code": "mg", "system": "http://unitsofmeasure.org"}
DOSAGE = {
    "sequence": 1,
    "asNeededBoolean": False,
    "route": {"coding": [{"system": SCT, "code": "26643006"}], "text": "oral"},
    "timing": {
        "repeat": {
            "frequency": 2,
            "period": 1,
            "periodUnit": "d",
            "boundsPeriod": {"start": "2026-11-01", "end": "2026-11-30"},
            "boundsDuration": {"value": 5, "code": "d"},
            "timeOfDay": ["08:00:00"],
        },
        "code": {"coding": [{"code": "BID"}]},
    },
    "doseAndRate": [{"type": {"coding": [{"code": "ordered"}]}, "doseQuantity": QTY}],
}
# One resource of every kind the reader uses, with every element it reads.
TEMPLATE = {
    "resourceType": "Bundle",
    "type": "collection",
    "entry": [
        {
            "fullUrl": "urn:uuid:p1",
            "resource": {"resourceType": "Patient", "id": "p1", "birthDate": "2018-03-14", "gender": "female"},
        },
        {
            "fullUrl": "urn:uuid:o1",
            "resource": {
                "resourceType": "Observation",
                "id": "o1",
                "status": "final",
                "subject": SUBJECT,
                "code": {"coding": [{"system": "http://loinc.org", "code": "1742-6"}]},
                "effectiveDateTime": "2026-11-20T08:00:00Z",
                "effectivePeriod": {"start": "2026-11-20"},
                "issued": "2026-11-20T09:00:00Z",
                "valueQuantity": {"value": 30, "unit": "U/L", "code": "U/L"},
                "referenceRange": [{"high": {"value": 40, "unit": "U/L", "code": "U/L"}}],
            },
        },
        {
            "fullUrl": "urn:uuid:w1",
            "resource": {
                "resourceType": "Observation",
                "id": "w1",
                "status": "final",
                "subject": SUBJECT,
                "code": {"coding": [{"system": "http://loinc.org", "code": "29463-7"}]},
                "effectiveDateTime": "2026-11-20",
                "valueQuantity": {"value": 20, "unit": "kg", "code": "kg"},
            },
        },
        {
            "fullUrl": "urn:uuid:c1",
            "resource": {
                "resourceType": "Condition",
                "id": "c1",
                "subject": SUBJECT,
                "onsetDateTime": "2024-01-01",
                "recordedDate": "2024-01-02",
                "onsetPeriod": {"start": "2024-01-01"},
                "code": {"coding": [{"system": SCT, "code": "432328008", "display": "Neuroblastoma"}], "text": "NB"},
                "clinicalStatus": {"coding": [{"code": "recurrence"}]},
                "verificationStatus": {"coding": [{"code": "confirmed"}]},
            },
        },
        {
            "fullUrl": "urn:uuid:pr1",
            "resource": {
                "resourceType": "Procedure",
                "id": "pr1",
                "status": "completed",
                "subject": SUBJECT,
                "performedDateTime": "2025-09-02",
                "performedPeriod": {"start": "2025-09-02"},
                "code": {"text": "Autologous hematopoietic stem cell transplant"},
            },
        },
        {
            "fullUrl": "urn:uuid:med",
            "resource": {
                "resourceType": "Medication",
                "id": "med",
                "code": {"coding": [{"system": RX, "code": "3264", "display": "dexamethasone"}]},
            },
        },
        {
            "fullUrl": "urn:uuid:m1",
            "resource": {
                "resourceType": "MedicationRequest",
                "id": "m1",
                "status": "active",
                "intent": "order",
                "subject": SUBJECT,
                "authoredOn": "2026-11-01",
                "medicationReference": {"reference": "urn:uuid:med"},
                "dosageInstruction": [DOSAGE],
                "dispenseRequest": {
                    "validityPeriod": {"start": "2026-11-01"},
                    "numberOfRepeatsAllowed": 1,
                    "expectedSupplyDuration": {"value": 7, "code": "d"},
                },
            },
        },
        {
            "fullUrl": "urn:uuid:m2",
            "resource": {
                "resourceType": "MedicationStatement",
                "id": "m2",
                "status": "active",
                "subject": SUBJECT,
                "effectivePeriod": {"start": "2026-11-10", "end": "2026-11-12"},
                "medicationReference": {"reference": "#c"},
                "contained": [{"resourceType": "Medication", "id": "c", "code": {"text": "prednisone"}}],
                "dosage": [DOSAGE],
            },
        },
        {
            "fullUrl": "urn:uuid:m3",
            "resource": {
                "resourceType": "MedicationAdministration",
                "id": "m3",
                "status": "completed",
                "subject": SUBJECT,
                "effectiveDateTime": "2026-11-18T10:00:00Z",
                "medicationCodeableConcept": {"coding": [{"system": RX, "code": "3264"}], "text": "dex"},
                "dosage": {"route": {"text": "IV"}, "dose": QTY, "rateQuantity": QTY},
            },
        },
    ],
}


def _paths(node, prefix=()):
    if isinstance(node, dict):
        items = node.items()
    elif isinstance(node, list):
        items = enumerate(node)
    else:
        return
    for key, value in items:
        yield prefix + (key,)
        yield from _paths(value, prefix + (key,))


PATHS = [p for p in _paths(TEMPLATE) if p[:1] == ("entry",) and p[-1] != "resourceType"]
WRONG = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**400), max_value=10**400),
    st.floats(),
    st.text(max_size=12),
    st.just(""),
    st.just([]),
    st.just({}),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(
        st.sampled_from(["value", "code", "coding", "reference", "start", "text", "x"]),
        st.one_of(st.integers(), st.text(max_size=4), st.just([]), st.just({})),
        max_size=3,
    ),
)


def _put(bundle, path, value):
    node = bundle
    for key in path[:-1]:
        try:
            node = node[key]
        except (KeyError, IndexError, TypeError):
            return
    if isinstance(node, dict) or (isinstance(node, list) and isinstance(path[-1], int) and path[-1] < len(node)):
        node[path[-1]] = value


def _read(bundle):
    try:
        return record_from_bundle(json.dumps(bundle), AS_OF)
    except InvalidRecord as exc:
        assert exc.errors and all(e.field and e.message for e in exc.errors)
        return None


def test_the_template_reads_cleanly():
    record, imported = record_from_bundle(json.dumps(TEMPLATE), AS_OF)
    assert imported.ignored == [] or all("dose" in i["reason"] for i in imported.ignored)
    assert record.diagnosis.primary == "neuroblastoma" and len(record.history.medications) == 3


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_wrong_types_at_every_read_path_never_raise(data):
    bundle = copy.deepcopy(TEMPLATE)
    for _ in range(data.draw(st.integers(1, 3))):
        # A copy: st.just([]) is one object, and putting it inside itself would make the JSON circular.
        _put(bundle, data.draw(st.sampled_from(PATHS)), copy.deepcopy(data.draw(WRONG)))
    _read(bundle)


@pytest.mark.parametrize(
    "path,value,where",
    [
        (("entry", 1, "resource", "status"), ["final"], "status"),
        (("entry", 1, "resource", "code"), "1742-6", "code"),
        (("entry", 1, "resource", "code", "coding"), 5, "code.coding"),
        (("entry", 1, "resource", "subject"), {"reference": {"x": 1}}, "subject.reference"),
        (("entry", 1, "resource", "effectivePeriod"), "2026", "effectivePeriod"),
        (("entry", 1, "resource", "referenceRange"), {}, "referenceRange"),
        (("entry", 1, "resource", "valueQuantity", "value"), 10**400, "valueQuantity.value"),
        (("entry", 4, "resource", "performedPeriod"), "2025", "performedPeriod"),
        (("entry", 3, "resource", "code", "coding", 0, "code"), 432328008, "code.coding[0].code"),
    ],
)
def test_named_malformed_shapes_are_ignored_with_their_path(path, value, where):
    bundle = copy.deepcopy(TEMPLATE)
    _put(bundle, path, value)
    _, imported = record_from_bundle(json.dumps(bundle), AS_OF)
    entry = f"entry[{path[1]}]"
    assert any(i["resource"].startswith(entry) and f"malformed at {where}" in i["reason"] for i in imported.ignored), (
        imported.ignored
    )


def test_a_malformed_dosage_keeps_the_medication_with_its_dose_unknown():
    bundle = copy.deepcopy(TEMPLATE)
    _put(bundle, ("entry", 7, "resource", "dosage", 0, "timing"), "twice a day")
    record, imported = record_from_bundle(json.dumps(bundle), AS_OF)
    statement = next(m for m in record.history.medications if m.name == "prednisone")
    assert statement.dose is None and statement.route == "unknown"
    assert any("dosage[0].timing malformed" in i["reason"] for i in imported.ignored)


@pytest.mark.parametrize(
    "birth,field", [({"d": 1}, "entry[0].resource.birthDate"), ("2018-03-14garbage", "entry[0].resource.birthDate")]
)
def test_a_malformed_patient_is_refused_naming_the_path(birth, field):
    bundle = copy.deepcopy(TEMPLATE)
    bundle["entry"][0]["resource"]["birthDate"] = birth
    with pytest.raises(InvalidRecord) as caught:
        record_from_bundle(json.dumps(bundle), AS_OF)
    assert caught.value.errors[0].field == field


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]
)
@given(st.data())
def test_the_api_never_answers_5xx_to_a_malformed_bundle(client, data):
    bundle = copy.deepcopy(TEMPLATE)
    _put(bundle, data.draw(st.sampled_from(PATHS)), copy.deepcopy(data.draw(WRONG)))
    response = client.post(
        "/api/v1/screen?as_of=2026-11-22", data=json.dumps(bundle), content_type="application/fhir+json"
    )
    assert response.status_code in (200, 422), response.status_code


def test_a_malformed_medication_resource_leaves_the_medication_history_not_recorded():
    # A dexamethasone statement with one bad element could be the excluding steroid: dropping it and calling the
    # rest of the history complete could let a steroid criterion pass.
    bundle = copy.deepcopy(TEMPLATE)
    _put(bundle, ("entry", 7, "resource", "subject"), "Patient/p1")
    record, imported = record_from_bundle(json.dumps(bundle), AS_OF)
    assert record.history.medications is None
    assert any("could not be read (malformed" in a for a in imported.assumptions)


def test_a_malformed_medication_resource_that_says_it_was_not_taken_loses_nothing():
    bundle = copy.deepcopy(TEMPLATE)
    _put(bundle, ("entry", 7, "resource", "status"), "not-taken")
    _put(bundle, ("entry", 7, "resource", "effectivePeriod"), "2026")
    record, _ = record_from_bundle(json.dumps(bundle), AS_OF)
    assert len(record.history.medications) == 2


@pytest.mark.parametrize(
    "code,unknown",
    [
        ({"text": "Platelet transfusion"}, {"transfusions"}),
        ({"text": ["platelet transfusion"]}, {"transfusions", "transplants"}),  # the code itself unreadable: either
        ({"text": "Appendectomy"}, set()),  # readable and neither: nothing is lost
    ],
)
def test_a_malformed_procedure_leaves_the_histories_it_may_belong_to_not_recorded(code, unknown):
    bundle = copy.deepcopy(TEMPLATE)
    bundle["entry"].append(
        {
            "resource": {
                "resourceType": "Procedure",
                "id": "pr2",
                "status": "completed",
                "subject": SUBJECT,
                "code": code,
                "performedPeriod": "2026-11-20",
            }
        }
    )
    bundle["entry"].append(
        {
            "resource": {
                "resourceType": "Procedure",
                "id": "pr3",
                "status": "completed",
                "subject": SUBJECT,
                "code": {"text": "Red blood cell transfusion"},
                "performedDateTime": "2026-10-01",
            }
        }
    )
    record, _ = record_from_bundle(json.dumps(bundle), AS_OF)
    got = {k for k in ("transfusions", "transplants") if getattr(record.history, k) is None}
    assert got == unknown


def _with_second_alt(bundle, **changes):
    """The template plus a second ALT result (entry o2), changed as given; returns the record's ALT observations."""
    second = copy.deepcopy(bundle["entry"][1])
    second["fullUrl"], second["resource"]["id"] = "urn:uuid:o2", "o2"
    for key in ("effectivePeriod", "issued"):
        second["resource"].pop(key)
    second["resource"].update(changes)
    bundle["entry"].insert(2, second)
    record, imported = record_from_bundle(json.dumps(bundle), AS_OF)
    return [o for o in record.observations if o.test == "1742-6"], imported


@pytest.mark.parametrize(
    "changes",
    [
        {"effectiveDateTime": "2026-11-21", "valueQuantity": {"value": "high", "unit": "U/L"}},  # no number
        {"effectiveDateTime": "2026-11-21", "valueQuantity": {"value": 300, "unit": "furlongs", "code": "furlongs"}},
        {"effectiveDateTime": "2026-11-21", "status": "preliminary"},
        {"effectiveDateTime": "2026-11-21", "subject": "Patient/p1"},  # malformed: fails the Observation model
        {"effectiveDateTime": "2026-11-20", "valueQuantity": {"value": -5, "unit": "U/L", "code": "U/L"}},  # same day
        {"effectiveDateTime": 20261121},  # no readable date: could be the latest
    ],
    ids=["no-number", "unit", "preliminary", "malformed", "same-day-impossible", "undated"],
)
def test_an_unusable_result_as_recent_as_the_latest_leaves_that_lab_unrecorded(changes):
    # Regression: the reader used to drop such a result and let the older ALT of 30 U/L decide the liver criterion,
    # though the newer (unreadable) result may be the one above the threshold.
    alt, imported = _with_second_alt(copy.deepcopy(TEMPLATE), **changes)
    assert alt == []
    assert any("Alanine" in a or "ALT" in a for a in imported.assumptions), imported.assumptions


@pytest.mark.parametrize(
    "changes",
    [
        {
            "effectiveDateTime": "2026-11-10",
            "valueQuantity": {"value": "high", "unit": "U/L"},
        },  # older than the used one
        {"effectiveDateTime": "2026-11-21", "status": "entered-in-error"},  # never a result
        {
            "effectiveDateTime": "2026-11-30",
            "status": "preliminary",
        },  # after the as-of date: not yet the patient's value
    ],
    ids=["older", "entered-in-error", "after-as-of"],
)
def test_an_unusable_result_older_than_the_latest_or_never_a_result_changes_nothing(changes):
    alt, _ = _with_second_alt(copy.deepcopy(TEMPLATE), **changes)
    assert [o.value for o in alt] == [30.0]


def test_a_malformed_observation_whose_code_cannot_be_read_may_be_any_lab():
    bundle = copy.deepcopy(TEMPLATE)
    bundle["entry"].insert(
        2,
        {
            "fullUrl": "urn:uuid:o3",
            "resource": {
                "resourceType": "Observation",
                "id": "o3",
                "status": "final",
                "subject": SUBJECT,
                "code": "platelets",
                "effectiveDateTime": "2026-11-21",
                "valueQuantity": {"value": 20000, "unit": "/uL"},
            },
        },
    )
    record, _ = record_from_bundle(json.dumps(bundle), AS_OF)
    assert record.observations == []
