"""FHIR Conditions by code (SNOMED CT, ICD-10-CM, ICD-O-3), their statuses, the problem list as evidence of absence."""

import pytest
import simple_icd_10_cm as icd10cm
import yaml

from screener import config
from screener.screening import screen

from .helpers import trial_ids
from .test_fhir import AS_OF, bundle, read

SNOMED, ICD10, ICDO = (
    "http://snomed.info/sct",
    "http://hl7.org/fhir/sid/icd-10-cm",
    "http://terminology.hl7.org/CodeSystem/icd-o-3",
)
TABLE = yaml.safe_load((config.SCREENER_CRITERIA_DIR / "tables" / "fhir_conditions.yaml").read_text())


def _cond(id_="c1", *codes, text=None, clinical=None, verification=None, onset="2024-05-01"):
    code = {"coding": [{"system": s, "code": c} for s, c in codes]}
    if text:
        code["text"] = text
    resource = {
        "resourceType": "Condition",
        "id": id_,
        "subject": {"reference": "urn:uuid:p1"},
        "code": code,
        "onsetDateTime": onset,
    }
    if clinical:
        resource["clinicalStatus"] = {
            "coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-clinical", "code": clinical}]
        }
    if verification:
        resource["verificationStatus"] = {
            "coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-ver-status", "code": verification}]
        }
    return {"fullUrl": f"urn:uuid:{id_}", "resource": resource}


def _diagnosis(*entries):
    record, imported = read(bundle(*entries))
    return record.diagnosis.primary, record.diagnosis.disease_status, imported


@pytest.mark.parametrize("row", [r for r in TABLE["codes"] if r["system"] == "icd10cm"], ids=lambda r: r["code"])
def test_every_icd10cm_row_is_a_real_code_with_its_title(row):
    assert row["verified"] is True
    assert icd10cm.is_valid_item(row["code"]) and icd10cm.get_description(row["code"]) == row["title"]


def test_code_table_shape():
    names = {"neuroblastoma", "aml", "high_grade_glioma", "low_grade_glioma", "possible"}
    assert all(
        r["value"] in names and r["system"] in TABLE["systems"] and isinstance(r["verified"], bool)
        for r in TABLE["codes"]
    )
    assert all(r.get("could_be") for r in TABLE["codes"] if r["value"] == "possible")
    assert len({(r["system"], r["code"]) for r in TABLE["codes"]}) == len(TABLE["codes"])


@pytest.mark.parametrize(
    "codes,clinical,expected",
    [
        ([(SNOMED, "432328008")], "recurrence", ("neuroblastoma", "relapsed")),
        ([(SNOMED, "432328008")], "active", ("neuroblastoma", None)),
        ([(SNOMED, "432328008")], "remission", ("neuroblastoma", "remission")),
        ([(SNOMED, "432328008")], "resolved", ("neuroblastoma", "remission")),
        ([(ICD10, "C92.02")], None, ("aml", "relapsed")),
        ([(ICD10, "C9202")], None, ("aml", "relapsed")),  # written without the dot
        ([(ICD10, "C92.01")], None, ("aml", "remission")),
        ([(ICD10, "C92.00")], None, ("aml", None)),  # "not having achieved remission": new or refractory
        ([(ICD10, "C92.A2")], None, ("aml", "relapsed")),
        ([(ICD10, "C92.02")], "remission", ("aml", None)),  # code and status disagree: state unknown
        ([(ICD10, "C92.00")], "relapse", ("aml", "relapsed")),
        ([(ICDO, "9500/3")], None, ("neuroblastoma", None)),
        ([(ICDO, "M9401/3")], None, ("high_grade_glioma", None)),
        ([(ICDO, "9421/1")], None, ("low_grade_glioma", None)),
        ([(SNOMED, "91861009"), (ICD10, "C92.02")], None, ("aml", "relapsed")),
    ],
)
def test_disease_and_state_by_code(codes, clinical, expected):
    primary, status, _ = _diagnosis(_cond("c1", *codes, clinical=clinical))
    assert (primary, status) == expected


@pytest.mark.parametrize(
    "codes,text",
    [
        ([(ICD10, "C71.9")], "Malignant neoplasm of brain"),  # a brain tumour of any kind and grade
        ([(ICD10, "C74.90")], None),  # adrenal: neuroblastoma or another tumour
        ([(ICD10, "C95.00")], None),  # acute leukaemia, type not given
        ([(SNOMED, "999999999")], "Anaplastic astrocytoma"),  # code not in the table, words say glioma
        ([(SNOMED, "91861009"), (SNOMED, "432328008")], None),  # two diseases in one concept
    ],
)
def test_possible_codes_leave_the_diagnosis_unknown_and_never_other(codes, text):
    primary, status, imported = _diagnosis(
        _cond("c1", *codes, text=text), _cond("c2", (SNOMED, "444814009"), text="Viral sinusitis")
    )
    assert primary is None and status is None
    assert any("c1" in i["resource"] and "may be" in i["reason"] for i in imported.ignored)
    assert any("may be a screened disease" in a for a in imported.assumptions)


@pytest.mark.parametrize(
    "verification,expected",
    [
        ("confirmed", "neuroblastoma"),
        (None, "neuroblastoma"),
        ("provisional", None),
        ("differential", None),
        ("unconfirmed", None),
        ("refuted", "other"),
    ],
)
def test_verification_status(verification, expected):
    primary, _, _ = _diagnosis(_cond("c1", (SNOMED, "432328008"), verification=verification))
    assert primary == expected


def test_entered_in_error_is_dropped_and_a_bundle_without_conditions_leaves_the_diagnosis_unknown():
    primary, _, imported = _diagnosis(_cond("c1", (SNOMED, "432328008"), verification="entered-in-error"))
    assert primary is None and "entered-in-error" in imported.ignored[0]["reason"]
    primary, _, imported = _diagnosis()
    assert primary is None and imported.assumptions == []


def test_words_decide_only_without_a_coding():
    assert _diagnosis(_cond("c1", text="Neuroblastoma of adrenal gland"))[0] == "neuroblastoma"
    assert _diagnosis(_cond("c1", text="Olfactory neuroblastoma"))[0] == "other"
    assert _diagnosis(_cond("c1", text="Family history of neuroblastoma"))[0] == "other"
    assert _diagnosis(_cond("c1", text="Glioma of brain stem"))[0] is None  # grade not stated
    assert _diagnosis(_cond("c1", ("http://example.org/local", "NB1"), text="Neuroblastoma"))[0] == "neuroblastoma"


def test_problem_list_without_the_disease_fails_the_diagnosis_with_a_checkable_reason():
    sinusitis = _cond("c1", (SNOMED, "444814009"), text="Viral sinusitis (disorder)")
    otitis = _cond("c2", (SNOMED, "65363002"), text="Otitis media")
    cml = _cond("c3", (ICD10, "C92.10"), text="Chronic myeloid leukemia")
    record, imported = read(bundle(sinusitis, otitis, cml))
    assert record.diagnosis.primary == "other"
    assert any("among the 3 conditions in the record" in a for a in imported.assumptions)
    used = next(u for u in imported.used if u["used_as"] == "diagnosis.primary")
    assert used["resource"] == "3 Condition resources" and "viral sinusitis" in used["note"]
    from screener.engine.compile import compiled
    from screener.rules import load_rule_sets

    for trial in trial_ids():  # every trial's diagnosis criterion: the one(s) reading diagnosis.primary
        diagnosis = {c.criterion.id for c in compiled(load_rule_sets()[trial]).criteria
                     if any(str(leaf.fact) == "diagnosis.primary" for leaf in c.leaves)}
        report = screen(record, trial, AS_OF)
        assert diagnosis and report.verdict == "ineligible", trial
        assert {c.id: c.status for c in report.criteria if c.id in diagnosis} == dict.fromkeys(diagnosis, "fail"), trial


def test_condition_after_the_as_of_date_is_not_read():
    primary, _, imported = _diagnosis(_cond("c1", (SNOMED, "432328008"), onset="2026-12-01"))
    assert primary is None and "after the as-of date" in imported.ignored[0]["reason"]


def test_latest_condition_of_the_disease_gives_its_state_and_two_diseases_leave_it_unknown():
    first = _cond("c1", (SNOMED, "432328008"), clinical="remission", onset="2022-01-01")
    relapse = _cond("c2", (SNOMED, "432328008"), clinical="recurrence", onset="2025-06-01")
    assert _diagnosis(first, relapse)[:2] == ("neuroblastoma", "relapsed")
    primary, _, imported = _diagnosis(first, _cond("c3", (ICD10, "C92.00")))
    assert primary is None and any("more than one" in i["reason"] for i in imported.ignored)
