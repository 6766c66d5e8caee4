"""FHIR Bulk Data input: time and peak memory of `screener batch` on an export made from the Synthea bundles, and on
a larger one (the same patients copied with new ids), to show that memory does not grow with the export.

    python -m benchmarks.bulk_fhir [--bundles ../shared/synthea/bundles] [--copies 1 20] [--workers N]

Each export is written by scripts/bundles_to_bulk.py into a temporary folder (the copied exports hold only the types
screening reads: the others are never opened, so they would cost only disk), then screened in a fresh process, so
its peak resident memory (getrusage ru_maxrss) is that run's alone. Printed per export: patients, export size,
seconds, patients/s, the process's resident memory once the rule sets are loaded and its peak during the run, the
peak of Python allocations while joining the export alone (tracemalloc: the spill to SQLite and one patient's Bundle
at a time, without screening), the spill's size on disk, and for the first export the same run on the folder of
bundles. --workers N screens on a local Dask cluster (the client's memory, then each worker's).
"""
import argparse
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

AS_OF = date(2021, 4, 1)  # the bundles' last records
_READ_TYPES = {"Patient", "Observation", "Condition", "MedicationRequest", "MedicationStatement",
               "MedicationAdministration", "Procedure", "Medication"}


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _folder_mb(folder: Path) -> float:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / 1e6


def measure(source: Path, workers: int | None) -> dict:
    """One run in this process (a fresh one: see main)."""
    import threading
    import tracemalloc

    from screener.batch import local_client, run_batch
    from screener.bulk_export import is_export, read_export
    from screener.rules import load_rule_sets

    load_rule_sets()
    loaded = _peak_rss_mb()
    figures: dict = {}
    out = Path(tempfile.mkdtemp(prefix="screener-bulk-bench-"))
    spill = {"mb": 0.0}
    stop = threading.Event()

    def watch_spill() -> None:  # the spill's largest size on disk while the run goes
        while not stop.wait(0.2):
            spill["mb"] = max(spill["mb"], *(_folder_mb(p) for p in out.glob("screener-bulk-*")), 0.0)

    watcher = threading.Thread(target=watch_spill, daemon=True)
    watcher.start()
    client = local_client(workers) if workers else None
    try:
        started = time.perf_counter()
        summary = run_batch(source, out, None, AS_OF, client=client, progress=False)
        figures["seconds"] = round(time.perf_counter() - started, 1)
        if client is not None:
            figures["worker_peak_rss_mb"] = sorted(round(v) for v in client.run(_peak_rss_mb).values())
    finally:
        stop.set()
        watcher.join()
        if client is not None:
            client.close()
    figures |= {
        "patients": summary.records - summary.malformed,
        "malformed": summary.malformed,
        "screenings": summary.screenings,
        "patients_per_s": round((summary.records - summary.malformed) / figures["seconds"], 1),
        "rss_after_loading_rules_mb": round(loaded),
        "peak_rss_mb": round(_peak_rss_mb()),
        "verdicts": {v: sum(c.get(v, 0) for c in summary.verdicts.values())
                     for v in sorted({v for c in summary.verdicts.values() for v in c})},
    }
    if is_export(source):
        figures["spill_on_disk_mb"] = round(spill["mb"], 1)
        tracemalloc.start()
        started = time.perf_counter()
        joined = sum(1 for _ in read_export(source, out))
        figures["join_alone_s"] = round(time.perf_counter() - started, 1)
        figures["join_alone_python_peak_mb"] = round(tracemalloc.get_traced_memory()[1] / 1e6, 1)
        figures["joined_items"] = joined
        tracemalloc.stop()
    shutil.rmtree(out, ignore_errors=True)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bundles", type=Path, default=Path(__file__).resolve().parent.parent.parent / "shared" /
                        "synthea" / "bundles")
    parser.add_argument("--copies", type=int, nargs="+", default=[1, 20])
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)  # the child process's one run
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure, args.workers)))
        return
    from scripts.bundles_to_bulk import write_export

    bundles = sorted(args.bundles.glob("*.json"))
    work = Path(tempfile.mkdtemp(prefix="screener-bulk-export-"))

    def run(source: Path) -> dict:
        argv = [sys.executable, "-m", "benchmarks.bulk_fhir", "--measure", str(source)]
        argv += ["--workers", str(args.workers)] if args.workers else []
        done = subprocess.run(argv, capture_output=True, text=True, check=False)
        if done.returncode:
            raise SystemExit(done.stderr[-2000:])
        return json.loads(done.stdout.strip().splitlines()[-1])

    try:
        for i, copies in enumerate(args.copies):
            export = work / f"x{copies}"
            started = time.perf_counter()
            write_export(bundles, export, copies=copies, types=None if copies == 1 else _READ_TYPES)
            print(f"export x{copies}: {len(bundles) * copies:,} patients, {_folder_mb(export):,.0f} MB "
                  f"(written in {time.perf_counter() - started:.0f} s)", flush=True)
            print(f"  bulk export: {json.dumps(run(export))}", flush=True)
            if i == 0:
                print(f"  folder of bundles ({_folder_mb(args.bundles):,.0f} MB): {json.dumps(run(args.bundles))}",
                      flush=True)
            shutil.rmtree(export, ignore_errors=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
