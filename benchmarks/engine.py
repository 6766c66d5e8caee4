"""Engine vs reference evaluator on the same records, in one run: evaluation alone, and end to end.

    python -m benchmarks.engine [--records N] [--before REF [--rounds 2]]

Prints screenings per second for each backend and their ratio. End to end = parse + validate + derive facts +
evaluate + full report, single process (one core); "outcome" = the same judgement as a batch row uses it
(screen_outcome: verdict, criteria, candidate, what to record; no reason or evidence worded unless read);
"Persian" = end to end with the report worded for a Persian reader (the same judgement, Outcome.worded("fa")).
--before REF runs this same benchmark file on that git revision's code and on this tree's, each in its own
process, alternating for --rounds rounds, and prints both (before/after in one run on a shared machine).
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from screener.engine import get_evaluator
from screener.engine.compile import compiled
from screener.facts.derive import derive
from screener.rules import load_rule_sets, load_tables
from screener.screening import parse_record, screen, screen_outcome

try:  # revisions before the Persian words (issue 30) have no reader's language: their run skips that row
    from screener.model.language import LANGUAGES, Language
    PERSIAN: "Language | None" = "fa" if "fa" in LANGUAGES else None
except ImportError:
    PERSIAN = None

from .records import AS_OF, generated_records

ENGINES = ("reference", "durable")
CHUNK = 250


def _rate(count: int, seconds: float) -> str:
    return f"{count / seconds:>9,.0f}/s"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", type=int, default=20_000)
    parser.add_argument("--trial", default="NCT06674265")
    parser.add_argument("--before", metavar="REF", help="also run this git revision's code, alternating")
    parser.add_argument("--rounds", type=int, default=2, help="with --before: runs of each, alternating")
    args = parser.parse_args()
    if args.before:
        _before_after(args)
        return

    # Each backend screens its own records end to end (the same generator, the same mix): a report's words are
    # kept per criterion outcome shape, so a backend screening the records the other has just worded would read
    # the words of a child screened again, not a new one's.
    generated = generated_records(2 * args.records)
    texts = generated[: args.records]
    own_texts = {"reference": texts, "durable": generated[args.records :]}
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
    outcome = {name: 0.0 for name in ENGINES}
    persian = {name: 0.0 for name in ENGINES}
    for start in range(0, len(texts), CHUNK):
        for name in ENGINES:
            mine = own_texts[name][start : start + CHUNK]
            began, began_wall = time.process_time(), time.perf_counter()
            for text in mine:
                screen(parse_record(text), args.trial, AS_OF, name)
            end_to_end[name] += time.process_time() - began
            wall[name] += time.perf_counter() - began_wall
            began = time.process_time()
            for text in mine:
                _batch_row(screen_outcome(parse_record(text), args.trial, AS_OF, name))
            outcome[name] += time.process_time() - began
            if PERSIAN is not None:  # a Persian reader's report: the same judgement, its words in Persian
                began = time.process_time()
                for text in mine:
                    screen_outcome(parse_record(text), args.trial, AS_OF, name).worded(PERSIAN)
                persian[name] += time.process_time() - began

    n = args.records
    rows = {"evaluation only": evaluation, "end to end (1 core)": end_to_end, "end to end, wall": wall,
            "outcome (batch row)": outcome}
    if PERSIAN is not None:
        rows["end to end, Persian"] = persian
    print(f"{'(CPU time)':24}{'reference':>12}{'durable':>12}   durable time / reference time")
    for label, seconds in rows.items():
        print(f"{label:24}{_rate(n, seconds['reference']):>12}{_rate(n, seconds['durable']):>12}"
              f"   {seconds['durable'] / seconds['reference']:.2f}x")
    print(
        f"durable: {1e6 * end_to_end['durable'] / n:.0f} us of CPU a screening; "
        f"load average {', '.join(f'{v:.2f}' for v in os.getloadavg())}"
    )
    figures = {f"{part} {name}": round(n / seconds[name]) for part, seconds in
               (("evaluation", evaluation), ("end to end", end_to_end), ("outcome", outcome))
               + ((("Persian", persian),) if PERSIAN is not None else ()) for name in ENGINES}
    print("FIGURES " + json.dumps({**figures, "load": [round(v, 2) for v in os.getloadavg()]}))


def _batch_row(outcome) -> None:
    """What batch.screen_chunk reads of a candidate's outcome: what to record next (a revision before words only
    when read has it from the report it built)."""
    if outcome.candidate:
        _ = outcome.to_settle if hasattr(type(outcome), "to_settle") else outcome.report.to_settle


def _before_after(args) -> None:
    """This benchmark file on REF's code and on this tree's, each in a fresh process, alternating."""
    root = Path(__file__).resolve().parent.parent
    folder = Path(tempfile.mkdtemp(prefix="screener-before-"))
    try:
        archive = subprocess.run(["git", "-C", str(root), "archive", args.before], check=True,
                                 capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", str(folder)], input=archive, check=True)
        shutil.copy(Path(__file__), folder / "benchmarks" / "engine.py")  # the same measurement, the old code
        trees = {f"before ({args.before})": folder, "after (this tree)": root}
        results: dict[str, list[dict]] = {label: [] for label in trees}
        for _ in range(args.rounds):
            for label, tree in trees.items():
                done = subprocess.run(
                    [sys.executable, "-m", "benchmarks.engine", "--records", str(args.records), "--trial", args.trial],
                    cwd=tree, capture_output=True, text=True, check=True,
                    env=dict(os.environ, PYTHONPATH=str(tree), PYTHONDONTWRITEBYTECODE="1"),
                )
                line = [x for x in done.stdout.splitlines() if x.startswith("FIGURES ")][-1]
                results[label].append(json.loads(line.removeprefix("FIGURES ")))
                print(label, line.removeprefix("FIGURES "), flush=True)
        print(f"screenings/s of CPU in each run, {args.records:,} records; load: 1-min average at each run's end")
        for key in results[next(iter(trees))][0]:
            print(f"{key:24}" + "   ".join(
                f"{label.split()[0]} " + " / ".join(
                    str(r[key][0]) if key == "load" else f"{r[key]:,}" for r in runs)
                for label, runs in results.items()))
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
