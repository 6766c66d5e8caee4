"""Batch throughput: generated NDJSON records (or the Synthea FHIR folder) through `screener batch`'s code path.

    python -m benchmarks.batch --records 1000000 [--trial NCT06674265] [--workers 2] [--chunk-size 2000]
    python -m benchmarks.batch --fhir ../shared/synthea/bundles
    python -m benchmarks.batch --records 20000 --workers 2 --before main   # before/after in one run

Prints records/s, the run's wall time (and with the cluster's start), CPU seconds of the client (with the scheduler,
which runs in it) and of each worker (in all, and a record's share once the worker has started), the peak resident
memory of each, and the load average while it ran.
"""
import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from screener.batch import local_client, run_batch

from .records import AS_OF, generated_records


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _run_before(ref: str) -> None:
    """The same benchmark on an older revision, in its own process (its own code on every worker)."""
    root = Path(__file__).resolve().parent.parent
    folder = Path(tempfile.mkdtemp(prefix="screener-before-"))
    try:
        archive = subprocess.run(["git", "-C", str(root), "archive", ref], check=True, capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", str(folder)], input=archive, check=True)
        argv = [a for i, a in enumerate(sys.argv[1:]) if a != "--before" and sys.argv[i] != "--before"]
        done = subprocess.run([sys.executable, "-m", "benchmarks.batch", *argv], cwd=folder, capture_output=True,
                              text=True, env=dict(os.environ, PYTHONPATH=str(folder), PYTHONDONTWRITEBYTECODE="1"))
        print(f"before ({ref}): {done.stdout.strip().splitlines()[-1] if done.stdout.strip() else done.stderr[-500:]}")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--trial", default="NCT06674265")
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--chunk-size", type=int, default=2000)
    parser.add_argument("--fhir", type=Path, help="a folder of FHIR bundles instead of generated records")
    parser.add_argument("--before", metavar="REF", help="first run this git revision's own benchmark with the same "
                        "arguments (exported with git archive into a temporary folder), for before/after in one run")
    args = parser.parse_args()
    if args.before:
        _run_before(args.before)
    work = Path(tempfile.mkdtemp(prefix="screener-batch-"))
    if args.fhir:
        source, trials, as_of = args.fhir, None, date(2021, 4, 1)
    else:
        source, trials, as_of = work / "records.ndjson", [args.trial], AS_OF
        started = time.perf_counter()
        with source.open("w") as handle:
            written = 0
            while written < args.records:
                batch = generated_records(min(10_000, args.records - written), seed=written)
                handle.write("\n".join(batch) + "\n")
                written += len(batch)
        print(
            f"generated {written:,} records ({source.stat().st_size / 1e6:,.0f} MB) "
            f"in {time.perf_counter() - started:.0f} s"
        )
    started, load = time.perf_counter(), os.getloadavg()[0]
    client = local_client(args.workers)
    try:
        cluster_s, cpu_before = time.perf_counter() - started, _cpu_s()
        worker_start = client.run(_cpu_s)  # a started worker, before its first chunk imports the screener
        summary = run_batch(
            source, work / "out", trials, as_of, client=client, chunk_size=args.chunk_size, progress=False
        )
        client_cpu = _cpu_s() - cpu_before
        workers = client.run(_peak_rss_mb)
        worker_cpu = client.run(_cpu_s)
    finally:
        client.close()
    print(
        json.dumps(
            {
                "records": summary.records,
                "malformed": summary.malformed,
                "seconds": summary.seconds,
                "records_per_s": round(summary.records / summary.seconds),
                "wall_s_with_cluster_start": round(time.perf_counter() - started, 1),
                "cluster_start_s": round(cluster_s, 1),
                "client_and_scheduler_cpu_s": round(client_cpu, 1),
                "worker_cpu_s": sorted(round(v, 1) for v in worker_cpu.values()),
                # The workers' CPU a record without their start (Dask's imports, ~0.7 s each): what 1,000,000
                # records pay; the first chunk's imports and rule-set compiling are still in it.
                "worker_cpu_ms_a_record": round(
                    sum(v - worker_start.get(k, 0.0) for k, v in worker_cpu.items()) / max(1, summary.records) * 1e3, 3
                ),
                "client_peak_rss_mb": round(_peak_rss_mb()),
                "worker_peak_rss_mb": sorted(round(v) for v in workers.values()),
                "load_average_1min": [round(load, 1), round(os.getloadavg()[0], 1)],
            }
        )
    )


if __name__ == "__main__":
    main()
