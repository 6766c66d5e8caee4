"""How a screening's cost grows: one record against 6, 60 and 600 trials, and 1 to 1,000 observations a record.

    python -m benchmarks.scaling [--repeat N] [--out DIR]

Synthetic trials are copies of the six real rule sets under new trial ids (so each compiles, and builds in
durable-rules, as a trial of its own). Observations are lab results of the tests the trials use, spread over the
lookback, each screening parsing, deriving, evaluating with both backends and building the full report. Prints the
figures (CPU time of this process, best of --repeat, so a neighbour's job on a shared machine counts less) and saves
two plots with matplotlib in --out (default benchmarks/out/, not versioned).
"""
import argparse
import json
import os
import random
import time
from datetime import timedelta
from pathlib import Path

from screener.engine.compile import compiled
from screener.rules import load_rule_sets
from screener.screening import parse_record, screen

from .records import _BASE, AS_OF

TRIALS = (6, 60, 600)
OBSERVATIONS = (1, 10, 100, 1000)
_LABS = {"777-3": (20, 200, "10*3/uL"), "751-8": (0.2, 3, "10*3/uL"), "718-7": (7, 14, "g/dL"),
         "1975-2": (0.2, 2.5, "mg/dL"), "1742-6": (10, 200, "U/L"), "2160-0": (0.2, 1.5, "mg/dL"),
         "shortening_fraction": (20, 40, "%"), "10230-1": (40, 70, "%")}


def synthetic_trials(count: int):
    """count rule sets: the real ones copied under new trial ids, each a distinct rule set (its own digest)."""
    real = list(load_rule_sets().values())
    return [real[i % len(real)].model_copy(update={"trial_id": f"{real[i % len(real)].trial_id}-S{i}"})
            for i in range(count)]


def record_with_observations(count: int, seed: int = 1) -> str:
    rng = random.Random(seed)
    record = json.loads(json.dumps(_BASE))
    tests = list(_LABS)
    observations = []
    for i in range(count):
        test = tests[i % len(tests)]
        low, high, unit = _LABS[test]
        day = AS_OF - timedelta(days=rng.randrange(0, 60))
        observations.append(
            {"test": test, "value": round(rng.uniform(low, high), 2), "unit": unit, "date": day.isoformat()}
        )
    record["observations"] = observations
    return json.dumps(record)


def _best(repeat: int, run) -> float:
    """Best CPU seconds of repeat runs."""
    best = float("inf")
    for _ in range(repeat):
        began = time.process_time()
        run()
        best = min(best, time.process_time() - began)
    return best


def _screen_all(text: str, rule_sets) -> list:
    record = parse_record(text)  # parsed once, as screen_all is given one record
    return [screen(record, rule_set, AS_OF, "durable") for rule_set in rule_sets]


def by_trials(repeat: int) -> list[tuple[int, float]]:
    text = json.dumps(_BASE)
    figures = []
    for count in TRIALS:
        rule_sets = synthetic_trials(count)
        for rule_set in rule_sets:  # compile and build in durable-rules outside the timing, as warm_up does
            screen(parse_record(text), rule_set, AS_OF, "durable")
        seconds = _best(repeat, lambda rule_sets=rule_sets: _screen_all(text, rule_sets))
        figures.append((count, seconds))
    return figures


def by_observations(repeat: int) -> list[tuple[int, float]]:
    trial = load_rule_sets()["NCT06674265"]
    compiled(trial)
    figures = []
    for count in OBSERVATIONS:
        text = record_with_observations(count)
        screen(parse_record(text), trial, AS_OF, "durable")
        runs = max(1, 200 // count)  # enough screenings per timing to be above the clock's grain
        seconds = _best(
            repeat,
            lambda text=text, runs=runs: [screen(parse_record(text), trial, AS_OF, "durable") for _ in range(runs)],
        )
        figures.append((count, seconds / runs))
    return figures


def _plot(path: Path, figures: list[tuple[int, float]], xlabel: str, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")  # files only, no display
    import matplotlib.pyplot as plt

    xs, ys = [x for x, _ in figures], [1000 * s for _, s in figures]
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.loglog(xs, ys, "o-", label="measured")
    ax.loglog(xs, [ys[0] * x / xs[0] for x in xs], "--", color="grey", label="linear from the first point")
    ax.set_xlabel(xlabel)
    ax.set_ylabel("ms of CPU for one record")
    ax.set_title(title)
    ax.legend()
    ax.grid(True, which="both", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "out")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)

    trials = by_trials(args.repeat)
    print("one record (the eligible demo patient) against N trials, durable-rules, full reports, CPU time:")
    for count, seconds in trials:
        print(
            f"  {count:>4} trials  {1000 * seconds:9.1f} ms  {1e6 * seconds / count:7.0f} us a trial"
            f"  ({seconds / trials[0][1]:6.1f}x the time of {trials[0][0]}; "
            f"linear would be {count / trials[0][0]:.0f}x)"
        )
    observations = by_observations(args.repeat)
    print("one record with N lab observations against NCT06674265, durable-rules, full report, CPU time:")
    for count, seconds in observations:
        print(
            f"  {count:>4} observation{'s' if count != 1 else ' '}  {1000 * seconds:7.2f} ms"
            f"  ({seconds / observations[0][1]:5.2f}x the time of {observations[0][0]}; linear would be "
            f"{count / observations[0][0]:.0f}x)"
        )
    _plot(args.out / "scaling_trials.png", trials, "trials screened", "One record against N trials")
    _plot(
        args.out / "scaling_observations.png",
        observations,
        "observations in the record",
        "One record with N observations, NCT06674265",
    )
    print(
        f"plots: {args.out / 'scaling_trials.png'}, {args.out / 'scaling_observations.png'}; "
        f"load average {', '.join(f'{v:.2f}' for v in os.getloadavg())}"
    )


if __name__ == "__main__":
    main()
