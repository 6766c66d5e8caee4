"""`screener batch` on a local Dask cluster: NDJSON, CSV and a folder of FHIR bundles; malformed records skipped."""
import csv
import json
import shutil
from datetime import date
from pathlib import Path

import pytest

from screener.batch import csv_row_to_record, run_batch
from screener.candidates import is_candidate, open_items
from screener.screening import parse_record, screen, screen_all

from .conftest import PATIENTS
from .test_fhir import SYNTHEA, needs_synthea

AS_OF = date(2026, 11, 22)


@pytest.fixture(scope="module")
def client():
    from screener.batch import local_client

    client = local_client(2)
    yield client
    client.close()


def _rows(out: Path) -> list[dict]:
    with (out / "results.csv").open() as handle:
        return list(csv.DictReader(handle))


def test_ndjson_with_malformed_lines(client, tmp_path):
    lines = [(PATIENTS / name).read_text().replace("\n", " ") for name in ("eligible.json", "ineligible-waiting.json")]
    lines.insert(1, '{"demographics": {"birth_date": "2018-01-01", "sex": "x"}}')
    lines.append("{ truncated")
    source = tmp_path / "in.ndjson"
    source.write_text("\n".join(lines) + "\n")
    summary = run_batch(source, tmp_path / "out", ["NCT06674265"], AS_OF, client=client, chunk_size=1, progress=False)
    assert (summary.records, summary.malformed, summary.screenings) == (4, 2, 2)
    rows = _rows(tmp_path / "out")
    assert [(r["source"], r["verdict"]) for r in sorted(rows, key=lambda r: r["source"])] == [("line 1", "eligible"), ("line 3", "ineligible")]
    assert next(r for r in rows if r["source"] == "line 3")["eligible_from"] == "2026-11-27"
    errors = (tmp_path / "out" / "errors.csv").read_text()
    assert "line 2,demographics.sex" in errors and "line 4,(record),not valid JSON" in errors
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["verdicts"]["NCT06674265"] == {"eligible": 1, "ineligible": 1}
    assert summary["candidates"] == {"NCT06674265": {"candidates": 1, "screened": 2}}
    with (tmp_path / "out" / "candidates.csv").open() as handle:
        assert [(r["source"], r["verdict"], r["open_items"]) for r in csv.DictReader(handle)] == [("line 1", "eligible", "0")]
    assert not (tmp_path / "out" / ".candidates.tmp").exists()


def test_batch_gives_the_same_verdict_as_the_api_function(client, tmp_path):
    source = tmp_path / "in.ndjson"
    names = sorted(p.name for p in PATIENTS.glob("*.json"))
    source.write_text("\n".join((PATIENTS / n).read_text().replace("\n", " ") for n in names) + "\n")
    run_batch(source, tmp_path / "out", None, AS_OF, client=client, chunk_size=2, progress=False)
    got = {(int(r["source"].split()[1]) - 1, r["trial_id"]): r["verdict"] for r in _rows(tmp_path / "out")}
    expected = []
    for i, name in enumerate(names):
        record = parse_record((PATIENTS / name).read_text())
        assert got[(i, "NCT06674265")] == screen(record, "NCT06674265", AS_OF).verdict
        for report in screen_all(record, AS_OF):
            if is_candidate(report):
                expected.append((f"line {i + 1}", report.trial_id, report.verdict, str(open_items(report)), "; ".join(report.to_settle)))
    with (tmp_path / "out" / "candidates.csv").open() as handle:
        listed = [(r["source"], r["trial_id"], r["verdict"], r["open_items"], r["to_record"]) for r in csv.DictReader(handle)]
    # Every candidate, each once, eligible first and then by fewest open items; each says what to record next.
    assert sorted(listed) == sorted(expected) and len(listed) > 3
    assert [(v != "eligible", int(n)) for _, _, v, n, _ in listed] == sorted((v != "eligible", int(n)) for _, _, v, n, _ in listed)
    assert all(to_record for _, _, v, _, to_record in listed if v == "incomplete")
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert sum(c["candidates"] for c in summary["candidates"].values()) == len(listed)
    assert all(c["screened"] == len(names) for c in summary["candidates"].values())


def test_csv_export(client, tmp_path):
    source = tmp_path / "in.csv"
    source.write_text(
        "record_id,demographics.birth_date,demographics.sex,diagnosis.primary,diagnosis.disease_status,lab.platelets.value,lab.platelets.unit,lab.platelets.date\n"
        "A-1,2014-02-20,female,aml,relapsed,35,10*3/uL,2026-11-20\n"
        "A-2,2014-02-20,female,aml,remission,,,\n"
        "A-3,not-a-date,female,aml,relapsed,,,\n")
    summary = run_batch(source, tmp_path / "out", ["AML-NK-BMC2023"], AS_OF, client=client, progress=False)
    assert (summary.records, summary.malformed) == (3, 1)
    assert {r["record_id"]: r["verdict"] for r in _rows(tmp_path / "out")} == {"A-1": "no_known_exclusion", "A-2": "ineligible"}
    assert "line 4,demographics.birth_date" in (tmp_path / "out" / "errors.csv").read_text()


def test_csv_row_types():
    record = json.loads(csv_row_to_record({"diagnosis.pathology_confirmed": "yes", "diagnosis.induction_cycles": "4",
                                           "findings.ctcae_grades.renal": "2", "lab.alt.value": "30", "lab.alt.unit": "U/L",
                                           "lab.alt.date": "2026-11-20", "lab.alt.reference_high": "40", "demographics.weight_kg": ""}))
    assert record["diagnosis"] == {"pathology_confirmed": True, "induction_cycles": 4}
    assert record["findings"]["ctcae_grades"]["renal"] == 2
    assert record["observations"] == [{"test": "alt", "value": 30.0, "unit": "U/L", "date": "2026-11-20", "reference_high": 40.0}]


@needs_synthea
def test_folder_of_fhir_bundles(client, tmp_path):
    folder = tmp_path / "bundles"
    folder.mkdir()
    for path in sorted(SYNTHEA.glob("*.json"))[:6]:
        shutil.copy(path, folder)
    (folder / "broken.json").write_text('{"resourceType": "Bundle", "entry": []}')
    summary = run_batch(folder, tmp_path / "out", None, date(2021, 4, 1), client=client, progress=False)
    assert (summary.records, summary.malformed, summary.screenings) == (7, 1, 36)
    assert "broken.json,entry,the Bundle has no Patient" in (tmp_path / "out" / "errors.csv").read_text()
