"""Batch throughput: generated NDJSON records (or the Synthea FHIR folder) through `screener batch`'s code path.

    python -m benchmarks.batch --records 1000000 [--trial NCT06674265] [--workers 2] [--chunk-size 2000]
    python -m benchmarks.batch --fhir ../shared/synthea/bundles

Prints records/s, wall time and the peak resident memory of the client and of each worker process.
"""
import argparse
import json
import resource
import tempfile
import time
from datetime import date
from pathlib import Path

from screener.batch import local_client, run_batch

from .records import AS_OF, generated_records


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--trial", default="NCT06674265")
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--chunk-size", type=int, default=2000)
    parser.add_argument("--fhir", type=Path, help="a folder of FHIR bundles instead of generated records")
    args = parser.parse_args()
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
        print(f"generated {written:,} records ({source.stat().st_size / 1e6:,.0f} MB) in {time.perf_counter() - started:.0f} s")
    client = local_client(args.workers)
    try:
        summary = run_batch(source, work / "out", trials, as_of, client=client, chunk_size=args.chunk_size, progress=False)
        workers = client.run(_peak_rss_mb)
    finally:
        client.close()
    print(json.dumps({"records": summary.records, "malformed": summary.malformed, "seconds": summary.seconds,
                      "records_per_s": round(summary.records / summary.seconds),
                      "client_peak_rss_mb": round(_peak_rss_mb()),
                      "worker_peak_rss_mb": sorted(round(v) for v in workers.values())}))


if __name__ == "__main__":
    main()
