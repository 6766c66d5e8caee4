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

from .helpers import PATIENTS
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
    assert [(r["source"], r["verdict"]) for r in sorted(rows, key=lambda r: r["source"])] == [
        ("line 1", "eligible"),
        ("line 3", "ineligible"),
    ]
    assert next(r for r in rows if r["source"] == "line 3")["eligible_from"] == "2026-11-27"
    errors = (tmp_path / "out" / "errors.csv").read_text()
    assert "line 2,demographics.sex" in errors and "line 4,(record),not valid JSON" in errors
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["verdicts"]["NCT06674265"] == {"eligible": 1, "ineligible": 1}
    assert summary["candidates"] == {"NCT06674265": {"candidates": 1, "screened": 2}}
    with (tmp_path / "out" / "candidates.csv").open() as handle:
        assert [(r["source"], r["verdict"], r["open_items"]) for r in csv.DictReader(handle)] == [
            ("line 1", "eligible", "0")
        ]
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
                expected.append(
                    (
                        f"line {i + 1}",
                        report.trial_id,
                        report.verdict,
                        str(open_items(report)),
                        "; ".join(report.to_settle),
                    )
                )
    with (tmp_path / "out" / "candidates.csv").open() as handle:
        listed = [
            (r["source"], r["trial_id"], r["verdict"], r["open_items"], r["to_record"]) for r in csv.DictReader(handle)
        ]
    # Every candidate, each once, eligible first and then by fewest open items; each says what to record next.
    assert sorted(listed) == sorted(expected) and len(listed) > 3
    assert [(v != "eligible", int(n)) for _, _, v, n, _ in listed] == sorted(
        (v != "eligible", int(n)) for _, _, v, n, _ in listed
    )
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
        "A-3,not-a-date,female,aml,relapsed,,,\n"
    )
    summary = run_batch(source, tmp_path / "out", ["AML-NK-BMC2023"], AS_OF, client=client, progress=False)
    assert (summary.records, summary.malformed) == (3, 1)
    assert {r["record_id"]: r["verdict"] for r in _rows(tmp_path / "out")} == {
        "A-1": "no_known_exclusion",
        "A-2": "ineligible",
    }
    assert "line 4,demographics.birth_date" in (tmp_path / "out" / "errors.csv").read_text()


def test_csv_row_types():
    record = json.loads(
        csv_row_to_record(
            {
                "diagnosis.pathology_confirmed": "yes",
                "diagnosis.induction_cycles": "4",
                "findings.ctcae_grades.renal": "2",
                "lab.alt.value": "30",
                "lab.alt.unit": "U/L",
                "lab.alt.date": "2026-11-20",
                "lab.alt.reference_high": "40",
                "demographics.weight_kg": "",
            }
        )
    )
    assert record["diagnosis"] == {"pathology_confirmed": True, "induction_cycles": 4}
    assert record["findings"]["ctcae_grades"]["renal"] == 2
    assert record["observations"] == [
        {"test": "alt", "value": 30.0, "unit": "U/L", "date": "2026-11-20", "reference_high": 40.0}
    ]


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


def _demo_ndjson(path: Path) -> Path:
    names = sorted(p.name for p in PATIENTS.glob("*.json"))
    path.write_text("\n".join((PATIENTS / n).read_text().replace("\n", " ") for n in names) + "\n{ truncated\n")
    return path


def test_in_process_run_writes_what_the_cluster_writes(client, tmp_path):
    source = _demo_ndjson(tmp_path / "in.ndjson")
    on_cluster = run_batch(source, tmp_path / "dask", None, AS_OF, client=client, chunk_size=2, progress=False)
    here = run_batch(source, tmp_path / "here", None, AS_OF, client=None, chunk_size=2, progress=False)
    key = lambda r: (r["source"], r["trial_id"])  # noqa: E731 - the cluster finishes chunks in any order
    assert sorted(_rows(tmp_path / "here"), key=key) == sorted(_rows(tmp_path / "dask"), key=key)
    assert (here.records, here.malformed, here.verdicts) == (
        on_cluster.records,
        on_cluster.malformed,
        on_cluster.verdicts,
    )
    assert (tmp_path / "here" / "errors.csv").read_text() == (tmp_path / "dask" / "errors.csv").read_text()


def test_small_inputs_run_in_process_and_large_ones_on_dask(tmp_path, monkeypatch):
    from screener import config
    from screener.batch import in_process

    source = _demo_ndjson(tmp_path / "in.ndjson")  # 8 lines
    monkeypatch.setattr(config, "BATCH_IN_PROCESS_MAX_RECORDS", 8)
    assert in_process(source)
    monkeypatch.setattr(config, "BATCH_IN_PROCESS_MAX_RECORDS", 7)
    assert not in_process(source)
    table = tmp_path / "in.csv"
    table.write_text("demographics.birth_date,demographics.sex\n2018-01-01,female\n2019-01-01,male\n")
    monkeypatch.setattr(config, "BATCH_IN_PROCESS_MAX_RECORDS", 2)
    assert in_process(table)  # the header is not a record
    folder = tmp_path / "bundles"
    folder.mkdir()
    for i in range(3):
        (folder / f"{i}.json").write_text("{}")
    monkeypatch.setattr(config, "BATCH_IN_PROCESS_MAX_BUNDLES", 3)
    assert in_process(folder)
    monkeypatch.setattr(config, "BATCH_IN_PROCESS_MAX_BUNDLES", 2)
    assert not in_process(folder)


def test_cli_batch_on_a_handful_of_records_starts_no_cluster(tmp_path, monkeypatch):
    from click.testing import CliRunner

    import screener.batch
    from screener.cli import main

    def no_cluster(*_args, **_kwargs):
        raise AssertionError("a local cluster was started for a handful of records")

    monkeypatch.setattr(screener.batch, "local_client", no_cluster)
    source = _demo_ndjson(tmp_path / "in.ndjson")
    result = CliRunner().invoke(
        main, ["batch", str(source), "--all", "--out", str(tmp_path / "out"), "--as-of", "2026-11-22"]
    )
    assert result.exit_code == 0, result.output
    assert "this process" in result.stderr
    assert json.loads(result.stdout)["records"] == 8 and json.loads(result.stdout)["malformed"] == 1


def test_ndjson_is_read_once_as_chunks_of_bytes_with_its_line_numbers_and_digest(tmp_path):
    """The cluster gets each chunk as one buffer; line numbers, blank lines, CRLF and the input digest are kept, and a
    line that is not UTF-8 is one malformed record, not the end of the run."""
    import hashlib

    from screener.batch import ndjson_chunks, screen_chunk

    eligible = (PATIENTS / "eligible.json").read_text().replace("\n", " ").encode()
    source = tmp_path / "in.ndjson"
    source.write_bytes(eligible + b"\r\n\n   \n" + b'{"record_id": "\xff"}\n' + eligible)  # no final newline
    digest = hashlib.sha256()
    chunks = list(ndjson_chunks(source, 2, digest))
    assert digest.hexdigest() == hashlib.sha256(source.read_bytes()).hexdigest()
    assert [(c.first, c.records) for c in chunks] == [(1, 2), (5, 1)]
    assert [i.source for c in chunks for i in c.items()] == ["line 1", "line 4", "line 5"]
    rows, errors, _ = screen_chunk(chunks[0], ["NCT06674265"], AS_OF, "reference")
    assert [(r[0], r[4]) for r in rows] == [("line 1", "eligible")] and {e[0] for e in errors} == {"line 4"}
    summary = run_batch(source, tmp_path / "out", ["NCT06674265"], AS_OF, chunk_size=2, progress=False)
    assert (summary.records, summary.malformed) == (3, 1)
    assert summary.input_sha256 == hashlib.sha256(source.read_bytes()).hexdigest()


def test_workers_run_without_dasks_aggressive_malloc_trimming(client):
    # Dask's default MALLOC_TRIM_THRESHOLD_=65536 made every screening on a worker take ~1.8x the CPU (measured).
    import os

    assert not any(client.run(lambda: "MALLOC_TRIM_THRESHOLD_" in os.environ).values())
