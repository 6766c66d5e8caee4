"""Export and amendment-impact time and peak memory over a large store: both must stream in constant memory.

    python -m benchmarks.export [--rows 100000] [--impact-rows 2000]

At 100,000 rows the store takes about 4.3 GB of the temporary folder and the run several minutes; --rows 5000
takes about 15 s here.

Fills a throwaway SQLite store with copies of a real screening (record and ~20 KB report), then streams the
CSV and JSON exports of screenings to a byte counter and re-screens --impact-rows of them under the rule set.
Peak memory is the process's resident high-water mark during each step (reset before it).
"""
import argparse
import shutil
import tempfile
import time
import uuid
from datetime import date
from pathlib import Path


def _status_mb(field: str) -> float:
    """A memory figure of this process from /proc/self/status (VmRSS now, VmHWM its high-water mark), in MB."""
    with open("/proc/self/status") as handle:
        for line in handle:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return float("nan")


def _reset_rss_peak() -> float:
    """Reset the resident high-water mark (Linux) and return the resident size it starts from."""
    with open("/proc/self/clear_refs", "w") as handle:
        handle.write("5")
    return _status_mb("VmRSS")


def _fill(store, rows: int) -> None:
    from screener.audit import Screening
    from screener.audit._chain import canonical
    from screener.screening import parse_record, screen

    record = parse_record((Path(__file__).resolve().parent.parent / "seeds/patients/eligible.json").read_text())
    report = screen(record, "NCT06674265", date(2026, 11, 22))
    record_json, report_json = canonical(record.model_dump(mode="json")), canonical(report.model_dump(mode="json"))
    batch = []
    with store.engine.begin() as connection:
        for n in range(rows):
            batch.append(
                {
                    "id": uuid.uuid4().hex,
                    "request_id": uuid.uuid4().hex,
                    "recorded_at": f"2026-11-22T{n:012d}Z",
                    "actor": "bench",
                    "channel": "api",
                    "trial_id": "NCT06674265",
                    "rule_set_version": report.rule_set_version,
                    "rule_set_digest": report.rule_set_digest,
                    "engine": "bench",
                    "as_of": "2026-11-22",
                    "verdict": report.verdict,
                    "record_json": record_json,
                    "report_json": report_json,
                    "corrects_id": None,
                    "content_hash": "0" * 64,
                }
            )
            if len(batch) == 2000:
                connection.execute(Screening.__table__.insert(), batch)
                batch = []
        if batch:
            connection.execute(Screening.__table__.insert(), batch)
    print(
        f"store: {rows:,} screenings, report {len(report_json) / 1024:.1f} KB, "
        f"record {len(record_json) / 1024:.1f} KB each"
    )


def _measure(label: str, run) -> None:
    # The process keeps memory from filling the store; the step's own use is its peak above where it started.
    start_rss = _reset_rss_peak()
    started = time.perf_counter()
    result = run()
    peak = _status_mb("VmHWM")
    print(
        f"{label}: {time.perf_counter() - started:.1f} s, {result}; peak RSS {peak:.0f} MB "
        f"(+{peak - start_rss:.0f} MB over the {start_rss:.0f} MB it started at)"
    )


def main() -> None:
    from screener.audit import AmendmentImpact, export, open_store
    from screener.rules import load_rule_sets

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--impact-rows", type=int, default=2_000, help="screenings re-screened for the impact figure")
    args = parser.parse_args()
    # About 45 KB a row in SQLite (record, ~38 KB report, indexes): say so before filling a disk.
    needed, free = (args.rows + args.impact_rows) * 45 * 1024, shutil.disk_usage(tempfile.gettempdir()).free
    print(f"{args.rows:,} rows: about {needed / 2**30:.1f} GB in {tempfile.gettempdir()} ({free / 2**30:.0f} GB free)")
    if needed > free * 0.9:
        raise SystemExit("not enough free space for the store: set TMPDIR to a larger disk")
    with tempfile.TemporaryDirectory(prefix="screener-bench-export-") as folder:
        store = open_store(f"sqlite:///{folder}/bench.sqlite3", Path(folder))
        started = time.perf_counter()
        _fill(store, args.rows)
        print(f"filled in {time.perf_counter() - started:.1f} s")
        for fmt in ("csv", "json"):

            def run(fmt=fmt):
                count, chunks = export(store, "screenings", fmt, "bench")
                size = sum(len(chunk.encode()) for chunk in chunks)
                return f"{count:,} rows, {size / 2**20:,.0f} MB"

            _measure(f"export screenings.{fmt}", run)
        _measure(
            "export events.csv", lambda: f"{sum(len(c) for c in export(store, 'events', 'csv', 'bench')[1]):,} chars"
        )
        impact_store = open_store(f"sqlite:///{folder}/impact.sqlite3", Path(folder))
        _fill(impact_store, args.impact_rows)

        def impact():
            run = AmendmentImpact(impact_store, load_rule_sets()["NCT06674265"])
            changed = sum(1 for _ in run)
            return f"{run.rescreened:,} re-screened, {changed} changed"

        _measure("amendment impact", impact)


if __name__ == "__main__":
    main()
