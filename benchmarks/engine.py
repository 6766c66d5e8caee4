"""Engine vs reference evaluator on the same records, in one run: evaluation alone, and end to end.

    python -m benchmarks.engine [--records N]

Prints screenings per second for each backend and their ratio. End to end = parse + validate + derive facts +
evaluate + full report, single process (one core).
"""
import argparse
import os
import time
from collections import Counter

from screener.engine import get_evaluator
from screener.engine.compile import compiled
from screener.facts.derive import derive
from screener.rules import load_rule_sets, load_tables
from screener.screening import parse_record, screen

from .records import AS_OF, generated_records

ENGINES = ("reference", "durable")
CHUNK = 250


def _rate(count: int, seconds: float) -> str:
    return f"{count / seconds:>9,.0f}/s"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", type=int, default=20_000)
    parser.add_argument("--trial", default="NCT06674265")
    args = parser.parse_args()

    texts = generated_records(args.records)
    rule_set = compiled(load_rule_sets()[args.trial])
    records = [parse_record(t) for t in texts]
    fact_values = [
        {k: f.value for k, f in derive(r, AS_OF, rule_set.facts, rule_set.rule_set.lookback, load_tables()).items()}
        for r in records
    ]
    verdicts = Counter(screen(r, args.trial, AS_OF, "reference").verdict for r in records[:2000])
    print(
        f"{args.records:,} generated records, {args.trial} ({len(rule_set.criteria)} criteria); "
        f"verdict mix of the first 2,000: {dict(verdicts)}"
    )

    # The two backends alternate chunk by chunk, so a neighbour's job on this shared machine slows both alike;
    # CPU time of this process is what is compared (wall time also counts the time others' jobs took the core).
    evaluation = {name: 0.0 for name in ENGINES}
    for name in ENGINES:
        get_evaluator(name).evaluate(rule_set, fact_values[0])  # build once, outside the timing
    for start in range(0, len(fact_values), CHUNK):
        for name in ENGINES:
            evaluator = get_evaluator(name)
            began = time.process_time()
            for values in fact_values[start : start + CHUNK]:
                evaluator.evaluate(rule_set, values)
            evaluation[name] += time.process_time() - began
    end_to_end = {name: 0.0 for name in ENGINES}
    wall = {name: 0.0 for name in ENGINES}
    for start in range(0, len(texts), CHUNK):
        for name in ENGINES:
            began, began_wall = time.process_time(), time.perf_counter()
            for text in texts[start : start + CHUNK]:
                screen(parse_record(text), args.trial, AS_OF, name)
            end_to_end[name] += time.process_time() - began
            wall[name] += time.perf_counter() - began_wall

    n = args.records
    print(f"{'(CPU time)':24}{'reference':>12}{'durable':>12}   durable time / reference time")
    print(
        f"{'evaluation only':24}{_rate(n, evaluation['reference']):>12}{_rate(n, evaluation['durable']):>12}"
        f"   {evaluation['durable'] / evaluation['reference']:.2f}x"
    )
    print(
        f"{'end to end (1 core)':24}{_rate(n, end_to_end['reference']):>12}{_rate(n, end_to_end['durable']):>12}"
        f"   {end_to_end['durable'] / end_to_end['reference']:.2f}x"
    )
    print(
        f"{'end to end, wall':24}{_rate(n, wall['reference']):>12}{_rate(n, wall['durable']):>12}"
        f"   {wall['durable'] / wall['reference']:.2f}x"
    )
    print(
        f"durable: {1e6 * end_to_end['durable'] / n:.0f} us of CPU a screening; "
        f"load average {', '.join(f'{v:.2f}' for v in os.getloadavg())}"
    )


if __name__ == "__main__":
    main()
