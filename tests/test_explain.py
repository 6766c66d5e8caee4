"""What a coordinator reads (issue 14, points 1 and 2): reasons as clinical sentences, instructions to settle the
unknowns, units as people write them, readable registry numbering; field and file paths only in the evidence."""
import json
import re
from datetime import date

import pytest

from screener.explain import citation, instruction, plain, registry_label, when
from screener.facts.entries import RecordDose, RecordGenericName, RecordRoute
from screener.facts.keys import RecordFact
from screener.facts.provenance import EntryPath
from screener.facts.reasons import RecordField, RecordHistory, RecordLab, SettleEntries
from screener.model.labs import LABS, unit_choices, unit_label
from screener.screening import parse_record, screen, screen_all

from .helpers import PATIENTS

AS_OF = date(2026, 11, 22)
# What must never reach the reader: record paths, repository files, UCUM codes, raw category codes, predicates.
_NOT_FOR_READERS = re.compile(
    r"\b(?:observations|history|diagnosis|findings|attestations|demographics)[.\[]"
    r"|\b(?:criteria|seeds)/|\.yaml\b|\.md\b"
    r"|10\*\d|/uL\b|/mm3\b|\bumol\b|\bukat\b|\{|1\.73m2"
    r"|[a-z]_[a-z]"
    r"|[=≠<>≤≥] (?:true|false)\b|\? (?:yes|no|unknown) \("
    r"|\brecord record\b|\b\d{4}-\d{2}-\d{2}\b")


def _screen(record: dict, trial: str = "NCT06674265", engine: str = "reference"):
    return screen(parse_record(json.dumps(record)), trial, AS_OF, engine)


def _criterion(record: dict, criterion: str, trial: str = "NCT06674265"):
    return next(c for c in _screen(record, trial).criteria if c.id == criterion)


@pytest.mark.parametrize("engine", ["reference", "durable"])
@pytest.mark.parametrize("patient", sorted(p.name for p in PATIENTS.glob("*.json")))
def test_no_paths_codes_or_predicates_in_what_people_read(patient, engine):
    record = parse_record((PATIENTS / patient).read_text())
    for report in screen_all(record, AS_OF, engine):
        for c in report.criteria:
            for text in [c.reason, c.citation, *c.to_settle]:
                assert text and not _NOT_FOR_READERS.search(text), (c.id, text)
            assert c.reason.endswith(("✔", "✘", "?", "–")), (c.id, c.reason)  # every clause ends in its mark
            if c.status == "pass":  # a route a passing criterion did not take never reads as a failure
                assert not re.search(r" [✘?](?:; |$)", c.reason), (c.id, c.reason)


@pytest.mark.parametrize("engine", ["reference", "durable"])
def test_a_route_not_taken_reads_as_not_needed(eligible_json, engine):
    """I4: pathology confirms the diagnosis; the marrow-and-catecholamine route is not recorded, and not needed."""
    eligible_json["diagnosis"]["marrow_tumor_cells"] = False
    del eligible_json["diagnosis"]["urine_catecholamines_elevated"]
    i4 = next(c for c in _screen(eligible_json, engine=engine).criteria if c.id == "NCT06674265-I4")
    assert i4.status == "pass"
    assert i4.reason == (
        "Pathology confirms the diagnosis ✔; No tumour cells in the bone marrow (not needed: another route holds) –; "
        "Urinary catecholamines raised: not recorded (not needed: another route holds) –"
    )
    # The evidence keeps every comparison, the ones not needed as well, with whether each holds.
    holds = {e.fact: e.holds for e in i4.evidence}
    assert holds == {"diagnosis.pathology_confirmed": True, "diagnosis.marrow_tumor_cells": False,
                     "diagnosis.urine_catecholamines_elevated": None}
    eligible_json["diagnosis"]["pathology_confirmed"] = False  # no route holds: the failing parts show as failing
    i4 = next(c for c in _screen(eligible_json, engine=engine).criteria if c.id == "NCT06674265-I4")
    assert i4.status == "fail" and "–" not in i4.reason and "✘" in i4.reason


def test_paths_stay_in_the_evidence(eligible_json):
    e1 = _criterion(eligible_json, "NCT06674265-E1")
    platelets = next(e for e in e1.evidence if e.fact == "lab.platelets")
    assert platelets.source.startswith("observations[0]") and platelets.test == "Platelet count ≤ 50,000 /uL"


def test_platelets_pass_and_fail_with_value_unit_date_and_threshold(eligible_json):
    e1 = _criterion(eligible_json, "NCT06674265-E1")
    assert "Platelets 142 ×10³/µL (= 142,000 /µL) on 18 Nov 2026 — needs more than 50,000 /µL ✔" in e1.reason
    assert ("Platelets of 18 Nov 2026: drawn 17 days after the last platelet transfusion (1 Nov 2026) — must be drawn "
            "at least 8 days after a transfusion ✔") in e1.reason
    for value, mark in ((50_001, "✔"), (50_000, "✘")):  # both sides of the threshold ("> 50,000")
        eligible_json["observations"].append({"test": "platelets", "value": value, "unit": "/uL", "date": "2026-11-21"})
        e1 = _criterion(eligible_json, "NCT06674265-E1")
        assert f"Platelets {value:,} /µL on 21 Nov 2026 — needs more than 50,000 /µL {mark}" in e1.reason


def test_steroid_window_in_words_at_its_edges(eligible_json):
    # The drug, what it was recognised as, its dose and prednisone equivalent, the route and the dates.
    assert _criterion(eligible_json, "NCT06674265-E7").reason == (
        # dexamethasone is also a moderate CYP3A4 inducer (criteria/tables/cyp3a4.yaml): its recognition says so
        "Dexamethasone → dexamethasone, systemic corticosteroid, 6.67 × prednisone, moderate CYP3A4 inducer: "
        "0.15 mg/kg/day = 1.00 mg/kg/day prednisone-equivalent, oral, 20 Oct 2026 to 24 Oct 2026 (other entries: "
        "ondansetron → ondansetron, not a "
        "corticosteroid) — last taken 24 Oct 2026, 29 days ago (needs 7 days without) ✔")
    steroid = eligible_json["history"]["medications"][1]
    steroid["end"] = "2026-11-15"  # 7 days before: clears that day
    assert _criterion(eligible_json, "NCT06674265-E7").reason.endswith(
        "last taken 15 Nov 2026, 7 days ago (needs 7 days without) ✔"
    )
    steroid["end"] = "2026-11-16"  # 6 days before: still within the window
    reason = _criterion(eligible_json, "NCT06674265-E7").reason
    assert reason.endswith("last taken 16 Nov 2026, 6 days ago (needs 7 days without; clears on 23 Nov 2026) ✘")


def test_transfusion_and_history_reviewed(eligible_json):
    eligible_json["history"]["transfusions"] = [{"product": "platelets", "date": "2026-11-19"}]
    e1 = _criterion(eligible_json, "NCT06674265-E1")
    assert e1.status == "fail"
    assert (
        e1.reason == "Platelet transfusion on 19 Nov 2026, 3 days ago (needs 8 days without; clears on 27 Nov 2026) ✘"
    )
    eligible_json["history"]["transfusions"] = []
    assert (
        "No platelet transfusion recorded (transfusion history reviewed) ✔"
        in _criterion(eligible_json, "NCT06674265-E1").reason
    )
    del eligible_json["history"]["transfusions"]
    e1 = _criterion(eligible_json, "NCT06674265-E1")
    assert e1.status == "unknown" and "Platelet transfusion: transfusion history not recorded ?" in e1.reason
    assert e1.to_settle == ["Record the transfusion history (or that there were none)"]


def test_yes_no_categories_and_attestations_in_words(eligible_json):
    assert (
        _criterion(eligible_json, "NCT06674265-I4").reason
        == "Pathology confirms the diagnosis ✔; Tumour cells in the bone marrow ✔; Urinary catecholamines raised ✔"
    )
    assert (
        _criterion(eligible_json, "NCT06674265-E4").reason
        == "Seizures: none on 18 Nov 2026 — excluded if uncontrolled ✔"
    )
    assert (
        _criterion(eligible_json, "N7-DIAG", "IRCT20170122032121N7").reason
        == "Primary diagnosis: neuroblastoma — needs high-grade glioma ✘"
    )
    assert (
        _criterion(eligible_json, "NCT06674265-E14").reason
        == "Investigator attests on 18 Nov 2026 that the patient is able to comply with the protocol ✔"
    )
    eligible_json["attestations"]["able_to_comply"] = "not_assessed"
    e14 = _criterion(eligible_json, "NCT06674265-E14")
    assert e14.reason == "Investigator has not yet attested that the patient is able to comply with the protocol ?"
    assert e14.to_settle == ["Ask the investigator to attest whether the patient is able to comply with the protocol"]
    eligible_json["findings"]["other_trial_participation"] = None
    e12 = _criterion(eligible_json, "NCT06674265-E12")
    assert e12.reason == "Taking part in any other clinical trial, of any kind: not recorded ?"
    assert e12.to_settle == [
        "Record whether the patient takes part in any other clinical trial, of any kind "
        "(interventional or observational)"
    ]


def test_too_old_default_uln_and_unverified_row_are_kept(eligible_json):
    eligible_json["observations"] = [
        dict(o, date="2026-10-01") if o["test"] == "1742-6" else o for o in eligible_json["observations"]
    ]
    e2 = _criterion(eligible_json, "NCT06674265-E2")
    assert (
        "ALT 38 U/L on 1 Oct 2026: too old: the last Alanine aminotransferase (ALT, SGPT) (1 Oct 2026) is 52 days "
        "before 22 Nov 2026; this rule set uses values up to 14 days old ?"
    ) in e2.reason
    bilirubin = next(o for o in eligible_json["observations"] if o["test"] == "1975-2")
    del bilirubin["reference_high"]
    n7 = _criterion(eligible_json, "N7-BILI", "IRCT20170122032121N7")
    assert "(limit: default ULN" in n7.reason and "needs less than 1.5 × ULN ✔" in n7.reason
    # The reason cites the handbook; the table row's verification note is for reviewers, kept in the evidence.
    assert "The Harriet Lane Handbook" in n7.reason and "Not checked" not in n7.reason
    assert any("Not checked against a copy" in (e.source or "") + (e.value or "") for e in n7.evidence)
    adult = json.loads((PATIENTS / "glioma-adult-complete.json").read_text())
    e3 = _criterion(adult, "NCT06674265-E3")
    assert "UNVERIFIED row)" in e3.reason and "creatinine_max_cog" not in e3.reason


def test_units_as_people_write_them_while_the_api_keeps_ucum(eligible_json):
    assert unit_label("10*3/uL") == "×10³/µL" and unit_label("umol/L") == "µmol/L" and unit_label("g/dL") == "g/dL"
    assert unit_label("mL/min/{1.73_m2}") == unit_label("mL/min/1.73m2") == "mL/min/1.73 m²"
    assert unit_choices(LABS["measured_gfr"]) == [("mL/min/1.73m2", "mL/min/1.73 m²")]  # one label per unit
    assert [label for _, label in unit_choices(LABS["bilirubin"])] == ["mg/dL", "µmol/L"]
    eligible_json["observations"].append(
        {"test": "14631-6", "value": 10.3, "unit": "umol/L", "date": "2026-11-21", "reference_high": 17.1}
    )  # the API takes the UCUM code
    e2 = _criterion(eligible_json, "NCT06674265-E2")
    assert e2.reason.startswith(
        "Total bilirubin 10.3 µmol/L = 0.60 × 1 mg/dL (limit: the reporting lab's upper limit "
        "of normal) on 21 Nov 2026 — needs at most 1.5 × ULN ✔"
    )
    assert next(e for e in e2.evidence if e.fact == "lab.bilirubin/uln").value.startswith("10.3 umol/L")  # JSON: codes


def test_plain_text_helpers():
    assert when(date(2026, 3, 1)) == "1 Mar 2026"
    assert (
        plain("record Hemoglobin (g/dL, g/L, mmol/L) dated 2026-11-01")
        == "record Hemoglobin (g/dL, g/L, mmol/L) dated 1 Nov 2026"
    )
    assert plain("Platelet count (/uL, /mm3, 10*3/uL)") == "Platelet count (/µL, /mm³, ×10³/µL)"
    assert plain("INR (1, {INR})") == "INR"
    assert plain("Alanine aminotransferase (ALT, SGPT)") == "Alanine aminotransferase (ALT, SGPT)"
    assert (
        plain("COG maximum 1.4 mg/dL; UNVERIFIED row, see criteria/tables/creatinine_max_cog.yaml")
        == "COG maximum 1.4 mg/dL; UNVERIFIED row"
    )
    assert instruction(RecordField(RecordFact("diagnosis.mycn_amplified"))) == "Record whether MYCN is amplified"
    assert (
        instruction(SettleEntries((RecordGenericName("Zorbexal", EntryPath("medications", 2)),)))
        == "Record the generic name of Zorbexal"
    )
    assert instruction(RecordHistory("transfusions")) == "Record the transfusion history (or that there were none)"
    assert (
        instruction(RecordLab("platelets", 14, units=True))
        == "Record Platelet count (/µL, /mm³, ×10³/µL, ×10³/mm³, ×10⁹/L) dated within the last 14 days"
    )
    # No record-path fragment left for the reader, and one instruction said once (two entries of one name)
    route = RecordRoute("prednisone", EntryPath("medications", 1))
    dose = RecordDose("Decadron", EntryPath("medications", 3))
    assert instruction(SettleEntries((route,))) == (
        "Record the route of prednisone (oral, iv, im, sc, inhaled, topical or intrathecal)"
    )
    assert instruction(SettleEntries((dose,))) == "Record the dose and unit of Decadron"
    twice = tuple(RecordGenericName("Sat/Sun", EntryPath("medications", i)) for i in (0, 2))
    assert instruction(SettleEntries(twice)) == "Record the generic name of Sat/Sun"
    inr = instruction(RecordLab("inr", 14, units=True))
    assert inr == "Record INR (prothrombin time) dated within the last 14 days"  # a dimensionless unit is not listed
    assert citation("NCT06674265", "Exclusion Criteria 1") == "NCT06674265, Exclusion Criteria 1"


def test_registry_numbering_readable():
    assert registry_label("exclusion", "1") == "Exclusion 1"
    assert registry_label("exclusion", "3-") == "Exclusion 3- (the registry's second list)"
    assert registry_label("inclusion", None) == "Inclusion"


def test_reasons_keep_their_parentheses_balanced():
    for patient in sorted(PATIENTS.glob("*.json")):
        for report in screen_all(parse_record(patient.read_text()), AS_OF, "reference"):
            for c in report.criteria:
                assert c.reason.count("(") == c.reason.count(")"), (patient.name, c.id, c.reason)
