"""`screener batch` on a FHIR Bulk Data export: each patient joined from the NDJSON files and screened as their Bundle
is; lines that cannot be joined reported, and never silently dropped from a patient's history."""
import csv
import json
import re
from datetime import date
from pathlib import Path

import pytest

from screener import service
from screener.batch import in_process, run_batch
from screener.bulk_export import UNJOINED_ID, ExportRefused, export_files, read_export
from screener.fhir import bundle_from_record
from screener.screening import parse_record

from .helpers import PATIENTS, trial_ids
from .test_fhir import SYNTHEA, needs_synthea

from scripts.bundles_to_bulk import write_export  # isort: skip - the repository's scripts/, not a package

AS_OF = date(2026, 11, 22)
SYNTHEA_AS_OF = date(2021, 4, 1)  # the bundles' last records


def _results(out: Path) -> dict[tuple[str, str], tuple[str, ...]]:
    with (out / "results.csv").open() as handle:
        return {
            (r["record_id"], r["trial_id"]): (r["verdict"], r["failing"], r["unknown"], r["eligible_from"])
            for r in csv.DictReader(handle)
        }


def _errors(out: Path) -> list[tuple[str, str, str]]:
    with (out / "errors.csv").open() as handle:
        return [(r["source"], r["field"], r["message"]) for r in csv.DictReader(handle)]


def _patient_id(bundle: dict) -> str:
    return next(e["resource"]["id"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Patient")


@pytest.fixture(scope="module")
def demo_bundles(tmp_path_factory) -> list[Path]:
    """The demo patients as FHIR Bundles, one file each (bundle_from_record): verdicts other than ineligible."""
    folder = tmp_path_factory.mktemp("demo-bundles")
    paths = []
    for source in sorted(PATIENTS.glob("*.json")):
        path = folder / source.name
        path.write_text(json.dumps(bundle_from_record(parse_record(source.read_text()), AS_OF)))
        paths.append(path)
    return paths


def _expected(bundles: list[Path], as_of: date) -> dict[tuple[str, str], tuple[str, ...]]:
    """Each Bundle screened on its own, as the API screens a posted Bundle."""
    expected = {}
    for path in bundles:
        record, _ = service.read(path.read_bytes(), service.Content.FHIR, as_of)
        for outcome in service.outcomes(record, as_of, None, None):
            expected[(_patient_id(json.loads(path.read_bytes())), outcome.trial_id)] = (
                outcome.verdict,
                " ".join(outcome.failing),
                " ".join(outcome.unknown),
                outcome.eligible_from.isoformat() if outcome.eligible_from else "",
            )
    return expected


@needs_synthea
def test_the_synthea_bundles_as_an_export_give_the_verdicts_of_the_bundles(tmp_path):
    bundles = sorted(SYNTHEA.glob("*.json"))
    assert len(bundles) == 151
    write_export(bundles, tmp_path / "export")
    summary = run_batch(tmp_path / "export", tmp_path / "out", None, SYNTHEA_AS_OF, progress=False)
    assert (summary.records, summary.malformed, summary.screenings) == (151, 0, 151 * len(trial_ids()))
    assert "Encounter.ndjson" in summary.not_read and "Claim.ndjson" in summary.not_read
    got = _results(tmp_path / "out")
    expected = _expected(bundles, SYNTHEA_AS_OF)
    assert len(expected) == 151 * len(trial_ids())
    assert got == expected  # verdict, failing and unknown criteria, eligible-from: all 906
    assert not list((tmp_path / "out").glob("screener-bulk-*"))  # the spilled export is removed


@pytest.mark.parametrize("parts,manifest", [(1, True), (3, False)])
def test_several_files_per_type_with_or_without_a_manifest(demo_bundles, tmp_path, parts, manifest):
    write_export(demo_bundles, tmp_path / "export", parts=parts, manifest=manifest)
    names = sorted(p.name for p in (tmp_path / "export").iterdir())
    assert ("manifest.json" in names) == manifest
    assert ("Observation.3.ndjson" in names) == (parts == 3)
    summary = run_batch(tmp_path / "export", tmp_path / "out", None, AS_OF, progress=False)
    assert (summary.records, summary.malformed) == (len(demo_bundles), 0)
    got = _results(tmp_path / "out")
    assert got == _expected(demo_bundles, AS_OF)
    assert {v[0] for v in got.values()} >= {"no_known_exclusion", "incomplete", "ineligible"}


def test_a_manifest_names_its_files_whatever_they_are_called(demo_bundles, tmp_path):
    export = tmp_path / "export"
    write_export(demo_bundles, export)
    manifest = json.loads((export / "manifest.json").read_text())
    for i, entry in enumerate(manifest["output"]):  # a server's own names, the type only in the manifest
        (export / Path(entry["url"]).name).rename(export / f"file_{i}.ndjson")
        entry["url"] = f"https://fhir.example.invalid/bulk/job-1/file_{i}.ndjson"
    (export / "manifest.json").write_text(json.dumps(manifest))
    run_batch(export, tmp_path / "out", None, AS_OF, progress=False)
    assert _results(tmp_path / "out") == _expected(demo_bundles, AS_OF)


def _one_patient_export(tmp_path: Path, name: str = "aml-relapsed.json") -> tuple[Path, dict]:
    bundle = bundle_from_record(parse_record((PATIENTS / name).read_text()), AS_OF)
    (tmp_path / "bundle.json").write_text(json.dumps(bundle))
    write_export([tmp_path / "bundle.json"], tmp_path / "export", manifest=False)
    return tmp_path / "export", bundle


def test_a_resource_of_a_patient_the_export_does_not_hold_is_reported_and_changes_no_one(tmp_path):
    export, bundle = _one_patient_export(tmp_path)
    stray = next(e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Observation")
    stray = stray | {"id": "o-stray", "subject": {"reference": "Patient/not-in-this-export"}, "valueQuantity": {
        "value": 1, "unit": "10*3/uL", "code": "10*3/uL", "system": "http://unitsofmeasure.org"}}
    with (export / "Observation.ndjson").open("a") as handle:
        handle.write(json.dumps(stray) + "\n")
    lines = (export / "Observation.ndjson").read_text().count("\n")
    summary = run_batch(export, tmp_path / "out", None, AS_OF, progress=False)
    assert _errors(tmp_path / "out") == [
        (f"Observation.ndjson line {lines}", "subject.reference", "refers to a Patient the export does not hold")
    ]
    assert (summary.records, summary.malformed) == (2, 1)  # the patient and the line
    assert _results(tmp_path / "out") == _expected([tmp_path / "bundle.json"], AS_OF)


@pytest.mark.parametrize(
    "kind,line,field,trial,now_unknown",
    [
        ("Observation", '{"resourceType": "Observation", "status": "final", "subject": {"refer', "(record)",
         "NCT06674265", "NCT06674265-E1"),
        ("Observation", '{"resourceType": "Observation", "id": "o9", "status": "final"}', "subject.reference",
         "NCT06674265", "NCT06674265-E1"),
        ("Observation", '{"resourceType": "Encounter", "id": "e1", "subject": {"reference": "Patient/x"}}',
         "resourceType", "NCT06674265", "NCT06674265-E1"),
        ("MedicationStatement", "[1, 2]", "(record)", "NCT06674265", "NCT06674265-E8"),
        ("Procedure", '{"resourceType": "Procedure", "id": "p9", "subject": {"reference": "Group/all"}}',
         "subject.reference", "IRCT20201202049568N1", "N1-ASCT"),
    ],
)
def test_a_line_that_joins_no_patient_is_reported_and_no_history_is_called_complete_without_it(
    tmp_path, kind, line, field, trial, now_unknown
):
    """A line that could be anyone's: an error row naming where it is (never its content), and every patient's
    Bundle carries an unreadable resource of that type, so no criterion it could settle is decided without it."""
    export, bundle = _one_patient_export(tmp_path, "eligible.json")
    path = export / f"{kind}.ndjson"
    before = path.read_text() if path.exists() else ""
    path.write_text(before + line + "\n")
    summary = run_batch(export, tmp_path / "out", None, AS_OF, progress=False)
    errors = _errors(tmp_path / "out")
    assert [(s, f) for s, f, _ in errors] == [(f"{kind}.ndjson line {before.count(chr(10)) + 1}", field)]
    assert not any(value in errors[0][2] for value in ("o9", "p9", "e1", "Group", "Encounter", "Patient/x", "[1"))
    assert summary.malformed == 1
    got, clean = _results(tmp_path / "out"), _expected([tmp_path / "bundle.json"], AS_OF)
    assert got.keys() == clean.keys()
    rank = {"eligible": 0, "no_known_exclusion": 1, "incomplete": 2, "ineligible": 3}
    assert all(rank[got[k][0]] >= rank[clean[k][0]] for k in got)  # never better than with the history whole
    key = (_patient_id(bundle), trial)
    # Decided from the whole history; unknown when a resource of its kind may be missing from it.
    assert now_unknown not in clean[key][2].split() and now_unknown in got[key][2].split()
    if trial == "IRCT20201202049568N1":
        assert (clean[key][0], got[key][0]) == ("no_known_exclusion", "incomplete")


def test_the_unreadable_stand_in_is_read_as_a_malformed_resource(tmp_path):
    export, _ = _one_patient_export(tmp_path, "eligible.json")
    with (export / "Observation.ndjson").open("a") as handle:
        handle.write("not json\n")
    joined = [j for j in read_export(export) if not hasattr(j, "field")]
    record, imported = service.read(joined[0].bundle, service.Content.FHIR, AS_OF)
    assert any(i["resource"].endswith(f"Observation/{UNJOINED_ID}") and "malformed" in i["reason"]
               for i in imported.ignored)


def test_two_patients_with_the_same_id_are_neither_screened(tmp_path):
    """Their resources cannot be told apart: screening one with the other's labs could make a child eligible."""
    export, _ = _one_patient_export(tmp_path)
    first = (export / "Patient.ndjson").read_text()
    (export / "Patient.ndjson").write_text(first + first)
    summary = run_batch(export, tmp_path / "out", None, AS_OF, progress=False)
    assert [(s, f) for s, f, _ in _errors(tmp_path / "out")] == [("Patient.ndjson line 2", "id"),
                                                                 ("Patient.ndjson line 1", "id")]
    assert (summary.records, summary.malformed, summary.screenings) == (2, 2, 0)


def test_a_patient_is_held_to_what_one_bundle_may_be(tmp_path, monkeypatch):
    """Memory follows one patient's Bundle, so a patient's Bundle is held to the API's limits: a line longer than
    a Bundle may be is never read whole, and a patient with more resources or bytes than a Bundle is refused."""
    from screener import config

    export, bundle = _one_patient_export(tmp_path)
    entries, size = len(bundle["entry"]), sum(len(json.dumps(e["resource"], separators=(",", ":")))
                                             for e in bundle["entry"] if e["resource"]["resourceType"] != "Patient")
    monkeypatch.setattr(config, "MAX_BUNDLE_ENTRIES", entries - 1)
    run_batch(export, tmp_path / "a", None, AS_OF, progress=False)
    assert [(s, f) for s, f, _ in _errors(tmp_path / "a")] == [("Patient.ndjson line 1", "entry")]
    monkeypatch.setattr(config, "MAX_BUNDLE_ENTRIES", entries)
    run_batch(export, tmp_path / "b", None, AS_OF, progress=False)
    assert _errors(tmp_path / "b") == []
    monkeypatch.setattr(config, "MAX_BODY_BYTES", size - 1)
    run_batch(export, tmp_path / "c", None, AS_OF, progress=False)
    assert [(s, f) for s, f, _ in _errors(tmp_path / "c")] == [("Patient.ndjson line 1", "(record)")]
    monkeypatch.setattr(config, "MAX_BODY_BYTES", 100)
    with (export / "Observation.ndjson").open("a") as handle:
        handle.write('{"resourceType": "Observation", "note": "' + "x" * 300 + '"}\n')
    errors = _errors(tmp_path / "d") if run_batch(export, tmp_path / "d", None, AS_OF, progress=False) else []
    assert ("(record)", "longer than 100 bytes (MAX_BODY_BYTES)") in [(f, m) for _, f, m in errors]


def test_a_referenced_medication_is_joined_to_the_patients_who_reference_it(tmp_path):
    """Medication is not in a patient's compartment: an order that references it reads it as in the Bundle."""
    bundle = bundle_from_record(parse_record((PATIENTS / "eligible.json").read_text()), AS_OF)
    statement = next(e for e in bundle["entry"] if e["resource"]["resourceType"] == "MedicationStatement")
    medication = {"resourceType": "Medication", "id": "3f1c2b7e-8d1a-4a55-9c1e-0b7d1c2e3f40",
                  "code": statement["resource"].pop("medicationCodeableConcept")}
    statement["resource"]["medicationReference"] = {"reference": f"urn:uuid:{medication['id']}"}
    bundle["entry"].append({"fullUrl": f"urn:uuid:{medication['id']}", "resource": medication})
    (tmp_path / "bundle.json").write_text(json.dumps(bundle))
    write_export([tmp_path / "bundle.json"], tmp_path / "export")
    assert (tmp_path / "export" / "Medication.ndjson").exists()
    joined = [j for j in read_export(tmp_path / "export")]
    from_export, _ = service.read(joined[0].bundle, service.Content.FHIR, AS_OF)
    from_bundle, _ = service.read(json.dumps(bundle), service.Content.FHIR, AS_OF)
    assert from_export.history.medications and from_export.history == from_bundle.history


@pytest.mark.parametrize("stray", ["notes.txt", "Observation.ndjson.gz", "bundle.json"])
def test_a_file_not_of_the_export_refuses_the_run_naming_it(tmp_path, stray):
    from click.testing import CliRunner

    from screener.cli import main

    export, bundle = _one_patient_export(tmp_path)
    (export / stray).write_text(json.dumps(bundle) if stray.endswith(".json") else "x")
    with pytest.raises(ExportRefused, match=f"^{stray}: "):
        export_files(export)
    result = CliRunner().invoke(main, ["batch", str(export), "--all", "--out", str(tmp_path / "out")])
    assert result.exit_code == 2 and f"INPUT: {stray}: " in result.stderr and "Traceback" not in result.output
    assert not (tmp_path / "out").exists()


def test_a_manifest_naming_a_missing_file_or_leaving_one_out_refuses_the_run(demo_bundles, tmp_path):
    export = tmp_path / "export"
    write_export(demo_bundles, export)
    (export / "Condition.ndjson").rename(export / "Condition.1.ndjson")
    with pytest.raises(ExportRefused, match=r"^manifest.json: output\[\d+\]: its file is not in the folder"):
        export_files(export)
    manifest = json.loads((export / "manifest.json").read_text())
    for entry in manifest["output"]:
        entry["url"] = entry["url"].replace("Condition.ndjson", "Condition.1.ndjson")
    manifest["output"] = [e for e in manifest["output"] if e["type"] != "Procedure"]
    (export / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(ExportRefused, match="^Procedure.ndjson: not listed in the export's manifest"):
        export_files(export)


@pytest.mark.parametrize("severity,reported", [("error", True), ("fatal", True), ("warning", False)])
def test_an_error_the_server_reports_makes_every_history_partial(tmp_path, severity, reported):
    """The manifest's error files: an export that failed somewhere may miss any patient's resources."""
    export, bundle = _one_patient_export(tmp_path, "eligible.json")
    write_export([tmp_path / "bundle.json"], export)  # now with its manifest
    (export / "errors.ndjson").write_text(json.dumps({"resourceType": "OperationOutcome", "issue": [
        {"severity": severity, "code": "exception", "diagnostics": "Observation export for one patient failed"}]}))
    manifest = json.loads((export / "manifest.json").read_text())
    manifest["error"] = [{"type": "OperationOutcome", "url": "https://fhir.example.invalid/job/errors.ndjson"}]
    (export / "manifest.json").write_text(json.dumps(manifest))
    run_batch(export, tmp_path / "out", None, AS_OF, progress=False)
    clean = _expected([tmp_path / "bundle.json"], AS_OF)
    got = _results(tmp_path / "out")
    key = (_patient_id(bundle), "NCT06674265")
    if not reported:
        assert _errors(tmp_path / "out") == [] and got == clean
        return
    assert [(s, f) for s, f, m in _errors(tmp_path / "out")] == [("errors.ndjson line 1", "(export)")]
    assert {"NCT06674265-E1", "NCT06674265-E8"} <= set(got[key][2].split()) - set(clean[key][2].split())


@pytest.mark.parametrize(
    "request_url,refused",
    [
        ("[base]/Patient/$export?_since=2026-01-01T00:00:00Z", "only changes (_since)"),
        ("[base]/Patient/$export?_typeFilter=MedicationRequest%3Fstatus%3Dactive", "MedicationRequest"),
        ("[base]/Patient/$export?_type=Patient,Observation&_typeFilter=Encounter%3Fstatus%3Dfinished", None),
    ],
)
def test_an_export_without_whole_histories_is_refused(demo_bundles, tmp_path, request_url, refused):
    export = tmp_path / "export"
    write_export(demo_bundles, export)
    manifest = json.loads((export / "manifest.json").read_text())
    (export / "manifest.json").write_text(json.dumps(manifest | {"request": request_url}))
    if refused is None:  # only a type screening never reads was filtered
        assert export_files(export)[0]
        return
    with pytest.raises(ExportRefused, match=f"^manifest.json: .*{re.escape(refused)}"):
        export_files(export)


def test_an_export_runs_in_process_up_to_the_bundle_limit_counted_in_patients(demo_bundles, tmp_path, monkeypatch):
    from screener import config

    write_export(demo_bundles, tmp_path / "export", copies=2)
    monkeypatch.setattr(config, "BATCH_IN_PROCESS_MAX_BUNDLES", 2 * len(demo_bundles))
    assert in_process(tmp_path / "export")
    monkeypatch.setattr(config, "BATCH_IN_PROCESS_MAX_BUNDLES", 2 * len(demo_bundles) - 1)
    assert not in_process(tmp_path / "export")


def test_copies_have_new_ids_and_the_same_verdicts(demo_bundles, tmp_path):
    write_export(demo_bundles, tmp_path / "export", copies=3)
    summary = run_batch(tmp_path / "export", tmp_path / "out", None, AS_OF, progress=False)
    assert (summary.records, summary.malformed) == (3 * len(demo_bundles), 0)
    got = _results(tmp_path / "out")
    expected = _expected(demo_bundles, AS_OF)
    assert len(got) == 3 * len(expected)
    assert sorted(got.values()) == sorted(v for v in expected.values() for _ in range(3))


def test_the_dask_path_gives_what_the_local_path_gives(demo_bundles, tmp_path):
    from screener.batch import local_client

    export = tmp_path / "export"
    write_export(demo_bundles, export, parts=2)
    with (export / "Observation.1.ndjson").open("a") as handle:
        handle.write("{ truncated\n")
    client = local_client(2)
    try:
        # distributed keeps each connection's recent messages under 1 MB for developers, 1,000 by default: a chunk
        # of joined Bundles is one, and the client held 745 MB for 3,020 patients (benchmarks/bulk_fhir.py).
        assert client.scheduler_comm.recent_message_log.maxlen == 10
        on_cluster = run_batch(export, tmp_path / "dask", None, AS_OF, client=client, chunk_size=1, progress=False)
    finally:
        client.close()
    here = run_batch(export, tmp_path / "here", None, AS_OF, progress=False)
    assert _results(tmp_path / "dask") == _results(tmp_path / "here")
    assert sorted(_errors(tmp_path / "dask")) == sorted(_errors(tmp_path / "here")) and here.malformed == 1
    assert (here.records, here.verdicts, here.input_sha256) == (
        on_cluster.records, on_cluster.verdicts, on_cluster.input_sha256)
