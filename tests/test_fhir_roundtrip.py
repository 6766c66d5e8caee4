"""Round trip: each demo patient written as a FHIR R4 Bundle and read back screens like its native record, criterion
by criterion, except where the criterion needs a field a Bundle does not carry (then unknown, never a pass or fail)."""
import json
from datetime import date

import pytest
from click.testing import CliRunner

from screener.cli import main
from screener.engine.compile import compiled
from screener.facts.catalogue import catalogue
from screener.fhir import bundle_from_record, record_from_bundle
from screener.screening import parse_record, rule_set_for, screen_all

from .helpers import PATIENTS, REPO, trial_ids

AS_OF = date(2026, 11, 22)
SHIPPED = REPO / "seeds" / "fhir"
# Facts the reader takes from no FHIR resource, as each field declares it (screener.fhir.NOT_CARRIED is the same
# declaration as record paths); a fact on one of them (lab.ptt/uln) is not carried either.
NOT_CARRIED = tuple(name for name, info in catalogue().items() if not info.fhir)
SEEDS = sorted(p.name for p in PATIENTS.glob("*.json"))


def _not_carried(fact: str, native) -> bool:
    info = catalogue().get(fact)
    source = (info.record_path if info is not None else None) or fact  # a derived fact travels as its record input
    if source == "diagnosis.disease_status":  # FHIR clinicalStatus says relapse or remission, nothing else
        return native.diagnosis.disease_status not in (None, "relapsed", "remission")
    return fact.startswith(NOT_CARRIED) or source.startswith(NOT_CARRIED)


@pytest.mark.parametrize("name", SEEDS)
def test_bundle_screens_like_the_native_record_for_every_criterion_it_carries(name):
    native = parse_record((PATIENTS / name).read_text())
    bundle = bundle_from_record(native, AS_OF)
    record, imported = record_from_bundle(json.dumps(bundle), AS_OF)
    assert imported.ignored == []  # the converter writes nothing the reader cannot read
    carried = 0
    # Paired by trial, not by position: the two may rank differently when the Bundle leaves more open.
    by_trial = {r.trial_id: r for r in screen_all(record, AS_OF)}
    for ours in screen_all(native, AS_OF):
        theirs = by_trial[ours.trial_id]
        facts = {c.id: {leaf.fact.slot for leaf in c.leaves} for c in compiled(rule_set_for(ours.trial_id)).criteria}
        for a, b in zip(ours.criteria, theirs.criteria, strict=True):  # same rule set: same criteria
            if a.attestation:
                continue
            if any(_not_carried(f, native) for f in facts[a.id]):
                # Not carried: the Bundle may only leave it open, never decide it differently.
                assert b.status in (a.status, "unknown"), (ours.trial_id, a.id)
            else:
                carried += 1
                assert b.status == a.status, (ours.trial_id, a.id, a.reason, b.reason)
        if ours.verdict != "eligible":
            assert theirs.verdict != "eligible"
    assert carried >= 6


def test_the_bundle_is_coded():
    native = parse_record((PATIENTS / "eligible.json").read_text())
    resources = [e["resource"] for e in bundle_from_record(native, AS_OF)["entry"]]
    condition = next(r for r in resources if r["resourceType"] == "Condition")
    assert {c["system"] for c in condition["code"]["coding"]} == {
        "http://snomed.info/sct",
        "http://terminology.hl7.org/CodeSystem/icd-o-3",
    }
    assert condition["clinicalStatus"]["coding"][0]["code"] == "recurrence"
    assert all(
        r["code"]["coding"][0]["system"] == "http://loinc.org" for r in resources if r["resourceType"] == "Observation"
    )
    meds = [r for r in resources if r["resourceType"] == "MedicationStatement"]
    assert [m["medicationCodeableConcept"]["coding"][0]["code"] for m in meds] == ["26225", "3264"]
    assert {r["resourceType"] for r in resources} >= {
        "Patient",
        "Condition",
        "Observation",
        "MedicationStatement",
        "Procedure",
    }
    aml = parse_record((PATIENTS / "aml-relapsed.json").read_text())
    condition = next(
        e["resource"] for e in bundle_from_record(aml, AS_OF)["entry"] if e["resource"]["resourceType"] == "Condition"
    )
    assert {
        "system": "http://hl7.org/fhir/sid/icd-10-cm",
        "code": "C92.02",
        "display": "Acute myeloblastic leukemia",
    } in condition["code"]["coding"]


@pytest.mark.parametrize("name", SEEDS)
def test_shipped_example_bundles_screen_and_carry_the_diagnosis(name):
    native = parse_record((PATIENTS / name).read_text())
    record, imported = record_from_bundle((SHIPPED / name).read_bytes(), AS_OF)
    assert record.diagnosis.primary == native.diagnosis.primary and imported.ignored == []
    assert sorted(r.trial_id for r in screen_all(record, AS_OF)) == sorted(trial_ids())


def test_cli_writes_the_bundle(tmp_path):
    out = tmp_path / "b.json"
    result = CliRunner().invoke(
        main, ["fhir-bundle", str(PATIENTS / "eligible.json"), "--as-of", "2026-11-22", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert json.loads(out.read_text()) == bundle_from_record(
        parse_record((PATIENTS / "eligible.json").read_text()), AS_OF
    )
    result = CliRunner().invoke(main, ["fhir-bundle", str(tmp_path / "missing.json")])
    assert result.exit_code == 2 and "RECORD: no such file" in result.output


def test_what_a_bundle_does_not_carry_is_what_the_fields_declare():
    from screener.fhir import NOT_CARRIED as DECLARED

    # The writer's list and the catalogue read the same declarations: each not-carried record field is under one of
    # the writer's paths, and each of the writer's paths holds a field the catalogue marks not carried.
    record_paths = [p for p in DECLARED if " " not in p]
    assert {"findings", "attestations", "history.imaging", "history.chemotherapy"} <= set(record_paths)
    for name, info in catalogue().items():
        path = info.record_path or name
        if not name.startswith("lab."):
            assert info.fhir == (not path.startswith(tuple(record_paths))), name
    uncoded = next(p for p in DECLARED if p.startswith("labs without a LOINC code"))
    assert all(
        (info.label in uncoded) == (not info.fhir) for name, info in catalogue().items() if name.startswith("lab.")
    )
