"""Resident memory after 100k and 1M evaluations in one process: durable-rules' per-session state must not leak.

    python -m benchmarks.memory [--evaluations 1000000]
"""
import argparse
import random
import time


def _rss_mb() -> float:
    with open("/proc/self/status") as handle:
        for line in handle:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def main() -> None:
    from screener.engine import get_evaluator
    from screener.engine.compile import compiled
    from screener.facts.derive import derive
    from screener.rules import load_rule_sets, load_tables
    from screener.screening import parse_record

    from .records import AS_OF, generated_records

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--evaluations", type=int, default=1_000_000)
    args = parser.parse_args()
    rule_set = compiled(load_rule_sets()["NCT06674265"])
    values = [
        {
            k: f.value
            for k, f in derive(
                parse_record(t), AS_OF, rule_set.facts, rule_set.rule_set.lookback, load_tables()
            ).items()
        }
        for t in generated_records(1000)
    ]
    durable = get_evaluator("durable")
    durable.evaluate(rule_set, values[0])
    rng = random.Random(1)
    checkpoints = {10_000, 100_000, args.evaluations}
    start_rss, started = _rss_mb(), time.perf_counter()
    print(f"after warm-up: {start_rss:.1f} MB")
    for n in range(1, args.evaluations + 1):
        durable.evaluate(rule_set, values[rng.randrange(len(values))])
        if n in checkpoints:
            print(f"after {n:>9,} evaluations: {_rss_mb():.1f} MB RSS ({time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
