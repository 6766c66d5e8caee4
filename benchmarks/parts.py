"""Where a screening's CPU goes, part by part: each step timed alone over the same generated records.

    python -m benchmarks.parts [--records N] [--trial ID]

Prints microseconds of CPU a record for each step of the pipeline, in the order a screening runs them (a native
record's JSON read and validated, the as-of checks and warnings, the derivation, each evaluator, the rest of the
judgement, the report worded in English and in Persian, the report's JSON as the API writes it), and their sum.
Each record goes through every part before the next record starts, as a stream of screenings does: each part's
figure includes the caches it finds cold after the others ran (higher than the same part timed in a loop of its
own, where derive alone reads ~125 us against ~280 us here); each timer read costs ~1 us.
This is the profile the performance page reads for target 1 and, with the batch's and the API's own costs, for
targets 2 and 3. Every step runs once per record (the words' memo sees each record once, as a stream of distinct
children does); the records are generated, so no two are the same child.
"""
import argparse
import os
import time

from screener.engine import get_evaluator
from screener.engine.compile import compiled
from screener.facts.derive import derive
from screener.model.json_text import load_json
from screener.model.record import PatientRecord
from screener.model.validate import validate_data
from screener.rules import load_rule_sets, load_tables
from screener.screening import check_as_of, screen_outcome, warnings_for

from .records import AS_OF, generated_records

WARM_UP = 500
CHUNK = 250
PARTS = (
    "JSON read (load_json)",
    "schema validation (pydantic, strict)",
    "as-of checks (check_as_of)",
    "warnings (values to confirm)",
    "derivation (derive)",
    "evaluation: durable-rules",
    "evaluation: reference (the guard)",
    "rest of the judgement (clearing days, comparing, the outcome)",
    "report worded in English",
    "report's JSON (model_dump_json)",
    "report worded in Persian (another reader)",
)


def _split(items: list, at: int) -> tuple[list, list]:
    return items[:at], items[at:]


def _chunks(items: list) -> list[list]:
    return [items[start : start + CHUNK] for start in range(0, len(items), CHUNK)]


def _measure(texts, trial, rule_set, tables, lookback, parts: dict[str, float]) -> None:
    """Each part of a screening of each record, one record after another (nothing kept beyond its screening, as a
    stream screens: keeping a chunk's facts alive across parts made the collector's walks a third of the time),
    its CPU added to parts."""
    durable, reference = get_evaluator("durable"), get_evaluator("reference")
    clock = time.process_time
    spent = [0.0] * len(PARTS)
    for text in texts:
        t0 = clock()
        data = load_json(text, "(record)")
        t1 = clock()
        record = validate_data(PatientRecord, data)
        t2 = clock()
        check_as_of(record, AS_OF)
        t3 = clock()
        warnings_for(record)
        t4 = clock()
        facts = derive(record, AS_OF, rule_set.facts, lookback, tables)
        values = {k: f.value for k, f in facts.items()}
        t5 = clock()
        durable.evaluate(rule_set, values)
        t6 = clock()
        reference.evaluate(rule_set, values)
        t7 = clock()
        outcome = screen_outcome(record, trial, AS_OF, "durable", checked=True)
        t8 = clock()
        report = outcome.worded()
        t9 = clock()
        report.model_dump_json()
        t10 = clock()
        outcome.worded("fa")
        t11 = clock()
        times = (t0, t1, t2, t3, t4, t5, t6, t7, t8, t9, t10, t11)
        for i in range(len(PARTS)):
            spent[i] += times[i + 1] - times[i]
        # screen_outcome ran the derivation and both evaluators again: its own part is what it adds to them
        spent[7] -= (t7 - t4)
    for name, seconds in zip(PARTS, spent, strict=True):
        parts[name] = parts.get(name, 0.0) + seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", type=int, default=3000)
    parser.add_argument("--trial", default="NCT06674265")
    args = parser.parse_args()
    warm_up, texts = _split(generated_records(WARM_UP + args.records), WARM_UP)
    rule_set = compiled(load_rule_sets()[args.trial])
    tables = load_tables()
    lookback = rule_set.rule_set.lookback
    parts: dict[str, float] = {}
    # Warmed on other records (rule sets compiled, catalogues read, engines built, drug names looked up), then the
    # measured ones in chunks, each part over the chunk and the chunk dropped: a stream, as the batch and the engine
    # benchmark screen, so the garbage collector walks no more live objects than a screening keeps.
    for chunk in _chunks(warm_up):
        _measure(chunk, args.trial, rule_set, tables, lookback, {})
    for chunk in _chunks(texts):
        _measure(chunk, args.trial, rule_set, tables, lookback, parts)

    n = len(texts)
    print(f"{n:,} generated records x {args.trial}, CPU a record, one process; load average "
          f"{', '.join(f'{v:.2f}' for v in os.getloadavg())}")
    english = 0.0
    for name, seconds in parts.items():
        print(f"  {name:56}{1e6 * seconds / n:>8.0f} us")
        if "Persian" not in name:
            english += seconds
    print(f"  {'a full English screening as the API answers it (sum)':56}{1e6 * english / n:>8.0f} us "
          f"(= {n / english:,.0f}/s on one core)")


if __name__ == "__main__":
    main()
