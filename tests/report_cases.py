"""A fixed set of screenings whose full report JSON is pinned: the guard that a faster report path says the same.

The expected reports were written by the straightforward implementation before it was optimised (commit 74b53a5
on main). Every report is compared byte for byte as the API sends it (`Report.model_dump_json()`); the demo
patients' reports are kept whole so a difference shows as a diff, the others as SHA-256 digests.

A deliberate change to a rule set, a table or the report's wording changes these reports: rewrite the fixture
with `python -m tests.report_cases --write` and review the demo patients' diff in the commit.
"""
import gzip
import hashlib
import json
import random
import sys
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = Path(__file__).resolve().parent / "fixtures" / "reports"
AS_OF = date(2026, 11, 22)
LATER = AS_OF + timedelta(days=9)  # data ages past the lookbacks, windows clear: the eligible_from paths
GENERATED = 150


def _generated_inputs() -> list[str]:
    """Generated records, stored with the fixture: the generator in benchmarks/ may change, the inputs must not."""
    path = FIXTURE / "generated_records.ndjson.gz"
    if not path.exists():
        from benchmarks.records import generated_record

        rng = random.Random(20261122)
        lines = [json.dumps(generated_record(rng), sort_keys=True) for _ in range(GENERATED)]
        path.write_bytes(gzip.compress(("\n".join(lines) + "\n").encode(), mtime=0))
    return gzip.decompress(path.read_bytes()).decode().splitlines()


def cases():
    """(name, record JSON text, trial id, as-of date) for every pinned screening."""
    from screener.authoring.golden import case_record, golden_files, load_golden
    from screener.rules import load_rule_sets

    trials = sorted(load_rule_sets())
    for path in sorted((ROOT / "seeds" / "patients").glob("*.json")):
        for trial in trials:
            yield f"demo/{path.stem}/{trial}", path.read_text(encoding="utf-8"), trial, AS_OF
    for golden_path in golden_files(ROOT / "criteria"):
        golden = load_golden(golden_path)
        for i, case in enumerate(golden.cases):
            text = case_record(golden, case, ROOT)
            for trial in trials:
                yield f"golden/{golden.trial_id}/{i}/{trial}", text, trial, case.as_of or golden.as_of
    for i, text in enumerate(_generated_inputs()):
        for trial in trials:
            yield f"generated/{i}/{trial}", text, trial, AS_OF
        yield f"generated/{i}/NCT06674265/later", text, "NCT06674265", LATER


def report_json(text: str, trial: str, as_of: date, engine: str = "durable") -> str:
    from screener.screening import parse_record, screen

    return screen(parse_record(text), trial, as_of, engine).model_dump_json()


def digest(report: str) -> str:
    return hashlib.sha256(report.encode()).hexdigest()[:24]


def expected() -> tuple[dict[str, str], dict[str, dict]]:
    """The pinned digests by case name, and the demo patients' whole reports by case name."""
    return (json.loads(gzip.decompress((FIXTURE / "digests.json.gz").read_bytes())),
            json.loads(gzip.decompress((FIXTURE / "demo_reports.json.gz").read_bytes())))


def write() -> None:
    FIXTURE.mkdir(parents=True, exist_ok=True)
    digests, whole = {}, {}
    for name, text, trial, as_of in cases():
        report = report_json(text, trial, as_of)
        digests[name] = digest(report)
        if name.startswith("demo/"):
            whole[name] = json.loads(report)
    (FIXTURE / "digests.json.gz").write_bytes(gzip.compress(json.dumps(digests, sort_keys=True).encode(), mtime=0))
    (FIXTURE / "demo_reports.json.gz").write_bytes(
        gzip.compress(json.dumps(whole, sort_keys=True, ensure_ascii=False).encode(), mtime=0))
    print(f"{len(digests)} reports pinned in {FIXTURE}")


if __name__ == "__main__":
    if sys.argv[1:] != ["--write"]:
        sys.exit("usage: python -m tests.report_cases --write")
    write()
