"""The worst native record validation accepts, screened against every trial: prints how long it takes.

    python -m benchmarks.worst_case [--repeat N]

Worst = the most medication entries a record may carry (config.MAX_MEDICATIONS_PER_RECORD), each name at the
100-character limit and split by "/" into as many parts as fit, all distinct (so no per-name cache helps), all
in the 7-day windows and not recognised (so every entry is examined and reported by E7 and E8).
"""
import argparse
import json
import time

from screener import config
from screener.screening import parse_record, screen_all

from .records import _BASE, AS_OF

NAME_LIMIT = 100


def worst_record_json(run: int = 0) -> str:
    """The record; each run's names differ from every other run's, so no cache carries over between runs."""
    record = json.loads(json.dumps(_BASE))
    medications = []
    for i in range(config.MAX_MEDICATIONS_PER_RECORD):
        stem = f"x{run}-{i:x}"
        parts = [stem] + ["a"] * ((NAME_LIMIT - len(stem)) // 2)
        name = "/".join(parts)[:NAME_LIMIT]
        medications.append({"name": name, "route": "oral", "dose": 1, "dose_unit": "mg/day", "start": "2026-11-20"})
    record["history"]["medications"] = medications
    return json.dumps(record)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    for attempt in range(args.repeat):
        text = worst_record_json(attempt)
        start = time.perf_counter()
        reports = screen_all(parse_record(text), AS_OF)
        seconds = time.perf_counter() - start
        print(f"run {attempt + 1}: {config.MAX_MEDICATIONS_PER_RECORD} medications of {NAME_LIMIT} characters, "
              f"{len(text):,} bytes, {len(reports)} trials: {seconds:.3f} s"
              + (" (includes loading the tables and vocabulary)" if attempt == 0 else ""))


if __name__ == "__main__":
    main()
